#include "mod/endpoints.h"

#include <cstring>
#include <string>

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"

#include "core/replay_cache.h"
#include "mod/http.h"
#include "mod/socache_store.h"
#include "remote/remote_auth.h"
#include "session/session_store.h"
#include "url/query.h"
#include "url/redirect.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

bool uri_is(request_rec* r, const DirConfig* c, const char* leaf) {
    const char* prefix = endpoint(c);
    std::size_t n = std::strlen(prefix);
    return r->uri && !std::strncmp(r->uri, prefix, n) && !std::strcmp(r->uri + n, leaf);
}

RedirectValidator redirect_validator(const DirConfig* c) {
    std::vector<std::string> hosts;
    if (c->allow_hosts.set) {
        const apr_array_header_t* a = c->allow_hosts.value;
        for (int i = 0; i < a->nelts; ++i) hosts.emplace_back(APR_ARRAY_IDX(a, i, const char*));
    }
    return RedirectValidator(std::move(hosts));
}

// host[:port] as the client addressed us, for Freshdesk's host_url.
std::string host_url(request_rec* r) {
    std::string host = r->hostname ? r->hostname : r->server->server_hostname;
    apr_port_t port = ap_get_server_port(r);
    if (!ap_is_default_port(port, r)) host += ":" + std::to_string(port);
    return host;
}

// Ends every session the request's cookies name: a login replaces whatever
// session the browser had (no fixation), a logout ends it.
Result<void> destroy_sessions(request_rec* r, const DirConfig* c, SessionStore& store) {
    for (const auto& id : cookie_values(r, cookie_name(c))) {
        auto rm = store.destroy(id);
        if (!rm) return rm;
    }
    return {};
}

int remote_login(request_rec* r, const DirConfig* c) {
    if (r->method_number != M_GET) {
        r->allowed = AP_METHOD_BIT << M_GET;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!c->remote_secret.set)
        return fail(r, c, make_error(Status::config_invalid, "HelpdeskSSORemoteSecretFile is not set here"));
    auto params = parse_query(r->args ? r->args : "");
    if (!params) return fail(r, c, make_error(Status::remote_malformed_parameter, params.error().detail));

    RemoteAuthPolicy policy;
    const Secret* secret = c->remote_secret.value;
    policy.secret = SecretString(std::string(secret->data, secret->len));
    policy.digest = c->digest_sha256.set && c->digest_sha256.value ? Digest::sha256 : Digest::md5;
    policy.max_age = window_back(c);
    policy.max_future = window_ahead(c);
    RemoteAuthVerifier verifier(std::move(policy), redirect_validator(c));

    RequestStores stores(r, session_policy(c));
    ReplayCache replay(stores.shared());
    auto login = verifier.verify(params.value(), RequestStores::clock().now(), replay);
    if (!login) return fail(r, c, login.error());

    SessionStore& store = stores.sessions();
    if (auto rm = destroy_sessions(r, c, store); !rm) return fail(r, c, rm.error());
    auto session = store.create(login.value().identity, session_binding(r));
    if (!session) return fail(r, c, session.error());
    set_session_cookie(r, c, session.value()->id);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO030: signed in %s through remote authentication",
                  login.value().identity.subject.c_str());
    const std::string& target = login.value().redirect_to;
    return redirect(r, target.empty() ? "/" : target);
}

int logout(request_rec* r, const DirConfig* c) {
    if (r->method_number != M_GET && r->method_number != M_POST) {
        r->allowed = AP_METHOD_BIT << M_GET | AP_METHOD_BIT << M_POST;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    RequestStores stores(r, session_policy(c));
    if (auto rm = destroy_sessions(r, c, stores.sessions()); !rm) return fail(r, c, rm.error());
    clear_session_cookie(r, c);
    if (c->logout_url.set) return redirect(r, append_query(c->logout_url.value, {{"host_url", host_url(r)}}));
    return info_page(r, "Signed out", "You are signed out of the helpdesk.", "/", "Back to the start page");
}

}  // namespace

bool is_endpoint(request_rec* r, const DirConfig* c) {
    const char* prefix = endpoint(c);
    std::size_t n = std::strlen(prefix);
    return r->uri && !std::strncmp(r->uri, prefix, n) && (r->uri[n] == '/' || r->uri[n] == '\0');
}

int handle_endpoint(request_rec* r, const DirConfig* c) {
    if (uri_is(r, c, "/remote")) return remote_login(r, c);
    if (uri_is(r, c, "/logout")) return logout(r, c);
    return DECLINED;
}

int start_login(request_rec* r, const DirConfig* c) {
    if (!c->login_url.set)
        return fail(r, c, make_error(Status::config_invalid, "HelpdeskSSORemoteLoginURL is not set here"));
    std::string back = r->unparsed_uri ? r->unparsed_uri : "/";
    if (!redirect_validator(c).validate(back)) back = "/";
    return redirect(r, append_query(c->login_url.value, {{"host_url", host_url(r)}, {"redirect_to", back}}));
}

}  // namespace hdsso::mod
