#include "jose/jwt_login.h"

#include "core/text.h"

namespace hdsso {

namespace {

Error claim_error(Status s, std::string detail) { return make_error(s, std::move(detail)); }

// A string claim that is safe to hand on (UTF-8, no control characters).
Result<std::string> text_claim(const JsonObject& claims, const std::string& name, bool required) {
    auto t = claims.type(name);
    if (t == JsonObject::Type::absent) {
        if (required) return claim_error(Status::jwt_missing_claim, "'" + name + "' is required");
        return std::string();
    }
    if (t != JsonObject::Type::string) return claim_error(Status::jwt_invalid_claim, "'" + name + "' must be a string");
    std::string s(*claims.string(name));
    if (!safe_text(s)) return claim_error(Status::jwt_invalid_claim, "'" + name + "': a control character");
    if (required && s.empty()) return claim_error(Status::jwt_invalid_claim, "'" + name + "' is empty");
    return s;
}

}  // namespace

Result<Identity> identity_from_claims(const JsonObject& claims, const ClaimMapping& m, std::int64_t now) {
    Identity id;
    auto user = text_claim(claims, m.user, true);
    if (!user) return user.error();
    id.subject = std::move(user.value());
    for (auto [field, claim] : {std::pair{&id.email, m.email}, {&id.display_name, m.name},
                                {&id.given_name, std::string("given_name")},
                                {&id.family_name, std::string("family_name")}}) {
        auto v = text_claim(claims, claim, false);
        if (!v) return v.error();
        *field = std::move(v.value());
    }
    std::vector<std::string_view> groups;
    if (claims.strings(m.groups, groups) == JsonObject::Strings::wrong_type)
        return claim_error(Status::jwt_invalid_claim, "'" + m.groups + "' must be a string or an array of strings");
    for (std::string_view g : groups) {
        if (!safe_text(g)) return claim_error(Status::jwt_invalid_claim, "'" + m.groups + "': a control character");
        id.groups.emplace_back(g);
    }
    id.issuer = std::string(claims.string("iss").value_or(""));
    std::int64_t t = 0;
    id.auth_time = claims.integer("auth_time", t) == IntMember::ok ? t
                   : claims.integer("iat", t) == IntMember::ok     ? t
                                                                   : now;
    id.expiry = claims.integer("exp", t) == IntMember::ok ? t : 0;
    // Every claim that is a string or an array of strings, as an attribute,
    // kept as sent; what is handed to the helpdesk is checked there
    // (identity.unsafe_value).
    for (auto& [name, values] : claims.string_members())
        if (!values.empty()) id.attributes[std::string(name)] = std::vector<std::string>(values.begin(), values.end());
    return id;
}

Result<Identity> JwtLoginVerifier::verify(std::string_view token, std::int64_t now, ReplayCache& replay) const {
    auto jws = jws_->verify(token);
    if (!jws) return jws.error();
    auto claims = parse_claims(jws.value().payload);
    if (!claims) return claims.error();
    const JsonObject& c = claims.value();
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
