#include "mod/dir_config.h"

#include <cstring>
#include <string>

#include "helpdesk/handoff.h"
#include "jose/claims.h"
#include "remote/remote_auth.h"
#include "session/session_store.h"

#include "ap_provider.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "http_log.h"

#include "core/secret_file.h"
#include "jose/key_source.h"

#include <openssl/crypto.h>

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

constexpr const char* kDefaultEndpoint = "/sso";
constexpr const char* kDefaultCookie = "hdsso_session";
constexpr int kMaxSeconds = 365 * 24 * 3600;

template <class T>
T pick(const Setting<T>& s, T dflt) { return s.set ? s.value : dflt; }




// A directive that takes a number of seconds within [Min, Max].
template <int Min, int Max, Setting<int> DirConfig::*Field>
const char* set_seconds(cmd_parms* cmd, void* m, const char* arg) {
    int v = 0;
    if (const char* e = parse_seconds(cmd, arg, Min, Max, v)) return e;
    (cfg(m)->*Field) = {v, 1};
    return nullptr;
}

bool token_char(char c) {
    return c > 0x20 && c < 0x7f && !std::strchr("()<>@,;:\\\"/[]?={}", c);
}

const char* set_flag_on(cmd_parms*, void* mconfig, int on, Setting<int> DirConfig::*field) {
    (cfg(mconfig)->*field) = {on, 1};
    return nullptr;
}

const char* set_enabled(cmd_parms* cmd, void* m, int on) { return set_flag_on(cmd, m, on, &DirConfig::enabled); }
const char* set_secure(cmd_parms* cmd, void* m, int on) { return set_flag_on(cmd, m, on, &DirConfig::cookie_secure); }
const char* set_httponly(cmd_parms* cmd, void* m, int on) {
    return set_flag_on(cmd, m, on, &DirConfig::cookie_httponly);
}

const char* set_endpoint(cmd_parms* cmd, void* m, const char* arg) {
    std::size_t n = std::strlen(arg);
    if (n < 2 || arg[0] != '/' || arg[n - 1] == '/' || std::strpbrk(arg, "?#%\\ \t"))
        return bad_value(cmd, "a path such as /sso (leading '/', no trailing '/', no '?', '#', '%')", arg);
    cfg(m)->endpoint = {arg, 1};
    return nullptr;
}

const char* set_cookie_name(cmd_parms* cmd, void* m, const char* arg) {
    if (!*arg || std::strlen(arg) > 64) return bad_value(cmd, "a cookie name of 1 to 64 characters", arg);
    for (const char* p = arg; *p; ++p)
        if (!token_char(*p)) return bad_value(cmd, "a cookie name made of token characters (RFC 6265)", arg);
    cfg(m)->cookie_name = {arg, 1};
    return nullptr;
}

const char* set_samesite(cmd_parms* cmd, void* m, const char* arg) {
    SameSite v;
    if (!strcasecmp(arg, "Lax")) v = SameSite::lax;
    else if (!strcasecmp(arg, "Strict")) v = SameSite::strict;
    else if (!strcasecmp(arg, "None")) v = SameSite::none;
    else return bad_value(cmd, "Lax, Strict or None", arg);
    cfg(m)->cookie_samesite = {v, 1};
    return nullptr;
}

// FILE [FILE...]: the first signs, every one verifies (a secret rotated in
// or out stays accepted while links made with it are in flight).
const char* set_secret_file(cmd_parms* cmd, void* m, int argc, char* const argv[]) {
    if (argc < 1 || argc > 4)
        return apr_psprintf(cmd->pool, "%s: expected 1 to 4 secret files (the first signs, every one verifies)",
                            cmd->cmd->name);
    Secret* last = nullptr;
    for (int i = 0; i < argc; ++i) {
        const char* path = ap_server_root_relative(cmd->pool, argv[i]);
        if (!path) return bad_value(cmd, "a file path", argv[i]);
        auto secret = read_secret_file(path);
        if (!secret) return directive_error(cmd, secret.error().detail);
        std::size_t len = secret.value().size();
        const char* data = static_cast<const char*>(apr_pmemdup(cmd->pool, secret.value().view().data(), len));
        auto* s = const_cast<Secret*>(pool_secret(cmd->pool, path, data, len));
        if (last) last->next = s;
        else cfg(m)->remote_secret = {s, 1};
        last = s;
    }
    return nullptr;
}

