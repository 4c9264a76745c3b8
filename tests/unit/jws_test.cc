// JWS verification and signing: Wycheproof JOSE vectors (see
// tests/vectors/wycheproof/NOTES.txt for the label corrections applied
// below), RFC 7520 / RFC 8037 examples, and sign-then-verify for every
// algorithm with every bit of the signature flipped and every truncation.
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <set>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "jose/base64url.h"
#include "jose/jws.h"
#include "test_keys.h"
#include "vectors.h"

using namespace hdsso;

namespace {

JsonObject load_json(const std::string& rel) {
    auto doc = JsonObject::parse(read_vector(rel), Status::internal, JsonLimits{4 * 1024 * 1024, 64});
    CPPUNIT_ASSERT_MESSAGE(rel, doc.ok());
    return std::move(doc.value());
}

std::string str(const JsonObject& o, const char* k) { return std::string(o.string(k).value_or("")); }
std::string str(const std::optional<JsonObject>& o, const char* k) {
    return o ? str(*o, k) : std::string();
}

// A signing key of the algorithm's kind.
JwsKey fresh_key(JwsAlg alg) {
    if (is_hmac(alg)) return secret_to_key(SecretString(std::string(64, 'k')), alg, "k1").value();
    JwsKey key;
    key.kid = "k1";
    key.alg = alg;
    key.pkey = test::generate_key(alg);
    CPPUNIT_ASSERT(key.pkey);
    key.has_private = true;
    return key;
}

}  // namespace

class JwsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(JwsTest);
    CPPUNIT_TEST(testBase64urlStrict);
    CPPUNIT_TEST(testWycheproofJwsVectors);
    CPPUNIT_TEST(testRfc7520CompactExamplesVerify);
    CPPUNIT_TEST(testRfc8037Ed25519ExampleVerifies);
    CPPUNIT_TEST(testRfc7797UnencodedPayloadRejected);
    CPPUNIT_TEST(testSignThenVerifyEveryAlgorithm);
    CPPUNIT_TEST(testEveryBitFlipAndTruncationRejected);
    CPPUNIT_TEST(testAlgNoneRejected);
    CPPUNIT_TEST(testHeaderAlgMustMatchKeyAlg);
    CPPUNIT_TEST(testUnknownKidRejected);
    CPPUNIT_TEST(testEmbeddedJwkIgnored);
    CPPUNIT_TEST(testDuplicateHeaderMemberRejected);
    CPPUNIT_TEST(testWeakKeysRejected);
    CPPUNIT_TEST(testOneVerifierSharedByThreads);
    CPPUNIT_TEST_SUITE_END();

