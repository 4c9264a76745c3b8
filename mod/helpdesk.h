// Handing the identity to a self-hosted helpdesk behind Apache: the
// HelpdeskSSOHelpdesk profile and its directives, scrubbing of client-sent
// identity headers, and break-glass locations that need no sign-in.
#pragma once

#include "httpd.h"
#include "http_config.h"

#include "core/identity.h"
#include "helpdesk/handoff.h"
#include "mod/dir_config.h"

namespace hdsso::mod {

// HelpdeskSSOHelpdesk, HelpdeskSSOUserField, HelpdeskSSOUserHeader,
// HelpdeskSSOBreakGlass, HelpdeskSSOBreakGlassQuery (ends with an empty entry).
const command_rec* helpdesk_commands();

HandoffOptions handoff_options(const DirConfig* c);

// Removes every client-sent header that could pass for an identity here
// (ATTACKS.md M2). `log`: say so at info level (only where the headers
// surely came from the client, not from an earlier phase of an internally
// redirected request).
void scrub_identity_headers(request_rec* r, const DirConfig* c, bool log);

// The user name for REMOTE_USER, or the named error when it or any value
// this location exports cannot be passed on (the caller fails the request).
Result<std::string> helpdesk_user(request_rec* r, const DirConfig* c, const Identity& id);

// The headers and variables the profile exports; OK, or the error status
// (page and log line done) when a value cannot be passed on.
int export_identity(request_rec* r, const DirConfig* c, const Identity& id);

// A location (HelpdeskSSOBreakGlass) or a query (HelpdeskSSOBreakGlassQuery,
// e.g. GLPI's noAUTO=1) where the helpdesk's own login is reachable without
// signing in here.
bool break_glass(request_rec* r, const DirConfig* c);

}  // namespace hdsso::mod
