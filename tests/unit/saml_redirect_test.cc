// HTTP-Redirect messages from the IdP (PATH/slo): their signature is checked
// by the SP itself (src/saml/redirect_signature.h), not by Lasso, whose
// check leaks the decoded signature. What must be accepted, and everything
// that must never be: unsigned, tampered, re-ordered parameters, ';'
// separators, repeats, another key, rsa-sha1 without the allowance, an
// unknown issuer, an oversized signature.
#include <cppunit/extensions/HelperMacros.h>

#include <cstring>

#include "../fuzz/fuzz_saml_idp.h"
#include "saml/redirect_signature.h"
#include "saml/saml.h"
#include "url/query.h"
#include "vectors.h"

using namespace hdsso;

namespace {

const char* kIdp = "https://idp.redirect.test/";
const char* kIdpSlo = "https://idp.redirect.test/slo";

const fuzz::TestIdp& idp_keys() {
    static const fuzz::TestIdp idp = fuzz::make_idp();
    return idp;
}

const fuzz::TestIdp& other_keys() {
    static const fuzz::TestIdp idp = fuzz::make_idp();
    return idp;
}

std::shared_ptr<SamlSp> sp(bool allow_sha1 = false) {
    SamlIdpSettings i;
    i.entity_id = kIdp;
    i.cert_pem = idp_keys().cert_pem;
    i.sso_url = "https://idp.redirect.test/sso";
    i.slo_url = kIdpSlo;
    i.legacy.sha1 = allow_sha1;
    SamlSpSettings s;
    s.entity_id = "https://helpdesk.redirect.test/sso/metadata";
    s.acs_url = "https://helpdesk.redirect.test/sso/acs";
    s.slo_url = "https://helpdesk.redirect.test/sso/slo";
    s.key_pem = read_vector("python3-saml/tests/data/customPath/certs/sp.key");
    auto r = SamlSp::create(s, {i});
    CPPUNIT_ASSERT_MESSAGE(r.ok() ? "" : r.error().detail, r.ok());
    return r.value();
}

std::string logout_request(const std::string& issuer = kIdp) {
    return "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
           "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_lr1\" Version=\"2.0\" "
           "IssueInstant=\"2026-01-01T00:00:00Z\" Destination=\"https://helpdesk.redirect.test/sso/slo\">"
           "<saml:Issuer>" + issuer + "</saml:Issuer>"
           "<saml:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">jane@example.com</saml:NameID>"
           "<samlp:SessionIndex>_s1</samlp:SessionIndex></samlp:LogoutRequest>";
}

std::string logout_response() {
    return "<samlp:LogoutResponse xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
           "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_resp1\" Version=\"2.0\" "
           "IssueInstant=\"2026-01-01T00:00:00Z\" Destination=\"https://helpdesk.redirect.test/sso/slo\">"
           "<saml:Issuer>" + std::string(kIdp) + "</saml:Issuer>"
           "<samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>"
           "</samlp:LogoutResponse>";
}

// "PARAM=..&RelayState=..&SigAlg=.." signed with `md` as `alg_uri` says.
std::string signed_query(const char* param, const std::string& xml, const std::string& relay, EVP_PKEY* key,
                         const EVP_MD* md = EVP_sha256(),
                         const char* alg_uri = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256") {
    std::string q = std::string(param) + "=" + percent_encode(fuzz::base64(fuzz::deflate_raw(xml)));
    if (!relay.empty()) q += "&RelayState=" + percent_encode(relay);
    q += "&SigAlg=" + percent_encode(alg_uri);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t len = 0;
    EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key);
    EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(q.data()), q.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(q.data()), q.size());
    sig.resize(len);
    return q + "&Signature=" + percent_encode(fuzz::base64(sig));
}

std::string part(const std::string& q, const std::string& name) {
    std::size_t at = q.find(name + "=");
    std::size_t end = q.find('&', at);
    return q.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

std::string without(const std::string& q, const std::string& name) {
    std::string p = part(q, name);
    std::string out = q;
    std::size_t at = out.find(p);
    out.erase(at > 0 ? at - 1 : at, p.size() + 1);
    return out;
}

template <typename T>
std::string code(const Result<T>& r) {
    return r.ok() ? "accepted" : status_name(r.error().code);
}

}  // namespace

class SamlRedirectTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlRedirectTest);
    CPPUNIT_TEST(testSignedLogoutRequestAccepted);
    CPPUNIT_TEST(testParameterOrderDoesNotMatter);
    CPPUNIT_TEST(testUnsignedOrTamperedRefused);
    CPPUNIT_TEST(testRepeatsAndSemicolonsRefused);
    CPPUNIT_TEST(testAnotherKeyOrIssuerRefused);
    CPPUNIT_TEST(testRsaSha1NeedsTheAllowance);
    CPPUNIT_TEST(testOversizedSignatureRefused);
    CPPUNIT_TEST(testLogoutResponse);
    CPPUNIT_TEST(testWhatWouldAbortLassoIsRefused);
    CPPUNIT_TEST_SUITE_END();

