#include "mod/oidc_provider.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "apr_lib.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"

#include "core/rate_gate.h"
#include "core/secret_file.h"
#include "jose/jwks_url.h"
#include "mod/dir_config.h"
#include "mod/jwks_url.h"
#include "mod/metrics.h"
#include "mod/oidc.h"
#include "oidc/provider.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

// How long a request waits for a key set fetched again for an unknown kid.
constexpr std::chrono::milliseconds kKidWait{15000};

// This configuration's providers; emptied with the configuration pool.
std::vector<OidcSite*>& registry() {
    static std::vector<OidcSite*> sites;
    return sites;
}

apr_status_t forget(void* data) {
    auto* site = static_cast<OidcSite*>(data);
    auto& all = registry();
    all.erase(std::remove(all.begin(), all.end(), site), all.end());
    delete site;
    return APR_SUCCESS;
}

OidcSite* find_site(const server_rec* s, std::string_view name) {
    for (OidcSite* site : registry())
        if (site->s == s && site->name == name) return site;
    return nullptr;
}

// A virtual host's providers are its own, or else the main server's.
const server_rec* provider_server(const server_rec* s) {
    for (OidcSite* site : registry())
        if (site->s == s) return s;
    return ap_server_conf;
}


std::string because(const Error& e) { return std::string(status_name(e.code)) + ": " + e.detail; }

// The provider's keys, with its ID token algorithms.
Result<std::shared_ptr<const JwsVerifier>> verifier_from(const std::string& text, const OidcProvider& p) {
    auto doc = check_jwks_document(text, p.id_token_algs);
    if (!doc) return doc.error();
    return std::shared_ptr<const JwsVerifier>(std::make_shared<const JwsVerifier>(std::move(doc.value().keys)));
}

// A document from its backing file when it passes `check`; else fetched
// (and written to the backing file); else both reasons. apachectl -t never
// fetches: it says when the document would be.
Result<std::string> load(cmd_parms* cmd, const UrlSource& u, const char* what,
                         const std::function<Result<void>(const std::string&)>& check, bool& deferred) {
    std::string why_not_file;
    if (auto read = read_backing(u)) {
        auto ok = check(read.value());
        if (ok) return std::move(read.value());
        why_not_file = because(ok.error());
    } else {
        why_not_file = read.error().detail;
    }
    if (ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_NORMAL) {
        ap_log_perror(APLOG_MARK, APLOG_WARNING, 0, cmd->temp_pool,
                      "HDSSO104: OpenID %s %s: the backing file is not usable (%s); it is fetched when Apache starts, "
                      "which fails if that fails", what, u.url, why_not_file.c_str());
        deferred = true;
        return make_error(Status::oidc_discovery, why_not_file);
    }
    auto fetched = fetch_source(u, nullptr);
    Result<void> ok = fetched ? check(fetched.value()) : Result<void>(fetched.error());
    if (!ok)
        return make_error(Status::oidc_discovery, std::string(u.url) + ": the backing file is not usable (" +
                                                      why_not_file + ") and fetching failed (" + because(ok.error()) +
                                                      ")");
    if (auto w = write_backing(u, fetched.value()); !w)
        ap_log_perror(APLOG_MARK, APLOG_WARNING, 0, cmd->temp_pool, "HDSSO105: OpenID %s %s: %s", what, u.url,
                      w.error().detail.c_str());
    ap_log_perror(APLOG_MARK, APLOG_NOTICE, 0, cmd->temp_pool,
                  "HDSSO104: OpenID %s %s fetched at start (the backing file: %s)", what, u.url, why_not_file.c_str());
    return std::move(fetched.value());
}

const char* resolve_file(cmd_parms* cmd, const char* arg, const char*& out) {
    out = *arg ? ap_server_root_relative(cmd->pool, arg) : nullptr;
    return out ? nullptr : bad_value(cmd, "a file path", arg);
}

