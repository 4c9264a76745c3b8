#include "mod/endpoints.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"

#include "core/crypto.h"
#include "core/replay_cache.h"
#include "jose/jwt_login.h"
#include "mod/broker.h"
#include "mod/chooser.h"
#include "mod/diagnostics.h"
#include "mod/metrics.h"
#include "mod/oidc.h"
#include "mod/http.h"
#include "mod/jwks_url.h"
#include "mod/kept_post.h"
#include "mod/saml.h"
#include "mod/sign_in.h"
#include "mod/socache_store.h"
#include "remote/remote_auth.h"
#include "session/login_state.h"
#include "session/session_store.h"
#include "session/slo_index.h"
#include "url/query.h"
#include "url/endpoints.h"
#include "url/redirect.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

int remote_login(request_rec* r, const DirConfig* c) {
    auto params = parse_query(r->args ? r->args : "");
    if (!params) return fail(r, c, make_error(Status::remote_malformed_parameter, params.error().detail));

    RemoteAuthPolicy policy;
    const Secret* secret = c->remote_secret.value;
    policy.secret = SecretString(std::string(secret->data, secret->len));
    for (const Secret* s = secret->next; s; s = s->next)
        policy.also_verify.emplace_back(std::string(s->data, s->len));
    policy.digest = c->digest_sha256.set && c->digest_sha256.value ? Digest::sha256 : Digest::md5;
    policy.max_age = window_back(c);
    policy.max_future = window_ahead(c);
    RemoteAuthVerifier verifier(std::move(policy), redirect_validator(c));

    RequestStores stores(r, session_policy(c));
    ReplayCache replay(stores.one_time());
    auto login = verifier.verify(params.value(), RequestStores::clock().now(), replay);
    if (!login) return fail(r, c, login.error());

    return finish_login(r, c, stores, login.value().identity, login.value().redirect_to, "remote authentication", "remote");
}

std::vector<std::string> audiences(const DirConfig* c) {
    std::vector<std::string> out;
    const apr_array_header_t* a = c->jwt_audiences.value;
    for (int i = 0; a && i < a->nelts; ++i) out.emplace_back(APR_ARRAY_IDX(a, i, const char*));
    return out;
}

// <prefix>/jwt: a token from a broker or the customer's application, as
// id_token or jwt, in the query or a POST form.
int jwt_login(request_rec* r, const DirConfig* c) {
    if (!c->jwt_audiences.set)
        return fail(r, c, make_error(Status::config_invalid, "HelpdeskSSOJWTAudience is not set here"));
    auto params = request_params(r);
    if (!params) return fail(r, c, params.error());
    auto id_token = single(params.value(), "id_token");
    if (!id_token) return fail(r, c, id_token.error());
    auto jwt = single(params.value(), "jwt");
    if (!jwt) return fail(r, c, jwt.error());
    if (id_token.value().empty() == jwt.value().empty())
        return fail(r, c, make_error(Status::jwt_malformed, id_token.value().empty()
                                                                ? "no token: expected parameter 'id_token' or 'jwt'"
                                                                : "both 'id_token' and 'jwt' were sent"));
    auto back = single(params.value(), "redirect_to");
    if (!back) return fail(r, c, back.error());
    std::string target;
    if (!back.value().empty()) {
        auto valid = redirect_validator(c).validate(back.value());
        if (!valid) return fail(r, c, valid.error());
        target = std::move(valid.value());
    }

    JwtLoginPolicy policy;
    policy.claims.issuer = c->jwt_issuer.set ? c->jwt_issuer.value : "";
    policy.claims.audiences = audiences(c);
    policy.claims.leeway = jwt_leeway(c);
    policy.claims.max_age = c->jwt_max_age.set ? c->jwt_max_age.value : 0;
    policy.one_time = jwt_replay(c);
    ClaimMapping& m = policy.mapping;
    if (c->jwt_user_claim.set) m.user = c->jwt_user_claim.value;
    if (c->jwt_email_claim.set) m.email = c->jwt_email_claim.value;
    if (c->jwt_name_claim.set) m.name = c->jwt_name_claim.value;
    if (c->jwt_groups_claim.set) m.groups = c->jwt_groups_claim.value;
    policy.idp_name = "jwt";
    const JwtKeys& keys = *c->jwt_keys.value;

    RequestStores stores(r, session_policy(c));
    ReplayCache replay(stores.one_time());
    const std::string& token = id_token.value().empty() ? jwt.value() : id_token.value();
    auto identity = JwtLoginVerifier(jwt_verifier(keys), policy).verify(token, RequestStores::clock().now(), replay);
    // Keys from a URL and a kid they do not have: the key set may have been
    // rotated. Fetched again at most once per interval in this process
    // (never per request), the request waiting for that one fetch, then
    // verified once more. A token without a kid never gets here.
    if (!identity && identity.error().code == Status::jwt_unknown_kid && keys.source) {
        std::string note;
        if (refetch_for_unknown_kid(r, keys, token, note)) {
            identity = JwtLoginVerifier(jwt_verifier(keys), policy).verify(token, RequestStores::clock().now(), replay);
            if (!identity && identity.error().code == Status::jwt_unknown_kid)
                identity = make_error(Status::jwt_unknown_kid,
                                      identity.error().detail + " (not in the key set fetched again for it either)");
        } else {
            identity = make_error(Status::jwt_unknown_kid, identity.error().detail + " (" + note + ")");
        }
    }
    if (!identity) return fail(r, c, identity.error());
    return finish_login(r, c, stores, identity.value(), target, "a JWT", "jwt");
}

