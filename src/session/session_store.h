// Server-side sessions over a KvStore. The browser holds only a random id;
// the store is keyed by a hash of it, so a dump of the store yields no
// usable cookie. Each session is bound to the virtual host that issued it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/kv_store.h"
#include "session/session_codec.h"

namespace hdsso {

struct SessionPolicy {
    std::int64_t lifetime = 8 * 3600;   // absolute, from sign-in
    std::int64_t idle_timeout = 3600;   // 0: none
    // last_seen is written back at most this often, so a busy user does not
    // cost a store write per request.
    std::int64_t touch_interval = 60;
};

class SessionStore {
public:
    SessionStore(KvStore& kv, const Clock& clock, SessionPolicy policy)
        : kv_(kv), clock_(clock), policy_(policy) {}

    // A new session with a fresh random id (never one the client chose).
    Result<Session> create(const Identity& identity, std::string_view binding);
    // Empty when there is no usable session: unknown id, malformed id,
    // expired, idle too long, or issued for another binding.
    Result<std::optional<Session>> get(std::string_view id, std::string_view binding);
    // Records activity for the idle timeout (writes only every touch_interval).
    Result<void> touch(Session& s);
    Result<void> destroy(std::string_view id);

    static bool well_formed_id(std::string_view id);

private:
    std::string key(std::string_view id) const;
    std::int64_t store_expiry(const Session& s) const;

    KvStore& kv_;
    const Clock& clock_;
    SessionPolicy policy_;
};

}  // namespace hdsso
