// The SAML response checks, one step at a time (src/saml/response_steps.h),
// each called directly with a crafted input: a small unsigned document that
// breaks exactly that check, read by Lasso where the step takes Lasso's
// objects. Signatures themselves are Lasso's job and are proven end to end
// (saml_test.cc with python3-saml's signed vectors, the integration suites
// with xmlsec1-signed responses); the steps that judge no signature are
// proven here, boundaries included.
#include <cppunit/extensions/HelperMacros.h>

#include <ctime>
#include <memory>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/clock.h"
#include "core/kv_store.h"
#include "saml/response_steps.h"

using namespace hdsso;
using namespace hdsso::samlxml;

namespace {

const std::int64_t kNow = 1800000000;  // 2027-01-15T08:00:00Z
const std::int64_t kSkew = 180;
const char* const kIdp = "https://idp.steps.test/metadata";
const char* const kSp = "https://helpdesk.steps.test/sso/metadata";
const char* const kAcs = "https://helpdesk.steps.test/sso/acs";
const char* const kRequest = "_req-1";
const char* const kNs = "xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
                        "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\"";

std::string iso(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string opt_attr(const char* name, const std::string& v) {
    return v.empty() ? "" : std::string(" ") + name + "=\"" + v + "\"";
}

// An assertion as an IdP would send it for kRequest; each field can be set
// to break one check ("" leaves an optional part out).
struct Assertion {
    std::string id = "_a1", issuer = kIdp;
    bool subject = true;
    std::string name_id = "jane@example.com", format = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
    std::string sp_name_qualifier;
    bool confirmation = true, confirmation_data = true;
    std::string method = "urn:oasis:names:tc:SAML:2.0:cm:bearer", recipient = kAcs, scd_irt = kRequest;
    std::string scd_not_before, scd_not_on_or_after = iso(kNow + 300);
    bool conditions = true;
    std::string cond_not_before = iso(kNow - 30), cond_not_on_or_after = iso(kNow + 300);
    std::vector<std::string> restrictions{kSp};  // one AudienceRestriction each ("": no Audience)
    bool authn = true;
    std::string authn_instant = iso(kNow - 10), session_not_on_or_after;
    std::string attributes;

    std::string xml() const {
        std::string s = "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\"" + opt_attr("ID", id) +
                        " Version=\"2.0\" IssueInstant=\"" + iso(kNow - 10) + "\">";
        if (!issuer.empty()) s += "<saml:Issuer>" + issuer + "</saml:Issuer>";
        if (subject) {
            s += "<saml:Subject>";
            if (!name_id.empty())
                s += "<saml:NameID" + opt_attr("Format", format) + opt_attr("SPNameQualifier", sp_name_qualifier) + ">" +
                     name_id + "</saml:NameID>";
            if (confirmation) {
                s += "<saml:SubjectConfirmation" + opt_attr("Method", method) + ">";
                if (confirmation_data)
                    s += "<saml:SubjectConfirmationData" + opt_attr("NotBefore", scd_not_before) +
                         opt_attr("NotOnOrAfter", scd_not_on_or_after) + opt_attr("Recipient", recipient) +
                         opt_attr("InResponseTo", scd_irt) + "/>";
                s += "</saml:SubjectConfirmation>";
            }
            s += "</saml:Subject>";
        }
        if (conditions) {
            s += "<saml:Conditions" + opt_attr("NotBefore", cond_not_before) +
                 opt_attr("NotOnOrAfter", cond_not_on_or_after) + ">";
            for (const auto& a : restrictions)
                s += "<saml:AudienceRestriction>" + (a.empty() ? "" : "<saml:Audience>" + a + "</saml:Audience>") +
                     "</saml:AudienceRestriction>";
            s += "</saml:Conditions>";
        }
        if (authn)
            s += "<saml:AuthnStatement" + opt_attr("AuthnInstant", authn_instant) + " SessionIndex=\"_s1\"" +
                 opt_attr("SessionNotOnOrAfter", session_not_on_or_after) +
                 "><saml:AuthnContext><saml:AuthnContextClassRef>"
                 "urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext>"
                 "</saml:AuthnStatement>";
        return s + attributes + "</saml:Assertion>";
    }
};

std::string response(const std::string& body, const std::string& issuer = kIdp,
                     const std::string& status = "urn:oasis:names:tc:SAML:2.0:status:Success",
                     const std::string& extra = "") {
    return "<samlp:Response " + std::string(kNs) + " ID=\"_r1\" Version=\"2.0\" IssueInstant=\"" + iso(kNow - 5) +
           "\"" + extra + ">" + (issuer.empty() ? "" : "<saml:Issuer>" + issuer + "</saml:Issuer>") +
           "<samlp:Status><samlp:StatusCode Value=\"" + status + "\"/></samlp:Status>" + body + "</samlp:Response>";
}

using NodePtr = CPtr<LassoNode, g_object_unref>;

// A document as we parse it and as Lasso reads it.
struct Read {
    XmlDocPtr doc;
    NodePtr node;
    xmlNode* xml() const { return xmlDocGetRootElement(doc.get()); }
    LassoSaml2Assertion* assertion() const { return LASSO_SAML2_ASSERTION(node.get()); }
};

Read read(const std::string& xml) {
    saml_library_init();
    auto doc = parse_untrusted_xml(xml, Status::saml_malformed, "test");
    CPPUNIT_ASSERT_MESSAGE(doc.ok() ? "" : doc.error().detail, doc.ok());
    Read r{std::move(doc.value()), nullptr};
    r.node.reset(lasso_node_new_from_xmlNode(r.xml()));
    CPPUNIT_ASSERT_MESSAGE("Lasso cannot read: " + xml, r.node != nullptr);
    return r;
}

std::string code(const Error& e) { return status_name(e.code); }
template <class T>
std::string code(const Result<T>& r) {
    return r.ok() ? "ok" : code(r.error());
}

std::string b64(const std::string& raw) { return base64_encode_std(raw); }

// A self-signed certificate of `bits` (base64 DER) and its SHA-256 as hex.
struct Cert {
    std::string b64, pem, sha256_hex;
};
Cert make_cert(int bits) {
    std::shared_ptr<EVP_PKEY> key(EVP_RSA_gen(static_cast<unsigned>(bits)), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
    X509_set_version(x.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400);
    X509_set_pubkey(x.get(), key.get());
    X509_NAME* name = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("steps"), -1, -1, 0);
    X509_set_issuer_name(x.get(), name);
    X509_sign(x.get(), key.get(), EVP_sha256());
    unsigned char* der = nullptr;
    int n = i2d_X509(x.get(), &der);
    std::string raw(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    Cert c;
    c.b64 = b64(raw);
    c.pem = "-----BEGIN CERTIFICATE-----\n" + c.b64 + "\n-----END CERTIFICATE-----\n";
    static const char* const hex = "0123456789abcdef";
    for (unsigned char ch : der_digest(raw, EVP_sha256())) c.sha256_hex += std::string{hex[ch >> 4], hex[ch & 15]};
    return c;
}

// A signature element that carries `cert` in its KeyInfo (nothing signed:
// the fingerprint step only looks for the certificate).
std::string signature_with(const std::string& cert_b64, const std::string& method = "rsa-sha256") {
    return "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>"
           "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#" + method + "\"/>"
           "</ds:SignedInfo><ds:SignatureValue>AA==</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>" +
           cert_b64 + "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>";
}

SamlSpSettings sp_settings() {
    SamlSpSettings sp;
    sp.entity_id = kSp;
    sp.acs_url = kAcs;
    return sp;
}

}  // namespace

// ---- before Lasso -------------------------------------------------------------------------

class SamlDecodeStepTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlDecodeStepTest);
    CPPUNIT_TEST(testBlankRefused);
    CPPUNIT_TEST(testTooLargeRefused);
    CPPUNIT_TEST(testNotBase64Refused);
    CPPUNIT_TEST(testRawXmlAndBase64ReadAlike);
    CPPUNIT_TEST(testDoctypeRefused);
    CPPUNIT_TEST(testNotAResponseRefused);
    CPPUNIT_TEST(testExactlyOneAssertion);
    CPPUNIT_TEST(testClaimedIssuer);
    CPPUNIT_TEST_SUITE_END();

public:
    void testBlankRefused() {
        for (const char* blank : {"", " ", "\r\n\t "}) {
            auto r = decode_response(blank);
            CPPUNIT_ASSERT_EQUAL(std::string("saml.malformed"), code(r));
            CPPUNIT_ASSERT_EQUAL(std::string("the SAMLResponse is blank"), r.error().detail);
        }
    }

