// The sign-in endpoints under HelpdeskSSOEndpoint (default /sso):
//   <prefix>/remote  remote-authentication sign-in (Freshdesk-style HMAC)
//   <prefix>/jwt     sign-in with a JWT (id_token or jwt, query or POST form)
//   <prefix>/logout  ends the session
#pragma once

#include "httpd.h"

#include <string>

#include "mod/config.h"
#include "saml/saml.h"
#include "session/session_store.h"

namespace hdsso::mod {

bool is_endpoint(request_rec* r, const DirConfig* c);
// DECLINED when the URI is not one of ours.
int handle_endpoint(request_rec* r, const DirConfig* c);
// The session the request's cookies name (its activity recorded), null when
// there is none; the store's error when it cannot be asked.
Result<SessionPtr> current_session(request_rec* r, const DirConfig* c);

// A request without a session on a protected location: off to sign in
// (through the chooser when the site has several IdPs).
int start_login(request_rec* r, const DirConfig* c);
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
