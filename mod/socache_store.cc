#include "mod/socache_store.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <vector>

#include "ap_provider.h"
#include "ap_socache.h"
#include "apr_global_mutex.h"
#include "apr_lib.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mod_status.h"
#include "util_filter.h"
#include "util_mutex.h"

#include "core/crypto.h"
#include "core/secret_file.h"
#include "session/session_codec.h"
#include "store/memcached_store.h"
#include "store/redis_store.h"
#include "store/remote_options.h"
#include "store/replay_table.h"
#include "store/spread_key.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

constexpr const char* kMutexType = "helpdesk-sso-cache";
constexpr const char* kCacheName = "hdsso";
constexpr const char* kPersistentKey = "helpdesk_sso: persistent store";

// shmcb: 32 MiB by default. A session record is 182 bytes (remote
// authentication: name and email) to 548 bytes (SAML, five attributes and
// three groups), plus a 53-byte key and shmcb's 24-byte index entry; the
// hints below size shmcb's index for a 300-byte record and a 60-byte key
// (128 subcaches of 728 entries at 32 MiB).
constexpr long kDefaultSessionCacheBytes = 32L * 1024 * 1024;
constexpr unsigned kHintIdLen = 60;
constexpr unsigned kHintObjSize = 300;

// 524288 one-time records (12 MiB). The table refuses its first insert at
// 57-67% of that, so about 300,000 live records: 10,000 sign-ins a minute
// through a whole 30-minute remote-authentication window.
constexpr std::size_t kDefaultReplayCapacity = 524288;
constexpr std::size_t kMaxReplayCapacity = 64 * 1024 * 1024;

constexpr int kDefaultProcessCacheTtl = 10;
constexpr std::size_t kProcessCacheEntries = 10000;

// In remote mode the sealing key lives in the store, where every server
// finds it; each process reads it again this often, so a key lost to an
// eviction (and replaced by another server) is not used for long.
constexpr const char* kSealingKeyName = "hdsso:k:sealing";
constexpr std::size_t kSealingKeyBytes = 32;
constexpr std::int64_t kSealingKeyLifetime = 365L * 24 * 3600;
constexpr std::int64_t kSealingKeyRecheck = 60;

using Counter = std::atomic<std::uint64_t>;
static_assert(Counter::is_always_lock_free, "the shared generation must be lock-free to work across processes");

enum class Engine { shmcb, redis, memcache };

// What the directives say, for this configuration generation.
struct StoreConfig {
    bool cache_set = false;
    Engine engine = Engine::shmcb;
    const char* spec = "shmcb";
    const char* shmcb_arg = nullptr;  // after "shmcb:", as written
    RemoteStoreOptions remote;
    bool auth_set = false;
    bool database_set = false;
    bool timeout_set = false;
    std::size_t replay_capacity = 0;  // 0: default
    int process_cache_ttl = -1;       // -1: default
};

StoreConfig& store_config() {
    static StoreConfig sc;
    return sc;
}

// Shared memory at the head of everything: made once per Apache parent.
struct Control {
    Counter generation;  // bumped by every session end: process caches drop their copies
    unsigned char sealing_key[kSealingKeyBytes];
};

// What outlives configuration generations, in the parent's process pool
// (apr_pool_userdata): the global mutex, the control block, the shmcb
// instance and the replay table's region. Old children still finishing
// requests after a graceful restart use the same memory and mutex.
struct Persistent {
    apr_global_mutex_t* mutex;
    Control* control;
    const char* shmcb_arg;  // what `sessions` was made with
    ap_socache_instance_t* sessions;
    void* replay_region;
    apr_size_t replay_bytes;
    std::size_t replay_capacity;
};

// This process's view, set by post_config in the parent (children inherit
// it).
struct Live {
    Persistent* persistent = nullptr;
    const ap_socache_provider_t* provider = nullptr;  // this generation's shmcb
    std::optional<ReplayTable> table;
    std::unique_ptr<KvStore> remote;
    std::unique_ptr<SessionCache> process_cache;
};

Live& live() {
    static Live lv;
    return lv;
}

// Stands in when post_config did not run (a configuration failure): every
// request then reaches the store, which reports itself unavailable.
Counter g_fallback_generation{0};

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

Error unavailable(const char* what, apr_status_t rv) {
    char buf[120];
    apr_strerror(rv, buf, sizeof buf);
    return make_error(Status::store_unavailable, std::string(what) + ": " + buf);
}

