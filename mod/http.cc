#include "mod/http.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "apr_lib.h"
#include "apr_strings.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "apr_date.h"
#include "core/crypto.h"
#include "core/text.h"
#include "mod/metrics.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

apr_status_t release_state(void* p) {
    static_cast<RequestState*>(p)->~RequestState();
    return APR_SUCCESS;
}

RequestState* existing_state(request_rec* r) {
    return static_cast<RequestState*>(ap_get_module_config(r->request_config, &helpdesk_sso_module));
}

// A JSON string's content: quotes, backslashes and control characters escaped.
std::string json_escape(const std::string& s) {
    std::string out;
    for (unsigned char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\', out += static_cast<char>(ch);
        else if (ch < 0x20) {
            static const char hex[] = "0123456789abcdef";
            out += "\\u00";
            out += hex[ch >> 4];
            out += hex[ch & 15];
        }
        else out += static_cast<char>(ch);
    }
    return out;
}

// Five random bytes as eight characters of an unambiguous alphabet.
std::string base32_ref(const std::string& bytes) {
    static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (unsigned char b : bytes) {
        buffer = buffer << 8 | b;
        bits += 8;
        while (bits >= 5) {
            out += alphabet[(buffer >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    return out;
}

std::string html_escape(request_rec* r, const std::string& s) {
    return ap_escape_html2(r->pool, s.c_str(), 1);
}


std::string page(request_rec* r, const char* title, const std::string& body_html, const char* link_url,
                 const char* link_text) {
    std::string html =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width\"><title>";
    html += html_escape(r, title);
    html += "</title><style>body{font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em;"
            "color:#222}code{background:#eee;padding:0 .3em}:focus{outline:3px solid #1a5fb4;outline-offset:2px}"
            "fieldset{border:1px solid #888;padding:.5em 1em}legend{font-weight:bold}.choice{margin:.6em 0}"
            "label{padding:.2em}button{font-size:1em;padding:.5em 1.5em}</style></head><body><main><h1>";
    html += html_escape(r, title);
    html += "</h1>\n" + body_html;
    if (link_url) {
        html += "<p><a href=\"" + html_escape(r, link_url) + "\">" + html_escape(r, link_text) + "</a></p>\n";
    }
    html += "</main></body></html>\n";
    return html;
}

}  // namespace

RequestState& request_state(request_rec* r) {
    if (RequestState* st = existing_state(r)) return *st;
    auto* st = new (apr_palloc(r->pool, sizeof(RequestState))) RequestState();
    apr_pool_cleanup_register(r->pool, st, release_state, apr_pool_cleanup_null);
    ap_set_module_config(r->request_config, &helpdesk_sso_module, st);
    return *st;
}

const RequestState* find_state(request_rec* r, const std::function<bool(const RequestState&)>& wanted) {
    for (request_rec* q = r; q; q = q->prev ? q->prev : q->main)
        if (const RequestState* st = existing_state(q); st && wanted(*st)) return st;
    return nullptr;
}

void remember_session(request_rec* r, SessionPtr s) { request_state(r).session = std::move(s); }

const Session* find_session(request_rec* r) {
    const RequestState* st = find_state(r, [](const RequestState& x) { return x.session != nullptr; });
    return st ? st->session.get() : nullptr;
}

const Identity* find_identity(request_rec* r) {
    const Session* s = find_session(r);
    return s ? &s->identity : nullptr;
}

std::vector<std::string_view> cookie_values(request_rec* r, const char* name) {
    const char* header = apr_table_get(r->headers_in, "Cookie");
    return header ? hdsso::cookie_values(header, name) : std::vector<std::string_view>();
}

void add_cookie(request_rec* r, const std::string& name, std::string_view value, const CookieAttributes& a) {
    apr_table_addn(r->err_headers_out, "Set-Cookie", apr_pstrdup(r->pool, set_cookie(name, value, a).c_str()));
}

static CookieAttributes session_cookie(const DirConfig* c, int max_age) {
    return {max_age, cookie_secure(c), cookie_httponly(c), cookie_samesite(c)};
}

void set_attempt_cookie(request_rec* r, const DirConfig* c, const std::string& name, std::string_view value,
                        int max_age) {
    bool secure = cookie_secure(c);
    add_cookie(r, name, value, {max_age, secure, true, secure ? SameSite::none : SameSite::lax});
}

void set_session_cookie(request_rec* r, const DirConfig* c, const std::string& id) {
    add_cookie(r, cookie_name(c), id, session_cookie(c, cookie_persistent(c) ? lifetime(c) : kBrowserSession));
}

void clear_session_cookie(request_rec* r, const DirConfig* c) {
    add_cookie(r, cookie_name(c), "", session_cookie(c, 0));
}

SessionPolicy session_policy(const DirConfig* c) {
    SessionPolicy p;
    p.lifetime = lifetime(c);
    p.idle_timeout = idle_timeout(c);
    // Activity is written back at most every tenth of the idle timeout (a
    // session may end up to that much early): each write is a new copy in
    // shmcb's ring, so writing every minute would cycle the ring, and push
    // out idle-but-valid sessions, ten times sooner. No idle timeout: once a
    // minute, which nothing reads but the diagnostics page.
    p.touch_interval = p.idle_timeout > 0 ? std::max<std::int64_t>(1, p.idle_timeout / 10) : 60;
    return p;
}

std::string session_binding(request_rec* r) {
    // ServerName (with its port when given), so that servers sharing a
    // memcache or redis cache behind one name share sessions, while other
    // vhosts cannot replay this one's cookies.
    const server_rec* s = r->server;
    return std::string(s->server_hostname ? s->server_hostname : "") + ":" + std::to_string(s->port);
}

int redirect(request_rec* r, const std::string& location) {
    apr_table_set(r->headers_out, "Location", location.c_str());
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    return HTTP_MOVED_TEMPORARILY;
}

int fail(request_rec* r, const DirConfig* c, const Error& e, const char* try_again) {
    int status = status_http(e.code);
    // A short reference the user can quote to support, in the page and in
    // the one log line.
    auto rnd = random_bytes(5);
    std::string ref = rnd ? base32_ref(rnd.value()) : "-";
    // A bad message from a client is the client's problem (info); a 5xx is
    // this server's (error).
    int level = status >= 500 ? APLOG_ERR : APLOG_INFO;
    ap_log_rerror(APLOG_MARK, level, 0, r, "HDSSO020: %s: %s (ref %s)", status_name(e.code),
                  e.detail.empty() ? status_message(e.code) : e.detail.c_str(), ref.c_str());
    apr_table_setn(r->notes, "hdsso-error", status_name(e.code));
    count_failure(e.code);
    char when[APR_RFC822_DATE_LEN];
    apr_rfc822_date(when, r->request_time);
    std::string body = "<p>" + html_escape(r, status_message(e.code)) + "</p>\n";
    if (try_again)
        body += "<p><a href=\"" + html_escape(r, try_again) + "\">Try again</a></p>\n";
    body += "<p>Error code: <code>" + html_escape(r, status_name(e.code)) + "</code>, reference <code>" + ref +
            "</code>, " + html_escape(r, when) + "</p>\n";
    const char* fallback = c && c->fallback_url.set ? c->fallback_url.value : nullptr;
    std::string html = page(r, status >= 500 ? "Sign-in is unavailable" : "Sign-in failed", body, fallback,
                            "Sign in with your helpdesk account instead");
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    // Apache sends a custom response that is not a URL as the body itself.
    ap_custom_response(r, status, apr_pstrdup(r->pool, html.c_str()));
    return status;
}

void denied_page(request_rec* r, const DirConfig* c, const Identity& id) {
    count("hdsso_denials_total");
    std::string who = id.display_name.empty() ? id.subject : id.display_name;
    if (!id.email.empty() && id.email != who) who += " (" + id.email + ")";
    std::string body = "<p>You are signed in as <strong>" + html_escape(r, who) +
                       "</strong>, but your account is not allowed to use this part of the helpdesk.</p>\n<p>" +
                       html_escape(r, c && c->denied_text.set ? c->denied_text.value
                                                              : "Ask your helpdesk administrator for access.") +
                       "</p>\n<p>Error code: <code>authz.denied</code></p>\n";
    std::string logout = std::string(endpoint(c)) + "/logout";
    std::string html = page(r, "Access denied", body, logout.c_str(), "Sign out (to sign in with another account)");
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    const char* text = apr_pstrdup(r->pool, html.c_str());
    ap_custom_response(r, HTTP_UNAUTHORIZED, text);
    ap_custom_response(r, HTTP_FORBIDDEN, text);
}

int send_page(request_rec* r, const std::string& html) {
    ap_set_content_type(r, "text/html; charset=utf-8");
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_rwrite(html.data(), static_cast<int>(html.size()), r);
    return OK;
}

int send_response(request_rec* r, int status, const char* content_type, const std::string& body) {
    r->status = status;
    ap_set_content_type(r, content_type);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    if (!r->header_only) ap_rwrite(body.data(), static_cast<int>(body.size()), r);
    return DONE;
}

int session_required(request_rec* r, const std::string& login) {
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO025: session.required: a background request without a "
                  "session gets 401 (no redirect, no cookie)");
    apr_table_setn(r->notes, "hdsso-error", "session.required");
    std::string body = "{\"error\":\"session.required\",\"login\":\"" + json_escape(login) + "\"}\n";
    return send_response(r, HTTP_UNAUTHORIZED, "application/json", body);
}

int method_not_allowed(request_rec* r, const std::string& methods) {
    // Sent here, not by Apache: Apache lists HEAD wherever GET is allowed,
    // and a sign-in endpoint refuses HEAD. TRACE is answered by Apache's
    // core on every path unless TraceEnable Off.
    std::string allow = methods;
    auto* core = static_cast<const core_server_config*>(ap_get_core_module_config(r->server->module_config));
    if (core && core->trace_enable != AP_TRACE_DISABLE) allow += ", TRACE";
    apr_table_set(r->headers_out, "Allow", allow.c_str());
    std::string html = page(r, "Method not allowed",
                            "<p>This address takes " + html_escape(r, methods) +
                                " requests only.</p>\n<p>Error code: <code>http.method_not_allowed</code></p>\n",
                            nullptr, nullptr);
    return send_response(r, HTTP_METHOD_NOT_ALLOWED, "text/html; charset=utf-8", html);
}

int html_response(request_rec* r, const char* title, const std::string& body_html) {
    return send_page(r, page(r, title, body_html, nullptr, nullptr));
}

std::string escape_html(request_rec* r, const std::string& s) { return html_escape(r, s); }

Result<std::optional<std::string>> read_request_body(request_rec* r, apr_off_t max) {
    if (ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK)
        return make_error(Status::url_malformed, "the request body cannot be read");
    std::string body;
    if (ap_should_client_block(r)) {
        char buf[16384];
        long n;
        while ((n = ap_get_client_block(r, buf, sizeof buf)) > 0) {
            if (static_cast<apr_off_t>(body.size()) + n > max) return std::optional<std::string>();
            body.append(buf, static_cast<std::size_t>(n));
        }
        if (n < 0) return make_error(Status::url_malformed, "the request body could not be read");
    }
    return std::optional<std::string>(std::move(body));
}

int page_response(request_rec* r, int status, const char* title, const std::string& body_html) {
    return send_response(r, status, "text/html; charset=utf-8", page(r, title, body_html, nullptr, nullptr));
}

int info_page(request_rec* r, const char* title, const char* text, const char* link_url, const char* link_text) {
    return send_page(r, page(r, title, "<p>" + html_escape(r, text) + "</p>\n", link_url, link_text));
}

std::string site_name(const server_rec* s) {
    std::string name = s->server_hostname ? s->server_hostname : "?";
    int port = s->port;
    for (const server_addr_rec* a = s->addrs; !port && s->is_virtual && a; a = a->next) port = a->host_port;
    return port ? name + ":" + std::to_string(port) : name;
}

std::string site_defined_at(const server_rec* s) {
    if (!s->is_virtual || !s->defn_name) return "the main server configuration";
    std::string addrs;
    for (const server_addr_rec* a = s->addrs; a; a = a->next) {
        // "*" may stand for an IPv4 and an IPv6 address: name it once.
        std::string one = a->virthost ? a->virthost : "*";
        if (a->host_port) one += ":" + std::to_string(a->host_port);
        if ((" " + addrs + " ").find(" " + one + " ") == std::string::npos) addrs += (addrs.empty() ? "" : " ") + one;
    }
    return "<VirtualHost " + addrs + "> at " + s->defn_name + ":" + std::to_string(s->defn_line_number);
}

}  // namespace hdsso::mod
