#include "mod/diagnostics.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <string>

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"

#include "helpdesk/handoff.h"
#include "helpdesk/site_check.h"
#include "mod/broker.h"
#include "mod/chooser.h"
#include "mod/conftree_check.h"
#include "mod/helpdesk.h"
#include "mod/http.h"
#include "mod/jwks_url.h"
#include "mod/oidc.h"
#include "mod/saml.h"
#include "broker/broker.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

const char* set_diagnostics(cmd_parms*, void* m, int on) {
    static_cast<DirConfig*>(m)->diagnostics = {on, 1};
    return nullptr;
}

SiteFacts site_facts(server_rec* s, const DirConfig* c, bool try_build) {
    SiteFacts f;
    f.where = site_name(s);
    if (s->server_hostname) f.names.emplace_back(s->server_hostname);
    for (const apr_array_header_t* a : {s->names, s->wild_names})
        for (int i = 0; a && i < a->nelts; ++i) f.names.emplace_back(APR_ARRAY_IDX(a, i, const char*));
    f.enabled = enabled(c);
    f.cookie_secure = cookie_secure(c);
    f.samesite_none = cookie_samesite(c) == SameSite::none;
    f.lifetime = lifetime(c);
    f.idle_timeout = idle_timeout(c);
    saml_site_facts(s, f, try_build);
    oidc_site_facts(s, f);
    if (c->jwt_keys.set) {
        f.jwt_key_path = c->jwt_keys.value->path;
        if (const char* url = jwt_keys_url(*c->jwt_keys.value)) f.jwt_keys_url = url;
    }
    f.jwt_audience = c->jwt_audiences.set;
    f.jwt_login_url = c->jwt_login_url.set;
    if (c->remote_secret.set) f.remote_secret_path = c->remote_secret.value->path;
    f.remote_login_url = c->login_url.set;
    if (c->idps.set)
        for (int i = 0; i < c->idps.value->nelts; ++i) {
            const auto& choice = APR_ARRAY_IDX(c->idps.value, i, IdpChoice);
            f.idps.push_back({choice.name,
                              choice.kind == IdpKind::saml  ? "saml"
                              : choice.kind == IdpKind::jwt ? "jwt"
                              : choice.kind == IdpKind::oidc ? "oidc"
                                                             : "remote",
                              choice.login_url != nullptr, choice.saml_entity ? choice.saml_entity : ""});
        }
    if (c->default_idp.set) f.default_idp = c->default_idp.value;
    if (c->brokers.set)
        for (int i = 0; i < c->brokers.value->nelts; ++i)
            f.brokers.emplace_back(broker_kind_name(APR_ARRAY_IDX(c->brokers.value, i, const BrokerSettings*)->kind));
    f.diagnostics = c->diagnostics.set && c->diagnostics.value;
    f.check_files = try_build;
    return f;
}

std::string esc(request_rec* r, const std::string& s) { return ap_escape_html2(r->pool, s.c_str(), 1); }

std::string utc(std::int64_t t) {
    if (t <= 0) return "-";
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out;
}

std::string rows(request_rec* r, const std::vector<std::pair<std::string, std::string>>& pairs) {
    std::string html = "<table>\n";
    for (const auto& [k, v] : pairs)
        html += "<tr><th scope=\"row\">" + esc(r, k) + "</th><td>" + esc(r, v.empty() ? "-" : v) + "</td></tr>\n";
    return html + "</table>\n";
}

}  // namespace

const command_rec* diagnostics_commands() {
    static const command_rec table[] = {
        AP_INIT_FLAG("HelpdeskSSODiagnostics", HDSSO_CMD(set_diagnostics), nullptr, RSRC_CONF | ACCESS_CONF,
                     "serve <prefix>/diagnostics, the test-settings page (default Off); protect it with AuthType "
                     "HelpdeskSSO and its own Require line"),
        {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
    };
    return table;
}

int check_sites(apr_pool_t*, apr_pool_t*, apr_pool_t* ptemp, server_rec* main) {
    int errors = 0;
    for (server_rec* s = main; s; s = s->next) {
        const auto* c = static_cast<const DirConfig*>(ap_get_module_config(s->lookup_defaults, &helpdesk_sso_module));
        for (const auto& f : check_site(site_facts(s, c, true))) {
            errors += f.error;
            ap_log_error(APLOG_MARK, f.error ? APLOG_CRIT : APLOG_WARNING, 0, s, "%s: %s: %s: %s: %s (in %s)",
                         f.error ? "HDSSO060" : "HDSSO061", site_name(s).c_str(), f.error ? "error" : "warning",
                         f.code.c_str(), f.message.c_str(), site_defined_at(s).c_str());
        }
    }
    // The configuration as written: file modes, Require lines without our AuthType.
    for (const auto& f : check_config_tree(ptemp))
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, main, "HDSSO061: %s: warning: %s: %s (in %s)", f.site.c_str(),
                     f.code.c_str(), f.message.c_str(), f.defined_at.c_str());
    return errors ? HTTP_INTERNAL_SERVER_ERROR : OK;
}

