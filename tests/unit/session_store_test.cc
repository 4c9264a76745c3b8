#include <cppunit/extensions/HelperMacros.h>

#include "session/session_store.h"

using namespace hdsso;

namespace {
Identity jane() {
    Identity id;
    id.subject = "jane@example.com";
    id.email = "jane@example.com";
    id.display_name = "Jane Doe";
    id.given_name = "Jane";
    id.family_name = "Doe";
    id.groups = {"agents", "admins"};
    id.attributes = {{"company", {"Acme"}}, {"multi", {"a", "b", ""}}};
    id.issuer = "remote-auth";
    id.idp_name = "remote";
    id.auth_time = 1000;
    id.name_id = "jane@example.com";
    id.name_id_format = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
    id.session_index = "_s1";
    return id;
}
}  // namespace

class SessionStoreTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SessionStoreTest);
    CPPUNIT_TEST(testCreateThenGet);
    CPPUNIT_TEST(testFreshRandomIds);
    CPPUNIT_TEST(testUnknownAndMalformedIdsGiveNothing);
    CPPUNIT_TEST(testOtherBindingGivesNothing);
    CPPUNIT_TEST(testLifetimeEnds);
    CPPUNIT_TEST(testIdleTimeoutEnds);
    CPPUNIT_TEST(testTouchKeepsActiveSessionAlive);
    CPPUNIT_TEST(testIdentityExpiryCapsSession);
    CPPUNIT_TEST(testDestroy);
    CPPUNIT_TEST(testStoreKeyIsNotTheId);
    CPPUNIT_TEST(testUnavailableStoreReported);
    CPPUNIT_TEST(testCodecRoundTrip);
    CPPUNIT_TEST(testCodecRejectsAttributesOutOfOrderOrRepeated);
    CPPUNIT_TEST(testCodecRejectsEveryTruncation);
    CPPUNIT_TEST(testCodecRejectsTrailingBytesAndOtherVersion);
    CPPUNIT_TEST_SUITE_END();

