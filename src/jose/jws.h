// Compact JWS (RFC 7515): verification against configured keys, and
// signing. Parse, key selection and signature are separate steps; claims
// are checked elsewhere (jose/claims.h), on the verified payload only.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jose/json.h"
#include "jose/jwk.h"

namespace hdsso {

struct VerifiedJws {
    std::string payload;
    const JwsKey* key = nullptr;  // the key that verified it
};

class JwsVerifier {
public:
    static constexpr std::size_t kDefaultMaxToken = 16 * 1024;

    // Prepares every key for verification (see prepare_verification).
    explicit JwsVerifier(std::vector<JwsKey> keys, std::size_t max_token = kDefaultMaxToken);

    // Checks, in order: size and shape; the header (strict JSON, a supported
    // alg, no unknown crit, no b64:false); key selection (a header kid picks
    // the configured keys with that kid, and keys configured without one;
    // the key's algorithm must be the header's); the
    // signature. jku, x5u, jwk and x5c in the header are never used.
    // Tokens from one issuer share their header: the outcome of the header
    // checks is remembered for the last few distinct headers (exact bytes).
    Result<VerifiedJws> verify(std::string_view token) const;

    const std::vector<JwsKey>& keys() const { return keys_; }

    struct Header {
        JwsAlg alg;
        bool has_kid = false;
        std::string kid;
    };

private:
    struct HeaderCache;
    Result<Header> header(std::string_view h64) const;

    std::vector<JwsKey> keys_;
    std::size_t max_token_;
    std::shared_ptr<HeaderCache> cache_;
};

// Sets up key.verify_ctx / key.mac_ctx; verification falls back to a full
// set-up per call when this was not done or failed.
void prepare_verification(JwsKey& key);

// Verifies one signature over `input` with `key` (the JWS signature format:
// raw r||s for ECDSA).
Result<void> jws_verify_signature(const JwsKey& key, std::string_view input, std::string_view signature);
// Signs `input`; the key must hold a private key or a secret.
Result<std::string> jws_sign_raw(const JwsKey& key, std::string_view input);

// A compact JWS of `payload` with the header {"alg":..,"typ":"JWT"[,"kid":..]}.
Result<std::string> jws_sign(const JwsKey& key, std::string_view payload);

}  // namespace hdsso
