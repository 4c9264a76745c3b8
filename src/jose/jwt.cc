#include "jose/jwt.h"

#include "jose/jws.h"

namespace hdsso {

Result<std::string> jwt_mint(const JwsKey& key, json_t* claims, std::int64_t now, std::int64_t ttl) {
    if (!json_is_object(claims)) return make_error(Status::config_invalid, "claims must be a JSON object");
    if (!json_object_get(claims, "iat")) json_object_set_new(claims, "iat", json_integer(now));
    if (!json_object_get(claims, "exp")) json_object_set_new(claims, "exp", json_integer(now + ttl));
    if (!json_object_get(claims, "jti")) {
        auto rnd = random_bytes(16);
        if (!rnd) return rnd.error();
        json_object_set_new(claims, "jti", json_string(base64url_encode(rnd.value()).c_str()));
    }
    CPtr<char, free> text(json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII));
    if (!text) return make_error(Status::internal, "claims could not be serialised");
    return jws_sign(key, text.get());
}

}  // namespace hdsso
