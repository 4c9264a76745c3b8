#include "mod/oidc.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"

#include "core/crypto.h"
#include "core/fetch.h"
#include "core/replay_cache.h"
#include "core/text.h"
#include "jose/base64url.h"
#include "jose/json.h"
#include "mod/http.h"
#include "mod/metrics.h"
#include "mod/oidc_provider.h"
#include "mod/sign_in.h"
#include "mod/socache_store.h"
#include "oidc/client.h"
#include "oidc/id_token.h"
#include "oidc/provider.h"
#include "session/slo_index.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

constexpr std::size_t kMaxAnswerBytes = 1u << 20;
// An ID token kept in the session for id_token_hint at most this long.
constexpr std::size_t kMaxKeptIdToken = 8 * 1024;

// ---- Requests ----------------------------------------------------------------

std::string own_url(request_rec* r, const DirConfig* c, const char* leaf) {
    return std::string(ap_http_scheme(r)) + "://" + host_url(r) + endpoint(c) + leaf;
}

FetchOptions fetch_options(const OidcSite& site, const std::string& url) {
    FetchOptions o;
    o.url = url;
    o.ca_file = site.discovery.ca_file ? site.discovery.ca_file : "";
    o.timeout_seconds = kOidcFetchSeconds;
    o.max_bytes = kMaxAnswerBytes;
    return o;
}

IdTokenPolicy id_token_policy(const OidcSite& site, const OidcProvider& p) {
    IdTokenPolicy policy;
    policy.issuer = p.issuer;
    policy.client_id = site.client.client_id;
    policy.algs = p.id_token_algs;
    policy.leeway = site.client.leeway;
    return policy;
}

// fetched again for an unknown kid.
Result<JsonObject> verify_with_refetch(OidcSite& site, const OidcProvider& p, const std::string& id_token,
                                       const std::string& nonce, const std::string& access_token) {
    auto keys = std::atomic_load(&site.keys);
    if (!keys) return make_error(Status::oidc_discovery, "the provider's key set is not loaded");
    IdTokenPolicy policy = id_token_policy(site, p);
    auto claims = verify_id_token(*keys, id_token, policy, nonce, access_token, RequestStores::clock().now());
    if (claims || claims.error().detail.rfind("jwt.unknown_kid", 0) != 0) return claims;
    std::string note;
    if (!refetch_oidc_keys(site, id_token, note))
        return make_error(Status::oidc_bad_id_token, claims.error().detail + " (" + note + ")");
    keys = std::atomic_load(&site.keys);
    claims = verify_id_token(*keys, id_token, policy, nonce, access_token, RequestStores::clock().now());
    if (!claims && claims.error().detail.rfind("jwt.unknown_kid", 0) == 0)
        return make_error(Status::oidc_bad_id_token, claims.error().detail + " (not in the key set fetched again either)");
    return claims;
}

}  // namespace


int oidc_login(request_rec* r, const DirConfig* c, const char* name, const std::string& back) {
    OidcSite* site = oidc_site_for(r, name);
    if (!site)
        return fail(r, c, make_error(Status::config_invalid, std::string("HelpdeskSSOIdP ") + name +
                                                                 ": no HelpdeskSSOOIDCProvider of that name here"));
    if (!site->client_set)
        return fail(r, c, make_error(Status::config_invalid, std::string("HelpdeskSSOOIDCProvider ") + name +
                                                                 " has no HelpdeskSSOOIDCClient"));
    auto provider = std::atomic_load(&site->provider);
    if (!provider) return fail(r, c, make_error(Status::oidc_discovery, site->issuer + ": the discovery document is not loaded"));
    if (issuer_has_tenant(provider->issuer) && site->client.tenants.empty())
        return fail(r, c, make_error(Status::config_invalid, std::string("HelpdeskSSOOIDCProvider ") + name +
                                                                 " is multi-tenant: HelpdeskSSOOIDCAllowTenant must "
                                                                 "name the tenants this site accepts"));
    auto token = random_bytes(32);
    auto nonce = random_bytes(32);
    auto pkce = make_pkce();
    if (!token) return fail(r, c, token.error());
    if (!nonce) return fail(r, c, nonce.error());
    if (!pkce) return fail(r, c, pkce.error());
    LoginState attempt;
    attempt.token = hex_encode(token.value());
    attempt.idp = name;
    attempt.nonce = base64url_encode(nonce.value());
    attempt.code_verifier = pkce.value().verifier;
    std::string url = authorization_url(*provider, site->client, own_url(r, c, "/oidc"), attempt.token, attempt.nonce,
                                        pkce.value().challenge, cookie_secure(c));
    return start_attempt(r, c, std::move(attempt), back, url);
}

