// Apache 2.4 authorization providers on the signed-in identity:
//   Require helpdesk-sso-group G...                 one of the groups
//   Require helpdesk-sso-attribute NAME VALUE|~RE   an attribute's value
// combinable with <RequireAll>/<RequireAny>. A denied user gets a page that
// says they are signed in but not allowed, and who to ask
// (HelpdeskSSODeniedText).
#pragma once

#include "httpd.h"
#include "http_config.h"

namespace hdsso::mod {

void register_authz_providers(apr_pool_t* p);

}  // namespace hdsso::mod