public:
    void testSignedLogoutRequestAccepted() {
        auto q = signed_query("SAMLRequest", logout_request(), "/tickets?id=7", idp_keys().key.get());
        auto r = sp()->process_logout_request(q);
        CPPUNIT_ASSERT_MESSAGE(r.ok() ? "" : r.error().detail, r.ok());
        CPPUNIT_ASSERT_EQUAL(std::string(kIdp), r.value().issuer);
        CPPUNIT_ASSERT_EQUAL(std::string("jane@example.com"), r.value().name_id);
        CPPUNIT_ASSERT_EQUAL(0, r.value().response_url.compare(0, std::strlen(kIdpSlo), kIdpSlo));
        // Without RelayState too.
        auto bare = signed_query("SAMLRequest", logout_request(), "", idp_keys().key.get());
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), code(sp()->process_logout_request(bare)));
    }

    // The signed text is built in the binding's order whatever order the
    // parameters come in.
    void testParameterOrderDoesNotMatter() {
        auto q = signed_query("SAMLRequest", logout_request(), "/x", idp_keys().key.get());
        std::string reordered = part(q, "Signature") + "&" + part(q, "SigAlg") + "&" + part(q, "RelayState") + "&" +
                                part(q, "SAMLRequest");
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), code(sp()->process_logout_request(reordered)));
    }

    void testUnsignedOrTamperedRefused() {
        auto q = signed_query("SAMLRequest", logout_request(), "/tickets", idp_keys().key.get());
        CPPUNIT_ASSERT_EQUAL(std::string("saml.unsigned"), code(sp()->process_logout_request(without(q, "Signature"))));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.bad_signature"), code(sp()->process_logout_request(without(q, "SigAlg"))));
        // RelayState is signed: changed or dropped, the signature fails.
        std::string relay = q;
        relay.replace(relay.find("RelayState=") + 11, 1, "%2Fx");
        CPPUNIT_ASSERT_EQUAL(std::string("saml.bad_signature"), code(sp()->process_logout_request(relay)));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.bad_signature"),
                             code(sp()->process_logout_request(without(q, "RelayState"))));
        // The message itself: another NameID under the same signature.
        std::string other = logout_request();
        other.replace(other.find("jane@"), 5, "mark@");
        std::string swapped = "SAMLRequest=" + percent_encode(fuzz::base64(fuzz::deflate_raw(other))) + "&" +
                              part(q, "RelayState") + "&" + part(q, "SigAlg") + "&" + part(q, "Signature");
        CPPUNIT_ASSERT_EQUAL(std::string("saml.bad_signature"), code(sp()->process_logout_request(swapped)));
        // A signature that is not base64, and one byte changed.
        std::string garbage = without(q, "Signature") + "&Signature=%%%";
        CPPUNIT_ASSERT(!sp()->process_logout_request(garbage).ok());
        std::string flipped = q;
        std::size_t at = flipped.find("&Signature=") + 11;
        flipped[at] = flipped[at] == 'A' ? 'B' : 'A';
        CPPUNIT_ASSERT_EQUAL(std::string("saml.bad_signature"), code(sp()->process_logout_request(flipped)));
        // SigAlg names an algorithm the SP does not accept.
        auto hmac = signed_query("SAMLRequest", logout_request(), "", idp_keys().key.get(), EVP_sha256(),
                                 "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256");
        CPPUNIT_ASSERT_EQUAL(std::string("saml.bad_signature"), code(sp()->process_logout_request(hmac)));
    }

    void testRepeatsAndSemicolonsRefused() {
        auto q = signed_query("SAMLRequest", logout_request(), "/a", idp_keys().key.get());
        for (const char* name : {"SAMLRequest", "RelayState", "SigAlg", "Signature"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, std::string("saml.malformed"),
                                         code(sp()->process_logout_request(q + "&" + part(q, name))));
        std::string semi = q;
        semi.replace(semi.find("&SigAlg="), 1, ";");
        CPPUNIT_ASSERT(!sp()->process_logout_request(semi).ok());
        CPPUNIT_ASSERT_EQUAL(std::string("saml.malformed"),
                             code(samlxml::verify_redirect_signature(semi, "SAMLRequest", {}, false)));
    }

    void testAnotherKeyOrIssuerRefused() {
        auto q = signed_query("SAMLRequest", logout_request(), "", other_keys().key.get());
        CPPUNIT_ASSERT_EQUAL(std::string("saml.bad_signature"), code(sp()->process_logout_request(q)));
        auto stranger = signed_query("SAMLRequest", logout_request("https://stranger.test/"), "", idp_keys().key.get());
        CPPUNIT_ASSERT_EQUAL(std::string("saml.unknown_idp"), code(sp()->process_logout_request(stranger)));
    }

    void testRsaSha1NeedsTheAllowance() {
        auto q = signed_query("SAMLRequest", logout_request(), "", idp_keys().key.get(), EVP_sha1(),
                              "http://www.w3.org/2000/09/xmldsig#rsa-sha1");
        CPPUNIT_ASSERT_EQUAL(std::string("saml.legacy_algorithm"), code(sp()->process_logout_request(q)));
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), code(sp(true)->process_logout_request(q)));
        // The SigAlg must be the algorithm actually used.
        auto mislabelled = signed_query("SAMLRequest", logout_request(), "", idp_keys().key.get(), EVP_sha1(),
                                        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
        CPPUNIT_ASSERT_EQUAL(std::string("saml.bad_signature"), code(sp(true)->process_logout_request(mislabelled)));
    }

    // Lasso's check leaked the decoded signature, whatever its size; the
    // SP's own check refuses it and keeps nothing (the ASan run of this
    // suite, asan-unit, fails on any leak).
    void testOversizedSignatureRefused() {
        auto q = signed_query("SAMLRequest", logout_request(), "", idp_keys().key.get());
        std::string big = without(q, "Signature") + "&Signature=" + std::string(6000, 'A');
        CPPUNIT_ASSERT_EQUAL(std::string("saml.bad_signature"), code(sp()->process_logout_request(big)));
        auto resp = signed_query("SAMLResponse", logout_response(), "", idp_keys().key.get());
        std::string big_resp = without(resp, "Signature") + "&Signature=" + std::string(6000, 'A');
        CPPUNIT_ASSERT_EQUAL(std::string("saml.bad_signature"), code(sp()->process_logout_response(big_resp)));
    }

    // A LogoutResponse: signed, it must verify; unsigned, it is read as
    // before (it only ends the SP's own, already ended, logout).
    void testLogoutResponse() {
        auto q = signed_query("SAMLResponse", logout_response(), "/bye", idp_keys().key.get());
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), code(sp()->process_logout_response(q)));
        CPPUNIT_ASSERT_EQUAL(std::string("accepted"), code(sp()->process_logout_response(without(q, "Signature"))));
        auto other = signed_query("SAMLResponse", logout_response(), "/bye", other_keys().key.get());
        CPPUNIT_ASSERT_EQUAL(std::string("saml.bad_signature"), code(sp()->process_logout_response(other)));
    }

    // Lasso logs these at G_LOG_LEVEL_ERROR, which GLib makes fatal: before
    // the gate they aborted the process (found by fuzz_saml_logout; a
    // LogoutResponse needs no signature, so any client could). Refused as
    // saml.malformed, and this test process lives on.
    void testWhatWouldAbortLassoIsRefused() {
        std::string no_name_id = logout_request();
        no_name_id.erase(no_name_id.find("<saml:NameID"), no_name_id.find("<samlp:SessionIndex") -
                                                              no_name_id.find("<saml:NameID"));
        std::string two = logout_request();
        std::size_t at = two.find("<saml:NameID");
        two.insert(at, two.substr(at, two.find("<samlp:SessionIndex") - at));
        std::string foreign = logout_request();
        foreign.insert(foreign.find("<samlp:SessionIndex"), "<x:NameID xmlns:x=\"urn:other\">x</x:NameID>");
        std::string authn = "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
                            "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_a\" Version=\"2.0\" "
                            "IssueInstant=\"2026-01-01T00:00:00Z\"><saml:Issuer>" + std::string(kIdp) +
                            "</saml:Issuer></samlp:AuthnRequest>";
        for (const auto& xml : {no_name_id, two, foreign, authn}) {
            auto q = signed_query("SAMLRequest", xml, "", idp_keys().key.get());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(xml, std::string("saml.malformed"), code(sp()->process_logout_request(q)));
        }
        // As a LogoutResponse, unsigned: a LogoutRequest root, or one nested.
        std::string nested = logout_response();
        nested.insert(nested.find("<samlp:Status>"), "<samlp:Extensions>" + no_name_id.substr(no_name_id.find("<samlp:LogoutRequest")) +
                                                         "</samlp:Extensions>");
        std::string ecp = logout_response();
        ecp.insert(ecp.find("<samlp:Status>"),
                   "<samlp:Extensions><ecp:RelayState xmlns:ecp=\"urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp\"/>"
                   "</samlp:Extensions>");
        for (const auto& xml : {no_name_id, nested, ecp}) {
            std::string q = "SAMLResponse=" + percent_encode(fuzz::base64(fuzz::deflate_raw(xml)));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(xml, std::string("saml.malformed"), code(sp()->process_logout_response(q)));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlRedirectTest);
