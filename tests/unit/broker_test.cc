#include <cppunit/extensions/HelperMacros.h>

#include "broker/broker.h"
#include "jose/base64url.h"
#include "jose/jws.h"
#include "remote/remote_auth.h"
#include "temp_dir.h"
#include "test_keys.h"

using namespace hdsso;

namespace {

Identity jane() {
    Identity id;
    id.subject = "u-42";
    id.email = "jane@example.com";
    id.display_name = "Jane Doe";
    id.groups = {"agents"};
    id.attributes["company"] = {"Acme"};
    return id;
}

BrokerSettings hs(BrokerKind kind, const std::string& host) {
    BrokerSettings s;
    s.kind = kind;
    s.host = host;
    s.keys.push_back(secret_to_key(SecretString(std::string(64, 'k')), broker_algorithms(kind).front()).value());
    return s;
}

Status refusal(const Result<BrokerAction>& r) { return r.ok() ? Status::internal : r.error().code; }

}  // namespace

class BrokerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BrokerTest);
    CPPUNIT_TEST(testKinds);
    CPPUNIT_TEST(testKayakoAppendsToReturnto);
    CPPUNIT_TEST(testReturnUrlChecks);
    CPPUNIT_TEST(testZendeskRelativeReturnTo);
    CPPUNIT_TEST(testEmailRequired);
    CPPUNIT_TEST(testFreshdeskVector);
    CPPUNIT_TEST(testFreshdeskRedirectTo);
    CPPUNIT_TEST(testReservedClaims);
    CPPUNIT_TEST(testFirstKeySignsUnderItsKid);
    CPPUNIT_TEST(testKeyListRefusals);
    CPPUNIT_TEST(testFreshdeskNextSecretsChecked);
    CPPUNIT_TEST_SUITE_END();