int logout(request_rec* r, const DirConfig* c) {
    RequestStores stores(r, session_policy(c));
    // Who signs out (for the log), and for a SAML sign-in the single logout
    // at its IdP when the IdP has an SLO endpoint: read before the session goes.
    std::string idp_logout, who;
    auto sp = saml_sp(r);
    for (const auto& id : cookie_values(r, cookie_name(c))) {
        auto session = stores.sessions().get(id, session_binding(r));
        if (!session) return fail(r, c, session.error());
        if (!session.value()) continue;
        const Identity& identity = session.value()->identity;
        who = identity.subject;
        if (idp_logout.empty()) idp_logout = oidc_logout_url(r, c, identity);
        if (!sp || identity.idp_name != "saml" || !idp_logout.empty()) continue;
        auto request = sp->logout_request(identity, "");
        if (request) idp_logout = request.value().url;
        else ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO032: no single logout at the IdP: %s",
                           request.error().detail.c_str());
    }
    if (auto rm = destroy_sessions(r, c, stores.sessions()); !rm) return fail(r, c, rm.error());
    clear_session_cookie(r, c);
    if (!who.empty()) {
        count("hdsso_sign_outs_total");
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO034: signed out %s%s", who.c_str(),
                      idp_logout.empty() ? "" : " (single logout at the IdP follows)");
    }
    if (!idp_logout.empty()) return redirect(r, idp_logout);
    if (c->logout_url.set) return redirect(r, append_query(c->logout_url.value, {{"host_url", host_url(r)}}));
    return info_page(r, "Signed out", "You are signed out of the helpdesk.", "/", "Back to the start page");
}

// Whether this site serves an endpoint: the rule of its table row.
bool served(const EndpointSpec& e, request_rec* r, const DirConfig* c) {
    switch (e.served) {
    case ServedWhen::always: return true;
    case ServedWhen::remote_auth: return c->remote_secret.set;
    case ServedWhen::jwt_keys: return c->jwt_keys.set;
    case ServedWhen::saml: return saml_sp(r) != nullptr;
    case ServedWhen::oidc: return oidc_configured(r);
    case ServedWhen::diagnostics: return c->diagnostics.set && c->diagnostics.value;
    case ServedWhen::metrics: return c->metrics.set && c->metrics.value;
    case ServedWhen::broker: return broker_configured(c, e.leaf);
    }
    return false;
}

// ---- SAML ------------------------------------------------------------------

int saml_acs(request_rec* r, const DirConfig* c, const SamlSp& sp) {
    auto params = request_params(r, kMaxSamlBody);
    if (!params) return fail(r, c, params.error());
    std::string response, relay;
    for (const auto& [k, v] : params.value()) {
        if (k == "SAMLResponse") {
            if (!response.empty()) return fail(r, c, make_error(Status::saml_malformed, "SAMLResponse sent twice"));
            response = v;
        } else if (k == "RelayState") {
            relay = v;
        }
    }
    if (response.empty()) return fail(r, c, make_error(Status::saml_malformed, "no SAMLResponse in the POST"));

    // The attempt this browser started: its pre-login cookie holds the
    // sealed state (the IdP echoes the state's token as RelayState), used
    // once: the request ID the response must answer and the return path.
    RequestStores stores(r, session_policy(c));
    std::string request_id, back;
    auto sealer = login_state_sealer(r, c, stores);
    if (!sealer) return fail(r, c, sealer.error());
    std::int64_t now = RequestStores::clock().now();
    // The attempt the IdP's RelayState names; without one (an IdP that does
    // not echo it), the browser's only attempt.
    // SAML's attempts only (an OpenID Connect attempt names its provider).
    std::vector<Attempt> attempts;
    for (auto& a : open_attempts(r, c, sealer.value(), now))
        if (a.state.idp.empty()) attempts.push_back(std::move(a));
    const Attempt* attempt = nullptr;
    for (const auto& a : attempts)
        if (relay.empty() ? attempts.size() == 1 : a.state.token == relay) attempt = &a;
    if (attempt) {
        set_saml_cookie(r, c, attempt->cookie, "", 0);
        request_id = attempt->state.request_id;
        back = attempt->state.return_to;
    }
    // A fresh sign-in to the page the user wanted, offered by failure pages.
    std::string again = append_query(std::string(endpoint(c)) + "/login", {{"return", back.empty() ? "/" : back}});
    ReplayCache replay(stores.one_time());
    auto login = sp.process_response(response, now, request_id, replay);
    if (!login) return fail(r, c, login.error(), again.c_str());
    // The state is used once, recorded only now that the response is
    // verified: junk posted with a state cookie writes nothing.
    if (attempt) {
        auto first = replay.first_use("saml-state", attempt->state.token, attempt->state.expires);
        if (!first) return fail(r, c, first.error(), again.c_str());
        if (!first.value())
            return fail(r, c, make_error(Status::saml_replayed, "the sign-in state was used already"), again.c_str());
    }
    Identity identity = login.value().identity;
    identity.idp_name = "saml";
    // Indexes for IdP-initiated single logout: the IdP names a sign-in by its
    // SessionIndex (or NameID); they lead to the session's handle.
    auto index = [&](const std::string& id) -> Result<void> {
        return SloIndex(stores.shared()).record(identity, SessionStore::handle(id),
                                                RequestStores::clock().now() + lifetime(c));
    };
    return finish_login(r, c, stores, identity, back, "SAML", "saml", index);
}