// HelpdeskSSOOIDCProvider NAME ISSUER BACKING-FILE [refresh=S] [kid-refetch=S] [ca=CA-FILE]
const char* add_provider(cmd_parms* cmd, void*, int argc, char* const argv[]) {
    if (argc < 3)
        return apr_psprintf(cmd->pool, "%s: expected NAME ISSUER BACKING-FILE [refresh=SECONDS] "
                                       "[kid-refetch=SECONDS] [ca=CA-FILE]", cmd->cmd->name);
    const char* name = argv[0];
    if (!*name || std::strlen(name) > 32 ||
        std::any_of(name, name + std::strlen(name), [](char ch) { return !(apr_isalnum(ch) || ch == '-' || ch == '_'); }))
        return bad_value(cmd, "a short name of letters, digits, '-' and '_' (up to 32)", name);
    if (find_site(cmd->server, name)) return apr_psprintf(cmd->pool, "%s: '%s' is named twice", cmd->cmd->name, name);
    std::string issuer = argv[1];
    if (issuer.rfind("https://", 0) != 0) return bad_value(cmd, "an https issuer URL", argv[1]);
    auto site = std::make_unique<OidcSite>();
    site->name = name;
    site->s = cmd->server;
    site->issuer = issuer;
    const char* backing = nullptr;
    if (const char* e = resolve_file(cmd, argv[2], backing)) return e;
    int refresh = 3600, kid_refetch = 60;
    const char* ca = nullptr;
    for (int i = 3; i < argc; ++i) {
        const char* eq = std::strchr(argv[i], '=');
        std::string key = eq ? std::string(argv[i], static_cast<std::size_t>(eq - argv[i])) : std::string(argv[i]);
        const char* value = eq ? eq + 1 : "";
        if (key == "refresh") {
            if (const char* e = parse_seconds(cmd, value, kJwksRefreshMin, kJwksRefreshMax, refresh)) return e;
        } else if (key == "kid-refetch") {
            if (const char* e = parse_seconds(cmd, value, kJwksKidRefetchMin, kJwksKidRefetchMax, kid_refetch))
                return e;
        } else if (key == "ca") {
            if (const char* e = resolve_file(cmd, value, ca)) return e;
            auto text = read_config_file(ca, 1024 * 1024);
            if (!text) return directive_error(cmd, "ca=: " + text.error().detail);
            if (text.value().find("-----BEGIN CERTIFICATE-----") == std::string::npos)
                return directive_error(cmd, std::string("ca=: ") + value + " is not a PEM certificate");
        } else {
            return bad_value(cmd, "refresh=SECONDS, kid-refetch=SECONDS or ca=CA-FILE", argv[i]);
        }
    }
    for (OidcSite* other : registry())
        if (other->discovery.backing && !std::strcmp(other->discovery.backing, backing))
            return directive_error(cmd, std::string("the backing file ") + backing +
                                            " is already that of another HelpdeskSSOOIDCProvider (each needs its own)");
    site->discovery.url = apr_pstrdup(cmd->pool, discovery_url(issuer).c_str());
    site->discovery.backing = backing;
    site->discovery.refresh = refresh;
    site->discovery.ca_file = ca;
    site->discovery.fetch_seconds = kOidcFetchSeconds;
    site->jwks = site->discovery;
    site->jwks_backing = std::string(backing) + ".jwks";
    site->jwks.backing = apr_pstrdup(cmd->pool, site->jwks_backing.c_str());
    site->jwks.url = "";
    site->gate = std::make_unique<RateGate>(kid_refetch);

    bool deferred = false;
    std::shared_ptr<const OidcProvider> provider;
    auto disc = load(cmd, site->discovery, "discovery",
                     [&](const std::string& text) -> Result<void> {
                         auto p = parse_discovery(text, site->issuer);
                         if (!p) return p.error();
                         provider = std::make_shared<const OidcProvider>(std::move(p.value()));
                         return {};
                     },
                     deferred);
    if (!disc && !deferred) return directive_error(cmd, disc.error().detail);
    if (disc) {
        site->discovery_text = disc.value();
        site->provider = provider;
        site->jwks.url = apr_pstrdup(cmd->pool, provider->jwks_uri.c_str());
        std::shared_ptr<const JwsVerifier> keys;
        auto set = load(cmd, site->jwks, "key set",
                        [&](const std::string& text) -> Result<void> {
                            auto v = verifier_from(text, *provider);
                            if (!v) return v.error();
                            keys = v.value();
                            return {};
                        },
                        deferred);
        if (!set && !deferred) return directive_error(cmd, set.error().detail);
        if (set) {
            site->jwks_text = set.value();
            site->keys = keys;
        } else {
            site->load_error = set.error().detail;
        }
    } else {
        site->load_error = disc.error().detail;
    }
    OidcSite* raw = site.release();
    registry().push_back(raw);
    apr_pool_cleanup_register(cmd->pool, raw, forget, apr_pool_cleanup_null);
    return nullptr;
}

