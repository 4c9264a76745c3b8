// The JWT attacks of ATTACKS.md section 2 (J1-J17) run against
// verify_id_token, the ID token check of the OIDC code flow, with the
// provider's keys loaded as the module loads its jwks_uri (keys_from_jwks
// under the algorithms of its discovery document). Each refusal is checked
// by name: oidc.bad_id_token with the detail starting with the JOSE error's
// name, so a token refused for another reason than the attack's fails the
// test. Where part of an attack is not the verifier's (fetching keys,
// one-time use of a sign-in), the comment says where it is covered.
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <utility>
#include <vector>

#include <openssl/bn.h>
#include <openssl/core_names.h>

#include "core/crypto.h"
#include "jose/base64url.h"
#include "jose/claims.h"
#include "jose/key_source.h"
#include "oidc/id_token.h"
#include "oidc/provider.h"
#include "jose_attack_helpers.h"
#include "test_keys.h"

using namespace hdsso;
using test::compact;
using test::der_public;
using test::key_of;
using test::wycheproof;

namespace {

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kIssuer = "https://login.example.com/tenant-a/v2.0";
const std::string kClient = "helpdesk-client";
const std::string kNonce = "nonce-of-this-sign-in";

// The claims of a good ID token; `changes` replace a member's JSON value
// (or add it; an empty value removes it), `raw` is appended as it is (for
// duplicate members).
std::string claims(const std::vector<std::pair<std::string, std::string>>& changes = {}, const std::string& raw = "") {
    std::vector<std::pair<std::string, std::string>> m = {
        {"iss", "\"" + kIssuer + "\""}, {"aud", "\"" + kClient + "\""},      {"sub", "\"u-1\""},
        {"nonce", "\"" + kNonce + "\""}, {"iat", std::to_string(kNow - 5)}, {"exp", std::to_string(kNow + 300)}};
    for (const auto& change : changes) {
        // Not a structured binding: clang++ before 16 cannot capture one.
        const std::string& name = change.first;
        auto it = std::find_if(m.begin(), m.end(), [&](const auto& p) { return p.first == name; });
        if (it == m.end()) m.push_back(change);
        else if (change.second.empty()) m.erase(it);
        else it->second = change.second;
    }
    std::string out = "{";
    for (const auto& [name, json] : m) out += (out.size() > 1 ? "," : "") + ("\"" + name + "\":" + json);
    return out + raw + "}";
}

std::string b64_bn(const BIGNUM* bn, int width = 0) {
    std::string bytes(static_cast<std::size_t>(std::max(width, BN_num_bytes(bn))), '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    return base64url_encode(bytes);
}

// The public JWK of an RSA or P-256 key, as a provider publishes it.
std::string public_jwk(EVP_PKEY* k, const std::string& kid, const std::string& alg, const std::string& more = "") {
    auto param = [&](const char* name) {
        BIGNUM* bn = nullptr;
        EVP_PKEY_get_bn_param(k, name, &bn);
        return CPtr<BIGNUM, BN_free>(bn);
    };
    std::string members;
    if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA)
        members = R"("kty":"RSA","n":")" + b64_bn(param(OSSL_PKEY_PARAM_RSA_N).get()) + R"(","e":")" +
                  b64_bn(param(OSSL_PKEY_PARAM_RSA_E).get()) + "\"";
    else
        members = R"("kty":"EC","crv":"P-256","x":")" + b64_bn(param(OSSL_PKEY_PARAM_EC_PUB_X).get(), 32) +
                  R"(","y":")" + b64_bn(param(OSSL_PKEY_PARAM_EC_PUB_Y).get(), 32) + "\"";
    return "{" + members + (kid.empty() ? "" : ",\"kid\":\"" + kid + "\"") +
           (alg.empty() ? "" : ",\"alg\":\"" + alg + "\"") + more + "}";
}

std::string jwks(const std::vector<std::string>& keys) {
    std::string out;
    for (const auto& k : keys) out += (out.empty() ? "" : ",") + k;
    return "{\"keys\":[" + out + "]}";
}

// A provider as the module sees it: its key set loaded for the algorithms
// its discovery document lists, and the ID token policy.
struct Provider {
    std::shared_ptr<JwsVerifier> keys;
    IdTokenPolicy policy;

    Provider(const std::string& set, std::vector<JwsAlg> algs, std::size_t max_token = JwsVerifier::kDefaultMaxToken) {
        policy.issuer = kIssuer;
        policy.client_id = kClient;
        policy.algs = std::move(algs);
        auto loaded = keys_from_jwks(set, policy.algs);
        CPPUNIT_ASSERT_MESSAGE(loaded.ok() ? "" : loaded.error().detail, loaded.ok());
        keys = std::make_shared<JwsVerifier>(std::move(loaded.value()), max_token);
    }
    Result<JsonObject> verify(const std::string& token, const std::string& nonce = kNonce,
                              const std::string& access_token = "", std::int64_t now = kNow) const {
        return verify_id_token(*keys, token, policy, nonce, access_token, now);
    }
};