const char* engine_name(Engine e) {
    switch (e) {
        case Engine::redis: return "redis";
        case Engine::memcache: return "memcache";
        case Engine::shmcb: break;
    }
    return "shmcb";
}

// Holds the global mutex for the scope's lifetime.
class Lock {
public:
    Lock() {
        Persistent* ps = live().persistent;
        mutex_ = ps ? ps->mutex : nullptr;
        rv_ = mutex_ ? apr_global_mutex_lock(mutex_) : APR_ENOLOCK;
    }
    ~Lock() {
        if (rv_ == APR_SUCCESS) apr_global_mutex_unlock(mutex_);
    }
    bool failed() const { return rv_ != APR_SUCCESS; }
    apr_status_t status() const { return rv_; }

private:
    apr_global_mutex_t* mutex_;
    apr_status_t rv_;
};

// ---- Directives ------------------------------------------------------------

const char* combination_error(const StoreConfig& sc) {
    if ((sc.auth_set || sc.database_set) && sc.engine != Engine::redis)
        return "HelpdeskSSOCacheAuth and HelpdeskSSOCacheDatabase apply to HelpdeskSSOCache redis:HOST:PORT only";
    if (sc.timeout_set && sc.engine == Engine::shmcb)
        return "HelpdeskSSOCacheTimeout applies to HelpdeskSSOCache redis: or memcache: only";
    if (sc.replay_capacity && sc.engine != Engine::shmcb)
        return "HelpdeskSSOReplayCapacity applies to the shared-memory store (HelpdeskSSOCache shmcb) only; "
               "Redis and memcached hold one-time records themselves";
    return nullptr;
}

// Checked as each directive is read (in either order); with HelpdeskSSOCache
// unset, again at startup.
const char* conflicts(cmd_parms* cmd) {
    const StoreConfig& sc = store_config();
    if (!sc.cache_set) return nullptr;
    const char* why = combination_error(sc);
    return why ? apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, why) : nullptr;
}


bool ends_with_size(const char* arg) {
    std::size_t n = std::strlen(arg);
    return n && arg[n - 1] == ')' && std::strchr(arg, '(');
}

// The argument given to shmcb: the admin's, with our default size when it
// names none (shmcb's own default, 512 KiB, holds a few hundred sessions).
const char* shmcb_arg(apr_pool_t* p, const char* given) {
    if (!given || !*given)
        return apr_psprintf(p, "%s(%ld)", ap_runtime_dir_relative(p, "hdsso-sessions.cache"),
                            kDefaultSessionCacheBytes);
    if (ends_with_size(given)) return given;
    return apr_psprintf(p, "%s(%ld)", given, kDefaultSessionCacheBytes);
}

const ap_socache_provider_t* shmcb_provider() {
    return static_cast<const ap_socache_provider_t*>(
        ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, "shmcb", AP_SOCACHE_PROVIDER_VERSION));
}

bool host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_';
}

// HOST[:PORT] or [IPV6][:PORT].
bool parse_server(std::string_view item, int default_port, std::pair<std::string, int>& out) {
    std::string_view host, rest;
    if (!item.empty() && item[0] == '[') {
        std::size_t close = item.find(']');
        if (close == std::string_view::npos || close < 2) return false;
        host = item.substr(1, close - 1);
        for (char c : host)
            if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) return false;
        rest = item.substr(close + 1);
    } else {
        std::size_t colon = item.find(':');
        host = item.substr(0, colon);
        if (colon != std::string_view::npos) rest = item.substr(colon);
        if (host.empty() || !std::all_of(host.begin(), host.end(), host_char)) return false;
    }
    long port = default_port;
    if (!rest.empty()) {
        std::string digits(rest.substr(1));
        if (rest[0] != ':' || !parse_long(digits.c_str(), 1, 65535, port)) return false;
    }
    out = {std::string(host), static_cast<int>(port)};
    return true;
}

