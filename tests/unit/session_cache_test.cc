// The per-process cache of decoded sessions: what it saves, and that it
// never keeps a session alive that the shared store has ended.
#include <cppunit/extensions/HelperMacros.h>

#include "session/session_store.h"

using namespace hdsso;

namespace {

// Counts the reads that reach the shared store.
class CountingStore final : public KvStore {
public:
    explicit CountingStore(KvStore& inner) : inner_(inner) {}
    Result<std::optional<std::string>> get(std::string_view k) override {
        ++gets;
        return inner_.get(k);
    }
    Result<void> put(std::string_view k, std::string_view v, std::int64_t e) override { return inner_.put(k, v, e); }
    Result<void> remove(std::string_view k) override { return inner_.remove(k); }
    Result<bool> insert_if_absent(std::string_view k, std::string_view v, std::int64_t e) override {
        return inner_.insert_if_absent(k, v, e);
    }
    int gets = 0;

private:
    KvStore& inner_;
};

}  // namespace

class SessionCacheTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SessionCacheTest);
    CPPUNIT_TEST(testRepeatedLookupServedFromCache);
    CPPUNIT_TEST(testEntryUsedForTtlOnly);
    CPPUNIT_TEST(testDestroyInOneProcessSeenByOthersAtOnce);
    CPPUNIT_TEST(testZeroTtlDisablesCache);
    CPPUNIT_TEST(testBoundedSize);
    CPPUNIT_TEST(testOtherBindingNotServedFromCache);
    CPPUNIT_TEST(testStaleCopyDoesNotEndTouchedSession);
    CPPUNIT_TEST(testExpiredSessionEndsEvenIfCached);
    CPPUNIT_TEST_SUITE_END();

public:
    FixedClock clock{1000};
    MemoryKvStore shared{clock};
    CountingStore counting{shared};
    LocalGeneration gen;  // stands for the counter in shared memory
    SessionCache cache_a{5, 100}, cache_b{5, 100};
    SessionPolicy policy{3600, 600, 60};
    SessionStore a{counting, clock, policy, &cache_a, &gen};  // "process" A
    SessionStore b{counting, clock, policy, &cache_b, &gen};  // "process" B

    std::string new_session(SessionStore& s) { return s.create(Identity{}, "h").value()->id; }

    void testRepeatedLookupServedFromCache() {
        auto id = new_session(a);
        for (int i = 0; i < 10; ++i) CPPUNIT_ASSERT(b.get(id, "h").value());
        CPPUNIT_ASSERT_EQUAL(1, counting.gets);
        CPPUNIT_ASSERT(a.get(id, "h").value());
        CPPUNIT_ASSERT_EQUAL(1, counting.gets);  // the creator cached it
    }
    void testEntryUsedForTtlOnly() {
        auto id = new_session(a);
        CPPUNIT_ASSERT(b.get(id, "h").value());
        clock.advance(4);
        CPPUNIT_ASSERT(b.get(id, "h").value());
        CPPUNIT_ASSERT_EQUAL(1, counting.gets);
        clock.advance(1);
        CPPUNIT_ASSERT(b.get(id, "h").value());
        CPPUNIT_ASSERT_EQUAL(2, counting.gets);
    }
    void testDestroyInOneProcessSeenByOthersAtOnce() {
        auto id = new_session(a);
        CPPUNIT_ASSERT(b.get(id, "h").value());
        CPPUNIT_ASSERT(a.destroy(id).ok());
        CPPUNIT_ASSERT(!b.get(id, "h").value());
    }
    void testZeroTtlDisablesCache() {
        SessionCache off{0, 100};
        SessionStore c{counting, clock, policy, &off, &gen};
        auto id = new_session(c);
        CPPUNIT_ASSERT(c.get(id, "h").value());
        CPPUNIT_ASSERT(c.get(id, "h").value());
        CPPUNIT_ASSERT_EQUAL(2, counting.gets);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), off.size());
    }
    void testBoundedSize() {
        SessionCache small{5, 10};
        SessionStore c{counting, clock, policy, &small, &gen};
        for (int i = 0; i < 100; ++i) new_session(c);
        CPPUNIT_ASSERT(small.size() <= 10);
    }
    void testOtherBindingNotServedFromCache() {
        auto id = new_session(a);
        CPPUNIT_ASSERT(!a.get(id, "other").value());
    }
    // Process B holds an old copy while process A keeps the session active:
    // B must not end the session on its copy's old last_seen.
    void testStaleCopyDoesNotEndTouchedSession() {
        SessionPolicy short_idle{3600, 10, 1};
        SessionCache long_ttl{60, 100};
        SessionStore sa{counting, clock, short_idle, &cache_a, &gen};
        SessionStore sb{counting, clock, short_idle, &long_ttl, &gen};
        auto id = new_session(sa);                         // last_seen 1000
        clock.set(1005);
        CPPUNIT_ASSERT(sb.get(id, "h").value());           // B caches last_seen 1000
        clock.set(1008);
        CPPUNIT_ASSERT(sa.touch(*sa.get(id, "h").value()).ok());  // shared last_seen 1008
        clock.set(1012);                                   // idle by B's copy, not in truth
        auto got = sb.get(id, "h");
        CPPUNIT_ASSERT(got.ok());
        CPPUNIT_ASSERT_MESSAGE("a touched session was ended on a cached copy", got.value() != nullptr);
        clock.set(1018);                                   // now idle in truth
        CPPUNIT_ASSERT(!sb.get(id, "h").value());
    }
    void testExpiredSessionEndsEvenIfCached() {
        SessionPolicy short_life{100, 0, 60};
        SessionCache long_ttl{300, 100};
        SessionStore c{counting, clock, short_life, &long_ttl, &gen};
        auto id = new_session(c);
        clock.set(1099);
        CPPUNIT_ASSERT(c.get(id, "h").value());
        clock.set(1100);
        CPPUNIT_ASSERT(!c.get(id, "h").value());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SessionCacheTest);
