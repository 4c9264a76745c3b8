// MemcachedKvStore against real memcached processes started by each test
// (see server_process.h); no mock. Meta commands over the test's own
// connection ("mg key t") look at what the store wrote.
#include <cppunit/extensions/HelperMacros.h>
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
#include "store/memcached_store.h"

using namespace hdsso;
using hdsso::test::ServerProcess;

namespace {

std::int64_t now() { return SystemClock().now(); }

void wait_until(std::int64_t t) {
    while (now() < t) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

RemoteStoreOptions options_for(std::vector<int> ports) {
    RemoteStoreOptions o;
    for (int p : ports) o.servers.emplace_back("127.0.0.1", p);
    return o;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// Whether the server at `port` holds `key` (meta get, no value).
bool holds(int port, const std::string& key) { return hdsso::test::ask(port, "mg " + key + "\r\n") == "HD"; }

// The remaining TTL memcached reports for `key`, -2 if absent.
long long ttl_of(int port, const std::string& key) {
    std::string answer = hdsso::test::ask(port, "mg " + key + " t\r\n");  // "HD t123" or "EN"
    auto at = answer.find(" t");
    return answer.rfind("HD", 0) == 0 && at != std::string::npos ? std::stoll(answer.substr(at + 2)) : -2;
}

// Connections the server has accepted so far, counting the one that asks.
long long total_connections(int port) {
    std::string stats = hdsso::test::ask(port, "stats\r\n", "END\r\n");
    const std::string field = "STAT total_connections ";
    auto at = stats.find(field);
    CPPUNIT_ASSERT(at != std::string::npos);
    return std::stoll(stats.substr(at + field.size()));
}

}  // namespace

class MemcachedKvStoreTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MemcachedKvStoreTest);
    CPPUNIT_TEST(testPutGetRemove);
    CPPUNIT_TEST(testExpiryHonoured);
    CPPUNIT_TEST(testExpiryOverThirtyDays);
    CPPUNIT_TEST(testExpiryAlreadyPassed);
    CPPUNIT_TEST(testInsertIfAbsent);
    CPPUNIT_TEST(testConcurrentInsertExactlyOnce);
    CPPUNIT_TEST(testValueBound);
    CPPUNIT_TEST(testServerDownIsUnavailable);
    CPPUNIT_TEST(testRecoversAfterRestart);
    CPPUNIT_TEST(testSilentServerTimesOut);
    CPPUNIT_TEST(testSeveralServersConsistent);
    CPPUNIT_TEST(testOutOfMemoryIsFull);
    CPPUNIT_TEST(testForkedChildUsesStore);
    CPPUNIT_TEST_SUITE_END();

public:
    std::unique_ptr<ServerProcess> server;

    void tearDown() override { server.reset(); }

    void start(std::vector<std::string> extra = {}) {
        server = std::make_unique<ServerProcess>(ServerProcess::Kind::memcached, std::move(extra));
    }
    int port() const { return server->port(); }
    std::string where() const { return "127.0.0.1:" + std::to_string(server->port()); }

