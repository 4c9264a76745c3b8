// The redirect validator against known open-redirect payloads (ATTACKS.md
// H5/M1; the classic lists of CVE-2019-3877, CVE-2019-13038, CVE-2021-3639).
#include <cppunit/extensions/HelperMacros.h>

#include "url/redirect.h"

using namespace hdsso;

class RedirectTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RedirectTest);
    CPPUNIT_TEST(testLocalPathsAccepted);
    CPPUNIT_TEST(testAllowedHostsAccepted);
    CPPUNIT_TEST(testOpenRedirectPayloadsRejected);
    CPPUNIT_TEST(testEncodedPayloadsRejected);
    CPPUNIT_TEST(testOverlongRejected);
    CPPUNIT_TEST(testEmptyAllowListAllowsNoAbsoluteUrl);
    CPPUNIT_TEST(testPortRules);
    CPPUNIT_TEST_SUITE_END();

public:
    RedirectValidator v{{"helpdesk.example.com", "portal.example.com:8443"}};

    void testLocalPathsAccepted() {
        for (const char* t : {"/", "/tickets", "/tickets?id=1&x=%20y", "/a/b/c#frag", "/%E2%9C%93", "/a+b"}) {
            auto r = v.validate(t);
            CPPUNIT_ASSERT_MESSAGE(t, r.ok());
            CPPUNIT_ASSERT_EQUAL(std::string(t), r.value());
        }
    }

    void testAllowedHostsAccepted() {
        for (const char* t : {"https://helpdesk.example.com/", "https://helpdesk.example.com",
                              "HTTPS://HELPDESK.EXAMPLE.COM/x", "http://helpdesk.example.com:8080/a?b=c",
                              "https://portal.example.com:8443/p"}) {
            CPPUNIT_ASSERT_MESSAGE(t, v.validate(t).ok());
        }
    }

    void testOpenRedirectPayloadsRejected() {
        const char* payloads[] = {
            "//evil.com", "///evil.com", "////evil.com", "/\\evil.com", "\\\\evil.com", "\\/evil.com",
            "/\\/evil.com", "https:evil.com", "https:/evil.com", "http:evil.com", "https://evil.com",
            "https://evil.com/helpdesk.example.com", "https://helpdesk.example.com.evil.com/",
            "https://helpdesk.example.com@evil.com/", "https://evil.com@helpdesk.example.com/",
            "https://helpdesk.example.com:443@evil.com", "https://evil.com\\@helpdesk.example.com",
            "https://evil.com#@helpdesk.example.com", "https://evil.com?@helpdesk.example.com",
            "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
            "evil.com", "evil.com/path", "ftp://helpdesk.example.com/", "/\tevil.com", "/\r\nSet-Cookie: x=y",
            "/\nLocation: https://evil.com", "\t//evil.com", " //evil.com", "/x\x7f", "/\xc3\xa9",
            "https://portal.example.com/", "https://portal.example.com:8444/", "https://:443/",
            "https:///evil.com", "http://[::1]/", "https://helpdesk.example.com:99999/",
            "https://.helpdesk.example.com/", "",
        };
        for (const char* p : payloads) {
            auto r = v.validate(p);
            CPPUNIT_ASSERT_MESSAGE(std::string("accepted: ") + p, !r.ok());
            CPPUNIT_ASSERT_EQUAL(Status::url_redirect_not_allowed, r.error().code);
        }
    }

    void testEncodedPayloadsRejected() {
        for (const char* p : {"/%2F%2Fevil.com", "/%2fevil.com", "/%5Cevil.com", "/%5cevil.com", "/%09/evil.com",
                              "/%0d%0aSet-Cookie:x=y", "/%0aLocation:https://evil.com", "/%00", "/%", "/%2",
                              "/%zz", "/%C2%85", "/%E2%80%A8"}) {
            CPPUNIT_ASSERT_MESSAGE(std::string("accepted: ") + p, !v.validate(p).ok());
        }
    }

    void testOverlongRejected() {
        CPPUNIT_ASSERT(v.validate("/" + std::string(RedirectValidator::kMaxLength - 1, 'a')).ok());
        CPPUNIT_ASSERT(!v.validate("/" + std::string(RedirectValidator::kMaxLength, 'a')).ok());
    }

    void testEmptyAllowListAllowsNoAbsoluteUrl() {
        RedirectValidator none;
        CPPUNIT_ASSERT(!none.validate("https://helpdesk.example.com/").ok());
        CPPUNIT_ASSERT(none.validate("/ok").ok());
    }

    void testPortRules() {
        // An entry without a port allows any port; one with a port only that port.
        CPPUNIT_ASSERT(v.validate("https://helpdesk.example.com:9443/").ok());
        CPPUNIT_ASSERT(v.validate("https://portal.example.com:8443/").ok());
        CPPUNIT_ASSERT(!v.validate("https://portal.example.com:443/").ok());
        CPPUNIT_ASSERT(!v.validate("https://helpdesk.example.com:/").ok());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedirectTest);
