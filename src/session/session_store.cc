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

std::string SessionStore::handle(std::string_view id) { return base64url_encode(sha256(id)); }

std::string SessionStore::key(std::string_view id) const { return "hdsso:s:" + handle(id); }

std::int64_t SessionStore::store_expiry(const Session& s) const {
    if (policy_.idle_timeout <= 0) return s.expires;
    return std::min(s.expires, s.last_seen + policy_.idle_timeout);
}

bool SessionStore::usable(const Session& s, std::string_view binding, std::int64_t now) const {
    bool idle = policy_.idle_timeout > 0 && now - s.last_seen >= policy_.idle_timeout;
    return s.binding == binding && now < s.expires && !idle;
}

Result<void> SessionStore::put(const Session& s) { return kv_.put(key(s.id), encode_session(s), store_expiry(s)); }

void SessionStore::remember(SessionPtr s, std::uint64_t gen) {
    if (cache_) cache_->store(std::move(s), clock_.now(), gen);
}

Result<SessionPtr> SessionStore::create(const Identity& identity, std::string_view binding) {
    auto rnd = random_bytes(kIdBytes);
    if (!rnd) return rnd.error();
    auto s = std::make_shared<Session>();
    s->id = base64url_encode(rnd.value());
    s->binding = std::string(binding);
    s->identity = identity;
    s->created = s->last_seen = clock_.now();
    s->expires = s->created + policy_.lifetime;
    if (identity.expiry > 0) s->expires = std::min(s->expires, identity.expiry);
    std::uint64_t gen = gen_ ? gen_->current() : 0;
    if (auto r = put(*s); !r) return r.error();
    remember(s, gen);
    return SessionPtr(std::move(s));
}

Result<SessionPtr> SessionStore::get(std::string_view id, std::string_view binding) {
    if (!well_formed_id(id)) return SessionPtr();
    std::int64_t now = clock_.now();
    std::string sid(id);
    // A cached copy that is still usable answers. One that is not (it may be
    // older than a touch by another process) is checked against the store.
    if (cache_) {
        SessionPtr cached = cache_->find(sid, now, gen_->current());
        if (cached && usable(*cached, binding, now)) return cached;
    }
    std::uint64_t gen = gen_ ? gen_->current() : 0;  // before the read: a racing destroy wins
    const std::string k = key(id);
    auto rec = kv_.get(k);
    if (!rec) return rec.error();
    if (!rec.value()) return SessionPtr();
    auto dec = decode_session(*rec.value());
    if (!dec) return dec.error();
    auto s = std::make_shared<Session>(std::move(dec.value()));
    s->id = std::move(sid);
    if (s->binding != binding) return SessionPtr();
    if (!usable(*s, binding, now)) {
        if (auto rm = destroy(id); !rm) return rm.error();
        return SessionPtr();
    }
    remember(s, gen);
    return SessionPtr(std::move(s));
}

Result<void> SessionStore::touch(const Session& s) {
    std::int64_t now = clock_.now();
    if (now - s.last_seen < policy_.touch_interval) return {};
    auto updated = std::make_shared<Session>(s);
    updated->last_seen = now;
    std::uint64_t gen = gen_ ? gen_->current() : 0;
    if (auto r = put(*updated); !r) return r;
    remember(std::move(updated), gen);
    return {};
}

Result<void> SessionStore::destroy(std::string_view id) {
    if (!well_formed_id(id)) return {};
    if (cache_) {
        gen_->bump();
        cache_->erase(std::string(id));
    }
    return kv_.remove(key(id));
}

Result<void> SessionStore::destroy_by_handle(std::string_view h) {
    if (h.size() != 43) return {};  // base64url of 32 bytes
    // The process cache is keyed by id, which a handle does not give back:
    // the generation bump makes every process read the store again.
    if (cache_) gen_->bump();
    return kv_.remove("hdsso:s:" + std::string(h));
}

}  // namespace hdsso