// The provider a per-provider directive names (declared before it, on
// the same virtual host).
const char* named(cmd_parms* cmd, const char* name, OidcSite*& out) {
    out = find_site(cmd->server, name);
    if (!out)
        return apr_psprintf(cmd->pool, "%s: no HelpdeskSSOOIDCProvider named '%s' before this line on this virtual host",
                            cmd->cmd->name, name);
    return nullptr;
}

// HelpdeskSSOOIDCClient NAME CLIENT-ID secret-file=PATH [auth=client_secret_basic|client_secret_post]
// HelpdeskSSOOIDCClient NAME CLIENT-ID private-key-jwt=KEY-FILE [alg=ALG] [kid=KID]
const char* set_client(cmd_parms* cmd, void*, int argc, char* const argv[]) {
    if (argc < 3)
        return apr_psprintf(cmd->pool, "%s: expected NAME CLIENT-ID secret-file=PATH [auth=client_secret_basic|"
                                       "client_secret_post], or NAME CLIENT-ID private-key-jwt=KEY-FILE [alg=ALG] "
                                       "[kid=KID]", cmd->cmd->name);
    OidcSite* site = nullptr;
    if (const char* e = named(cmd, argv[0], site)) return e;
    if (site->client_set) return apr_psprintf(cmd->pool, "%s: '%s' has a client already", cmd->cmd->name, argv[0]);
    OidcClientSettings& c = site->client;
    c.client_id = argv[1];
    if (c.client_id.empty() || c.client_id.size() > 255 ||
        std::any_of(c.client_id.begin(), c.client_id.end(), [](unsigned char ch) { return ch <= 0x20 || ch == 0x7f; }))
        return bad_value(cmd, "a client ID (printable, no spaces)", argv[1]);
    const char *secret = nullptr, *key = nullptr, *auth = nullptr, *alg = nullptr, *kid = nullptr;
    for (int i = 2; i < argc; ++i) {
        const char* eq = std::strchr(argv[i], '=');
        std::string k = eq ? std::string(argv[i], static_cast<std::size_t>(eq - argv[i])) : std::string(argv[i]);
        const char* v = eq ? eq + 1 : "";
        if (k == "secret-file") secret = v;
        else if (k == "private-key-jwt") key = v;
        else if (k == "auth") auth = v;
        else if (k == "alg") alg = v;
        else if (k == "kid") kid = v;
        else return bad_value(cmd, "secret-file=, private-key-jwt=, auth=, alg= or kid=", argv[i]);
    }
    if (!secret == !key) return directive_error(cmd, "name exactly one of secret-file=PATH and private-key-jwt=KEY-FILE");
    const char* path = nullptr;
    if (const char* e = resolve_file(cmd, secret ? secret : key, path)) return e;
    site->secret_path = path;
    if (secret) {
        if (alg || kid) return directive_error(cmd, "alg= and kid= go with private-key-jwt=");
        c.auth = ClientAuth::secret_basic;
        if (auth) {
            auto a = parse_client_auth(auth);
            if (!a || *a == ClientAuth::private_key_jwt)
                return bad_value(cmd, "auth=client_secret_basic or auth=client_secret_post", auth);
            c.auth = *a;
        }
        auto s = read_secret_file(path);
        if (!s) return directive_error(cmd, s.error().detail);
        c.secret = std::move(s.value());
    } else {
        if (auth) return directive_error(cmd, "auth= goes with secret-file= (private-key-jwt= is its own method)");
        auto a = parse_jws_alg(alg ? alg : "RS256");
        if (!a || is_hmac(*a)) return bad_value(cmd, "alg= a public-key algorithm (RS256, PS256, ES256, ...)", alg);
        auto pem = read_config_file(path, 64 * 1024);
        if (!pem) return directive_error(cmd, pem.error().detail);
        auto k = pem_to_key(pem.value(), *a, kid ? kid : "");
        if (!k) return directive_error(cmd, std::string(key) + ": " + k.error().detail);
        if (!k.value().has_private) return directive_error(cmd, std::string(key) + ": not a private key");
        if (!kid) {
            auto thumb = jwk_thumbprint(k.value());
            if (!thumb) return directive_error(cmd, thumb.error().detail);
            k.value().kid = thumb.value();
        }
        c.auth = ClientAuth::private_key_jwt;
        c.assertion_key = std::make_shared<const JwsKey>(std::move(k.value()));
    }
    site->client_set = true;
    return nullptr;
}

