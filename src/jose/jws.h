// Compact JWS (RFC 7515): verification against configured keys, and
// signing. Parse, key selection and signature are separate steps; claims
// are checked elsewhere (jose/claims.h), on the verified payload only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "jose/json.h"
#include "jose/jwk.h"

namespace hdsso {

struct VerifiedJws {
    JsonPtr header;
    std::string payload;
    const JwsKey* key = nullptr;  // the key that verified it
};

class JwsVerifier {
public:
    static constexpr std::size_t kDefaultMaxToken = 16 * 1024;

    explicit JwsVerifier(std::vector<JwsKey> keys, std::size_t max_token = kDefaultMaxToken)
        : keys_(std::move(keys)), max_token_(max_token) {}

    // Checks, in order: size and shape; the header (strict JSON, a supported
    // alg, no unknown crit, no b64:false); key selection (a header kid picks
    // the configured keys with that kid, and keys configured without one;
    // the key's algorithm must be the header's); the
    // signature. jku, x5u, jwk and x5c in the header are never used.
    Result<VerifiedJws> verify(std::string_view token) const;

    const std::vector<JwsKey>& keys() const { return keys_; }

private:
    std::vector<JwsKey> keys_;
    std::size_t max_token_;
};

// Verifies one signature over `input` with `key` (the JWS signature format:
// raw r||s for ECDSA).
Result<void> jws_verify_signature(const JwsKey& key, std::string_view input, std::string_view signature);
// Signs `input`; the key must hold a private key or a secret.
Result<std::string> jws_sign_raw(const JwsKey& key, std::string_view input);

// A compact JWS of `payload` with the header {"alg":..,"typ":"JWT"[,"kid":..]}.
Result<std::string> jws_sign(const JwsKey& key, std::string_view payload);

}  // namespace hdsso
