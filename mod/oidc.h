// OpenID Connect identity providers per virtual host. The HelpdeskSSOOIDC*
// directives, each provider's discovery document and JWK set (backing
// files, the child's background refresh through mod/url_refresh.h, one
// rate-limited refetch for an unknown kid) and the configuration check are
// in mod/oidc_provider.cc; the relying party's endpoints in mod/oidc.cc: the
// authorization code flow with PKCE, state and nonce bound to the browser's
// sign-in attempt (<prefix>/login -> provider -> <prefix>/oidc),
// back-channel logout at <prefix>/oidc-backchannel and RP-initiated logout
// from <prefix>/logout.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "httpd.h"
#include "http_config.h"

#include "core/identity.h"
#include "helpdesk/site_check.h"
#include "mod/dir_config.h"

namespace hdsso::mod {

// The HelpdeskSSOOIDC* directives (ends with an empty entry).
const command_rec* oidc_commands();

// Starts the child's refresh thread for every provider's discovery
// document and JWK set.
void oidc_child_init(apr_pool_t* pchild, server_rec* main);

// Whether this virtual host (or the main server it inherits from) has an
// OpenID provider: its endpoints are served then.
bool oidc_configured(request_rec* r);
// The name of this virtual host's provider when it has exactly one, else null.
const char* only_oidc_provider(request_rec* r);

// Starts the code flow with provider `name` (a HelpdeskSSOOIDCProvider of
// this virtual host), coming back to `back` (validated).
int oidc_login(request_rec* r, const DirConfig* c, const char* name, const std::string& back);
// <prefix>/oidc: the provider's answer (query, or form_post).
int oidc_callback(request_rec* r, const DirConfig* c);
// <prefix>/oidc-backchannel: a logout token ends the sessions it names.
int oidc_backchannel(request_rec* r, const DirConfig* c);
// Where a user of an OpenID Connect session goes after the session ended
// here: the provider's end_session_endpoint (RP-initiated logout), or ""
// when the provider has none or the session is not an OIDC one.
std::string oidc_logout_url(request_rec* r, const DirConfig* c, const Identity& id);

// For the diagnostics page: the provider an OpenID Connect identity came
// from, as (what, value) rows: issuer, client, how claims were mapped, the
// restrictions and the keys in use. Empty for other identities.
std::vector<std::pair<std::string, std::string>> oidc_diagnostics(request_rec* r, const Identity& id);

// The OpenID Connect part of a site's configuration check.
void oidc_site_facts(server_rec* s, SiteFacts& f);

}  // namespace hdsso::mod
