// The module's edge: cookies, identity headers, redirects and the one place
// where a core Status becomes an HTTP answer, a page and a log line.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "httpd.h"

#include "core/error.h"
#include "core/identity.h"
#include "helpdesk/handoff.h"
#include "mod/dir_config.h"
#include "session/session_store.h"

namespace hdsso::mod {

// What the module keeps about one request (freed with its pool): the
// session (shared with the process's session cache, not copied) and the
// handoff built for it, which sub-requests and internal redirects of the
// same identity and options reuse instead of building it again.
struct CachedHandoff {
    HandoffOptions options;
    const Identity* identity;
    std::shared_ptr<const Result<Handoff>> handoff;
};
struct RequestState {
    SessionPtr session;
    std::optional<CachedHandoff> handoff;
};
RequestState& request_state(request_rec* r);
// The nearest state, this request's or that of the request it was
// internally redirected from or is a sub-request of, for which `wanted`
// holds; null when none.
const RequestState* find_state(request_rec* r, const std::function<bool(const RequestState&)>& wanted);

// The signed-in identity of this request (or of the request it was
// internally redirected from), or null.
void remember_session(request_rec* r, SessionPtr s);
const Identity* find_identity(request_rec* r);
const Session* find_session(request_rec* r);

// The request's cookies of this name (views into its Cookie header).
std::vector<std::string_view> cookie_values(request_rec* r, const char* name);
// Every Set-Cookie of the module goes through the one builder.
void add_cookie(request_rec* r, const std::string& name, std::string_view value, const CookieAttributes& a);
// A cookie of a sign-in in progress (pre-login state, kept form), which the
// IdP's cross-site POST to the ACS must bring back: SameSite=None needs
// Secure (browsers drop it otherwise); over plain http
// (HelpdeskSSOCookieSecure Off, tests and demos) it is Lax, which an IdP on
// the same site still sends it to. HttpOnly.
void set_attempt_cookie(request_rec* r, const DirConfig* c, const std::string& name, std::string_view value,
                        int max_age);
void set_session_cookie(request_rec* r, const DirConfig* c, const std::string& id);
void clear_session_cookie(request_rec* r, const DirConfig* c);

SessionPolicy session_policy(const DirConfig* c);
// The virtual host a session is bound to.
std::string session_binding(request_rec* r);

// 302 to a URL the caller has validated.
int redirect(request_rec* r, const std::string& location);

// Logs one line with the stable error name, prepares a page a person can
// read, and returns the HTTP status for it.
// `try_again`: a link that starts a fresh sign-in (failures that end one).
// The page shows the time and a short reference that the log line carries.
int fail(request_rec* r, const DirConfig* c, const Error& e, const char* try_again = nullptr);

// The page for a signed-in user whom a Require line denies, sent with the
// status mod_authz_core chooses (401, or 403 with AuthzSendForbiddenOnFailure
// On): signed in, not allowed, and who to ask (HelpdeskSSODeniedText).
void denied_page(request_rec* r, const DirConfig* c, const Identity& id);

// Sends a whole response (status, type, body; Cache-Control: no-store) and
// returns DONE, from any hook.
int send_response(request_rec* r, int status, const char* content_type, const std::string& body);

// A background request without a session: 401 with
// {"error":"session.required","login":"..."}, no redirect, no cookie.
int session_required(request_rec* r, const std::string& login);

// A 405 with an Allow header listing exactly `methods` ("GET, POST"), and a
// page; returns DONE (the response is sent), from any hook.
int method_not_allowed(request_rec* r, const std::string& methods);

// A 200 page with this body (HTML, escaped by the caller).
int html_response(request_rec* r, const char* title, const std::string& body_html);
// A page with this status and body (HTML, escaped by the caller), sent from
// any hook; returns DONE.
int page_response(request_rec* r, int status, const char* title, const std::string& body_html);
std::string escape_html(request_rec* r, const std::string& s);
// The request body (chunked or not), up to `max` bytes; nullopt when it is
// longer (what was read of it is gone); url.malformed when it cannot be read.
Result<std::optional<std::string>> read_request_body(request_rec* r, apr_off_t max);

// A plain information page (e.g. "signed out"), sent with status 200.
int info_page(request_rec* r, const char* title, const char* text, const char* link_url, const char* link_text);

// A site as its administrator wrote it, for log lines: ServerName:port (the
// port of ServerName, else of the <VirtualHost> address), and where it is
// defined ("<VirtualHost *:443> at /etc/apache2/sites-enabled/x.conf:12").
std::string site_name(const server_rec* s);
std::string site_defined_at(const server_rec* s);

}  // namespace hdsso::mod
