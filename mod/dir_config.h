// Configuration of mod_helpdesk_sso: per-directory settings (which also hold
// what is written at vhost level) with value-plus-set merge. The store's
// directives are in mod/socache_store.cc.
#pragma once

#include "httpd.h"
#include "http_config.h"

#include <cstddef>
#include <memory>
#include <string>

#include "helpdesk/handoff.h"
#include "jose/jws.h"
#include "mod/guard.h"
#include "url/cookie.h"

extern "C" module AP_MODULE_DECLARE_DATA helpdesk_sso_module;

namespace hdsso::mod {

template <class T>
struct Setting {
    T value;
    int set;
};

// An inner scope's value when it set one, else the outer one's.
template <class T>
void merge(Setting<T>& out, const Setting<T>& base, const Setting<T>& add) {
    out = add.set ? add : base;
}

struct Secret {
    const char* path;
    const char* data;  // wiped when the config pool goes away
    std::size_t len;
    const Secret* next;  // HelpdeskSSORemoteSecretFile's further files: they verify too
};

using SameSite = hdsso::SameSite;

struct JwksSource;  // mod/jwks_url.cc

// Keys loaded by HelpdeskSSOJWTKeyFile, or from HelpdeskSSOJWTKeysURL (then
// `path` is its backing file); freed with the configuration pool.
struct JwtKeys {
    const char* path;
    // Read with jwt_verifier(); a URL's refresh replaces it whole
    // (std::atomic_store), so a request never sees a half-built set.
    mutable std::shared_ptr<const JwsVerifier> verifier;
    JwksSource* source = nullptr;  // HelpdeskSSOJWTKeysURL, else null
};
inline std::shared_ptr<const JwsVerifier> jwt_verifier(const JwtKeys& k) { return std::atomic_load(&k.verifier); }

// Every per-directory setting, X(type, name): the one list DirConfig and
// its merge (mod/dir_config.cc) are made from, so no setting can be left
// out of the merge.
#define HDSSO_DIR_SETTINGS(X) \
    X(int, enabled) /* HelpdeskSSO On|Off: endpoints and header scrubbing */ \
    X(const char*, endpoint) /* HelpdeskSSOEndpoint, default /sso */ \
    X(const char*, cookie_name) /* HelpdeskSSOCookieName */ \
    X(int, lifetime) /* HelpdeskSSOSessionLifetime (s) */ \
    X(int, idle_timeout) /* HelpdeskSSOSessionIdleTimeout (s, 0 = none) */ \
    X(int, cookie_secure) /* HelpdeskSSOCookieSecure */ \
    X(int, cookie_httponly) /* HelpdeskSSOCookieHttpOnly */ \
    X(SameSite, cookie_samesite) /* HelpdeskSSOCookieSameSite */ \
    X(const Secret*, remote_secret) /* HelpdeskSSORemoteSecretFile */ \
    X(int, window_back) /* HelpdeskSSORemoteWindow BACK [AHEAD] */ \
    X(int, window_ahead) \
    X(int, digest_sha256) /* HelpdeskSSORemoteDigest md5|sha256 */ \
    X(const char*, login_url) /* HelpdeskSSORemoteLoginURL */ \
    X(const char*, logout_url) /* HelpdeskSSORemoteLogoutURL */ \
    X(const char*, fallback_url) /* HelpdeskSSOFallbackLoginURL */ \
    X(apr_array_header_t*, allow_hosts) /* HelpdeskSSORedirectAllowHosts */ \
    X(const char*, header_prefix) /* HelpdeskSSOHeaderPrefix */ \
    /* JWT identity provider */ \
    X(const JwtKeys*, jwt_keys) /* HelpdeskSSOJWTKeyFile PATH [ALG...] or HelpdeskSSOJWTKeysURL */ \
    X(const char*, jwt_issuer) /* HelpdeskSSOJWTIssuer */ \
    X(apr_array_header_t*, jwt_audiences) /* HelpdeskSSOJWTAudience */ \
    X(int, jwt_leeway) /* HelpdeskSSOJWTLeeway (s) */ \
    X(int, jwt_max_age) /* HelpdeskSSOJWTMaxAge (s, 0 = none) */ \
    X(int, jwt_replay) /* HelpdeskSSOJWTReplayCheck On|Off */ \
    X(const char*, jwt_user_claim) /* HelpdeskSSOJWTUserClaim */ \
    X(const char*, jwt_email_claim) /* HelpdeskSSOJWTEmailClaim */ \
    X(const char*, jwt_name_claim) /* HelpdeskSSOJWTNameClaim */ \
    X(const char*, jwt_groups_claim) /* HelpdeskSSOJWTGroupsClaim */ \
    X(const char*, jwt_login_url) /* HelpdeskSSOJWTLoginURL */ \
    /* Handing the identity to the helpdesk (mod/helpdesk.cc) */ \
    X(HelpdeskProfile, helpdesk) /* HelpdeskSSOHelpdesk */ \
    X(UserField, user_field) /* HelpdeskSSOUserField */ \
    X(const char*, user_header) /* HelpdeskSSOUserHeader NAME|None ("" = none) */ \
    X(int, break_glass) /* HelpdeskSSOBreakGlass On|Off */ \
    X(int, unauthenticated) /* HelpdeskSSOUnauthenticated auth|401|pass (Unauthenticated) */ \
    X(int, cookie_persistent) /* HelpdeskSSOCookiePersistent On|Off */ \
    X(apr_array_header_t*, break_glass_query) /* HelpdeskSSOBreakGlassQuery NAME=VALUE... */ \
    X(const char*, denied_text) /* HelpdeskSSODeniedText */ \
    /* Signing users into helpdesks (mod/broker.cc) */ \
    X(apr_array_header_t*, brokers) /* HelpdeskSSOBroker: const BrokerSettings* */ \
    X(apr_table_t*, broker_claims) /* HelpdeskSSOBrokerClaim CLAIM SOURCE */ \
    X(int, broker_ttl) /* HelpdeskSSOBrokerTokenLifetime */ \
    /* Several identity providers (mod/chooser.cc) */ \
    X(apr_array_header_t*, idps) /* HelpdeskSSOIdP: IdpChoice */ \
    X(const char*, default_idp) /* HelpdeskSSODefaultIdP */ \
    X(int, diagnostics) /* HelpdeskSSODiagnostics On|Off */ \
    X(int, metrics) /* HelpdeskSSOMetrics On|Off */ \
    X(int, post_replay_max) /* HelpdeskSSOPostReplayMaxSize (bytes, 0 = off; mod/kept_post.cc) */ \
    /* end */

struct DirConfig {
#define HDSSO_SETTING_FIELD(type, name) Setting<type> name;
    HDSSO_DIR_SETTINGS(HDSSO_SETTING_FIELD)
#undef HDSSO_SETTING_FIELD
};

// What a request without a session gets here (HelpdeskSSOUnauthenticated).
enum class Unauthenticated { auth, deny, pass };

// Effective values, defaults applied.
bool enabled(const DirConfig* c);
const char* endpoint(const DirConfig* c);
const char* cookie_name(const DirConfig* c);
int lifetime(const DirConfig* c);
int idle_timeout(const DirConfig* c);
bool cookie_secure(const DirConfig* c);
bool cookie_httponly(const DirConfig* c);
bool cookie_persistent(const DirConfig* c);
Unauthenticated unauthenticated(const DirConfig* c);
SameSite cookie_samesite(const DirConfig* c);
int window_back(const DirConfig* c);
int window_ahead(const DirConfig* c);
const char* header_prefix(const DirConfig* c);
int jwt_leeway(const DirConfig* c);
bool jwt_replay(const DirConfig* c);

inline DirConfig* dir_config(request_rec* r) {
    return static_cast<DirConfig*>(ap_get_module_config(r->per_dir_config, &helpdesk_sso_module));
}

// In C++ httpd's command_rec takes an untyped function pointer; the args_how
// field of each entry says how Apache calls it. HDSSO_CMD(handler) gives
// Apache a trampoline that runs the handler under guard_cmd: an exception
// becomes the directive's error, never a crash of apachectl or Apache.
template <class Sig>
struct CmdTrampoline;
template <class... A>
struct CmdTrampoline<const char* (*)(cmd_parms*, A...)> {
    template <const char* (*F)(cmd_parms*, A...)>
    static const char* call(cmd_parms* cmd, A... a) {
        return guard_cmd(cmd, [&] { return F(cmd, a...); });
    }
};
template <auto F>
cmd_func guarded_cmd() {
    auto* t = &CmdTrampoline<decltype(F)>::template call<F>;
    return reinterpret_cast<cmd_func>(reinterpret_cast<void (*)()>(t));
}
#define HDSSO_CMD(...) ::hdsso::mod::guarded_cmd<__VA_ARGS__>()

// Appends a value to a list directive's setting; a list given in one scope
// replaces the inherited one.
template <class T>
void append(apr_pool_t* p, Setting<apr_array_header_t*>& list, const T& value) {
    if (!list.set) list = {apr_array_make(p, 4, sizeof(T)), 1};
    *static_cast<T*>(apr_array_push(list.value)) = value;
}

inline DirConfig* cfg(void* mconfig) { return static_cast<DirConfig*>(mconfig); }
// A decimal number from min to max (digits only, no sign or space).
bool parse_long(const char* arg, long min, long max, long& out);
// "HelpdeskSSOX: expected ..., got '...'": what apachectl -t prints.
const char* bad_value(cmd_parms* cmd, const char* expected, const char* got);
// "HelpdeskSSOX: <detail>".
const char* directive_error(cmd_parms* cmd, const std::string& detail);
// A secret held in `pool` (`data`, `len` bytes, already a pool copy),
// wiped when the pool goes away.
const Secret* pool_secret(apr_pool_t* pool, const char* path, const char* data, std::size_t len);
// A number of seconds from min to max, or bad_value's error.
const char* parse_seconds(cmd_parms* cmd, const char* arg, int min, int max, int& out);
// An absolute http(s) URL or a local path, for directives that name where
// the module sends people; the error apachectl -t prints, or null.
const char* check_url(cmd_parms* cmd, const char* arg);

void* create_dir_config(apr_pool_t* p, char* dir);
void* merge_dir_config(apr_pool_t* p, void* base, void* add);
// The directives of this file (the other files have their own tables).
const command_rec* dir_commands();

}  // namespace hdsso::mod