public:
    void testBase64urlStrict() {
        CPPUNIT_ASSERT_EQUAL(std::string("foo"), base64url_decode("Zm9v").value());
        CPPUNIT_ASSERT_EQUAL(std::string("f"), base64url_decode("Zg").value());
        for (const char* bad : {"Zm9v=", "Zg==", "Zm9v\n", "Zm+v", "Zm/v", "Zh", "Z", "Zm9 v"})
            CPPUNIT_ASSERT_MESSAGE(bad, !base64url_decode(bad).ok());
    }

    void testWycheproofJwsVectors() {
        JsonObject doc = load_json("wycheproof/json_web_signature_test.json");
        // NOTES.txt: 372/373 carry the MAC of the unmodified input (really
        // invalid); 346/347/350/351 bind header alg to a JWK alg that
        // differs, 367/370 duplicate the valid 357: acceptable either way.
        const std::set<int> really_invalid = {372, 373};
        const std::set<int> acceptable = {346, 347, 350, 351, 367, 370};
        int accepted_valid = 0, rejected_invalid = 0, acceptable_count = 0;
        std::string mismatches;
        const std::vector<JsonObject> groups = doc.objects("testGroups").value();
        for (const JsonObject& group : groups) {
            auto jwk = group.object("public");
            if (!jwk) jwk = group.object("private");
            CPPUNIT_ASSERT(jwk);
            auto key = jwk_to_key(*jwk, std::nullopt);
            const std::vector<JsonObject> cases = group.objects("tests").value();
            for (const JsonObject& t : cases) {
                int id = static_cast<int>(t.int64("tcId").value_or(-1));
                std::string expected = str(t, "result");
                if (really_invalid.count(id)) expected = "invalid";
                if (acceptable.count(id)) expected = "acceptable";
                std::vector<std::string_view> flags;
                (void)t.strings("flags", flags);
                bool json_serialization =
                    std::find(flags.begin(), flags.end(), std::string_view("JsonSerialization")) != flags.end();
                auto jws = t.string("jws");
                bool ok = false;
                if (key.ok() && jws) {
                    JwsVerifier v({key.value()});
                    ok = v.verify(*jws).ok();
                }
                if (expected == "acceptable") {
                    ++acceptable_count;
                } else if (expected == "valid" && !ok) {
                    // Only the JSON serialization is outside this verifier's scope.
                    if (json_serialization) ++acceptable_count;
                    else mismatches += " tcId " + std::to_string(id) + " (valid, rejected" +
                                       (key.ok() ? "" : ": key " + key.error().detail) + ")";
                } else if (expected == "invalid" && ok) {
                    mismatches += " tcId " + std::to_string(id) + " (invalid, accepted)";
                } else {
                    ++(ok ? accepted_valid : rejected_invalid);
                }
            }
        }
        std::cout << "\n  wycheproof JWS: " << accepted_valid << " valid accepted, " << rejected_invalid
                  << " invalid rejected, " << acceptable_count << " acceptable\n";
        CPPUNIT_ASSERT_EQUAL_MESSAGE(mismatches, std::string(), mismatches);
        CPPUNIT_ASSERT(accepted_valid >= 26);
        CPPUNIT_ASSERT(rejected_invalid >= 300);
    }

    void checkCookbook(const std::string& example, const std::string& key_file) {
        JsonObject ex = load_json("jose-cookbook-rfc7520/" + example);
        JsonObject input = ex.object("input").value();
        JsonObject jwk = key_file.empty() ? input.object("key").value() : load_json("jose-cookbook-rfc7520/" + key_file);
        auto alg = parse_jws_alg(str(input, "alg"));
        CPPUNIT_ASSERT(alg);
        auto key = jwk_to_key(jwk, *alg);
        CPPUNIT_ASSERT_MESSAGE(example + ": " + (key.ok() ? "" : key.error().detail), key.ok());
        JwsVerifier v({key.value()});
        auto r = v.verify(str(ex.object("output"), "compact"));
        CPPUNIT_ASSERT_MESSAGE(example + ": " + (r.ok() ? "" : r.error().detail), r.ok());
        CPPUNIT_ASSERT_EQUAL(str(input, "payload"), r.value().payload);
    }

    void testRfc7520CompactExamplesVerify() {
        checkCookbook("jws/4_1.rsa_v15_signature.json", "");
        checkCookbook("jws/4_2.rsa-pss_signature.json", "");
        checkCookbook("jws/4_3.ecdsa_signature.json", "");
        checkCookbook("jws/4_4.hmac-sha2_integrity_protection.json", "");
    }

    void testRfc8037Ed25519ExampleVerifies() { checkCookbook("curve25519/jws.json", ""); }

    // The cookbook's b64:false example has only the JSON serialization: its
    // compact detached form, and the same header over an encoded payload with
    // a valid MAC, are both refused for the b64 header itself.
    void testRfc7797UnencodedPayloadRejected() {
        JsonObject ex = load_json("jose-cookbook-rfc7520/rfc7797/4.2.hmac-sha2_b64_false.json");
        JsonObject input = ex.object("input").value();
        JsonObject signing = ex.object("signing").value();
        auto key = jwk_to_key(input.object("key").value(), JwsAlg::HS256);
        CPPUNIT_ASSERT(key.ok());
        std::string header = str(signing, "protected_b64u"), sig = str(signing, "sig");
        CPPUNIT_ASSERT(!header.empty() && !sig.empty());
        JwsVerifier v({key.value()});
        auto detached = v.verify(header + ".." + sig);
        CPPUNIT_ASSERT(!detached.ok());
        CPPUNIT_ASSERT_EQUAL(Status::jwt_unsupported, detached.error().code);
        std::string signing_input = header + "." + base64url_encode(str(input, "payload"));
        auto encoded = v.verify(signing_input + "." + base64url_encode(jws_sign_raw(key.value(), signing_input).value()));
        CPPUNIT_ASSERT(!encoded.ok());
        CPPUNIT_ASSERT_EQUAL(Status::jwt_unsupported, encoded.error().code);
    }

    void testSignThenVerifyEveryAlgorithm() {
        for (JwsAlg alg : {JwsAlg::HS256, JwsAlg::HS384, JwsAlg::HS512, JwsAlg::RS256, JwsAlg::RS384, JwsAlg::RS512,
                           JwsAlg::PS256, JwsAlg::PS384, JwsAlg::PS512, JwsAlg::ES256, JwsAlg::ES384, JwsAlg::ES512,
                           JwsAlg::EdDSA}) {
            JwsKey key = fresh_key(alg);
            auto token = jws_sign(key, "{\"sub\":\"jane\"}");
            CPPUNIT_ASSERT_MESSAGE(jws_alg_name(alg), token.ok());
            JwsVerifier v({key});
            auto r = v.verify(token.value());
            CPPUNIT_ASSERT_MESSAGE(std::string(jws_alg_name(alg)) + (r.ok() ? "" : ": " + r.error().detail), r.ok());
            CPPUNIT_ASSERT_EQUAL(std::string("{\"sub\":\"jane\"}"), r.value().payload);
        }
    }

    void testEveryBitFlipAndTruncationRejected() {
        for (JwsAlg alg : {JwsAlg::HS256, JwsAlg::RS256, JwsAlg::ES256, JwsAlg::EdDSA}) {
            JwsKey key = fresh_key(alg);
            std::string token = jws_sign(key, "{\"sub\":\"jane\"}").value();
            std::size_t dot = token.rfind('.');
            std::string input = token.substr(0, dot);
            std::string sig = base64url_decode(token.substr(dot + 1)).value();
            JwsVerifier v({key});
            for (std::size_t i = 0; i < sig.size() * 8; ++i) {
                std::string s = sig;
                s[i / 8] = static_cast<char>(s[i / 8] ^ (1 << (i % 8)));
                CPPUNIT_ASSERT(!v.verify(input + "." + base64url_encode(s)).ok());
            }
            for (std::size_t n = 0; n < sig.size(); ++n)
                CPPUNIT_ASSERT(!v.verify(input + "." + base64url_encode(sig.substr(0, n))).ok());
            // The same verifier keeps accepting the good token after all that
            // (prepared contexts are reused, never left in a bad state).
            for (int i = 0; i < 3; ++i) CPPUNIT_ASSERT(v.verify(token).ok());
        }
    }

    void testAlgNoneRejected() {
        JwsVerifier v({fresh_key(JwsAlg::HS256)});
        std::string token = base64url_encode("{\"alg\":\"none\"}") + "." + base64url_encode("{}") + ".";
        auto r = v.verify(token);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_EQUAL(Status::jwt_alg_not_allowed, r.error().code);
    }

    void testHeaderAlgMustMatchKeyAlg() {
        JwsKey hs = fresh_key(JwsAlg::HS256);
        JwsKey hs512 = secret_to_key(SecretString(std::string(64, 'k')), JwsAlg::HS512, "k1").value();
        JwsVerifier v({hs});
        auto r = v.verify(jws_sign(hs512, "{}").value());
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_EQUAL(Status::jwt_alg_not_allowed, r.error().code);
    }

    void testUnknownKidRejected() {
        JwsKey a = fresh_key(JwsAlg::HS256), b = a;
        b.kid = "other";
        JwsVerifier v({b});
        auto r = v.verify(jws_sign(a, "{}").value());
        CPPUNIT_ASSERT_EQUAL(Status::jwt_unknown_kid, r.error().code);
    }

    // ATTACKS.md: a key embedded in the header is never used.
    void testEmbeddedJwkIgnored() {
        JwsKey attacker = fresh_key(JwsAlg::ES256), trusted = fresh_key(JwsAlg::ES256);
        std::string header = "{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\"},\"kid\":\"k1\"}";
        std::string input = base64url_encode(header) + "." + base64url_encode("{}");
        std::string token = input + "." + base64url_encode(jws_sign_raw(attacker, input).value());
        JwsVerifier v({trusted});
        CPPUNIT_ASSERT_EQUAL(Status::jwt_bad_signature, v.verify(token).error().code);
    }

    void testDuplicateHeaderMemberRejected() {
        JwsKey key = fresh_key(JwsAlg::HS256);
        std::string header = "{\"alg\":\"HS256\",\"alg\":\"HS256\"}";
        std::string input = base64url_encode(header) + "." + base64url_encode("{}");
        std::string token = input + "." + base64url_encode(jws_sign_raw(key, input).value());
        JwsVerifier v({key});
        CPPUNIT_ASSERT_EQUAL(Status::jwt_malformed, v.verify(token).error().code);
    }

    void testWeakKeysRejected() {
        CPPUNIT_ASSERT(!secret_to_key(SecretString(std::string(31, 'k')), JwsAlg::HS256).ok());
        CPPUNIT_ASSERT(!secret_to_key(SecretString(std::string(63, 'k')), JwsAlg::HS512).ok());
        CPPUNIT_ASSERT(!pem_to_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", JwsAlg::RS256).ok());
        // RSA under 2048 bits, and a key of the wrong type for the algorithm.
        auto pem_of = [](EVP_PKEY* k) {
            std::string pem = test::pem_public(k);
            EVP_PKEY_free(k);
            return pem;
        };
        std::string rsa1024 = pem_of(EVP_RSA_gen(1024));
        auto r = pem_to_key(rsa1024, JwsAlg::RS256);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT(r.error().detail.find("2048") != std::string::npos);
        std::string p256 = pem_of(EVP_EC_gen("P-256"));
        CPPUNIT_ASSERT(pem_to_key(p256, JwsAlg::ES256).ok());
        CPPUNIT_ASSERT(!pem_to_key(p256, JwsAlg::ES384).ok());
        CPPUNIT_ASSERT(!pem_to_key(p256, JwsAlg::RS256).ok());
        CPPUNIT_ASSERT(!pem_to_key(p256, JwsAlg::HS256).ok());
    }

    // As in Apache's threaded MPMs: one verifier (prepared contexts, header
    // cache) used by several threads at once. Bounded: 4 threads x 300 tokens.
    void testOneVerifierSharedByThreads() {
        for (JwsAlg alg : {JwsAlg::HS256, JwsAlg::RS256, JwsAlg::ES256}) {
            JwsKey key = fresh_key(alg);
            JwsKey other = is_hmac(alg) ? secret_to_key(SecretString(std::string(64, 'x')), alg, "k1").value()
                                        : fresh_key(alg);  // fresh_key's secret is fixed
            JwsVerifier v({key});
            std::vector<std::string> good, bad;
            for (int i = 0; i < 20; ++i) {
                good.push_back(jws_sign(key, "{\"n\":" + std::to_string(i) + "}").value());
                bad.push_back(jws_sign(other, "{\"n\":" + std::to_string(i) + "}").value());
            }
            std::atomic<int> wrong{0};
            std::vector<std::thread> threads;
            for (int t = 0; t < 4; ++t)
                threads.emplace_back([&, t] {
                    for (int i = 0; i < 300; ++i) {
                        std::size_t k = static_cast<std::size_t>(i * 7 + t) % good.size();
                        if (!v.verify(good[k]).ok()) ++wrong;
                        if (i % 3 == 0 && v.verify(bad[k]).ok()) ++wrong;
                    }
                });
            for (auto& th : threads) th.join();
            CPPUNIT_ASSERT_EQUAL_MESSAGE(jws_alg_name(alg), 0, wrong.load());
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JwsTest);
