// OpenID Connect: the relying party's side of the authorization code flow,
// without the network: the authorization request, the token request (client
// secret or private_key_jwt), the token and userinfo answers, the identity
// made of the ID token's claims (claim presets, tenant and hosted-domain
// restrictions), back-channel logout tokens and the RP-initiated logout URL.
// The module (mod/oidc.cc) and `hdsso oidc` send what these build.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto.h"
#include "core/error.h"
#include "core/fetch.h"
#include "core/identity.h"
#include "jose/json.h"
#include "jose/jwk.h"
#include "jose/jwt_login.h"
#include "oidc/id_token.h"
#include "oidc/provider.h"

namespace hdsso {

enum class ClientAuth { secret_basic, secret_post, private_key_jwt };
std::optional<ClientAuth> parse_client_auth(std::string_view name);
const char* client_auth_name(ClientAuth a);

// Which claims carry the user, email, name and groups, by provider.
enum class ClaimPreset { generic, entra, okta, google };
std::optional<ClaimPreset> parse_claim_preset(std::string_view name);
const char* claim_preset_name(ClaimPreset p);
ClaimMapping preset_mapping(ClaimPreset p);

struct OidcClientSettings {
    std::string client_id;
    ClientAuth auth = ClientAuth::secret_basic;
    SecretString secret;                        // secret_basic / secret_post
    std::shared_ptr<const JwsKey> assertion_key;  // private_key_jwt: a private key with its alg and kid
    std::vector<std::string> scopes{"openid", "email", "profile"};
    ClaimPreset preset = ClaimPreset::generic;
    ClaimMapping mapping = preset_mapping(ClaimPreset::generic);
    std::vector<std::string> tenants;  // Entra: the tid must be one of these (empty: any)
    std::vector<std::string> domains;  // Google: the hd must be one of these (empty: any)
    bool userinfo = false;
    std::int64_t leeway = 60;
};

// The authorization request (Core §3.1.2.1 with PKCE S256): where the
// browser goes to sign in. response_mode=form_post is asked for when
// `form_post` and the provider offers it (the answer then comes as a
// cross-site POST, which carries the attempt's cookie only when that is
// SameSite=None; Secure).
std::string authorization_url(const OidcProvider& p, const OidcClientSettings& c, const std::string& redirect_uri,
                              const std::string& state, const std::string& nonce, const std::string& challenge,
                              bool form_post);

// The token request (Core §3.1.3.1): its form body and headers (the client's
// authentication: HTTP Basic, the secret in the form, or a client assertion
// signed with the client's key, RFC 7523, valid 60 s).
Result<HttpRequestParts> token_request(const OidcProvider& p, const OidcClientSettings& c, const std::string& code,
                                       const std::string& redirect_uri, const std::string& verifier,
                                       std::int64_t now);

struct TokenAnswer {
    std::string id_token;
    std::string access_token;  // "" when none came back
};
// The token endpoint's answer: 200 and JSON with an id_token (and a Bearer
// access token when any); oidc.token_endpoint naming the HTTP status and the
// OAuth error (invalid_grant for a code used twice) otherwise. No token is
// ever part of the detail.
Result<TokenAnswer> parse_token_answer(const HttpAnswer& a);

// The userinfo request (GET with the access token as Bearer).
HttpRequestParts userinfo_request(const std::string& access_token);
// The userinfo answer's claims: 200, JSON (a signed userinfo, application/jwt,
// is refused: this client does not ask for one), its sub equal to
// `id_token_sub` (Core §5.3.2). oidc.userinfo otherwise.
Result<JsonObject> parse_userinfo(const HttpAnswer& a, std::string_view id_token_sub);

// The identity the ID token's claims (and userinfo's, which add to them
// but never change sub) make under the client's mapping: oidc.claim_refused
// when a tenant or hosted domain restriction is not met, or the user claim
// is missing. `issuer` is recorded; name_id/session_index carry sub and sid
// for back-channel logout.
Result<Identity> oidc_identity(const JsonObject& id_token, const JsonObject* userinfo, const OidcClientSettings& c,
                               const std::string& issuer, std::int64_t now);

// A back-channel logout token (Back-Channel Logout 1.0 §2.6), verified like
// an ID token (signature, algorithm, iss, aud, iat, exp) and: the
// backchannel-logout event, sub or sid, no nonce, a jti. oidc.bad_logout_token
// otherwise.
struct LogoutNotice {
    std::string issuer;  // as the token names it (a tenant's, for a multi-tenant provider)
    std::string sub, sid, jti;
    std::int64_t expires = 0;  // until when its jti must be remembered
};
Result<LogoutNotice> verify_logout_token(const JwsVerifier& keys, std::string_view token, const IdTokenPolicy& p,
                                         std::int64_t now);

// RP-initiated logout (RP-Initiated Logout 1.0 §2): the provider's
// end_session_endpoint with id_token_hint, client_id,
// post_logout_redirect_uri and state; "" when the provider has none.
std::string end_session_url(const OidcProvider& p, const OidcClientSettings& c, const std::string& id_token,
                            const std::string& post_logout_uri, const std::string& state);

}  // namespace hdsso
