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
    CPPUNIT_TEST(testEverySessionOfTheUser);
    CPPUNIT_TEST(testOidcAndSamlApart);
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

    // A user signed in from two browsers: a logout by NameID (sub) ends
    // both, by SessionIndex (sid) the one of that index.
    void testEverySessionOfTheUser() {
        SloIndex slo(kv);
        Identity other = jane();
        other.session_index = "_idx2";
        CPPUNIT_ASSERT(slo.record(jane(), "HANDLE-1", 2000).ok());
        CPPUNIT_ASSERT(slo.record(other, "HANDLE-2", 2000).ok());
        CPPUNIT_ASSERT(slo.record(jane(), "HANDLE-3", 2000).ok());  // the same IdP session signed in again
        auto by_index = slo.take("https://idp.example.com", {"_idx1"}, "");
        CPPUNIT_ASSERT(by_index.ok());
        CPPUNIT_ASSERT((by_index.value() == std::vector<std::string>{"HANDLE-1", "HANDLE-3"}));
        auto by_name = slo.take("https://idp.example.com", {}, "jane@example.com");
        CPPUNIT_ASSERT((by_name.value() == std::vector<std::string>{"HANDLE-1", "HANDLE-2", "HANDLE-3"}));
        // The newest 32 are kept.
        for (int i = 0; i < 40; ++i) CPPUNIT_ASSERT(slo.record(jane(), "H" + std::to_string(i), 2000).ok());
        auto kept = slo.take("https://idp.example.com", {}, "jane@example.com").value();
        CPPUNIT_ASSERT_EQUAL(std::size_t(32), kept.size());
        CPPUNIT_ASSERT_EQUAL(std::string("H8"), kept.front());
        CPPUNIT_ASSERT_EQUAL(std::string("H39"), kept.back());
    }

    // One Keycloak realm is a SAML entity and an OpenID issuer of the same
    // name: a logout token never ends a SAML sign-in, nor the reverse.
    void testOidcAndSamlApart() {
        SloIndex slo(kv);
        Identity oidc = jane();
        oidc.name_id_format = "oidc";
        CPPUNIT_ASSERT(slo.record(jane(), "SAML-1", 2000).ok());
        CPPUNIT_ASSERT(slo.record(oidc, "OIDC-1", 2000).ok());
        auto o = slo.take("https://idp.example.com", {}, "jane@example.com", SloProtocol::oidc);
        CPPUNIT_ASSERT((o.value() == std::vector<std::string>{"OIDC-1"}));
        auto saml = slo.take("https://idp.example.com", {}, "jane@example.com");
        CPPUNIT_ASSERT((saml.value() == std::vector<std::string>{"SAML-1"}));
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
