#include "helpdesk/site_check.h"

#include <cstdio>

#include "core/secret_file.h"

namespace hdsso {

namespace {

// scheme, host (lowercase, no port) of an absolute URL; empty when not one.
std::pair<std::string, std::string> scheme_host(const std::string& url) {
    std::size_t colon = url.find("://");
    if (colon == std::string::npos) return {};
    std::string scheme = url.substr(0, colon);
    std::string rest = url.substr(colon + 3);
    std::string host = rest.substr(0, rest.find_first_of("/:?#"));
    for (auto* s : {&scheme, &host})
        for (char& c : *s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return {scheme, host};
}

bool readable(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    std::fclose(f);
    return true;
}

}  // namespace

namespace {

struct Findings {
    std::vector<Finding> out;
    void error(const char* code, const std::string& m) { out.push_back({true, code, m}); }
    void warn(const char* code, const std::string& m) { out.push_back({false, code, m}); }
};

// SAML: the SP is built from the vhost's settings, once.
void check_saml(const SiteFacts& f, Findings& r) {
    if (f.saml_base_url.empty()) {
        r.error("saml.base_url", "HelpdeskSSOSAMLBaseURL is required where an IdP is configured");
    } else {
        auto [scheme, host] = scheme_host(f.saml_base_url);
        if (scheme == "http" && f.cookie_secure)
            r.warn("saml.base_url_scheme", "HelpdeskSSOSAMLBaseURL is http:// but the session cookie is Secure "
                                           "(HelpdeskSSOCookieSecure On): browsers will not send it back over http");
        if (scheme == "https" && !f.cookie_secure)
            r.warn("cookie.not_secure", "the site is https but HelpdeskSSOCookieSecure is Off");
        bool named = f.names.empty();
        for (const auto& n : f.names) {
            std::string lower = n;
            for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            named = named || lower == host;
        }
        if (!named)
            r.warn("saml.base_url_host", "HelpdeskSSOSAMLBaseURL names host '" + host +
                                             "', which is not a ServerName or ServerAlias of this site");
    }
    if (!f.saml_error.empty()) r.error("saml.idp", f.saml_error);
    if (f.saml_sp_key && !f.saml_sp_cert)
        r.warn("saml.sp_cert", "HelpdeskSSOSAMLKeyFile without HelpdeskSSOSAMLCertFile: the SP metadata carries "
                               "no certificate, so the IdP cannot check signed requests or encrypt to this site");
    if (f.saml_sp_cert && !f.saml_sp_key)
        r.warn("saml.sp_key", "HelpdeskSSOSAMLCertFile without HelpdeskSSOSAMLKeyFile: the site can neither sign "
                              "nor decrypt, so its metadata does not publish the certificate");
    if (!f.saml_idp_slo) r.warn("saml.no_slo", "the IdP has no single logout URL: signing out here does not sign out there");
}

// Files named at startup must still be readable by the server.
void check_keys(const SiteFacts& f, Findings& r) {
    // A key set URL's backing file is fetched at start when it is missing.
    if (f.check_files && !f.jwt_key_path.empty() && f.jwt_keys_url.empty() && !readable(f.jwt_key_path))
        r.error("jwt.key_file", "HelpdeskSSOJWTKeyFile " + f.jwt_key_path + " cannot be read");
    if (!f.jwt_key_path.empty() && !f.jwt_audience)
        r.warn("jwt.audience", "HelpdeskSSOJWTKeyFile without HelpdeskSSOJWTAudience at this level: every location "
                               "that takes JWTs must set it, or /jwt answers config.invalid");
    if (f.check_files && !f.remote_secret_path.empty() && !readable(f.remote_secret_path))
        r.error("remote.secret_file", "HelpdeskSSORemoteSecretFile " + f.remote_secret_path + " cannot be read");
}

// Each HelpdeskSSOIdP line of the chooser has what its kind needs.
void check_choice(const SiteFacts& f, const SiteFacts::Choice& c, Findings& r) {
    if (c.kind == "saml" && !f.saml_configured)
        r.error("idp.saml", "HelpdeskSSOIdP " + c.name + " is saml but no SAML IdP is configured for this site");
    bool known = false;
    for (const auto& e : f.saml_idps) known = known || e == c.saml_entity;
    if (c.kind == "saml" && !c.saml_entity.empty() && !f.saml_idps.empty() && !known)
        r.error("idp.saml_entity", "HelpdeskSSOIdP " + c.name + " names IdP " + c.saml_entity +
                                       ", which no SAML setting of this site describes");
    if (c.kind == "saml" && c.saml_entity.empty() && f.saml_idps.size() > 1)
        r.error("idp.saml_entity", "HelpdeskSSOIdP " + c.name + ": this site trusts " +
                                       std::to_string(f.saml_idps.size()) + " SAML IdPs; name one (its entity ID)");
    if (c.kind == "jwt" && !c.own_login_url && !f.jwt_login_url)
        r.error("idp.login_url", "HelpdeskSSOIdP " + c.name + " has no login URL (HelpdeskSSOJWTLoginURL)");
    if (c.kind == "jwt" && f.jwt_key_path.empty())
        r.error("idp.jwt_key", "HelpdeskSSOIdP " + c.name + " is jwt but neither HelpdeskSSOJWTKeyFile nor HelpdeskSSOJWTKeysURL is set");
    if (c.kind == "remote" && !c.own_login_url && !f.remote_login_url)
        r.error("idp.login_url", "HelpdeskSSOIdP " + c.name + " has no login URL (HelpdeskSSORemoteLoginURL)");
    bool provider = false;
    for (const auto& o : f.oidc) provider = provider || o.name == c.name;
    if (c.kind == "oidc" && !provider)
        r.error("idp.oidc", "HelpdeskSSOIdP " + c.name + " is oidc but no HelpdeskSSOOIDCProvider " + c.name +
                                " is configured for this site");
    if (c.kind == "remote" && f.remote_secret_path.empty())
        r.error("idp.remote_secret", "HelpdeskSSOIdP " + c.name + " is remote but HelpdeskSSORemoteSecretFile is not set");
}

// Each OpenID provider has a client and what it authenticates with.
void check_oidc(const SiteFacts& f, Findings& r) {
    for (const auto& o : f.oidc) {
        if (!o.client)
            r.error("oidc.client", "HelpdeskSSOOIDCProvider " + o.name + " has no HelpdeskSSOOIDCClient");
        else if (f.check_files && !readable(o.secret_path))
            r.error("oidc.secret_file", "HelpdeskSSOOIDCClient " + o.name + ": " + o.secret_path + " cannot be read");
        if (o.preset == "google" && !o.domains)
            r.warn("oidc.any_google_account", "HelpdeskSSOOIDCProvider " + o.name +
                                                  ": any Google account can sign in (HelpdeskSSOOIDCAllowDomain "
                                                  "names your Workspace domains)");
        if (f.oidc.size() > 1 && o.loaded && !o.iss_parameter)
            r.warn("oidc.mix_up", "HelpdeskSSOOIDCProvider " + o.name + " does not name itself in its answers "
                                  "(RFC 9207 iss) and shares the redirect URI with this site's other providers: "
                                  "configure only providers you trust on one site");
        if (o.multi_tenant && !o.tenants)
            r.error("oidc.tenant", "HelpdeskSSOOIDCProvider " + o.name + " (" + o.issuer +
                                       ") is multi-tenant: HelpdeskSSOOIDCAllowTenant must name the tenants (tid) "
                                       "this site accepts, or any organisation's users could sign in");
        if (!o.loaded)
            r.warn("oidc.not_loaded", "HelpdeskSSOOIDCProvider " + o.name + " (" + o.issuer +
                                          "): no usable backing file (" + o.load_error +
                                          "); the discovery document and key set are fetched when Apache starts");
        if (!f.cookie_secure)
            r.warn("oidc.cookie_secure", "HelpdeskSSOOIDCProvider " + o.name +
                                             ": the cookies are not Secure, so the provider's answer is asked for "
                                             "in the query string (form_post needs SameSite=None; Secure)");
    }
}

// Where does a visitor without a session go?
void check_sign_in(const SiteFacts& f, Findings& r) {
    bool can_sign_in = f.saml_configured || f.remote_login_url || f.jwt_login_url || !f.idps.empty() ||
                       f.oidc.size() == 1;
    if (f.saml_idps.size() > 1 && f.idps.empty())
        r.warn("saml.several_idps", "this site trusts " + std::to_string(f.saml_idps.size()) +
                                        " SAML IdPs: HelpdeskSSOIdP lines let people choose (else sign-in cannot start)");
    if (!can_sign_in)
        r.warn("site.no_sign_in", "no sign-in method is set at this level (SAML IdP, HelpdeskSSORemoteLoginURL, "
                                  "HelpdeskSSOJWTLoginURL or HelpdeskSSOIdP): protected locations answer config.invalid");
    bool default_found = f.default_idp.empty();
    for (const auto& c : f.idps) {
        default_found = default_found || c.name == f.default_idp;
        check_choice(f, c, r);
    }
    if (!default_found) r.error("idp.default", "HelpdeskSSODefaultIdP " + f.default_idp + " names no HelpdeskSSOIdP");
}

}  // namespace

std::vector<Finding> check_site(const SiteFacts& f) {
    Findings r;
    if (!f.enabled) {
        if (f.saml_configured || !f.idps.empty() || !f.brokers.empty() || !f.oidc.empty())
            r.warn("site.off", "sign-in is configured but HelpdeskSSO is Off here: its endpoints are not served");
        return r.out;
    }
    if (f.saml_configured) check_saml(f, r);
    check_keys(f, r);
    check_oidc(f, r);
    check_sign_in(f, r);
    for (const auto& b : f.brokers)
        if (b == "deskpro" && !f.samesite_none)
            r.warn("broker.deskpro_iframe", "Deskpro may sign users in inside an iframe: set HelpdeskSSOCookieSameSite None "
                                            "(and serve the site over https)");
    if (f.idle_timeout > 0 && f.idle_timeout >= f.lifetime)
        r.warn("session.idle_timeout", "HelpdeskSSOSessionIdleTimeout is not shorter than HelpdeskSSOSessionLifetime");
    if (f.diagnostics)
        r.warn("diagnostics.on", "the diagnostics endpoint is on: protect it with its own Require line");
    return r.out;
}

}  // namespace hdsso
