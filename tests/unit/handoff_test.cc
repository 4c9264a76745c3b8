#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>

#include "helpdesk/handoff.h"

using namespace hdsso;

namespace {

Identity jane() {
    Identity id;
    id.subject = "jdoe";
    id.email = "Jane.Doe@example.com";
    id.display_name = "Jane Doe";
    id.given_name = "Jane";
    id.family_name = "Doe";
    id.groups = {"agents", "admins"};
    id.issuer = "https://idp.example.com";
    id.idp_name = "saml";
    return id;
}

HandoffOptions profile(HelpdeskProfile p) {
    HandoffOptions o;
    o.profile = p;
    return o;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::string value_of(const Pairs& pairs, const std::string& name) {
    for (const auto& [k, v] : pairs)
        if (k == name) return v;
    return "<absent>";
}

}  // namespace

class HandoffTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HandoffTest);
    CPPUNIT_TEST(testProfileNames);
    CPPUNIT_TEST(testGenericExportsEverything);
    CPPUNIT_TEST(testProfilesExportOnlyWhatTheProductReads);
    CPPUNIT_TEST(testUserFields);
    CPPUNIT_TEST(testUserHeaderOverride);
    CPPUNIT_TEST(testGroupsWithTheSeparatorAreEncoded);
    CPPUNIT_TEST(testUnsafeValuesRefused);
    CPPUNIT_TEST(testIdentityHeaders);
    CPPUNIT_TEST_SUITE_END();

