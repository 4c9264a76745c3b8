#include "mod/sign_in.h"

#include <algorithm>
#include <string>

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"

#include "core/crypto.h"
#include "mod/http.h"
#include "mod/kept_post.h"
#include "mod/metrics.h"
#include "mod/oidc.h"
#include "mod/saml.h"
#include "url/cookie.h"
#include "url/query.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

RedirectValidator redirect_validator(const DirConfig* c) {
    std::vector<std::string> hosts;
    if (c->allow_hosts.set) {
        const apr_array_header_t* a = c->allow_hosts.value;
        for (int i = 0; i < a->nelts; ++i) hosts.emplace_back(APR_ARRAY_IDX(a, i, const char*));
    }
    return RedirectValidator(std::move(hosts));
}

std::string saml_cookie_name(const DirConfig* c) { return std::string(cookie_name(c)) + "_saml"; }

namespace {
constexpr std::size_t kAttemptNameChars = 16;
}  // namespace

std::string attempt_cookie_name(const DirConfig* c, std::string_view token) {
    return saml_cookie_name(c) + "_" + std::string(token.substr(0, kAttemptNameChars));
}

void set_saml_cookie(request_rec* r, const DirConfig* c, const std::string& name, const std::string& value,
                     int max_age) {
    set_attempt_cookie(r, c, name, value, max_age);
}

std::vector<Attempt> open_attempts(request_rec* r, const DirConfig* c, const LoginStateSealer& sealer,
                                   std::int64_t now) {
    std::vector<Attempt> out;
    const char* header = apr_table_get(r->headers_in, "Cookie");
    std::string prefix = saml_cookie_name(c) + "_";
    for (const auto& [name, value] : cookies_with_prefix(header ? header : "", prefix)) {
        auto state = sealer.open(value, now);
        if (state) {
            out.push_back({std::string(name), std::move(state.value())});
            continue;
        }
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO024: %s: %s", status_name(state.error().code),
                      state.error().detail.c_str());
        set_saml_cookie(r, c, std::string(name), "", 0);
    }
    return out;
}

Result<LoginStateSealer> login_state_sealer(request_rec* r, const DirConfig* c, RequestStores& stores) {
    auto key = stores.sealing_key();
    if (!key) return key.error();
    return LoginStateSealer(key.value(), session_binding(r) + " " + saml_cookie_name(c));
}

Result<std::string> validate_return(const DirConfig* c, const std::string& back) {
    return redirect_validator(c).validate(back);
}

// host[:port] of this virtual host as configured (ServerName), for
// Freshdesk's host_url: never the client's Host header, which anyone can set
// (a forged one would send the freshly signed link to the attacker's host).
std::string host_url(request_rec* r) {
    const server_rec* s = r->server;
    std::string host = s->server_hostname ? s->server_hostname : "localhost";
    apr_port_t port = s->port ? s->port : (r->connection->local_addr ? r->connection->local_addr->port : 0);
    if (port && !ap_is_default_port(port, r)) host += ":" + std::to_string(port);
    return host;
}

int start_attempt(request_rec* r, const DirConfig* c, LoginState attempt, const std::string& back,
                  const std::string& location) {
    RequestStores stores(r, session_policy(c));
    auto sealer = login_state_sealer(r, c, stores);
    if (!sealer) return fail(r, c, sealer.error());
    // A return path too long for a cookie comes back to the start page.
    attempt.return_to = back.size() <= LoginStateSealer::kMaxField ? back : "/";
    attempt.expires = RequestStores::clock().now() + kSamlStateSeconds;
    auto sealed = sealer.value().seal(attempt);
    if (!sealed) return fail(r, c, sealed.error());
    // Room for this attempt: the oldest others go first.
    std::vector<Attempt> others = open_attempts(r, c, sealer.value(), RequestStores::clock().now());
    std::sort(others.begin(), others.end(),
              [](const Attempt& a, const Attempt& b) { return a.state.expires < b.state.expires; });
    for (std::size_t i = 0; i + kMaxAttempts <= others.size(); ++i) set_saml_cookie(r, c, others[i].cookie, "", 0);
    set_saml_cookie(r, c, attempt_cookie_name(c, attempt.token), sealed.value(), kSamlStateSeconds);
    return redirect(r, location);
}

int saml_login(request_rec* r, const DirConfig* c, const SamlSp& sp, const std::string& back,
               const std::string& idp_entity_id) {
    auto token = random_bytes(32);
    if (!token) return fail(r, c, token.error());
    std::string state = hex_encode(token.value());
    auto request = sp.authn_request(state, idp_entity_id);
    if (!request) return fail(r, c, request.error());
    LoginState attempt;
    attempt.token = state;
    attempt.request_id = request.value().id;
    return start_attempt(r, c, std::move(attempt), back, request.value().url);
}

