// Cookie header parsing and the one Set-Cookie builder.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "url/cookie.h"

using namespace hdsso;

class CookieTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CookieTest);
    CPPUNIT_TEST(testValuesOfOneName);
    CPPUNIT_TEST(testNamePrefixIsNotTheName);
    CPPUNIT_TEST(testAtMostMax);
    CPPUNIT_TEST(testWithPrefix);
    CPPUNIT_TEST(testSetCookie);
    CPPUNIT_TEST(testDeleteCookie);
    CPPUNIT_TEST(testBrowserSessionCookie);
    CPPUNIT_TEST_SUITE_END();

public:
    void testValuesOfOneName() {
        auto v = cookie_values("a=1; hdsso_session=abc; b=2;hdsso_session=def", "hdsso_session");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), v.size());
        CPPUNIT_ASSERT(v[0] == "abc" && v[1] == "def");
        CPPUNIT_ASSERT(cookie_values("", "x").empty());
        CPPUNIT_ASSERT(cookie_values("x", "x").empty());
        CPPUNIT_ASSERT(cookie_values("x=", "x").size() == 1 && cookie_values("x=", "x")[0].empty());
    }

    void testNamePrefixIsNotTheName() {
        CPPUNIT_ASSERT(cookie_values("hdsso_session_saml=zzz", "hdsso_session").empty());
        CPPUNIT_ASSERT(cookie_values("xhdsso_session=zzz", "hdsso_session").empty());
        auto v = cookie_values("hdsso_session_saml=zzz; hdsso_session=yyy", "hdsso_session");
        CPPUNIT_ASSERT(v.size() == 1 && v[0] == "yyy");
    }

    void testAtMostMax() {
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), cookie_values("a=1;a=2;a=3;a=4;a=5;a=6", "a").size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), cookie_values("a=1;a=2;a=3", "a", 2).size());
    }

    void testWithPrefix() {
        auto v = cookies_with_prefix("a=1; s_saml_ab=x; s=y; s_saml_cd=z; s_saml_=e", "s_saml_");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), v.size());
        CPPUNIT_ASSERT(v[0].first == "s_saml_ab" && v[0].second == "x");
        CPPUNIT_ASSERT(v[1].first == "s_saml_cd" && v[1].second == "z");
        CPPUNIT_ASSERT(v[2].first == "s_saml_" && v[2].second == "e");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), cookies_with_prefix("p1=a;p2=b", "p", 1).size());
    }

    void testSetCookie() {
        CPPUNIT_ASSERT_EQUAL(std::string("s=v; Max-Age=600; Path=/; Secure; HttpOnly; SameSite=None"),
                             set_cookie("s", "v", {600, true, true, SameSite::none}));
        CPPUNIT_ASSERT_EQUAL(std::string("s=v; Max-Age=60; Path=/; SameSite=Strict"),
                             set_cookie("s", "v", {60, false, false, SameSite::strict}));
    }

    void testBrowserSessionCookie() {
        CPPUNIT_ASSERT_EQUAL(std::string("s=v; Path=/; Secure; HttpOnly; SameSite=Lax"),
                             set_cookie("s", "v", {kBrowserSession, true, true, SameSite::lax}));
    }

    void testDeleteCookie() {
        CPPUNIT_ASSERT_EQUAL(std::string("s=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax"),
                             set_cookie("s", "", {0, false, true, SameSite::lax}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CookieTest);