const char* set_cache(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    StoreConfig& sc = store_config();
    const char* colon = std::strchr(arg, ':');
    std::string name = colon ? std::string(arg, colon - arg) : std::string(arg);
    const char* rest = colon ? colon + 1 : nullptr;
    const char* expected = "shmcb[:PATH(SIZE)], redis:HOST:PORT or memcache:HOST:PORT[,HOST:PORT...]";
    if (name == "shmcb") {
        const ap_socache_provider_t* provider = shmcb_provider();
        if (!provider)
            return apr_psprintf(cmd->pool, "%s: load mod_socache_shmcb first (a2enmod socache_shmcb)", cmd->cmd->name);
        // shmcb checks its argument itself; apachectl -t reports it.
        if (rest) {
            ap_socache_instance_t* probe = nullptr;
            if (const char* err = provider->create(&probe, shmcb_arg(cmd->temp_pool, rest), cmd->temp_pool,
                                                   cmd->temp_pool))
                return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
        }
        sc.engine = Engine::shmcb;
        sc.shmcb_arg = rest ? apr_pstrdup(cmd->pool, rest) : nullptr;
        sc.remote.servers.clear();
    } else if (name == "redis" || name == "memcache") {
        bool redis = name == "redis";
        std::vector<std::pair<std::string, int>> servers;
        std::string_view list(rest ? rest : "");
        while (true) {
            std::size_t comma = list.find(',');
            std::pair<std::string, int> server;
            if (!parse_server(list.substr(0, comma), redis ? 6379 : 11211, server))
                return bad_value(cmd, redis ? "redis:HOST:PORT" : "memcache:HOST:PORT[,HOST:PORT...]", arg);
            servers.push_back(server);
            if (comma == std::string_view::npos) break;
            list.remove_prefix(comma + 1);
        }
        if (redis && servers.size() != 1) return bad_value(cmd, "one Redis server, redis:HOST:PORT", arg);
        sc.engine = redis ? Engine::redis : Engine::memcache;
        sc.remote.servers = std::move(servers);
        sc.shmcb_arg = nullptr;
    } else {
        return bad_value(cmd, expected, arg);
    }
    sc.cache_set = true;
    sc.spec = apr_pstrdup(cmd->pool, arg);
    return conflicts(cmd);
}

const char* set_cache_ttl(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    long v = 0;
    if (!parse_long(arg, 0, 300, v)) return bad_value(cmd, "a number of seconds from 0 to 300", arg);
    store_config().process_cache_ttl = static_cast<int>(v);
    return nullptr;
}

const char* set_replay_capacity(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    long v = 0;
    if (!parse_long(arg, static_cast<long>(ReplayTable::kMinCapacity), static_cast<long>(kMaxReplayCapacity), v))
        return bad_value(cmd,
                         apr_psprintf(cmd->pool, "a number of records from %" APR_SIZE_T_FMT " to %" APR_SIZE_T_FMT,
                                      ReplayTable::kMinCapacity, kMaxReplayCapacity),
                         arg);
    store_config().replay_capacity = static_cast<std::size_t>(v);
    return conflicts(cmd);
}

const char* set_cache_auth(cmd_parms* cmd, void*, const char* file, const char* user) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    StoreConfig& sc = store_config();
    const char* path = ap_server_root_relative(cmd->pool, file);
    if (!path) return bad_value(cmd, "a password file", file);
    auto secret = read_secret_file(path);
    if (!secret)
        return apr_psprintf(cmd->pool, "%s: cannot use '%s': %s", cmd->cmd->name, path, secret.error().detail.c_str());
    if (user) {
        if (!*user || std::strlen(user) > 256) return bad_value(cmd, "a Redis user name", user);
        for (const char* p = user; *p; ++p)
            if (static_cast<unsigned char>(*p) <= 0x20 || *p == 0x7f)
                return bad_value(cmd, "a Redis user name without spaces or control characters", user);
    }
    sc.remote.password.assign(secret.value().view());
    sc.remote.user = user ? user : "";
    sc.auth_set = true;
    return conflicts(cmd);
}

const char* set_cache_database(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    long v = 0;
    if (!parse_long(arg, 0, INT_MAX, v)) return bad_value(cmd, "a Redis database number (0 or more)", arg);
    store_config().remote.database = static_cast<int>(v);
    store_config().database_set = true;
    return conflicts(cmd);
}

const char* set_cache_timeout(cmd_parms* cmd, void*, const char* connect, const char* command) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    long c, k;
    const char* expected = "milliseconds from 1 to 60000";
    if (!parse_long(connect, 1, 60000, c)) return bad_value(cmd, expected, connect);
    if (command && !parse_long(command, 1, 60000, k)) return bad_value(cmd, expected, command);
    if (!command) k = c;
    StoreConfig& sc = store_config();
    sc.remote.connect_timeout_ms = static_cast<int>(c);
    sc.remote.command_timeout_ms = static_cast<int>(k);
    sc.timeout_set = true;
    return conflicts(cmd);
}

// ---- Startup ---------------------------------------------------------------