const char* set_window(cmd_parms* cmd, void* m, const char* back, const char* ahead) {
    int b, a = 60;
    if (const char* e = parse_seconds(cmd, back, 1, kMaxSeconds, b)) return e;
    if (ahead)
        if (const char* e = parse_seconds(cmd, ahead, 0, kMaxSeconds, a)) return e;
    cfg(m)->window_back = {b, 1};
    cfg(m)->window_ahead = {a, 1};
    return nullptr;
}

const char* set_digest(cmd_parms* cmd, void* m, const char* arg) {
    if (!strcasecmp(arg, "md5")) cfg(m)->digest_sha256 = {0, 1};
    else if (!strcasecmp(arg, "sha256")) cfg(m)->digest_sha256 = {1, 1};
    else return bad_value(cmd, "md5 or sha256", arg);
    return nullptr;
}

const char* set_url(cmd_parms* cmd, void* m, const char* arg, Setting<const char*> DirConfig::*field) {
    if (const char* e = check_url(cmd, arg)) return e;
    (cfg(m)->*field) = {arg, 1};
    return nullptr;
}
const char* set_login_url(cmd_parms* cmd, void* m, const char* a) { return set_url(cmd, m, a, &DirConfig::login_url); }
const char* set_logout_url(cmd_parms* cmd, void* m, const char* a) { return set_url(cmd, m, a, &DirConfig::logout_url); }
const char* set_fallback_url(cmd_parms* cmd, void* m, const char* a) {
    return set_url(cmd, m, a, &DirConfig::fallback_url);
}

const char* add_allow_host(cmd_parms* cmd, void* m, const char* arg) {
    for (const char* p = arg; *p; ++p)
        if (!(apr_isalnum(*p) || *p == '.' || *p == '-' || *p == ':'))
            return bad_value(cmd, "host names such as helpdesk.example.com or host:port", arg);
    append<const char*>(cmd->pool, cfg(m)->allow_hosts, arg);
    return nullptr;
}

const char* set_header_prefix(cmd_parms* cmd, void* m, const char* arg) {
    if (!*arg || std::strlen(arg) > 32) return bad_value(cmd, "a header name prefix such as X-Remote-", arg);
    for (const char* p = arg; *p; ++p)
        if (!(apr_isalnum(*p) || *p == '-')) return bad_value(cmd, "letters, digits and '-'", arg);
    cfg(m)->header_prefix = {arg, 1};
    return nullptr;
}

apr_status_t delete_jwt_keys(void* data) {
    delete static_cast<JwtKeys*>(data);
    return APR_SUCCESS;
}

// HelpdeskSSOJWTKeyFile PATH [ALG...]: loaded now, so that apachectl -t
// names a bad key.
const char* set_jwt_key_file(cmd_parms* cmd, void* m, int argc, char* const argv[]) {
    if (argc < 1) return apr_psprintf(cmd->pool, "%s: expected a key file and the algorithms it serves", cmd->cmd->name);
    const char* path = ap_server_root_relative(cmd->pool, argv[0]);
    if (!path) return bad_value(cmd, "a file path", argv[0]);
    std::vector<JwsAlg> algs;
    for (int i = 1; i < argc; ++i) {
        auto a = parse_jws_alg(argv[i]);
        if (!a)
            return bad_value(cmd, "an algorithm: HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 "
                            "ES512 EdDSA", argv[i]);
        algs.push_back(*a);
    }
    auto keys = load_key_file(path, algs);
    if (!keys) return directive_error(cmd, keys.error().detail);
    auto* k = new JwtKeys{path, std::make_shared<const JwsVerifier>(std::move(keys.value()))};
    apr_pool_cleanup_register(cmd->pool, k, delete_jwt_keys, apr_pool_cleanup_null);
    cfg(m)->jwt_keys = {k, 1};
    return nullptr;
}

const char* set_jwt_issuer(cmd_parms* cmd, void* m, const char* arg) {
    if (!*arg || std::strlen(arg) > 1024) return bad_value(cmd, "the exact 'iss' value the tokens carry", arg);
    cfg(m)->jwt_issuer = {arg, 1};
    return nullptr;
}

const char* add_jwt_audience(cmd_parms* cmd, void* m, const char* arg) {
    if (!*arg || std::strlen(arg) > 1024) return bad_value(cmd, "an audience ('aud') value", arg);
    append<const char*>(cmd->pool, cfg(m)->jwt_audiences, arg);
    return nullptr;
}

const char* set_jwt_replay(cmd_parms* cmd, void* m, int on) { return set_flag_on(cmd, m, on, &DirConfig::jwt_replay); }

