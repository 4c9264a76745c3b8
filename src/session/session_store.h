// Server-side sessions over a KvStore. The browser holds only a random id;
// the store is keyed by a hash of it, so a dump of the store yields no
// usable cookie. Each session is bound to the virtual host that issued it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/kv_store.h"
#include "session/session_cache.h"
#include "session/session_codec.h"

namespace hdsso {

struct SessionPolicy {
    std::int64_t lifetime = 8 * 3600;   // absolute, from sign-in
    std::int64_t idle_timeout = 3600;   // 0: none
    // last_seen is written back at most this often, so a busy user does not
    // cost a store write per request.
    std::int64_t touch_interval = 60;
};

using SessionPtr = std::shared_ptr<const Session>;

class SessionStore {
public:
    // `cache` and `generation` are optional (both or neither): the
    // process-wide cache of decoded sessions and the counter that
    // invalidates it.
    SessionStore(KvStore& kv, const Clock& clock, SessionPolicy policy, SessionCache* cache = nullptr,
                 Generation* generation = nullptr)
        : kv_(kv), clock_(clock), policy_(policy), cache_(generation ? cache : nullptr), gen_(generation) {}

    // A new session with a fresh random id (never one the client chose).
    Result<SessionPtr> create(const Identity& identity, std::string_view binding);
    // Null when there is no usable session: unknown id, malformed id,
    // expired, idle too long, or issued for another binding.
    Result<SessionPtr> get(std::string_view id, std::string_view binding);
    // Records activity for the idle timeout (writes only every touch_interval).
    Result<void> touch(const Session& s);
    Result<void> destroy(std::string_view id);

    static bool well_formed_id(std::string_view id);
    // A session's handle: the hash the store keys it by, not its id. Indexes
    // (single logout) keep handles, so the cache never holds a usable cookie.
    static std::string handle(std::string_view id);
    Result<void> destroy_by_handle(std::string_view handle);

private:
    std::string key(std::string_view id) const;
    std::int64_t store_expiry(const Session& s) const;
    bool usable(const Session& s, std::string_view binding, std::int64_t now) const;
    Result<void> put(const Session& s);
    void remember(SessionPtr s, std::uint64_t gen);

    KvStore& kv_;
    const Clock& clock_;
    SessionPolicy policy_;
    SessionCache* cache_;
    Generation* gen_;
};

}  // namespace hdsso
