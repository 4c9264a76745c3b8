// Key loading: every case of Wycheproof's json_web_key_test.json (a key set
// and a JWS: "valid" means the set loads and the JWS verifies, "invalid"
// that one of the two fails), and the rules of key sets.
#include <cppunit/extensions/HelperMacros.h>

#include <iostream>


#include "core/crypto.h"
#include "jose/jws.h"
#include "jose/key_source.h"
#include "test_keys.h"
#include "vectors.h"

using namespace hdsso;

namespace {

constexpr const char* kEcPub =
    R"("kty":"EC","crv":"P-256","x":"04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY","y":"UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgmw")";
constexpr const char* kOct = R"("kty":"oct","k":"-ebuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE")";

std::string jwk(const std::string& members) { return "{" + members + "}"; }
std::string set(std::initializer_list<std::string> keys) {
    std::string s = "{\"keys\":[";
    for (const auto& k : keys) s += (s.back() == '[' ? "" : ",") + k;
    return s + "]}";
}

}  // namespace

class KeySourceTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(KeySourceTest);
    CPPUNIT_TEST(testWycheproofJwkVectors);
    CPPUNIT_TEST(testPrivateKeyOfAnotherPublicKeyRefused);
    CPPUNIT_TEST(testEncryptionKeysInASetArePassedOver);
    CPPUNIT_TEST(testDuplicateKidRefused);
    CPPUNIT_TEST(testMixedSecretAndPublicRefused);
    CPPUNIT_TEST(testAllowedAlgorithmsFilterTheSet);
    CPPUNIT_TEST(testJwkWithoutAlgGetsEachFittingAlgorithm);
    CPPUNIT_TEST(testLoneJwkMustBeUsable);
    CPPUNIT_TEST(testSecretNeedsHmacAlgorithms);
    CPPUNIT_TEST(testShortEcCoordinateIsPadded);
    CPPUNIT_TEST(testThumbprintRfc7638);
    CPPUNIT_TEST(testThumbprintRfc8037);
    CPPUNIT_TEST(testThumbprintOfPemEqualsJwk);
    CPPUNIT_TEST_SUITE_END();

