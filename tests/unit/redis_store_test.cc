// RedisKvStore against a real redis-server started by each test (see
// server_process.h); no mock. The test's own hiredis connection looks at what
// the store wrote.
#include <cppunit/extensions/HelperMacros.h>
#include <hiredis/hiredis.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "server_process.h"
#include "store/redis_store.h"

using namespace hdsso;
using hdsso::test::ServerProcess;

namespace {

std::int64_t now() { return SystemClock().now(); }

// Sleeps until the system clock reads at least `t`.
void wait_until(std::int64_t t) {
    while (now() < t) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

RemoteStoreOptions options_for(int port) {
    RemoteStoreOptions o;
    o.servers = {{"127.0.0.1", port}};
    return o;
}

// The test's own connection, to look behind the store's back.
class Admin {
public:
    explicit Admin(int port, const std::string& password = "") : c_(redisConnect("127.0.0.1", port)) {
        CPPUNIT_ASSERT_MESSAGE("admin connection", c_ && !c_->err);
        if (!password.empty()) CPPUNIT_ASSERT_EQUAL(std::string("OK"), run({"AUTH", password}));
    }
    // A string, status or error as text, an integer in decimal, nil as "(nil)".
    std::string run(const std::vector<std::string>& args) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lens;
        for (const auto& a : args) {
            argv.push_back(a.c_str());
            lens.push_back(a.size());
        }
        std::unique_ptr<redisReply, void (*)(void*)> r(
            static_cast<redisReply*>(redisCommandArgv(c_.get(), static_cast<int>(argv.size()), argv.data(), lens.data())),
            freeReplyObject);
        CPPUNIT_ASSERT_MESSAGE("admin command", r != nullptr);
        if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
        if (r->type == REDIS_REPLY_NIL) return "(nil)";
        return std::string(r->str, r->len);
    }
    long long integer(const std::vector<std::string>& args) { return std::stoll(run(args)); }
    // Connections the server has accepted so far.
    long long connections_received() {
        std::string info = run({"INFO", "stats"});
        const std::string field = "total_connections_received:";
        auto at = info.find(field);
        CPPUNIT_ASSERT(at != std::string::npos);
        return std::stoll(info.substr(at + field.size()));
    }

private:
    struct Free {
        void operator()(redisContext* c) const { redisFree(c); }
    };
    std::unique_ptr<redisContext, Free> c_;
};

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

class RedisKvStoreTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RedisKvStoreTest);
    CPPUNIT_TEST(testPutGetRemove);
    CPPUNIT_TEST(testExpiryHonoured);
    CPPUNIT_TEST(testExpiryAlreadyPassed);
    CPPUNIT_TEST(testInsertIfAbsent);
    CPPUNIT_TEST(testConcurrentInsertExactlyOnce);
    CPPUNIT_TEST(testValueBound);
    CPPUNIT_TEST(testServerDownIsUnavailable);
    CPPUNIT_TEST(testRecoversAfterRestart);
    CPPUNIT_TEST(testSilentServerTimesOut);
    CPPUNIT_TEST(testAclUserAndDatabase);
    CPPUNIT_TEST(testPasswordOnly);
    CPPUNIT_TEST(testWrongPasswordIsUnavailable);
    CPPUNIT_TEST(testMissingDatabaseIsUnavailable);
    CPPUNIT_TEST(testOutOfMemoryIsFull);
    CPPUNIT_TEST(testForkedChildUsesStore);
    CPPUNIT_TEST_SUITE_END();