    // The posted text may be at most 4/3 of the limit plus line breaks; the
    // XML at most kMaxMessage.
    void testTooLargeRefused() {
        std::string pad(kMaxMessage - response(Assertion().xml()).size(), ' ');
        std::string at_limit = response(Assertion().xml() + pad);
        CPPUNIT_ASSERT_EQUAL(kMaxMessage, at_limit.size());
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), code(decode_response(b64(at_limit))));
        auto over = decode_response(b64(at_limit + " "));
        CPPUNIT_ASSERT_EQUAL(std::string("the SAMLResponse is too large"), over.error().detail);
        auto posted = decode_response(std::string(kMaxMessage * 4 / 3 + 4097, 'A'));
        CPPUNIT_ASSERT_EQUAL(std::string("the SAMLResponse is too large"), posted.error().detail);
    }

    void testNotBase64Refused() {
        CPPUNIT_ASSERT_EQUAL(std::string("saml.malformed"), code(decode_response("not*base64!")));
    }

    void testRawXmlAndBase64ReadAlike() {
        std::string xml = response(Assertion().xml());
        auto raw = decode_response("\n  " + xml);
        auto posted = decode_response(b64(xml));
        CPPUNIT_ASSERT(raw.ok() && posted.ok());
        CPPUNIT_ASSERT_EQUAL(b64(xml), raw.value().b64);
        CPPUNIT_ASSERT_EQUAL(raw.value().b64, posted.value().b64);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), posted.value().plain.size());
        CPPUNIT_ASSERT(posted.value().encrypted.empty());
    }

    void testDoctypeRefused() {
        auto r = decode_response(b64("<!DOCTYPE r [<!ENTITY e \"x\">]>" + response(Assertion().xml())));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.malformed"), code(r));
        CPPUNIT_ASSERT(r.error().detail.find("DOCTYPE") != std::string::npos);
    }

    void testNotAResponseRefused() {
        auto r = decode_response(b64(Assertion().xml()));
        CPPUNIT_ASSERT_EQUAL(std::string("not a samlp:Response"), r.error().detail);
        auto other_ns = decode_response(b64("<samlp:Response xmlns:samlp=\"urn:other\"/>"));
        CPPUNIT_ASSERT_EQUAL(std::string("not a samlp:Response"), other_ns.error().detail);
    }

    void testExactlyOneAssertion() {
        const std::string encrypted = "<saml:EncryptedAssertion/>";
        auto none = decode_response(b64(response("")));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.assertion_count"), code(none));
        CPPUNIT_ASSERT_EQUAL(std::string("0 assertions in the response"), none.error().detail);
        CPPUNIT_ASSERT_EQUAL(std::string("saml.assertion_count"),
                             code(decode_response(b64(response(Assertion().xml() + Assertion().xml())))));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.assertion_count"),
                             code(decode_response(b64(response(Assertion().xml() + encrypted)))));
        auto one_encrypted = decode_response(b64(response(encrypted)));
        CPPUNIT_ASSERT(one_encrypted.ok() && one_encrypted.value().encrypted.size() == 1);
        // An assertion in another namespace is no assertion.
        CPPUNIT_ASSERT_EQUAL(std::string("saml.assertion_count"),
                             code(decode_response(b64(response("<x:Assertion xmlns:x=\"urn:other\"/>")))));
    }

    void testClaimedIssuer() {
        auto issuer_of = [](const std::string& xml) {
            return claimed_issuer(decode_response(b64(xml)).value().root);
        };
        Assertion other;
        other.issuer = "https://assertion-issuer.test";
        CPPUNIT_ASSERT_EQUAL(std::string(kIdp), issuer_of(response(other.xml())));
        CPPUNIT_ASSERT_EQUAL(other.issuer, issuer_of(response(other.xml(), "")));
        other.issuer = "";
        CPPUNIT_ASSERT_EQUAL(std::string(), issuer_of(response(other.xml(), "")));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlDecodeStepTest);

class SamlFingerprintStepTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlFingerprintStepTest);
    CPPUNIT_TEST(testOnlyIdpsWithoutCertificateOrMetadata);
    CPPUNIT_TEST(testNoMatchingCertificateRefused);
    CPPUNIT_TEST(testCertificateInTheAssertionSignatureFound);
    CPPUNIT_TEST(testSmallKeyNeedsTheAllowance);
    CPPUNIT_TEST_SUITE_END();

    static const Cert& cert() {
        static const Cert c = make_cert(2048);
        return c;
    }

    static SamlIdpSettings idp(const std::string& fingerprint) {
        SamlIdpSettings i;
        i.entity_id = kIdp;
        i.cert_fingerprint = fingerprint;
        return i;
    }

public:
    void testOnlyIdpsWithoutCertificateOrMetadata() {
        SamlIdpSettings i = idp(cert().sha256_hex);
        CPPUNIT_ASSERT(by_fingerprint(i));
        i.cert_pem = cert().pem;
        CPPUNIT_ASSERT(!by_fingerprint(i));
        i.cert_pem.clear();
        i.metadata_xml = "<md:EntityDescriptor/>";
        CPPUNIT_ASSERT(!by_fingerprint(i));
    }

    void testNoMatchingCertificateRefused() {
        Cert other = make_cert(2048);
        auto r = decode_response(b64(response(Assertion().xml(), kIdp, "urn:oasis:names:tc:SAML:2.0:status:Success")))
                     .value();
        auto none = server_for_fingerprint(r, sp_settings(), idp(cert().sha256_hex));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.bad_signature"), code(none));
        // A certificate, but another one.
        std::string xml = response(Assertion().xml());
        xml.insert(xml.find("<samlp:Status>"), signature_with(other.b64));
        auto wrong = server_for_fingerprint(decode_response(b64(xml)).value(), sp_settings(), idp(cert().sha256_hex));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.bad_signature"), code(wrong));
        CPPUNIT_ASSERT_EQUAL(std::string("no certificate in the response matches the configured fingerprint"),
                             wrong.error().detail);
    }

    void testCertificateInTheAssertionSignatureFound() {
        std::string assertion = Assertion().xml();
        assertion.insert(assertion.find("<saml:Subject>"),
                         signature_with(make_cert(2048).b64) + signature_with(cert().b64));
        // (The first ds:Signature is the assertion's: the second is not read.)
        auto r = decode_response(b64(response(assertion))).value();
        CPPUNIT_ASSERT_EQUAL(std::string("saml.bad_signature"),
                             code(server_for_fingerprint(r, sp_settings(), idp(cert().sha256_hex))));
        assertion = Assertion().xml();
        assertion.insert(assertion.find("<saml:Subject>"), signature_with(cert().b64));
        auto found = server_for_fingerprint(decode_response(b64(response(assertion))).value(), sp_settings(),
                                            idp("SHA256:" + cert().sha256_hex));
        CPPUNIT_ASSERT_MESSAGE(code(found), found.ok());
        CPPUNIT_ASSERT(lasso_server_get_provider(found.value().get(), kIdp) != nullptr);
    }

    void testSmallKeyNeedsTheAllowance() {
        Cert small = make_cert(1024);
        std::string xml = response(Assertion().xml());
        xml.insert(xml.find("<samlp:Status>"), signature_with(small.b64));
        auto r = decode_response(b64(xml)).value();
        SamlIdpSettings i = idp(small.sha256_hex);
        auto refused = server_for_fingerprint(r, sp_settings(), i);
        CPPUNIT_ASSERT_EQUAL(std::string("saml.legacy_algorithm"), code(refused));
        i.legacy.rsa1024 = true;
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), code(server_for_fingerprint(r, sp_settings(), i)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlFingerprintStepTest);

// What Lasso is handed of an EncryptedAssertion: only the shape its
// decryption completes (Lasso 2.8 leaked a copy of the SP key on any other).
class SamlEncryptedShapeStepTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlEncryptedShapeStepTest);
    CPPUNIT_TEST(testKeyInKeyInfoOrBesideAccepted);
    CPPUNIT_TEST(testWrongDsigNamespaceRefused);
    CPPUNIT_TEST(testWrongXencNamespaceRefused);
    CPPUNIT_TEST(testMissingOrUnknownEncryptionMethodRefused);
    CPPUNIT_TEST(testMissingEncryptedKeyRefused);
    CPPUNIT_TEST(testOtherChildrenRefused);
    CPPUNIT_TEST(testRefusedBeforeLassoOnASiteWithAKey);
    CPPUNIT_TEST_SUITE_END();

    static constexpr const char* kXenc = "http://www.w3.org/2001/04/xmlenc#";
    static constexpr const char* kDs = "http://www.w3.org/2000/09/xmldsig#";
    static constexpr const char* kGcm = "http://www.w3.org/2009/xmlenc11#aes128-gcm";

    struct Shape {
        std::string xenc = kXenc, ds = kDs, method = kGcm;
        bool method_element = true, key_in_key_info = true, key_beside = false;
        std::string key_ns = kXenc, before, after;  // key_ns: the EncryptedKey's namespace

        std::string xml() const {
            std::string key = "<k:EncryptedKey xmlns:k=\"" + key_ns +
                              "\"><k:CipherData><k:CipherValue>AA==</k:CipherValue></k:CipherData></k:EncryptedKey>";
            return "<saml:EncryptedAssertion>" + before + "<xenc:EncryptedData xmlns:xenc=\"" + xenc + "\">" +
                   (method_element ? "<xenc:EncryptionMethod" + opt_attr("Algorithm", method) + "/>" : "") +
                   (key_in_key_info ? "<ds:KeyInfo xmlns:ds=\"" + ds + "\">" + key + "</ds:KeyInfo>" : "") +
                   "<xenc:CipherData><xenc:CipherValue>AA==</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>" +
                   (key_beside ? key : "") + after + "</saml:EncryptedAssertion>";
        }
    };

    static std::string check(const Shape& shape) {
        auto r = decode_response(b64(response(shape.xml())));
        CPPUNIT_ASSERT_MESSAGE(code(r), r.ok());
        return code(check_encrypted_assertion(r.value()));
    }

