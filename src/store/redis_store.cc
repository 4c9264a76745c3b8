#include "store/redis_store.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "store/connection_pool.h"

namespace hdsso {
namespace {

// redisFree closes the descriptor and frees memory; it never writes to the
// socket, so it is also how a connection inherited across fork is disowned.
struct ContextFree {
    void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyFree {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;
using Reply = std::unique_ptr<redisReply, ReplyFree>;
using Args = std::initializer_list<std::string_view>;

constexpr std::int64_t kMaxTtlSeconds = 10LL * 366 * 24 * 3600;
constexpr std::int64_t kMinOneTimeTtlMs = 1000;

const Clock& system_clock() {
    static const SystemClock clock;
    return clock;
}

timeval to_timeval(int ms) {
    timeval tv{};
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return tv;
}

void disown(Context&& c) { Context gone(std::move(c)); }

// Redis sends nothing unasked on a connection that is not subscribed: an
// idle connection with something to read was closed by the server (restart,
// `timeout`) or is out of step. Either way it is not used.
bool looks_alive(const redisContext* c) {
    pollfd p{};
    p.fd = c->fd;
    p.events = POLLIN;
    return poll(&p, 1, 0) == 0;
}

// hiredis writes with write(2): a server that went away would raise SIGPIPE,
// which kills a process that does not ignore it (Apache does; the CLI and the
// tests may not). Blocked around each command; one raised by it is consumed.
class SigpipeGuard {
public:
    SigpipeGuard() {
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &pipe, &old_);
    }
    ~SigpipeGuard() {
        sigset_t pending;
        sigpending(&pending);
        if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
            sigset_t pipe;
            sigemptyset(&pipe);
            sigaddset(&pipe, SIGPIPE);
            timespec zero{};
            while (sigtimedwait(&pipe, nullptr, &zero) == -1 && errno == EINTR) {
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

private:
    sigset_t old_{};
    bool was_pending_ = false;
};

// The first word of an error reply ("OOM", "WRONGPASS", "ERR"). The rest is
// never logged: some errors quote a command's arguments (a key, a value).
std::string error_code(const redisReply* r) {
    std::string code;
    for (std::size_t i = 0; i < r->len && i < 32; ++i) {
        char ch = r->str[i];
        if (ch == ' ') break;
        bool plain = (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
        if (!plain) return "error";
        code.push_back(ch);
    }
    return code.empty() ? "error" : code;
}

bool is_ok(const redisReply* r) {
    return r->type == REDIS_REPLY_STATUS && std::string_view(r->str, r->len) == "OK";
}

}  // namespace

struct RedisKvStore::Impl {
    Impl(RemoteStoreOptions o, const Clock& c);
    Result<Reply> run(Args args);
    Result<Context> acquire();
    Result<Context> connect() const;
    Result<void> handshake(redisContext* c) const;
    Result<Reply> command(redisContext* c, Args args) const;
    Error io_error(const redisContext* c, int err, std::string_view op) const;
    Error reply_error(const redisReply* r, std::string_view op) const;
    Error unexpected(std::string_view op) const;
    Error unavailable(const std::string& why) const;
    std::optional<Error> oversized(std::string_view value) const;
    std::int64_t ttl_ms(std::int64_t expires_at) const;

    RemoteStoreOptions options;
    const Clock& clock;
    std::string where;  // "redis host:port", for error details
    ConnectionPool<Context> pool;
};

RedisKvStore::Impl::Impl(RemoteStoreOptions o, const Clock& c)
    : options(std::move(o)), clock(c), pool(options.max_idle, disown) {
    where = options.servers.empty()
                ? std::string("redis")
                : "redis " + options.servers.front().first + ":" + std::to_string(options.servers.front().second);
}

Error RedisKvStore::Impl::unavailable(const std::string& why) const {
    return make_error(Status::store_unavailable, where + ": " + why);
}

Error RedisKvStore::Impl::unexpected(std::string_view op) const {
    return unavailable(std::string(op) + " got an unexpected answer");
}

std::optional<Error> RedisKvStore::Impl::oversized(std::string_view value) const {
    if (value.size() <= options.max_value_bytes) return std::nullopt;
    return make_error(Status::store_full, where + ": value of " + std::to_string(value.size()) +
                                              " bytes is over the limit of " +
                                              std::to_string(options.max_value_bytes));
}

// Milliseconds left until expires_at (Unix seconds), 0 if it has passed. The
// clock counts whole seconds and rounds down, so a key lives at least until
// expires_at.
std::int64_t RedisKvStore::Impl::ttl_ms(std::int64_t expires_at) const {
    std::int64_t now = clock.now();
    if (expires_at <= now) return 0;
    return std::min(expires_at - now, kMaxTtlSeconds) * 1000;
}

Error RedisKvStore::Impl::io_error(const redisContext* c, int err, std::string_view op) const {
    std::string why;
    if (c->err == REDIS_ERR_IO && (err == EAGAIN || err == EWOULDBLOCK))
        why = "no answer within " + std::to_string(options.command_timeout_ms) + " ms";
    else if (c->err == REDIS_ERR_EOF)
        why = "the server closed the connection";
    else
        why = c->errstr;
    return unavailable(std::string(op) + " failed: " + why);
}

Error RedisKvStore::Impl::reply_error(const redisReply* r, std::string_view op) const {
    std::string code = error_code(r);
    std::string head = std::string(op) + " refused (" + code + ")";
    if (code == "OOM")
        return make_error(Status::store_full, where + ": " + head +
                                                  ": Redis is at maxmemory and refuses writes "
                                                  "(maxmemory-policy noeviction)");
    if (code == "WRONGPASS") return unavailable(head + ": wrong user name or password");
    if (code == "NOAUTH") return unavailable(head + ": the server requires a password and none is configured");
    if (code == "NOPERM") return unavailable(head + ": the ACL user may not run this command on this key");
    if (op == "AUTH") return unavailable(head + ": wrong password, or the server has no password set");
    if (op == "SELECT")
        return unavailable(head + ": database " + std::to_string(options.database) + " does not exist on the server");
    return unavailable(head);
}

Result<Reply> RedisKvStore::Impl::command(redisContext* c, Args args) const {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (std::string_view a : args) {
        argv.push_back(a.empty() ? "" : a.data());
        lens.push_back(a.size());
    }
    std::string_view op = *args.begin();
    SigpipeGuard guard;
    errno = 0;
    Reply r(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
    int err = errno;
    if (!r) return io_error(c, err, op);
    if (r->type == REDIS_REPLY_ERROR) return reply_error(r.get(), op);
    return r;
}

// AUTH (ACL user and password, or password only) and SELECT, once for each
// new connection. Neither the password nor the server's words reach a log.
Result<void> RedisKvStore::Impl::handshake(redisContext* c) const {
    if (!options.password.empty() || !options.user.empty()) {
        auto r = options.user.empty() ? command(c, {"AUTH", options.password})
                                      : command(c, {"AUTH", options.user, options.password});
        if (!r) return r.error();
        if (!is_ok(r.value().get())) return unexpected("AUTH");
    }
    if (options.database != 0) {
        auto r = command(c, {"SELECT", std::to_string(options.database)});
        if (!r) return r.error();
        if (!is_ok(r.value().get())) return unexpected("SELECT");
    }
    return {};
}

Result<Context> RedisKvStore::Impl::connect() const {
    if (options.servers.empty()) return unavailable("no server configured");
    const auto& server = options.servers.front();
    Context c(redisConnectWithTimeout(server.first.c_str(), server.second, to_timeval(options.connect_timeout_ms)));
    if (!c) return unavailable("cannot allocate a connection");
    if (c->err) return unavailable(std::string("connect failed: ") + c->errstr);
    // Not inherited by programs the server runs (CGI, piped logs).
    fcntl(c->fd, F_SETFD, fcntl(c->fd, F_GETFD) | FD_CLOEXEC);
    if (redisSetTimeout(c.get(), to_timeval(options.command_timeout_ms)) != REDIS_OK)
        return unavailable("cannot set the command timeout");
    auto ok = handshake(c.get());
    if (!ok) return ok.error();
    return Result<Context>(std::move(c));
}

// An idle connection of this process that still looks usable, or a new one.
Result<Context> RedisKvStore::Impl::acquire() {
    for (Context c = pool.take(); c; c = pool.take()) {
        if (looks_alive(c.get())) return Result<Context>(std::move(c));
    }
    return connect();
}

// One command. The connection goes back to the pool only after an answer
// that is not an error; after any failure it is closed, and the next call
// connects afresh.
Result<Reply> RedisKvStore::Impl::run(Args args) {
    auto c = acquire();
    if (!c) return c.error();
    auto r = command(c.value().get(), args);
    if (r) pool.give(std::move(c.value()));
    return r;
}

RedisKvStore::RedisKvStore(RemoteStoreOptions options, const Clock* clock)
    : impl_(std::make_unique<Impl>(std::move(options), clock ? *clock : system_clock())) {}

RedisKvStore::~RedisKvStore() = default;

Result<std::optional<std::string>> RedisKvStore::get(std::string_view key) {
    auto r = impl_->run({"GET", key});
    if (!r) return r.error();
    const redisReply* reply = r.value().get();
    if (reply->type == REDIS_REPLY_NIL) return std::optional<std::string>();
    if (reply->type != REDIS_REPLY_STRING) return impl_->unexpected("GET");
    if (reply->len > impl_->options.max_value_bytes)
        return impl_->unavailable("GET answered " + std::to_string(reply->len) + " bytes, over the limit of " +
                                  std::to_string(impl_->options.max_value_bytes));
    return std::optional<std::string>(std::string(reply->str, reply->len));
}

// An expiry that has already passed removes the key: an old value must not
// stay readable.
Result<void> RedisKvStore::put(std::string_view key, std::string_view value, std::int64_t expires_at) {
    if (auto too_big = impl_->oversized(value)) return *too_big;
    std::int64_t ms = impl_->ttl_ms(expires_at);
    if (ms == 0) return remove(key);
    auto r = impl_->run({"SET", key, value, "PX", std::to_string(ms)});
    if (!r) return r.error();
    if (!is_ok(r.value().get())) return impl_->unexpected("SET");
    return {};
}

Result<void> RedisKvStore::remove(std::string_view key) {
    auto r = impl_->run({"DEL", key});
    if (!r) return r.error();
    if (r.value()->type != REDIS_REPLY_INTEGER) return impl_->unexpected("DEL");
    return {};
}

// SET NX PX: atomic on the server, so servers sharing one Redis accept a
// one-time credential exactly once. An expires_at that has already passed
// still stores the record, for one second: a duplicate arriving at the same
// moment, or at a server whose clock lags, is still refused.
Result<bool> RedisKvStore::insert_if_absent(std::string_view key, std::string_view value, std::int64_t expires_at) {
    if (auto too_big = impl_->oversized(value)) return *too_big;
    std::int64_t ms = std::max(impl_->ttl_ms(expires_at), kMinOneTimeTtlMs);
    auto r = impl_->run({"SET", key, value, "NX", "PX", std::to_string(ms)});
    if (!r) return r.error();
    const redisReply* reply = r.value().get();
    if (reply->type == REDIS_REPLY_NIL) return false;
    if (is_ok(reply)) return true;
    return impl_->unexpected("SET NX");
}

// DBSIZE counts every key of the database (share it with nothing else, as
// the header says); INFO's evicted_keys is the server's count since it
// started (0 under maxmemory-policy noeviction).
Result<StoreStats> RedisKvStore::stats() {
    StoreStats st;
    auto size = impl_->run({"DBSIZE"});
    if (!size) return size.error();
    if (size.value()->type != REDIS_REPLY_INTEGER || size.value()->integer < 0) return impl_->unexpected("DBSIZE");
    st.entries = static_cast<std::uint64_t>(size.value()->integer);
    auto info = impl_->run({"INFO", "stats"});
    if (!info) return info.error();
    const redisReply* r = info.value().get();
    if (r->type != REDIS_REPLY_STRING) return impl_->unexpected("INFO");
    std::string_view text(r->str, r->len);
    constexpr std::string_view kField = "\nevicted_keys:";
    if (std::size_t at = text.find(kField); at != std::string_view::npos) {
        std::uint64_t n = 0;
        bool any = false;
        for (std::size_t i = at + kField.size(); i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, any = true)
            n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
        if (any) st.evictions = n;
    }
    return st;
}

}  // namespace hdsso