const char* set_claim(cmd_parms* cmd, void* m, const char* arg, Setting<const char*> DirConfig::*field) {
    if (!*arg || std::strlen(arg) > 128) return bad_value(cmd, "a claim name", arg);
    for (const char* p = arg; *p; ++p)
        if (static_cast<unsigned char>(*p) <= 0x20 || *p == 0x7f) return bad_value(cmd, "a claim name without spaces", arg);
    (cfg(m)->*field) = {arg, 1};
    return nullptr;
}
const char* set_user_claim(cmd_parms* c, void* m, const char* a) { return set_claim(c, m, a, &DirConfig::jwt_user_claim); }
const char* set_email_claim(cmd_parms* c, void* m, const char* a) {
    return set_claim(c, m, a, &DirConfig::jwt_email_claim);
}
const char* set_name_claim(cmd_parms* c, void* m, const char* a) { return set_claim(c, m, a, &DirConfig::jwt_name_claim); }
const char* set_groups_claim(cmd_parms* c, void* m, const char* a) {
    return set_claim(c, m, a, &DirConfig::jwt_groups_claim);
}
const char* set_jwt_login_url(cmd_parms* cmd, void* m, const char* a) {
    return set_url(cmd, m, a, &DirConfig::jwt_login_url);
}

}  // namespace

bool parse_long(const char* arg, long min, long max, long& out) {
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(arg, &end, 10);
    if (!*arg || *end || errno || v < min || v > max || !(*arg >= '0' && *arg <= '9')) return false;
    out = v;
    return true;
}

const char* bad_value(cmd_parms* cmd, const char* expected, const char* got) {
    return apr_psprintf(cmd->pool, "%s: expected %s, got '%s'", cmd->cmd->name, expected, got);
}

const char* parse_seconds(cmd_parms* cmd, const char* arg, int min, int max, int& out) {
    long v = 0;
    if (!parse_long(arg, min, max, v))
        return bad_value(cmd, apr_psprintf(cmd->pool, "a number of seconds from %d to %d", min, max), arg);
    out = static_cast<int>(v);
    return nullptr;
}

const char* directive_error(cmd_parms* cmd, const std::string& detail) {
    return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, detail.c_str());
}

namespace {
apr_status_t wipe_secret(void* data) {
    auto* s = static_cast<Secret*>(data);
    OPENSSL_cleanse(const_cast<char*>(s->data), s->len);
    return APR_SUCCESS;
}
}  // namespace

const Secret* pool_secret(apr_pool_t* pool, const char* path, const char* data, std::size_t len) {
    auto* s = static_cast<Secret*>(apr_pcalloc(pool, sizeof(Secret)));
    s->path = path;
    s->data = data;
    s->len = len;
    apr_pool_cleanup_register(pool, s, wipe_secret, apr_pool_cleanup_null);
    return s;
}

const char* check_url(cmd_parms* cmd, const char* arg) {
    bool local = arg[0] == '/' && arg[1] != '/' && arg[1] != '\\';
    bool absolute = !strncasecmp(arg, "https://", 8) || !strncasecmp(arg, "http://", 7);
    if (!(local || absolute)) return bad_value(cmd, "an http(s) URL or a path starting with '/'", arg);
    for (const char* p = arg; *p; ++p)
        if (static_cast<unsigned char>(*p) <= 0x20 || *p == 0x7f || *p == '\\')
            return bad_value(cmd, "a URL without spaces, control characters or backslashes", arg);
    return nullptr;
}

bool enabled(const DirConfig* c) { return pick(c->enabled, 0) != 0; }
const char* endpoint(const DirConfig* c) { return pick(c->endpoint, kDefaultEndpoint); }
const char* cookie_name(const DirConfig* c) { return pick(c->cookie_name, kDefaultCookie); }
// Defaults that the core's own structs hold are read from them.
int lifetime(const DirConfig* c) { return pick(c->lifetime, static_cast<int>(SessionPolicy{}.lifetime)); }
int idle_timeout(const DirConfig* c) { return pick(c->idle_timeout, static_cast<int>(SessionPolicy{}.idle_timeout)); }
bool cookie_secure(const DirConfig* c) { return pick(c->cookie_secure, 1) != 0; }
bool cookie_httponly(const DirConfig* c) { return pick(c->cookie_httponly, 1) != 0; }
bool cookie_persistent(const DirConfig* c) { return pick(c->cookie_persistent, 0) != 0; }
Unauthenticated unauthenticated(const DirConfig* c) {
    return static_cast<Unauthenticated>(pick(c->unauthenticated, static_cast<int>(Unauthenticated::auth)));
}
SameSite cookie_samesite(const DirConfig* c) { return pick(c->cookie_samesite, SameSite::lax); }
int window_back(const DirConfig* c) { return pick(c->window_back, static_cast<int>(RemoteAuthPolicy{}.max_age)); }
int window_ahead(const DirConfig* c) { return pick(c->window_ahead, static_cast<int>(RemoteAuthPolicy{}.max_future)); }
const char* header_prefix(const DirConfig* c) {
    static const std::string dflt = HandoffOptions{}.header_prefix;
    return pick(c->header_prefix, dflt.c_str());
}
int jwt_leeway(const DirConfig* c) { return pick(c->jwt_leeway, static_cast<int>(ClaimsPolicy{}.leeway)); }
bool jwt_replay(const DirConfig* c) { return pick(c->jwt_replay, 1) != 0; }

