// One-time use of sign-in material (HMAC hashes, later JWT jti and SAML
// assertion IDs), over any KvStore. Keys are hashed, so the store never holds
// a usable token and every backend gets short, safe keys.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/kv_store.h"

namespace hdsso {

class ReplayCache {
public:
    explicit ReplayCache(OneTimeStore& store) : store_(store) {}
    // True the first time (namespace, id) is seen before expires_at; false on
    // any later call. store.unavailable if the store cannot answer: callers
    // must refuse the sign-in then (fail closed).
    Result<bool> first_use(std::string_view ns, std::string_view id, std::int64_t expires_at);

private:
    OneTimeStore& store_;
};

}  // namespace hdsso
