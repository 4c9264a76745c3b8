// IdP metadata (src/saml/metadata.cc): the one walk over aggregates
// (select_idps), the IdPs a site trusts from its documents, and an IdP's
// EntityDescriptor as Lasso reads it.
#include <cppunit/extensions/HelperMacros.h>

#include "saml/metadata.h"
#include "saml/xml.h"

using namespace hdsso;
using namespace hdsso::samlxml;

namespace {

const char* const kMd = "xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"";

// An EntityDescriptor: an IdP (with an SSO service, no key) or an SP.
std::string entity(const std::string& id, bool idp = true) {
    std::string role = idp ? "<md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
                             "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" "
                             "Location=\"" + id + "/sso\"/></md:IDPSSODescriptor>"
                           : "<md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
                             "<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
                             "Location=\"" + id + "/acs\" index=\"0\"/></md:SPSSODescriptor>";
    return "<md:EntityDescriptor " + std::string(kMd) + " entityID=\"" + id + "\">" + role + "</md:EntityDescriptor>";
}

std::string aggregate(const std::string& inner) {
    return "<md:EntitiesDescriptor " + std::string(kMd) + ">" + inner + "</md:EntitiesDescriptor>";
}

// A federation-style aggregate: IdPs a and c at the top, b and an SP in a
// nested group, and an EntityDescriptor in another namespace.
std::string federation() {
    return aggregate(entity("https://a.test") +
                     "<md:EntitiesDescriptor>" + entity("https://b.test") + entity("https://sp.test", false) +
                     "</md:EntitiesDescriptor>" +
                     "<x:EntityDescriptor xmlns:x=\"urn:other\" entityID=\"https://x.test\">"
                     "<md:IDPSSODescriptor/></x:EntityDescriptor>" +
                     entity("https://c.test"));
}

std::vector<std::string> ids(const std::string& xml, std::string_view entity_id = {}) {
    saml_library_init();
    auto doc = parse_untrusted_xml(xml, Status::config_invalid, "test");
    CPPUNIT_ASSERT_MESSAGE(doc.ok() ? "" : doc.error().detail, doc.ok());
    std::vector<std::string> out;
    for (xmlNode* e : select_idps(xmlDocGetRootElement(doc.value().get()), entity_id)) out.push_back(attr(e, "entityID"));
    return out;
}

using Ids = std::vector<std::string>;

}  // namespace

class SamlMetadataTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlMetadataTest);
    CPPUNIT_TEST(testSelectIdpsInDocumentOrder);
    CPPUNIT_TEST(testSelectIdpsByEntityId);
    CPPUNIT_TEST(testSelectIdpsOfASingleEntity);
    CPPUNIT_TEST(testMetadataIdps);
    CPPUNIT_TEST(testSiteIdpsFromSeveralDocuments);
    CPPUNIT_TEST(testWantedIdpInNoDocument);
    CPPUNIT_TEST(testEntityDescriptorPickedFromAnAggregate);
    CPPUNIT_TEST(testAggregateNeedsOneIdpNamed);
    CPPUNIT_TEST(testEntityDescriptorForAnotherEntityRefused);
    CPPUNIT_TEST(testMetadataWithoutSigningKeyRefused);
    CPPUNIT_TEST(testEntityIdMissingOrTooLongRefused);
    CPPUNIT_TEST(testRoleWithoutProtocolSupportEnumerationRefused);
    CPPUNIT_TEST_SUITE_END();

