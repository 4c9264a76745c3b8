#include "mod/socache_store.h"

#include <atomic>
#include <memory>
#include <new>
#include <vector>

#include "apr_shm.h"

#include "ap_provider.h"
#include "apr_strings.h"
#include "http_log.h"
#include "util_mutex.h"

#include "core/crypto.h"
#include "session/session_codec.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

constexpr const char* kMutexType = "helpdesk-sso-cache";
constexpr const char* kCacheName = "hdsso";

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

Error unavailable(const char* what, apr_status_t rv) {
    char buf[120];
    apr_strerror(rv, buf, sizeof buf);
    return make_error(Status::store_unavailable, std::string(what) + ": " + buf);
}

constexpr int kDefaultProcessCacheTtl = 10;
constexpr std::size_t kProcessCacheEntries = 10000;

using Counter = std::atomic<std::uint64_t>;
static_assert(Counter::is_always_lock_free, "the shared generation must be lock-free to work across processes");

// Reset at every post_config (children are forked after it, so each child
// has its own copy).
std::unique_ptr<SessionCache>& process_cache() {
    static std::unique_ptr<SessionCache> cache;
    return cache;
}

// Made in the parent at post_config, so every child has the same.
std::string& sealing_key_storage() {
    static std::string key;
    return key;
}

// Stands in when post_config did not run (a configuration failure): every
// request then reaches the shared store, which reports itself unavailable.
Counter g_fallback_generation{0};

apr_status_t destroy_cache(void* server) {
    CacheConfig& cc = cache_config();
    if (cc.provider && cc.instance) cc.provider->destroy(cc.instance, static_cast<server_rec*>(server));
    cc.instance = nullptr;
    cc.mutex = nullptr;
    return APR_SUCCESS;
}

}  // namespace

int cache_pre_config(apr_pool_t* pconf) {
    CacheConfig& cc = cache_config();
    cc = CacheConfig{};
    cc.process_cache_ttl = -1;
    return ap_mutex_register(pconf, kMutexType, nullptr, APR_LOCK_DEFAULT, 0) == APR_SUCCESS ? OK : 500;
}

int cache_post_config(apr_pool_t* pconf, apr_pool_t* ptemp, server_rec* s) {
    CacheConfig& cc = cache_config();
    if (!cc.provider) {
        cc.spec = "shmcb";
        cc.provider = static_cast<const ap_socache_provider_t*>(
            ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, "shmcb", AP_SOCACHE_PROVIDER_VERSION));
        if (!cc.provider) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         "HDSSO001: no session cache: load mod_socache_shmcb (a2enmod socache_shmcb) "
                         "or set HelpdeskSSOCache to another provider");
            return 500;
        }
        if (const char* err = cc.provider->create(&cc.instance, nullptr, ptemp, pconf)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "HDSSO002: cannot create the session cache: %s", err);
            return 500;
        }
    }
    apr_status_t rv = ap_global_mutex_create(&cc.mutex, nullptr, kMutexType, nullptr, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "HDSSO003: cannot create the session cache mutex");
        return 500;
    }
    struct ap_socache_hints hints = {64, 512, 600};
    rv = cc.provider->init(cc.instance, kCacheName, &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "HDSSO004: cannot initialise the session cache '%s'",
                     cc.spec);
        return 500;
    }
    apr_pool_cleanup_register(pconf, s, destroy_cache, apr_pool_cleanup_null);

    // The session generation lives in anonymous shared memory, so a logout
    // in one process invalidates the read caches of all others at once.
    apr_shm_t* shm = nullptr;
    rv = apr_shm_create(&shm, sizeof(Counter), nullptr, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "HDSSO006: cannot create shared memory for the session cache");
        return 500;
    }
    cc.generation = new (apr_shm_baseaddr_get(shm)) Counter(0);
    if (sealing_key_storage().empty()) {
        auto key = random_bytes(32);
        if (!key) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "HDSSO007: no random key for sign-in state: %s",
                         key.error().detail.c_str());
            return 500;
        }
        sealing_key_storage() = key.value();
    }
    int ttl = cc.process_cache_ttl < 0 ? kDefaultProcessCacheTtl : cc.process_cache_ttl;
    process_cache() = std::make_unique<SessionCache>(ttl, kProcessCacheEntries);
    return OK;
}

void cache_child_init(apr_pool_t* p, server_rec* s) {
    CacheConfig& cc = cache_config();
    if (!cc.mutex) return;
    apr_status_t rv = apr_global_mutex_child_init(&cc.mutex, apr_global_mutex_lockfile(cc.mutex), p);
    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "HDSSO005: cannot attach to the session cache mutex");
}

