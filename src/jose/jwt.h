// Minting JWTs: what the helpdesk brokers (Deskpro, Zendesk, Kayako,
// Freshworks) and `hdsso jwt sign` call.
#pragma once

#include <cstdint>
#include <string>

#include "jose/json.h"
#include "jose/jwk.h"

namespace hdsso {

// Signs `claims` with iat = now, exp = now + ttl and a random 128-bit jti
// added unless present.
Result<std::string> jwt_mint(const JwsKey& key, const JsonObject& claims, std::int64_t now, std::int64_t ttl);

}  // namespace hdsso
