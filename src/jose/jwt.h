// Minting JWTs: what the helpdesk brokers (Deskpro, Zendesk, Kayako,
// Freshworks) and `hdsso jwt sign` call.
#pragma once

#include <cstdint>
#include <string>

#include "jose/json.h"
#include "jose/jwk.h"

namespace hdsso {

// Signs `claims` (a JSON object, completed in place): iat = now,
// exp = now + ttl and a random 128-bit jti are added unless present.
Result<std::string> jwt_mint(const JwsKey& key, json_t* claims, std::int64_t now, std::int64_t ttl);

}  // namespace hdsso