public:
    void testKeyInKeyInfoOrBesideAccepted() {
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), check(Shape()));
        Shape beside;
        beside.key_in_key_info = false;
        beside.key_beside = true;
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), check(beside));
        Shape cbc, tripledes;
        cbc.method = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";  // (refused later, by policy, unless allowed)
        tripledes.method = "http://www.w3.org/2001/04/xmlenc#tripledes-cbc";
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), check(cbc));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), check(tripledes));
        // No EncryptedAssertion: nothing to judge.
        auto plain = decode_response(b64(response(Assertion().xml()))).value();
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), code(check_encrypted_assertion(plain)));
    }

    // Issue 15's case: the KeyInfo's dsig namespace URI is wrong.
    void testWrongDsigNamespaceRefused() {
        Shape s;
        s.ds = "http://www.w3.org/2000/09/xmldsig";
        CPPUNIT_ASSERT_EQUAL(std::string("saml.decryption_failed"), check(s));
        s.key_beside = true;  // a key beside the EncryptedData is read first: then fine
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), check(s));
    }

    void testWrongXencNamespaceRefused() {
        Shape key, data;
        key.key_ns = "http://www.w3.org/2001/04/xmlenc";
        data.xenc = "http://www.w3.org/2009/xmlenc11#";
        CPPUNIT_ASSERT_EQUAL(std::string("saml.decryption_failed"), check(key));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.decryption_failed"), check(data));
    }

    void testMissingOrUnknownEncryptionMethodRefused() {
        Shape none, no_algorithm, unknown;
        none.method_element = false;
        no_algorithm.method = "";
        unknown.method = "http://www.w3.org/2001/04/xmlenc#camellia128-cbc";
        for (const auto* s : {&none, &no_algorithm, &unknown})
            CPPUNIT_ASSERT_EQUAL(std::string("saml.decryption_failed"), check(*s));
    }

    void testMissingEncryptedKeyRefused() {
        Shape s;
        s.key_in_key_info = false;
        CPPUNIT_ASSERT_EQUAL(std::string("saml.decryption_failed"), check(s));
    }

    void testOtherChildrenRefused() {
        Shape key_first, two_data, other;
        key_first.before = "<xenc:EncryptedKey xmlns:xenc=\"" + std::string(kXenc) + "\"/>";
        two_data.after = "<xenc:EncryptedData xmlns:xenc=\"" + std::string(kXenc) + "\"/>";
        other.after = "<saml:Assertion/>";
        for (const auto* s : {&key_first, &two_data, &other})
            CPPUNIT_ASSERT_EQUAL(std::string("saml.decryption_failed"), check(*s));
        Shape comment;  // comments and blanks are no elements
        comment.before = "<!-- c --> ";
        comment.after = " <!-- c -->";
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), check(comment));
    }

    void testRefusedBeforeLassoOnASiteWithAKey() {
        static const Cert idp = make_cert(2048);
        std::shared_ptr<EVP_PKEY> key(EVP_RSA_gen(2048), EVP_PKEY_free);
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
        PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
        char* pem = nullptr;
        long n = BIO_get_mem_data(bio.get(), &pem);
        SamlSpSettings sp = sp_settings();
        sp.key_pem.assign(pem, static_cast<std::size_t>(n));
        SamlIdpSettings i;
        i.entity_id = kIdp;
        i.cert_pem = idp.pem;
        auto saml = SamlSp::create(sp, {i});
        CPPUNIT_ASSERT_MESSAGE(code(saml), saml.ok());
        FixedClock clock(kNow);
        MemoryKvStore store(clock);
        ReplayCache replay(store);
        Shape s;
        s.ds = "http://www.w3.org/2000/09/xmldsig";
        auto r = saml.value()->process_response(b64(response(s.xml())), kNow, kRequest, replay);
        CPPUNIT_ASSERT_EQUAL(std::string("saml.decryption_failed"), code(r));
        CPPUNIT_ASSERT_EQUAL(std::string("the EncryptedAssertion has no xenc:EncryptedKey (beside its EncryptedData "
                                         "or in its ds:KeyInfo)"),
                             r.error().detail);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlEncryptedShapeStepTest);

// ---- Lasso: its failures, named ------------------------------------------------------------

class SamlLassoStepTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlLassoStepTest);
    CPPUNIT_TEST(testUnsignedRefused);
    CPPUNIT_TEST(testUnknownIssuerRefused);
    CPPUNIT_TEST(testEncryptedAssertionWithoutSpKey);
    CPPUNIT_TEST_SUITE_END();

    // An SP server trusting kIdp (its certificate: a fresh one).
    static LassoServerPtr server(const SamlSpSettings& sp = sp_settings()) {
        saml_library_init();
        static const Cert idp_cert = make_cert(2048);
        auto made = new_sp_server(sp);
        CPPUNIT_ASSERT(made.ok());
        SamlIdpSettings idp;
        idp.entity_id = kIdp;
        idp.cert_pem = idp_cert.pem;
        CPPUNIT_ASSERT_EQUAL(0, lasso_server_add_provider_from_buffer(made.value().get(), LASSO_PROVIDER_ROLE_IDP,
                                                                      idp_metadata(idp).c_str(), nullptr, nullptr));
        return std::move(made.value());
    }

    static Result<LassoRun> run(LassoServer* s, const std::string& xml) {
        auto r = decode_response(b64(xml));
        CPPUNIT_ASSERT(r.ok());
        return run_lasso(s, r.value());
    }

public:
    void testUnsignedRefused() {
        auto s = server();
        auto r = run(s.get(), response(Assertion().xml()));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.unsigned"), code(r));
    }

    void testUnknownIssuerRefused() {
        auto s = server();
        Assertion a;
        a.issuer = "https://unknown.test";
        CPPUNIT_ASSERT_EQUAL(std::string("saml.unknown_idp"), code(run(s.get(), response(a.xml(), a.issuer))));
    }

    // No SP key: Lasso cannot decrypt, and says the assertion is missing.
    void testEncryptedAssertionWithoutSpKey() {
        auto s = server();
        std::string encrypted =
            "<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\">"
            "<xenc:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#aes128-gcm\"/>"
            "<xenc:CipherData><xenc:CipherValue>AA==</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>"
            "</saml:EncryptedAssertion>";
        auto r = run(s.get(), response(encrypted));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.decryption_failed"), code(r));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlLassoStepTest);

// ---- after Lasso ---------------------------------------------------------------------------

class SamlSignatureStepTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlSignatureStepTest);
    CPPUNIT_TEST(testStatusMustBeSuccess);
    CPPUNIT_TEST(testLassoHoldsOneAssertion);
    CPPUNIT_TEST(testSignaturePolicies);
    CPPUNIT_TEST(testSha1SignatureNeedsTheAllowance);
    CPPUNIT_TEST(testLegacyEncryptionNeedsTheAllowance);
    CPPUNIT_TEST_SUITE_END();

