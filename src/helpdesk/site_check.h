// The configuration check of one site (virtual host): what apachectl -t
// reports through the module, `hdsso config check` runs, and the
// diagnostics page shows. The module gathers the facts; the judgement is
// here, without Apache.
#pragma once

#include <string>
#include <vector>

namespace hdsso {

struct SiteFacts {
    std::string where;               // "host:port", for messages
    std::vector<std::string> names;  // ServerName and ServerAlias values
    bool enabled = false;            // HelpdeskSSO On
    bool cookie_secure = true;
    bool samesite_none = false;
    int lifetime = 0, idle_timeout = 0;
    // SAML (server scope)
    bool saml_configured = false;    // an IdP is configured
    std::string saml_base_url;       // HelpdeskSSOSAMLBaseURL
    std::string saml_error;          // why the SP cannot be built, if it cannot
    bool saml_sp_key = false, saml_sp_cert = false, saml_idp_slo = false;
    std::vector<std::string> saml_idps;  // the entity IDs of the IdPs the SP trusts
    // JWT, remote authentication
    std::string jwt_key_path;        // HelpdeskSSOJWTKeyFile, or HelpdeskSSOJWTKeysURL's backing file; empty when unset
    std::string jwt_keys_url;        // HelpdeskSSOJWTKeysURL, empty when unset
    bool jwt_audience = false;
    bool jwt_login_url = false;
    std::string remote_secret_path;  // HelpdeskSSORemoteSecretFile
    bool remote_login_url = false;
    // OpenID Connect providers (server scope)
    struct Oidc {
        std::string name, issuer;
        bool loaded = false;      // discovery document and key set in hand
        std::string load_error;   // why not (apachectl -t without a backing file)
        bool client = false;      // HelpdeskSSOOIDCClient
        std::string secret_path;  // its secret or key file
        bool tenants = false;     // HelpdeskSSOOIDCAllowTenant
        bool multi_tenant = false;  // the issuer is an Entra ID {tenantid} template
        std::string preset;         // HelpdeskSSOOIDCClaims
        bool domains = false;       // HelpdeskSSOOIDCAllowDomain
        bool iss_parameter = false; // RFC 9207 iss in its answers
    };
    std::vector<Oidc> oidc;
    // Several IdPs
    struct Choice {
        std::string name;
        std::string kind;  // saml, jwt, remote, oidc
        bool own_login_url = false;
        std::string saml_entity;  // saml: the IdP chosen, when the site has several
    };
    std::vector<Choice> idps;
    std::string default_idp;
    std::vector<std::string> brokers;  // deskpro, zendesk, ...
    bool diagnostics = false;
    // Whether files named at startup are read again (at startup, as the
    // user that read them; not from a worker, which may not be allowed to).
    bool check_files = true;
};

struct Finding {
    bool error;          // an error makes apachectl -t fail
    std::string code;    // stable, e.g. "saml.base_url_scheme"
    std::string message;
};

std::vector<Finding> check_site(const SiteFacts& f);

}  // namespace hdsso