// Single logout at <prefix>/slo: the IdP's LogoutResponse (after a logout
// this site started), or its LogoutRequest (a logout started elsewhere).
int saml_slo(request_rec* r, const DirConfig* c, const SamlSp& sp) {
    std::string query = r->args ? r->args : "";
    auto params = parse_query(query);
    if (!params) return fail(r, c, make_error(Status::url_malformed, params.error().detail));
    bool is_request = false, is_response = false;
    for (const auto& [k, v] : params.value()) {
        is_request = is_request || k == "SAMLRequest";
        is_response = is_response || k == "SAMLResponse";
    }
    if (is_response && !is_request) {
        if (auto done = sp.process_logout_response(query); !done) return fail(r, c, done.error());
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO035: single logout completed at the IdP");
        return info_page(r, "Signed out", "You are signed out of the helpdesk and of your identity provider.", "/",
                         "Back to the start page");
    }
    if (!is_request) return fail(r, c, make_error(Status::saml_malformed, "neither SAMLRequest nor SAMLResponse"));
    auto request = sp.process_logout_request(query);
    if (!request) return fail(r, c, request.error());
    RequestStores stores(r, session_policy(c));
    const auto& named = request.value();
    auto handles = SloIndex(stores.shared()).take(named.issuer, named.session_indexes, named.name_id);
    if (!handles) return fail(r, c, handles.error());
    for (const auto& handle : handles.value())
        if (auto rm = stores.sessions().destroy_by_handle(handle); !rm) return fail(r, c, rm.error());
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO031: single logout of %s requested by %s: signed out (%d "
                  "session(s) ended)", named.name_id.c_str(), named.issuer.c_str(),
                  static_cast<int>(handles.value().size()));
    return redirect(r, request.value().response_url);
}

int saml_metadata(request_rec* r, const SamlSp& sp) {
    std::string md = sp.metadata();
    ap_set_content_type(r, "application/samlmetadata+xml");
    ap_rwrite(md.data(), static_cast<int>(md.size()), r);
    return OK;
}

}  // namespace

const EndpointSpec* find_route(request_rec* r, const DirConfig* c) {
    if (!enabled(c) || !r->uri) return nullptr;
    const char* prefix = endpoint(c);
    std::size_t n = std::strlen(prefix);
    if (std::strncmp(r->uri, prefix, n) != 0) return nullptr;
    return find_endpoint(r->uri + n);
}

int check_route(request_rec* r, const DirConfig* c, const EndpointSpec& e) {
    if (!served(e, r, c)) {
        // Scanners probe every leaf: not an error of this server's.
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "HDSSO022: %s%s is not served on this site (%s is not set)",
                      endpoint(c), e.leaf, served_when_name(e.served));
        return HTTP_NOT_FOUND;
    }
    if (!(e.methods & method_bit(r->method ? r->method : ""))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO023: %s%s takes %s, not %s", endpoint(c), e.leaf,
                      method_names(e.methods).c_str(), r->method);
        return method_not_allowed(r, method_names(e.methods));
    }
    return OK;
}

int handle_route(request_rec* r, const DirConfig* c, const EndpointSpec& e) {
    switch (e.id) {
    case Endpoint::remote: return remote_login(r, c);
    case Endpoint::jwt: return jwt_login(r, c);
    case Endpoint::login: return login_endpoint(r, c);
    case Endpoint::logout: return logout(r, c);
    case Endpoint::acs: return saml_acs(r, c, *saml_sp(r));
    case Endpoint::slo: return saml_slo(r, c, *saml_sp(r));
    case Endpoint::oidc: return oidc_callback(r, c);
    case Endpoint::oidc_backchannel: return oidc_backchannel(r, c);
    case Endpoint::metadata: return saml_metadata(r, *saml_sp(r));
    case Endpoint::diagnostics: return diagnostics_endpoint(r, c);
    case Endpoint::metrics: return metrics_endpoint(r);
    case Endpoint::deskpro:
    case Endpoint::zendesk:
    case Endpoint::kayako:
    case Endpoint::freshworks:
    case Endpoint::freshdesk: return broker_endpoint(r, c, e.leaf);
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

}  // namespace hdsso::mod
