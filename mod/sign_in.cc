#include "mod/sign_in.h"

#include <algorithm>
#include <string>

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"

#include "core/crypto.h"
#include "mod/http.h"
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

int saml_login(request_rec* r, const DirConfig* c, const SamlSp& sp, const std::string& back,
               const std::string& idp_entity_id) {
    auto token = random_bytes(32);
    if (!token) return fail(r, c, token.error());
    std::string state = hex_encode(token.value());
    auto request = sp.authn_request(state, idp_entity_id);
    if (!request) return fail(r, c, request.error());
    RequestStores stores(r, session_policy(c));
    auto sealer = login_state_sealer(r, c, stores);
    if (!sealer) return fail(r, c, sealer.error());
    LoginState attempt;
    attempt.token = state;
    attempt.request_id = request.value().id;
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
    set_saml_cookie(r, c, attempt_cookie_name(c, state), sealed.value(), kSamlStateSeconds);
    return redirect(r, request.value().url);
}

int start_login_to(request_rec* r, const DirConfig* c, const std::string& back) {
    // SAML configured for this site: straight to the IdP.
    if (auto sp = saml_sp(r)) return saml_login(r, c, *sp, back);
    if (c->login_url.set)
        return redirect(r, append_query(c->login_url.value, {{"host_url", host_url(r)}, {"redirect_to", back}}));
    if (c->jwt_login_url.set) return redirect(r, append_query(c->jwt_login_url.value, {{"redirect_to", back}}));
    return fail(r, c, make_error(Status::config_invalid,
                                 "no sign-in page is set here (HelpdeskSSORemoteLoginURL or HelpdeskSSOJWTLoginURL)"));
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

}  // namespace hdsso::mod
