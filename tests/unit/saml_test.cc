// SAML: every row of tests/vectors/python3-saml/MANIFEST.tsv through the
// core with the row's own settings, with and without the legacy allowances
// it names; and the checks that need no signed fixture (times, legacy list).
#include <cppunit/extensions/HelperMacros.h>

#include <functional>
#include <iostream>
#include <map>
#include <sstream>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <zlib.h>

#include "core/clock.h"
#include "core/kv_store.h"
#include "saml/saml.h"
#include "url/query.h"
#include "vectors.h"

using namespace hdsso;

namespace {

struct Row {
    std::map<std::string, std::string> f;
    const std::string& operator[](const std::string& k) const { return f.at(k); }
};

std::vector<Row> manifest() {
    std::istringstream in(read_vector("python3-saml/MANIFEST.tsv"));
    std::string line;
    std::vector<std::string> header;
    std::vector<Row> rows;
    auto split = [](const std::string& l) {
        std::vector<std::string> out;
        std::size_t pos = 0;
        for (;;) {
            std::size_t tab = l.find('\t', pos);
            out.push_back(l.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
            if (tab == std::string::npos) break;
            pos = tab + 1;
        }
        return out;
    };
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        auto cells = split(line);
        if (header.empty()) {
            header = cells;
            continue;
        }
        Row r;
        for (std::size_t i = 0; i < header.size(); ++i) r.f[header[i]] = i < cells.size() ? cells[i] : "";
        rows.push_back(std::move(r));
    }
    return rows;
}

std::string trim(std::string s) {
    std::size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

// Rows whose expected result this product cannot meet, and why.
const std::map<std::string, std::string> kKnown = {
};

Result<SamlLogin> run(const Row& r, bool with_allowances,
                      const std::function<void(SamlSpSettings&)>& adjust_sp = nullptr) {
    SamlIdpSettings idp;
    // Rows that no certificate verifies are run against settings1's
    // certificate, with its allowances, so that the message itself fails.
    std::string cert = r["idp_cert"].empty() ? "derived/idp_cert_afe71c28_settings1.pem" : r["idp_cert"];
    idp.cert_pem = read_vector("python3-saml/" + cert);
    idp.entity_id = r["idp_entity_id"].empty() ? "urn:none" : r["idp_entity_id"];
    std::string legacy = with_allowances ? r["legacy_needs"] : "";
    if (r["idp_cert"].empty()) legacy += ",sha1,rsa1024";
    idp.legacy = parse_saml_legacy(legacy).value();
    idp.allow_unsolicited = r["request_id"].empty();
    SamlSpSettings sp;
    sp.entity_id = r["sp_entity_id"].empty() ? "urn:sp" : r["sp_entity_id"];
    sp.acs_url = trim(r["acs_url"]).empty() ? "https://sp.invalid/acs" : trim(r["acs_url"]);
    if (!r["sp_key"].empty()) sp.key_pem = read_vector("python3-saml/" + r["sp_key"]);
    if (adjust_sp) adjust_sp(sp);
    auto saml = SamlSp::create(sp, {idp});
    if (!saml) return saml.error();
    std::int64_t now = r["now"].empty() ? 0 : parse_saml_time(r["now"]).value();
    FixedClock clock(now);
    MemoryKvStore store(clock);
    ReplayCache replay(store);
    return saml.value()->process_response(read_vector("python3-saml/" + r["file"]), now, r["request_id"], replay);
}

}  // namespace

class SamlTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlTest);
    CPPUNIT_TEST(testManifestRowsWithTheirAllowances);
    CPPUNIT_TEST(testValidRowsNeedTheirAllowances);
    CPPUNIT_TEST(testReplayedAssertionRefused);
    CPPUNIT_TEST(testSamlTime);
    CPPUNIT_TEST(testLegacyList);
    CPPUNIT_TEST(testSpMetadataEscapesAndLists);
    CPPUNIT_TEST_SUITE_END();