public:
    void testKinds() {
        for (auto k : {BrokerKind::deskpro, BrokerKind::zendesk, BrokerKind::kayako, BrokerKind::freshworks,
                       BrokerKind::freshdesk})
            CPPUNIT_ASSERT(parse_broker_kind(broker_kind_name(k)) == k);
        CPPUNIT_ASSERT(!parse_broker_kind("jira"));
        CPPUNIT_ASSERT(broker_algorithms(BrokerKind::zendesk) == std::vector<JwsAlg>{JwsAlg::HS256});
        CPPUNIT_ASSERT(broker_algorithms(BrokerKind::freshworks) == std::vector<JwsAlg>{JwsAlg::RS256});
    }

    void testKayakoAppendsToReturnto() {
        auto s = hs(BrokerKind::kayako, "acme.kayako.com");
        std::string back = "https://acme.kayako.com/agent/Base/SSO/JWT/?type=agent";
        auto a = broker_sign_in(s, {}, jane(), {{"returnto", back}}, 1700000000);
        CPPUNIT_ASSERT(a.ok());
        CPPUNIT_ASSERT_EQUAL(0, a.value().redirect.compare(0, back.size() + 5, back + "&jwt="));
        // The token verifies with the same key, and carries the claims Kayako requires.
        JwsVerifier v(s.keys);
        auto payload = v.verify(a.value().redirect.substr(back.size() + 5));
        CPPUNIT_ASSERT(payload.ok());
        for (const char* claim : {"\"iat\":1700000000", "\"jti\":", "\"email\":\"jane@example.com\"",
                                  "\"name\":\"Jane Doe\"", "\"external_id\":\"u-42\""})
            CPPUNIT_ASSERT_MESSAGE(claim, payload.value().payload.find(claim) != std::string::npos);
    }

    void testReturnUrlChecks() {
        auto s = hs(BrokerKind::deskpro, "acme.deskpro.com");
        for (const char* bad : {"https://evil.example/x", "http://acme.deskpro.com/x", "//acme.deskpro.com/x",
                                "/local/path", "https://acme.deskpro.com.evil.example/", "https://a@evil.example/",
                                "https://acme.deskpro.com\\@evil.example/", "javascript:alert(1)"})
            CPPUNIT_ASSERT_MESSAGE(bad, refusal(broker_sign_in(s, {}, jane(), {{"return", bad}}, 1)) ==
                                            Status::url_redirect_not_allowed);
        CPPUNIT_ASSERT(refusal(broker_sign_in(s, {}, jane(), {}, 1)) == Status::broker_bad_request);
        auto ok = broker_sign_in(s, {}, jane(), {{"return", "https://ACME.deskpro.com/login/x"}}, 1);
        CPPUNIT_ASSERT(ok.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("https://acme.deskpro.com"), ok.value().frame_ancestor);
    }

    void testZendeskRelativeReturnTo() {
        auto s = hs(BrokerKind::zendesk, "acme.zendesk.com");
        auto ok = broker_sign_in(s, {}, jane(), {{"return_to", "/hc/en-us/requests"}}, 1);
        CPPUNIT_ASSERT(ok.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("/hc/en-us/requests"), ok.value().form_fields.at(1).second);
        for (const char* bad : {"//evil.example/hc", "/\\evil.example/hc", "https://evil.example/hc"})
            CPPUNIT_ASSERT_MESSAGE(bad, refusal(broker_sign_in(s, {}, jane(), {{"return_to", bad}}, 1)) ==
                                            Status::url_redirect_not_allowed);
    }

    void testEmailRequired() {
        Identity id = jane();
        id.email.clear();
        auto s = hs(BrokerKind::zendesk, "acme.zendesk.com");
        CPPUNIT_ASSERT(refusal(broker_sign_in(s, {}, id, {}, 1)) == Status::identity_missing_value);
    }

    void testFreshdeskVector() {
        // PROTOCOLS.md Appendix 1: secret s3cr3t, Jane Doe, jane@example.com, 1700000000.
        BrokerSettings s;
        s.kind = BrokerKind::freshdesk;
        s.host = "acme.freshdesk.com";
        s.secret = SecretString(std::string("s3cr3t"));
        auto a = broker_sign_in(s, {}, jane(), {{"host_url", "acme.freshdesk.com"}}, 1700000000);
        CPPUNIT_ASSERT(a.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("https://acme.freshdesk.com/login/sso?name=Jane%20Doe&email=jane%40example.com"
                                         "&timestamp=1700000000&hash=87fe1dc525f5047d180232ada64c1dc4"),
                             a.value().redirect);
        CPPUNIT_ASSERT(refusal(broker_sign_in(s, {}, jane(), {{"host_url", "evil.example"}}, 1)) ==
                       Status::url_redirect_not_allowed);
    }

    // redirect_to goes into the signed link Freshdesk follows: a path on the
    // helpdesk or an https URL on it, through the one redirect validator.
    void testFreshdeskRedirectTo() {
        BrokerSettings s;
        s.kind = BrokerKind::freshdesk;
        s.host = "acme.freshdesk.com";
        s.secret = SecretString(std::string("s3cr3t"));
        for (const char* good : {"/support/tickets", "/support/tickets?id=1&x=%20y",
                                 "https://acme.freshdesk.com/support/home", "HTTPS://ACME.freshdesk.com/a"}) {
            auto a = broker_sign_in(s, {}, jane(), {{"host_url", "acme.freshdesk.com"}, {"redirect_to", good}}, 1);
            CPPUNIT_ASSERT_MESSAGE(good, a.ok());
            auto q = parse_query(a.value().redirect.substr(a.value().redirect.find('?') + 1));
            CPPUNIT_ASSERT(q.ok());
            CPPUNIT_ASSERT_EQUAL(std::string("redirect_to"), q.value().back().first);
            CPPUNIT_ASSERT_EQUAL(std::string(good), q.value().back().second);
        }
        const char* payloads[] = {
            "//evil.test", "//evil.test/", "///evil.test", "////evil.test", "/\\evil.test", "\\\\evil.test",
            "\\/evil.test", "/\\/evil.test", "https://evil.test", "https://evil.test/support",
            "http://acme.freshdesk.com/support", "https://acme.freshdesk.com.evil.test/",
            "https://acme.freshdesk.com@evil.test/", "https://evil.test@acme.freshdesk.com/",
            "https://evil.test\\@acme.freshdesk.com/", "https://evil.test#@acme.freshdesk.com",
            "https:evil.test", "https:/evil.test", "https:///evil.test", "javascript:alert(1)",
            "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>", "evil.test", "evil.test/path",
            "ftp://acme.freshdesk.com/", "%2f%2fevil.test", "%2F%2Fevil.test", "/%2f%2fevil.test", "/%2F%2Fevil.test",
            "/%5cevil.test", "/%09/evil.test", "/\tevil.test", "/\r\nSet-Cookie: x=y", "/%0d%0aSet-Cookie:x=y",
            "/\nLocation: https://evil.test", "/%0aLocation:https://evil.test", " //evil.test", "\t//evil.test",
            "/%00", "/%", "/%zz", "/%E2%80%A8", "/\xc3\xa9",
        };
        for (const char* p : payloads) {
            auto a = broker_sign_in(s, {}, jane(), {{"host_url", "acme.freshdesk.com"}, {"redirect_to", p}}, 1);
            CPPUNIT_ASSERT_MESSAGE(std::string("accepted: ") + p, refusal(a) == Status::url_redirect_not_allowed);
            CPPUNIT_ASSERT_MESSAGE(a.error().detail, a.error().detail.rfind("redirect_to", 0) == 0);
        }
        // Repeated: refused, not the first or last one taken.
        auto twice = broker_sign_in(s, {}, jane(), {{"redirect_to", "/a"}, {"redirect_to", "//evil.test"}}, 1);
        CPPUNIT_ASSERT(refusal(twice) == Status::broker_bad_request);
    }

    void testReservedClaims() {
        for (const char* c : {"iat", "exp", "jti", "email", "name", "id", "sub", "nonce", "aud", "iss"})
            CPPUNIT_ASSERT_MESSAGE(c, broker_reserved_claim(c));
        CPPUNIT_ASSERT(!broker_reserved_claim("organization"));
        BrokerOptions o;
        o.extra_claims = {{"organization", "company"}, {"tags", "groups"}, {"role", "no-such-attribute"}};
        auto s = hs(BrokerKind::zendesk, "acme.zendesk.com");
        auto a = broker_sign_in(s, o, jane(), {}, 1700000000);
        JwsVerifier v(s.keys);
        auto payload = v.verify(a.value().form_fields.at(0).second);
        CPPUNIT_ASSERT(payload.ok());
        CPPUNIT_ASSERT(payload.value().payload.find("\"organization\":\"Acme\"") != std::string::npos);
        CPPUNIT_ASSERT(payload.value().payload.find("\"tags\":[\"agents\"]") != std::string::npos);
        CPPUNIT_ASSERT(payload.value().payload.find("\"role\"") == std::string::npos);
    }

    static std::string private_pem(EVP_PKEY* k) {
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
        PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr);
        char* data = nullptr;
        long n = BIO_get_mem_data(bio.get(), &data);
        return std::string(data, static_cast<std::size_t>(n));
    }

    // Deskpro RS256 with a next key: the first signs, the header names its
    // thumbprint, the next key does not verify the token; swapped, the
    // other one signs.
    void testFirstKeySignsUnderItsKid() {
        test::TempDir dir;
        auto k1 = test::generate_key(JwsAlg::RS256), k2 = test::generate_key(JwsAlg::RS256);
        std::string f1 = dir.write("k1.pem", private_pem(k1.get())), f2 = dir.write("k2.pem", private_pem(k2.get()));
        for (const auto& files : {std::vector<std::string>{f1, f2}, std::vector<std::string>{f2, f1}}) {
            BrokerSettings s;
            s.kind = BrokerKind::deskpro;
            s.host = "acme.deskpro.com";
            auto r = load_broker_keys(s, files, "RS256");
            CPPUNIT_ASSERT_MESSAGE(r.ok() ? "" : r.error().detail, r.ok());
            CPPUNIT_ASSERT_EQUAL(std::size_t(2), s.keys.size());
            auto a = broker_sign_in(s, {}, jane(), {{"return", "https://acme.deskpro.com/x"}}, 1700000000);
            CPPUNIT_ASSERT(a.ok());
            std::string jwt = a.value().redirect.substr(a.value().redirect.find("jwt=") + 4);
            auto header = base64url_decode(jwt.substr(0, jwt.find('.')));
            CPPUNIT_ASSERT(header.ok());
            CPPUNIT_ASSERT(header.value().find("\"kid\":\"" + jwk_thumbprint(s.keys[0]).value() + "\"") !=
                           std::string::npos);
            JwsKey signer = s.keys[0], next = s.keys[1];
            CPPUNIT_ASSERT(JwsVerifier({signer}).verify(jwt).ok());
            next.kid = signer.kid;  // even under the signer's kid, the next key does not verify it
            CPPUNIT_ASSERT(!JwsVerifier({next}).verify(jwt).ok());
        }
    }

    void testKeyListRefusals() {
        test::TempDir dir;
        std::string a = dir.write("a", std::string(64, 'a')), b = dir.write("b", std::string(64, 'b'));
        BrokerSettings s;
        s.kind = BrokerKind::zendesk;
        CPPUNIT_ASSERT(load_broker_keys(s, {a, b}, "").ok());
        CPPUNIT_ASSERT(s.keys[0].kid != s.keys[1].kid);
        auto twice = load_broker_keys(s, {a, dir.write("a2", std::string(64, 'a'))}, "");
        CPPUNIT_ASSERT(!twice.ok());
        CPPUNIT_ASSERT(twice.error().detail.find("same key") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(Status::config_invalid, load_broker_keys(s, {a, b, a, b, a}, "").error().code);
        CPPUNIT_ASSERT_EQUAL(Status::config_invalid, load_broker_keys(s, {a}, "RS256").error().code);
        auto missing = load_broker_keys(s, {a, dir.path + "/missing"}, "");
        CPPUNIT_ASSERT(!missing.ok());
        CPPUNIT_ASSERT(missing.error().detail.find("missing") != std::string::npos);
        // A public key cannot sign: refused by name.
        auto k = test::generate_key(JwsAlg::RS256);
        s.kind = BrokerKind::freshworks;
        auto pub = load_broker_keys(s, {dir.write("pub.pem", test::pem_public(k.get()))}, "");
        CPPUNIT_ASSERT(!pub.ok());
        CPPUNIT_ASSERT(pub.error().detail.find("no signing key") != std::string::npos);
    }

    void testFreshdeskNextSecretsChecked() {
        test::TempDir dir;
        BrokerSettings s;
        s.kind = BrokerKind::freshdesk;
        CPPUNIT_ASSERT(load_broker_keys(s, {dir.write("a", "first-secret"), dir.write("b", "next-secret")}, "SHA256").ok());
        CPPUNIT_ASSERT_EQUAL(std::string("first-secret"), std::string(s.secret.view()));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), s.next_secrets);
        CPPUNIT_ASSERT(s.digest == Digest::sha256);
        CPPUNIT_ASSERT(!load_broker_keys(s, {dir.write("c", "x"), dir.path + "/none"}, "").ok());
        CPPUNIT_ASSERT(!load_broker_keys(s, {dir.write("d", "x")}, "sha1").ok());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BrokerTest);
