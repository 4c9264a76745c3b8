// SAML attributes (src/saml/attributes.cc): reading them from an assertion's
// XML, the lookup lists per role, and the roles put on the identity.
#include <cppunit/extensions/HelperMacros.h>

#include "saml/attributes.h"
#include "saml/xml.h"

using namespace hdsso;
using namespace hdsso::samlxml;

namespace {

const char* const kOpen =
    "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" "
    "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "ID=\"_a1\" Version=\"2.0\" IssueInstant=\"2026-01-01T00:00:00Z\">"
    "<saml:Issuer>https://idp.unit.test/metadata</saml:Issuer>";

SamlAttributes read(const std::string& statements) {
    saml_library_init();
    auto doc = parse_untrusted_xml(std::string(kOpen) + statements + "</saml:Assertion>", Status::saml_malformed, "test");
    CPPUNIT_ASSERT_MESSAGE(doc.ok() ? "" : doc.error().detail, doc.ok());
    return read_attributes(xmlDocGetRootElement(doc.value().get()));
}

using Values = std::vector<std::string>;

}  // namespace

class SamlAttributesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlAttributesTest);
    CPPUNIT_TEST(testValuesByNameInDocumentOrder);
    CPPUNIT_TEST(testTypedValuesReadAsText);
    CPPUNIT_TEST(testFriendlyNameWhereNoAttributeHasThatName);
    CPPUNIT_TEST(testAttributeWithoutNameAndEmptyValuesSkipped);
    CPPUNIT_TEST(testOtherNamespacesAndEncryptedAttributesIgnored);
    CPPUNIT_TEST(testCommentInsideAValueDoesNotCutIt);
    CPPUNIT_TEST(testLookupExactFirstThenCaseInsensitive);
    CPPUNIT_TEST(testIdpNamesReplaceTheDefaults);
    CPPUNIT_TEST(testRolesOntoTheIdentity);
    CPPUNIT_TEST_SUITE_END();

