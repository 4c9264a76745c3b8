// The single-logout index: a LogoutRequest finds the sessions it names, by
// SessionIndex or NameID of the same issuer only, once.
#include <cppunit/extensions/HelperMacros.h>

#include "core/clock.h"
#include "core/kv_store.h"
#include "session/slo_index.h"

using namespace hdsso;

class SloIndexTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SloIndexTest);
    CPPUNIT_TEST(testBySessionIndex);
    CPPUNIT_TEST(testByNameIdWhenNoIndexIsNamed);
    CPPUNIT_TEST(testOtherIssuerFindsNothing);
    CPPUNIT_TEST(testTakenOnce);
    CPPUNIT_TEST(testExpires);
    CPPUNIT_TEST(testStoreDownIsAnError);
    CPPUNIT_TEST_SUITE_END();

    FixedClock clock{1000};
    MemoryKvStore kv{clock};
    Identity jane() {
        Identity id;
        id.issuer = "https://idp.example.com";
        id.name_id = "jane@example.com";
        id.session_index = "_idx1";
        return id;
    }

public:
    void testBySessionIndex() {
        SloIndex slo(kv);
        CPPUNIT_ASSERT(slo.record(jane(), "HANDLE-1", 2000).ok());
        auto h = slo.take("https://idp.example.com", {"_other", "_idx1"}, "jane@example.com");
        CPPUNIT_ASSERT(h.ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), h.value().size());
        CPPUNIT_ASSERT_EQUAL(std::string("HANDLE-1"), h.value()[0]);
    }

    void testByNameIdWhenNoIndexIsNamed() {
        SloIndex slo(kv);
        CPPUNIT_ASSERT(slo.record(jane(), "HANDLE-1", 2000).ok());
        auto h = slo.take("https://idp.example.com", {}, "jane@example.com");
        CPPUNIT_ASSERT(h.ok() && h.value().size() == 1);
        // An index that names another sign-in does not fall back to the NameID.
        CPPUNIT_ASSERT(slo.record(jane(), "HANDLE-2", 2000).ok());
        CPPUNIT_ASSERT(slo.take("https://idp.example.com", {"_idx9"}, "jane@example.com").value().empty());
    }

    void testOtherIssuerFindsNothing() {
        SloIndex slo(kv);
        CPPUNIT_ASSERT(slo.record(jane(), "HANDLE-1", 2000).ok());
        CPPUNIT_ASSERT(slo.take("https://evil.example.com", {"_idx1"}, "jane@example.com").value().empty());
        CPPUNIT_ASSERT(slo.take("https://evil.example.com", {}, "jane@example.com").value().empty());
    }

    void testTakenOnce() {
        SloIndex slo(kv);
        CPPUNIT_ASSERT(slo.record(jane(), "HANDLE-1", 2000).ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), slo.take("https://idp.example.com", {"_idx1"}, "").value().size());
        CPPUNIT_ASSERT(slo.take("https://idp.example.com", {"_idx1"}, "").value().empty());
    }

    void testExpires() {
        SloIndex slo(kv);
        CPPUNIT_ASSERT(slo.record(jane(), "HANDLE-1", 1500).ok());
        clock.set(1500);
        CPPUNIT_ASSERT(slo.take("https://idp.example.com", {"_idx1"}, "").value().empty());
    }

    void testStoreDownIsAnError() {
        SloIndex slo(kv);
        kv.set_unavailable(true);
        CPPUNIT_ASSERT(!slo.record(jane(), "HANDLE-1", 2000).ok());
        auto h = slo.take("https://idp.example.com", {"_idx1"}, "");
        CPPUNIT_ASSERT(!h.ok());
        CPPUNIT_ASSERT_EQUAL(Status::store_unavailable, h.error().code);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SloIndexTest);
