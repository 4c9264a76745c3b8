#include "jose/claims.h"

namespace hdsso {

namespace {

Error claim_error(Status s, std::string why) { return make_error(s, std::move(why)); }

// exp/nbf/iat: absent, or an integer NumericDate (no fraction, no string).
Result<bool> time_claim(const json_t* claims, const char* name, std::int64_t& out) {
    switch (json_int_member(claims, name, out)) {
    case IntMember::absent: return false;
    case IntMember::ok: return true;
    case IntMember::wrong_type: break;
    }
    return claim_error(Status::jwt_invalid_claim, std::string("'") + name + "' must be an integer NumericDate");
}

}  // namespace

Result<JsonPtr> parse_claims(std::string_view payload) {
    auto doc = parse_json_object(payload, Status::jwt_invalid_claim);
    if (!doc) return make_error(Status::jwt_invalid_claim, "claims: " + doc.error().detail);
    return doc;
}

Result<void> check_time_claims(const json_t* claims, const ClaimsPolicy& p, std::int64_t now) {
    std::int64_t exp = 0, nbf = 0, iat = 0;
    auto has_exp = time_claim(claims, "exp", exp);
    if (!has_exp) return has_exp.error();
    auto has_nbf = time_claim(claims, "nbf", nbf);
    if (!has_nbf) return has_nbf.error();
    auto has_iat = time_claim(claims, "iat", iat);
    if (!has_iat) return has_iat.error();
    if (!has_exp.value() && p.require_exp) return claim_error(Status::jwt_missing_claim, "'exp' is required");
    if (has_exp.value() && now >= exp + p.leeway)
        return claim_error(Status::jwt_expired, "expired " + std::to_string(now - exp) + " s ago");
    if (has_nbf.value() && now + p.leeway < nbf)
        return claim_error(Status::jwt_not_yet_valid, "valid in " + std::to_string(nbf - now) + " s");
    if (has_iat.value() && iat > now + p.leeway)
        return claim_error(Status::jwt_issued_in_future, "issued " + std::to_string(iat - now) + " s in the future");
    if (p.max_age > 0) {
        if (!has_iat.value()) return claim_error(Status::jwt_missing_claim, "'iat' is required (maximum age set)");
        if (now - iat > p.max_age + p.leeway)
            return claim_error(Status::jwt_too_old, "issued " + std::to_string(now - iat) + " s ago");
    }
    return {};
}

Result<void> check_issuer(const json_t* claims, const ClaimsPolicy& p) {
    if (p.issuer.empty()) return {};
    const json_t* iss = json_object_get(claims, "iss");
    if (!iss) return claim_error(Status::jwt_missing_claim, "'iss' is required");
    if (!json_is_string(iss)) return claim_error(Status::jwt_invalid_claim, "'iss' must be a string");
    if (p.issuer != std::string(json_string_value(iss), json_string_length(iss)))
        return claim_error(Status::jwt_issuer_mismatch, "issuer is not the configured one");
    return {};
}

Result<void> check_audience(const json_t* claims, const ClaimsPolicy& p) {
    if (p.waive_audience) return {};
    if (p.audiences.empty()) return claim_error(Status::jwt_audience_mismatch, "no audience is configured");
    const json_t* aud = json_object_get(claims, "aud");
    if (!aud) return claim_error(Status::jwt_missing_claim, "'aud' is required");
    auto matches = [&](const json_t* v) {
        if (!json_is_string(v)) return false;
        std::string a(json_string_value(v), json_string_length(v));
        for (const auto& want : p.audiences)
            if (a == want) return true;
        return false;
    };
    if (json_is_string(aud)) {
        if (matches(aud)) return {};
    } else if (json_is_array(aud)) {
        std::size_t i;
        json_t* v;
        json_array_foreach(aud, i, v) {
            if (!json_is_string(v)) return claim_error(Status::jwt_invalid_claim, "'aud' must hold strings");
        }
        json_array_foreach(aud, i, v) {
            if (matches(v)) return {};
        }
    } else {
        return claim_error(Status::jwt_invalid_claim, "'aud' must be a string or an array of strings");
    }
    return claim_error(Status::jwt_audience_mismatch, "no audience of the token is configured here");
}

Result<void> check_claims(const json_t* claims, const ClaimsPolicy& p, std::int64_t now) {
    if (auto r = check_time_claims(claims, p, now); !r) return r;
    if (auto r = check_issuer(claims, p); !r) return r;
    return check_audience(claims, p);
}

Result<void> check_jti_once(const json_t* claims, const ClaimsPolicy& p, std::int64_t now, ReplayCache& replay) {
    auto jti = json_string_member(claims, "jti");
    if (!jti || jti->empty()) return claim_error(Status::jwt_missing_claim, "'jti' is required for replay detection");
    std::int64_t exp = 0;
    std::int64_t until = json_int_member(claims, "exp", exp) == IntMember::ok ? exp + p.leeway : now + 24 * 3600;
    auto first = replay.first_use("jwt", *jti, std::max(until, now) + 1);
    if (!first) return first.error();
    if (!first.value()) return claim_error(Status::jwt_replayed, "jti already used");
    return {};
}

}  // namespace hdsso
