// The OpenID providers of this configuration (mod/oidc_provider.cc), for
// the relying party's endpoints (mod/oidc.cc): each HelpdeskSSOOIDCProvider
// with its client settings, discovery document and key set (loaded at
// configuration time from the backing files or the network, replaced whole
// by the child's refresh thread), and the one rate-limited refetch of a key
// set for an ID token naming an unknown kid.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "httpd.h"

#include "core/rate_gate.h"
#include "jose/jws.h"
#include "mod/url_refresh.h"
#include "oidc/client.h"
#include "oidc/provider.h"

namespace hdsso::mod {

// How long a discovery, key set, token or userinfo request may take.
constexpr int kOidcFetchSeconds = 10;

// One HelpdeskSSOOIDCProvider of a virtual host.
struct OidcSite {
    std::string name;
    server_rec* s = nullptr;
    std::string issuer;  // as configured
    UrlSource discovery{};
    UrlSource jwks{};
    std::string jwks_backing;
    // In use: replaced whole by the refresh thread (std::atomic_store), read
    // with std::atomic_load; null until loaded (apachectl -t without a
    // backing file).
    std::shared_ptr<const OidcProvider> provider;
    std::shared_ptr<const JwsVerifier> keys;
    std::string discovery_text, jwks_text;  // read at start
    std::string load_error;                 // why not loaded, for the site check
    std::unique_ptr<RateGate> gate;         // kid-refetch=
    RefreshThread* thread = nullptr;
    std::size_t discovery_job = 0, jwks_job = 0;
    // HelpdeskSSOOIDCClient and the other per-provider directives.
    OidcClientSettings client;
    bool client_set = false;
    std::string secret_path;  // secret-file= or private-key-jwt=
};

// This configuration's providers; emptied with the configuration pool.
std::vector<OidcSite*>& oidc_sites();
// A virtual host's providers are its own, or else the main server's: the
// server whose providers serve `s`.
const server_rec* oidc_provider_server(const server_rec* s);
// The provider `name` of the request's virtual host, or null.
OidcSite* oidc_site_for(request_rec* r, std::string_view name);
// For a token whose kid the keys in use lack: the provider's JWK set
// fetched again, at most once per kid-refetch= in this process, always from
// its URL (never a sibling's copy), the request waiting for that one fetch.
// False: `note` says why not.
bool refetch_oidc_keys(OidcSite& site, std::string_view token, std::string& note);

}  // namespace hdsso::mod
