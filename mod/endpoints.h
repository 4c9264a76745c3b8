// The sign-in endpoints under HelpdeskSSOEndpoint (default /sso):
//   <prefix>/remote  remote-authentication sign-in (Freshdesk-style HMAC)
//   <prefix>/jwt     sign-in with a JWT (id_token or jwt, query or POST form)
//   <prefix>/logout  ends the session
#pragma once

#include "httpd.h"

#include "mod/config.h"
#include "session/session_store.h"

namespace hdsso::mod {

bool is_endpoint(request_rec* r, const DirConfig* c);
// DECLINED when the URI is not one of ours.
int handle_endpoint(request_rec* r, const DirConfig* c);
// The session the request's cookies name (its activity recorded), null when
// there is none; the store's error when it cannot be asked.
Result<SessionPtr> current_session(request_rec* r, const DirConfig* c);

// A request without a session on a protected location: off to sign in.
int start_login(request_rec* r, const DirConfig* c);

}  // namespace hdsso::mod
