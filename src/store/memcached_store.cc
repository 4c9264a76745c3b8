#include "store/memcached_store.h"

#include <libmemcached/memcached.h>
#include <string.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string>

#include "store/connection_pool.h"

namespace hdsso {
namespace {

struct MemcachedFree {
    void operator()(memcached_st* m) const { memcached_free(m); }
};
struct MallocFree {
    void operator()(char* p) const { std::free(p); }
};
using Memc = std::unique_ptr<memcached_st, MemcachedFree>;
using Value = std::unique_ptr<char, MallocFree>;

// memcached treats an expiration over 30 days as an absolute Unix time.
constexpr std::int64_t kRelativeLimit = 30LL * 24 * 3600;
constexpr std::int64_t kMaxTtlSeconds = 10LL * 366 * 24 * 3600;

const Clock& system_clock() {
    static const SystemClock clock;
    return clock;
}

// memcached_free would send "quit" and shut the socket down, which would cut
// the parent's connection too: a handle inherited across fork is left as it
// is. Its descriptors are close-on-exec (libmemcached opens them so); its
// memory is this process's copy of the parent's. Apache's parent never uses
// the store, so its children inherit none.
void disown(Memc&& m) { (void)m.release(); }

std::string errno_text(int err) {
    char buf[128];
    return strerror_r(err, buf, sizeof buf);  // GNU strerror_r returns the text
}

// A definitive answer from the server: the command ran (or found nothing).
bool answered(memcached_return_t rc) {
    switch (rc) {
    case MEMCACHED_SUCCESS:
    case MEMCACHED_NOTSTORED:
    case MEMCACHED_DATA_EXISTS:
    case MEMCACHED_NOTFOUND:
        return true;
    default:
        return false;
    }
}

// How a connection that sat idle in the pool fails when its server has
// restarted, or closed it, since: before the command reached the server.
bool connection_lost(memcached_return_t rc) {
    switch (rc) {
    case MEMCACHED_CONNECTION_FAILURE:
    case MEMCACHED_WRITE_FAILURE:
    case MEMCACHED_READ_FAILURE:
    case MEMCACHED_UNKNOWN_READ_FAILURE:
    case MEMCACHED_ERRNO:
        return true;
    default:
        return false;
    }
}

}  // namespace

struct MemcachedKvStore::Impl {
    Impl(RemoteStoreOptions o, const Clock& c);
    std::optional<Error> configure();
    template <class Op>
    Result<memcached_return_t> run(const char* op, std::string_view key, Op&& attempt);
    Result<Memc> acquire(bool& reused);
    Error failure(memcached_st* m, memcached_return_t rc, const char* op, std::string_view key) const;
    Error unavailable(const std::string& why) const { return make_error(Status::store_unavailable, why); }
    std::optional<Error> oversized(std::string_view value) const;
    time_t expiration(std::int64_t seconds_left) const;
    std::int64_t seconds_left(std::int64_t expires_at) const;