public:
    void testManifestRowsWithTheirAllowances() {
        int valid = 0, invalid = 0, acceptable = 0, known = 0;
        std::string mismatches;
        for (const Row& r : manifest()) {
            auto result = run(r, true);
            const std::string& expected = r["expected"];
            if (kKnown.count(r["file"])) {
                CPPUNIT_ASSERT_MESSAGE(r["file"] + " now passes: drop it from kKnown", !result.ok());
                ++known;
            } else if (expected == "valid") {
                if (result.ok()) ++valid;
                else mismatches += "\n  " + r["file"] + " (valid): " + status_name(result.error().code) + " " +
                                   result.error().detail;
            } else if (expected == "invalid") {
                if (!result.ok()) ++invalid;
                else mismatches += "\n  " + r["file"] + " (invalid): accepted";
            } else {
                ++acceptable;
            }
        }
        std::cout << "\n  python3-saml: " << valid << " valid accepted, " << invalid << " invalid rejected, "
                  << acceptable << " acceptable, " << known << " known Lasso limitation\n";
        CPPUNIT_ASSERT_EQUAL_MESSAGE(mismatches, std::string(), mismatches);
        CPPUNIT_ASSERT(valid >= 14);
        CPPUNIT_ASSERT(invalid >= 50);
    }

    // A strict build refuses what the row's allowances relax (SHA-1, 1024-bit
    // keys, CBC, RSA1_5); "expired-cert" alone needs no allowance.
    void testValidRowsNeedTheirAllowances() {
        int refused = 0;
        for (const Row& r : manifest()) {
            if (r["expected"] != "valid" || kKnown.count(r["file"])) continue;
            std::string needs = r["legacy_needs"];
            if (needs.empty() || needs == "expired-cert") continue;
            auto result = run(r, false);
            CPPUNIT_ASSERT_MESSAGE(r["file"] + " accepted without its allowances " + needs, !result.ok());
            CPPUNIT_ASSERT_MESSAGE(r["file"] + ": " + status_name(result.error().code),
                                   result.error().code == Status::saml_legacy_algorithm);
            ++refused;
        }
        std::cout << "\n  python3-saml: " << refused << " valid rows refused without their allowances\n";
        CPPUNIT_ASSERT(refused >= 10);
    }

    void testReplayedAssertionRefused() {
        for (const Row& r : manifest()) {
            if (r["file"] != "tests/data/responses/valid_response.xml.base64") continue;
            SamlIdpSettings idp;
            idp.cert_pem = read_vector("python3-saml/" + r["idp_cert"]);
            idp.entity_id = r["idp_entity_id"];
            idp.legacy = parse_saml_legacy(r["legacy_needs"]).value();
            SamlSpSettings sp{r["sp_entity_id"], r["acs_url"], "", "", ""};
            auto saml = SamlSp::create(sp, {idp}).value();
            std::int64_t now = parse_saml_time(r["now"]).value();
            FixedClock clock(now);
            MemoryKvStore store(clock);
            ReplayCache replay(store);
            std::string msg = read_vector("python3-saml/" + r["file"]);
            CPPUNIT_ASSERT(saml->process_response(msg, now, r["request_id"], replay).ok());
            auto again = saml->process_response(msg, now, r["request_id"], replay);
            CPPUNIT_ASSERT(!again.ok());
            CPPUNIT_ASSERT_EQUAL(std::string("saml.replayed"), std::string(status_name(again.error().code)));
            // Without its request ID (unsolicited, not allowed): refused as such.
            auto unsolicited = saml->process_response(msg, now, "", replay);
            CPPUNIT_ASSERT_EQUAL(std::string("saml.in_response_to"), std::string(status_name(unsolicited.error().code)));
            // Another request ID.
            auto other = saml->process_response(msg, now, "ONELOGIN_other", replay);
            CPPUNIT_ASSERT_EQUAL(std::string("saml.in_response_to"), std::string(status_name(other.error().code)));
            // Too late, and too early, beyond the skew.
            MemoryKvStore store2(clock);
            ReplayCache replay2(store2);
            // (The fixture's windows end in 2023 and later: far ahead.)
            auto late = saml->process_response(msg, parse_saml_time("2999-01-01T00:00:00Z").value(), r["request_id"],
                                               replay2);
            CPPUNIT_ASSERT_EQUAL(std::string("saml.too_late"), std::string(status_name(late.error().code)));
            auto early = saml->process_response(msg, now - 3600, r["request_id"], replay2);
            CPPUNIT_ASSERT_EQUAL(std::string("saml.too_early"), std::string(status_name(early.error().code)));
            return;
        }
        CPPUNIT_FAIL("valid_response.xml.base64 is not in the manifest");
    }

    void testSamlTime() {
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1392793081), parse_saml_time("2014-02-19T06:58:01Z").value());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), parse_saml_time("1970-01-01T00:00:00Z").value());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(951782400), parse_saml_time("2000-02-29T00:00:00.123Z").value());
        for (const char* bad : {"2014-02-19T06:58:01", "2014-02-19T06:58:01+01:00", "2014-02-19 06:58:01Z",
                                "2014-13-19T06:58:01Z", "2014-02-19T06:58:01.Z", "", "x"})
            CPPUNIT_ASSERT_MESSAGE(bad, !parse_saml_time(bad).ok());
    }

    void testLegacyList() {
        auto l = parse_saml_legacy("sha1,rsa1024,xmlenc-cbc,rsa1_5,expired-cert").value();
        CPPUNIT_ASSERT(l.sha1 && l.rsa1024 && l.xmlenc_cbc && l.rsa1_5);
        auto none = parse_saml_legacy("").value();
        CPPUNIT_ASSERT(!none.sha1 && !none.rsa1024 && !none.xmlenc_cbc && !none.rsa1_5);
        CPPUNIT_ASSERT(!parse_saml_legacy("md5").ok());
    }

    void testSpMetadataEscapesAndLists() {
        SamlSpSettings sp{"https://helpdesk.example.com/sso?a=1&b=\"2\"", "https://helpdesk.example.com/sso/acs", "", "",
                          ""};
        std::string md = saml_sp_metadata(sp).value();
        CPPUNIT_ASSERT(md.find("entityID=\"https://helpdesk.example.com/sso?a=1&amp;b=&quot;2&quot;\"") !=
                       std::string::npos);
        CPPUNIT_ASSERT(md.find("Location=\"https://helpdesk.example.com/sso/acs\"") != std::string::npos);
        CPPUNIT_ASSERT(md.find("HTTP-POST") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlTest);

// ---- the SP's own messages ---------------------------------------------------------

namespace {

struct KeyPair {
    std::string key_pem, cert_pem;
    std::shared_ptr<EVP_PKEY> key;
};

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

// A fresh RSA key and a self-signed certificate for it, made with OpenSSL.
KeyPair key_pair(const char* cn, int bits = 2048) {
    KeyPair kp;
    kp.key.reset(EVP_RSA_gen(static_cast<unsigned>(bits)), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
    X509_set_version(x.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400);
    X509_set_pubkey(x.get(), kp.key.get());
    X509_NAME* name = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
    X509_set_issuer_name(x.get(), name);
    X509_sign(x.get(), kp.key.get(), EVP_sha256());
    std::unique_ptr<BIO, decltype(&BIO_free)> k(BIO_new(BIO_s_mem()), BIO_free), c(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PrivateKey(k.get(), kp.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    PEM_write_bio_X509(c.get(), x.get());
    kp.key_pem = bio_text(k.get());
    kp.cert_pem = bio_text(c.get());
    return kp;
}

const KeyPair& sp_keys() {
    static const KeyPair k = key_pair("hdsso-unit-sp");
    return k;
}
const KeyPair& idp_keys() {
    static const KeyPair k = key_pair("hdsso-unit-idp");
    return k;
}

const char* const kIdp = "https://idp.unit.test/metadata";

SamlSpSettings unit_sp() {
    SamlSpSettings sp;
    sp.entity_id = "https://helpdesk.unit.test/sso/metadata";
    sp.acs_url = "https://helpdesk.unit.test/sso/acs";
    sp.slo_url = "https://helpdesk.unit.test/sso/slo";
    sp.key_pem = sp_keys().key_pem;
    sp.cert_pem = sp_keys().cert_pem;
    return sp;
}

Result<std::shared_ptr<SamlSp>> unit_saml(const SamlSpSettings& sp) {
    SamlIdpSettings idp;
    idp.entity_id = kIdp;
    idp.cert_pem = idp_keys().cert_pem;
    idp.sso_url = "https://idp.unit.test/sso";
    idp.slo_url = "https://idp.unit.test/slo";
    return SamlSp::create(sp, {idp});
}

// HTTP-Redirect binding (SAML bindings 3.4.4.1): the signature covers
// "SAMLRequest=...&RelayState=...&SigAlg=..." as sent (URL-encoded). Returns
// the SigAlg, after checking the signature with OpenSSL and `md`; "" when it
// does not verify.
std::string redirect_sig_alg(const std::string& url, const EVP_MD* md) {
    std::string query = url.substr(url.find('?') + 1);
    std::size_t sig = query.find("&Signature=");
    if (sig == std::string::npos) return "";
    std::string signed_part = query.substr(0, sig);
    auto params = parse_query(query);
    if (!params) return "";
    std::string sig_alg, signature;
    for (const auto& [k, v] : params.value()) {
        if (k == "SigAlg") sig_alg = v;
        if (k == "Signature") signature = v;
    }
    std::string raw(signature.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                            reinterpret_cast<const unsigned char*>(signature.data()), static_cast<int>(signature.size()));
    if (n <= 0) return "";
    raw.resize(static_cast<std::size_t>(n) - (signature.size() - signature.find_last_not_of('=') - 1));
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, sp_keys().key.get()) == 1 &&
              EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                               reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
    return ok ? sig_alg : "";
}

}  // namespace

class SamlSpTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlSpTest);
    CPPUNIT_TEST(testSignatureAlgorithmNames);
    CPPUNIT_TEST(testSignsWithRsaSha256ByDefault);
    CPPUNIT_TEST(testConfiguredSignatureAlgorithms);
    CPPUNIT_TEST(testRsaSha1NeedsTheAllowance);
    CPPUNIT_TEST(testNameIdFormatsAndSiteUrls);
    CPPUNIT_TEST(testMetadataDescribesTheSite);
    CPPUNIT_TEST(testBadSpKeysRefused);
    CPPUNIT_TEST(testNextCertificatePublishedAfterTheCurrent);
    CPPUNIT_TEST(testBadNextKeysRefused);
    CPPUNIT_TEST(testDecryptsWithEitherKey);
    CPPUNIT_TEST_SUITE_END();

public:
    void testSignatureAlgorithmNames() {
        for (auto a : {SamlSignatureAlgorithm::rsa_sha256, SamlSignatureAlgorithm::rsa_sha384,
                       SamlSignatureAlgorithm::rsa_sha512, SamlSignatureAlgorithm::rsa_sha1})
            CPPUNIT_ASSERT(parse_saml_signature_algorithm(saml_signature_algorithm_name(a)) == a);
        for (const char* bad : {"", "sha256", "RSA-SHA256", "rsa-sha224", "dsa-sha1", "hmac-sha256", "ecdsa-sha256"})
            CPPUNIT_ASSERT_MESSAGE(bad, !parse_saml_signature_algorithm(bad));
    }

    // The AuthnRequest and the LogoutRequest (HTTP-Redirect) carry
    // SigAlg=...#rsa-sha256, and the signature verifies with SHA-256.
    void testSignsWithRsaSha256ByDefault() {
        auto saml = unit_saml(unit_sp());
        CPPUNIT_ASSERT_MESSAGE(saml.ok() ? "" : saml.error().detail, saml.ok());
        auto authn = saml.value()->authn_request("state-1");
        CPPUNIT_ASSERT(authn.ok());
        const std::string sha256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
        CPPUNIT_ASSERT(authn.value().url.find("&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256&") !=
                       std::string::npos);
        CPPUNIT_ASSERT_EQUAL(sha256, redirect_sig_alg(authn.value().url, EVP_sha256()));
        CPPUNIT_ASSERT_EQUAL(std::string(), redirect_sig_alg(authn.value().url, EVP_sha1()));
        Identity id;
        id.issuer = kIdp;
        id.name_id = "jane@example.com";
        id.name_id_format = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
        id.session_index = "_s1";
        auto logout = saml.value()->logout_request(id, "state-2");
        CPPUNIT_ASSERT_MESSAGE(logout.ok() ? "" : logout.error().detail, logout.ok());
        CPPUNIT_ASSERT_EQUAL(0, logout.value().url.compare(0, 27, "https://idp.unit.test/slo?S"));
        CPPUNIT_ASSERT_EQUAL(sha256, redirect_sig_alg(logout.value().url, EVP_sha256()));
    }

    void testConfiguredSignatureAlgorithms() {
        const std::pair<SamlSignatureAlgorithm, const EVP_MD*> cases[] = {
            {SamlSignatureAlgorithm::rsa_sha384, EVP_sha384()},
            {SamlSignatureAlgorithm::rsa_sha512, EVP_sha512()},
        };
        for (const auto& [alg, md] : cases) {
            SamlSpSettings sp = unit_sp();
            sp.signature_algorithm = alg;
            auto authn = unit_saml(sp).value()->authn_request("s");
            CPPUNIT_ASSERT(authn.ok());
            CPPUNIT_ASSERT_EQUAL(std::string(saml_signature_algorithm_uri(alg)), redirect_sig_alg(authn.value().url, md));
        }
    }

    void testRsaSha1NeedsTheAllowance() {
        SamlSpSettings sp = unit_sp();
        sp.signature_algorithm = SamlSignatureAlgorithm::rsa_sha1;
        auto refused = unit_saml(sp);
        CPPUNIT_ASSERT(!refused.ok());
        CPPUNIT_ASSERT(refused.error().code == Status::config_invalid);
        sp.allow_sha1 = true;
        auto authn = unit_saml(sp).value()->authn_request("s");
        CPPUNIT_ASSERT_EQUAL(std::string("http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
                             redirect_sig_alg(authn.value().url, EVP_sha1()));
    }

    void testNameIdFormatsAndSiteUrls() {
        CPPUNIT_ASSERT_EQUAL(std::string("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"),
                             *parse_saml_name_id_format("persistent"));
        CPPUNIT_ASSERT_EQUAL(std::string("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"),
                             *parse_saml_name_id_format("Email"));
        CPPUNIT_ASSERT_EQUAL(std::string("urn:example:format"), *parse_saml_name_id_format("urn:example:format"));
        for (const char* bad : {"", "mail", "urn:", "urn:a b", "http://example.com/format"})
            CPPUNIT_ASSERT_MESSAGE(bad, !parse_saml_name_id_format(bad));
        SamlSpSettings sp;
        saml_sp_site_urls(sp, "https://helpdesk.example.com", "/auth/sso");
        CPPUNIT_ASSERT_EQUAL(std::string("https://helpdesk.example.com/auth/sso/metadata"), sp.entity_id);
        CPPUNIT_ASSERT_EQUAL(std::string("https://helpdesk.example.com/auth/sso/acs"), sp.acs_url);
        CPPUNIT_ASSERT_EQUAL(std::string("https://helpdesk.example.com/auth/sso/slo"), sp.slo_url);
        saml_sp_site_urls(sp, "https://helpdesk.example.com", "/sso", "urn:example:sp");
        CPPUNIT_ASSERT_EQUAL(std::string("urn:example:sp"), sp.entity_id);
    }

    // What the metadata says is what the site does, and the live SP's
    // metadata is the same bytes as saml_sp_metadata for the same settings.
    void testMetadataDescribesTheSite() {
        auto has = [](const std::string& md, const std::string& part) { return md.find(part) != std::string::npos; };
        SamlSpSettings sp = unit_sp();
        sp.name_id_format = *parse_saml_name_id_format("persistent");
        sp.signature_algorithm = SamlSignatureAlgorithm::rsa_sha512;
        std::string md = saml_sp_metadata(sp).value();
        CPPUNIT_ASSERT_EQUAL(md, unit_saml(sp).value()->metadata());
        CPPUNIT_ASSERT(has(md, "AuthnRequestsSigned=\"true\""));
        CPPUNIT_ASSERT(has(md, "WantAssertionsSigned=\"false\""));
        CPPUNIT_ASSERT(has(md, "<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>"));
        CPPUNIT_ASSERT(!has(md, "emailAddress"));
        CPPUNIT_ASSERT(has(md, "<alg:SigningMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha512\"/>"));
        CPPUNIT_ASSERT(has(md, "<md:KeyDescriptor use=\"signing\">"));
        CPPUNIT_ASSERT(has(md, "<md:KeyDescriptor use=\"encryption\">"));
        CPPUNIT_ASSERT(has(md, "<md:SingleLogoutService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" "
                               "Location=\"https://helpdesk.unit.test/sso/slo\"/>"));
        sp.want_assertions_signed = true;
        CPPUNIT_ASSERT(has(saml_sp_metadata(sp).value(), "WantAssertionsSigned=\"true\""));
        // No key: it signs nothing and decrypts nothing, so no certificate
        // and no signing method are published.
        sp.key_pem.clear();
        md = saml_sp_metadata(sp).value();
        CPPUNIT_ASSERT_EQUAL(md, unit_saml(sp).value()->metadata());
        CPPUNIT_ASSERT(has(md, "AuthnRequestsSigned=\"false\""));
        CPPUNIT_ASSERT(!has(md, "KeyDescriptor"));
        CPPUNIT_ASSERT(!has(md, "SigningMethod"));
        // Nor is a request signed then.
        auto authn = unit_saml(sp).value()->authn_request("s");
        CPPUNIT_ASSERT(authn.ok());
        CPPUNIT_ASSERT(!has(authn.value().url, "Signature="));
    }

    void testBadSpKeysRefused() {
        auto code = [](const SamlSpSettings& sp) {
            auto md = saml_sp_metadata(sp);
            auto made = unit_saml(sp);
            CPPUNIT_ASSERT(!md.ok() && !made.ok());
            CPPUNIT_ASSERT(md.error().code == made.error().code);
            return std::string(status_name(md.error().code)) + ": " + md.error().detail;
        };
        SamlSpSettings sp = unit_sp();
        sp.key_pem = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n";
        CPPUNIT_ASSERT_EQUAL(std::string("config.invalid: the SP key is not an unencrypted PEM private key"), code(sp));
        sp = unit_sp();
        sp.cert_pem = idp_keys().cert_pem;
        CPPUNIT_ASSERT_EQUAL(std::string("config.invalid: the SP certificate is not the SP key's (they do not match)"),
                             code(sp));
        sp = unit_sp();
        sp.cert_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        CPPUNIT_ASSERT_EQUAL(std::string("config.invalid: the SP certificate is not a PEM certificate"), code(sp));
        sp = unit_sp();
        std::shared_ptr<EVP_PKEY> ec(EVP_EC_gen("P-256"), EVP_PKEY_free);
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
        PEM_write_bio_PrivateKey(bio.get(), ec.get(), nullptr, nullptr, 0, nullptr, nullptr);
        sp.key_pem = bio_text(bio.get());
        sp.cert_pem.clear();
        CPPUNIT_ASSERT_EQUAL(std::string("config.invalid: the SP key is not RSA (rsa-sha256)"), code(sp));
        sp = unit_sp();
        sp.name_id_format.clear();
        CPPUNIT_ASSERT_EQUAL(std::string("config.invalid: the SP's NameID format is empty"), code(sp));
    }

    // Key rollover: the metadata lists the current certificate (signing,
    // encryption), then the next one (signing, encryption); the live SP
    // serves the same bytes; requests are still signed with the current key.
    void testNextCertificatePublishedAfterTheCurrent() {
        static const KeyPair next = key_pair("hdsso-unit-sp-next");
        SamlSpSettings sp = unit_sp();
        std::string before = saml_sp_metadata(sp).value();
        sp.next_key_pem = next.key_pem;
        sp.next_cert_pem = next.cert_pem;
        auto md = saml_sp_metadata(sp);
        CPPUNIT_ASSERT_MESSAGE(md.ok() ? "" : md.error().detail, md.ok());
        auto saml = unit_saml(sp);
        CPPUNIT_ASSERT_MESSAGE(saml.ok() ? "" : saml.error().detail, saml.ok());
        CPPUNIT_ASSERT_EQUAL(md.value(), saml.value()->metadata());
        // Each KeyDescriptor's use and certificate, in document order.
        auto body = [](const std::string& pem) {  // the base64 between the PEM lines
            std::string b;
            std::istringstream in(pem);
            for (std::string line; std::getline(in, line);)
                if (line.rfind("-----", 0) != 0) b += line;
            return b;
        };
        std::vector<std::pair<std::string, std::string>> keys;
        const std::string& m = md.value();
        const std::string kd = "<md:KeyDescriptor use=\"", xc = "<ds:X509Certificate>";
        for (std::size_t at = m.find(kd); at != std::string::npos; at = m.find(kd, at + 1)) {
            std::size_t use = at + kd.size(), cert = m.find(xc, at) + xc.size();
            std::string text = m.substr(cert, m.find("</ds:X509Certificate>", cert) - cert);
            std::string flat;
            for (char c : text)
                if (c != '\n' && c != '\r' && c != ' ') flat += c;
            keys.emplace_back(m.substr(use, m.find('"', use) - use), flat);
        }
        const std::vector<std::pair<std::string, std::string>> want = {
            {"signing", body(sp.cert_pem)}, {"encryption", body(sp.cert_pem)},
            {"signing", body(next.cert_pem)}, {"encryption", body(next.cert_pem)}};
        CPPUNIT_ASSERT(want == keys);
        // Without the next pair: the metadata as before, two KeyDescriptors.
        sp.next_key_pem.clear();
        sp.next_cert_pem.clear();
        CPPUNIT_ASSERT_EQUAL(before, saml_sp_metadata(sp).value());
        // Signing is the current key's only (redirect_sig_alg checks with it).
        sp.next_key_pem = next.key_pem;
        sp.next_cert_pem = next.cert_pem;
        auto authn = unit_saml(sp).value()->authn_request("s");
        CPPUNIT_ASSERT(authn.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"),
                             redirect_sig_alg(authn.value().url, EVP_sha256()));
        Identity id;
        id.issuer = kIdp;
        id.name_id = "jane@example.com";
        id.name_id_format = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
        id.session_index = "_s1";
        auto logout = unit_saml(sp).value()->logout_request(id, "s2");
        CPPUNIT_ASSERT(logout.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"),
                             redirect_sig_alg(logout.value().url, EVP_sha256()));
    }

    void testBadNextKeysRefused() {
        static const KeyPair next = key_pair("hdsso-unit-sp-next");
        auto code = [](const SamlSpSettings& sp) {
            auto md = saml_sp_metadata(sp);
            auto made = unit_saml(sp);
            CPPUNIT_ASSERT(!md.ok() && !made.ok());
            CPPUNIT_ASSERT(md.error().code == made.error().code);
            return std::string(status_name(md.error().code)) + ": " + md.error().detail;
        };
        auto with_next = [](const std::string& key, const std::string& cert) {
            SamlSpSettings sp = unit_sp();
            sp.next_key_pem = key;
            sp.next_cert_pem = cert;
            return sp;
        };
        CPPUNIT_ASSERT_EQUAL(std::string("config.invalid: the next SP key has no next SP certificate beside it"),
                             code(with_next(next.key_pem, "")));
        CPPUNIT_ASSERT_EQUAL(std::string("config.invalid: the next SP certificate has no next SP key beside it"),
                             code(with_next("", next.cert_pem)));
        CPPUNIT_ASSERT_EQUAL(
            std::string("config.invalid: the next SP certificate is not the next SP key's (they do not match)"),
            code(with_next(next.key_pem, idp_keys().cert_pem)));
        CPPUNIT_ASSERT_EQUAL(std::string("config.invalid: the next SP key is the current SP key: a rollover needs a "
                                         "new key pair"),
                             code(with_next(sp_keys().key_pem, sp_keys().cert_pem)));
        CPPUNIT_ASSERT_EQUAL(std::string("config.invalid: the next SP key is not an unencrypted PEM private key"),
                             code(with_next("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                                            next.cert_pem)));
        CPPUNIT_ASSERT_EQUAL(std::string("config.invalid: the next SP certificate is not a PEM certificate"),
                             code(with_next(next.key_pem, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")));
        std::shared_ptr<EVP_PKEY> ec(EVP_EC_gen("P-256"), EVP_PKEY_free);
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
        PEM_write_bio_PrivateKey(bio.get(), ec.get(), nullptr, nullptr, 0, nullptr, nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("config.invalid: the next SP key is not RSA (rsa-sha256)"),
                             code(with_next(bio_text(bio.get()), next.cert_pem)));
        SamlSpSettings sp = with_next(next.key_pem, next.cert_pem);
        sp.key_pem.clear();
        CPPUNIT_ASSERT_EQUAL(std::string("config.invalid: a next SP key needs the current SP key"), code(sp));
        sp = with_next(next.key_pem, next.cert_pem);
        sp.cert_pem.clear();
        CPPUNIT_ASSERT_EQUAL(std::string("config.invalid: a next SP certificate needs the current SP certificate"),
                             code(sp));
        // Keys alone (hdsso saml verify): no certificate published, both decrypt.
        sp = with_next(next.key_pem, "");
        sp.cert_pem.clear();
        CPPUNIT_ASSERT(saml_sp_metadata(sp).ok());
    }

    // The python3-saml responses encrypted for its SP key (EncryptedAssertion,
    // EncryptedID, both): they sign in with that key as the current key or as
    // the next one, beside an unrelated current key; with unrelated keys only,
    // saml.decryption_failed.
    void testDecryptsWithEitherKey() {
        static const KeyPair other = key_pair("hdsso-unit-sp-other");
        static const KeyPair another = key_pair("hdsso-unit-sp-another");
        int rows = 0;
        for (const Row& r : manifest()) {
            if (r["expected"] != "valid" || r["sp_key"].empty() || r["file"].find("encrypt") == std::string::npos)
                continue;
            ++rows;
            const std::string vector_key = read_vector("python3-saml/" + r["sp_key"]);
            auto keys = [&](const std::string& key, const std::string& next) {
                return [key, next](SamlSpSettings& sp) {
                    sp.key_pem = key;
                    sp.next_key_pem = next;
                };
            };
            auto as_current = run(r, true, keys(vector_key, other.key_pem));
            CPPUNIT_ASSERT_MESSAGE(r["file"] + ": " + (as_current.ok() ? "" : as_current.error().detail), as_current.ok());
            auto as_next = run(r, true, keys(other.key_pem, vector_key));
            CPPUNIT_ASSERT_MESSAGE(r["file"] + ": " + (as_next.ok() ? "" : as_next.error().detail), as_next.ok());
            CPPUNIT_ASSERT_EQUAL(as_current.value().name_id, as_next.value().name_id);
            for (const auto& next : {std::string(), another.key_pem}) {
                auto neither = run(r, true, keys(other.key_pem, next));
                CPPUNIT_ASSERT_MESSAGE(r["file"], !neither.ok());
                CPPUNIT_ASSERT_EQUAL_MESSAGE(r["file"] + ": " + neither.error().detail,
                                             std::string("saml.decryption_failed"),
                                             std::string(status_name(neither.error().code)));
            }
        }
        CPPUNIT_ASSERT(rows >= 4);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlSpTest);

// ---- the DOCTYPE gate: what the parser sees, in any encoding -------------------------

namespace {

enum class Enc { utf8, utf16le, utf16be, utf32le, utf32be };

// ASCII text in `enc`, with the byte-order mark when `bom`.
std::string encode(const std::string& ascii, Enc enc, bool bom) {
    std::string out;
    if (bom) {
        switch (enc) {
        case Enc::utf8: out = "\xEF\xBB\xBF"; break;
        case Enc::utf16le: out = "\xFF\xFE"; break;
        case Enc::utf16be: out = "\xFE\xFF"; break;
        case Enc::utf32le: out = std::string("\xFF\xFE\0\0", 4); break;
        case Enc::utf32be: out = std::string("\0\0\xFE\xFF", 4); break;
        }
    }
    for (char c : ascii) {
        switch (enc) {
        case Enc::utf8: out += c; break;
        case Enc::utf16le: out += c; out += '\0'; break;
        case Enc::utf16be: out += '\0'; out += c; break;
        case Enc::utf32le: out += c; out.append(3, '\0'); break;
        case Enc::utf32be: out.append(3, '\0'); out += c; break;
        }
    }
    return out;
}

std::string b64(const std::string& raw) {
    std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// HTTP-Redirect binding: base64 of raw DEFLATE, URL-encoded.
std::string redirect_value(const std::string& raw) {
    z_stream z{};
    deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, raw.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
    z.avail_in = static_cast<uInt>(raw.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return percent_encode(b64(out));
}

const char* const kResponseBody =
    "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
    "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_r1\" Version=\"2.0\" "
    "IssueInstant=\"2026-01-01T00:00:00Z\"><saml:Issuer>https://idp.unit.test/metadata</saml:Issuer>"
    "<samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>"
    "<saml:Assertion ID=\"_a1\" Version=\"2.0\" IssueInstant=\"2026-01-01T00:00:00Z\">"
    "<saml:Issuer>https://idp.unit.test/metadata</saml:Issuer><saml:Subject><saml:NameID>jane%s</saml:NameID>"
    "</saml:Subject></saml:Assertion></samlp:Response>";

std::string response_body(const char* name_id_tail = "") {
    char buf[1024];
    std::snprintf(buf, sizeof buf, kResponseBody, name_id_tail);
    return buf;
}

const char* const kDoctypes[] = {
    "<!DOCTYPE r [<!ENTITY e \"@evil.test\">]>",
    "<!DOCTYPE samlp:Response SYSTEM \"http://127.0.0.1:9/evil.dtd\">",
    "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>",
    "<!DOCTYPE r>",
};

struct Variant {
    Enc enc;
    bool bom;
    const char* declared;  // the XML declaration's encoding, or nullptr for no declaration
    const char* label;
};

const Variant kVariants[] = {
    {Enc::utf8, false, nullptr, "UTF-8"},
    {Enc::utf8, true, "UTF-8", "UTF-8 with BOM"},
    {Enc::utf16le, true, "UTF-16", "UTF-16LE with BOM"},
    {Enc::utf16le, true, nullptr, "UTF-16LE with BOM, no declaration"},
    {Enc::utf16le, false, "UTF-16", "UTF-16LE without BOM"},
    {Enc::utf16be, true, "UTF-16", "UTF-16BE with BOM"},
    {Enc::utf16be, false, "UTF-16", "UTF-16BE without BOM"},
    {Enc::utf16le, false, "UTF-16LE", "UTF-16LE without BOM, declared UTF-16LE"},
};

std::string document(const Variant& v, const std::string& prolog, const std::string& body) {
    std::string decl = v.declared ? std::string("<?xml version=\"1.0\" encoding=\"") + v.declared + "\"?>" : "";
    return encode(decl + prolog + body, v.enc, v.bom);
}

}  // namespace

class SamlDoctypeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlDoctypeTest);
    CPPUNIT_TEST(testResponsesWithADoctypeRefusedInEveryEncoding);
    CPPUNIT_TEST(testTheSameResponsesWithoutADoctypeGetFurther);
    CPPUNIT_TEST(testUtf32Refused);
    CPPUNIT_TEST(testLogoutMessagesWithADoctypeRefused);
    CPPUNIT_TEST(testMetadataWithADoctypeRefused);
    CPPUNIT_TEST_SUITE_END();

    static std::shared_ptr<SamlSp> saml() {
        static std::shared_ptr<SamlSp> sp = unit_saml(unit_sp()).value();
        return sp;
    }

    static Result<SamlLogin> post(const std::string& raw) {
        FixedClock clock(1767225600);
        MemoryKvStore store(clock);
        ReplayCache replay(store);
        return saml()->process_response(b64(raw), 1767225600, "", replay);
    }

public:
    void testResponsesWithADoctypeRefusedInEveryEncoding() {
        for (const auto& v : kVariants)
            for (const char* doctype : kDoctypes) {
                std::string label = std::string(v.label) + ": " + doctype;
                std::string raw = document(v, doctype, response_body("&e;"));
                if (v.enc != Enc::utf8)  // no byte search sees it
                    CPPUNIT_ASSERT_MESSAGE(label, raw.find("<!DOCTYPE") == std::string::npos);
                auto r = post(raw);
                CPPUNIT_ASSERT_MESSAGE(label, !r.ok());
                CPPUNIT_ASSERT_MESSAGE(label + ": " + status_name(r.error().code), r.error().code == Status::saml_malformed);
                CPPUNIT_ASSERT_MESSAGE(label + ": " + r.error().detail,
                                       r.error().detail.find("DOCTYPE") != std::string::npos);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(label, std::string(), saml_response_issuer(b64(raw)));
            }
    }

    // Without the DOCTYPE, each of these documents passes the gate (its issuer
    // is read in that encoding) and is refused by a later check (Lasso reads
    // no UTF-16, the UTF-8 ones are unsigned): the refusal above is the
    // DOCTYPE's. A "<!DOCTYPE" the parser does not see as one (in a comment)
    // is no DTD.
    void testTheSameResponsesWithoutADoctypeGetFurther() {
        for (const auto& v : kVariants) {
            for (const std::string& prolog : {std::string(), std::string("<!-- <!DOCTYPE r [<!ENTITY e \"x\">]> -->")}) {
                std::string label = std::string(v.label) + ": '" + prolog + "'";
                auto r = post(document(v, prolog, response_body()));
                CPPUNIT_ASSERT_MESSAGE(label, !r.ok());
                std::string why = std::string(status_name(r.error().code)) + " " + r.error().detail;
                CPPUNIT_ASSERT_MESSAGE(label + ": " + why, why.find("DOCTYPE") == std::string::npos &&
                                                               why.find("well-formed") == std::string::npos);
                if (v.enc == Enc::utf8) CPPUNIT_ASSERT_MESSAGE(label + ": " + why, r.error().code == Status::saml_unsigned);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(label, std::string("https://idp.unit.test/metadata"),
                                             saml_response_issuer(b64(document(v, prolog, response_body()))));
            }
        }
    }

    void testUtf32Refused() {
        for (Enc enc : {Enc::utf32le, Enc::utf32be})
            for (bool bom : {true, false}) {
                Variant v{enc, bom, "UTF-32", "UTF-32"};
                auto r = post(document(v, kDoctypes[0], response_body("&e;")));
                CPPUNIT_ASSERT(!r.ok());
                CPPUNIT_ASSERT(r.error().code == Status::saml_malformed);
            }
    }

    void testLogoutMessagesWithADoctypeRefused() {
        std::string request =
            "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
            "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_l1\" Version=\"2.0\" "
            "IssueInstant=\"2026-01-01T00:00:00Z\"><saml:Issuer>https://idp.unit.test/metadata</saml:Issuer>"
            "<saml:NameID>jane&e;</saml:NameID></samlp:LogoutRequest>";
        std::string response =
            "<samlp:LogoutResponse xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
            "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_l2\" Version=\"2.0\" "
            "IssueInstant=\"2026-01-01T00:00:00Z\" InResponseTo=\"_x\"><saml:Issuer>&e;</saml:Issuer>"
            "<samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>"
            "</samlp:LogoutResponse>";
        for (const auto& v : kVariants) {
            std::string label = v.label;
            auto req = saml()->process_logout_request("SAMLRequest=" + redirect_value(document(v, kDoctypes[0], request)));
            CPPUNIT_ASSERT_MESSAGE(label, !req.ok() && req.error().code == Status::saml_malformed);
            CPPUNIT_ASSERT_MESSAGE(label + ": " + req.error().detail, req.error().detail.find("DOCTYPE") != std::string::npos);
            auto resp = saml()->process_logout_response("SAMLResponse=" + redirect_value(document(v, kDoctypes[0], response)));
            CPPUNIT_ASSERT_MESSAGE(label, !resp.ok() && resp.error().code == Status::saml_malformed);
            CPPUNIT_ASSERT_MESSAGE(label + ": " + resp.error().detail, resp.error().detail.find("DOCTYPE") != std::string::npos);
        }
        // Not DEFLATE, not base64, twice, absent, a deflate bomb: each named.
        for (const std::string& q : {std::string("SAMLRequest=") + percent_encode(b64("<x/>")), std::string("SAMLRequest=%%%"),
                                     std::string("SAMLRequest=!!!!"), std::string("SAMLRequest=a&SAMLRequest=b"),
                                     std::string("RelayState=x"),
                                     "SAMLRequest=" + redirect_value(std::string(4 * 1024 * 1024, ' '))}) {
            auto r = saml()->process_logout_request(q);
            CPPUNIT_ASSERT_MESSAGE(q.substr(0, 60), !r.ok() && r.error().code == Status::saml_malformed);
        }
    }

    void testMetadataWithADoctypeRefused() {
        std::string md =
            "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"https://idp.unit.test/metadata\">"
            "<md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
            "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" "
            "Location=\"https://idp.unit.test/sso&e;\"/></md:IDPSSODescriptor></md:EntityDescriptor>";
        for (const auto& v : kVariants) {
            std::string label = v.label;
            std::string doc = document(v, kDoctypes[0], md);
            auto idps = saml_metadata_idps(doc);
            CPPUNIT_ASSERT_MESSAGE(label, !idps.ok() && idps.error().code == Status::config_invalid);
            CPPUNIT_ASSERT_MESSAGE(label + ": " + idps.error().detail, idps.error().detail.find("DOCTYPE") != std::string::npos);
            SamlIdpSettings idp;
            idp.metadata_xml = doc;
            auto made = SamlSp::create(unit_sp(), {idp});
            CPPUNIT_ASSERT_MESSAGE(label, !made.ok() && made.error().code == Status::config_invalid);
            CPPUNIT_ASSERT_MESSAGE(label + ": " + made.error().detail, made.error().detail.find("DOCTYPE") != std::string::npos);
            // Without it, the same document is read in that encoding.
            auto plain = saml_metadata_idps(document(v, "", md.substr(0, md.find("&e;")) + md.substr(md.find("&e;") + 3)));
            CPPUNIT_ASSERT_MESSAGE(label + ": " + (plain.ok() ? "" : plain.error().detail), plain.ok());
            CPPUNIT_ASSERT_EQUAL(std::string("https://idp.unit.test/metadata"), plain.value().at(0));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlDoctypeTest);