namespace {

// Each attribute, and the fields its values became.
std::string attributes_section(request_rec* r, const Identity& id) {
    std::string html = "<h2>Attributes received</h2>\n";
    if (id.attributes.empty()) return html + "<p>The identity provider sent no attributes.</p>\n";
    html += "<table>\n<tr><th scope=\"col\">Name</th><th scope=\"col\">Values</th><th scope=\"col\">Mapped "
            "to</th></tr>\n";
    const std::pair<const char*, const std::string*> fields[] = {
        {"email", &id.email}, {"display name", &id.display_name}, {"given name", &id.given_name},
        {"family name", &id.family_name}, {"user name", &id.subject}};
    for (const auto& [name, values] : id.attributes) {
        std::vector<std::string> used;
        for (const auto& [field, value] : fields)
            for (const auto& v : values)
                if (!value->empty() && v == *value) {
                    used.emplace_back(field);
                    break;
                }
        if (!values.empty() && values == id.groups) used.emplace_back("groups");
        html += "<tr><td>" + esc(r, name) + "</td><td>" + esc(r, join(values)) + "</td><td>" +
                esc(r, used.empty() ? "-" : join(used)) + "</td></tr>\n";
    }
    return html + "</table>\n";
}

// What this location hands to the helpdesk.
std::string handoff_section(request_rec* r, const DirConfig* c, const Identity& id) {
    HandoffOptions options = handoff_options(c);
    std::string html = "<h2>What the helpdesk receives</h2>\n<p>Profile: <code>" +
                       esc(r, helpdesk_profile_name(options.profile)) + "</code></p>\n";
    auto h = make_handoff(id, options);
    if (!h)
        return html + "<p>Nothing: <code>" + esc(r, status_name(h.error().code)) + "</code> " +
               esc(r, h.error().detail) + "</p>\n";
    std::vector<std::pair<std::string, std::string>> out{{"REMOTE_USER", h.value().user}};
    for (const auto& [k, v] : h.value().headers) out.emplace_back("Header " + k, v);
    for (const auto& [k, v] : h.value().variables) out.emplace_back("Variable " + k, v);
    return html + rows(r, out);
}

// Where this site's JWT keys come from, and the kids in use now (a key set
// URL's refresh replaces them).
std::string jwt_keys_section(request_rec* r, const DirConfig* c) {
    if (!c->jwt_keys.set) return "";
    const JwtKeys& keys = *c->jwt_keys.value;
    std::vector<std::pair<std::string, std::string>> by_kid;  // in the set's order
    for (const JwsKey& k : jwt_verifier(keys)->keys()) {
        std::string kid = k.kid.empty() ? "(no kid)" : k.kid;
        auto it = std::find_if(by_kid.begin(), by_kid.end(), [&](const auto& e) { return e.first == kid; });
        if (it == by_kid.end()) by_kid.emplace_back(kid, jws_alg_name(k.alg));
        else it->second += std::string(" ") + jws_alg_name(k.alg);
    }
    std::string kids;
    for (const auto& [kid, algs] : by_kid) kids += (kids.empty() ? "" : ", ") + kid + " (" + algs + ")";
    const char* url = jwt_keys_url(keys);
    std::vector<std::pair<std::string, std::string>> out;
    if (url) out = {{"Key set URL (HelpdeskSSOJWTKeysURL)", url}, {"Backing file", keys.path}};
    else out = {{"Key file (HelpdeskSSOJWTKeyFile)", keys.path}};
    out.emplace_back("Keys in use (kid and algorithms)", kids);
    return "<h2>JWT keys</h2>\n" + rows(r, out);
}

std::string check_section(request_rec* r, const DirConfig* c) {
    std::string html = "<h2>Configuration check</h2>\n";
    auto findings = check_site(site_facts(r->server, c, false));
    if (findings.empty()) return html + "<p>No problems found.</p>\n";
    html += "<ul>\n";
    for (const auto& f : findings)
        html += std::string("<li>") + (f.error ? "Error" : "Warning") + ": <code>" + esc(r, f.code) + "</code> " +
                esc(r, f.message) + "</li>\n";
    return html + "</ul>\n";
}

}  // namespace

int diagnostics_endpoint(request_rec* r, const DirConfig* c) {
    const Session* session = find_session(r);
    const char* type = ap_auth_type(r);
    if (!session || !type || strcasecmp(type, "HelpdeskSSO") != 0)
        return fail(r, c, make_error(Status::config_invalid,
                                     std::string("protect ") + endpoint(c) +
                                         "/diagnostics with AuthType HelpdeskSSO and its own Require line"));
    const Identity& id = session->identity;
    std::string html = "<h2>Signed in as</h2>\n";
    html += rows(r, {{"User name (subject)", id.subject},
                     {"Email", id.email},
                     {"Display name", id.display_name},
                     {"Given name", id.given_name},
                     {"Family name", id.family_name},
                     {"Groups", join(id.groups)},
                     {"Issuer", id.issuer},
                     {"Identity provider kind", id.idp_name},
                     {"NameID", id.name_id},
                     {"NameID format", id.name_id_format},
                     {"SessionIndex", id.session_index}});
    if (auto oidc = oidc_diagnostics(r, id); !oidc.empty()) html += "<h2>OpenID Connect</h2>\n" + rows(r, oidc);
    html += attributes_section(r, id);
    html += handoff_section(r, c, id);
    html += "<h2>Session</h2>\n";
    html += rows(r, {{"Authenticated at the IdP", utc(id.auth_time)},
                     {"Session started", utc(session->created)},
                     {"Session ends", utc(session->expires)},
                     {"Last activity recorded", utc(session->last_seen)},
                     {"Idle timeout", idle_timeout(c) ? std::to_string(idle_timeout(c)) + " s" : "none"},
                     {"Identity valid until (IdP)", utc(id.expiry)}});
    if (auto certs = saml_sp_certificates(r->server); !certs.empty()) {
        // Which SP key pairs the site has (key rollover: current and next),
        // to compare with what each IdP holds.
        html += "<h2>SAML SP certificates (SHA-256)</h2>\n";
        html += rows(r, certs);
    }
    html += jwt_keys_section(r, c);
    html += check_section(r, c);
    return html_response(r, "Single sign-on diagnostics", html);
}

}  // namespace hdsso::mod
