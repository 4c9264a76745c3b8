// The endpoints under HelpdeskSSOEndpoint (default /sso), served from the one
// table in src/url/endpoints.h.
#pragma once

#include "httpd.h"

#include <string>

#include "mod/dir_config.h"
#include "saml/saml.h"
#include "session/session_store.h"
#include "url/endpoints.h"

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

}  // namespace hdsso::mod
