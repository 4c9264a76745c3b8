#include <cppunit/extensions/HelperMacros.h>

#include "url/query.h"

using namespace hdsso;

class QueryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(QueryTest);
    CPPUNIT_TEST(testPercentEncodeKeepsOnlyUnreserved);
    CPPUNIT_TEST(testFormDecode);
    CPPUNIT_TEST(testBadEscapesRejected);
    CPPUNIT_TEST(testParseQuery);
    CPPUNIT_TEST(testLimits);
    CPPUNIT_TEST(testQueryPart);
    CPPUNIT_TEST(testAppendQuery);
    CPPUNIT_TEST(testRoundTripOfEveryByte);
    CPPUNIT_TEST_SUITE_END();

public:
    void testPercentEncodeKeepsOnlyUnreserved() {
        CPPUNIT_ASSERT_EQUAL(std::string("Jane%20Doe"), percent_encode("Jane Doe"));
        CPPUNIT_ASSERT_EQUAL(std::string("jane%40example.com"), percent_encode("jane@example.com"));
        CPPUNIT_ASSERT_EQUAL(std::string("a-b_c.d~e"), percent_encode("a-b_c.d~e"));
        CPPUNIT_ASSERT_EQUAL(std::string("%2B%26%3D%2F%3F%23%25"), percent_encode("+&=/?#%"));
        CPPUNIT_ASSERT_EQUAL(std::string("%C3%A9%0D%0A"), percent_encode("\xc3\xa9\r\n"));
    }

    void testFormDecode() {
        CPPUNIT_ASSERT_EQUAL(std::string("Jane Doe"), form_decode("Jane+Doe").value());
        CPPUNIT_ASSERT_EQUAL(std::string("Jane Doe"), form_decode("Jane%20Doe").value());
        CPPUNIT_ASSERT_EQUAL(std::string("a+b"), form_decode("a%2Bb").value());
        CPPUNIT_ASSERT_EQUAL(std::string("\xc3\xa9"), form_decode("%c3%A9").value());
    }

    void testBadEscapesRejected() {
        for (const char* s : {"%", "%2", "a%g0", "%0g", "abc%"}) {
            auto r = form_decode(s);
            CPPUNIT_ASSERT_MESSAGE(s, !r.ok());
            CPPUNIT_ASSERT_EQUAL(Status::url_malformed, r.error().code);
        }
    }

    void testParseQuery() {
        auto r = parse_query("a=1&&b=&c&d=x%3Dy=z");
        CPPUNIT_ASSERT(r.ok());
        auto& p = r.value();
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), p.size());
        CPPUNIT_ASSERT_EQUAL(std::string("1"), p[0].second);
        CPPUNIT_ASSERT_EQUAL(std::string("b"), p[1].first);
        CPPUNIT_ASSERT_EQUAL(std::string(""), p[1].second);
        CPPUNIT_ASSERT_EQUAL(std::string("c"), p[2].first);
        CPPUNIT_ASSERT_EQUAL(std::string("x=y=z"), p[3].second);
    }

    void testLimits() {
        std::string many;
        for (int i = 0; i < 65; ++i) many += "a=" + std::to_string(i) + "&";
        CPPUNIT_ASSERT(!parse_query(many).ok());
        CPPUNIT_ASSERT(!parse_query(std::string(8193, 'a')).ok());
        CPPUNIT_ASSERT(parse_query(std::string(8192, 'a')).ok());
    }

    void testQueryPart() {
        CPPUNIT_ASSERT_EQUAL(std::string("a=1"), std::string(query_part("https://h/p?a=1#f")));
        CPPUNIT_ASSERT_EQUAL(std::string("a=1"), std::string(query_part("a=1")));
    }

    void testAppendQuery() {
        CPPUNIT_ASSERT_EQUAL(std::string("https://h/login?host_url=h%3A8080&redirect_to=%2Fa%3Fb%3Dc"),
                             append_query("https://h/login", {{"host_url", "h:8080"}, {"redirect_to", "/a?b=c"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("/l?x=1&y=2"), append_query("/l?x=1", {{"y", "2"}}));
    }

    void testRoundTripOfEveryByte() {
        std::string all;
        for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
        CPPUNIT_ASSERT(all == form_decode(percent_encode(all)).value());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(QueryTest);