int start_login_to(request_rec* r, const DirConfig* c, const std::string& back) {
    // SAML configured for this site: straight to the IdP.
    if (auto sp = saml_sp(r)) return saml_login(r, c, *sp, back);
    if (c->login_url.set)
        return redirect(r, append_query(c->login_url.value, {{"host_url", host_url(r)}, {"redirect_to", back}}));
    if (c->jwt_login_url.set) return redirect(r, append_query(c->jwt_login_url.value, {{"redirect_to", back}}));
    // One OpenID provider (this virtual host's, or the main server's when it
    // has none): straight to it, when nothing above is set here.
    if (const char* name = only_oidc_provider(r)) return oidc_login(r, c, name, back);
    return fail(r, c, make_error(Status::config_invalid,
                                 "no sign-in page is set here (HelpdeskSSORemoteLoginURL, HelpdeskSSOJWTLoginURL or one "
                                 "HelpdeskSSOOIDCProvider)"));
}

std::string return_path(request_rec* r, const DirConfig* c) {
    std::string back = r->unparsed_uri ? r->unparsed_uri : "/";
    if (!redirect_validator(c).validate(back)) back = "/";
    return back;
}

std::string login_url(request_rec* r, const DirConfig* c) {
    return append_query(std::string(endpoint(c)) + "/login", {{"return", return_path(r, c)}});
}

RequestHints request_hints(request_rec* r) {
    auto header = [r](const char* name) {
        const char* v = apr_table_get(r->headers_in, name);
        return std::string_view(v ? v : "");
    };
    return RequestHints{header("Sec-Fetch-Mode"), header("Sec-Fetch-Dest"), header("X-Requested-With"),
                        header("Accept")};
}

Result<SessionPtr> current_session(request_rec* r, const DirConfig* c) {
    RequestStores stores(r, session_policy(c));
    SessionStore& store = stores.sessions();
    std::string binding = session_binding(r);
    for (const auto& cookie : cookie_values(r, cookie_name(c))) {
        auto found = store.get(cookie, binding);
        if (!found) {
            if (found.error().code != Status::session_malformed) return found.error();
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "HDSSO040: %s: %s", status_name(found.error().code),
                          found.error().detail.c_str());
            continue;
        }
        if (!found.value()) continue;
        if (auto t = store.touch(*found.value()); !t)
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "HDSSO041: %s: session activity not recorded: %s",
                          status_name(t.error().code), t.error().detail.c_str());
        return std::move(found.value());
    }
    return SessionPtr{};
}

// ---- Finishing a sign-in ---------------------------------------------------

Result<void> destroy_sessions(request_rec* r, const DirConfig* c, SessionStore& store) {
    for (const auto& id : cookie_values(r, cookie_name(c))) {
        auto rm = store.destroy(id);
        if (!rm) return rm;
    }
    return {};
}

int finish_login(request_rec* r, const DirConfig* c, RequestStores& stores, const Identity& identity,
                 const std::string& target, const char* how, const char* method,
                 const std::function<Result<void>(const std::string&)>& on_created) {
    SessionStore& store = stores.sessions();
    if (auto rm = destroy_sessions(r, c, store); !rm) return fail(r, c, rm.error());
    auto session = store.create(identity, session_binding(r));
    if (!session) return fail(r, c, session.error());
    if (on_created)
        if (auto done = on_created(session.value()->id); !done) return fail(r, c, done.error());
    set_session_cookie(r, c, session.value()->id);
    count_sign_in(method, identity);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO030: signed in %s through %s", identity.subject.c_str(), how);
    // A form kept when this sign-in began is posted again to where it went.
    if (int rc = replay_page(r, c, target); rc != DECLINED) return rc;
    return redirect(r, target.empty() ? "/" : target);
}

Result<QueryParams> request_params(request_rec* r, apr_off_t max_body) {
    std::string text = r->args ? r->args : "";
    if (r->method_number == M_POST) {
        const char* type = apr_table_get(r->headers_in, "Content-Type");
        if (!type || strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0 ||
            (type[33] != '\0' && type[33] != ';' && type[33] != ' '))
            return make_error(Status::url_malformed, "a POST must be application/x-www-form-urlencoded");
        auto body = read_request_body(r, max_body);
        if (!body) return body.error();
        if (!body.value())
            return make_error(Status::url_malformed, "the form is over " + std::to_string(max_body / 1024) + " KiB");
        if (!body.value()->empty()) text += (text.empty() ? "" : "&") + *body.value();
    }
    return parse_query(text, QueryLimits{static_cast<std::size_t>(max_body) + 8192, 64});
}

Result<std::string> single(const QueryParams& params, const char* name, Status twice) {
    std::string value;
    bool seen = false;
    for (const auto& [k, v] : params) {
        if (k != name) continue;
        if (seen) return make_error(twice, std::string("parameter '") + name + "' appears more than once");
        seen = true;
        value = v;
    }
    return value;
}

}  // namespace hdsso::mod
