// The endpoints under HelpdeskSSOEndpoint (default /sso), served from the one
// table in src/url/endpoints.h.
#pragma once

#include "httpd.h"

#include <string>

#include "mod/dir_config.h"
#include "saml/saml.h"
#include "session/session_store.h"
#include "url/endpoints.h"
#include "url/request_kind.h"

namespace hdsso::mod {

// The row of the endpoint table this request's URI names exactly (after
// Apache's normalisation) under this scope's prefix, or null: every other
// path, under the prefix or not, is an ordinary path.
const EndpointSpec* find_route(request_rec* r, const DirConfig* c);
// OK; or 404 (not served on this site); or DONE after sending a 405 (method
// not listed; the Allow header lists the row's methods).
int check_route(request_rec* r, const DirConfig* c, const EndpointSpec& e);
// Serves a row that check_route accepted.
int handle_route(request_rec* r, const DirConfig* c, const EndpointSpec& e);
// The session the request's cookies name (its activity recorded), null when
// there is none; the store's error when it cannot be asked.
Result<SessionPtr> current_session(request_rec* r, const DirConfig* c);

// A request without a session on a protected location: off to sign in
// (through the chooser when the site has several IdPs).
int start_login(request_rec* r, const DirConfig* c);
// Where a request without a session signs in: <prefix>/login?return=<this path>.
std::string login_url(request_rec* r, const DirConfig* c);
// The headers that tell a background request from a navigation.
RequestHints request_hints(request_rec* r);
// Off to the site's one sign-in (SAML IdP, remote login or JWT login URL),
// coming back to `back` (validated).
int start_login_to(request_rec* r, const DirConfig* c, const std::string& back);
// SP-initiated SAML sign-in, coming back to `back` (validated).
int saml_login(request_rec* r, const DirConfig* c, const SamlSp& sp, const std::string& back,
               const std::string& idp_entity_id = {});
// A return path, through the one redirect validator.
Result<std::string> validate_return(const DirConfig* c, const std::string& back);
// host[:port] as the client addressed us, for Freshdesk's host_url.
std::string host_url(request_rec* r);

}  // namespace hdsso::mod
