// OpenID Connect provider metadata (OpenID Connect Discovery 1.0): what a
// site trusts of the document at ISSUER/.well-known/openid-configuration.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "jose/jwk.h"

namespace hdsso {

struct OidcProvider {
    std::string issuer;
    std::string authorization_endpoint;
    std::string token_endpoint;
    std::string jwks_uri;
    std::string userinfo_endpoint;     // optional
    std::string end_session_endpoint;  // optional (RP-initiated logout)
    // The ID token algorithms it lists that this project verifies ("none",
    // HS* and unknown names dropped); RS256 when it lists none (Discovery §3).
    std::vector<JwsAlg> id_token_algs;
    bool form_post = false;  // response_modes_supported has form_post
    // RFC 9207: it names itself (iss) in every authorization response.
    bool iss_parameter = false;
};

// The discovery document, checked: strict JSON; `issuer` exactly
// `expected_issuer` (Discovery §4.3: no trailing-slash or case folding), or
// an Entra ID multi-tenant template of it (then `issuer` keeps the
// placeholder, and each token's iss must be the template filled with the
// token's own tid);
// authorization, token and JWKS endpoints present and https (http only on a
// loopback host when `allow_loopback_http`, for tests); the optional
// endpoints too when present; PKCE S256 among code_challenge_methods_supported
// when the provider lists methods; "code" among response_types_supported
// (required).
// oidc.discovery with the reason otherwise.
Result<OidcProvider> parse_discovery(std::string_view json, const std::string& expected_issuer,
                                     bool allow_loopback_http = false);

// Entra ID's multi-tenant issuer template ("{tenantid}" where each tenant's
// ID goes).
constexpr std::string_view kTenantPlaceholder = "{tenantid}";
bool issuer_has_tenant(std::string_view issuer);
// Whether `issuer` is `tmpl` with one tenant segment (letters, digits, '-'
// and '.', at most 64) where the placeholder is: that of `tenant` unless
// `any_segment` (the configured issuer, e.g. .../organizations/v2.0).
bool tenant_issuer_matches(std::string_view tmpl, std::string_view issuer, bool any_segment,
                           std::string_view tenant = {});

// The discovery URL of an issuer: ISSUER + "/.well-known/openid-configuration"
// (one slash between them).
std::string discovery_url(const std::string& issuer);

}  // namespace hdsso
