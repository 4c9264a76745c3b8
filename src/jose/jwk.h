// JOSE signing keys: JWK, JWK sets, PEM and shared secrets. The algorithm
// is fixed per key when it is configured; a token's header only selects
// among configured keys (by kid) and must name that key's algorithm.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

#include "core/crypto.h"
#include "jose/json.h"

namespace hdsso {

enum class JwsAlg { HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA };

std::optional<JwsAlg> parse_jws_alg(std::string_view name);
const char* jws_alg_name(JwsAlg a);
bool is_hmac(JwsAlg a);

struct JwsKey {
    std::string kid;
    JwsAlg alg = JwsAlg::HS256;
    std::shared_ptr<EVP_PKEY> pkey;  // RSA, EC, Ed25519
    SecretString secret;             // HS*
    bool has_private = false;
    // Verification set up once (digest, padding, HMAC key schedule) by
    // prepare_verification(); each verification works on a copy, so a key
    // can be shared between threads.
    std::shared_ptr<EVP_MD_CTX> verify_ctx;
    std::shared_ptr<EVP_MAC_CTX> mac_ctx;
    std::uint64_t mac_id = 0;  // names mac_ctx in per-thread caches; never reused
};

// A single JWK (object). `alg`: the configured algorithm; when the JWK has
// its own "alg" the two must agree, and one of them must be given.
Result<JwsKey> jwk_to_key(const JsonObject& jwk, std::optional<JwsAlg> alg);
// A PEM public key, certificate or private key.
Result<JwsKey> pem_to_key(std::string_view pem, JwsAlg alg, std::string kid = {});
// A shared secret for HS*: at least as long as the hash output.
Result<JwsKey> secret_to_key(SecretString secret, JwsAlg alg, std::string kid = {});
// The key's RFC 7638 JWK thumbprint (base64url of SHA-256 over its
// required members): the kid this project gives a signing key that has none.
Result<std::string> jwk_thumbprint(const JwsKey& key);

}  // namespace hdsso