public:
    FixedClock clock{1000};
    MemoryKvStore kv{clock};
    SessionPolicy policy{3600, 600, 60};
    SessionStore store{kv, clock, policy};

    void testCreateThenGet() {
        auto s = store.create(jane(), "helpdesk:443");
        CPPUNIT_ASSERT(s.ok());
        auto got = store.get(s.value()->id, "helpdesk:443");
        CPPUNIT_ASSERT(got.ok() && got.value());
        CPPUNIT_ASSERT(jane() == got.value()->identity);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(4600), got.value()->expires);
    }
    void testFreshRandomIds() {
        auto a = store.create(jane(), "b").value()->id, b = store.create(jane(), "b").value()->id;
        CPPUNIT_ASSERT(a != b);
        CPPUNIT_ASSERT(SessionStore::well_formed_id(a));
    }
    void testUnknownAndMalformedIdsGiveNothing() {
        CPPUNIT_ASSERT(!store.get(std::string(43, 'A'), "b").value());
        CPPUNIT_ASSERT(!store.get("short", "b").value());
        CPPUNIT_ASSERT(!store.get(std::string(42, 'A') + "=", "b").value());
        CPPUNIT_ASSERT(!store.get("", "b").value());
    }
    void testOtherBindingGivesNothing() {
        auto id = store.create(jane(), "agents:443").value()->id;
        CPPUNIT_ASSERT(!store.get(id, "customers:443").value());
    }
    void testLifetimeEnds() {
        SessionStore s2{kv, clock, SessionPolicy{3600, 0, 60}};
        auto id = s2.create(jane(), "b").value()->id;
        clock.set(1000 + 3599);
        CPPUNIT_ASSERT(s2.get(id, "b").value());
        clock.set(1000 + 3600);
        CPPUNIT_ASSERT(!s2.get(id, "b").value());
    }
    void testIdleTimeoutEnds() {
        auto id = store.create(jane(), "b").value()->id;
        clock.set(1000 + 599);
        CPPUNIT_ASSERT(store.get(id, "b").value());
        clock.set(1000 + 600);
        CPPUNIT_ASSERT(!store.get(id, "b").value());
    }
    void testTouchKeepsActiveSessionAlive() {
        auto id = store.create(jane(), "b").value()->id;
        for (int i = 1; i <= 10; ++i) {
            clock.set(1000 + i * 300);
            auto s = store.get(id, "b");
            CPPUNIT_ASSERT(s.ok() && s.value());
            CPPUNIT_ASSERT(store.touch(*s.value()).ok());
        }
        clock.set(1000 + 3600);
        CPPUNIT_ASSERT(!store.get(id, "b").value());  // the lifetime still ends it
    }
    void testIdentityExpiryCapsSession() {
        Identity id = jane();
        id.expiry = 1500;
        auto s = store.create(id, "b").value();
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1500), s->expires);
    }
    void testDestroy() {
        auto id = store.create(jane(), "b").value()->id;
        CPPUNIT_ASSERT(store.destroy(id).ok());
        CPPUNIT_ASSERT(!store.get(id, "b").value());
        CPPUNIT_ASSERT(store.destroy("not-an-id").ok());
    }
    void testStoreKeyIsNotTheId() {
        auto id = store.create(jane(), "b").value()->id;
        CPPUNIT_ASSERT(!kv.get(id).value());
        CPPUNIT_ASSERT(!kv.get("hdsso:s:" + id).value());
    }
    void testUnavailableStoreReported() {
        auto id = store.create(jane(), "b").value()->id;
        kv.set_unavailable(true);
        CPPUNIT_ASSERT_EQUAL(Status::store_unavailable, store.get(id, "b").error().code);
        CPPUNIT_ASSERT_EQUAL(Status::store_unavailable, store.create(jane(), "b").error().code);
    }
    void testCodecRoundTrip() {
        Session s;
        s.binding = "h:1";
        s.identity = jane();
        s.created = 1;
        s.expires = -2;
        s.last_seen = 1LL << 40;
        auto d = decode_session(encode_session(s));
        CPPUNIT_ASSERT(d.ok());
        CPPUNIT_ASSERT(d.value().identity == s.identity);
        CPPUNIT_ASSERT_EQUAL(s.expires, d.value().expires);
        CPPUNIT_ASSERT_EQUAL(s.last_seen, d.value().last_seen);
        CPPUNIT_ASSERT_EQUAL(s.binding, d.value().binding);
    }
    void testCodecRejectsEveryTruncation() {
        Session s;
        s.identity = jane();
        std::string rec = encode_session(s);
        for (std::size_t n = 0; n < rec.size(); ++n)
            CPPUNIT_ASSERT_EQUAL(Status::session_malformed, decode_session(rec.substr(0, n)).error().code);
    }
    void testCodecRejectsTrailingBytesAndOtherVersion() {
        Session s;
        std::string rec = encode_session(s);
        CPPUNIT_ASSERT(!decode_session(rec + "x").ok());
        rec[0] = static_cast<char>(rec[0] + 1);  // a version this build does not know
        CPPUNIT_ASSERT(!decode_session(rec).ok());
        rec[0] = 1;  // the version before SAML fields
        CPPUNIT_ASSERT(!decode_session(rec).ok());
    }
    // Found by tests/fuzz/fuzz_session_codec: attribute names out of order
    // or repeated decoded (a repeat silently dropped), so a record had more
    // than one encoding.
    void testCodecRejectsAttributesOutOfOrderOrRepeated() {
        Session s;
        s.identity.attributes = {{"aa", {"1"}}, {"bb", {"2"}}};
        std::string rec = encode_session(s);
        CPPUNIT_ASSERT(decode_session(rec).ok());
        std::size_t a = rec.find("aa"), b = rec.find("bb");
        std::string swapped = rec, repeated = rec;
        swapped[a] = swapped[a + 1] = 'b';
        swapped[b] = swapped[b + 1] = 'a';
        CPPUNIT_ASSERT_EQUAL(Status::session_malformed, decode_session(swapped).error().code);
        repeated[b] = repeated[b + 1] = 'a';
        CPPUNIT_ASSERT_EQUAL(Status::session_malformed, decode_session(repeated).error().code);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SessionStoreTest);