// The persistent state of this Apache parent, made on first use.
Persistent* persistent(server_rec* s) {
    apr_pool_t* proc = s->process->pool;
    void* data = nullptr;
    apr_pool_userdata_get(&data, kPersistentKey, proc);
    auto* ps = static_cast<Persistent*>(data);
    if (!ps) {
        ps = static_cast<Persistent*>(apr_pcalloc(proc, sizeof(Persistent)));
        apr_pool_userdata_set(ps, kPersistentKey, apr_pool_cleanup_null, proc);
    }
    if (!ps->control) {
        auto key = random_bytes(kSealingKeyBytes);
        if (!key) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "HDSSO006: no random bytes for the sealing key: %s",
                         key.error().detail.c_str());
            return nullptr;
        }
        apr_shm_t* shm = nullptr;
        apr_status_t rv = apr_shm_create(&shm, sizeof(Control), nullptr, proc);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "HDSSO006: cannot create shared memory for the store");
            return nullptr;
        }
        auto* control = new (apr_shm_baseaddr_get(shm)) Control{};
        std::memcpy(control->sealing_key, key.value().data(), kSealingKeyBytes);
        ps->control = control;
    }
    if (!ps->mutex) {
        apr_status_t rv = ap_global_mutex_create(&ps->mutex, nullptr, kMutexType, nullptr, s, proc, 0);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "HDSSO003: cannot create the store's mutex");
            ps->mutex = nullptr;
            return nullptr;
        }
    }
    return ps;
}

// The session cache: the one made by an earlier generation when it was made
// with the same argument, else a new one.
int attach_sessions(Persistent* ps, apr_pool_t* ptemp, server_rec* s) {
    const ap_socache_provider_t* provider = shmcb_provider();
    if (!provider) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "HDSSO001: no session cache: load mod_socache_shmcb (a2enmod socache_shmcb) "
                     "or set HelpdeskSSOCache to redis: or memcache:");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_t* proc = s->process->pool;
    const char* arg = shmcb_arg(ptemp, store_config().shmcb_arg);
    if (!ps->sessions || std::strcmp(ps->shmcb_arg, arg) != 0) {
        ap_socache_instance_t* instance = nullptr;
        if (const char* err = provider->create(&instance, arg, ptemp, proc)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "HDSSO002: cannot create the session cache '%s': %s", arg, err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        struct ap_socache_hints hints = {kHintIdLen, kHintObjSize, 600};
        apr_status_t rv = provider->init(instance, kCacheName, &hints, s, proc);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "HDSSO004: cannot initialise the session cache '%s'", arg);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (ps->sessions)
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                         "HDSSO007: HelpdeskSSOCache changed from shmcb '%s' to '%s': a new, empty session cache "
                         "(everyone signs in again; the old one's memory is released at the next full stop)",
                         ps->shmcb_arg, arg);
        ps->sessions = instance;
        ps->shmcb_arg = apr_pstrdup(proc, arg);
    }
    live().provider = provider;
    return OK;
}

// The replay table: the one an earlier generation made, or a new one; on a
// capacity change, a new table holding the old one's live records.
// Shared memory for a replay table of `capacity` records, in the process
// pool (it outlives graceful restarts); null, logged, when it cannot be made.
apr_shm_t* replay_region(server_rec* s, std::size_t capacity) {
    apr_shm_t* shm = nullptr;
    apr_status_t rv = apr_shm_create(&shm, ReplayTable::bytes_for(capacity), nullptr, s->process->pool);
    if (rv == APR_SUCCESS) return shm;
    ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                 "HDSSO006: cannot create %" APR_SIZE_T_FMT " bytes of shared memory for %" APR_SIZE_T_FMT
                 " one-time records",
                 ReplayTable::bytes_for(capacity), capacity);
    return nullptr;
}

void remember_region(Persistent* ps, apr_shm_t* shm, std::size_t capacity) {
    ps->replay_region = apr_shm_baseaddr_get(shm);
    ps->replay_bytes = apr_shm_size_get(shm);
    ps->replay_capacity = capacity;
}