// HelpdeskSSOOIDCScopes NAME SCOPE...
const char* set_scopes(cmd_parms* cmd, void*, int argc, char* const argv[]) {
    if (argc < 2) return apr_psprintf(cmd->pool, "%s: expected NAME SCOPE...", cmd->cmd->name);
    OidcSite* site = nullptr;
    if (const char* e = named(cmd, argv[0], site)) return e;
    std::vector<std::string> scopes;
    for (int i = 1; i < argc; ++i) {
        std::string s = argv[i];
        if (s.empty() || std::any_of(s.begin(), s.end(), [](unsigned char ch) {
                return ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '\\';
            }))
            return bad_value(cmd, "a scope (RFC 6749 scope-token)", argv[i]);
        scopes.push_back(s);
    }
    if (std::find(scopes.begin(), scopes.end(), "openid") == scopes.end()) scopes.insert(scopes.begin(), "openid");
    site->client.scopes = std::move(scopes);
    return nullptr;
}

// HelpdeskSSOOIDCClaims NAME generic|entra|okta|google [user=C] [email=C] [name=C] [groups=C]
const char* set_claims(cmd_parms* cmd, void*, int argc, char* const argv[]) {
    if (argc < 2)
        return apr_psprintf(cmd->pool, "%s: expected NAME generic|entra|okta|google [user=CLAIM] [email=CLAIM] "
                                       "[name=CLAIM] [groups=CLAIM]", cmd->cmd->name);
    OidcSite* site = nullptr;
    if (const char* e = named(cmd, argv[0], site)) return e;
    auto preset = parse_claim_preset(argv[1]);
    if (!preset) return bad_value(cmd, "generic, entra, okta or google", argv[1]);
    OidcClientSettings& c = site->client;
    c.preset = *preset;
    c.mapping = preset_mapping(*preset);
    for (int i = 2; i < argc; ++i) {
        const char* eq = std::strchr(argv[i], '=');
        std::string k = eq ? std::string(argv[i], static_cast<std::size_t>(eq - argv[i])) : std::string(argv[i]);
        const char* v = eq ? eq + 1 : "";
        if (!*v || std::strlen(v) > 64) return bad_value(cmd, "user=, email=, name= or groups= with a claim name", argv[i]);
        if (k == "user") c.mapping.user = v;
        else if (k == "email") c.mapping.email = v;
        else if (k == "name") c.mapping.name = v;
        else if (k == "groups") c.mapping.groups = v;
        else return bad_value(cmd, "user=, email=, name= or groups=", argv[i]);
    }
    return nullptr;
}

template <std::vector<std::string> OidcClientSettings::*List>
const char* set_list(cmd_parms* cmd, void*, int argc, char* const argv[]) {
    if (argc < 2) return apr_psprintf(cmd->pool, "%s: expected NAME VALUE...", cmd->cmd->name);
    OidcSite* site = nullptr;
    if (const char* e = named(cmd, argv[0], site)) return e;
    auto& list = site->client.*List;
    list.clear();
    for (int i = 1; i < argc; ++i) {
        if (!*argv[i] || std::strlen(argv[i]) > 255) return bad_value(cmd, "a value of 1 to 255 characters", argv[i]);
        list.emplace_back(argv[i]);
    }
    return nullptr;
}

const char* set_userinfo(cmd_parms* cmd, void*, const char* name, const char* flag) {
    OidcSite* site = nullptr;
    if (const char* e = named(cmd, name, site)) return e;
    if (!strcasecmp(flag, "on")) site->client.userinfo = true;
    else if (!strcasecmp(flag, "off")) site->client.userinfo = false;
    else return bad_value(cmd, "On or Off", flag);
    return nullptr;
}


}  // namespace

std::vector<OidcSite*>& oidc_sites() { return registry(); }

OidcSite* oidc_site_for(request_rec* r, std::string_view name) { return find_site(provider_server(r->server), name); }

const server_rec* oidc_provider_server(const server_rec* s) { return provider_server(s); }

// For a token whose kid the keys in use lack: the provider's JWK set
// fetched again, at most once per kid-refetch= in this process, always from
// its URL (never a sibling's copy), the request waiting for that one fetch.
bool refetch_oidc_keys(OidcSite& site, std::string_view token, std::string& note) {
    if (!site.thread) {
        note = "no refresh thread";
        return false;
    }
    std::int64_t now = now_seconds();
    if (!site.gate->pass(now)) {
        note = "the key set was fetched again for an unknown kid less than " + std::to_string(site.gate->interval()) +
               " s ago";
        return false;
    }
    if (!refresh_now(site.thread, site.jwks_job, 0, kKidWait, "kid '" + token_kid(token) + "'")) {
        note = "the key set was not fetched again in time";
        return false;
    }
    return true;
}