void assert_refused(const Result<JsonObject>& r, Status expected, const std::string& what) {
    CPPUNIT_ASSERT_MESSAGE(what + ": accepted", !r.ok());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": " + r.error().detail, std::string("oidc.bad_id_token"),
                                 std::string(status_name(r.error().code)));
    std::string name = std::string(status_name(expected)) + ": ";
    CPPUNIT_ASSERT_MESSAGE(what + ": refused as " + r.error().detail + ", not " + name,
                           r.error().detail.rfind(name, 0) == 0);
}

void assert_refused(const Result<JsonObject>& r, const std::string& what) {
    CPPUNIT_ASSERT_MESSAGE(what + ": accepted", !r.ok());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": " + r.error().detail, std::string("oidc.bad_id_token"),
                                 std::string(status_name(r.error().code)));
}

void assert_accepted(const Result<JsonObject>& r, const std::string& what) {
    CPPUNIT_ASSERT_MESSAGE(what + ": " + (r.ok() ? "" : r.error().detail), r.ok());
}

// Refused before any claim is read: the JWS layer (shape, header, key,
// signature) said no.
bool refused_by_the_jws_layer(const Result<JsonObject>& r) {
    if (r.ok()) return false;
    for (Status s : {Status::jwt_malformed, Status::jwt_unsupported, Status::jwt_alg_not_allowed,
                     Status::jwt_unknown_kid, Status::jwt_bad_signature, Status::jwt_key_invalid})
        if (r.error().detail.rfind(std::string(status_name(s)) + ": ", 0) == 0) return true;
    return false;
}

// A Wycheproof JWS case through verify_id_token, its group's key configured
// for the key's own algorithm (the most a provider's metadata could allow).
Result<JsonObject> wycheproof_id_token(int id) {
    const auto& v = wycheproof("json_web_signature_test.json").at(id);
    auto key = jwk_to_key(v.jwk, std::nullopt);
    if (!key) return make_error(Status::oidc_bad_id_token, "jwt.key_invalid: " + key.error().detail);
    IdTokenPolicy p;
    p.issuer = kIssuer;
    p.client_id = kClient;
    p.algs = {key.value().alg};
    return verify_id_token(JwsVerifier({key.value()}), v.jws, p, kNonce, "", kNow);
}

void assert_wycheproof_refused_by_the_jws_layer(std::initializer_list<int> ids) {
    for (int id : ids) {
        auto r = wycheproof_id_token(id);
        CPPUNIT_ASSERT_MESSAGE("tcId " + std::to_string(id) + ": " + (r.ok() ? "accepted" : r.error().detail),
                               refused_by_the_jws_layer(r));
    }
}

}  // namespace

class OidcAttacksTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OidcAttacksTest);
    CPPUNIT_TEST(testJ01AlgNone);
    CPPUNIT_TEST(testJ02KeyConfusionHmacOverPublicKey);
    CPPUNIT_TEST(testJ03AlgKeyBinding);
    CPPUNIT_TEST(testJ04KidInjection);
    CPPUNIT_TEST(testJ05JkuX5uNeverFetched);
    CPPUNIT_TEST(testJ06EmbeddedJwkX5cIgnored);
    CPPUNIT_TEST(testJ07PsychicSignaturesAndEcdsaEncoding);
    CPPUNIT_TEST(testJ08InvalidCurveInTheProvidersSet);
    CPPUNIT_TEST(testJ09WeakKeysInTheProvidersSet);
    CPPUNIT_TEST(testJ10CritAndB64False);
    CPPUNIT_TEST(testJ11DuplicateJsonKeys);
    CPPUNIT_TEST(testJ12TimeClaims);
    CPPUNIT_TEST(testJ13AudienceAzpAndIssuerExact);
    CPPUNIT_TEST(testJ14VeryLargeTokens);
    CPPUNIT_TEST(testJ15NonCanonicalBase64url);
    CPPUNIT_TEST(testJ16JsonBombs);
    CPPUNIT_TEST(testJ17TokenSubstitution);
    CPPUNIT_TEST(testWycheproofValidCaseReachesTheClaims);
    CPPUNIT_TEST_SUITE_END();

    std::shared_ptr<EVP_PKEY> rsa_ = test::generate_key(JwsAlg::RS256);
    std::shared_ptr<EVP_PKEY> ec_ = test::generate_key(JwsAlg::ES256);
    JwsKey rsa = key_of(rsa_, JwsAlg::RS256, "r1");
    JwsKey ec = key_of(ec_, JwsAlg::ES256, "e1");

    // The provider's set: an RSA key and a P-256 key; its discovery lists RS256 and ES256.
    Provider provider(std::vector<JwsAlg> algs = {JwsAlg::RS256, JwsAlg::ES256}) const {
        return Provider(jwks({public_jwk(rsa_.get(), "r1", "RS256"), public_jwk(ec_.get(), "e1", "ES256")}),
                        std::move(algs));
    }
    std::string rs256(const std::string& payload = claims()) const {
        return compact(rsa, R"({"alg":"RS256","kid":"r1","typ":"JWT"})", payload);
    }