public:
    void testValuesByNameInDocumentOrder() {
        auto a = read("<saml:AttributeStatement>"
                      "<saml:Attribute Name=\"groups\"><saml:AttributeValue>agents</saml:AttributeValue>"
                      "<saml:AttributeValue>admins</saml:AttributeValue></saml:Attribute>"
                      "<saml:Attribute Name=\"mail\"><saml:AttributeValue>jane@example.com</saml:AttributeValue>"
                      "</saml:Attribute></saml:AttributeStatement>"
                      "<saml:AttributeStatement><saml:Attribute Name=\"groups\">"
                      "<saml:AttributeValue>auditors</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), a.size());
        CPPUNIT_ASSERT(a["groups"] == (Values{"agents", "admins", "auditors"}));
        CPPUNIT_ASSERT(a["mail"] == Values{"jane@example.com"});
    }

    // What SimpleSAMLphp, Okta and Entra ID send: xsi:type on every value
    // (the attribute Lasso 2.8 leaked a string for when rebuilding the node).
    void testTypedValuesReadAsText() {
        auto a = read("<saml:AttributeStatement><saml:Attribute Name=\"givenName\" "
                      "NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\">"
                      "<saml:AttributeValue xsi:type=\"xs:string\">Jane</saml:AttributeValue></saml:Attribute>"
                      "<saml:Attribute Name=\"note\"><saml:AttributeValue>line one\nline two</saml:AttributeValue>"
                      "</saml:Attribute></saml:AttributeStatement>");
        CPPUNIT_ASSERT(a["givenName"] == Values{"Jane"});
        CPPUNIT_ASSERT(a["note"] == Values{"line one\nline two"});  // kept as sent
    }

    void testFriendlyNameWhereNoAttributeHasThatName() {
        auto a = read("<saml:AttributeStatement>"
                      "<saml:Attribute Name=\"urn:oid:2.5.4.42\" FriendlyName=\"givenName\">"
                      "<saml:AttributeValue>Jane</saml:AttributeValue></saml:Attribute>"
                      "<saml:Attribute Name=\"mail\"><saml:AttributeValue>a@example.com</saml:AttributeValue>"
                      "</saml:Attribute>"
                      "<saml:Attribute Name=\"urn:oid:0.9.2342.19200300.100.1.3\" FriendlyName=\"mail\">"
                      "<saml:AttributeValue>b@example.com</saml:AttributeValue></saml:Attribute>"
                      "</saml:AttributeStatement>");
        CPPUNIT_ASSERT(a["urn:oid:2.5.4.42"] == Values{"Jane"});
        CPPUNIT_ASSERT(a["givenName"] == Values{"Jane"});
        CPPUNIT_ASSERT(a["mail"] == Values{"a@example.com"});  // the attribute named mail wins
        CPPUNIT_ASSERT(a["urn:oid:0.9.2342.19200300.100.1.3"] == Values{"b@example.com"});
    }

    void testAttributeWithoutNameAndEmptyValuesSkipped() {
        auto a = read("<saml:AttributeStatement>"
                      "<saml:Attribute FriendlyName=\"mail\"><saml:AttributeValue>x@example.com</saml:AttributeValue>"
                      "</saml:Attribute>"
                      "<saml:Attribute Name=\"sn\"><saml:AttributeValue/><saml:AttributeValue xsi:nil=\"true\"/>"
                      "<saml:AttributeValue>Doe</saml:AttributeValue></saml:Attribute>"
                      "<saml:Attribute Name=\"empty\"/></saml:AttributeStatement>");
        CPPUNIT_ASSERT(!a.count("mail"));
        CPPUNIT_ASSERT(a["sn"] == Values{"Doe"});
        CPPUNIT_ASSERT(a.count("empty") && a["empty"].empty());
        // No Attribute at all, no AttributeStatement: nothing.
        CPPUNIT_ASSERT(read("").empty());
        CPPUNIT_ASSERT(read_attributes(nullptr).empty());
    }

    void testOtherNamespacesAndEncryptedAttributesIgnored() {
        auto a = read("<saml:AttributeStatement>"
                      "<x:Attribute xmlns:x=\"urn:other\" Name=\"mail\">"
                      "<saml:AttributeValue>x@e.com</saml:AttributeValue>"
                      "</x:Attribute>"
                      "<saml:Attribute Name=\"sn\"><x:AttributeValue xmlns:x=\"urn:other\">Evil</x:AttributeValue>"
                      "<saml:AttributeValue>Doe</saml:AttributeValue></saml:Attribute>"
                      "<saml:EncryptedAttribute/></saml:AttributeStatement>"
                      "<x:AttributeStatement xmlns:x=\"urn:other\"><saml:Attribute Name=\"groups\">"
                      "<saml:AttributeValue>admins</saml:AttributeValue></saml:Attribute></x:AttributeStatement>");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), a.size());
        CPPUNIT_ASSERT(a["sn"] == Values{"Doe"});
    }

    void testCommentInsideAValueDoesNotCutIt() {
        auto a = read("<saml:AttributeStatement><saml:Attribute Name=\"mail\">"
                      "<saml:AttributeValue>jane@example.com<!-- -->.evil.test</saml:AttributeValue>"
                      "</saml:Attribute></saml:AttributeStatement>");
        CPPUNIT_ASSERT(a["mail"] == Values{"jane@example.com.evil.test"});
    }

    void testLookupExactFirstThenCaseInsensitive() {
        SamlAttributes a{{"MAIL", {"upper@example.com"}}, {"emailAddress", {"exact@example.com"}}, {"Email", {}}};
        // "mail" comes before "emailAddress" in the list, but an exact match
        // of any name wins over a case-insensitive one.
        CPPUNIT_ASSERT_EQUAL(std::string("exact@example.com"),
                             lookup_attribute(a, default_attribute_names("email"))->front());
        a.erase("emailAddress");
        CPPUNIT_ASSERT_EQUAL(std::string("upper@example.com"),
                             lookup_attribute(a, default_attribute_names("email"))->front());
        a.erase("MAIL");  // an attribute without values is no match
        CPPUNIT_ASSERT(!lookup_attribute(a, default_attribute_names("email")));
        CPPUNIT_ASSERT(default_attribute_names("nickname").empty());
        for (const char* role : {"email", "firstName", "lastName", "displayName", "groups"})
            CPPUNIT_ASSERT_MESSAGE(role, !default_attribute_names(role).empty());
    }

    void testIdpNamesReplaceTheDefaults() {
        SamlIdpSettings idp;
        CPPUNIT_ASSERT(&attribute_names_for(idp, "email") == &default_attribute_names("email"));
        idp.attribute_names["email"] = {"corpMail"};
        idp.attribute_names["groups"] = {};  // set but empty: the defaults
        CPPUNIT_ASSERT(attribute_names_for(idp, "email") == Values{"corpMail"});
        CPPUNIT_ASSERT(&attribute_names_for(idp, "groups") == &default_attribute_names("groups"));
        SamlAttributes a{{"mail", {"default@example.com"}}, {"corpMail", {"corp@example.com"}}};
        CPPUNIT_ASSERT_EQUAL(std::string("corp@example.com"),
                             lookup_attribute(a, attribute_names_for(idp, "email"))->front());
    }

    void testRolesOntoTheIdentity() {
        SamlIdpSettings idp;
        Identity id;
        id.attributes = {{"givenName", {"Jane"}}, {"sn", {"Doe"}}, {"mail", {"jane@example.com"}},
                         {"memberOf", {"agents", "admins"}}};
        apply_attribute_roles(id, idp);
        CPPUNIT_ASSERT_EQUAL(std::string("jane@example.com"), id.email);
        CPPUNIT_ASSERT_EQUAL(std::string("Jane"), id.given_name);
        CPPUNIT_ASSERT_EQUAL(std::string("Doe"), id.family_name);
        CPPUNIT_ASSERT_EQUAL(std::string("Jane Doe"), id.display_name);  // composed
        CPPUNIT_ASSERT(id.groups == (Values{"agents", "admins"}));
        // An email the NameID gave stays; a displayName attribute is used as sent.
        Identity named;
        named.email = "nameid@example.com";
        named.attributes = {{"mail", {"other@example.com"}}, {"displayName", {"J. Doe"}}, {"sn", {"Doe"}}};
        apply_attribute_roles(named, idp);
        CPPUNIT_ASSERT_EQUAL(std::string("nameid@example.com"), named.email);
        CPPUNIT_ASSERT_EQUAL(std::string("J. Doe"), named.display_name);
        Identity family_only;
        family_only.attributes = {{"sn", {"Doe"}}};
        apply_attribute_roles(family_only, idp);
        CPPUNIT_ASSERT_EQUAL(std::string("Doe"), family_only.display_name);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlAttributesTest);
