// OpenID Connect core: PKCE (RFC 7636 Appendix B), the at_hash example of
// OpenID Connect Core 1.0 (A.3), discovery documents, and the ID token
// checks of Core §3.1.3.7, each refusal by itself.
#include <cppunit/extensions/HelperMacros.h>

#include "core/crypto.h"
#include "jose/base64url.h"
#include "oidc/id_token.h"
#include "oidc/provider.h"
#include "jose_attack_helpers.h"
#include "test_keys.h"

using namespace hdsso;

namespace {

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kIssuer = "https://login.example.com/tenant/v2.0";
const std::string kClient = "client-123";

std::string discovery(const std::string& extra = "", const std::string& issuer = kIssuer) {
    return R"({"issuer":")" + issuer + R"(","authorization_endpoint":"https://login.example.com/authorize",)"
           R"("token_endpoint":"https://login.example.com/token","jwks_uri":"https://login.example.com/keys",)"
           R"("response_types_supported":["code","id_token"],"subject_types_supported":["public"])" +
           extra + "}";
}

JwsKey signing(JwsAlg alg) { return test::key_of(test::generate_key(alg), alg); }

std::string claims(const std::string& extra = "", std::int64_t exp = kNow + 300) {
    return R"({"iss":")" + kIssuer + R"(","aud":")" + kClient + R"(","sub":"u-1","nonce":"n-1","iat":)" +
           std::to_string(kNow - 5) + R"(,"exp":)" + std::to_string(exp) + extra + "}";
}

}  // namespace

class OidcTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OidcTest);
    CPPUNIT_TEST(testPkceRfc7636Vector);
    CPPUNIT_TEST(testFreshPkce);
    CPPUNIT_TEST(testAtHashCoreExample);
    CPPUNIT_TEST(testDiscoveryAccepted);
    CPPUNIT_TEST(testDiscoveryRefusals);
    CPPUNIT_TEST(testIdTokenAccepted);
    CPPUNIT_TEST(testIdTokenRefusals);
    CPPUNIT_TEST(testAlgorithmPinnedByTheProvider);
    CPPUNIT_TEST(testAlgNoneAndHmacWithThePublicKey);
    CPPUNIT_TEST_SUITE_END();

    JwsKey rsa = signing(JwsAlg::RS256);
    IdTokenPolicy policy() const {
        IdTokenPolicy p;
        p.issuer = kIssuer;
        p.client_id = kClient;
        p.algs = {JwsAlg::RS256};
        return p;
    }
    Result<JsonObject> verify(const std::string& token, const std::string& access_token = "") const {
        JwsVerifier keys({rsa});
        return verify_id_token(keys, token, policy(), "n-1", access_token, kNow);
    }
    std::string detail_of(const Result<JsonObject>& r) const {
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_EQUAL(Status::oidc_bad_id_token, r.error().code);
        return r.error().detail;
    }
    bool refused_as(const std::string& payload, const std::string& name) const {
        std::string d = detail_of(verify(jws_sign(rsa, payload).value()));
        if (d.rfind(name, 0) != 0) CPPUNIT_FAIL("expected " + name + ", got " + d);
        return true;
    }