public:
    void testProfileNames() {
        for (auto p : {HelpdeskProfile::generic, HelpdeskProfile::request_tracker, HelpdeskProfile::znuny,
                       HelpdeskProfile::osticket, HelpdeskProfile::glpi, HelpdeskProfile::zammad})
            CPPUNIT_ASSERT(parse_helpdesk_profile(helpdesk_profile_name(p)) == p);
        CPPUNIT_ASSERT(parse_helpdesk_profile("RT") == HelpdeskProfile::request_tracker);
        CPPUNIT_ASSERT(parse_helpdesk_profile("OTRS") == HelpdeskProfile::znuny);
        CPPUNIT_ASSERT(!parse_helpdesk_profile("freescout"));
        CPPUNIT_ASSERT(!parse_helpdesk_profile(""));
        CPPUNIT_ASSERT(!parse_user_field("mail"));
    }

    void testGenericExportsEverything() {
        auto h = make_handoff(jane(), profile(HelpdeskProfile::generic));
        CPPUNIT_ASSERT(h.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("jdoe"), h.value().user);
        CPPUNIT_ASSERT_EQUAL(std::string("jdoe"), value_of(h.value().headers, "X-Remote-User"));
        CPPUNIT_ASSERT_EQUAL(std::string("Jane.Doe@example.com"), value_of(h.value().headers, "X-Remote-Email"));
        CPPUNIT_ASSERT_EQUAL(std::string("agents,admins"), value_of(h.value().headers, "X-Remote-Groups"));
        CPPUNIT_ASSERT_EQUAL(std::string("Doe"), value_of(h.value().variables, "HDSSO_FAMILY_NAME"));
        CPPUNIT_ASSERT_EQUAL(std::string("Jane"), value_of(h.value().variables, "HDSSO_GIVEN_NAME"));
        CPPUNIT_ASSERT_EQUAL(std::string("saml"), value_of(h.value().variables, "HDSSO_IDP"));
        // Empty values are not exported.
        Identity bare;
        bare.subject = "x";
        auto b = make_handoff(bare, profile(HelpdeskProfile::generic));
        CPPUNIT_ASSERT_EQUAL(std::string("<absent>"), value_of(b.value().headers, "X-Remote-Email"));
    }

    void testProfilesExportOnlyWhatTheProductReads() {
        // RT and osTicket read REMOTE_USER only.
        for (auto p : {HelpdeskProfile::request_tracker, HelpdeskProfile::osticket}) {
            auto h = make_handoff(jane(), profile(p));
            CPPUNIT_ASSERT_EQUAL(std::string("jdoe"), h.value().user);
            CPPUNIT_ASSERT(h.value().headers.empty());
            CPPUNIT_ASSERT(h.value().variables.empty());
        }
        auto z = make_handoff(jane(), profile(HelpdeskProfile::znuny));
        CPPUNIT_ASSERT(z.value().headers == Pairs({{"Remote-User", "jdoe"}}));
        CPPUNIT_ASSERT(z.value().variables.empty());
        auto zm = make_handoff(jane(), profile(HelpdeskProfile::zammad));
        CPPUNIT_ASSERT(zm.value().headers == Pairs({{"X-Forwarded-User", "jdoe"}}));
        auto g = make_handoff(jane(), profile(HelpdeskProfile::glpi));
        CPPUNIT_ASSERT_EQUAL(std::string("Jane.Doe@example.com"), value_of(g.value().variables, "HDSSO_EMAIL"));
        CPPUNIT_ASSERT_EQUAL(std::string("Doe"), value_of(g.value().headers, "X-Remote-Family-Name"));
    }

    void testUserFields() {
        HandoffOptions o;
        o.user_field = UserField::email;
        CPPUNIT_ASSERT_EQUAL(std::string("Jane.Doe@example.com"), make_handoff(jane(), o).value().user);
        o.user_field = UserField::email_local_part;
        CPPUNIT_ASSERT_EQUAL(std::string("Jane.Doe"), make_handoff(jane(), o).value().user);
        Identity no_email = jane();
        no_email.email.clear();
        auto r = make_handoff(no_email, o);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT(r.error().code == Status::identity_missing_value);
        Identity no_subject;
        CPPUNIT_ASSERT(make_handoff(no_subject, HandoffOptions{}).error().code == Status::identity_missing_value);
    }

    void testUserHeaderOverride() {
        HandoffOptions o = profile(HelpdeskProfile::zammad);
        o.user_header = "X-Sso-Login";
        CPPUNIT_ASSERT(make_handoff(jane(), o).value().headers == Pairs({{"X-Sso-Login", "jdoe"}}));
        o.user_header = "";
        CPPUNIT_ASSERT(make_handoff(jane(), o).value().headers.empty());
        o = HandoffOptions{};
        o.header_prefix = "X-Sso-";
        CPPUNIT_ASSERT_EQUAL(std::string("jdoe"), value_of(make_handoff(jane(), o).value().headers, "X-Sso-User"));
    }

    // One group with a comma and two groups must not reach the helpdesk alike.
    void testGroupsWithTheSeparatorAreEncoded() {
        auto groups_of = [](std::vector<std::string> groups) {
            Identity id = jane();
            id.groups = std::move(groups);
            auto h = make_handoff(id, profile(HelpdeskProfile::generic));
            CPPUNIT_ASSERT(h.ok());
            std::string header = value_of(h.value().headers, "X-Remote-Groups");
            CPPUNIT_ASSERT_EQUAL(header, value_of(h.value().variables, "HDSSO_GROUPS"));
            return header;
        };
        CPPUNIT_ASSERT_EQUAL(std::string("customers%2Cagents"), groups_of({"customers,agents"}));
        CPPUNIT_ASSERT_EQUAL(std::string("customers,agents"), groups_of({"customers", "agents"}));
        // DNs keep their commas, encoded; '%' itself is encoded, so "%2C" sent
        // as a name is not read back as a comma.
        CPPUNIT_ASSERT_EQUAL(std::string("CN=Support%2COU=Groups%2CDC=example%2CDC=com,agents"),
                             groups_of({"CN=Support,OU=Groups,DC=example,DC=com", "agents"}));
        CPPUNIT_ASSERT_EQUAL(std::string("a%252Cb,100%25"), groups_of({"a%2Cb", "100%"}));
        CPPUNIT_ASSERT(groups_of({"a,b"}) != groups_of({"a%2Cb"}));
        // Everything else is passed as it is (UTF-8, spaces, '=', ';').
        CPPUNIT_ASSERT_EQUAL(std::string("Équipe support;x=1"), groups_of({"Équipe support;x=1"}));
        CPPUNIT_ASSERT_EQUAL(std::string(",%2C"), export_groups({"", ","}));
        CPPUNIT_ASSERT_EQUAL(std::string(""), export_groups({}));
    }

    void testUnsafeValuesRefused() {
        for (auto mutate : std::vector<void (*)(Identity&)>{
                 [](Identity& i) { i.subject = "jdoe\r\nX-Remote-User: admin"; },
                 [](Identity& i) { i.display_name = "Jane\nDoe"; },
                 [](Identity& i) { i.groups = {"agents", "ad\tmins"}; },
                 [](Identity& i) { i.email = std::string("jane\0@example.com", 17); },
                 [](Identity& i) { i.family_name = "\xff\xfe"; },
                 [](Identity& i) { i.given_name = std::string(9000, 'a'); },
             }) {
            Identity id = jane();
            mutate(id);
            auto r = make_handoff(id, profile(HelpdeskProfile::generic));
            CPPUNIT_ASSERT(!r.ok());
            CPPUNIT_ASSERT(r.error().code == Status::identity_unsafe_value);
        }
        // A profile that does not export the attribute is not affected by it.
        Identity id = jane();
        id.display_name = "Jane\nDoe";
        CPPUNIT_ASSERT(make_handoff(id, profile(HelpdeskProfile::request_tracker)).ok());
        id.subject = "jdoe\n";
        CPPUNIT_ASSERT(make_handoff(id, profile(HelpdeskProfile::request_tracker)).error().code ==
                       Status::identity_unsafe_value);
    }

    void testIdentityHeaders() {
        HandoffOptions o;
        for (const char* h : {"Remote-User", "REMOTE_USER", "remote-user", "Auth-User", "auth_user", "X-Forwarded-User",
                              "x_forwarded_user", "X-Remote-User", "X_REMOTE_USER", "X-Remote-Email", "x-remote-anything"})
            CPPUNIT_ASSERT_MESSAGE(h, is_identity_header(h, o));
        for (const char* h : {"Host", "Cookie", "User-Agent", "X-Forwarded-For", "Remote-Users", "X-Remote"})
            CPPUNIT_ASSERT_MESSAGE(h, !is_identity_header(h, o));
        o.user_header = "X-Sso-Login";
        CPPUNIT_ASSERT(is_identity_header("x_sso_login", o));
        o.header_prefix = "X-Sso-";
        CPPUNIT_ASSERT(is_identity_header("X-Sso-Email", o));
        CPPUNIT_ASSERT(is_identity_header("X-Remote-User", o));  // well known, whatever the prefix
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HandoffTest);
