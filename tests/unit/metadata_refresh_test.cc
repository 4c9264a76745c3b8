// Metadata fetched from a URL: the checks before it replaces the document in
// use (tests/vectors/metadata-signing, signed by xmlsec1), when to fetch
// again, and xs:duration.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "saml/metadata_refresh.h"
#include "vectors.h"

using namespace hdsso;

namespace {

constexpr std::int64_t kNow = 1800000000;  // 2027-01-15

std::string vector(const std::string& name) { return read_vector("metadata-signing/" + name); }

}  // namespace

class MetadataRefreshTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MetadataRefreshTest);
    CPPUNIT_TEST(testSignedByTheSignerAccepted);
    CPPUNIT_TEST(testEverySignatureFaultRefused);
    CPPUNIT_TEST(testUnsignedNeedsNoSignerOnly);
    CPPUNIT_TEST(testExpiredRefusedSignedOrNot);
    CPPUNIT_TEST(testNotMetadataRefused);
    CPPUNIT_TEST(testAggregateValidityPerIdp);
    CPPUNIT_TEST(testRefreshDelay);
    CPPUNIT_TEST(testDurations);
    CPPUNIT_TEST_SUITE_END();

public:
    void testSignedByTheSignerAccepted() {
        std::string signer = vector("signer.crt");
        auto m = check_fetched_metadata(vector("signed.xml"), signer, kNow);
        CPPUNIT_ASSERT_MESSAGE(m.ok() ? "" : m.error().detail, m.ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), m.value().idps.size());
        CPPUNIT_ASSERT_EQUAL(std::string("https://idp.metadata.test/idp"), m.value().idps[0]);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(6 * 3600), m.value().cache_duration);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), m.value().valid_until);
        auto empty_uri = check_fetched_metadata(vector("signed-empty-uri.xml"), signer, kNow);
        CPPUNIT_ASSERT_MESSAGE(empty_uri.ok() ? "" : empty_uri.error().detail, empty_uri.ok());
        CPPUNIT_ASSERT(empty_uri.value().valid_until > kNow);
    }
    void testEverySignatureFaultRefused() {
        std::string signer = vector("signer.crt");
        for (const char* name : {"signed-by-other.xml", "signed-sha1.xml", "signed-inner.xml", "tampered.xml"}) {
            auto m = check_fetched_metadata(vector(name), signer, kNow);
            CPPUNIT_ASSERT_MESSAGE(name, !m.ok());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, std::string("metadata.bad_signature"),
                                         std::string(status_name(m.error().code)));
        }
        // The signer's certificate is pinned: the other key's own
        // certificate does not make its signature good.
        auto other = check_fetched_metadata(vector("signed.xml"), vector("other.crt"), kNow);
        CPPUNIT_ASSERT(!other.ok());
        CPPUNIT_ASSERT_EQUAL(Status::metadata_bad_signature, other.error().code);
    }
    void testUnsignedNeedsNoSignerOnly() {
        CPPUNIT_ASSERT(check_fetched_metadata(vector("unsigned.xml"), "", kNow).ok());
        auto m = check_fetched_metadata(vector("unsigned.xml"), vector("signer.crt"), kNow);
        CPPUNIT_ASSERT(!m.ok());
        CPPUNIT_ASSERT_EQUAL(Status::metadata_unsigned, m.error().code);
    }
    void testExpiredRefusedSignedOrNot() {
        for (const std::string& signer : {std::string(), vector("signer.crt")}) {
            auto m = check_fetched_metadata(vector("signed-expired.xml"), signer, kNow);
            CPPUNIT_ASSERT(!m.ok());
            CPPUNIT_ASSERT_EQUAL(Status::metadata_expired, m.error().code);
        }
        // A copy already in use is read without the time check: its
        // validUntil is what the SAML code refuses its IdPs from.
        auto in_use = read_metadata_validity(vector("signed-expired.xml"));
        CPPUNIT_ASSERT(in_use.ok());
        CPPUNIT_ASSERT(in_use.value().valid_until > 0 && in_use.value().valid_until <= kNow);
        CPPUNIT_ASSERT(!in_use.value().idps.empty());
    }
    void testNotMetadataRefused() {
        for (const char* text : {"", "<html><body>Maintenance</body></html>", "not xml at all",
                                 "<!DOCTYPE x [<!ENTITY e \"x\">]><x>&e;</x>"}) {
            auto m = check_fetched_metadata(text, "", kNow);
            CPPUNIT_ASSERT_MESSAGE(text, !m.ok());
            CPPUNIT_ASSERT_EQUAL(Status::config_invalid, m.error().code);
        }
    }
    void testRefreshDelay() {
        CheckedMetadata m;
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3600), metadata_refresh_delay(m, 3600, kNow, 5));
        m.cache_duration = 600;
        CPPUNIT_ASSERT_EQUAL(std::int64_t(600), metadata_refresh_delay(m, 3600, kNow, 5));
        m.root_valid_until = kNow + 400;  // half the time left
        CPPUNIT_ASSERT_EQUAL(std::int64_t(200), metadata_refresh_delay(m, 3600, kNow, 5));
        m.root_valid_until = kNow + 2;  // never under the floor
        CPPUNIT_ASSERT_EQUAL(std::int64_t(5), metadata_refresh_delay(m, 3600, kNow, 5));
    }
    void testDurations() {
        struct Case {
            const char* text;
            std::int64_t seconds;
        } good[] = {{"PT6H", 21600}, {"P1D", 86400}, {"P1DT30M", 88200}, {"PT90.5S", 90}, {"P1W", 604800},
                    {"P1Y", 365 * 86400}, {"P1M", 30 * 86400}, {"PT1M", 60}, {"P0D", 0}};
        for (const auto& c : good) {
            auto d = parse_xs_duration(c.text);
            CPPUNIT_ASSERT_MESSAGE(c.text, d.ok());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.text, c.seconds, d.value());
        }
        for (const char* bad : {"", "P", "PT", "6H", "-PT6H", "PT6", "P1H", "PT1D", "P1.5D", "PT1H2", "PTH",
                                "P99999999999999999999D", "P1DT"}) {
            CPPUNIT_ASSERT_MESSAGE(bad, !parse_xs_duration(bad).ok());
        }
    }

    // In an aggregate each IdP has its own validUntil (its own and those
    // around it): one stale entity neither refuses the document nor makes
    // the next fetch due at once; a stale root, or every IdP stale, does.
    void testAggregateValidityPerIdp() {
        auto idp = [](const std::string& id, const std::string& until) {
            return "<md:EntityDescriptor entityID=\"" + id + "\"" + (until.empty() ? "" : " validUntil=\"" + until + "\"") +
                   "><md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
                   "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" "
                   "Location=\"https://idp.example.com/sso\"/></md:IDPSSODescriptor></md:EntityDescriptor>";
        };
        auto aggregate = [](const std::string& root_until, const std::string& body) {
            return "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"" +
                   (root_until.empty() ? std::string() : " validUntil=\"" + root_until + "\"") + ">" + body +
                   "</md:EntitiesDescriptor>";
        };
        const std::string past = "2001-01-01T00:00:00Z", soon = "2027-01-16T00:00:00Z", later = "2027-02-01T00:00:00Z";
        auto m = check_fetched_metadata(aggregate(later, idp("https://stale/", past) + idp("https://fresh/", "") +
                                                          idp("https://soon/", soon)),
                                        "", kNow);
        CPPUNIT_ASSERT_MESSAGE(m.ok() ? "" : m.error().detail, m.ok());
        const auto& v = m.value().idp_valid_until;
        CPPUNIT_ASSERT(v.at("https://stale/") > 0 && v.at("https://stale/") < kNow);
        CPPUNIT_ASSERT_EQUAL(m.value().root_valid_until, v.at("https://fresh/"));  // the root's, inherited
        CPPUNIT_ASSERT(v.at("https://soon/") > kNow && v.at("https://soon/") < m.value().root_valid_until);
        // Due again at half the time to the next validUntil ahead (~12 h), not at once.
        std::int64_t delay = metadata_refresh_delay(m.value(), 86400, kNow, 5);
        CPPUNIT_ASSERT(delay > 3600 && delay < 86400);
        // A stale root, or nothing but stale IdPs: refused.
        auto root = check_fetched_metadata(aggregate(past, idp("https://fresh/", "")), "", kNow);
        CPPUNIT_ASSERT(!root.ok());
        CPPUNIT_ASSERT_EQUAL(Status::metadata_expired, root.error().code);
        auto all = check_fetched_metadata(aggregate("", idp("https://a/", past) + idp("https://b/", past)), "", kNow);
        CPPUNIT_ASSERT(!all.ok());
        CPPUNIT_ASSERT_EQUAL(Status::metadata_expired, all.error().code);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetadataRefreshTest);