public:
    void testPkceRfc7636Vector() {
        CPPUNIT_ASSERT_EQUAL(std::string("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
                             pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
    }

    void testFreshPkce() {
        auto a = make_pkce(), b = make_pkce();
        CPPUNIT_ASSERT(a.ok() && b.ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(43), a.value().verifier.size());
        CPPUNIT_ASSERT(a.value().verifier != b.value().verifier);
        CPPUNIT_ASSERT_EQUAL(pkce_s256(a.value().verifier), a.value().challenge);
    }

    void testAtHashCoreExample() {
        CPPUNIT_ASSERT_EQUAL(std::string("77QmUPtjPfzWtF2AnpK9RQ"),
                             oidc_half_hash(JwsAlg::RS256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"));
    }

    void testDiscoveryAccepted() {
        auto p = parse_discovery(discovery(R"(,"id_token_signing_alg_values_supported":["RS256","none","XX1","HS256"],)"
                                           R"("code_challenge_methods_supported":["plain","S256"],)"
                                           R"("response_modes_supported":["query","form_post"],)"
                                           R"("end_session_endpoint":"https://login.example.com/logout")"),
                                 kIssuer);
        CPPUNIT_ASSERT_MESSAGE(p.ok() ? "" : p.error().detail, p.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("https://login.example.com/token"), p.value().token_endpoint);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), p.value().id_token_algs.size());  // none, HS256, unknown dropped
        CPPUNIT_ASSERT(p.value().id_token_algs[0] == JwsAlg::RS256);
        CPPUNIT_ASSERT(p.value().form_post);
        CPPUNIT_ASSERT_EQUAL(std::string("https://login.example.com/logout"), p.value().end_session_endpoint);
        CPPUNIT_ASSERT_EQUAL(std::string(kIssuer + "/.well-known/openid-configuration"), discovery_url(kIssuer + "/"));
        // A provider on loopback over http, for tests only.
        std::string local = R"({"issuer":"http://127.0.0.1:3000","authorization_endpoint":"http://127.0.0.1:3000/auth",)"
                            R"("token_endpoint":"http://127.0.0.1:3000/token","jwks_uri":"http://127.0.0.1:3000/jwks",)"
                            R"("response_types_supported":["code"]})";
        CPPUNIT_ASSERT(parse_discovery(local, "http://127.0.0.1:3000", true).ok());
        CPPUNIT_ASSERT(!parse_discovery(local, "http://127.0.0.1:3000", false).ok());
    }

    void testDiscoveryRefusals() {
        const std::pair<std::string, std::string> cases[] = {
            {discovery("", kIssuer + "/"), "is not the configured issuer"},
            {discovery("", "https://LOGIN.example.com/tenant/v2.0"), "is not the configured issuer"},
            {R"({"issuer":")" + kIssuer + R"(","authorization_endpoint":"https://a/","jwks_uri":"https://a/k"})",
             "no token_endpoint"},
            {discovery(R"(,"userinfo_endpoint":"http://login.example.com/userinfo")"), "userinfo_endpoint is not an https"},
            {discovery(R"(,"end_session_endpoint":"https://user@login.example.com/logout")"), "end_session_endpoint"},
            {discovery(R"(,"code_challenge_methods_supported":["plain"])"), "PKCE"},
            {discovery(R"(,"id_token_signing_alg_values_supported":["none"])"), "none of the provider's ID token"},
            {discovery(R"(,"id_token_signing_alg_values_supported":"RS256")"), "not an array"},
            {R"({"issuer":")" + kIssuer + R"(","authorization_endpoint":"https://a/","token_endpoint":"https://a/t",)"
             R"("jwks_uri":"https://a/k","response_types_supported":["id_token"]})", "authorization code flow"},
            {"<html>", ""},
        };
        for (const auto& [doc, why] : cases) {
            auto p = parse_discovery(doc, kIssuer);
            CPPUNIT_ASSERT_MESSAGE(doc, !p.ok());
            CPPUNIT_ASSERT_EQUAL(Status::oidc_discovery, p.error().code);
            CPPUNIT_ASSERT_MESSAGE(p.error().detail, p.error().detail.find(why) != std::string::npos);
        }
    }

    void testIdTokenAccepted() {
        auto ok = verify(jws_sign(rsa, claims(R"(,"email":"jane@example.com")")).value());
        CPPUNIT_ASSERT_MESSAGE(ok.ok() ? "" : ok.error().detail, ok.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("jane@example.com"), std::string(*ok.value().string("email")));
        // Several audiences with azp = this client; at_hash of the access token.
        std::string at = oidc_half_hash(JwsAlg::RS256, "access-token-1");
        std::string multi = R"({"iss":")" + kIssuer + R"(","aud":[")" + kClient + R"(","api"],"azp":")" + kClient +
                            R"(","sub":"u-1","nonce":"n-1","iat":)" + std::to_string(kNow) + R"(,"exp":)" +
                            std::to_string(kNow + 60) + R"(,"at_hash":")" + at + R"("})";
        CPPUNIT_ASSERT(verify(jws_sign(rsa, multi).value(), "access-token-1").ok());
    }

    void testIdTokenRefusals() {
        CPPUNIT_ASSERT(refused_as(claims("", kNow - 120), "jwt.expired"));
        CPPUNIT_ASSERT(refused_as(claims(R"(,"nbf":)" + std::to_string(kNow + 600)), "jwt.not_yet_valid"));
        std::string wrong_iss = claims();
        wrong_iss.replace(wrong_iss.find(kIssuer), kIssuer.size(), kIssuer + "/");
        CPPUNIT_ASSERT(refused_as(wrong_iss, "jwt.issuer_mismatch"));
        std::string wrong_aud = claims();
        wrong_aud.replace(wrong_aud.find(kClient), kClient.size(), "other-client");
        CPPUNIT_ASSERT(refused_as(wrong_aud, "jwt.audience_mismatch"));
        std::string wrong_nonce = claims();
        wrong_nonce.replace(wrong_nonce.find("n-1"), 3, "n-2");
        CPPUNIT_ASSERT(refused_as(wrong_nonce, "jwt.invalid_claim"));
        std::string no_nonce = claims();
        no_nonce.replace(no_nonce.find(R"("nonce":"n-1",)"), 14, "");
        CPPUNIT_ASSERT(refused_as(no_nonce, "jwt.missing_claim"));
        std::string no_sub = claims();
        no_sub.replace(no_sub.find(R"("sub":"u-1",)"), 12, "");
        CPPUNIT_ASSERT(refused_as(no_sub, "jwt.missing_claim"));
        std::string several = R"({"iss":")" + kIssuer + R"(","aud":[")" + kClient + R"(","api"],"sub":"u","nonce":"n-1",)"
                              R"("iat":)" + std::to_string(kNow) + R"(,"exp":)" + std::to_string(kNow + 60) + "}";
        CPPUNIT_ASSERT(refused_as(several, "jwt.missing_claim"));  // no azp
        CPPUNIT_ASSERT(refused_as(claims(R"(,"azp":"api")"), "jwt.audience_mismatch"));
        // at_hash checked when an access token came back.
        std::string token = jws_sign(rsa, claims(R"(,"at_hash":")" + oidc_half_hash(JwsAlg::RS256, "other") + "\"")).value();
        CPPUNIT_ASSERT(verify(token).ok());
        CPPUNIT_ASSERT(detail_of(verify(token, "access-token-1")).rfind("jwt.invalid_claim", 0) == 0);
        // Another key, a changed payload.
        JwsKey other = signing(JwsAlg::RS256);
        CPPUNIT_ASSERT(detail_of(verify(jws_sign(other, claims()).value())).rfind("jwt.bad_signature", 0) == 0);
        std::string good = jws_sign(rsa, claims()).value();
        std::size_t dot = good.find('.');
        std::string forged = good.substr(0, dot + 1) + base64url_encode(claims(R"(,"email":"admin@example.com")")) +
                             good.substr(good.rfind('.'));
        CPPUNIT_ASSERT(detail_of(verify(forged)).rfind("jwt.bad_signature", 0) == 0);
    }

    // The provider's metadata lists RS256: an ES256 key in its set does not
    // make ES256 tokens acceptable.
    void testAlgorithmPinnedByTheProvider() {
        JwsKey ec = signing(JwsAlg::ES256);
        ec.kid = "k2";
        JwsVerifier keys({rsa, ec});
        auto r = verify_id_token(keys, jws_sign(ec, claims()).value(), policy(), "n-1", "", kNow);
        CPPUNIT_ASSERT(detail_of(r).rfind("jwt.alg_not_allowed", 0) == 0);
    }

    void testAlgNoneAndHmacWithThePublicKey() {
        // A policy that would waive a check is refused before any token.
        JwsVerifier keys({rsa});
        for (auto blank : {&IdTokenPolicy::issuer, &IdTokenPolicy::client_id}) {
            IdTokenPolicy p = policy();
            p.*blank = "";
            auto r = verify_id_token(keys, jws_sign(rsa, claims()).value(), p, "n-1", "", kNow);
            CPPUNIT_ASSERT(!r.ok());
            CPPUNIT_ASSERT_EQUAL(Status::config_invalid, r.error().code);
        }
        std::string none = base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + base64url_encode(claims()) + ".";
        CPPUNIT_ASSERT(!verify(none).ok());
        // HS256 "signed" with the RSA public key's PEM as the secret.
        std::string pem = test::pem_public(rsa.pkey.get());
        std::string input = base64url_encode(R"({"alg":"HS256","kid":"k1"})") + "." + base64url_encode(claims());
        std::string forged = input + "." + base64url_encode(hmac(Digest::sha256, pem, input));
        CPPUNIT_ASSERT(!verify(forged).ok());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OidcTest);
