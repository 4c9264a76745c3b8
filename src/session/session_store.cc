#include "session/session_store.h"

#include <algorithm>

#include "core/crypto.h"

namespace hdsso {

namespace {
constexpr std::size_t kIdBytes = 32;
constexpr std::size_t kIdChars = 43;  // base64url of 32 bytes, no padding
}  // namespace

bool SessionStore::well_formed_id(std::string_view id) {
    if (id.size() != kIdChars) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_';
    });
}

std::string SessionStore::key(std::string_view id) const { return "hdsso:s:" + base64url_encode(sha256(id)); }

std::int64_t SessionStore::store_expiry(const Session& s) const {
    if (policy_.idle_timeout <= 0) return s.expires;
    return std::min(s.expires, s.last_seen + policy_.idle_timeout);
}

Result<Session> SessionStore::create(const Identity& identity, std::string_view binding) {
    auto rnd = random_bytes(kIdBytes);
    if (!rnd) return rnd.error();
    Session s;
    s.id = base64url_encode(rnd.value());
    s.binding = std::string(binding);
    s.identity = identity;
    s.created = s.last_seen = clock_.now();
    s.expires = s.created + policy_.lifetime;
    if (identity.expiry > 0) s.expires = std::min(s.expires, identity.expiry);
    auto put = kv_.put(key(s.id), encode_session(s), store_expiry(s));
    if (!put) return put.error();
    return s;
}

Result<std::optional<Session>> SessionStore::get(std::string_view id, std::string_view binding) {
    using Maybe = std::optional<Session>;
    if (!well_formed_id(id)) return Maybe();
    const std::string k = key(id);
    // Read through any cache; a verdict that ends the session is checked
    // once more against the shared store, which another process may have
    // touched meanwhile.
    for (int fresh = 0; fresh < 2; ++fresh) {
        auto rec = fresh ? kv_.get_fresh(k) : kv_.get(k);
        if (!rec) return rec.error();
        if (!rec.value()) return Maybe();
        auto dec = decode_session(*rec.value());
        if (!dec) return dec.error();
        Session s = std::move(dec.value());
        s.id = std::string(id);
        if (s.binding != binding) return Maybe();
        std::int64_t now = clock_.now();
        bool idle = policy_.idle_timeout > 0 && now - s.last_seen >= policy_.idle_timeout;
        if (now < s.expires && !idle) return Maybe(std::move(s));
        if (!fresh) continue;
        auto rm = kv_.remove(k);
        if (!rm) return rm.error();
    }
    return Maybe();
}

Result<void> SessionStore::touch(Session& s) {
    std::int64_t now = clock_.now();
    if (now - s.last_seen < policy_.touch_interval) return {};
    s.last_seen = now;
    return kv_.put(key(s.id), encode_session(s), store_expiry(s));
}

Result<void> SessionStore::destroy(std::string_view id) {
    if (!well_formed_id(id)) return {};
    return kv_.remove(key(id));
}

}  // namespace hdsso