// HelpdeskSSOReplayCapacity changed: the live records move to a new table.
// Old children may be writing: copy under the mutex, and retire the old
// table there, so none of them can record a use the new table misses (they
// answer store.unavailable until they exit).
int resize_replay(Persistent* ps, server_rec* s, ReplayTable& current, std::size_t want) {
    apr_shm_t* shm = replay_region(s, want);
    if (!shm) return HTTP_INTERNAL_SERVER_ERROR;
    std::optional<Result<ReplayTable>> copy;
    std::size_t live_records = 0;
    {
        Lock lock;
        if (lock.failed()) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, lock.status(), s, "HDSSO009: cannot take the store's mutex");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        live_records = current.live();
        copy = ReplayTable::copy_of(current, apr_shm_baseaddr_get(shm), apr_shm_size_get(shm), want);
        if (copy->ok()) current.retire();
    }
    if (!copy->ok()) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "HDSSO009: HelpdeskSSOReplayCapacity %" APR_SIZE_T_FMT ": the %" APR_SIZE_T_FMT
                     " live one-time records do not fit (%s); keeping the table of %" APR_SIZE_T_FMT
                     " until Apache is stopped and started",
                     want, live_records, copy->error().detail.c_str(), ps->replay_capacity);
        apr_shm_destroy(shm);
        return OK;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                 "HDSSO009: HelpdeskSSOReplayCapacity changed from %" APR_SIZE_T_FMT " to %" APR_SIZE_T_FMT
                 ": %" APR_SIZE_T_FMT " live one-time records copied; children of the previous configuration "
                 "refuse sign-ins (503) until they exit",
                 ps->replay_capacity, want, live_records);
    remember_region(ps, shm, want);
    live().table = copy->value();
    return OK;
}

int attach_replay(Persistent* ps, server_rec* s) {
    const Clock& clock = RequestStores::clock();
    std::size_t want = ReplayTable::rounded_capacity(
        store_config().replay_capacity ? store_config().replay_capacity : kDefaultReplayCapacity);
    if (!ps->replay_region) {
        apr_shm_t* shm = replay_region(s, want);
        if (!shm) return HTTP_INTERNAL_SERVER_ERROR;
        auto table = ReplayTable::open(apr_shm_baseaddr_get(shm), apr_shm_size_get(shm), want, clock);
        if (!table) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "HDSSO006: %s", table.error().detail.c_str());
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        remember_region(ps, shm, want);
        live().table = table.value();
        return OK;
    }
    auto current = ReplayTable::open(ps->replay_region, ps->replay_bytes, ps->replay_capacity, clock);
    if (!current || !current.value().attached()) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "HDSSO006: the replay table was not found again");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    live().table = current.value();
    return want == ps->replay_capacity ? OK : resize_replay(ps, s, current.value(), want);
}

std::unique_ptr<KvStore> make_engine(const StoreConfig& sc) {
    if (sc.engine == Engine::redis) return std::make_unique<RedisKvStore>(sc.remote, &RequestStores::clock());
    return std::make_unique<MemcachedKvStore>(sc.remote, &RequestStores::clock());
}

// The sign-in state sealing key in the remote store: read, or created by
// whichever server comes first (insert_if_absent) and read back.
struct RemoteSealingKey {
    std::mutex mu;
    std::string key;
    std::int64_t checked_at = 0;
};

RemoteSealingKey& remote_sealing_key_cache() {
    static RemoteSealingKey cache;
    return cache;
}

Result<std::string> read_sealing_key(KvStore& kv) {
    auto stored = kv.get(kSealingKeyName);
    if (!stored) return stored.error();
    if (!stored.value()) {
        auto fresh = random_bytes(kSealingKeyBytes);
        if (!fresh) return fresh.error();
        std::int64_t until = RequestStores::clock().now() + kSealingKeyLifetime;
        auto created = kv.insert_if_absent(kSealingKeyName, hex_encode(fresh.value()), until);
        if (!created) return created.error();
        stored = kv.get(kSealingKeyName);
        if (!stored) return stored.error();
        if (!stored.value())
            return make_error(Status::store_unavailable, "the sign-in sealing key vanished from the store");
    }
    auto key = hex_decode_lower(*stored.value());
    if (!key || key.value().size() != kSealingKeyBytes)
        return make_error(Status::store_unavailable, "the store holds a malformed sign-in sealing key");
    return key;
}

}  // namespace

