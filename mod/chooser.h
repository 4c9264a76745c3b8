// Several identity providers per site: HelpdeskSSOIdP NAME saml|jwt|remote|oidc
// "Display name" [LOGIN-URL | ENTITY-ID], HelpdeskSSODefaultIdP; <prefix>/login offers
// the chooser page (plain HTML, no script), takes ?idp= to skip it, and
// remembers a choice when asked to.
#pragma once

#include <string>

#include "httpd.h"
#include "http_config.h"

#include "mod/dir_config.h"

namespace hdsso::mod {

enum class IdpKind { saml, jwt, remote, oidc };

struct IdpChoice {
    const char* name;     // short name, in ?idp= and the remembered-choice cookie
    IdpKind kind;
    const char* display;  // what the chooser shows
    const char* login_url;  // jwt/remote: overrides the site's login URL; null otherwise
    const char* saml_entity;  // saml: the IdP's entity ID when the site trusts several; null otherwise
};

// HelpdeskSSOIdP, HelpdeskSSODefaultIdP (ends with an empty entry).
const command_rec* chooser_commands();

// <prefix>/login: ?idp=NAME starts that sign-in (remembered with
// remember=1); without it the remembered choice, the default IdP or the
// only IdP, else the chooser page (always with choose=1).
int login_endpoint(request_rec* r, const DirConfig* c);

// A protected page without a session, on a site with HelpdeskSSOIdP: to
// <prefix>/login with the page as the return path.
bool has_idp_choices(const DirConfig* c);

// A request without a session on a protected location: off to sign in,
// through the chooser when the site has several IdPs.
int start_login(request_rec* r, const DirConfig* c);

}  // namespace hdsso::mod
