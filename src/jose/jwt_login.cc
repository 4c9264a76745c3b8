#include "jose/jwt_login.h"

#include <algorithm>

#include "core/text.h"

namespace hdsso {

namespace {

Error claim_error(Status s, std::string detail) { return make_error(s, std::move(detail)); }

// A string claim that is safe to hand on (UTF-8, no control characters).
Result<std::string> text_claim(const json_t* claims, const std::string& name, bool required) {
    const json_t* v = json_object_get(claims, name.c_str());
    if (!v) {
        if (required) return claim_error(Status::jwt_missing_claim, "'" + name + "' is required");
        return std::string();
    }
    if (!json_is_string(v)) return claim_error(Status::jwt_invalid_claim, "'" + name + "' must be a string");
    std::string s(json_string_value(v), json_string_length(v));
    if (!safe_text(s)) return claim_error(Status::jwt_invalid_claim, "'" + name + "': a control character");
    if (required && s.empty()) return claim_error(Status::jwt_invalid_claim, "'" + name + "' is empty");
    return s;
}

// Every claim that is a string or an array of strings, as an attribute.
void collect_attributes(const json_t* claims, Identity& id) {
    const char* key;
    json_t* v;
    json_object_foreach(const_cast<json_t*>(claims), key, v) {
        std::vector<std::string> values;
        if (json_is_string(v)) {
            values.emplace_back(json_string_value(v), json_string_length(v));
        } else if (json_is_array(v)) {
            std::size_t i;
            json_t* e;
            json_array_foreach(v, i, e) {
                if (json_is_string(e)) values.emplace_back(json_string_value(e), json_string_length(e));
            }
        } else {
            continue;
        }
        values.erase(std::remove_if(values.begin(), values.end(), [](const std::string& s) { return !safe_text(s); }),
                     values.end());
        if (!values.empty()) id.attributes[key] = std::move(values);
    }
}

}  // namespace

Result<Identity> identity_from_claims(const json_t* claims, const ClaimMapping& m, std::int64_t now) {
    Identity id;
    auto user = text_claim(claims, m.user, true);
    if (!user) return user.error();
    id.subject = std::move(user.value());
    for (auto [field, claim] : {std::pair{&id.email, &m.email}, {&id.display_name, &m.name}}) {
        auto v = text_claim(claims, *claim, false);
        if (!v) return v.error();
        *field = std::move(v.value());
    }
    for (auto [field, claim] : {std::pair{&id.given_name, "given_name"}, {&id.family_name, "family_name"}}) {
        auto v = text_claim(claims, claim, false);
        if (!v) return v.error();
        *field = std::move(v.value());
    }
    if (const json_t* g = json_object_get(claims, m.groups.c_str())) {
        std::vector<const json_t*> items;
        if (json_is_string(g)) {
            items.push_back(g);
        } else if (json_is_array(g)) {
            std::size_t i;
            json_t* e;
            json_array_foreach(g, i, e) items.push_back(e);
        } else {
            return claim_error(Status::jwt_invalid_claim, "'" + m.groups + "' must be a string or an array of strings");
        }
        for (const json_t* e : items) {
            if (!json_is_string(e) || !safe_text(json_string_value(e)))
                return claim_error(Status::jwt_invalid_claim, "'" + m.groups + "' must hold strings");
            id.groups.emplace_back(json_string_value(e), json_string_length(e));
        }
    }
    id.issuer = json_string_member(claims, "iss").value_or("");
    std::int64_t t = 0;
    id.auth_time = json_int_member(claims, "auth_time", t) == IntMember::ok ? t
                   : json_int_member(claims, "iat", t) == IntMember::ok ? t
                                                                          : now;
    id.expiry = json_int_member(claims, "exp", t) == IntMember::ok ? t : 0;
    collect_attributes(claims, id);
    return id;
}

Result<Identity> JwtLoginVerifier::verify(std::string_view token, std::int64_t now, ReplayCache& replay) const {
    auto jws = jws_->verify(token);
    if (!jws) return jws.error();
    auto claims = parse_claims(jws.value().payload);
    if (!claims) return claims.error();
    const json_t* c = claims.value().get();
    if (auto r = check_claims(c, policy_.claims, now); !r) return r.error();
    auto id = identity_from_claims(c, policy_.mapping, now);
    if (!id) return id;
    id.value().idp_name = policy_.idp_name;
    if (policy_.one_time) {
        if (auto r = check_jti_once(c, policy_.claims, now, replay); !r) return r.error();
    }
    return id;
}

}  // namespace hdsso