void* create_dir_config(apr_pool_t* p, char*) { return apr_pcalloc(p, sizeof(DirConfig)); }

void* merge_dir_config(apr_pool_t* p, void* base_v, void* add_v) {
    auto* base = cfg(base_v);
    auto* add = cfg(add_v);
    auto* out = static_cast<DirConfig*>(apr_pcalloc(p, sizeof(DirConfig)));
#define HDSSO_MERGE_SETTING(type, name) merge(out->name, base->name, add->name);
    HDSSO_DIR_SETTINGS(HDSSO_MERGE_SETTING)
#undef HDSSO_MERGE_SETTING
    return out;
}

#define HDSSO_SCOPE (RSRC_CONF | ACCESS_CONF)



// A function-local table: initialised on first use, so that the module's
// table (mod/mod_helpdesk_sso.cc), filled when the module is loaded, never
// reads it before it is made.
const command_rec* dir_commands() {
    static const command_rec table[] = {
    AP_INIT_FLAG("HelpdeskSSO", HDSSO_CMD(set_enabled), nullptr, HDSSO_SCOPE,
                 "On to serve the sign-in endpoints and scrub identity headers here (default Off)"),
    AP_INIT_TAKE1("HelpdeskSSOEndpoint", HDSSO_CMD(set_endpoint), nullptr, HDSSO_SCOPE,
                  "URL path under which the sign-in endpoints live (default /sso)"),
    AP_INIT_TAKE1("HelpdeskSSOCookieName", HDSSO_CMD(set_cookie_name), nullptr, HDSSO_SCOPE,
                  "name of the session cookie (default hdsso_session)"),
    AP_INIT_TAKE1("HelpdeskSSOSessionLifetime", HDSSO_CMD(set_seconds<60, kMaxSeconds, &DirConfig::lifetime>), nullptr, HDSSO_SCOPE,
                  "seconds a session lasts from sign-in (default 28800)"),
    AP_INIT_TAKE1("HelpdeskSSOSessionIdleTimeout", HDSSO_CMD(set_seconds<0, kMaxSeconds, &DirConfig::idle_timeout>), nullptr, HDSSO_SCOPE,
                  "seconds of inactivity that end a session, 0 for none (default 3600)"),
    AP_INIT_FLAG("HelpdeskSSOCookieSecure", HDSSO_CMD(set_secure), nullptr, HDSSO_SCOPE,
                 "send the session cookie over HTTPS only (default On)"),
    AP_INIT_FLAG("HelpdeskSSOCookieHttpOnly", HDSSO_CMD(set_httponly), nullptr, HDSSO_SCOPE,
                 "hide the session cookie from scripts (default On)"),
    AP_INIT_TAKE1("HelpdeskSSOCookieSameSite", HDSSO_CMD(set_samesite), nullptr, HDSSO_SCOPE,
                  "SameSite attribute of the session cookie: Lax, Strict or None (default Lax)"),
    AP_INIT_TAKE_ARGV("HelpdeskSSORemoteSecretFile", HDSSO_CMD(set_secret_file), nullptr, HDSSO_SCOPE,
                  "FILE [FILE...]: files each holding a remote-authentication shared secret; the first signs, "
                  "every one verifies (for rotating it)"),
    AP_INIT_TAKE12("HelpdeskSSORemoteWindow", HDSSO_CMD(set_window), nullptr, HDSSO_SCOPE,
                   "seconds a remote-auth link is valid after its timestamp, and seconds of clock drift "
                   "allowed ahead (default 1800 60)"),
    AP_INIT_TAKE1("HelpdeskSSORemoteDigest", HDSSO_CMD(set_digest), nullptr, HDSSO_SCOPE,
                  "HMAC digest of remote authentication: md5 (Freshdesk) or sha256 (default md5)"),
    AP_INIT_TAKE1("HelpdeskSSORemoteLoginURL", HDSSO_CMD(set_login_url), nullptr, HDSSO_SCOPE,
                  "where people without a session are sent to sign in (Freshdesk: Remote Login URL)"),
    AP_INIT_TAKE1("HelpdeskSSORemoteLogoutURL", HDSSO_CMD(set_logout_url), nullptr, HDSSO_SCOPE,
                  "where people go after signing out (Freshdesk: Remote Logout URL)"),
    AP_INIT_TAKE1("HelpdeskSSOFallbackLoginURL", HDSSO_CMD(set_fallback_url), nullptr, HDSSO_SCOPE,
                  "the helpdesk's own login page, linked from error pages (like Freshdesk's /login/normal)"),
    AP_INIT_ITERATE("HelpdeskSSORedirectAllowHosts", HDSSO_CMD(add_allow_host), nullptr,
                    HDSSO_SCOPE, "hosts that absolute return URLs may name (local paths are always allowed)"),
    AP_INIT_TAKE1("HelpdeskSSOHeaderPrefix", HDSSO_CMD(set_header_prefix), nullptr, HDSSO_SCOPE,
                  "prefix of the identity headers passed to the backend (default X-Remote-)"),
    AP_INIT_TAKE_ARGV("HelpdeskSSOJWTKeyFile", HDSSO_CMD(set_jwt_key_file), nullptr, HDSSO_SCOPE,
                      "JWT verification key: a PEM public key or certificate, a JWK or JWK set, or a shared-secret "
                      "file, then the algorithms it may verify (e.g. RS256; required but for JWKs that name "
                      "their own alg)"),
    AP_INIT_TAKE1("HelpdeskSSOJWTIssuer", HDSSO_CMD(set_jwt_issuer), nullptr, HDSSO_SCOPE,
                  "the exact 'iss' of accepted tokens (unset: any issuer)"),
    AP_INIT_ITERATE("HelpdeskSSOJWTAudience", HDSSO_CMD(add_jwt_audience), nullptr, HDSSO_SCOPE,
                    "audiences this site accepts; a token's 'aud' must name one of them (required)"),
    AP_INIT_TAKE1("HelpdeskSSOJWTLeeway", HDSSO_CMD(set_seconds<0, 600, &DirConfig::jwt_leeway>), nullptr, HDSSO_SCOPE,
                  "seconds of clock skew allowed for exp, nbf and iat (default 60)"),
    AP_INIT_TAKE1("HelpdeskSSOJWTMaxAge", HDSSO_CMD(set_seconds<0, kMaxSeconds, &DirConfig::jwt_max_age>), nullptr, HDSSO_SCOPE,
                  "refuse tokens issued ('iat') longer ago than this, 0 for no limit (default 0)"),
    AP_INIT_FLAG("HelpdeskSSOJWTReplayCheck", HDSSO_CMD(set_jwt_replay), nullptr, HDSSO_SCOPE,
                 "require a 'jti' and accept each token once (default On)"),
    AP_INIT_TAKE1("HelpdeskSSOJWTUserClaim", HDSSO_CMD(set_user_claim), nullptr, HDSSO_SCOPE,
                  "claim that holds the user name (REMOTE_USER; default sub)"),
    AP_INIT_TAKE1("HelpdeskSSOJWTEmailClaim", HDSSO_CMD(set_email_claim), nullptr, HDSSO_SCOPE,
                  "claim that holds the email address (default email)"),
    AP_INIT_TAKE1("HelpdeskSSOJWTNameClaim", HDSSO_CMD(set_name_claim), nullptr, HDSSO_SCOPE,
                  "claim that holds the display name (default name)"),
    AP_INIT_TAKE1("HelpdeskSSOJWTGroupsClaim", HDSSO_CMD(set_groups_claim), nullptr, HDSSO_SCOPE,
                  "claim that holds the groups, a string or an array of strings (default groups)"),
    AP_INIT_TAKE1("HelpdeskSSOJWTLoginURL", HDSSO_CMD(set_jwt_login_url), nullptr, HDSSO_SCOPE,
                  "where people without a session are sent to get a token (the broker's or application's "
                  "sign-in URL); it receives redirect_to"),
    {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
};
    return table;
}

}  // namespace hdsso::mod