const command_rec* store_commands() {
    static const command_rec table[] = {
        AP_INIT_TAKE1("HelpdeskSSOCache", HDSSO_CMD(set_cache), nullptr, RSRC_CONF,
                      "where sessions and one-time records live: shmcb[:PATH(SIZE)] (default; 32 MiB of sessions "
                      "plus the replay table), redis:HOST:PORT or memcache:HOST:PORT[,HOST:PORT...] (main server "
                      "only)"),
        AP_INIT_TAKE1("HelpdeskSSOSessionCacheTTL", HDSSO_CMD(set_cache_ttl), nullptr, RSRC_CONF,
                      "seconds each Apache process may reuse a session it read from the cache, 0 to always ask "
                      "the cache (default 10; a logout on this server takes effect at once regardless)"),
        AP_INIT_TAKE1("HelpdeskSSOReplayCapacity", HDSSO_CMD(set_replay_capacity), nullptr, RSRC_CONF,
                      "one-time records (used links, JWT IDs, SAML assertion IDs) the shared-memory table holds, "
                      "24 bytes each (default 524288; main server only)"),
        AP_INIT_TAKE12("HelpdeskSSOCacheAuth", HDSSO_CMD(set_cache_auth), nullptr, RSRC_CONF,
                       "Redis AUTH: a file holding the password, then the ACL user name if any (main server only)"),
        AP_INIT_TAKE1("HelpdeskSSOCacheDatabase", HDSSO_CMD(set_cache_database), nullptr, RSRC_CONF,
                      "Redis database number (SELECT; default 0; main server only)"),
        AP_INIT_TAKE12("HelpdeskSSOCacheTimeout", HDSSO_CMD(set_cache_timeout), nullptr, RSRC_CONF,
                       "milliseconds to connect to Redis or memcached, then to wait for each answer (default "
                       "1000 1000; one value sets both; main server only)"),
        {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
    };
    return table;
}

int cache_pre_config(apr_pool_t* pconf) {
    StoreConfig& sc = store_config();
    std::fill(sc.remote.password.begin(), sc.remote.password.end(), '\0');
    sc = StoreConfig{};
    apr_status_t rv = ap_mutex_register(pconf, kMutexType, nullptr, APR_LOCK_DEFAULT, 0);
    return rv == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

int cache_post_config(apr_pool_t*, apr_pool_t* ptemp, server_rec* s) {
    // At startup Apache reads its configuration twice; the parent of the
    // first pass may then fork away (daemonise) and exit, running the
    // process pool's cleanups, which would take the mutex with it. Nothing
    // persistent is made before the second pass.
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
    StoreConfig& sc = store_config();
    Live& lv = live();
    lv.provider = nullptr;
    lv.table.reset();
    lv.remote.reset();
    remote_sealing_key_cache().key.clear();
    if (const char* why = combination_error(sc)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "HDSSO014: %s", why);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    Persistent* ps = persistent(s);
    if (!ps) return HTTP_INTERNAL_SERVER_ERROR;
    lv.persistent = ps;
    if (sc.engine == Engine::shmcb) {
        if (int rc = attach_sessions(ps, ptemp, s); rc != OK) return rc;
        if (int rc = attach_replay(ps, s); rc != OK) return rc;
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     "HDSSO008: sessions in shmcb '%s'; one-time records in a shared table of %" APR_SIZE_T_FMT
                     " (%" APR_SIZE_T_FMT " bytes)",
                     ps->shmcb_arg, lv.table->capacity(), ps->replay_bytes);
    } else {
        try {
            lv.remote = make_engine(sc);
        } catch (const std::exception& e) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "HDSSO015: cannot set up the %s store: %s",
                         engine_name(sc.engine), e.what());
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "HDSSO008: sessions and one-time records in %s", sc.spec);
    }
    int ttl = sc.process_cache_ttl < 0 ? kDefaultProcessCacheTtl : sc.process_cache_ttl;
    lv.process_cache = std::make_unique<SessionCache>(ttl, kProcessCacheEntries);
    return OK;
}

void cache_child_init(apr_pool_t* p, server_rec* s) {
    Persistent* ps = live().persistent;
    if (!ps || !ps->mutex) return;
    // `ps` is this child's copy of the parent's memory: the re-attached
    // mutex handle stays in this child.
    apr_status_t rv = apr_global_mutex_child_init(&ps->mutex, apr_global_mutex_lockfile(ps->mutex), p);
    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "HDSSO005: cannot attach to the store's mutex");
}

static SessionCache* process_cache_or_off() {
    static SessionCache off(0, 0);
    return live().process_cache ? live().process_cache.get() : &off;
}

// ---- Sessions in shmcb -----------------------------------------------------

static bool sessions_ready() {
    const Live& lv = live();
    return lv.provider && lv.persistent && lv.persistent->sessions;
}