int oidc_callback(request_rec* r, const DirConfig* c) {
    auto params = request_params(r);
    if (!params) return fail(r, c, params.error());
    std::string state, code, error, description, iss;
    for (auto [name, out] : {std::pair{"state", &state}, {"code", &code}, {"error", &error},
                             {"error_description", &description}, {"iss", &iss}}) {
        auto v = single(params.value(), name, Status::url_malformed);
        if (!v) return fail(r, c, v.error());
        *out = std::move(v.value());
    }
    // The attempt this browser started, by the state the provider echoes:
    // its sealed cookie holds the nonce, the PKCE verifier and the return
    // path. It is used once, whatever comes of it.
    RequestStores stores(r, session_policy(c));
    auto sealer = login_state_sealer(r, c, stores);
    if (!sealer) return fail(r, c, sealer.error());
    std::int64_t now = RequestStores::clock().now();
    std::vector<Attempt> attempts = open_attempts(r, c, sealer.value(), now);
    const Attempt* attempt = nullptr;
    for (const auto& a : attempts)
        if (!state.empty() && !a.state.idp.empty() && constant_time_equal(a.state.token, state)) attempt = &a;
    std::string again = std::string(endpoint(c)) + "/login";
    if (!attempt)
        return fail(r, c, make_error(Status::oidc_state_mismatch,
                                     state.empty() ? "the answer has no state"
                                                   : "no sign-in attempt of this browser has this state (it expired, "
                                                     "was used, or was started elsewhere)"),
                    again.c_str());
    set_saml_cookie(r, c, attempt->cookie, "", 0);
    const LoginState& a = attempt->state;
    again = append_query(again, {{"idp", a.idp}, {"return", a.return_to.empty() ? "/" : a.return_to}});
    OidcSite* site = oidc_site_for(r, a.idp);
    if (!site || !site->client_set)
        return fail(r, c, make_error(Status::config_invalid, "the provider " + a.idp + " of this attempt is gone"));
    auto provider = std::atomic_load(&site->provider);
    if (!provider) return fail(r, c, make_error(Status::oidc_discovery, site->issuer + ": not loaded"));
    // RFC 9207: a provider that names itself must be the one asked, and one
    // that says it always does must have (mix-up: an answer from another
    // provider of this site for this attempt).
    if (iss.empty() && provider->iss_parameter)
        return fail(r, c, make_error(Status::oidc_provider_error, "the answer does not name its issuer (iss), which " +
                                                                      provider->issuer + " always does"), again.c_str());
    if (!iss.empty() && !tenant_issuer_matches(provider->issuer, iss, true))
        return fail(r, c, make_error(Status::oidc_provider_error, "the answer names issuer " + printable_excerpt(iss) +
                                                                      ", not " + provider->issuer), again.c_str());
    if (!error.empty())
        return fail(r, c, make_error(Status::oidc_provider_error,
                                     a.idp + " answered error=" + printable_excerpt(error, 64) +
                                         (description.empty() ? "" : ": " + printable_excerpt(description))), again.c_str());
    if (code.empty())
        return fail(r, c, make_error(Status::oidc_provider_error, "the answer has neither code nor error"), again.c_str());
    // A multi-tenant provider signs in anyone's tenant: only with the
    // tenants this site accepts named.
    if (issuer_has_tenant(provider->issuer) && site->client.tenants.empty())
        return fail(r, c, make_error(Status::config_invalid, "HelpdeskSSOOIDCProvider " + a.idp + " is multi-tenant (" +
                                                                 provider->issuer + "): HelpdeskSSOOIDCAllowTenant "
                                                                 "must name the tenants this site accepts"));
    auto request = token_request(*provider, site->client, code, own_url(r, c, "/oidc"), a.code_verifier, now);
    if (!request) return fail(r, c, request.error());
    auto answer = http_exchange(fetch_options(*site, provider->token_endpoint), request.value());
    Result<TokenAnswer> tokens = answer ? parse_token_answer(answer.value())
                                        : Result<TokenAnswer>(make_error(Status::oidc_token_endpoint, answer.error().detail));
    count("hdsso_oidc_token_requests_total", {{"idp", a.idp}, {"result", tokens ? "ok" : "failed"}});
    if (!tokens) return fail(r, c, tokens.error(), again.c_str());
    const TokenAnswer& t = tokens.value();
    auto claims = verify_with_refetch(*site, *provider, t.id_token, a.nonce, t.access_token);
    if (!claims) return fail(r, c, claims.error(), again.c_str());

    std::optional<JsonObject> userinfo;
    if (site->client.userinfo) {
        Result<JsonObject> info = make_error(Status::oidc_userinfo, "the provider has no userinfo_endpoint");
        if (t.access_token.empty()) info = make_error(Status::oidc_userinfo, "no access token came back to ask with");
        else if (!provider->userinfo_endpoint.empty()) {
            auto got = http_exchange(fetch_options(*site, provider->userinfo_endpoint), userinfo_request(t.access_token));
            info = got ? parse_userinfo(got.value(), claims.value().string("sub").value_or(""))
                       : Result<JsonObject>(make_error(Status::oidc_userinfo, got.error().detail));
        }
        if (!info) return fail(r, c, info.error(), again.c_str());
        userinfo = std::move(info.value());
    }
    auto identity = oidc_identity(claims.value(), userinfo ? &*userinfo : nullptr, site->client, provider->issuer,
                                  RequestStores::clock().now());
    if (!identity) return fail(r, c, identity.error(), again.c_str());
    // The state once, recorded only now that the answer is verified (junk
    // sent with a real attempt cookie writes nothing): a second answer for
    // the same attempt (a copied cookie) makes no second session. The
    // provider takes each code once, and PKCE and the nonce bind it to
    // this attempt.
    ReplayCache replay(stores.one_time());
    auto first = replay.first_use("oidc-state", a.token, a.expires);
    if (!first) return fail(r, c, first.error(), again.c_str());
    if (!first.value())
        return fail(r, c, make_error(Status::oidc_state_mismatch, "this sign-in attempt was answered already"),
                    again.c_str());
    Identity& id = identity.value();
    id.idp_name = a.idp;
    // Kept for id_token_hint when the provider has RP-initiated logout.
    if (!provider->end_session_endpoint.empty()) {
        if (t.id_token.size() <= kMaxKeptIdToken) id.id_token = t.id_token;
        else ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO106: the ID token (%" APR_SIZE_T_FMT " bytes) is not "
                           "kept for the logout hint", t.id_token.size());
    }
    // Back-channel logout names a sign-in by sid (or sub): indexed to the
    // session's handle.
    auto index = [&](const std::string& session) -> Result<void> {
        return SloIndex(stores.shared()).record(id, SessionStore::handle(session), RequestStores::clock().now() + lifetime(c));
    };
    std::string how = "OpenID Connect (" + a.idp + ")";
    return finish_login(r, c, stores, id, a.return_to, how.c_str(), "oidc", index);
}

