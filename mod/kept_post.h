// A reply is never lost (HelpdeskSSOPostReplay*): a same-origin form POST to
// a protected path without a session is kept (src/session/kept_post.h)
// while its sender signs in, then posted again, byte for byte, to the same
// URL: the browser posts an empty form there from a page the module sends
// after the sign-in, and the module puts the kept body and Content-Type in
// its place before the helpdesk reads it.
#pragma once

#include <string>

#include "httpd.h"
#include "http_config.h"

#include "core/error.h"
#include "mod/dir_config.h"

namespace hdsso::mod {

const command_rec* kept_post_commands();
void kept_post_pre_config();
// Creates the spool directory (owned by Apache's User); logs and fails
// startup when it cannot.
int kept_post_post_config(apr_pool_t* pconf, server_rec* s);
void register_kept_post_filter();

// An anonymous navigation about to start a sign-in: a same-origin form POST
// within HelpdeskSSOPostReplayMaxSize is kept (and its cookie set). DECLINED
// to go on signing in; otherwise the status of the page already sent (the
// form is too large to keep, or there is no room for it).
int keep_post(request_rec* r, const DirConfig* c);

// After a sign-in that goes on to `target`: when this browser's kept form
// was posted there, the page that posts it again (DONE); DECLINED otherwise.
int replay_page(request_rec* r, const DirConfig* c, const std::string& target);

// A signed-in same-origin POST bringing back the kept form's cookie for its
// own URL: the kept body and Content-Type replace the request's (once).
void restore_kept_post(request_rec* r, const DirConfig* c);

}  // namespace hdsso::mod
