// JWK / JWK set / PEM / secret key loading (src/jose/jwk, key_source): what
// an administrator's key file or an IdP's published JWKS holds. Input: two
// bytes of allowed-algorithm mask (13 bits; none set: no algorithm
// configured), one byte of mode (0 keys_from_text, 1 keys_from_jwks,
// 2 jwk_to_key on a lone JWK), then the text.
// Invariants: every key has an allowed algorithm; a shared secret serves
// only HS* and is at least as long as the hash; a public key's type fits its
// algorithm and RSA has at least 2048 bits; every key that can sign (secret
// or private key) signs a token that a verifier holding just that key
// accepts with the same payload.
#include "fuzz_common.h"

#include <algorithm>

#include <openssl/evp.h>

#include "jose/jws.h"
#include "jose/key_source.h"

using namespace hdsso;

namespace {

constexpr JwsAlg kAll[] = {JwsAlg::HS256, JwsAlg::HS384, JwsAlg::HS512, JwsAlg::RS256, JwsAlg::RS384,
                           JwsAlg::RS512, JwsAlg::PS256, JwsAlg::PS384, JwsAlg::PS512, JwsAlg::ES256,
                           JwsAlg::ES384, JwsAlg::ES512, JwsAlg::EdDSA};

void check_key(const JwsKey& k, const std::vector<JwsAlg>& algs) {
    FUZZ_CHECK(algs.empty() || std::find(algs.begin(), algs.end(), k.alg) != algs.end(),
               std::string("a key for a disallowed algorithm: ") + jws_alg_name(k.alg));
    if (is_hmac(k.alg)) {
        std::size_t min = k.alg == JwsAlg::HS256 ? 32 : k.alg == JwsAlg::HS384 ? 48 : 64;
        FUZZ_CHECK(!k.pkey, "an HS* key with a public key");
        FUZZ_CHECK(k.secret.size() >= min, "a shared secret shorter than the hash");
    } else {
        FUZZ_CHECK(k.pkey != nullptr, "a public-key algorithm without a key");
        FUZZ_CHECK(k.secret.empty(), "a public key with a secret");
        int id = EVP_PKEY_get_base_id(k.pkey.get());
        switch (k.alg) {
        case JwsAlg::ES256: case JwsAlg::ES384: case JwsAlg::ES512: FUZZ_CHECK(id == EVP_PKEY_EC, "ES* without EC"); break;
        case JwsAlg::EdDSA: FUZZ_CHECK(id == EVP_PKEY_ED25519, "EdDSA without Ed25519"); break;
        default:
            FUZZ_CHECK(id == EVP_PKEY_RSA, "RS*/PS* without RSA");
            FUZZ_CHECK(EVP_PKEY_get_bits(k.pkey.get()) >= 2048, "an RSA key under 2048 bits");
        }
    }
    bool can_sign = is_hmac(k.alg) || k.has_private;
    // Keep the harness fast: no signing with huge RSA keys.
    if (can_sign && k.pkey && EVP_PKEY_get_bits(k.pkey.get()) > 4096) can_sign = false;
    if (!can_sign) return;
    auto token = jws_sign(k, "{\"sub\":\"fuzz\"}");
    FUZZ_CHECK(token.ok(), "a key that holds a secret or private key does not sign: " +
                               (token.ok() ? std::string() : token.error().detail));
    JwsVerifier v({k});
    auto r = v.verify(token.value());
    FUZZ_CHECK(r.ok(), "a key does not verify its own signature: " + (r.ok() ? std::string() : r.error().detail));
    FUZZ_CHECK(r.value().payload == "{\"sub\":\"fuzz\"}", "the payload changed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    unsigned mask = in.byte();
    mask = mask << 8 | in.byte();
    std::vector<JwsAlg> algs;
    for (int i = 0; i < 13; ++i)
        if (mask & (1u << i)) algs.push_back(kAll[i]);
    std::uint8_t mode = in.byte() % 3;
    std::string_view text = in.rest();
    if (mode == 0 || mode == 1) {
        auto keys = mode == 0 ? keys_from_text(text, algs) : keys_from_jwks(text, algs);
        if (!keys) return 0;
        FUZZ_CHECK(!keys.value().empty(), "success with no key");
        for (const auto& k : keys.value()) check_key(k, algs);
        return 0;
    }
    auto obj = JsonObject::parse(text, Status::jwt_key_invalid);
    if (!obj) return 0;
    std::optional<JwsAlg> alg;
    if (!algs.empty()) alg = algs[mask % algs.size()];
    auto k = jwk_to_key(obj.value(), alg);
    if (!k) return 0;
    if (alg) FUZZ_CHECK(k.value().alg == *alg, "jwk_to_key chose another algorithm than configured");
    check_key(k.value(), {});
    return 0;
}
