#include <cppunit/extensions/HelperMacros.h>

#include "core/kv_store.h"

using namespace hdsso;

class KvStoreTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(KvStoreTest);
    CPPUNIT_TEST(testPutGetRemove);
    CPPUNIT_TEST(testExpiry);
    CPPUNIT_TEST(testInsertIfAbsent);
    CPPUNIT_TEST(testInsertIfAbsentAfterExpiry);
    CPPUNIT_TEST(testUnavailable);
    CPPUNIT_TEST_SUITE_END();

public:
    FixedClock clock{1000};
    MemoryKvStore kv{clock};

    void testPutGetRemove() {
        CPPUNIT_ASSERT(!kv.get("k").value());
        CPPUNIT_ASSERT(kv.put("k", "v", 2000).ok());
        CPPUNIT_ASSERT_EQUAL(std::string("v"), *kv.get("k").value());
        CPPUNIT_ASSERT(kv.put("k", "w", 2000).ok());
        CPPUNIT_ASSERT_EQUAL(std::string("w"), *kv.get("k").value());
        CPPUNIT_ASSERT(kv.remove("k").ok());
        CPPUNIT_ASSERT(!kv.get("k").value());
        CPPUNIT_ASSERT(kv.remove("k").ok());
    }
    void testExpiry() {
        CPPUNIT_ASSERT(kv.put("k", "v", 1010).ok());
        clock.set(1009);
        CPPUNIT_ASSERT(kv.get("k").value());
        clock.set(1010);
        CPPUNIT_ASSERT(!kv.get("k").value());
    }
    void testInsertIfAbsent() {
        CPPUNIT_ASSERT(kv.insert_if_absent("k", "1", 2000).value());
        CPPUNIT_ASSERT(!kv.insert_if_absent("k", "2", 2000).value());
        CPPUNIT_ASSERT_EQUAL(std::string("1"), *kv.get("k").value());
    }
    void testInsertIfAbsentAfterExpiry() {
        CPPUNIT_ASSERT(kv.insert_if_absent("k", "1", 1005).value());
        clock.set(1005);
        CPPUNIT_ASSERT(kv.insert_if_absent("k", "2", 2000).value());
    }
    void testUnavailable() {
        kv.set_unavailable(true);
        CPPUNIT_ASSERT_EQUAL(Status::store_unavailable, kv.get("k").error().code);
        CPPUNIT_ASSERT_EQUAL(Status::store_unavailable, kv.put("k", "v", 2000).error().code);
        CPPUNIT_ASSERT_EQUAL(Status::store_unavailable, kv.insert_if_absent("k", "v", 2000).error().code);
        CPPUNIT_ASSERT_EQUAL(Status::store_unavailable, kv.remove("k").error().code);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(KvStoreTest);
