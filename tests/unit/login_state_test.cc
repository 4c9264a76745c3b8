// Sealed sign-in state: what comes back out is what went in, and nothing
// else opens: altered bytes, another key, another site, an expired state.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "session/login_state.h"

using namespace hdsso;

class LoginStateTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LoginStateTest);
    CPPUNIT_TEST(testRoundTrip);
    CPPUNIT_TEST(testEverySealDiffers);
    CPPUNIT_TEST(testAlteredByteRefused);
    CPPUNIT_TEST(testOtherKeyOrContextRefused);
    CPPUNIT_TEST(testExpiredRefused);
    CPPUNIT_TEST(testGarbageRefused);
    CPPUNIT_TEST(testOverlongFieldRefused);
    CPPUNIT_TEST_SUITE_END();

    const std::string key = std::string(32, 'k');
    LoginState sample() {
        LoginState s;
        s.token = "0123456789abcdef0123456789abcdef";
        s.request_id = "_a1b2c3";
        s.return_to = "/tickets?id=7&x=%20";
        s.expires = 1000600;
        return s;
    }

public:
    void testRoundTrip() {
        LoginStateSealer sealer(key, "helpdesk.example.com:443 hdsso_session");
        auto sealed = sealer.seal(sample());
        CPPUNIT_ASSERT(sealed.ok());
        CPPUNIT_ASSERT(sealed.value().find_first_not_of(
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
        auto s = sealer.open(sealed.value(), 1000000);
        CPPUNIT_ASSERT(s.ok());
        CPPUNIT_ASSERT_EQUAL(sample().token, s.value().token);
        CPPUNIT_ASSERT_EQUAL(sample().request_id, s.value().request_id);
        CPPUNIT_ASSERT_EQUAL(sample().return_to, s.value().return_to);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1000600), s.value().expires);
        // Nothing of the state shows in the cookie.
        CPPUNIT_ASSERT(sealed.value().find("tickets") == std::string::npos);
    }

    void testEverySealDiffers() {
        LoginStateSealer sealer(key, "ctx");
        CPPUNIT_ASSERT(sealer.seal(sample()).value() != sealer.seal(sample()).value());
    }

    void testAlteredByteRefused() {
        LoginStateSealer sealer(key, "ctx");
        std::string sealed = sealer.seal(sample()).value();
        for (std::size_t i = 0; i < sealed.size(); i += 7) {
            std::string t = sealed;
            t[i] = t[i] == 'A' ? 'B' : 'A';
            auto s = sealer.open(t, 1000000);
            CPPUNIT_ASSERT_MESSAGE(std::to_string(i), !s.ok());
        }
        CPPUNIT_ASSERT(!sealer.open(sealed.substr(0, sealed.size() - 2), 1000000).ok());
    }

    void testOtherKeyOrContextRefused() {
        std::string sealed = LoginStateSealer(key, "site-a").seal(sample()).value();
        CPPUNIT_ASSERT(LoginStateSealer(key, "site-a").open(sealed, 1000000).ok());
        CPPUNIT_ASSERT(!LoginStateSealer(key, "site-b").open(sealed, 1000000).ok());
        CPPUNIT_ASSERT(!LoginStateSealer(std::string(32, 'K'), "site-a").open(sealed, 1000000).ok());
        CPPUNIT_ASSERT_EQUAL(Status::url_malformed,
                             LoginStateSealer(key, "site-b").open(sealed, 1000000).error().code);
    }

    void testExpiredRefused() {
        LoginStateSealer sealer(key, "ctx");
        std::string sealed = sealer.seal(sample()).value();
        CPPUNIT_ASSERT(sealer.open(sealed, 1000599).ok());
        auto late = sealer.open(sealed, 1000600);
        CPPUNIT_ASSERT(!late.ok());
        CPPUNIT_ASSERT_EQUAL(Status::saml_too_late, late.error().code);
    }

    void testGarbageRefused() {
        LoginStateSealer sealer(key, "ctx");
        for (const char* g : {"", "x", "AAAA", "not base64!", "AQ", "=====", "deleted"})
            CPPUNIT_ASSERT_MESSAGE(g, !sealer.open(g, 0).ok());
        CPPUNIT_ASSERT(!sealer.open(std::string(100000, 'A'), 0).ok());
    }

    void testOverlongFieldRefused() {
        LoginState s = sample();
        s.return_to = "/" + std::string(LoginStateSealer::kMaxField, 'a');
        CPPUNIT_ASSERT(!LoginStateSealer(key, "ctx").seal(s).ok());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LoginStateTest);