public:
    void testStatusMustBeSuccess() {
        auto ok = read(response(Assertion().xml()));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), code(the_assertion(ok.node.get())));
        CPPUNIT_ASSERT_EQUAL(std::string("_a1"), std::string(the_assertion(ok.node.get()).value()->ID));
        auto responder = read(response(Assertion().xml(), kIdp, "urn:oasis:names:tc:SAML:2.0:status:Responder"));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.not_authorized"), code(the_assertion(responder.node.get())));
        std::string no_status = response(Assertion().xml());
        std::size_t from = no_status.find("<samlp:Status>"), to = no_status.find("</samlp:Status>") + 15;
        no_status.erase(from, to - from);
        CPPUNIT_ASSERT_EQUAL(std::string("saml.not_authorized"), code(the_assertion(read(no_status).node.get())));
    }

    void testLassoHoldsOneAssertion() {
        Assertion second;
        second.id = "_a2";
        auto two = read(response(Assertion().xml() + second.xml()));
        auto r = the_assertion(two.node.get());
        CPPUNIT_ASSERT_EQUAL(std::string("saml.assertion_count"), code(r));
        CPPUNIT_ASSERT_EQUAL(std::string("Lasso holds 2 assertions"), r.error().detail);
        CPPUNIT_ASSERT_EQUAL(std::string("saml.assertion_count"), code(the_assertion(read(response("")).node.get())));
    }

    void testSignaturePolicies() {
        using P = SamlSignaturePolicy;
        struct Case {
            P policy;
            bool response, assertion, ok;
        } cases[] = {
            {P::either, false, false, false}, {P::either, true, false, true},  {P::either, false, true, true},
            {P::either, true, true, true},    {P::response, false, true, false}, {P::response, true, false, true},
            {P::assertion, true, false, false}, {P::assertion, false, true, true}, {P::both, true, false, false},
            {P::both, false, true, false},    {P::both, true, true, true},     {P::both, false, false, false},
        };
        for (const auto& c : cases) {
            auto r = check_signature_policy(c.policy, c.response, c.assertion);
            CPPUNIT_ASSERT_EQUAL(c.ok ? std::string("ok") : std::string("saml.unsigned"), code(r));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("signed: response yes, assertion no"),
                             check_signature_policy(P::both, true, false).error().detail);
    }

    void testSha1SignatureNeedsTheAllowance() {
        auto sig = [](const std::string& method, const std::string& digest) {
            return "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>"
                   "<ds:SignatureMethod Algorithm=\"" + method + "\"/><ds:Reference URI=\"#_a1\">"
                   "<ds:DigestMethod Algorithm=\"" + digest + "\"/></ds:Reference></ds:SignedInfo></ds:Signature>";
        };
        const std::string rsa256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                          rsa1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
                          sha256 = "http://www.w3.org/2001/04/xmlenc#sha256",
                          sha1 = "http://www.w3.org/2000/09/xmldsig#sha1";
        SamlLegacy strict, allowed;
        allowed.sha1 = true;
        auto check = [&](const std::string& xml, const SamlLegacy& l) {
            auto doc = parse_untrusted_xml(xml, Status::saml_malformed, "test").value();
            return code(check_signature_algorithms(xmlDocGetRootElement(doc.get()), l, "assertion"));
        };
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), check(sig(rsa256, sha256), strict));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.legacy_algorithm"), check(sig(rsa1, sha256), strict));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.legacy_algorithm"), check(sig(rsa256, sha1), strict));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), check(sig(rsa1, sha1), allowed));
    }

    void testLegacyEncryptionNeedsTheAllowance() {
        auto enc = [](const std::string& content, const std::string& transport, bool key_in_key_info) {
            std::string key = "<xenc:EncryptedKey><xenc:EncryptionMethod Algorithm=\"" + transport +
                              "\"/></xenc:EncryptedKey>";
            return "<saml:EncryptedAssertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" "
                   "xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">"
                   "<xenc:EncryptedData><xenc:EncryptionMethod Algorithm=\"" + content + "\"/>" +
                   (key_in_key_info ? "<ds:KeyInfo>" + key + "</ds:KeyInfo>" : "") + "</xenc:EncryptedData>" +
                   (key_in_key_info ? "" : key) + "</saml:EncryptedAssertion>";
        };
        const std::string gcm = "http://www.w3.org/2009/xmlenc11#aes128-gcm",
                          cbc = "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
                          oaep = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
                          v15 = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";
        auto check = [](const std::string& xml, const SamlLegacy& l) {
            auto doc = parse_untrusted_xml(xml, Status::saml_malformed, "test").value();
            return code(check_encryption_algorithms(xmlDocGetRootElement(doc.get()), l));
        };
        SamlLegacy strict, allowed;
        allowed.xmlenc_cbc = allowed.rsa1_5 = true;
        for (bool in_key_info : {true, false}) {
            CPPUNIT_ASSERT_EQUAL(std::string("ok"), check(enc(gcm, oaep, in_key_info), strict));
            CPPUNIT_ASSERT_EQUAL(std::string("saml.legacy_algorithm"), check(enc(cbc, oaep, in_key_info), strict));
            CPPUNIT_ASSERT_EQUAL(std::string("saml.legacy_algorithm"), check(enc(gcm, v15, in_key_info), strict));
            CPPUNIT_ASSERT_EQUAL(std::string("ok"), check(enc(cbc, v15, in_key_info), allowed));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlSignatureStepTest);

class SamlConditionStepTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlConditionStepTest);
    CPPUNIT_TEST(testIssuerMustBeTheRespondingIdp);
    CPPUNIT_TEST(testDestinationWhenPresent);
    CPPUNIT_TEST(testNotBeforeBoundaryWithSkew);
    CPPUNIT_TEST(testNotOnOrAfterBoundaryWithSkew);
    CPPUNIT_TEST(testWindowTimesMustBeUtc);
    CPPUNIT_TEST(testConditionsWindow);
    CPPUNIT_TEST(testAudienceRequired);
    CPPUNIT_TEST(testEveryAudienceRestrictionMustAdmitThisSp);
    CPPUNIT_TEST_SUITE_END();

    static std::string window(const char* not_before, const char* not_on_or_after, std::int64_t now,
                              std::int64_t skew = kSkew) {
        return code(check_window(not_before, not_on_or_after, now, skew, "x"));
    }

    static std::string conditions(const Assertion& a) {
        auto r = read(a.xml());
        return code(check_conditions(r.assertion()->Conditions, kSp, kNow, kSkew));
    }

