// Starting a sign-in: where a request without a session goes (the site's
// one IdP, remote or JWT login page), the SAML pre-login state of each
// attempt (sealed cookies, used again at the ACS), and the return path
// through the one redirect validator. Below the endpoints and the chooser,
// which both start sign-ins from here.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "httpd.h"

#include "mod/dir_config.h"
#include "mod/socache_store.h"
#include "saml/saml.h"
#include "session/login_state.h"
#include "session/session_store.h"
#include "url/query.h"
#include "url/redirect.h"
#include "url/request_kind.h"

namespace hdsso::mod {

RedirectValidator redirect_validator(const DirConfig* c);
// A return path, through the one redirect validator.
Result<std::string> validate_return(const DirConfig* c, const std::string& back);
// The path to come back to after signing in: this request's, if the
// redirect validator accepts it; "/" otherwise.
std::string return_path(request_rec* r, const DirConfig* c);
// Where a request without a session signs in: <prefix>/login?return=<this path>.
std::string login_url(request_rec* r, const DirConfig* c);
// host[:port] of this virtual host as configured (ServerName), never the
// client's Host header: for Freshdesk's host_url and the site's origin.
std::string host_url(request_rec* r);
// The headers that tell a background request from a navigation.
RequestHints request_hints(request_rec* r);

// The session the request's cookies name (its activity recorded), null when
// there is none; the store's error when it cannot be asked.
Result<SessionPtr> current_session(request_rec* r, const DirConfig* c);

// Off to the site's one sign-in (SAML IdP, remote login or JWT login URL),
// coming back to `back` (validated).
int start_login_to(request_rec* r, const DirConfig* c, const std::string& back);
// SP-initiated SAML sign-in, coming back to `back` (validated).
int saml_login(request_rec* r, const DirConfig* c, const SamlSp& sp, const std::string& back,
               const std::string& idp_entity_id = {});

// ---- The SAML pre-login state ---------------------------------------------
// Which AuthnRequest this browser started and where it goes back to, sealed
// into a short-lived cookie of the browser's own (an anonymous request
// writes nothing server-side), sent on the IdP's cross-site POST to the ACS.
constexpr int kSamlStateSeconds = 600;
// Each attempt has a cookie of its own, named after its token (the
// RelayState the IdP echoes), so two tabs signing in at once do not
// overwrite each other's state; at most kMaxAttempts are kept per browser.
constexpr std::size_t kMaxAttempts = 4;

struct Attempt {
    std::string cookie;
    LoginState state;
};

std::string saml_cookie_name(const DirConfig* c);
std::string attempt_cookie_name(const DirConfig* c, std::string_view token);
void set_saml_cookie(request_rec* r, const DirConfig* c, const std::string& name, const std::string& value,
                     int max_age);
// This browser's sign-in attempts that are still open; the others' cookies
// are deleted on the way.
// Seals `attempt` (its token set; return path and expiry set here) into a
// pre-login cookie of its own, the oldest others going when the browser has
// kMaxAttempts, and sends the browser to `location` (the IdP).
int start_attempt(request_rec* r, const DirConfig* c, LoginState attempt, const std::string& back,
                  const std::string& location);
std::vector<Attempt> open_attempts(request_rec* r, const DirConfig* c, const LoginStateSealer& sealer,
                                   std::int64_t now);
// The sealer of this site's pre-login cookies: the servers' shared key,
// bound to the virtual host and the cookie's name.
Result<LoginStateSealer> login_state_sealer(request_rec* r, const DirConfig* c, RequestStores& stores);

// ---- Finishing a sign-in ---------------------------------------------------

// Ends every session the request's cookies name: a login replaces whatever
// session the browser had (no fixation), a logout ends it.
Result<void> destroy_sessions(request_rec* r, const DirConfig* c, SessionStore& store);

// A verified sign-in becomes a fresh session: whatever session the browser
// had ends (no fixation), the cookie is set, and the browser goes on to the
// validated return path. `on_created` (optional) runs with the new
// session's id before the cookie is set; its failure fails the sign-in.
int finish_login(request_rec* r, const DirConfig* c, RequestStores& stores, const Identity& identity,
                 const std::string& target, const char* how, const char* method,
                 const std::function<Result<void>(const std::string&)>& on_created = nullptr);

constexpr apr_off_t kMaxFormBody = 64 * 1024;
constexpr apr_off_t kMaxSamlBody = 1024 * 1024;  // a SAMLResponse with many attributes, base64

// The request's parameters: the query string, and for a POST the
// application/x-www-form-urlencoded body (bounded) after it.
Result<QueryParams> request_params(request_rec* r, apr_off_t max_body = kMaxFormBody);
// The one value of parameter `name`, empty when absent; `twice` when it
// appears more than once.
Result<std::string> single(const QueryParams& params, const char* name, Status twice = Status::jwt_malformed);

}  // namespace hdsso::mod
