#include "jose/jwt.h"

#include "jose/jws.h"

namespace hdsso {

Result<std::string> jwt_mint(const JwsKey& key, const JsonObject& claims, std::int64_t now, std::int64_t ttl) {
    JsonWriter w;
    w.begin_object();
    for (const auto& [name, value] : claims.members_json()) w.key(name).raw(value);
    if (!claims.has("iat")) w.key("iat").integer(now);
    if (!claims.has("exp")) w.key("exp").integer(now + ttl);
    if (!claims.has("jti")) {
        auto rnd = random_bytes(16);
        if (!rnd) return rnd.error();
        w.key("jti").string(base64url_encode(rnd.value()));
    }
    w.end_object();
    return jws_sign(key, w.text());
}

}  // namespace hdsso
