// The endpoint table: every entry has a method list and a "served here"
// rule, and no endpoint that signs in, signs out or mints a token takes
// HEAD (link scanners send HEAD). The module's answers to each entry are
// tested through a real Apache (tests/integration/test_routes.py, which
// reads this table through `hdsso endpoints --json`).
#include <cppunit/extensions/HelperMacros.h>

#include <set>
#include <string>

#include "broker/broker.h"
#include "url/endpoints.h"

using namespace hdsso;

class EndpointsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EndpointsTest);
    CPPUNIT_TEST(testEveryEntryIsComplete);
    CPPUNIT_TEST(testExactMatchOnly);
    CPPUNIT_TEST(testStateChangingEndpointsRefuseHead);
    CPPUNIT_TEST(testEveryBrokerKindHasAnEndpoint);
    CPPUNIT_TEST(testMethodNames);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEveryEntryIsComplete() {
        std::set<std::string> leaves;
        for (const auto& e : kEndpoints) {
            std::string leaf = e.leaf;
            CPPUNIT_ASSERT_MESSAGE(leaf, leaf.size() > 1 && leaf[0] == '/');
            // Lower-case letters, words joined by single hyphens.
            for (char ch : leaf.substr(1)) CPPUNIT_ASSERT_MESSAGE(leaf, (ch >= 'a' && ch <= 'z') || ch == '-');
            CPPUNIT_ASSERT_MESSAGE(leaf, leaf[1] != '-' && leaf.back() != '-' && leaf.find("--") == std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(leaf + " listed twice", leaves.insert(leaf).second);
            CPPUNIT_ASSERT_MESSAGE(leaf + " takes no method", e.methods != 0);
            CPPUNIT_ASSERT_MESSAGE(leaf, (e.methods & ~(kGet | kHead | kPost)) == 0);
            CPPUNIT_ASSERT_MESSAGE(leaf, std::string(served_when_name(e.served)) != "?");
            CPPUNIT_ASSERT_MESSAGE(leaf, e.what && *e.what);
        }
    }

    void testExactMatchOnly() {
        CPPUNIT_ASSERT(find_endpoint("/remote") && find_endpoint("/remote")->id == Endpoint::remote);
        for (const char* near : {"", "/", "remote", "/remote/", "/REMOTE", "/Remote", "/remote;x", "/remote%3b",
                                 "/remote/x", "//remote"}) {
            CPPUNIT_ASSERT_MESSAGE(near, find_endpoint(near) == nullptr);
        }
        CPPUNIT_ASSERT(find_endpoint(std::string_view("/remote\0", 8)) == nullptr);
    }

    void testStateChangingEndpointsRefuseHead() {
        for (const auto& e : kEndpoints) {
            if (e.id == Endpoint::metadata) continue;  // a published document, nothing changes
            CPPUNIT_ASSERT_MESSAGE(e.leaf, !(e.methods & kHead));
        }
    }

    void testEveryBrokerKindHasAnEndpoint() {
        for (const char* kind : {"deskpro", "zendesk", "kayako", "freshworks", "freshdesk"}) {
            CPPUNIT_ASSERT_MESSAGE(kind, parse_broker_kind(kind).has_value());
            const EndpointSpec* e = find_endpoint(std::string("/") + kind);
            CPPUNIT_ASSERT_MESSAGE(kind, e && e->served == ServedWhen::broker);
        }
        for (const auto& e : kEndpoints)
            if (e.served == ServedWhen::broker) CPPUNIT_ASSERT_MESSAGE(e.leaf, parse_broker_kind(e.leaf + 1).has_value());
    }

    void testMethodNames() {
        CPPUNIT_ASSERT_EQUAL(std::string("GET, POST"), method_names(kGet | kPost));
        CPPUNIT_ASSERT_EQUAL(std::string("GET, HEAD"), method_names(kGet | kHead));
        CPPUNIT_ASSERT_EQUAL(static_cast<unsigned>(kHead), method_bit("HEAD"));
        CPPUNIT_ASSERT_EQUAL(0u, method_bit("get"));
        CPPUNIT_ASSERT_EQUAL(0u, method_bit("PUT"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EndpointsTest);
