// JWT claim checks (RFC 7519), each a separate step taking `now`. exp and
// aud are required unless explicitly waived: a token without exp never
// expires, and an empty audience list would accept any audience.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/replay_cache.h"
#include "jose/json.h"

namespace hdsso {

struct ClaimsPolicy {
    std::string issuer;                  // exact match when set
    std::vector<std::string> audiences;  // one must appear in aud
    bool waive_audience = false;         // accept a token whatever its aud
    bool require_exp = true;
    std::int64_t leeway = 60;            // seconds, for exp, nbf and iat
    std::int64_t max_age = 0;            // iat no older than this (0: no limit)
};

// The claim set of a verified JWS: one JSON object.
Result<JsonObject> parse_claims(std::string_view payload);

Result<void> check_time_claims(const JsonObject& claims, const ClaimsPolicy& p, std::int64_t now);
Result<void> check_issuer(const JsonObject& claims, const ClaimsPolicy& p);
Result<void> check_audience(const JsonObject& claims, const ClaimsPolicy& p);
// All of the above, in that order.
Result<void> check_claims(const JsonObject& claims, const ClaimsPolicy& p, std::int64_t now);
// One-time use of jti (required), remembered until exp + leeway.
Result<void> check_jti_once(const JsonObject& claims, const ClaimsPolicy& p, std::int64_t now, ReplayCache& replay);

}  // namespace hdsso