    template <class R>
    void assertFailure(Status expected, const R& r) {
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.error().detail, expected, r.error().code);
    }

    void testPutGetRemove() {
        start();
        MemcachedKvStore kv(options_for({port()}));
        CPPUNIT_ASSERT(!kv.get("hdsso:k").value());
        CPPUNIT_ASSERT(kv.put("hdsso:k", "v", now() + 60).ok());
        CPPUNIT_ASSERT_EQUAL(std::string("v"), *kv.get("hdsso:k").value());
        CPPUNIT_ASSERT(kv.put("hdsso:k", std::string("w\0\r\nx", 5), now() + 60).ok());
        CPPUNIT_ASSERT_EQUAL(std::string("w\0\r\nx", 5), *kv.get("hdsso:k").value());
        CPPUNIT_ASSERT(kv.put("hdsso:empty", "", now() + 60).ok());
        CPPUNIT_ASSERT_EQUAL(std::string(), *kv.get("hdsso:empty").value());
        CPPUNIT_ASSERT(kv.remove("hdsso:k").ok());
        CPPUNIT_ASSERT(!kv.get("hdsso:k").value());
        CPPUNIT_ASSERT(kv.remove("hdsso:k").ok());
    }

    // A relative expiration one second longer than the time left (memcached
    // counts whole seconds): the item outlives expires_at, then goes.
    void testExpiryHonoured() {
        start();
        MemcachedKvStore kv(options_for({port()}));
        std::int64_t exp = now() + 1;
        CPPUNIT_ASSERT(kv.put("hdsso:short", "v", exp).ok());
        CPPUNIT_ASSERT(kv.insert_if_absent("hdsso:long", "1", now() + 600).value());
        long long short_ttl = ttl_of(port(), "hdsso:short");
        long long long_ttl = ttl_of(port(), "hdsso:long");
        CPPUNIT_ASSERT(short_ttl > 0 && short_ttl <= 2);
        CPPUNIT_ASSERT(long_ttl > 595 && long_ttl <= 601);
        CPPUNIT_ASSERT(kv.get("hdsso:short").value());
        wait_until(exp + 3);
        CPPUNIT_ASSERT(!kv.get("hdsso:short").value());
        CPPUNIT_ASSERT(!holds(port(), "hdsso:short"));
        CPPUNIT_ASSERT(kv.get("hdsso:long").value());
    }

    // Over 30 days memcached wants an absolute time; sent as such, the TTL
    // memcached reports is still about 40 days (not an item already expired).
    void testExpiryOverThirtyDays() {
        start();
        MemcachedKvStore kv(options_for({port()}));
        const long long forty_days = 40LL * 24 * 3600;
        CPPUNIT_ASSERT(kv.put("hdsso:k", "v", now() + forty_days).ok());
        CPPUNIT_ASSERT(kv.insert_if_absent("hdsso:r", "1", now() + forty_days).value());
        long long ttl = ttl_of(port(), "hdsso:k");
        CPPUNIT_ASSERT(ttl > forty_days - 10 && ttl <= forty_days + 2);
        CPPUNIT_ASSERT(ttl_of(port(), "hdsso:r") > forty_days - 10);
        CPPUNIT_ASSERT_EQUAL(std::string("v"), *kv.get("hdsso:k").value());
    }

    void testExpiryAlreadyPassed() {
        start();
        MemcachedKvStore kv(options_for({port()}));
        CPPUNIT_ASSERT(kv.put("hdsso:k", "v", now() + 60).ok());
        CPPUNIT_ASSERT(kv.put("hdsso:k", "w", now() - 5).ok());
        CPPUNIT_ASSERT(!kv.get("hdsso:k").value());
        CPPUNIT_ASSERT(!holds(port(), "hdsso:k"));
        CPPUNIT_ASSERT(kv.insert_if_absent("hdsso:r", "1", now() - 5).value());
        CPPUNIT_ASSERT(!kv.insert_if_absent("hdsso:r", "1", now() - 5).value());
        long long ttl = ttl_of(port(), "hdsso:r");
        CPPUNIT_ASSERT(ttl > 0 && ttl <= 2);
    }

    void testInsertIfAbsent() {
        start();
        MemcachedKvStore kv(options_for({port()}));
        CPPUNIT_ASSERT(kv.insert_if_absent("hdsso:r", "1", now() + 60).value());
        CPPUNIT_ASSERT(!kv.insert_if_absent("hdsso:r", "2", now() + 60).value());
        CPPUNIT_ASSERT_EQUAL(std::string("1"), *kv.get("hdsso:r").value());
        CPPUNIT_ASSERT(kv.remove("hdsso:r").ok());
        CPPUNIT_ASSERT(kv.insert_if_absent("hdsso:r", "3", now() + 60).value());
    }

    void testConcurrentInsertExactlyOnce() {
        start();
        MemcachedKvStore a(options_for({port()})), b(options_for({port()}));
        constexpr int kThreads = 8, kKeys = 200;
        std::vector<std::atomic<int>> accepted(kKeys);
        std::atomic<int> failures{0};
        std::atomic<bool> go{false};
        std::int64_t exp = now() + 600;
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                MemcachedKvStore& kv = t % 2 ? a : b;
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
        MemcachedKvStore kv(options_for({port()}));
        std::string session(64 * 1024, 's');
        CPPUNIT_ASSERT(kv.put("hdsso:s", session, now() + 60).ok());
        CPPUNIT_ASSERT_EQUAL(session, *kv.get("hdsso:s").value());
        assertFailure(Status::store_full, kv.put("hdsso:s", session + "x", now() + 60));
        assertFailure(Status::store_full, kv.insert_if_absent("hdsso:t", session + "x", now() + 60));
    }

    void testServerDownIsUnavailable() {
        start();
        MemcachedKvStore kv(options_for({port()}));
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

    void testRecoversAfterRestart() {
        start();
        MemcachedKvStore kv(options_for({port()}));
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

    void testSilentServerTimesOut() {
        hdsso::test::SilentServer silent;
        RemoteStoreOptions o = options_for({silent.port()});
        o.command_timeout_ms = 200;
        MemcachedKvStore kv(o);
        auto r = kv.insert_if_absent("hdsso:r", "1", now() + 60);
        assertFailure(Status::store_unavailable, r);
        CPPUNIT_ASSERT_MESSAGE(r.error().detail, contains(r.error().detail, std::to_string(silent.port())));
        assertFailure(Status::store_unavailable, kv.get("hdsso:r"));
    }

    // Two memcached servers: keys spread over both, each on exactly one; a
    // store listing them in the other order finds every key (consistent
    // hashing by name). One server down: its keys fail closed, they never
    // move to the other server; the other server's keys still work.
    void testSeveralServersConsistent() {
        start();
        ServerProcess other(ServerProcess::Kind::memcached);
        MemcachedKvStore kv(options_for({port(), other.port()}));
        MemcachedKvStore reversed(options_for({other.port(), port()}));
        constexpr int kKeys = 200;
        int on_first = 0, on_other = 0;
        for (int k = 0; k < kKeys; ++k) {
            std::string key = "hdsso:spread:" + std::to_string(k);
            CPPUNIT_ASSERT(kv.put(key, std::to_string(k), now() + 600).ok());
            on_first += holds(port(), key);
            on_other += holds(other.port(), key);
        }
        CPPUNIT_ASSERT_EQUAL(kKeys, on_first + on_other);
        CPPUNIT_ASSERT(on_first > kKeys / 5 && on_other > kKeys / 5);
        for (int k = 0; k < kKeys; ++k) {
            std::string key = "hdsso:spread:" + std::to_string(k);
            auto g = reversed.get(key);
            CPPUNIT_ASSERT(g.ok() && g.value());
            CPPUNIT_ASSERT_EQUAL(std::to_string(k), *g.value());
        }
        std::vector<bool> was_other(kKeys);
        for (int k = 0; k < kKeys; ++k) was_other[k] = holds(other.port(), "hdsso:spread:" + std::to_string(k));
        other.kill_now();
        for (int k = 0; k < kKeys; ++k) {
            std::string key = "hdsso:spread:" + std::to_string(k);
            if (was_other[k]) {
                assertFailure(Status::store_unavailable, kv.get(key));
                assertFailure(Status::store_unavailable, kv.insert_if_absent(key, "1", now() + 600));
            } else {
                CPPUNIT_ASSERT_EQUAL(std::to_string(k), *kv.get(key).value());
                CPPUNIT_ASSERT(!kv.insert_if_absent(key, "1", now() + 600).value());
            }
        }
    }

    // memcached -M (no eviction) at its -m limit answers "SERVER_ERROR out
    // of memory": store.full, never a silent eviction; reads go on.
    void testOutOfMemoryIsFull() {
        start({"-m", "2", "-M"});
        MemcachedKvStore kv(options_for({port()}));
        CPPUNIT_ASSERT(kv.put("hdsso:first", "v", now() + 600).ok());
        // Large values first, then one-time records until those are refused too.
        std::string value(8 * 1024, 'x');
        Result<void> last;
        int stored = 0;
        for (int i = 0; i < 20000 && last.ok(); ++i) {
            last = kv.put("hdsso:fill:" + std::to_string(i), value, now() + 600);
            if (last.ok()) ++stored;
        }
        CPPUNIT_ASSERT(stored > 0);
        assertFailure(Status::store_full, last);
        CPPUNIT_ASSERT_MESSAGE(last.error().detail, contains(last.error().detail, "out of memory"));
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

    void testForkedChildUsesStore() {
        start();
        MemcachedKvStore kv(options_for({port()}));
        CPPUNIT_ASSERT(kv.put("hdsso:parent", "p", now() + 60).ok());
        long long connections = total_connections(port());
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
        // Two new connections: the child's and this count's. The parent kept
        // its own, which the child left alone (no quit, no shutdown).
        CPPUNIT_ASSERT_EQUAL(connections + 2, total_connections(port()));
    }

    // Runs in the forked child: no CppUnit assertion here, only an exit code.
    static int child(MemcachedKvStore& kv) {
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

CPPUNIT_TEST_SUITE_REGISTRATION(MemcachedKvStoreTest);