Result<std::optional<std::string>> SocacheKvStore::get_locked(const std::string& physical) {
    thread_local std::vector<unsigned char> buf(kMaxSessionRecord);
    unsigned int len = static_cast<unsigned int>(buf.size());
    const Live& lv = live();
    apr_status_t rv = lv.provider->retrieve(lv.persistent->sessions, r_->server, bytes(physical),
                                            static_cast<unsigned int>(physical.size()), buf.data(), &len, r_->pool);
    if (rv == APR_NOTFOUND) return std::optional<std::string>();
    if (rv != APR_SUCCESS) return unavailable("session cache retrieve", rv);
    return std::optional<std::string>(std::string(reinterpret_cast<char*>(buf.data()), len));
}

Result<void> SocacheKvStore::put_locked(const std::string& physical, std::string_view value,
                                        std::int64_t expires_at) {
    const Live& lv = live();
    apr_status_t rv = lv.provider->store(lv.persistent->sessions, r_->server, bytes(physical),
                                         static_cast<unsigned int>(physical.size()), apr_time_from_sec(expires_at),
                                         const_cast<unsigned char*>(bytes(value)),
                                         static_cast<unsigned int>(value.size()), r_->pool);
    if (rv != APR_SUCCESS) return unavailable("session cache store", rv);
    return {};
}

Result<std::optional<std::string>> SocacheKvStore::get(std::string_view key) {
    if (!sessions_ready()) return make_error(Status::store_unavailable, "session cache not initialised");
    std::string physical = spread_key(key);
    Lock lock;
    if (lock.failed()) return unavailable("store mutex", lock.status());
    return get_locked(physical);
}

Result<void> SocacheKvStore::put(std::string_view key, std::string_view value, std::int64_t expires_at) {
    if (!sessions_ready()) return make_error(Status::store_unavailable, "session cache not initialised");
    std::string physical = spread_key(key);
    Lock lock;
    if (lock.failed()) return unavailable("store mutex", lock.status());
    return put_locked(physical, value, expires_at);
}

Result<void> SocacheKvStore::remove(std::string_view key) {
    if (!sessions_ready()) return make_error(Status::store_unavailable, "session cache not initialised");
    std::string physical = spread_key(key);
    Lock lock;
    if (lock.failed()) return unavailable("store mutex", lock.status());
    const Live& lv = live();
    apr_status_t rv = lv.provider->remove(lv.persistent->sessions, r_->server, bytes(physical),
                                          static_cast<unsigned int>(physical.size()), r_->pool);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) return unavailable("session cache remove", rv);
    return {};
}

// Atomic through the global mutex. One-time checks do not come here (they
// go to the replay table, which never drops a live record); shmcb may.
Result<bool> SocacheKvStore::insert_if_absent(std::string_view key, std::string_view value,
                                              std::int64_t expires_at) {
    if (!sessions_ready()) return make_error(Status::store_unavailable, "session cache not initialised");
    std::string physical = spread_key(key);
    Lock lock;
    if (lock.failed()) return unavailable("store mutex", lock.status());
    auto existing = get_locked(physical);
    if (!existing) return existing.error();
    if (existing.value()) return false;
    auto put = put_locked(physical, value, expires_at);
    if (!put) return put.error();
    return true;
}

// ---- One-time records in the replay table ----------------------------------

Result<bool> ReplayTableStore::insert_if_absent(std::string_view key, std::string_view value,
                                                std::int64_t expires_at) {
    Live& lv = live();
    if (!lv.table) return make_error(Status::store_unavailable, "replay table not initialised");
    Lock lock;
    if (lock.failed()) return unavailable("store mutex", lock.status());
    auto first = lv.table->insert_if_absent(key, value, expires_at);
    if (!first && first.error().code == Status::store_full)
        return make_error(Status::store_full, first.error().detail + "; raise HelpdeskSSOReplayCapacity");
    return first;
}

// ---- What a request uses ---------------------------------------------------

const Clock& RequestStores::clock() {
    static const SystemClock clock;
    return clock;
}

static Counter* generation_counter() {
    Persistent* ps = live().persistent;
    return ps && ps->control ? &ps->control->generation : &g_fallback_generation;
}

RequestStores::RequestStores(request_rec* r, const SessionPolicy& policy)
    : socache_(r),
      kv_(live().remote ? live().remote.get() : static_cast<KvStore*>(&socache_)),
      one_time_(live().remote ? static_cast<OneTimeStore*>(live().remote.get()) : &replay_),
      generation_(generation_counter()),
      sessions_(*kv_, clock(), policy, process_cache_or_off(), &generation_) {}

