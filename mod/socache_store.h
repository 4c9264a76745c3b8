// KvStore over Apache's mod_socache (shmcb by default; memcache or redis
// shared by several servers). One instance for the whole server, created at
// post_config; the per-request adapter holds only pointers.
#pragma once

#include "httpd.h"

#include "core/clock.h"
#include "core/kv_store.h"
#include "session/session_store.h"
#include "mod/config.h"

namespace hdsso::mod {

// Lifecycle, following mod_ssl and mod_authn_socache.
int cache_pre_config(apr_pool_t* pconf);
int cache_post_config(apr_pool_t* pconf, apr_pool_t* ptemp, server_rec* s);
void cache_child_init(apr_pool_t* p, server_rec* s);

class SocacheKvStore final : public KvStore {
public:
    explicit SocacheKvStore(request_rec* r) : r_(r), cc_(cache_config()) {}
    Result<std::optional<std::string>> get(std::string_view key) override;
    Result<void> put(std::string_view key, std::string_view value, std::int64_t expires_at) override;
    Result<void> remove(std::string_view key) override;
    Result<bool> insert_if_absent(std::string_view key, std::string_view value,
                                  std::int64_t expires_at) override;

private:
    class Lock;
    bool ready() const { return cc_.provider && cc_.instance; }
    Result<std::optional<std::string>> get_locked(std::string_view key);
    Result<void> put_locked(std::string_view key, std::string_view value, std::int64_t expires_at);
    request_rec* r_;
    CacheConfig& cc_;
};

// What a request uses: the shared socache, and sessions over it with this
// process's session cache in front.
class RequestStores {
public:
    RequestStores(request_rec* r, const SessionPolicy& policy);
    SessionStore& sessions() { return sessions_; }
    KvStore& shared() { return socache_; }
    // One-time checks (replay of links, JWTs, assertions, sign-in states).
    OneTimeStore& one_time() { return socache_; }
    // The key that seals sign-in state into the browser's cookie: the same
    // in every process of this server.
    Result<std::string> sealing_key();
    static const Clock& clock();

private:
    SocacheKvStore socache_;
    SharedGeneration generation_;
    SessionStore sessions_;
};

}  // namespace hdsso::mod
