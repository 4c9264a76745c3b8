// The module's endpoints under HelpdeskSSOEndpoint (default /sso), as one
// table: each leaf, the methods it takes, when a site serves it, and whether
// it is reachable without a session. The module answers only an exact match
// of a leaf (after Apache's own URI normalisation); every other path under
// the prefix is an ordinary protected path. A known leaf that a site does not
// serve is 404, a method not listed 405 with an Allow header from the same
// list. The module's dispatch switches on Endpoint and ServedWhen with no
// default, so an entry added here without a handler or a rule fails the build.
#pragma once

#include <string>
#include <string_view>

namespace hdsso {

enum class Endpoint {
    remote,
    jwt,
    login,
    logout,
    acs,
    slo,
    oidc,
    oidc_backchannel,
    metadata,
    diagnostics,
    metrics,
    deskpro,
    zendesk,
    kayako,
    freshworks,
    freshdesk,
};

enum class ServedWhen {
    always,       // every site with HelpdeskSSO On
    remote_auth,  // HelpdeskSSORemoteSecretFile
    jwt_keys,     // HelpdeskSSOJWTKeyFile or HelpdeskSSOJWTKeysURL
    saml,         // a SAML service provider on this virtual host
    oidc,         // an OpenID provider (HelpdeskSSOOIDCProvider) on this virtual host
    diagnostics,  // HelpdeskSSODiagnostics On
    metrics,      // HelpdeskSSOMetrics On
    broker,       // HelpdeskSSOBroker of the leaf's kind
};

// Method bits. HEAD is its own bit: Apache runs a HEAD as a GET with no body,
// so an endpoint that signs in, signs out or mints a token must not take it.
enum MethodBit : unsigned { kGet = 1u, kHead = 2u, kPost = 4u };

struct EndpointSpec {
    Endpoint id;
    const char* leaf;  // "/remote": exact, lower case
    unsigned methods;
    ServedWhen served;
    bool needs_session;  // false: reachable without signing in (the sign-in endpoints)
    const char* what;    // one line for `hdsso endpoints`
};

inline constexpr EndpointSpec kEndpoints[] = {
    {Endpoint::remote, "/remote", kGet, ServedWhen::remote_auth, false, "remote-authentication sign-in (Freshdesk-style link)"},
    {Endpoint::jwt, "/jwt", kGet | kPost, ServedWhen::jwt_keys, false, "sign-in with a JWT (id_token or jwt)"},
    {Endpoint::login, "/login", kGet, ServedWhen::always, false, "start a sign-in; the identity provider chooser"},
    {Endpoint::logout, "/logout", kGet | kPost, ServedWhen::always, false, "sign out (and single logout at a SAML or OpenID IdP)"},
    {Endpoint::acs, "/acs", kPost, ServedWhen::saml, false, "SAML assertion consumer service (HTTP-POST)"},
    {Endpoint::slo, "/slo", kGet, ServedWhen::saml, false, "SAML single logout (HTTP-Redirect)"},
    {Endpoint::oidc, "/oidc", kGet | kPost, ServedWhen::oidc, false, "OpenID Connect redirect URI (query or form_post)"},
    {Endpoint::oidc_backchannel, "/oidc-backchannel", kPost, ServedWhen::oidc, false, "OpenID Connect back-channel logout"},
    {Endpoint::metadata, "/metadata", kGet | kHead, ServedWhen::saml, false, "SAML service provider metadata"},
    {Endpoint::diagnostics, "/diagnostics", kGet, ServedWhen::diagnostics, true, "what the module knows of the signed-in user"},
    {Endpoint::metrics, "/metrics", kGet, ServedWhen::metrics, true, "counters for Prometheus (behind its own Require)"},
    {Endpoint::deskpro, "/deskpro", kGet, ServedWhen::broker, false, "sign the user into Deskpro (JWT)"},
    {Endpoint::zendesk, "/zendesk", kGet, ServedWhen::broker, false, "sign the user into Zendesk (JWT, POST form)"},
    {Endpoint::kayako, "/kayako", kGet, ServedWhen::broker, false, "sign the user into Kayako (JWT)"},
    {Endpoint::freshworks, "/freshworks", kGet, ServedWhen::broker, false, "sign the user into Freshworks (OIDC id_token)"},
    {Endpoint::freshdesk, "/freshdesk", kGet, ServedWhen::broker, false, "sign the user into Freshdesk (remote authentication)"},
};

// The entry whose leaf is exactly `leaf`, or null.
const EndpointSpec* find_endpoint(std::string_view leaf);
// The methods of a bit set, as an Allow header lists them: "GET, HEAD, POST".
std::string method_names(unsigned methods);
// The bit of a request method ("HEAD" is kHead), 0 for any other method.
unsigned method_bit(std::string_view method);
const char* served_when_name(ServedWhen w);

}  // namespace hdsso