public:
    void testIssuerMustBeTheRespondingIdp() {
        auto a = read(Assertion().xml());
        auto r = read(response(""));
        xmlNode* root = r.xml();
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), code(check_issuer_and_destination(a.assertion(), kIdp, root, kAcs)));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.issuer_mismatch"),
                             code(check_issuer_and_destination(a.assertion(), "https://other.test", root, kAcs)));
        Assertion none;
        none.issuer = "";
        CPPUNIT_ASSERT_EQUAL(std::string("saml.issuer_mismatch"),
                             code(check_issuer_and_destination(read(none.xml()).assertion(), kIdp, root, kAcs)));
    }

    void testDestinationWhenPresent() {
        auto a = read(Assertion().xml());
        auto to = [&](const std::string& extra) {
            auto r = read(response("", kIdp, "urn:oasis:names:tc:SAML:2.0:status:Success", extra));
            return code(check_issuer_and_destination(a.assertion(), kIdp, r.xml(), kAcs));
        };
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), to(""));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), to(std::string(" Destination=\"") + kAcs + "\""));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.destination_mismatch"), to(" Destination=\"https://evil.test/acs\""));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.destination_mismatch"), to(" Destination=\"\""));
    }

    // NotBefore: accepted from skew seconds before it.
    void testNotBeforeBoundaryWithSkew() {
        std::string nb = iso(kNow + kSkew);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), window(nb.c_str(), nullptr, kNow, kSkew));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.too_early"), window(nb.c_str(), nullptr, kNow - 1, kSkew));
        auto r = check_window(nb.c_str(), nullptr, kNow - 1, kSkew, "Conditions");
        CPPUNIT_ASSERT_EQUAL(std::string("Conditions NotBefore is 181 s ahead"), r.error().detail);
        CPPUNIT_ASSERT_EQUAL(std::string("saml.too_early"), window(nb.c_str(), nullptr, kNow, 0));
    }

    // NotOnOrAfter: refused from skew seconds after it (on it, without skew).
    void testNotOnOrAfterBoundaryWithSkew() {
        std::string noa = iso(kNow);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), window(nullptr, noa.c_str(), kNow + kSkew - 1, kSkew));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.too_late"), window(nullptr, noa.c_str(), kNow + kSkew, kSkew));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.too_late"), window(nullptr, noa.c_str(), kNow, 0));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), window(nullptr, noa.c_str(), kNow - 1, 0));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), window(nullptr, nullptr, kNow, 0));
    }

    void testWindowTimesMustBeUtc() {
        for (const char* bad : {"2027-01-15T08:00:00", "2027-01-15T09:00:00+01:00", "tomorrow", ""}) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, std::string("saml.malformed"), window(bad, nullptr, kNow, kSkew));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, std::string("saml.malformed"), window(nullptr, bad, kNow, kSkew));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), window("2027-01-15T08:00:00.999Z", nullptr, kNow, 0));
    }

    void testConditionsWindow() {
        Assertion early, late;
        early.cond_not_before = iso(kNow + kSkew + 1);
        late.cond_not_on_or_after = iso(kNow - kSkew);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), conditions(Assertion()));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.too_early"), conditions(early));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.too_late"), conditions(late));
        Assertion open;  // no times at all: the audience still counts
        open.cond_not_before = open.cond_not_on_or_after = "";
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), conditions(open));
    }

    void testAudienceRequired() {
        Assertion no_conditions, no_restriction, empty_restriction;
        no_conditions.conditions = false;
        no_restriction.restrictions = {};
        empty_restriction.restrictions = {""};
        for (const auto* a : {&no_conditions, &no_restriction, &empty_restriction})
            CPPUNIT_ASSERT_EQUAL(std::string("saml.audience_mismatch"), conditions(*a));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.audience_mismatch"), code(check_conditions(nullptr, kSp, kNow, kSkew)));
    }

    void testEveryAudienceRestrictionMustAdmitThisSp() {
        Assertion other, second_other, both;
        other.restrictions = {"https://other-sp.test"};
        second_other.restrictions = {kSp, "https://other-sp.test"};
        both.restrictions = {kSp, kSp};
        CPPUNIT_ASSERT_EQUAL(std::string("saml.audience_mismatch"), conditions(other));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.audience_mismatch"), conditions(second_other));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), conditions(both));
        Assertion prefix;  // exact match only
        prefix.restrictions = {std::string(kSp) + "/"};
        CPPUNIT_ASSERT_EQUAL(std::string("saml.audience_mismatch"), conditions(prefix));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlConditionStepTest);

class SamlBearerStepTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlBearerStepTest);
    CPPUNIT_TEST(testValidConfirmation);
    CPPUNIT_TEST(testNameIdRequired);
    CPPUNIT_TEST(testBearerMethodWithDataRequired);
    CPPUNIT_TEST(testRecipientMustBeThisAcs);
    CPPUNIT_TEST(testNotOnOrAfterRequiredNotBeforeRefused);
    CPPUNIT_TEST(testConfirmationWindowBoundary);
    CPPUNIT_TEST_SUITE_END();

    static std::string bearer(const Assertion& a, std::int64_t now = kNow) {
        auto r = read(a.xml());
        return code(check_bearer(r.assertion()->Subject, kAcs, now, kSkew));
    }