public:
    void testSelectIdpsInDocumentOrder() {
        CPPUNIT_ASSERT(ids(federation()) == (Ids{"https://a.test", "https://b.test", "https://c.test"}));
        CPPUNIT_ASSERT(ids(aggregate("")).empty());
    }

    void testSelectIdpsByEntityId() {
        CPPUNIT_ASSERT(ids(federation(), "https://b.test") == Ids{"https://b.test"});
        CPPUNIT_ASSERT(ids(federation(), "https://sp.test").empty());  // not an IdP
        CPPUNIT_ASSERT(ids(federation(), "https://x.test").empty());   // not SAML metadata
        CPPUNIT_ASSERT(ids(federation(), "https://A.test").empty());   // exact
        // The same entity twice: both, for the caller to refuse.
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), ids(aggregate(entity("https://a.test") + entity("https://a.test")),
                                                 "https://a.test").size());
    }

    void testSelectIdpsOfASingleEntity() {
        CPPUNIT_ASSERT(ids(entity("https://a.test")) == Ids{"https://a.test"});
        CPPUNIT_ASSERT(ids(entity("https://a.test"), "https://b.test").empty());
        CPPUNIT_ASSERT(ids(entity("https://sp.test", false)).empty());
        CPPUNIT_ASSERT(select_idps(nullptr).empty());
    }

    void testMetadataIdps() {
        CPPUNIT_ASSERT(saml_metadata_idps(federation()).value() ==
                       (Ids{"https://a.test", "https://b.test", "https://c.test"}));
        auto none = saml_metadata_idps(aggregate(entity("https://sp.test", false)));
        CPPUNIT_ASSERT(!none.ok() && none.error().code == Status::config_invalid);
        CPPUNIT_ASSERT_EQUAL(std::string("the metadata describes no identity provider"), none.error().detail);
        auto other = saml_metadata_idps("<x:EntitiesDescriptor xmlns:x=\"urn:other\"/>");
        CPPUNIT_ASSERT(!other.ok() && other.error().detail.find("not SAML metadata") != std::string::npos);
    }

    void testSiteIdpsFromSeveralDocuments() {
        SamlIdpSettings base;
        base.allow_unsolicited = true;
        base.skew = 30;
        std::vector<std::string> docs{federation(), entity("https://d.test")};
        auto all = saml_select_idps(docs, {}, base).value();
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), all.size());
        CPPUNIT_ASSERT_EQUAL(std::string("https://a.test"), all[0].entity_id);
        CPPUNIT_ASSERT_EQUAL(std::string("https://d.test"), all[3].entity_id);
        CPPUNIT_ASSERT(all[3].metadata_xml == docs[1] && all[0].metadata_xml == docs[0]);
        CPPUNIT_ASSERT(all[2].allow_unsolicited && all[2].skew == 30);
        auto some = saml_select_idps(docs, {"https://d.test", "https://b.test"}, base).value();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), some.size());
        CPPUNIT_ASSERT_EQUAL(std::string("https://b.test"), some[0].entity_id);
        CPPUNIT_ASSERT_EQUAL(std::string("https://d.test"), some[1].entity_id);
        auto bad = saml_select_idps({entity("https://a.test"), "<x/>"}, {}, base);
        CPPUNIT_ASSERT(!bad.ok() && bad.error().code == Status::config_invalid);
    }

    void testWantedIdpInNoDocument() {
        auto missing = saml_select_idps({federation()}, {"https://a.test", "https://sp.test"}, {});
        CPPUNIT_ASSERT(!missing.ok() && missing.error().code == Status::config_invalid);
        CPPUNIT_ASSERT_EQUAL(std::string("IdP https://sp.test is in none of the metadata documents"),
                             missing.error().detail);
    }

    void testEntityDescriptorPickedFromAnAggregate() {
        SamlIdpSettings idp;
        idp.metadata_xml = federation();
        idp.entity_id = "https://b.test";
        auto md = idp_entity_descriptor(idp);
        // (No signing key in these entities: refused after the pick, by name.)
        CPPUNIT_ASSERT(!md.ok() && md.error().code == Status::saml_no_certificate);
        CPPUNIT_ASSERT_EQUAL(std::string("IdP https://b.test: no signing certificate"), md.error().detail);
        CPPUNIT_ASSERT_EQUAL(std::string("https://b.test"), idp.entity_id);
    }

    void testAggregateNeedsOneIdpNamed() {
        SamlIdpSettings idp;
        idp.metadata_xml = federation();
        auto unnamed = idp_entity_descriptor(idp);
        CPPUNIT_ASSERT(!unnamed.ok() && unnamed.error().code == Status::config_invalid);
        CPPUNIT_ASSERT_EQUAL(std::string("the aggregate metadata holds 3 IdPs: name one (its entity ID)"),
                             unnamed.error().detail);
        idp.entity_id = "https://sp.test";
        auto absent = idp_entity_descriptor(idp);
        CPPUNIT_ASSERT_EQUAL(std::string("IdP https://sp.test is not in the aggregate metadata"), absent.error().detail);
    }

    void testEntityDescriptorForAnotherEntityRefused() {
        SamlIdpSettings idp;
        idp.metadata_xml = entity("https://a.test");
        idp.entity_id = "https://b.test";
        auto md = idp_entity_descriptor(idp);
        CPPUNIT_ASSERT(!md.ok() && md.error().code == Status::config_invalid);
        CPPUNIT_ASSERT_EQUAL(std::string("the metadata describes https://a.test, not https://b.test"), md.error().detail);
    }

    void testMetadataWithoutSigningKeyRefused() {
        SamlIdpSettings idp;
        idp.entity_id = "https://a.test";
        auto none = idp_entity_descriptor(idp);
        CPPUNIT_ASSERT(!none.ok() && none.error().code == Status::saml_no_certificate);
        CPPUNIT_ASSERT_EQUAL(std::string("IdP https://a.test: no certificate and no metadata"), none.error().detail);
        // A SHA-1 fingerprint needs the sha1 allowance; with it, the
        // certificate is to come in each response (no key in the metadata).
        idp.cert_fingerprint = std::string(40, 'a');
        auto sha1 = idp_entity_descriptor(idp);
        CPPUNIT_ASSERT(!sha1.ok() && sha1.error().code == Status::saml_legacy_algorithm);
        idp.legacy.sha1 = true;
        idp.sso_url = "https://a.test/sso";
        auto md = idp_entity_descriptor(idp);
        CPPUNIT_ASSERT_MESSAGE(md.ok() ? "" : md.error().detail, md.ok());
        CPPUNIT_ASSERT(md.value().find("entityID=\"https://a.test\"") != std::string::npos);
    }

    // entityID is required and at most 1024 characters (found by
    // fuzz_saml_metadata: an IdP with entityID="" was listed).
    void testEntityIdMissingOrTooLongRefused() {
        std::string no_id = entity("https://a.test");
        no_id.replace(no_id.find(" entityID=\"https://a.test\""), 25, "");
        for (const std::string& doc : {entity(""), no_id, aggregate(entity("https://b.test") + entity("")),
                                       entity("https://a.test/" + std::string(1010, 'x'))}) {
            auto listed = saml_metadata_idps(doc);
            CPPUNIT_ASSERT_MESSAGE(doc, !listed.ok() && listed.error().code == Status::config_invalid);
            SamlIdpSettings idp;
            idp.metadata_xml = doc;
            auto md = idp_entity_descriptor(idp);
            CPPUNIT_ASSERT_MESSAGE(doc, !md.ok() && md.error().code == Status::config_invalid);
        }
        CPPUNIT_ASSERT(saml_metadata_idps(entity("https://a.test/" + std::string(1009, 'x'))).ok());
    }

    // Lasso crashed (strtok_r on NULL) loading such metadata (found by
    // fuzz_saml_metadata): refused before Lasso reads it.
    void testRoleWithoutProtocolSupportEnumerationRefused() {
        for (const char* role : {"IDPSSODescriptor", "SPSSODescriptor", "PDPDescriptor"}) {
            std::string doc = entity("https://a.test");
            std::string extra = std::string("<md:") + role + "/>";
            doc.insert(doc.find("</md:EntityDescriptor>"), extra);
            SamlIdpSettings idp;
            idp.metadata_xml = doc;
            auto md = idp_entity_descriptor(idp);
            CPPUNIT_ASSERT_MESSAGE(role, !md.ok() && md.error().code == Status::config_invalid);
            CPPUNIT_ASSERT_MESSAGE(md.error().detail, md.error().detail.find("protocolSupportEnumeration") != std::string::npos);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlMetadataTest);
