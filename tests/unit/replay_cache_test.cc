#include <cppunit/extensions/HelperMacros.h>

#include <thread>
#include <vector>
#include <atomic>

#include "core/replay_cache.h"

using namespace hdsso;

class ReplayCacheTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReplayCacheTest);
    CPPUNIT_TEST(testFirstUseThenReplay);
    CPPUNIT_TEST(testNamespacesAreSeparate);
    CPPUNIT_TEST(testForgottenAfterExpiry);
    CPPUNIT_TEST(testStoreNeverHoldsTheId);
    CPPUNIT_TEST(testFailsClosed);
    CPPUNIT_TEST(testConcurrentUseAcceptedOnce);
    CPPUNIT_TEST_SUITE_END();

public:
    FixedClock clock{1000};
    MemoryKvStore kv{clock};
    ReplayCache cache{kv};

    void testFirstUseThenReplay() {
        CPPUNIT_ASSERT(cache.first_use("remote", "abc", 2000).value());
        CPPUNIT_ASSERT(!cache.first_use("remote", "abc", 2000).value());
    }
    void testNamespacesAreSeparate() {
        CPPUNIT_ASSERT(cache.first_use("remote", "abc", 2000).value());
        CPPUNIT_ASSERT(cache.first_use("jwt", "abc", 2000).value());
        // No ambiguity between namespace and id.
        CPPUNIT_ASSERT(cache.first_use("remot", "eabc", 2000).value());
    }
    void testForgottenAfterExpiry() {
        CPPUNIT_ASSERT(cache.first_use("remote", "abc", 1100).value());
        clock.set(1100);
        CPPUNIT_ASSERT(cache.first_use("remote", "abc", 1200).value());
    }
    void testStoreNeverHoldsTheId() {
        CPPUNIT_ASSERT(cache.first_use("remote", "secret-token-value", 2000).value());
        CPPUNIT_ASSERT(!kv.get("secret-token-value").value());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), kv.size());
    }
    void testFailsClosed() {
        kv.set_unavailable(true);
        auto r = cache.first_use("remote", "abc", 2000);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_EQUAL(Status::store_unavailable, r.error().code);
    }
    void testConcurrentUseAcceptedOnce() {
        std::atomic<int> accepted{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 8; ++i)
            threads.emplace_back([&] {
                for (int k = 0; k < 100; ++k)
                    if (cache.first_use("remote", "id" + std::to_string(k), 2000).value()) ++accepted;
            });
        for (auto& t : threads) t.join();
        CPPUNIT_ASSERT_EQUAL(100, accepted.load());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReplayCacheTest);