int oidc_backchannel(request_rec* r, const DirConfig* c) {
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    // Every refusal is counted (a provider whose notices keep failing is
    // worth an alert), whatever the reason.
    auto refuse = [&](const Error& e) {
        count("hdsso_oidc_backchannel_logouts_total", {{"result", "refused"}});
        return fail(r, c, e);
    };
    auto params = request_params(r);
    if (!params) return refuse(make_error(Status::oidc_bad_logout_token, params.error().detail));
    auto token = single(params.value(), "logout_token", Status::oidc_bad_logout_token);
    if (!token) return refuse(token.error());
    if (token.value().empty()) return refuse(make_error(Status::oidc_bad_logout_token, "no logout_token"));
    // The provider it claims to come from (then verified with that
    // provider's keys, its issuer compared exactly).
    std::string claimed;
    {
        std::string_view t = token.value();
        std::size_t dot1 = t.find('.'), dot2 = dot1 == std::string_view::npos ? dot1 : t.find('.', dot1 + 1);
        if (dot2 != std::string_view::npos)
            if (auto payload = base64url_decode(t.substr(dot1 + 1, dot2 - dot1 - 1)))
                if (auto o = JsonObject::parse(payload.value(), Status::jwt_malformed))
                    claimed = std::string(o.value().string("iss").value_or(""));
    }
    // Each of this site's clients at that issuer, until one verifies it,
    // with the keys in use: a logout token never makes the key set be
    // fetched again (anyone can post one naming any kid).
    const server_rec* s = oidc_provider_server(r->server);
    OidcSite* site = nullptr;
    Result<LogoutNotice> notice = make_error(Status::oidc_bad_logout_token,
                                             "its issuer is not a provider of this site: " + printable_excerpt(claimed));
    std::int64_t now = RequestStores::clock().now();
    for (OidcSite* candidate : oidc_sites()) {
        if (candidate->s != s || !candidate->client_set) continue;
        auto p = std::atomic_load(&candidate->provider);
        auto keys = std::atomic_load(&candidate->keys);
        if (!p || !keys || !tenant_issuer_matches(p->issuer, claimed, true)) continue;
        notice = verify_logout_token(*keys, token.value(), id_token_policy(*candidate, *p), now);
        if (notice) {
            site = candidate;
            break;
        }
    }
    if (!notice) return refuse(notice.error());
    RequestStores stores(r, session_policy(c));
    ReplayCache replay(stores.one_time());
    auto first = replay.first_use("oidc-logout", notice.value().issuer + "\n" + notice.value().jti,
                                  notice.value().expires);
    if (!first) return refuse(first.error());
    if (!first.value()) return refuse(make_error(Status::oidc_bad_logout_token, "this logout token was used already (jti)"));
    const LogoutNotice& n = notice.value();
    std::vector<std::string> sids;
    if (!n.sid.empty()) sids.push_back(n.sid);
    auto handles = SloIndex(stores.shared()).take(n.issuer, sids, n.sid.empty() ? n.sub : std::string(), SloProtocol::oidc);
    if (!handles) return fail(r, c, handles.error());
    for (const auto& handle : handles.value())
        if (auto rm = stores.sessions().destroy_by_handle(handle); !rm) return fail(r, c, rm.error());
    count("hdsso_oidc_backchannel_logouts_total", {{"result", "ok"}});
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "HDSSO107: back-channel logout from %s (%s %s): %" APR_SIZE_T_FMT " session(s) ended",
                  site->name.c_str(), n.sid.empty() ? "sub" : "sid", printable_excerpt(n.sid.empty() ? n.sub : n.sid, 64).c_str(),
                  handles.value().size());
    return send_response(r, HTTP_OK, "text/plain; charset=utf-8", "");
}