public:
    void testValidConfirmation() {
        auto r = read(Assertion().xml());
        auto b = check_bearer(r.assertion()->Subject, kAcs, kNow, kSkew);
        CPPUNIT_ASSERT(b.ok());
        CPPUNIT_ASSERT_EQUAL(std::string(kRequest), std::string(b.value().in_response_to));
        CPPUNIT_ASSERT_EQUAL(kNow + 300, b.value().not_on_or_after);
        Assertion unsolicited;
        unsolicited.scd_irt = "";
        auto u = read(unsolicited.xml());
        CPPUNIT_ASSERT(check_bearer(u.assertion()->Subject, kAcs, kNow, kSkew).value().in_response_to == nullptr);
    }

    void testNameIdRequired() {
        Assertion no_subject, no_name_id;
        no_subject.subject = false;
        no_name_id.name_id = "";
        CPPUNIT_ASSERT_EQUAL(std::string("saml.missing_name_id"), bearer(no_subject));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.missing_name_id"), bearer(no_name_id));
    }

    void testBearerMethodWithDataRequired() {
        Assertion holder_of_key, no_method, no_confirmation, no_data;
        holder_of_key.method = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key";
        no_method.method = "";
        no_confirmation.confirmation = false;
        no_data.confirmation_data = false;
        for (const auto* a : {&holder_of_key, &no_method, &no_confirmation, &no_data})
            CPPUNIT_ASSERT_EQUAL(std::string("saml.subject_confirmation"), bearer(*a));
    }

    void testRecipientMustBeThisAcs() {
        Assertion other, none, prefix;
        other.recipient = "https://evil.test/sso/acs";
        none.recipient = "";
        prefix.recipient = std::string(kAcs) + "?x";
        for (const auto* a : {&other, &none, &prefix})
            CPPUNIT_ASSERT_EQUAL(std::string("saml.recipient_mismatch"), bearer(*a));
    }

    void testNotOnOrAfterRequiredNotBeforeRefused() {
        Assertion no_end, with_start;
        no_end.scd_not_on_or_after = "";
        with_start.scd_not_before = iso(kNow - 10);
        CPPUNIT_ASSERT_EQUAL(std::string("saml.subject_confirmation"), bearer(no_end));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.subject_confirmation"), bearer(with_start));
    }

    void testConfirmationWindowBoundary() {
        Assertion a;
        a.scd_not_on_or_after = iso(kNow);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), bearer(a, kNow + kSkew - 1));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.too_late"), bearer(a, kNow + kSkew));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlBearerStepTest);

class SamlInResponseToStepTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlInResponseToStepTest);
    CPPUNIT_TEST(testSolicitedAnswersOurRequest);
    CPPUNIT_TEST(testSolicitedNamingNoRequestRefused);
    CPPUNIT_TEST(testSolicitedNamingAnotherRequestRefused);
    CPPUNIT_TEST(testUnsolicitedNamingARequestRefused);
    CPPUNIT_TEST(testUnsolicitedOnlyWhereAllowed);
    CPPUNIT_TEST_SUITE_END();

    static std::string irt(const char* response, const char* confirmation, const std::string& request, bool allow) {
        return code(check_in_response_to(response, confirmation, request, allow));
    }

public:
    void testSolicitedAnswersOurRequest() {
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), irt(kRequest, kRequest, kRequest, false));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), irt(kRequest, nullptr, kRequest, false));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), irt(nullptr, kRequest, kRequest, false));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), irt(kRequest, kRequest, kRequest, true));
    }

    void testSolicitedNamingNoRequestRefused() {
        CPPUNIT_ASSERT_EQUAL(std::string("saml.in_response_to"), irt(nullptr, nullptr, kRequest, false));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.in_response_to"), irt(nullptr, nullptr, kRequest, true));
    }

    void testSolicitedNamingAnotherRequestRefused() {
        CPPUNIT_ASSERT_EQUAL(std::string("saml.in_response_to"), irt("_other", kRequest, kRequest, false));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.in_response_to"), irt(kRequest, "_other", kRequest, false));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.in_response_to"), irt("", nullptr, kRequest, false));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.in_response_to"), irt("_req-10", nullptr, kRequest, false));
    }

    // A response to a request this browser did not start (a stolen or
    // forwarded one) is refused even where IdP-initiated sign-in is on.
    void testUnsolicitedNamingARequestRefused() {
        CPPUNIT_ASSERT_EQUAL(std::string("saml.in_response_to"), irt(kRequest, nullptr, "", true));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.in_response_to"), irt(nullptr, kRequest, "", true));
    }

    void testUnsolicitedOnlyWhereAllowed() {
        CPPUNIT_ASSERT_EQUAL(std::string("saml.unsolicited"), irt(nullptr, nullptr, "", false));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), irt(nullptr, nullptr, "", true));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlInResponseToStepTest);

class SamlIdentityStepTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlIdentityStepTest);
    CPPUNIT_TEST(testAuthnStatementRequired);
    CPPUNIT_TEST(testSessionWindow);
    CPPUNIT_TEST(testNameIdFullText);
    CPPUNIT_TEST(testNameIdEmptyOrWithControlsRefused);
    CPPUNIT_TEST(testNameIdForAnotherSpRefused);
    CPPUNIT_TEST(testIdentityRead);
    CPPUNIT_TEST_SUITE_END();

