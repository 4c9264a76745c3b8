#include "jose/claims.h"

namespace hdsso {

namespace {

Error claim_error(Status s, std::string why) { return make_error(s, std::move(why)); }

// exp/nbf/iat: absent, or an integer NumericDate (no fraction, no string).
Result<bool> time_claim(const JsonObject& claims, const char* name, std::int64_t& out) {
    switch (claims.integer(name, out)) {
    case IntMember::absent: return false;
    case IntMember::ok: return true;
    case IntMember::wrong_type: break;
    }
    return claim_error(Status::jwt_invalid_claim, std::string("'") + name + "' must be an integer NumericDate");
}

}  // namespace

Result<JsonObject> parse_claims(std::string_view payload) {
    auto doc = JsonObject::parse(payload, Status::jwt_invalid_claim);
    if (!doc) return make_error(Status::jwt_invalid_claim, "claims: " + doc.error().detail);
    return doc;
}

Result<void> check_time_claims(const JsonObject& claims, const ClaimsPolicy& p, std::int64_t now) {
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

Result<void> check_issuer(const JsonObject& claims, const ClaimsPolicy& p) {
    if (p.issuer.empty()) return {};
    auto t = claims.type("iss");
    if (t == JsonObject::Type::absent) return claim_error(Status::jwt_missing_claim, "'iss' is required");
    if (t != JsonObject::Type::string) return claim_error(Status::jwt_invalid_claim, "'iss' must be a string");
    if (*claims.string("iss") != p.issuer) return claim_error(Status::jwt_issuer_mismatch, "issuer is not the configured one");
    return {};
}

Result<void> check_audience(const JsonObject& claims, const ClaimsPolicy& p) {
    if (p.waive_audience) return {};
    if (p.audiences.empty()) return claim_error(Status::jwt_audience_mismatch, "no audience is configured");
    std::vector<std::string_view> auds;
    switch (claims.strings("aud", auds)) {
    case JsonObject::Strings::absent: return claim_error(Status::jwt_missing_claim, "'aud' is required");
    case JsonObject::Strings::wrong_type:
        return claim_error(Status::jwt_invalid_claim, "'aud' must be a string or an array of strings");
    case JsonObject::Strings::ok: break;
    }
    for (std::string_view a : auds)
        for (const auto& want : p.audiences)
            if (a == want) return {};
    return claim_error(Status::jwt_audience_mismatch, "no audience of the token is configured here");
}

Result<void> check_claims(const JsonObject& claims, const ClaimsPolicy& p, std::int64_t now) {
    if (auto r = check_time_claims(claims, p, now); !r) return r;
    if (auto r = check_issuer(claims, p); !r) return r;
    return check_audience(claims, p);
}

Result<void> check_jti_once(const JsonObject& claims, const ClaimsPolicy& p, std::int64_t now, ReplayCache& replay) {
    auto jti = claims.string("jti");
    if (!jti || jti->empty()) return claim_error(Status::jwt_missing_claim, "'jti' is required for replay detection");
    std::int64_t exp = 0;
    std::int64_t until = claims.integer("exp", exp) == IntMember::ok ? exp + p.leeway : now + 24 * 3600;
    auto first = replay.first_use("jwt", *jti, std::max(until, now) + 1);
    if (!first) return first.error();
    if (!first.value()) return claim_error(Status::jwt_replayed, "jti already used");
    return {};
}

}  // namespace hdsso