public:
    std::unique_ptr<ServerProcess> server;

    void setUp() override {}
    void tearDown() override { server.reset(); }

    void start(std::vector<std::string> extra = {}) {
        server = std::make_unique<ServerProcess>(ServerProcess::Kind::redis, std::move(extra));
    }
    std::string where() const { return "127.0.0.1:" + std::to_string(server->port()); }

    template <class R>
    void assertFailure(Status expected, const R& r) {
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.error().detail, expected, r.error().code);
    }

    void testPutGetRemove() {
        start();
        RedisKvStore kv(options_for(server->port()));
        CPPUNIT_ASSERT(!kv.get("hdsso:k").value());
        CPPUNIT_ASSERT(kv.put("hdsso:k", "v", now() + 60).ok());
        CPPUNIT_ASSERT_EQUAL(std::string("v"), *kv.get("hdsso:k").value());
        CPPUNIT_ASSERT(kv.put("hdsso:k", std::string("w\0x", 3), now() + 60).ok());
        CPPUNIT_ASSERT_EQUAL(std::string("w\0x", 3), *kv.get("hdsso:k").value());
        CPPUNIT_ASSERT(kv.put("hdsso:empty", "", now() + 60).ok());
        CPPUNIT_ASSERT_EQUAL(std::string(), *kv.get("hdsso:empty").value());
        CPPUNIT_ASSERT(kv.remove("hdsso:k").ok());
        CPPUNIT_ASSERT(!kv.get("hdsso:k").value());
        CPPUNIT_ASSERT(kv.remove("hdsso:k").ok());
    }

    // PX from the absolute expiry: the TTL Redis holds is at most the time
    // left, and the key is gone once expires_at has passed.
    void testExpiryHonoured() {
        start();
        RedisKvStore kv(options_for(server->port()));
        Admin admin(server->port());
        std::int64_t exp = now() + 1;
        CPPUNIT_ASSERT(kv.put("hdsso:short", "v", exp).ok());
        CPPUNIT_ASSERT(kv.insert_if_absent("hdsso:long", "1", now() + 600).value());
        long long short_ms = admin.integer({"PTTL", "hdsso:short"});
        long long long_ms = admin.integer({"PTTL", "hdsso:long"});
        CPPUNIT_ASSERT(short_ms > 0 && short_ms <= 1000);
        CPPUNIT_ASSERT(long_ms > 595 * 1000 && long_ms <= 600 * 1000);
        CPPUNIT_ASSERT(kv.get("hdsso:short").value());
        wait_until(exp + 1);
        CPPUNIT_ASSERT(!kv.get("hdsso:short").value());
        CPPUNIT_ASSERT_EQUAL(std::string("(nil)"), admin.run({"GET", "hdsso:short"}));
        CPPUNIT_ASSERT(kv.get("hdsso:long").value());
    }

    // put with a past expiry removes the key; insert_if_absent still holds
    // the record for one second (a simultaneous duplicate is refused).
    void testExpiryAlreadyPassed() {
        start();
        RedisKvStore kv(options_for(server->port()));
        Admin admin(server->port());
        CPPUNIT_ASSERT(kv.put("hdsso:k", "v", now() + 60).ok());
        CPPUNIT_ASSERT(kv.put("hdsso:k", "w", now() - 5).ok());
        CPPUNIT_ASSERT(!kv.get("hdsso:k").value());
        CPPUNIT_ASSERT(kv.insert_if_absent("hdsso:r", "1", now() - 5).value());
        CPPUNIT_ASSERT(!kv.insert_if_absent("hdsso:r", "1", now() - 5).value());
        long long ms = admin.integer({"PTTL", "hdsso:r"});
        CPPUNIT_ASSERT(ms > 0 && ms <= 1000);
    }

    void testInsertIfAbsent() {
        start();
        RedisKvStore kv(options_for(server->port()));
        CPPUNIT_ASSERT(kv.insert_if_absent("hdsso:r", "1", now() + 60).value());
        CPPUNIT_ASSERT(!kv.insert_if_absent("hdsso:r", "2", now() + 60).value());
        CPPUNIT_ASSERT_EQUAL(std::string("1"), *kv.get("hdsso:r").value());
        CPPUNIT_ASSERT(kv.remove("hdsso:r").ok());
        CPPUNIT_ASSERT(kv.insert_if_absent("hdsso:r", "3", now() + 60).value());
    }

    // Two store objects (two servers sharing one Redis), 8 threads, the
    // same 200 keys in the same order: each key is accepted exactly once.
    void testConcurrentInsertExactlyOnce() {
        start();
        RedisKvStore a(options_for(server->port())), b(options_for(server->port()));
        constexpr int kThreads = 8, kKeys = 200;
        std::vector<std::atomic<int>> accepted(kKeys);
        std::atomic<int> failures{0};
        std::atomic<bool> go{false};
        std::int64_t exp = now() + 600;
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                RedisKvStore& kv = t % 2 ? a : b;
                while (!go) std::this_thread::yield();
                for (int k = 0; k < kKeys; ++k) {
                    auto r = kv.insert_if_absent("hdsso:race:" + std::to_string(k), "1", exp);
                    if (!r) ++failures;
                    else if (r.value()) ++accepted[k];
                }
            });
        }
        go = true;
        for (auto& th : threads) th.join();
        CPPUNIT_ASSERT_EQUAL(0, failures.load());
        for (int k = 0; k < kKeys; ++k) CPPUNIT_ASSERT_EQUAL(1, accepted[k].load());
    }

    void testValueBound() {
        start();
        RedisKvStore kv(options_for(server->port()));
        std::string session(64 * 1024, 's');
        CPPUNIT_ASSERT(kv.put("hdsso:s", session, now() + 60).ok());
        CPPUNIT_ASSERT_EQUAL(session, *kv.get("hdsso:s").value());
        assertFailure(Status::store_full, kv.put("hdsso:s", session + "x", now() + 60));
        assertFailure(Status::store_full, kv.insert_if_absent("hdsso:t", session + "x", now() + 60));
        CPPUNIT_ASSERT_EQUAL(session, *kv.get("hdsso:s").value());
    }

    void testServerDownIsUnavailable() {
        start();
        RedisKvStore kv(options_for(server->port()));
        CPPUNIT_ASSERT(kv.put("hdsso:k", "secret-value", now() + 60).ok());
        server->kill_now();
        auto g = kv.get("hdsso:k");
        assertFailure(Status::store_unavailable, g);
        CPPUNIT_ASSERT_MESSAGE(g.error().detail, contains(g.error().detail, where()));
        CPPUNIT_ASSERT(!contains(g.error().detail, "secret-value"));
        assertFailure(Status::store_unavailable, kv.put("hdsso:k", "v", now() + 60));
        assertFailure(Status::store_unavailable, kv.insert_if_absent("hdsso:r", "1", now() + 60));
        assertFailure(Status::store_unavailable, kv.remove("hdsso:k"));
    }

    // The same store object, never recreated: its idle connections to the
    // old server are noticed and replaced; while the server is down calls
    // fail, and the first call after it is back succeeds.
    void testRecoversAfterRestart() {
        start();
        RedisKvStore kv(options_for(server->port()));
        CPPUNIT_ASSERT(kv.put("hdsso:k", "v", now() + 60).ok());
        server->stop();
        server->start();
        CPPUNIT_ASSERT(kv.put("hdsso:k", "v2", now() + 60).ok());
        CPPUNIT_ASSERT_EQUAL(std::string("v2"), *kv.get("hdsso:k").value());
        server->kill_now();
        assertFailure(Status::store_unavailable, kv.get("hdsso:k"));
        assertFailure(Status::store_unavailable, kv.insert_if_absent("hdsso:r", "1", now() + 60));
        server->start();
        CPPUNIT_ASSERT(kv.insert_if_absent("hdsso:r", "1", now() + 60).value());
        CPPUNIT_ASSERT(!kv.insert_if_absent("hdsso:r", "1", now() + 60).value());
    }

    // A server that never answers: the command timeout ends the call with
    // store.unavailable, it does not hang.
    void testSilentServerTimesOut() {
        hdsso::test::SilentServer silent;
        RemoteStoreOptions o = options_for(silent.port());
        o.command_timeout_ms = 200;
        RedisKvStore kv(o);
        auto r = kv.insert_if_absent("hdsso:r", "1", now() + 60);
        assertFailure(Status::store_unavailable, r);
        CPPUNIT_ASSERT_MESSAGE(r.error().detail, contains(r.error().detail, "no answer within 200 ms"));
    }

    // AUTH with an ACL user, SELECT 3: the key lives in database 3 only.
    void testAclUserAndDatabase() {
        start({"--requirepass", "admin-pw"});
        Admin admin(server->port(), "admin-pw");
        CPPUNIT_ASSERT_EQUAL(std::string("OK"),
                             admin.run({"ACL", "SETUSER", "hdsso", "on", ">user-pw", "~hdsso:*", "+@all"}));
        RemoteStoreOptions o = options_for(server->port());
        o.user = "hdsso";
        o.password = "user-pw";
        o.database = 3;
        RedisKvStore kv(o);
        CPPUNIT_ASSERT(kv.put("hdsso:k", "v", now() + 60).ok());
        CPPUNIT_ASSERT(kv.insert_if_absent("hdsso:r", "1", now() + 60).value());
        CPPUNIT_ASSERT_EQUAL(std::string("v"), *kv.get("hdsso:k").value());
        CPPUNIT_ASSERT_EQUAL(std::string("(nil)"), admin.run({"GET", "hdsso:k"}));
        CPPUNIT_ASSERT_EQUAL(std::string("OK"), admin.run({"SELECT", "3"}));
        CPPUNIT_ASSERT_EQUAL(std::string("v"), admin.run({"GET", "hdsso:k"}));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), admin.run({"GET", "hdsso:r"}));
        // The ACL is enforced on the store's connection too.
        assertFailure(Status::store_unavailable, kv.put("other:k", "v", now() + 60));
    }

    void testPasswordOnly() {
        start({"--requirepass", "admin-pw"});
        RemoteStoreOptions o = options_for(server->port());
        o.password = "admin-pw";
        RedisKvStore kv(o);
        CPPUNIT_ASSERT(kv.put("hdsso:k", "v", now() + 60).ok());
        CPPUNIT_ASSERT_EQUAL(std::string("v"), *kv.get("hdsso:k").value());
    }

    void testWrongPasswordIsUnavailable() {
        start({"--requirepass", "admin-pw"});
        Admin admin(server->port(), "admin-pw");
        CPPUNIT_ASSERT_EQUAL(std::string("OK"), admin.run({"ACL", "SETUSER", "hdsso", "on", ">user-pw", "~*", "+@all"}));
        RemoteStoreOptions o = options_for(server->port());
        o.password = "not-the-password";
        RedisKvStore wrong(o);
        auto r = wrong.insert_if_absent("hdsso:r", "1", now() + 60);
        assertFailure(Status::store_unavailable, r);
        CPPUNIT_ASSERT_MESSAGE(r.error().detail, contains(r.error().detail, "WRONGPASS"));
        CPPUNIT_ASSERT_MESSAGE(r.error().detail, contains(r.error().detail, where()));
        CPPUNIT_ASSERT(!contains(r.error().detail, "not-the-password"));

        o.user = "hdsso";
        RedisKvStore wrong_user_pw(o);
        assertFailure(Status::store_unavailable, wrong_user_pw.get("hdsso:k"));

        RedisKvStore none(options_for(server->port()));
        auto n = none.get("hdsso:k");
        assertFailure(Status::store_unavailable, n);
        CPPUNIT_ASSERT_MESSAGE(n.error().detail, contains(n.error().detail, "NOAUTH"));
    }

    void testMissingDatabaseIsUnavailable() {
        start();
        RemoteStoreOptions o = options_for(server->port());
        o.database = 99;  // redis-server has 16 by default
        RedisKvStore kv(o);
        auto r = kv.put("hdsso:k", "v", now() + 60);
        assertFailure(Status::store_unavailable, r);
        CPPUNIT_ASSERT_MESSAGE(r.error().detail, contains(r.error().detail, "database 99"));
    }

    // maxmemory with noeviction: writes are refused with OOM once it is
    // reached, which is store.full (never a silent eviction); reads go on.
    void testOutOfMemoryIsFull() {
        start({"--maxmemory", "2mb", "--maxmemory-policy", "noeviction"});
        RedisKvStore kv(options_for(server->port()));
        CPPUNIT_ASSERT(kv.put("hdsso:first", "v", now() + 600).ok());
        // Large values first, then one-time records until those are refused too.
        std::string value(8 * 1024, 'x');
        Result<void> last;
        int stored = 0;
        for (int i = 0; i < 10000 && last.ok(); ++i) {
            last = kv.put("hdsso:fill:" + std::to_string(i), value, now() + 600);
            if (last.ok()) ++stored;
        }
        CPPUNIT_ASSERT(stored > 0);
        assertFailure(Status::store_full, last);
        CPPUNIT_ASSERT_MESSAGE(last.error().detail, contains(last.error().detail, "OOM"));
        Result<bool> insert(true);
        for (int i = 0; i < 100000 && insert.ok(); ++i) {
            insert = kv.insert_if_absent("hdsso:r:" + std::to_string(i), "1", now() + 600);
            CPPUNIT_ASSERT(!insert.ok() || insert.value());
        }
        assertFailure(Status::store_full, insert);
        assertFailure(Status::store_full, kv.insert_if_absent("hdsso:r:next", "1", now() + 600));
        CPPUNIT_ASSERT_EQUAL(std::string("v"), *kv.get("hdsso:first").value());
        CPPUNIT_ASSERT(kv.get("hdsso:fill:0").value());
    }

    // Created (and used) before fork, as in Apache's parent: the child uses
    // the object over connections of its own, and the parent's connection
    // still works afterwards.
    void testForkedChildUsesStore() {
        start();
        RedisKvStore kv(options_for(server->port()));
        Admin admin(server->port());
        CPPUNIT_ASSERT(kv.put("hdsso:parent", "p", now() + 60).ok());
        long long connections = admin.connections_received();
        pid_t pid = fork();
        CPPUNIT_ASSERT(pid >= 0);
        if (pid == 0) _exit(child(kv));
        int status = 0;
        CPPUNIT_ASSERT_EQUAL(pid, waitpid(pid, &status, 0));
        CPPUNIT_ASSERT(WIFEXITED(status));
        CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));
        CPPUNIT_ASSERT_EQUAL(std::string("c"), *kv.get("hdsso:child").value());
        CPPUNIT_ASSERT(!kv.insert_if_absent("hdsso:r:child", "1", now() + 60).value());
        CPPUNIT_ASSERT(kv.put("hdsso:parent", "p2", now() + 60).ok());
        CPPUNIT_ASSERT_EQUAL(std::string("p2"), *kv.get("hdsso:parent").value());
        // One new connection: the child's. The parent kept using its own,
        // which the child neither used nor disturbed.
        CPPUNIT_ASSERT_EQUAL(connections + 1, admin.connections_received());
    }

    // Runs in the forked child: no CppUnit assertion here, only an exit code.
    static int child(RedisKvStore& kv) {
        try {
            auto g = kv.get("hdsso:parent");
            if (!g || !g.value() || *g.value() != "p") return 1;
            if (!kv.put("hdsso:child", "c", now() + 60).ok()) return 2;
            auto first = kv.insert_if_absent("hdsso:r:child", "1", now() + 60);
            if (!first || !first.value()) return 3;
            auto second = kv.insert_if_absent("hdsso:r:child", "1", now() + 60);
            if (!second || second.value()) return 4;
            return 0;
        } catch (...) {
            return 5;
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisKvStoreTest);
