// OpenID Connect: the pieces of the authorization code flow that need no
// network: PKCE (RFC 7636) and the ID token checks (OpenID Connect Core 1.0
// §3.1.3.7), on the JOSE core.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "jose/json.h"
#include "jose/jws.h"

namespace hdsso {

struct Pkce {
    std::string verifier;   // 43 characters of base64url (32 random bytes)
    std::string challenge;  // BASE64URL(SHA-256(verifier)), method S256
};
Result<Pkce> make_pkce();
std::string pkce_s256(std::string_view verifier);

struct IdTokenPolicy {
    std::string issuer;              // exact
    std::string client_id;           // must be in aud (and be azp)
    std::vector<JwsAlg> algs;        // the provider's, from its metadata; never none
    std::int64_t leeway = 60;        // seconds, for exp, nbf and iat
    std::int64_t max_age = 0;        // iat no older than this (0: no limit)
};

// The ID token's claims when, in order: the JWS verifies with one of `keys`
// under an algorithm in `p.algs` (never "none", never a shared secret
// confused with a public key: the JOSE core pins each key's algorithm);
// iss is p.issuer; aud contains p.client_id, and azp (required with several
// audiences) is p.client_id; exp, iat and sub are present, exp/nbf/iat within
// the leeway; nonce equals `nonce` (an empty `nonce` refuses every token);
// the header's typ is not another kind of token; and, when `access_token` is not empty and
// the token has at_hash, at_hash is the left half of the access token's
// hash under the token's algorithm. oidc.bad_id_token otherwise, its detail
// starting with the JOSE error's name (jwt.expired: ...).
Result<JsonObject> verify_id_token(const JwsVerifier& keys, std::string_view token, const IdTokenPolicy& p,
                                   std::string_view nonce, std::string_view access_token, std::int64_t now);

// RFC 8725 §3.11: a token whose header typ says it is another kind (an
// access token, at+jwt; a logout token, logout+jwt; a security event) is
// not taken for `what` even when its claims would pass. Absent typ, or
// JWT, passes.
Result<void> check_token_type(std::string_view token, const char* what);
// The header's typ, lower case, without "application/"; "" when absent, "?"
// when it cannot be read (for a verified token's header, read again).
std::string token_type(std::string_view token);

// The issuer a token must name: `issuer` itself, or for an Entra ID
// multi-tenant template the template filled with the token's tid
// (jwt.missing_claim without tid, jwt.issuer_mismatch when iss is not that).
Result<std::string> expected_issuer(const std::string& issuer, const JsonObject& claims);

// What an ID token and a logout token share: the JWS verifies with one of
// `keys` under an algorithm in `p.algs`; `type_ok` accepts the header's
// typ; iss is the provider's (for a tenant template, the token's tenant's),
// aud contains the client, exp/nbf/iat within the leeway. The JOSE error
// otherwise (config.invalid for an incomplete policy).
struct ProviderToken {
    JsonObject claims;
    JwsAlg alg;
    std::string issuer;  // as the token names it
};
Result<ProviderToken> verify_provider_token(const JwsVerifier& keys, std::string_view token, const IdTokenPolicy& p,
                                            const std::function<Result<void>(std::string_view)>& type_ok,
                                            std::int64_t now);

// at_hash / c_hash: base64url of the left half of the hash of `value` that
// `alg` uses (SHA-256 for *256, SHA-384, SHA-512, and SHA-512 for EdDSA
// with Ed25519).
std::string oidc_half_hash(JwsAlg alg, std::string_view value);

}  // namespace hdsso