Result<std::string> RequestStores::sealing_key() {
    Live& lv = live();
    if (lv.remote) {
        RemoteSealingKey& cache = remote_sealing_key_cache();
        std::lock_guard<std::mutex> guard(cache.mu);
        std::int64_t now = clock().now();
        if (!cache.key.empty() && now - cache.checked_at < kSealingKeyRecheck) return cache.key;
        auto key = read_sealing_key(*lv.remote);
        if (!key) {
            // A store that cannot answer now does not void the key this
            // process already has.
            if (!cache.key.empty()) return cache.key;
            return key.error();
        }
        cache.key = std::move(key.value());
        cache.checked_at = now;
        return cache.key;
    }
    Persistent* ps = lv.persistent;
    if (!ps || !ps->control) return make_error(Status::store_unavailable, "store not initialised");
    return std::string(reinterpret_cast<const char*>(ps->control->sealing_key), kSealingKeyBytes);
}

// ---- Figures for the metrics ------------------------------------------------

namespace {

ap_filter_rec_t* g_status_capture = nullptr;

// Keeps what mod_socache_shmcb's status writes into the request, instead of
// sending it (the metrics answer has not started yet).
apr_status_t capture_status(ap_filter_t* f, apr_bucket_brigade* bb) {
    auto* out = static_cast<std::string*>(f->ctx);
    char* data = nullptr;
    apr_size_t len = 0;
    if (apr_brigade_pflatten(bb, &data, &len, f->r->pool) == APR_SUCCESS) out->append(data, len);
    apr_brigade_cleanup(bb);
    return APR_SUCCESS;
}

// "Key: 123" in shmcb's short status.
std::optional<std::uint64_t> status_number(const std::string& text, const std::string& key) {
    std::size_t at = text.find(key + ": ");
    if (at == std::string::npos || (at > 0 && text[at - 1] != '\n')) return std::nullopt;
    const char* p = text.c_str() + at + key.size() + 2;
    if (!apr_isdigit(*p)) return std::nullopt;
    return static_cast<std::uint64_t>(apr_atoi64(p));
}

Result<StoreStats> shmcb_stats(request_rec* r) {
    Live& lv = live();
    Persistent* ps = lv.persistent;
    if (!ps || !ps->sessions || !lv.provider || !g_status_capture)
        return make_error(Status::store_unavailable, "the session cache is not set up");
    std::string text;
    {
        Lock lock;  // shmcb is not safe across processes on its own
        if (lock.failed()) return unavailable("global mutex", lock.status());
        ap_filter_t* f = ap_add_output_filter_handle(g_status_capture, &text, r, r->connection);
        lv.provider->status(ps->sessions, r, AP_STATUS_SHORT);
        ap_rflush(r);
        ap_remove_output_filter(f);
    }
    StoreStats st;
    st.entries = status_number(text, "CacheCurrentEntries");
    st.evictions = status_number(text, "CacheDiscardCount");
    if (!st.entries) return make_error(Status::store_unavailable, "shmcb's status has no CacheCurrentEntries");
    return st;
}

}  // namespace

void register_store_filters() {
    // Ahead of every resource filter on the request (SUBSTITUTE, INCLUDES
    // on the metrics location: a filter is put before those of its own type,
    // and this type is below them all), behind only the write buffer
    // (OLD_WRITE, AP_FTYPE_RESOURCE - 10) that shmcb's ap_rprintf fills.
    g_status_capture = ap_register_output_filter("HDSSO_STORE_STATUS", capture_status, nullptr,
                                                 static_cast<ap_filter_type>(AP_FTYPE_RESOURCE - 5));
}

std::vector<StoreGauges> store_gauges(request_rec* r, bool with_shmcb) {
    Live& lv = live();
    std::vector<StoreGauges> rows;
    auto add = [&](const char* store, const char* engine, Result<StoreStats> st) {
        if (st) rows.push_back({store, engine, st.value()});
        else
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "HDSSO062: the %s store's figures are left out of the "
                          "metrics: %s: %s", engine, status_name(st.error().code), st.error().detail.c_str());
    };
    if (lv.remote) {
        add("shared", engine_name(store_config().engine), lv.remote->stats());
        return rows;
    }
    if (with_shmcb) add("sessions", "shmcb", shmcb_stats(r));
    if (lv.table) {
        Lock lock;
        if (lock.failed()) add("replay", "table", unavailable("global mutex", lock.status()));
        else add("replay", "table", lv.table->stats());
    }
    return rows;
}

}  // namespace hdsso::mod