// The ID token's claims, verified with the keys in use, or with the key set

bool oidc_configured(request_rec* r) {
    const server_rec* s = provider_server(r->server);
    for (OidcSite* site : registry())
        if (site->s == s) return true;
    return false;
}

const char* only_oidc_provider(request_rec* r) {
    const server_rec* s = provider_server(r->server);
    const char* found = nullptr;
    for (OidcSite* site : registry()) {
        if (site->s != s) continue;
        if (found) return nullptr;
        found = site->name.c_str();
    }
    return found;
}


// ---- Background refresh --------------------------------------------------------

void oidc_child_init(apr_pool_t* pchild, server_rec*) {
    std::vector<RefreshJob> jobs;
    std::vector<OidcSite*> sites;
    for (OidcSite* site : registry()) {
        if (!site->provider || !site->keys) continue;  // not loaded: the start failed or -t
        auto report = [site](const char* document) {
            return [site, document](const RefreshJob& j, RefreshOutcome outcome, const std::string& detail,
                                    bool from_sibling, const std::string& why) {
                const char* reason = why.empty() ? "schedule" : "kid";
                std::string extra = why.empty() ? "" : " (for a token naming " + why + ")";
                if (from_sibling) extra += " (fetched by another process)";
                const char* result = outcome == RefreshOutcome::changed     ? "changed"
                                     : outcome == RefreshOutcome::unchanged ? "unchanged"
                                                                            : "failed";
                count("hdsso_oidc_refreshes_total",
                      {{"idp", site->name}, {"document", document}, {"result", result}, {"reason", reason}});
                int level = outcome == RefreshOutcome::failed    ? APLOG_WARNING
                            : outcome == RefreshOutcome::changed ? APLOG_NOTICE
                                                                 : APLOG_INFO;
                ap_log_error(APLOG_MARK, level, 0, j.s, "HDSSO10%c: OpenID %s %s of %s: %s%s: %s%s",
                             outcome == RefreshOutcome::failed ? '2' : outcome == RefreshOutcome::changed ? '0' : '1',
                             document, j.source->url, site->name.c_str(), result,
                             outcome == RefreshOutcome::failed ? ", the one in use is kept" : "", detail.c_str(),
                             extra.c_str());
            };
        };
        RefreshJob disc;
        disc.s = site->s;
        disc.source = &site->discovery;
        disc.current = site->discovery_text;
        disc.check = [site](const std::string& text, std::int64_t) -> Result<CheckedDocument> {
            auto p = parse_discovery(text, site->issuer);
            if (!p) return p.error();
            return CheckedDocument{site->discovery.refresh, "issuer " + p.value().issuer};
        };
        disc.apply = [site](const std::string& text) -> Result<void> {
            auto p = parse_discovery(text, site->issuer);
            if (!p) return p.error();
            // Where codes, secrets and keys go is what Apache started with: a
            // changed endpoint is written to the backing file and taken at
            // the next (graceful) restart, never mid-run.
            auto now_in_use = std::atomic_load(&site->provider);
            const OidcProvider& n = p.value();
            if (n.jwks_uri != site->jwks.url || n.authorization_endpoint != now_in_use->authorization_endpoint ||
                n.token_endpoint != now_in_use->token_endpoint || n.userinfo_endpoint != now_in_use->userinfo_endpoint ||
                n.end_session_endpoint != now_in_use->end_session_endpoint) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, site->s,
                             "HDSSO103: OpenID provider %s names other endpoints now (token %s, jwks_uri %s); they "
                             "are used from the next restart of Apache, the ones in use are kept until then",
                             site->name.c_str(), n.token_endpoint.c_str(), n.jwks_uri.c_str());
                return {};
            }
            std::atomic_store(&site->provider, std::make_shared<const OidcProvider>(std::move(p.value())));
            return {};
        };
        disc.report = report("discovery");
        disc.not_written = [site](const RefreshJob& j, const std::string& error) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, j.s, "HDSSO105: OpenID provider %s: %s", site->name.c_str(),
                         error.c_str());
        };
        RefreshJob keys;
        keys.s = site->s;
        keys.source = &site->jwks;
        keys.current = site->jwks_text;
        keys.check = [site](const std::string& text, std::int64_t) -> Result<CheckedDocument> {
            auto doc = check_jwks_document(text, std::atomic_load(&site->provider)->id_token_algs);
            if (!doc) return doc.error();
            return CheckedDocument{site->jwks.refresh, "kids " + doc.value().kids};
        };
        keys.apply = [site](const std::string& text) -> Result<void> {
            auto v = verifier_from(text, *std::atomic_load(&site->provider));
            if (!v) return v.error();
            std::atomic_store(&site->keys, v.value());
            return {};
        };
        keys.report = report("jwks");
        keys.not_written = disc.not_written;
        site->discovery_job = jobs.size();
        jobs.push_back(std::move(disc));
        site->jwks_job = jobs.size();
        jobs.push_back(std::move(keys));
        sites.push_back(site);
    }
    RefreshThread* t = start_refresh(pchild, std::move(jobs));
    for (OidcSite* site : sites) site->thread = t;
}

