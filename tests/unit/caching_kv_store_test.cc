#include <cppunit/extensions/HelperMacros.h>

#include "core/caching_kv_store.h"
#include "session/session_store.h"

using namespace hdsso;

// Counts what reaches the shared store.
class CountingStore final : public KvStore {
public:
    explicit CountingStore(KvStore& inner) : inner_(inner) {}
    Result<std::optional<std::string>> get(std::string_view k) override { ++gets; return inner_.get(k); }
    Result<void> put(std::string_view k, std::string_view v, std::int64_t e) override { return inner_.put(k, v, e); }
    Result<void> remove(std::string_view k) override { return inner_.remove(k); }
    Result<bool> insert_if_absent(std::string_view k, std::string_view v, std::int64_t e) override {
        ++inserts;
        return inner_.insert_if_absent(k, v, e);
    }
    int gets = 0, inserts = 0;

private:
    KvStore& inner_;
};

class CachingKvStoreTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CachingKvStoreTest);
    CPPUNIT_TEST(testRepeatedReadServedFromCache);
    CPPUNIT_TEST(testEntryUsedForTtlOnly);
    CPPUNIT_TEST(testRemoveInOneProcessInvalidatesOthers);
    CPPUNIT_TEST(testPutUpdatesCache);
    CPPUNIT_TEST(testMissesNotCached);
    CPPUNIT_TEST(testZeroTtlDisablesCache);
    CPPUNIT_TEST(testInsertIfAbsentAlwaysShared);
    CPPUNIT_TEST(testBoundedSize);
    CPPUNIT_TEST(testStaleCopyDoesNotEndTouchedSession);
    CPPUNIT_TEST(testLogoutSeenByOtherProcessAtOnce);
    CPPUNIT_TEST_SUITE_END();

public:
    FixedClock clock{1000};
    MemoryKvStore shared{clock};
    CountingStore counting{shared};
    LocalGeneration gen;  // stands for the counter in shared memory
    ProcessCache cache_a{5, 100}, cache_b{5, 100};
    CachingKvStore a{counting, cache_a, gen, clock};
    CachingKvStore b{counting, cache_b, gen, clock};

    void testRepeatedReadServedFromCache() {
        CPPUNIT_ASSERT(shared.put("k", "v", 9999).ok());
        for (int i = 0; i < 10; ++i) CPPUNIT_ASSERT_EQUAL(std::string("v"), *a.get("k").value());
        CPPUNIT_ASSERT_EQUAL(1, counting.gets);
    }
    void testEntryUsedForTtlOnly() {
        CPPUNIT_ASSERT(shared.put("k", "v", 9999).ok());
        CPPUNIT_ASSERT(a.get("k").ok());
        clock.advance(4);
        CPPUNIT_ASSERT(a.get("k").ok());
        CPPUNIT_ASSERT_EQUAL(1, counting.gets);
        clock.advance(1);
        CPPUNIT_ASSERT(a.get("k").ok());
        CPPUNIT_ASSERT_EQUAL(2, counting.gets);
    }
    void testRemoveInOneProcessInvalidatesOthers() {
        CPPUNIT_ASSERT(shared.put("k", "v", 9999).ok());
        CPPUNIT_ASSERT(b.get("k").value());
        CPPUNIT_ASSERT(a.remove("k").ok());
        CPPUNIT_ASSERT(!b.get("k").value());
    }
    void testPutUpdatesCache() {
        CPPUNIT_ASSERT(a.put("k", "v1", 9999).ok());
        CPPUNIT_ASSERT(a.put("k", "v2", 9999).ok());
        CPPUNIT_ASSERT_EQUAL(std::string("v2"), *a.get("k").value());
        CPPUNIT_ASSERT_EQUAL(0, counting.gets);
    }
    void testMissesNotCached() {
        CPPUNIT_ASSERT(!a.get("k").value());
        CPPUNIT_ASSERT(shared.put("k", "v", 9999).ok());
        CPPUNIT_ASSERT(a.get("k").value());
    }
    void testZeroTtlDisablesCache() {
        ProcessCache off{0, 100};
        CachingKvStore c{counting, off, gen, clock};
        CPPUNIT_ASSERT(shared.put("k", "v", 9999).ok());
        CPPUNIT_ASSERT(c.get("k").ok());
        CPPUNIT_ASSERT(c.get("k").ok());
        CPPUNIT_ASSERT_EQUAL(2, counting.gets);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), off.size());
    }
    void testInsertIfAbsentAlwaysShared() {
        CPPUNIT_ASSERT(a.insert_if_absent("r", "1", 9999).value());
        CPPUNIT_ASSERT(!b.insert_if_absent("r", "1", 9999).value());
        CPPUNIT_ASSERT_EQUAL(2, counting.inserts);
    }
    void testBoundedSize() {
        ProcessCache small{5, 10};
        CachingKvStore c{counting, small, gen, clock};
        for (int i = 0; i < 100; ++i) CPPUNIT_ASSERT(c.put("k" + std::to_string(i), "v", 9999).ok());
        CPPUNIT_ASSERT(small.size() <= 10);
    }
    // Process B holds an old copy while process A keeps the session active:
    // B must not end the session on its copy's old last_seen.
    void testStaleCopyDoesNotEndTouchedSession() {
        SessionPolicy policy{3600, 10, 1};
        ProcessCache long_ttl{60, 100};
        CachingKvStore b_long{counting, long_ttl, gen, clock};
        SessionStore sa{a, clock, policy}, sb{b_long, clock, policy};
        auto id = sa.create(Identity{}, "h").value().id;  // last_seen 1000
        clock.set(1005);
        CPPUNIT_ASSERT(sb.get(id, "h").value());           // B caches last_seen 1000
        clock.set(1008);
        auto s = sa.get(id, "h").value();
        CPPUNIT_ASSERT(sa.touch(*s).ok());                  // shared last_seen 1008
        clock.set(1012);                                    // idle by B's copy, not in truth
        auto got = sb.get(id, "h");
        CPPUNIT_ASSERT(got.ok());
        CPPUNIT_ASSERT_MESSAGE("a touched session was ended on a cached copy", got.value().has_value());
        clock.set(1018);                                    // now idle in truth
        CPPUNIT_ASSERT(!sb.get(id, "h").value());
    }
    void testLogoutSeenByOtherProcessAtOnce() {
        SessionPolicy policy{3600, 600, 60};
        SessionStore sa{a, clock, policy}, sb{b, clock, policy};
        auto id = sa.create(Identity{}, "h").value().id;
        CPPUNIT_ASSERT(sb.get(id, "h").value());
        CPPUNIT_ASSERT(sa.destroy(id).ok());
        CPPUNIT_ASSERT(!sb.get(id, "h").value());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CachingKvStoreTest);