public:
    void testAuthnStatementRequired() {
        Assertion none;
        none.authn = false;
        auto r = read(none.xml());
        CPPUNIT_ASSERT_EQUAL(std::string("saml.malformed"), code(check_authn_statement(r.assertion(), kNow, kSkew)));
        auto ok = read(Assertion().xml());
        CPPUNIT_ASSERT_EQUAL(std::string("_s1"),
                             std::string(check_authn_statement(ok.assertion(), kNow, kSkew).value()->SessionIndex));
    }

    void testSessionWindow() {
        Assertion a;
        a.session_not_on_or_after = iso(kNow);
        auto r = read(a.xml());
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), code(check_authn_statement(r.assertion(), kNow + kSkew - 1, kSkew)));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.too_late"),
                             code(check_authn_statement(r.assertion(), kNow + kSkew, kSkew)));
    }

    // The NameID is the full text of our own parse of the signed bytes: a
    // comment inside does not cut it short.
    void testNameIdFullText() {
        Assertion a;
        a.name_id = "jane@example.com<!-- -->.evil.test";
        auto r = read(a.xml());
        const std::string full = "jane@example.com.evil.test";
        CPPUNIT_ASSERT_EQUAL(full, read_name_id(r.assertion(), r.xml(), kSp).value());
        // Without our XML (not expected), Lasso's text of it.
        CPPUNIT_ASSERT_EQUAL(full, read_name_id(r.assertion(), nullptr, kSp).value());
    }

    void testNameIdEmptyOrWithControlsRefused() {
        Assertion blank, controls;
        blank.name_id = "<!-- -->";
        controls.name_id = "jane@example.com&#10;admin";
        auto b = read(blank.xml());
        CPPUNIT_ASSERT_EQUAL(std::string("saml.missing_name_id"), code(read_name_id(b.assertion(), b.xml(), kSp)));
        auto c = read(controls.xml());
        CPPUNIT_ASSERT_EQUAL(std::string("saml.malformed"), code(read_name_id(c.assertion(), c.xml(), kSp)));
    }

    void testNameIdForAnotherSpRefused() {
        Assertion other, same;
        other.sp_name_qualifier = "https://other-sp.test";
        same.sp_name_qualifier = kSp;
        auto o = read(other.xml());
        CPPUNIT_ASSERT_EQUAL(std::string("saml.audience_mismatch"), code(read_name_id(o.assertion(), o.xml(), kSp)));
        auto s = read(same.xml());
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), code(read_name_id(s.assertion(), s.xml(), kSp)));
    }

    void testIdentityRead() {
        Assertion a;
        a.session_not_on_or_after = iso(kNow + 3600);
        a.attributes = "<saml:AttributeStatement><saml:Attribute Name=\"givenName\"><saml:AttributeValue>Jane"
                       "</saml:AttributeValue></saml:Attribute><saml:Attribute Name=\"sn\"><saml:AttributeValue>Doe"
                       "</saml:AttributeValue></saml:Attribute><saml:Attribute Name=\"mail\"><saml:AttributeValue>"
                       "other@example.com</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>";
        auto r = read(a.xml());
        auto authn = check_authn_statement(r.assertion(), kNow, kSkew).value();
        SamlIdpSettings idp;
        SamlLogin login = read_identity(r.assertion(), r.xml(), authn, kIdp, "jane@example.com", idp, kNow);
        CPPUNIT_ASSERT_EQUAL(std::string("jane@example.com"), login.name_id);
        CPPUNIT_ASSERT_EQUAL(std::string("_s1"), login.session_index);
        const Identity& id = login.identity;
        CPPUNIT_ASSERT_EQUAL(std::string(kIdp), id.issuer);
        CPPUNIT_ASSERT_EQUAL(std::string("jane@example.com"), id.subject);
        CPPUNIT_ASSERT_EQUAL(std::string("jane@example.com"), id.email);  // the email NameID wins
        CPPUNIT_ASSERT_EQUAL(std::string("Jane Doe"), id.display_name);
        CPPUNIT_ASSERT_EQUAL(kNow - 10, id.auth_time);
        CPPUNIT_ASSERT_EQUAL(kNow + 3600, id.expiry);
        // A persistent NameID: the email comes from the attributes; no
        // AuthnInstant: signed in now.
        a.format = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
        a.authn_instant = "";
        auto p = read(a.xml());
        login = read_identity(p.assertion(), p.xml(), check_authn_statement(p.assertion(), kNow, kSkew).value(), kIdp,
                              "id-1234", idp, kNow);
        CPPUNIT_ASSERT_EQUAL(std::string("other@example.com"), login.identity.email);
        CPPUNIT_ASSERT_EQUAL(kNow, login.identity.auth_time);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlIdentityStepTest);

class SamlReplayStepTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlReplayStepTest);
    CPPUNIT_TEST(testAssertionUsedOnce);
    CPPUNIT_TEST(testSameIdFromAnotherIssuerIsAnotherAssertion);
    CPPUNIT_TEST(testRememberedUntilTheConfirmationWindowCloses);
    CPPUNIT_TEST(testAssertionWithoutIdRefused);
    CPPUNIT_TEST(testStoreDownFailsClosed);
    CPPUNIT_TEST_SUITE_END();

public:
    void testAssertionUsedOnce() {
        FixedClock clock(kNow);
        MemoryKvStore store(clock);
        ReplayCache replay(store);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), code(consume_assertion(replay, kIdp, "_a1", kNow + 300, kSkew)));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.replayed"),
                             code(consume_assertion(replay, kIdp, "_a1", kNow + 300, kSkew)));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), code(consume_assertion(replay, kIdp, "_a2", kNow + 300, kSkew)));
    }

    void testSameIdFromAnotherIssuerIsAnotherAssertion() {
        FixedClock clock(kNow);
        MemoryKvStore store(clock);
        ReplayCache replay(store);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), code(consume_assertion(replay, kIdp, "_a1", kNow + 300, kSkew)));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"),
                             code(consume_assertion(replay, "https://other-idp.test", "_a1", kNow + 300, kSkew)));
    }

    // The assertion is refused for as long as its confirmation window (with
    // skew) would let it through: the replay entry must not expire earlier.
    void testRememberedUntilTheConfirmationWindowCloses() {
        FixedClock clock(kNow);
        MemoryKvStore store(clock);
        ReplayCache replay(store);
        const std::int64_t until = kNow + 300;
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), code(consume_assertion(replay, kIdp, "_a1", until, kSkew)));
        clock.set(until + kSkew - 1);  // the last second check_bearer accepts it
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), code(check_window(nullptr, iso(until).c_str(), clock.now(), kSkew, "x")));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.replayed"), code(consume_assertion(replay, kIdp, "_a1", until, kSkew)));
        clock.set(until + kSkew);
        CPPUNIT_ASSERT_EQUAL(std::string("saml.replayed"), code(consume_assertion(replay, kIdp, "_a1", until, kSkew)));
        clock.set(until + kSkew + 1);  // long refused by its window: the entry may go
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), code(consume_assertion(replay, kIdp, "_a1", until, kSkew)));
    }

    void testAssertionWithoutIdRefused() {
        FixedClock clock(kNow);
        MemoryKvStore store(clock);
        ReplayCache replay(store);
        CPPUNIT_ASSERT_EQUAL(std::string("saml.malformed"), code(consume_assertion(replay, kIdp, nullptr, kNow, kSkew)));
        CPPUNIT_ASSERT_EQUAL(std::string("saml.malformed"), code(consume_assertion(replay, kIdp, "", kNow, kSkew)));
    }

    void testStoreDownFailsClosed() {
        FixedClock clock(kNow);
        MemoryKvStore store(clock);
        ReplayCache replay(store);
        store.set_unavailable(true);
        CPPUNIT_ASSERT_EQUAL(std::string("store.unavailable"),
                             code(consume_assertion(replay, kIdp, "_a1", kNow + 300, kSkew)));
        store.set_unavailable(false);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), code(consume_assertion(replay, kIdp, "_a1", kNow + 300, kSkew)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlReplayStepTest);