// ---- Configuration check ---------------------------------------------------------

void oidc_site_facts(server_rec* s, SiteFacts& f) {
    const server_rec* from = provider_server(s);
    for (OidcSite* site : registry()) {
        if (site->s != from) continue;
        SiteFacts::Oidc o;
        o.name = site->name;
        o.issuer = site->issuer;
        auto provider = std::atomic_load(&site->provider);
        o.loaded = provider && std::atomic_load(&site->keys);
        o.load_error = site->load_error;
        o.client = site->client_set;
        o.secret_path = site->secret_path;
        o.tenants = !site->client.tenants.empty();
        o.multi_tenant = provider && issuer_has_tenant(provider->issuer);
        o.preset = claim_preset_name(site->client.preset);
        o.domains = !site->client.domains.empty();
        o.iss_parameter = provider && provider->iss_parameter;
        f.oidc.push_back(std::move(o));
    }
}

const command_rec* oidc_commands() {
    static const command_rec table[] = {
        AP_INIT_TAKE_ARGV("HelpdeskSSOOIDCProvider", HDSSO_CMD(add_provider), nullptr, RSRC_CONF,
                          "NAME ISSUER BACKING-FILE [refresh=SECONDS] [kid-refetch=SECONDS] [ca=CA-FILE]: an OpenID "
                          "provider by its https issuer; its discovery document is kept in BACKING-FILE and its key "
                          "set in BACKING-FILE.jwks, both fetched again in the background (every 3600 s unless "
                          "refresh= says sooner) and the key set, for an ID token naming an unknown kid, at most once "
                          "per kid-refetch= seconds (60 unless set)"),
        AP_INIT_TAKE_ARGV("HelpdeskSSOOIDCClient", HDSSO_CMD(set_client), nullptr, RSRC_CONF,
                          "NAME CLIENT-ID secret-file=PATH [auth=client_secret_basic|client_secret_post], or NAME "
                          "CLIENT-ID private-key-jwt=KEY-FILE [alg=RS256|PS256|ES256...] [kid=KID]: this site's "
                          "client at the provider and how it authenticates at the token endpoint"),
        AP_INIT_TAKE_ARGV("HelpdeskSSOOIDCScopes", HDSSO_CMD(set_scopes), nullptr, RSRC_CONF,
                          "NAME SCOPE...: the scopes asked for (openid email profile unless set; openid always)"),
        AP_INIT_TAKE_ARGV("HelpdeskSSOOIDCClaims", HDSSO_CMD(set_claims), nullptr, RSRC_CONF,
                          "NAME generic|entra|okta|google [user=CLAIM] [email=CLAIM] [name=CLAIM] [groups=CLAIM]: "
                          "which claims carry the user name, email, display name and groups"),
        AP_INIT_TAKE_ARGV("HelpdeskSSOOIDCAllowTenant", HDSSO_CMD(set_list<&OidcClientSettings::tenants>), nullptr,
                          RSRC_CONF, "NAME TENANT-ID...: Entra ID: only ID tokens whose tid is one of these"),
        AP_INIT_TAKE_ARGV("HelpdeskSSOOIDCAllowDomain", HDSSO_CMD(set_list<&OidcClientSettings::domains>), nullptr,
                          RSRC_CONF, "NAME DOMAIN...: Google: only ID tokens whose hd (hosted domain) is one of these"),
        AP_INIT_TAKE2("HelpdeskSSOOIDCUserInfo", HDSSO_CMD(set_userinfo), nullptr, RSRC_CONF,
                      "NAME On|Off: also read the userinfo endpoint with the access token (its sub must be the ID "
                      "token's); Off unless set"),
        {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
    };
    return table;
}

}  // namespace hdsso::mod
