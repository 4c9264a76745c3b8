// Signing a signed-in user into a helpdesk with its own SSO protocol:
// HelpdeskSSOBroker KIND HOST KEYFILE [ALG] configures <prefix>/KIND (the
// helpdesk's "Remote Login URL" / "Authorization URL").
#pragma once

#include "httpd.h"
#include "http_config.h"

#include "mod/dir_config.h"

namespace hdsso::mod {

// HelpdeskSSOBroker, HelpdeskSSOBrokerClaim, HelpdeskSSOBrokerTokenLifetime
// (ends with an empty entry).
const command_rec* broker_commands();

// Whether HelpdeskSSOBroker configures the broker of this leaf ("/deskpro") here.
bool broker_configured(const DirConfig* c, const char* leaf);
// <prefix>/deskpro, /zendesk, /kayako, /freshworks, /freshdesk (the route
// table has checked the method and that the broker is configured).
int broker_endpoint(request_rec* r, const DirConfig* c, const char* leaf);

}  // namespace hdsso::mod
