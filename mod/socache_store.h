// The module's store, one per Apache server (HelpdeskSSOCache):
//
// - shmcb (default): sessions and the SAML single-logout index in a
//   mod_socache_shmcb instance, one-time records (used links, JWT jti, SAML
//   assertion IDs) in a ReplayTable of their own, apart from sessions, so
//   neither can push the other out. Both live in shared memory created once
//   in the Apache parent's process pool, with the global mutex, the session
//   generation and the sign-in state sealing key: every configuration
//   generation (apachectl graceful, restart) and every child, old or new,
//   uses the same memory, and state survives reloads. A full stop loses it.
// - redis:HOST:PORT and memcache:HOST:PORT[,...]: RedisKvStore and
//   MemcachedKvStore (src/store/) for sessions, the single-logout index and
//   one-time checks (SET NX / add: atomic across servers).
#pragma once

#include <string>
#include <vector>

#include "httpd.h"
#include "http_config.h"

#include "core/clock.h"
#include "core/kv_store.h"
#include "core/metrics.h"
#include "session/session_store.h"
#include "mod/dir_config.h"

namespace hdsso::mod {

// Lifecycle (mod_helpdesk_sso.cc calls them from its hooks).
int cache_pre_config(apr_pool_t* pconf);
int cache_post_config(apr_pool_t* pconf, apr_pool_t* ptemp, server_rec* s);
void cache_child_init(apr_pool_t* p, server_rec* s);

// HelpdeskSSOCache, HelpdeskSSOSessionCacheTTL, HelpdeskSSOReplayCapacity,
// HelpdeskSSOCacheAuth, HelpdeskSSOCacheDatabase, HelpdeskSSOCacheTimeout
// (main server only).
const command_rec* store_commands();

// The stores' own figures for <prefix>/metrics (entries, capacity,
// evictions where each can tell): read now, through `r` for shmcb (its
// status output, before anything of the answer is written; left out with
// `with_shmcb` false, as in mod_status's page, which has started). A store
// that cannot answer is left out, with an HDSSO062 warning.
std::vector<StoreGauges> store_gauges(request_rec* r, bool with_shmcb);
// register_hooks: the output filter that reads shmcb's status.
void register_store_filters();

// KvStore over the shmcb instance. Keys are spread (spread_key) so shmcb's
// subcache choice, the key's first byte, sees a hash.
class SocacheKvStore final : public KvStore {
public:
    explicit SocacheKvStore(request_rec* r) : r_(r) {}
    Result<std::optional<std::string>> get(std::string_view key) override;
    Result<void> put(std::string_view key, std::string_view value, std::int64_t expires_at) override;
    Result<void> remove(std::string_view key) override;
    Result<bool> insert_if_absent(std::string_view key, std::string_view value,
                                  std::int64_t expires_at) override;

private:
    Result<std::optional<std::string>> get_locked(const std::string& physical);
    Result<void> put_locked(const std::string& physical, std::string_view value, std::int64_t expires_at);
    request_rec* r_;
};

// One-time checks in the shared-memory replay table, under the global mutex.
class ReplayTableStore final : public OneTimeStore {
public:
    Result<bool> insert_if_absent(std::string_view key, std::string_view value,
                                  std::int64_t expires_at) override;
};

// What a request uses.
class RequestStores {
public:
    RequestStores(request_rec* r, const SessionPolicy& policy);
    // Sessions, with this process's session cache in front.
    SessionStore& sessions() { return sessions_; }
    // The store under sessions; also holds the single-logout index.
    KvStore& shared() { return *kv_; }
    // One-time records: the replay table (shmcb), or the remote engine.
    OneTimeStore& one_time() { return *one_time_; }
    // 32 random bytes that seal sign-in state into the browser's cookie:
    // the same in every process of this server and across graceful
    // restarts (shmcb), or on every server sharing the remote store.
    Result<std::string> sealing_key();
    static const Clock& clock();

private:
    SocacheKvStore socache_;
    ReplayTableStore replay_;
    KvStore* kv_;
    OneTimeStore* one_time_;
    SharedGeneration generation_;
    SessionStore sessions_;
};

}  // namespace hdsso::mod