public:
    // RFC 7638 §3.1: the example RSA key and its thumbprint.
    void testThumbprintRfc7638() {
        auto doc = JsonObject::parse(
            R"({"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"})",
            Status::jwt_key_invalid);
        CPPUNIT_ASSERT(doc.ok());
        auto key = jwk_to_key(doc.value(), std::nullopt);
        CPPUNIT_ASSERT(key.ok());
        auto tp = jwk_thumbprint(key.value());
        CPPUNIT_ASSERT(tp.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"), tp.value());
    }

    // RFC 8037 A.3: the Ed25519 key's thumbprint.
    void testThumbprintRfc8037() {
        auto doc = JsonObject::parse(R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})",
                                     Status::jwt_key_invalid);
        CPPUNIT_ASSERT(doc.ok());
        auto key = jwk_to_key(doc.value(), JwsAlg::EdDSA);
        CPPUNIT_ASSERT(key.ok());
        auto tp = jwk_thumbprint(key.value());
        CPPUNIT_ASSERT(tp.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"), tp.value());
    }

    // The same key read from a JWK, a PEM public key and a shared secret's
    // JWK: one thumbprint per key, different keys differ; EC coordinates
    // keep their full length.
    void testThumbprintOfPemEqualsJwk() {
        auto ec = keys_from_text(jwk(kEcPub), {JwsAlg::ES256});
        CPPUNIT_ASSERT(ec.ok());
        auto ec_tp = jwk_thumbprint(ec.value().front());
        CPPUNIT_ASSERT(ec_tp.ok());
        std::string expected = base64url_encode(sha256(
            R"({"crv":"P-256","kty":"EC","x":"04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY","y":"UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgmw"})"));
        CPPUNIT_ASSERT_EQUAL(expected, ec_tp.value());
        auto pem = keys_from_text(test::pem_public(ec.value().front().pkey.get()), {JwsAlg::ES256});
        CPPUNIT_ASSERT(pem.ok());
        CPPUNIT_ASSERT_EQUAL(expected, jwk_thumbprint(pem.value().front()).value());
        auto oct = keys_from_text(jwk(kOct), {JwsAlg::HS256});
        CPPUNIT_ASSERT(oct.ok());
        CPPUNIT_ASSERT_EQUAL(base64url_encode(sha256(R"({"k":"-ebuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE","kty":"oct"})")),
                             jwk_thumbprint(oct.value().front()).value());
    }

    // Found by CI: python3-jwt 2.6 (Debian 12) writes EC coordinates without
    // their leading zero bytes, one key in 128. Such a JWK names the same
    // point as the full-length one; longer or empty coordinates stay refused.
    void testShortEcCoordinateIsPadded() {
        auto load = [](const std::string& x) {
            auto doc = JsonObject::parse(R"({"kty":"EC","crv":"P-256","x":")" + x +
                                             R"(","y":"gf1j-NPQvzf__VpVI6DDsS0MW5XnGijGZEdGCzsoMV4"})",
                                         Status::jwt_key_invalid);
            CPPUNIT_ASSERT(doc.ok());
            return jwk_to_key(doc.value(), JwsAlg::ES256);
        };
        auto short_x = load("HKFOqPupfSwGczIuUay7LmL973NFlEmUSLLTUyFLrQ");  // 31 bytes
        auto full_x = load("AByhTqj7qX0sBnMyLlGsuy5i_e9zRZRJlEiy01MhS60");  // the same, 32
        CPPUNIT_ASSERT_MESSAGE(short_x.ok() ? "" : short_x.error().detail, short_x.ok());
        CPPUNIT_ASSERT(full_x.ok());
        CPPUNIT_ASSERT_EQUAL(1, EVP_PKEY_eq(short_x.value().pkey.get(), full_x.value().pkey.get()));
        auto too_long = load("AAAcoU6o-6l9LAZzMi5RrLsuYv3vc0WUSZRIstNTIUut");  // 33 bytes
        CPPUNIT_ASSERT(!too_long.ok());
        CPPUNIT_ASSERT_EQUAL(Status::jwt_key_invalid, too_long.error().code);
        auto empty = load("");
        CPPUNIT_ASSERT(!empty.ok());
    }
    // Found by tests/fuzz/fuzz_jwk: a private JWK whose "d" is not the
    // private half of its public key loaded, and signed tokens that did not
    // verify. The RFC 7520 keys, with d altered (the RSA one without CRT
    // parameters, which are checked against n otherwise).
    void testPrivateKeyOfAnotherPublicKeyRefused() {
        for (const char* file : {"jose-cookbook-rfc7520/jwk/3_4.rsa_private_key.json",
                                 "jose-cookbook-rfc7520/jwk/3_2.ec_private_key.json"}) {
            auto doc = JsonObject::parse(read_vector(file), Status::jwt_key_invalid);
            CPPUNIT_ASSERT(doc.ok());
            auto rebuild = [&](bool alter) {
                JsonWriter w;
                w.begin_object();
                for (const auto& [name, value] : doc.value().members_json()) {
                    if (name == "p" || name == "q" || name == "dp" || name == "dq" || name == "qi") continue;
                    std::string v = value;
                    if (alter && name == "d") v[5] = v[5] == 'A' ? 'B' : 'A';
                    w.key(name).raw(v);
                }
                w.end_object();
                return JsonObject::parse(w.text(), Status::jwt_key_invalid).value();
            };
            std::optional<JwsAlg> alg = std::string(file).find("rsa") != std::string::npos ? JwsAlg::RS256 : JwsAlg::ES512;
            auto good = jwk_to_key(rebuild(false), alg);
            CPPUNIT_ASSERT_MESSAGE(std::string(file) + (good.ok() ? "" : ": " + good.error().detail), good.ok());
            CPPUNIT_ASSERT(good.value().has_private);
            auto bad = jwk_to_key(rebuild(true), alg);
            CPPUNIT_ASSERT_MESSAGE(file, !bad.ok());
            CPPUNIT_ASSERT_EQUAL(Status::jwt_key_invalid, bad.error().code);
        }
    }
    void testWycheproofJwkVectors() {
        auto doc = JsonObject::parse(read_vector("wycheproof/json_web_key_test.json"), Status::internal,
                                     JsonLimits{1 << 20, 64});
        CPPUNIT_ASSERT(doc.ok());
        int valid = 0, invalid = 0;
        std::string mismatches;
        const std::vector<JsonObject> groups = doc.value().objects("testGroups").value();
        for (const JsonObject& group : groups) {
            auto keyset = group.object("public");
            if (!keyset) keyset = group.object("private");
            CPPUNIT_ASSERT(keyset);
            auto keys = keys_from_jwks(keyset->json(), {});
            const std::vector<JsonObject> cases = group.objects("tests").value();
            for (const JsonObject& t : cases) {
                int id = static_cast<int>(t.int64("tcId").value_or(-1));
                std::string expected(t.string("result").value_or(""));
                bool ok = keys.ok() && JwsVerifier(keys.value()).verify(t.string("jws").value_or("")).ok();
                if (expected == "valid" && !ok)
                    mismatches += " tcId " + std::to_string(id) + " (valid, rejected: " +
                                  (keys.ok() ? "signature" : keys.error().detail) + ")";
                else if (expected == "invalid" && ok)
                    mismatches += " tcId " + std::to_string(id) + " (invalid, accepted)";
                else
                    ++(ok ? valid : invalid);
            }
        }
        std::cout << "\n  wycheproof JWK: " << valid << " valid accepted, " << invalid << " invalid rejected\n";
        CPPUNIT_ASSERT_EQUAL_MESSAGE(mismatches, std::string(), mismatches);
        CPPUNIT_ASSERT(valid >= 5);
        CPPUNIT_ASSERT(invalid >= 20);
    }

    void testEncryptionKeysInASetArePassedOver() {
        // As Keycloak publishes them: a signing key and an encryption key.
        auto keys = keys_from_jwks(set({jwk(std::string(kEcPub) + R"(,"kid":"s","alg":"ES256","use":"sig")"),
                                        jwk(std::string(kEcPub) + R"(,"kid":"e","alg":"ECDH-ES","use":"enc")")}),
                                   {JwsAlg::ES256});
        CPPUNIT_ASSERT(keys.ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), keys.value().size());
        CPPUNIT_ASSERT_EQUAL(std::string("s"), keys.value()[0].kid);
        // Only encryption keys: nothing to verify with.
        auto none = keys_from_jwks(set({jwk(std::string(kEcPub) + R"(,"kid":"e","use":"enc")")}), {JwsAlg::ES256});
        CPPUNIT_ASSERT(!none.ok());
        CPPUNIT_ASSERT(none.error().code == Status::jwt_key_invalid);
    }

    void testDuplicateKidRefused() {
        auto r = keys_from_jwks(set({jwk(std::string(kEcPub) + R"(,"kid":"a","alg":"ES256")"),
                                     jwk(std::string(kEcPub) + R"(,"kid":"a","alg":"ES256")")}),
                                {});
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT(r.error().detail.find("twice") != std::string::npos);
    }

    void testMixedSecretAndPublicRefused() {
        auto r = keys_from_jwks(set({jwk(std::string(kOct) + R"(,"kid":"h","alg":"HS256")"),
                                     jwk(std::string(kEcPub) + R"(,"kid":"e","alg":"ES256")")}),
                                {});
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT(r.error().detail.find("mixes") != std::string::npos);
    }

    void testAllowedAlgorithmsFilterTheSet() {
        std::string text = set({jwk(std::string(kEcPub) + R"(,"kid":"e","alg":"ES256")")});
        CPPUNIT_ASSERT(!keys_from_jwks(text, {JwsAlg::RS256}).ok());
        CPPUNIT_ASSERT(keys_from_jwks(text, {JwsAlg::RS256, JwsAlg::ES256}).ok());
    }

    void testJwkWithoutAlgGetsEachFittingAlgorithm() {
        auto keys = keys_from_jwks(set({jwk(std::string(kEcPub) + R"(,"kid":"e")")}),
                                   {JwsAlg::ES256, JwsAlg::ES384, JwsAlg::RS256});
        CPPUNIT_ASSERT(keys.ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), keys.value().size());  // P-256: ES256 only
        CPPUNIT_ASSERT(keys.value()[0].alg == JwsAlg::ES256);
        CPPUNIT_ASSERT(!keys_from_jwks(set({jwk(std::string(kEcPub) + R"(,"kid":"e")")}), {}).ok());
    }

    void testLoneJwkMustBeUsable() {
        CPPUNIT_ASSERT(!keys_from_jwks(jwk(std::string(kEcPub) + R"(,"use":"enc","alg":"ES256")"), {}).ok());
        CPPUNIT_ASSERT(!keys_from_jwks(jwk(std::string(kEcPub)), {JwsAlg::RS256}).ok());
        CPPUNIT_ASSERT(!keys_from_jwks(jwk(std::string(kEcPub) + R"(,"alg":"ES256")"), {JwsAlg::RS256}).ok());
        CPPUNIT_ASSERT(keys_from_jwks(jwk(std::string(kEcPub)), {JwsAlg::ES256}).ok());
    }

    void testSecretNeedsHmacAlgorithms() {
        std::string secret(48, 's');
        CPPUNIT_ASSERT(keys_from_text(secret, {JwsAlg::HS256, JwsAlg::HS384}).ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), keys_from_text(secret, {JwsAlg::HS256, JwsAlg::HS384}).value().size());
        CPPUNIT_ASSERT(!keys_from_text(secret, {JwsAlg::HS512}).ok());  // 48 bytes < 64
        CPPUNIT_ASSERT(!keys_from_text(secret, {JwsAlg::RS256}).ok());
        CPPUNIT_ASSERT(!keys_from_text(secret, {}).ok());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(KeySourceTest);