    RemoteStoreOptions options;
    const Clock& clock;
    std::mutex master_mu;
    Memc master;  // servers and behaviours; never connects, each connection is a clone
    std::optional<Error> broken;
    ConnectionPool<Memc> pool;
};

MemcachedKvStore::Impl::Impl(RemoteStoreOptions o, const Clock& c)
    : options(std::move(o)), clock(c), master(memcached_create(nullptr)), pool(options.max_idle, disown) {
    broken = configure();
}

std::optional<Error> MemcachedKvStore::Impl::configure() {
    if (!master) return unavailable("memcached: cannot allocate a client");
    if (options.servers.empty()) return unavailable("memcached: no server configured");
    for (const auto& [host, port] : options.servers) {
        if (port <= 0 || port > 65535 ||
            memcached_server_add(master.get(), host.c_str(), static_cast<in_port_t>(port)) != MEMCACHED_SUCCESS)
            return unavailable("memcached " + host + ":" + std::to_string(port) + ": not a usable server address");
    }
    const std::uint64_t ms = static_cast<std::uint64_t>(std::max(options.connect_timeout_ms, 1));
    const std::uint64_t io_ms = static_cast<std::uint64_t>(std::max(options.command_timeout_ms, 1));
    const struct {
        memcached_behavior_t flag;
        std::uint64_t value;
    } settings[] = {
        // Consistent hashing (libketama-compatible, MD5): every server of a
        // cluster listing the same memcached servers sends a key to the same one.
        {MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1},
        // A failed server is never ejected: its keys must not move to another
        // server, where a one-time record would be missing. Its keys fail
        // closed (store.unavailable) until it is back.
        {MEMCACHED_BEHAVIOR_AUTO_EJECT_HOSTS, 0},
        {MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS, 0},
        {MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, ms},
        {MEMCACHED_BEHAVIOR_POLL_TIMEOUT, io_ms},
        {MEMCACHED_BEHAVIOR_RCV_TIMEOUT, io_ms * 1000},  // microseconds
        {MEMCACHED_BEHAVIOR_SND_TIMEOUT, io_ms * 1000},
        {MEMCACHED_BEHAVIOR_TCP_NODELAY, 1},
        {MEMCACHED_BEHAVIOR_VERIFY_KEY, 1},
    };
    for (const auto& s : settings) {
        if (memcached_behavior_set(master.get(), s.flag, s.value) != MEMCACHED_SUCCESS)
            return unavailable("memcached: cannot set client behaviour " + std::to_string(s.flag));
    }
    return std::nullopt;
}

std::optional<Error> MemcachedKvStore::Impl::oversized(std::string_view value) const {
    if (value.size() <= options.max_value_bytes) return std::nullopt;
    return make_error(Status::store_full, "memcached: value of " + std::to_string(value.size()) +
                                              " bytes is over the limit of " +
                                              std::to_string(options.max_value_bytes));
}

std::int64_t MemcachedKvStore::Impl::seconds_left(std::int64_t expires_at) const {
    std::int64_t now = clock.now();
    return expires_at <= now ? 0 : std::min(expires_at - now, kMaxTtlSeconds);
}

// memcached counts whole seconds on its own clock and drops an item once its
// second is reached: one second more keeps a record at least until the
// expiry asked for. Over 30 days memcached wants an absolute Unix time.
time_t MemcachedKvStore::Impl::expiration(std::int64_t seconds) const {
    std::int64_t ttl = seconds + 1;
    if (ttl <= kRelativeLimit) return static_cast<time_t>(ttl);
    return static_cast<time_t>(clock.now() + ttl);
}

// A clone of the master for this process, or an idle one of the pool.
// libmemcached connects lazily, on the clone's first command.
Result<Memc> MemcachedKvStore::Impl::acquire(bool& reused) {
    if (broken) return *broken;
    if (Memc m = pool.take()) {
        reused = true;
        return Result<Memc>(std::move(m));
    }
    reused = false;
    std::lock_guard<std::mutex> lock(master_mu);
    Memc m(memcached_clone(nullptr, master.get()));
    if (!m) return unavailable("memcached: cannot allocate a connection");
    return Result<Memc>(std::move(m));
}

Error MemcachedKvStore::Impl::failure(memcached_st* m, memcached_return_t rc, const char* op,
                                      std::string_view key) const {
    std::string where = "memcached";
    memcached_return_t found = MEMCACHED_SUCCESS;
    if (const memcached_instance_st* s = memcached_server_by_key(m, key.data(), key.size(), &found))
        where += std::string(" ") + memcached_server_name(s) + ":" + std::to_string(memcached_server_port(s));
    std::string head = where + ": " + op;
    if (rc == MEMCACHED_SERVER_MEMORY_ALLOCATION_FAILURE)
        return make_error(Status::store_full,
                          head + " refused: out of memory (memcached -M refuses writes at its -m limit)");
    if (rc == MEMCACHED_E2BIG)
        return make_error(Status::store_full, head + " refused: value over memcached's item size limit (-I)");
    if (rc == MEMCACHED_BAD_KEY_PROVIDED)
        return make_error(Status::internal, head + ": key not usable with memcached (length or character)");
    std::string detail = head + " failed: " + memcached_strerror(m, rc);
    if (rc == MEMCACHED_TIMEOUT)
        detail += " (no answer within " + std::to_string(options.command_timeout_ms) + " ms)";
    else if (int err = memcached_last_error_errno(m))
        detail += " (" + errno_text(err) + ")";
    return unavailable(detail);
}

// One command. A handle goes back to the pool only after a definitive
// answer; after any failure it is closed, and the next call connects afresh.
// A reused handle whose connection turns out to be lost is retried once on a
// new connection, and the other idle handles are closed: they were most
// likely opened to the same server before it restarted. (For `add` a retry
// can at worst answer "present" for the caller's own first attempt: it fails
// closed, it never accepts twice.)
template <class Op>
Result<memcached_return_t> MemcachedKvStore::Impl::run(const char* op, std::string_view key, Op&& attempt) {
    for (int tries = 0;; ++tries) {
        bool reused = false;
        auto m = acquire(reused);
        if (!m) return m.error();
        memcached_return_t rc = attempt(m.value().get());
        if (answered(rc)) {
            pool.give(std::move(m.value()));
            return rc;
        }
        if (reused && tries == 0 && connection_lost(rc)) {
            pool.clear();
            continue;
        }
        return failure(m.value().get(), rc, op, key);
    }
}

MemcachedKvStore::MemcachedKvStore(RemoteStoreOptions options, const Clock* clock)
    : impl_(std::make_unique<Impl>(std::move(options), clock ? *clock : system_clock())) {}

MemcachedKvStore::~MemcachedKvStore() = default;

Result<std::optional<std::string>> MemcachedKvStore::get(std::string_view key) {
    Value value;
    std::size_t len = 0;
    auto rc = impl_->run("get", key, [&](memcached_st* m) {
        std::uint32_t flags = 0;
        memcached_return_t r = MEMCACHED_SUCCESS;
        value.reset(memcached_get(m, key.data(), key.size(), &len, &flags, &r));
        return r;
    });
    if (!rc) return rc.error();
    if (rc.value() == MEMCACHED_NOTFOUND) return std::optional<std::string>();
    if (rc.value() != MEMCACHED_SUCCESS) return impl_->unavailable("memcached: get got an unexpected answer");
    if (len > impl_->options.max_value_bytes)
        return impl_->unavailable("memcached: get answered " + std::to_string(len) + " bytes, over the limit of " +
                                  std::to_string(impl_->options.max_value_bytes));
    return std::optional<std::string>(value ? std::string(value.get(), len) : std::string());
}

// An expiry that has already passed removes the key: an old value must not
// stay readable (and memcached would read 0 as "never expires").
Result<void> MemcachedKvStore::put(std::string_view key, std::string_view value, std::int64_t expires_at) {
    if (auto too_big = impl_->oversized(value)) return *too_big;
    std::int64_t left = impl_->seconds_left(expires_at);
    if (left == 0) return remove(key);
    time_t exp = impl_->expiration(left);
    auto rc = impl_->run("set", key, [&](memcached_st* m) {
        return memcached_set(m, key.data(), key.size(), value.data(), value.size(), exp, 0);
    });
    if (!rc) return rc.error();
    if (rc.value() != MEMCACHED_SUCCESS) return impl_->unavailable("memcached: set got an unexpected answer");
    return {};
}

Result<void> MemcachedKvStore::remove(std::string_view key) {
    auto rc = impl_->run("delete", key, [&](memcached_st* m) { return memcached_delete(m, key.data(), key.size(), 0); });
    if (!rc) return rc.error();
    if (rc.value() != MEMCACHED_SUCCESS && rc.value() != MEMCACHED_NOTFOUND)
        return impl_->unavailable("memcached: delete got an unexpected answer");
    return {};
}

// add: atomic on the server that owns the key, so servers sharing memcached
// accept a one-time credential exactly once. An expires_at that has already
// passed still stores the record, for one second: a duplicate arriving at the
// same moment, or at a server whose clock lags, is still refused.
Result<bool> MemcachedKvStore::insert_if_absent(std::string_view key, std::string_view value, std::int64_t expires_at) {
    if (auto too_big = impl_->oversized(value)) return *too_big;
    time_t exp = impl_->expiration(std::max<std::int64_t>(impl_->seconds_left(expires_at), 1));
    auto rc = impl_->run("add", key, [&](memcached_st* m) {
        return memcached_add(m, key.data(), key.size(), value.data(), value.size(), exp, 0);
    });
    if (!rc) return rc.error();
    if (rc.value() == MEMCACHED_SUCCESS) return true;
    if (rc.value() == MEMCACHED_NOTSTORED || rc.value() == MEMCACHED_DATA_EXISTS) return false;
    return impl_->unavailable("memcached: add got an unexpected answer");
}

// "stats" of every server, summed: curr_items and evictions (memcached's
// own count since it started; 0 with -M, which refuses instead).
Result<StoreStats> MemcachedKvStore::stats() {
    StoreStats st;
    auto rc = impl_->run("stats", "", [&](memcached_st* m) {
        memcached_return_t r = MEMCACHED_SUCCESS;
        memcached_stat_st* all = memcached_stat(m, nullptr, &r);
        if (all && r == MEMCACHED_SUCCESS) {
            std::uint64_t entries = 0, evictions = 0;
            for (std::uint32_t i = 0; i < memcached_server_count(m); ++i) {
                entries += all[i].curr_items;
                evictions += all[i].evictions;
            }
            st.entries = entries;
            st.evictions = evictions;
        }
        memcached_stat_free(nullptr, all);
        return r;
    });
    if (!rc) return rc.error();
    if (!st.entries) return make_error(Status::store_unavailable, "memcached stats: no answer");
    return st;
}

}  // namespace hdsso
