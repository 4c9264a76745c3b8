// "Test settings": the configuration check of every site at startup and
// under apachectl -t (errors fail it), and the diagnostics endpoint
// <prefix>/diagnostics (HelpdeskSSODiagnostics On, behind its own Require):
// the signed-in identity, every attribute and what it was mapped to, what
// the helpdesk receives, the session's times and the site's check.
#pragma once

#include "httpd.h"
#include "http_config.h"

#include <string>

#include "mod/dir_config.h"

namespace hdsso::mod {


// HelpdeskSSODiagnostics (ends with an empty entry).
const command_rec* diagnostics_commands();

// check_config hook: OK, or an error status after logging each error.
int check_sites(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);

int diagnostics_endpoint(request_rec* r, const DirConfig* c);

}  // namespace hdsso::mod