public:
    void testJ01AlgNone() {
        Provider p = provider();
        std::string payload = base64url_encode(claims());
        for (const char* alg : {"none", "NONE", "None", "nOnE"}) {
            for (const char* kid : {"r1", "e1"}) {
                std::string header = base64url_encode(std::string("{\"alg\":\"") + alg + "\",\"kid\":\"" + kid + "\"}");
                std::string input = header + "." + payload;
                assert_refused(p.verify(input + "."), Status::jwt_alg_not_allowed, std::string(alg) + " unsigned");
                assert_refused(p.verify(input + "." + base64url_encode(jws_sign_raw(rsa, input).value())),
                               Status::jwt_alg_not_allowed, std::string(alg) + " with a signature");
            }
        }
        assert_accepted(p.verify(rs256()), "the same claims signed");
        assert_wycheproof_refused_by_the_jws_layer({16, 341, 342, 343, 344});
    }

    // HMAC with the provider's public key as the secret, in each form an
    // attacker can get it: PEM, DER, the JWK text. And a provider that
    // publishes a shared secret: discovery drops HS*, the set loader passes
    // over the oct key, so it never verifies an ID token.
    void testJ02KeyConfusionHmacOverPublicKey() {
        Provider p = provider();
        for (const auto& [pkey, kid] : {std::pair{rsa_, "r1"}, std::pair{ec_, "e1"}}) {
            for (const std::string& secret : {test::pem_public(pkey.get()), der_public(pkey.get()),
                                              public_jwk(pkey.get(), kid, kid[0] == 'r' ? "RS256" : "ES256")}) {
                for (JwsAlg hs : {JwsAlg::HS256, JwsAlg::HS384, JwsAlg::HS512}) {
                    auto h = secret_to_key(SecretString(secret), hs, kid);
                    CPPUNIT_ASSERT(h.ok());
                    std::string header = std::string("{\"alg\":\"") + jws_alg_name(hs) + "\",\"kid\":\"" + kid + "\"}";
                    assert_refused(p.verify(compact(h.value(), header, claims())), Status::jwt_alg_not_allowed,
                                   std::string(kid) + " " + jws_alg_name(hs));
                }
            }
        }
        const std::string shared(32, 'k');
        std::string oct = R"({"kty":"oct","kid":"s1","alg":"HS256","k":")" + base64url_encode(shared) + "\"}";
        std::string doc = R"({"issuer":")" + kIssuer + R"(","authorization_endpoint":"https://login.example.com/a",)"
                          R"("token_endpoint":"https://login.example.com/t","jwks_uri":"https://login.example.com/k",)"
                          R"("response_types_supported":["code"],)"
                          R"("id_token_signing_alg_values_supported":["HS256","RS256"]})";
        auto discovered = parse_discovery(doc, kIssuer);
        CPPUNIT_ASSERT(discovered.ok());
        CPPUNIT_ASSERT(discovered.value().id_token_algs == std::vector<JwsAlg>{JwsAlg::RS256});
        Provider with_oct(jwks({public_jwk(rsa_.get(), "r1", "RS256"), oct}), discovered.value().id_token_algs);
        JwsKey hkey = secret_to_key(SecretString(shared), JwsAlg::HS256, "s1").value();
        assert_refused(with_oct.verify(compact(hkey, R"({"alg":"HS256","kid":"s1"})", claims())),
                       Status::jwt_unknown_kid, "the published shared secret");
        assert_accepted(with_oct.verify(rs256()), "the provider's RSA key beside it");
        test::assert_cases_rejected(test::jws_case_verifies, {31});
        assert_wycheproof_refused_by_the_jws_layer({31});
    }

    // The algorithm is the key's, fixed when the set is loaded; a token's
    // header only selects. (verify_id_token's own pin to the provider's
    // algorithms, with a key of another algorithm configured: OidcTest::
    // testAlgorithmPinnedByTheProvider.)
    void testJ03AlgKeyBinding() {
        Provider p = provider({JwsAlg::RS256, JwsAlg::PS256, JwsAlg::ES256});
        for (JwsAlg other : {JwsAlg::PS256, JwsAlg::RS512, JwsAlg::PS512}) {
            std::string header = std::string("{\"alg\":\"") + jws_alg_name(other) + "\",\"kid\":\"r1\"}";
            assert_refused(p.verify(compact(key_of(rsa_, other, "r1"), header, claims())), Status::jwt_alg_not_allowed,
                           std::string("RS256 key, ") + jws_alg_name(other) + " token");
        }
        assert_refused(p.verify(compact(key_of(ec_, JwsAlg::ES256, "r1"), R"({"alg":"ES256","kid":"r1"})", claims())),
                       Status::jwt_alg_not_allowed, "ES256 token naming the RSA key");
        // A JWK without alg serves what the provider lists and its type fits, nothing more.
        Provider bare(jwks({public_jwk(rsa_.get(), "r1", "")}), {JwsAlg::RS256});
        assert_accepted(bare.verify(rs256()), "RS256 with an RSA key without alg");
        assert_refused(bare.verify(compact(key_of(rsa_, JwsAlg::PS256, "r1"), R"({"alg":"PS256","kid":"r1"})", claims())),
                       Status::jwt_alg_not_allowed, "PS256 not listed by the provider");
        // A key the provider's algorithms exclude is not loaded at all.
        Provider rs_only = provider({JwsAlg::RS256});
        assert_refused(rs_only.verify(compact(ec, R"({"alg":"ES256","kid":"e1"})", claims())), Status::jwt_unknown_kid,
                       "ES256 key of a provider listing RS256 only");
        assert_wycheproof_refused_by_the_jws_layer({331, 332, 333, 334, 335, 336, 337, 338, 339, 340});
    }

    // kid is a lookup key into the loaded set, matched exactly; nothing is
    // read from a path or a query built from it.
    void testJ04KidInjection() {
        Provider p = provider();
        JwsKey attacker = key_of(test::generate_key(JwsAlg::RS256), JwsAlg::RS256);
        for (const char* kid : {"../../dev/null", "/dev/null", "../../../../etc/passwd", "' OR '1'='1", "r1' --", "|id",
                                "r1/../r1", "R1", "r1 ", ""}) {
            std::string header = std::string("{\"alg\":\"RS256\",\"kid\":\"") + kid + "\"}";
            assert_refused(p.verify(compact(attacker, header, claims())), Status::jwt_unknown_kid, kid);
        }
        assert_refused(p.verify(compact(attacker, R"({"alg":"RS256","kid":"r1\u0000"})", claims())), "NUL in kid");
        assert_refused(p.verify(compact(attacker, R"({"alg":"RS256","kid":"r1"})", claims())), Status::jwt_bad_signature,
                       "the right kid, another key");
        assert_accepted(p.verify(rs256()), "the provider's own token");
    }

    // The verifier has no fetcher: only the provider's loaded set counts.
    // An unknown kid making the module refetch the provider's jwks_uri (and
    // never a URL a token names) is the module's part: HelpdeskSSOOIDCProvider
    // kid-refetch= (the lead's mod/oidc work; the JWT sign-in's counterpart
    // is test_jwks_url).
    void testJ05JkuX5uNeverFetched() {
        Provider p = provider();
        JwsKey attacker = key_of(test::generate_key(JwsAlg::ES256), JwsAlg::ES256, "e1");
        for (const char* h : {R"({"alg":"ES256","kid":"e1","jku":"https://127.0.0.1:1/attacker.jwks"})",
                              R"({"alg":"ES256","kid":"e1","x5u":"https://127.0.0.1:1/attacker.pem"})",
                              R"({"alg":"ES256","jku":"https://127.0.0.1:1/attacker.jwks"})"}) {
            assert_refused(p.verify(compact(attacker, h, claims())), Status::jwt_bad_signature, h);
        }
        assert_refused(p.verify(compact(attacker, R"({"alg":"ES256","kid":"new","jku":"https://127.0.0.1:1/k"})",
                                        claims())),
                       Status::jwt_unknown_kid, "a new kid with a jku");
    }

    void testJ06EmbeddedJwkX5cIgnored() {
        Provider p = provider();
        auto attacker_pkey = test::generate_key(JwsAlg::RS256);
        JwsKey attacker = key_of(attacker_pkey, JwsAlg::RS256, "r1");
        std::string jwk = public_jwk(attacker_pkey.get(), "r1", "RS256");
        std::string x5c = base64url_encode(der_public(attacker_pkey.get()));
        for (const std::string& h : {R"({"alg":"RS256","kid":"r1","jwk":)" + jwk + "}",
                                     R"({"alg":"RS256","kid":"r1","x5c":[")" + x5c + "\"]}",
                                     R"({"alg":"RS256","jwk":)" + jwk + "}"}) {
            assert_refused(p.verify(compact(attacker, h, claims())), Status::jwt_bad_signature, h);
        }
        assert_refused(p.verify(compact(attacker, R"({"alg":"RS256","kid":"mine","jwk":)" + jwk + "}", claims())),
                       Status::jwt_unknown_kid, "the embedded key's own kid");
        assert_wycheproof_refused_by_the_jws_layer({32});
    }

    void testJ07PsychicSignaturesAndEcdsaEncoding() {
        Provider p = provider();
        std::string token = compact(ec, R"({"alg":"ES256","kid":"e1"})", claims());
        std::size_t dot = token.rfind('.');
        std::string input = token.substr(0, dot);
        std::string raw = base64url_decode(token.substr(dot + 1)).value();
        assert_refused(p.verify(input + "." + base64url_encode(std::string(64, '\0'))), Status::jwt_bad_signature,
                       "r = s = 0");
        // r and s replaced by the group order n (P-256).
        std::string n = base64url_decode("_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE").value();
        assert_refused(p.verify(input + "." + base64url_encode(n + n)), "r = s = n");
        assert_refused(p.verify(input + "." + base64url_encode(raw.substr(0, 32) + n)), "s = n");
        CPtr<ECDSA_SIG, ECDSA_SIG_free> sig(ECDSA_SIG_new());
        ECDSA_SIG_set0(sig.get(), BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                       BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
        unsigned char* der = nullptr;
        int len = i2d_ECDSA_SIG(sig.get(), &der);
        std::string der_sig(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
        OPENSSL_free(der);
        for (const auto& [what, s] : {std::pair<const char*, std::string>{"DER", der_sig},
                                      {"65 bytes", raw + std::string(1, '\0')},
                                      {"63 bytes", raw.substr(0, 63)}}) {
            auto r = p.verify(input + "." + base64url_encode(s));
            CPPUNIT_ASSERT_MESSAGE(std::string(what) + ": " + (r.ok() ? "accepted" : r.error().detail),
                                   refused_by_the_jws_layer(r));
        }
        assert_accepted(p.verify(token), "the signature as made");
        CPPUNIT_ASSERT(!refused_by_the_jws_layer(wycheproof_id_token(378)));
        for (int id = 379; id <= 401; ++id) assert_wycheproof_refused_by_the_jws_layer({id});
    }

    // A provider's set with a point off the curve, or a crv that does not
    // fit the coordinates, does not load (the module then keeps its last
    // good set: oidc.discovery); a key the provider's algorithms exclude is
    // passed over before it is parsed.
    void testJ08InvalidCurveInTheProvidersSet() {
        const std::string x = "04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY";
        const std::string y = "UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgmw";
        std::string bad_y = y;
        bad_y[5] = bad_y[5] == 'A' ? 'B' : 'A';
        auto ec_jwk = [&](const std::string& crv, const std::string& yy, const char* alg) {
            return R"({"kty":"EC","kid":"e9","crv":")" + crv + R"(","x":")" + x + R"(","y":")" + yy +
                   R"(","alg":")" + alg + "\"}";
        };
        std::string good_rsa = public_jwk(rsa_.get(), "r1", "RS256");
        std::vector<JwsAlg> algs = {JwsAlg::RS256, JwsAlg::ES256, JwsAlg::ES384};
        CPPUNIT_ASSERT(keys_from_jwks(jwks({good_rsa, ec_jwk("P-256", y, "ES256")}), algs).ok());
        for (const std::string& bad : {ec_jwk("P-256", bad_y, "ES256"), ec_jwk("P-384", y, "ES384"),
                                       ec_jwk("P-256", y, "ES384")}) {
            auto r = keys_from_jwks(jwks({good_rsa, bad}), algs);
            CPPUNIT_ASSERT_MESSAGE(bad, !r.ok());
            CPPUNIT_ASSERT_EQUAL(Status::jwt_key_invalid, r.error().code);
        }
        Provider rs_only(jwks({good_rsa, ec_jwk("P-256", bad_y, "ES256")}), {JwsAlg::RS256});
        JwsKey attacker = key_of(test::generate_key(JwsAlg::ES256), JwsAlg::ES256, "e9");
        assert_refused(rs_only.verify(compact(attacker, R"({"alg":"ES256","kid":"e9"})", claims())),
                       Status::jwt_unknown_kid, "the off-curve key, passed over");
    }

    // RSA under 2048 bits refuses the set; an encryption key beside the
    // signing keys is passed over, so a token naming it finds no key. (The
    // loader's own weak-key cases, Wycheproof JWK 7-18 and 21:
    // JwtAttacksTest::testJ09WeakKeys, the same keys_from_jwks.)
    void testJ09WeakKeysInTheProvidersSet() {
        auto weak = std::shared_ptr<EVP_PKEY>(EVP_RSA_gen(1024), EVP_PKEY_free);
        auto r = keys_from_jwks(jwks({public_jwk(rsa_.get(), "r1", "RS256"), public_jwk(weak.get(), "w1", "RS256")}),
                                {JwsAlg::RS256});
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_EQUAL(Status::jwt_key_invalid, r.error().code);
        auto enc_pkey = test::generate_key(JwsAlg::RS256);
        Provider p(jwks({public_jwk(rsa_.get(), "r1", "RS256"), public_jwk(enc_pkey.get(), "enc1", "", R"(,"use":"enc")"),
                         public_jwk(enc_pkey.get(), "enc2", "RSA-OAEP")}),
                   {JwsAlg::RS256});
        for (const char* kid : {"enc1", "enc2"}) {
            std::string header = std::string("{\"alg\":\"RS256\",\"kid\":\"") + kid + "\"}";
            assert_refused(p.verify(compact(key_of(enc_pkey, JwsAlg::RS256, kid), header, claims())),
                           Status::jwt_unknown_kid, kid);
        }
        assert_accepted(p.verify(rs256()), "the signing key beside them");
    }

    void testJ10CritAndB64False() {
        Provider p = provider();
        for (const char* h : {R"({"alg":"RS256","kid":"r1","crit":["exp"],"exp":1})",
                              R"({"alg":"RS256","kid":"r1","crit":["urn:example:unknown"]})",
                              R"({"alg":"RS256","kid":"r1","crit":"b64"})",
                              R"({"alg":"RS256","kid":"r1","crit":[]})",
                              R"({"alg":"RS256","kid":"r1","b64":false,"crit":["b64"]})",
                              R"({"alg":"RS256","kid":"r1","b64":false})",
                              R"({"alg":"RS256","kid":"r1","b64":true})"}) {
            assert_refused(p.verify(compact(rsa, h, claims())), Status::jwt_unsupported, h);
        }
    }

    // Two members of one name, where a first-wins and a last-wins reader
    // would disagree: refused outright, never one of them picked.
    void testJ11DuplicateJsonKeys() {
        Provider p = provider();
        assert_refused(p.verify(compact(rsa, R"({"alg":"RS256","alg":"none","kid":"r1"})", claims())),
                       Status::jwt_malformed, "alg twice");
        assert_refused(p.verify(compact(rsa, R"({"kid":"e1","alg":"RS256","kid":"r1"})", claims())),
                       Status::jwt_malformed, "kid twice");
        for (const std::string& dup : std::vector<std::string>{",\"nonce\":\"" + kNonce + "\"", ",\"nonce\":\"another\"",
                                       ",\"aud\":\"another-client\"", ",\"iss\":\"https://evil.example.com\"",
                                       ",\"sub\":\"admin\"", ",\"exp\":" + std::to_string(kNow + 999999)}) {
            assert_refused(p.verify(rs256(claims({}, dup))), Status::jwt_invalid_claim, dup);
        }
        std::string at = oidc_half_hash(JwsAlg::RS256, "access-token-1");
        assert_refused(p.verify(rs256(claims({{"azp", "\"" + kClient + "\""}}, ",\"azp\":\"other\""))),
                       Status::jwt_invalid_claim, "azp twice");
        assert_refused(p.verify(rs256(claims({{"at_hash", "\"" + at + "\""}}, ",\"at_hash\":\"" + at + "\"")),
                                kNonce, "access-token-1"),
                       Status::jwt_invalid_claim, "at_hash twice");
    }

    void testJ12TimeClaims() {
        Provider p = provider();
        const std::string now = std::to_string(kNow);
        struct Case {
            std::vector<std::pair<std::string, std::string>> changes;
            Status expected;
        };
        const Case cases[] = {
            {{{"exp", ""}}, Status::jwt_missing_claim},
            {{{"iat", ""}}, Status::jwt_missing_claim},  // an ID token needs iat (a plain JWT need not)
            {{{"exp", "\"1900000000\""}}, Status::jwt_invalid_claim},
            {{{"exp", "1900000000.5"}}, Status::jwt_invalid_claim},
            {{{"exp", "1.9e9"}}, Status::jwt_invalid_claim},
            {{{"exp", "-1"}}, Status::jwt_invalid_claim},
            {{{"exp", "1e400"}}, Status::jwt_invalid_claim},
            {{{"exp", "99999999999999999999"}}, Status::jwt_invalid_claim},
            {{{"exp", "true"}}, Status::jwt_invalid_claim},
            {{{"exp", "null"}}, Status::jwt_invalid_claim},
            {{{"iat", "1.5"}}, Status::jwt_invalid_claim},
            {{{"iat", "\"" + now + "\""}}, Status::jwt_invalid_claim},
            {{{"nbf", "\"0\""}}, Status::jwt_invalid_claim},
            {{{"exp", std::to_string(kNow - 60)}}, Status::jwt_expired},  // now must be before exp + leeway (60)
            {{{"nbf", std::to_string(kNow + 61)}}, Status::jwt_not_yet_valid},
            {{{"iat", std::to_string(kNow + 61)}}, Status::jwt_issued_in_future},
        };
        for (const Case& c : cases) assert_refused(p.verify(rs256(claims(c.changes))), c.expected, claims(c.changes));
        // The leeway's edges, from inside.
        assert_accepted(p.verify(rs256(claims({{"exp", std::to_string(kNow - 59)}}))), "exp 59 s ago");
        assert_accepted(p.verify(rs256(claims({{"nbf", std::to_string(kNow + 60)}}))), "nbf in 60 s");
        assert_accepted(p.verify(rs256(claims({{"iat", std::to_string(kNow + 60)}}))), "iat in 60 s");
        // No leeway: exp is the first second the token is dead; and a maximum age.
        Provider strict = provider();
        strict.policy.leeway = 0;
        assert_refused(strict.verify(rs256(claims({{"exp", now}}))), Status::jwt_expired, "exp = now, no leeway");
        strict.policy.max_age = 600;
        assert_refused(strict.verify(rs256(claims({{"iat", std::to_string(kNow - 601)}}))), Status::jwt_too_old,
                       "iat older than max_age");
        assert_accepted(strict.verify(rs256(claims({{"iat", std::to_string(kNow - 600)}}))), "iat at max_age");
    }

    // aud must contain the client ID exactly; azp, when present, must be it,
    // and is required when aud names several audiences (Core 3.1.3.7 3-5);
    // iss exactly (CVE-2024-53861: no partial match).
    void testJ13AudienceAzpAndIssuerExact() {
        Provider p = provider();
        assert_accepted(p.verify(rs256(claims({{"aud", "[\"" + kClient + "\"]"}}))), "a one-element array");
        assert_accepted(p.verify(rs256(claims({{"aud", "[\"api\",\"" + kClient + "\"]"}, {"azp", "\"" + kClient + "\""}}))),
                        "several audiences with azp");
        for (const std::string& aud : std::vector<std::string>{
                 "\"helpdesk\"", "\"client\"", "\"" + kClient + "x\"", "\"x" + kClient + "\"", "\"HELPDESK-CLIENT\"",
                 "\"" + kClient + " \"", "[]", "[\"api\"]", "\"\"", "[\"" + kClient + "/\"]"})
            assert_refused(p.verify(rs256(claims({{"aud", aud}}))), Status::jwt_audience_mismatch, aud);
        for (const char* aud : {"1", "{\"a\":1}", "[1]", "null", "[\"" "helpdesk-client" "\",2]"})
            assert_refused(p.verify(rs256(claims({{"aud", aud}}))), Status::jwt_invalid_claim, aud);
        assert_refused(p.verify(rs256(claims({{"aud", "[\"api\",\"" + kClient + "\"]"}}))), Status::jwt_missing_claim,
                       "several audiences, no azp");
        for (const std::string& azp : std::vector<std::string>{"\"api\"", "\"" + kClient + "x\"", "\"\"", "1", "null",
                                                               "[\"" + kClient + "\"]"})
            assert_refused(p.verify(rs256(claims({{"azp", azp}}))), Status::jwt_audience_mismatch, "azp " + azp);
        for (const std::string& iss : std::vector<std::string>{
                 "\"https://login.example.com/tenant-a/v2.\"", "\"" + kIssuer + "/\"", "\"" + kIssuer + ".evil\"",
                 "\"https://LOGIN.example.com/tenant-a/v2.0\"", "\"https://login.example.com/tenant-b/v2.0\"",
                 "\"x" + kIssuer + "x\"", "\"\""})
            assert_refused(p.verify(rs256(claims({{"iss", iss}}))), Status::jwt_issuer_mismatch, iss);
        for (const std::string& iss : std::vector<std::string>{"[\"" + kIssuer + "\"]", "1", "null"})
            assert_refused(p.verify(rs256(claims({{"iss", iss}}))), Status::jwt_invalid_claim, iss);
        assert_refused(p.verify(rs256(claims({{"iss", ""}}))), Status::jwt_missing_claim, "no iss");
        assert_refused(p.verify(rs256(claims({{"aud", ""}}))), Status::jwt_missing_claim, "no aud");
    }

    void testJ14VeryLargeTokens() {
        Provider p = provider();
        assert_refused(p.verify(std::string(1 << 20, 'A') + ".e30.AAAA"), Status::jwt_malformed, "1 MiB");
        assert_refused(p.verify(std::string(10000, '.')), Status::jwt_malformed, "dots");
        std::string big_header = R"({"alg":"RS256","kid":"r1","x":")" + std::string(20000, 'x') + "\"}";
        assert_refused(p.verify(compact(rsa, big_header, claims())), Status::jwt_malformed, "20 KB header");
        // Entra puts many groups in an ID token: within the cap it verifies, past it it is refused by size.
        std::string groups = "[";
        for (int i = 0; i < 200; ++i) groups += (i ? ",\"" : "\"") + std::string(36, 'g') + "\"";
        assert_accepted(p.verify(rs256(claims({{"groups", groups + "]"}}))), "200 groups (about 10 KB)");
        for (int i = 0; i < 200; ++i) groups += ",\"" + std::string(36, 'h') + "\"";
        assert_refused(p.verify(rs256(claims({{"groups", groups + "]"}}))), Status::jwt_malformed, "400 groups");
        assert_refused(p.verify("a.b.c.d.e"), Status::jwt_malformed, "five parts");
        assert_refused(p.verify("a.b"), Status::jwt_malformed, "two parts");
        assert_refused(p.verify(""), Status::jwt_malformed, "empty");
    }

    void testJ15NonCanonicalBase64url() {
        Provider p = provider();
        std::string token = rs256();
        std::size_t d1 = token.find('.'), d2 = token.rfind('.');
        std::string h = token.substr(0, d1), pl = token.substr(d1 + 1, d2 - d1 - 1), s = token.substr(d2 + 1);
        // A 256-byte RSA signature is 342 characters: the last carries 4 unused bits.
        std::string s_bits = s;
        s_bits.back() = s_bits.back() == 'A' ? 'B' : static_cast<char>(s_bits.back() ^ 1);
        std::string p_plus = pl, p_slash = pl;
        std::replace(p_plus.begin(), p_plus.end(), '-', '+');
        std::replace(p_slash.begin(), p_slash.end(), '_', '/');
        const std::string variants[] = {h + "." + pl + "." + s + "=",  h + "=." + pl + "." + s,
                                        h + "." + pl + "=." + s,       " " + token,
                                        token + "\n",                  h + "." + pl + ".\n" + s,
                                        h + "." + pl + "." + s_bits,   h + "." + pl + "." + s + "$",
                                        h + "." + pl + "." + s.substr(0, 10) + " " + s.substr(10)};
        for (const std::string& v : variants) assert_refused(p.verify(v), v.substr(0, 40));
        if (p_plus != pl) assert_refused(p.verify(h + "." + p_plus + "." + s), "+");
        if (p_slash != pl) assert_refused(p.verify(h + "." + p_slash + "." + s), "/");
        assert_accepted(p.verify(token), "canonical");
    }

    void testJ16JsonBombs() {
        // No size cap in the way: the JSON layer itself must hold.
        Provider big(jwks({public_jwk(rsa_.get(), "r1", "RS256")}), {JwsAlg::RS256}, 1 << 20);
        std::string deep(100000, '[');
        assert_refused(big.verify(compact(rsa, R"({"alg":"RS256","kid":"r1","x":)" + deep + "}", claims())),
                       Status::jwt_malformed, "100 000 [ in the header");
        assert_refused(big.verify(rs256(claims({{"x", deep}}))), Status::jwt_invalid_claim, "100 000 [ in the claims");
        Provider p = provider();
        assert_refused(p.verify(rs256(claims({{"n", "1" + std::string(400, '0')}}))), "giant number");
        assert_refused(p.verify(compact(rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\",\"x\":\"\xff\xfe\"}", claims())),
                       Status::jwt_malformed, "invalid UTF-8 in the header");
        assert_refused(p.verify(rs256(claims({{"x", "\"\xc0\xaf\""}}))), Status::jwt_invalid_claim,
                       "overlong UTF-8 in the claims");
        assert_refused(p.verify(rs256(claims({{"nonce", "\"\xed\xa0\x80\""}}))), Status::jwt_invalid_claim,
                       "a surrogate in the nonce");
        // A NUL never lets "u-1\0admin" pass as a subject, nor a nonce with a tail.
        auto sub = p.verify(rs256(claims({{"sub", "\"u-1\\u0000admin\""}})));
        CPPUNIT_ASSERT(!sub.ok() || std::string(*sub.value().string("sub")) == std::string("u-1\0admin", 9));
        assert_refused(p.verify(rs256(claims({{"nonce", "\"" + kNonce + "\\u0000x\""}}))), "NUL after the nonce");
    }

    // A token minted for something else, presented as this sign-in's ID
    // token. Replaying this sign-in's own ID token is stopped by the nonce
    // only across sign-ins; within one, the state is one-time (the module's
    // oidc.state_mismatch, spec "or state already used"): not the
    // verifier's, to be tested with the module.
    void testJ17TokenSubstitution() {
        Provider p = provider();
        assert_refused(p.verify(rs256(claims({{"aud", "\"another-client\""}}))), Status::jwt_audience_mismatch,
                       "an ID token for another client of the same provider");
        assert_refused(p.verify(rs256(claims({{"iss", "\"https://login.example.com/tenant-b/v2.0\""}}))),
                       Status::jwt_issuer_mismatch, "another tenant's token, same keys");
        assert_refused(p.verify(rs256(), "nonce-of-another-sign-in"), Status::jwt_invalid_claim,
                       "this client's token from another sign-in");
        assert_refused(p.verify(rs256(), ""), Status::jwt_invalid_claim, "no sign-in nonce to compare with");
        // A back-channel logout token (no nonce by definition, events) and an
        // RFC 9068 access token (aud the API, no nonce).
        std::string logout = claims({{"nonce", ""}, {"sid", "\"s-1\""},
                                     {"events", R"({"http://schemas.openid.net/event/backchannel-logout":{}})"}});
        assert_refused(p.verify(compact(rsa, R"({"alg":"RS256","kid":"r1","typ":"logout+jwt"})", logout)),
                       Status::jwt_invalid_claim, "a logout token (its typ)");
        assert_refused(p.verify(compact(rsa, R"({"alg":"RS256","kid":"r1"})", logout)), Status::jwt_missing_claim,
                       "a logout token without typ (no nonce)");
        std::string access = claims({{"nonce", ""}, {"aud", "\"https://api.example.com\""}, {"scope", "\"openid\""},
                                     {"client_id", "\"" + kClient + "\""}});
        assert_refused(p.verify(compact(rsa, R"({"alg":"RS256","kid":"r1","typ":"at+jwt"})", access)),
                       Status::jwt_invalid_claim, "an access token (its typ)");
        assert_refused(p.verify(compact(rsa, R"({"alg":"RS256","kid":"r1"})", access)), Status::jwt_audience_mismatch,
                       "an access token without typ (its aud)");
        // An access token whose claims would pass as an ID token (aud this
        // client, this sign-in's nonce): its typ alone refuses it.
        assert_refused(p.verify(compact(rsa, R"({"alg":"RS256","kid":"r1","typ":"application/at+jwt"})", claims())),
                       Status::jwt_invalid_claim, "an access token with ID token claims");
        CPPUNIT_ASSERT(p.verify(compact(rsa, R"({"alg":"RS256","kid":"r1","typ":"JWT"})", claims())).ok());
        // at_hash binds the ID token to the access token of the same answer.
        std::string at_hash = "\"" + oidc_half_hash(JwsAlg::RS256, "access-token-1") + "\"";
        std::string bound = rs256(claims({{"at_hash", at_hash}}));
        assert_accepted(p.verify(bound, kNonce, "access-token-1"), "its own access token");
        assert_refused(p.verify(bound, kNonce, "access-token-2"), Status::jwt_invalid_claim, "another access token");
        assert_refused(p.verify(rs256(claims({{"at_hash", "1"}})), kNonce, "access-token-1"), Status::jwt_invalid_claim,
                       "at_hash not a string");
    }

    // The Wycheproof checks above mean something only if a case the JWS
    // layer accepts gets past it: 378 (valid ES256) reaches the claims.
    void testWycheproofValidCaseReachesTheClaims() {
        auto r = wycheproof_id_token(378);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(r.error().detail, !refused_by_the_jws_layer(r));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OidcAttacksTest);