std::string oidc_logout_url(request_rec* r, const DirConfig* c, const Identity& id) {
    if (id.name_id_format != "oidc") return {};
    OidcSite* site = oidc_site_for(r, id.idp_name);
    if (!site || !site->client_set) return {};
    auto provider = std::atomic_load(&site->provider);
    if (!provider || !tenant_issuer_matches(provider->issuer, id.issuer, true)) return {};
    auto state = random_bytes(16);
    return end_session_url(*provider, site->client, id.id_token, own_url(r, c, "/logout"),
                           state ? hex_encode(state.value()) : "");
}

std::vector<std::pair<std::string, std::string>> oidc_diagnostics(request_rec* r, const Identity& id) {
    if (id.name_id_format != "oidc") return {};
    OidcSite* site = oidc_site_for(r, id.idp_name);
    if (!site) return {{"OpenID provider", id.idp_name + " (no longer configured here)"}};
    const OidcClientSettings& c = site->client;
    auto provider = std::atomic_load(&site->provider);
    auto keys = std::atomic_load(&site->keys);
    std::string kids;
    for (const JwsKey& k : keys ? keys->keys() : std::vector<JwsKey>{})
        if (kids.find(k.kid) == std::string::npos) kids += (kids.empty() ? "" : ", ") + (k.kid.empty() ? "(no kid)" : k.kid);
    auto join = [](const std::vector<std::string>& v) {
        std::string out;
        for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
        return out.empty() ? std::string("any") : out;
    };
    auto claim = [](const std::string& name) { return name.empty() || name == "\x01" ? std::string("(none)") : name; };
    return {{"OpenID provider (HelpdeskSSOOIDCProvider)", site->name},
            {"Issuer", provider ? provider->issuer : site->issuer},
            {"Discovery backing file", site->discovery.backing},
            {"Client ID", c.client_id},
            {"Client authentication", client_auth_name(c.auth)},
            {"Scopes", join(c.scopes)},
            {"Claim preset (HelpdeskSSOOIDCClaims)", claim_preset_name(c.preset)},
            {"User name from claim", claim(c.mapping.user)},
            {"Email from claim", claim(c.mapping.email) + (c.mapping.email == "email" ? " (when email_verified is true)" : "")},
            {"Display name from claim", claim(c.mapping.name)},
            {"Groups from claim", claim(c.mapping.groups)},
            {"Tenants allowed (tid)", join(c.tenants)},
            {"Hosted domains allowed (hd)", join(c.domains)},
            {"Userinfo read", c.userinfo ? "yes" : "no"},
            {"Subject (sub)", id.name_id},
            {"Provider session (sid)", id.session_index.empty() ? "(none)" : id.session_index},
            {"ID token kept for logout", id.id_token.empty() ? "no" : "yes (" + std::to_string(id.id_token.size()) + " bytes)"},
            {"Keys in use (kid)", kids.empty() ? "(none)" : kids}};
}

}  // namespace hdsso::mod
