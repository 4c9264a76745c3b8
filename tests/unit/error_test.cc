#include <cppunit/extensions/HelperMacros.h>

#include <set>
#include <string>

#include "core/error.h"

using namespace hdsso;

class ErrorTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ErrorTest);
    CPPUNIT_TEST(testNamesAreUniqueAndDotted);
    CPPUNIT_TEST(testStableNames);
    CPPUNIT_TEST(testResult);
    CPPUNIT_TEST(testHttpClasses);
    CPPUNIT_TEST_SUITE_END();

public:
    void testNamesAreUniqueAndDotted() {
        std::set<std::string> names;
        for (int i = 0; i <= static_cast<int>(Status::internal); ++i) {
            std::string n = status_name(static_cast<Status>(i));
            std::string m = status_message(static_cast<Status>(i));
            CPPUNIT_ASSERT_MESSAGE(n, names.insert(n).second);
            CPPUNIT_ASSERT_MESSAGE(n, n == "internal" || n.find('.') != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(n, !m.empty() && m.back() == '.');
        }
    }
    void testStableNames() {
        CPPUNIT_ASSERT_EQUAL(std::string("remote.bad_signature"), std::string(status_name(Status::remote_bad_signature)));
        CPPUNIT_ASSERT_EQUAL(std::string("remote.expired"), std::string(status_name(Status::remote_expired)));
        CPPUNIT_ASSERT_EQUAL(std::string("remote.replayed"), std::string(status_name(Status::remote_replayed)));
        CPPUNIT_ASSERT_EQUAL(std::string("url.redirect_not_allowed"),
                             std::string(status_name(Status::url_redirect_not_allowed)));
    }
    // What the client sent is the client's fault (4xx); the configuration
    // and the store are this server's (5xx).
    void testHttpClasses() {
        for (int i = 0; i <= static_cast<int>(Status::internal); ++i) {
            auto st = static_cast<Status>(i);
            std::string n = status_name(st);
            int h = status_http(st);
            CPPUNIT_ASSERT_MESSAGE(n, h == 400 || h == 401 || h == 403 || h == 500 || h == 502 || h == 503);
            bool server = n.rfind("config.", 0) == 0 || n.rfind("store.", 0) == 0 || n.rfind("metadata.", 0) == 0 ||
                          n == "internal" || n == "oidc.discovery" || n == "oidc.token_endpoint" || n == "oidc.userinfo" ||
                          n == "jwt.key_invalid" || n == "saml.no_certificate" || n == "session.malformed";
            CPPUNIT_ASSERT_MESSAGE(n, server ? h >= 500 : h < 500);
        }
        CPPUNIT_ASSERT_EQUAL(503, status_http(Status::store_full));
        CPPUNIT_ASSERT_EQUAL(503, status_http(Status::store_unavailable));
        CPPUNIT_ASSERT_EQUAL(400, status_http(Status::saml_decryption_failed));
        CPPUNIT_ASSERT_EQUAL(401, status_http(Status::remote_replayed));
    }

    void testResult() {
        Result<int> ok(5);
        CPPUNIT_ASSERT(ok.ok());
        CPPUNIT_ASSERT_EQUAL(5, ok.value());
        Result<int> bad(make_error(Status::remote_expired, "d"));
        CPPUNIT_ASSERT(!bad.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("d"), bad.error().detail);
        Result<void> v;
        CPPUNIT_ASSERT(v.ok());
        Result<void> ve(make_error(Status::internal));
        CPPUNIT_ASSERT(!ve.ok());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ErrorTest);