static SessionCache* process_cache_or_off() {
    static SessionCache off(0, 0);
    return process_cache() ? process_cache().get() : &off;
}

// Holds the global mutex when the provider needs it (shmcb) or when the
// caller needs atomicity (check-and-insert), for the scope's lifetime.
class SocacheKvStore::Lock {
public:
    Lock(CacheConfig& cc, bool always) : cc_(cc) {
        bool need = always || (cc.provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE);
        if (!need) return;
        rv_ = cc.mutex ? apr_global_mutex_lock(cc.mutex) : APR_ENOLOCK;
        held_ = rv_ == APR_SUCCESS;
    }
    ~Lock() {
        if (held_) apr_global_mutex_unlock(cc_.mutex);
    }
    bool failed() const { return rv_ != APR_SUCCESS; }
    apr_status_t status() const { return rv_; }

private:
    CacheConfig& cc_;
    apr_status_t rv_ = APR_SUCCESS;
    bool held_ = false;
};

Result<std::optional<std::string>> SocacheKvStore::get_locked(std::string_view key) {
    thread_local std::vector<unsigned char> buf(kMaxSessionRecord);
    unsigned int len = static_cast<unsigned int>(buf.size());
    apr_status_t rv = cc_.provider->retrieve(cc_.instance, r_->server, bytes(key),
                                             static_cast<unsigned int>(key.size()), buf.data(), &len, r_->pool);
    if (rv == APR_NOTFOUND) return std::optional<std::string>();
    if (rv != APR_SUCCESS) return unavailable("socache retrieve", rv);
    return std::optional<std::string>(std::string(reinterpret_cast<char*>(buf.data()), len));
}

Result<void> SocacheKvStore::put_locked(std::string_view key, std::string_view value, std::int64_t expires_at) {
    apr_status_t rv = cc_.provider->store(cc_.instance, r_->server, bytes(key), static_cast<unsigned int>(key.size()),
                                          apr_time_from_sec(expires_at),
                                          const_cast<unsigned char*>(bytes(value)),
                                          static_cast<unsigned int>(value.size()), r_->pool);
    if (rv != APR_SUCCESS) return unavailable("socache store", rv);
    return {};
}

Result<std::optional<std::string>> SocacheKvStore::get(std::string_view key) {
    if (!ready()) return make_error(Status::store_unavailable, "session cache not initialised");
    Lock lock(cc_, false);
    if (lock.failed()) return unavailable("cache mutex", lock.status());
    return get_locked(key);
}

Result<void> SocacheKvStore::put(std::string_view key, std::string_view value, std::int64_t expires_at) {
    if (!ready()) return make_error(Status::store_unavailable, "session cache not initialised");
    Lock lock(cc_, false);
    if (lock.failed()) return unavailable("cache mutex", lock.status());
    return put_locked(key, value, expires_at);
}

Result<void> SocacheKvStore::remove(std::string_view key) {
    if (!ready()) return make_error(Status::store_unavailable, "session cache not initialised");
    Lock lock(cc_, false);
    if (lock.failed()) return unavailable("cache mutex", lock.status());
    apr_status_t rv = cc_.provider->remove(cc_.instance, r_->server, bytes(key),
                                           static_cast<unsigned int>(key.size()), r_->pool);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) return unavailable("socache remove", rv);
    return {};
}

// Atomic on one server through the global mutex. socache has no "add"
// operation, so servers sharing memcache or redis can race within the few
// microseconds between retrieve and store; README says so.
Result<bool> SocacheKvStore::insert_if_absent(std::string_view key, std::string_view value,
                                              std::int64_t expires_at) {
    if (!ready()) return make_error(Status::store_unavailable, "session cache not initialised");
    Lock lock(cc_, true);
    if (lock.failed()) return unavailable("cache mutex", lock.status());
    auto existing = get_locked(key);
    if (!existing) return existing.error();
    if (existing.value()) return false;
    auto put = put_locked(key, value, expires_at);
    if (!put) return put.error();
    return true;
}

Result<std::string> RequestStores::sealing_key() {
    if (sealing_key_storage().empty()) return make_error(Status::store_unavailable, "no sealing key");
    return sealing_key_storage();
}

const Clock& RequestStores::clock() {
    static const SystemClock clock;
    return clock;
}

RequestStores::RequestStores(request_rec* r, const SessionPolicy& policy)
    : socache_(r),
      generation_(cache_config().generation ? static_cast<Counter*>(cache_config().generation)
                                            : &g_fallback_generation),
      sessions_(socache_, clock(), policy, process_cache_or_off(), &generation_) {}

}  // namespace hdsso::mod
