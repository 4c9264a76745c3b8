#include "core/replay_cache.h"

#include <string>

#include "core/crypto.h"

namespace hdsso {

Result<bool> ReplayCache::first_use(std::string_view ns, std::string_view id, std::int64_t expires_at) {
    std::string material(ns);
    material.push_back('\0');
    material.append(id);
    std::string key = "hdsso:r:" + base64url_encode(sha256(material));
    return store_.insert_if_absent(key, "1", expires_at);
}

}  // namespace hdsso
