// mod_helpdesk_sso: Apache glue over the hdsso core. It turns Apache's
// request into core calls and applies their outcome; no protocol logic here.
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include <exception>

#include "apr_strings.h"

#include "mod/dir_config.h"
#include "mod/jwks_url.h"
#include "mod/authz.h"
#include "mod/broker.h"
#include "mod/chooser.h"
#include "mod/diagnostics.h"
#include "mod/sign_in.h"
#include "mod/endpoints.h"
#include "mod/guard.h"
#include "mod/helpdesk.h"
#include "mod/http.h"
#include "mod/kept_post.h"
#include "mod/metrics.h"
#include "mod/oidc.h"
#include "mod/saml.h"
#include "mod/socache_store.h"
#include "session/session_store.h"
#include "url/request_kind.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

constexpr const char* kAuthType = "HelpdeskSSO";

bool our_auth_type(request_rec* r) {
    const char* type = ap_auth_type(r);
    return type && !strcasecmp(type, kAuthType);
}

int pre_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*) {
    try {
        kept_post_pre_config();
        metrics_pre_config();
        return cache_pre_config(pconf);
    } catch (const std::exception& e) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, pconf, "HDSSO091: internal error while starting: %s", e.what());
    } catch (...) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, pconf, "HDSSO091: internal error while starting");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

int post_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t* ptemp, server_rec* s) {
    return guard_server(s, [&] {
        int rc = metrics_post_config(s);
        if (rc == OK) rc = cache_post_config(pconf, ptemp, s);
        if (rc == OK) rc = kept_post_post_config(pconf, s);
        return rc == OK ? saml_post_config(pconf, s) : rc;
    });
}

int check_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s) {
    return guard_server(s, [&] { return check_sites(pconf, plog, ptemp, s); });
}

void child_init(apr_pool_t* p, server_rec* s) {
    guard_child(s, [&] {
        cache_child_init(p, s);
        saml_child_init(p, s);
        jwks_child_init(p, s);
        oidc_child_init(p, s);
    });
}

// Before anything else sees the request: drop forged identity headers for
// vhosts where the module is on.
int post_read_request(request_rec* r) {
    return guard_request(r, [&] {
        const DirConfig* c = dir_config(r);
        if (enabled(c)) scrub_identity_headers(r, c, true);
        return DECLINED;
    });
}

// The authentication hook: a session, a sign-in endpoint, or what a
// request without a session gets here.
int authenticate(request_rec* r) {
    return guard_request(r, [&] {
        const DirConfig* c = dir_config(r);
        scrub_identity_headers(r, c, !r->prev && !r->main);
        // Only an exact row of the endpoint table that this site serves, with
        // a method the row takes, passes without a session (but diagnostics and metrics,
        // which Require protects). Every other path under the prefix is an
        // ordinary protected path: nothing reaches a backend unauthenticated.
        if (const EndpointSpec* e = find_route(r, c)) {
            if (int rc = check_route(r, c, *e); rc != OK) return rc;
            if (!e->needs_session) {
                r->user = const_cast<char*>("");
                return OK;
            }
        }
        r->ap_auth_type = const_cast<char*>(kAuthType);
        // The user name the helpdesk matches (HelpdeskSSOUserField), or the
        // named reason it cannot be handed over.
        auto sign_in = [&](const Identity& id) {
            auto user = helpdesk_user(r, c, id);
            if (!user) return fail(r, c, user.error());
            r->user = apr_pstrdup(r->pool, user.value().c_str());
            return OK;
        };
        if (const Identity* id = find_identity(r)) return sign_in(*id);
        auto session = current_session(r, c);
        if (!session) return fail(r, c, session.error());
        if (session.value()) {
            const Identity& id = session.value()->identity;
            remember_session(r, std::move(session.value()));
            int rc = sign_in(id);
            if (rc == OK) restore_kept_post(r, c);
            return rc;
        }
        Unauthenticated action = unauthenticated(c);
        if (break_glass(r, c) || action == Unauthenticated::pass) {
            // The helpdesk's own login page, or a page served to anyone
            // (the identity is passed on only when there is a session).
            r->user = const_cast<char*>("");
            return OK;
        }
        if (action == Unauthenticated::deny || is_background(request_hints(r))) return session_required(r, login_url(r, c));
        if (int rc = keep_post(r, c); rc != DECLINED) return rc;
        return start_login(r, c);
    });
}

int check_authn(request_rec* r) {
    if (!our_auth_type(r)) return DECLINED;
    std::uint64_t start = monotonic_microseconds();
    int rc = authenticate(r);
    time_authn(start);
    return rc;
}

int fixups(request_rec* r) {
    return guard_request(r, [&] {
        const DirConfig* c = dir_config(r);
        bool ours = our_auth_type(r);
        if (!ours && !enabled(c)) return DECLINED;
        scrub_identity_headers(r, c, false);
        if (ours && r->user && *r->user) {
            if (const Identity* id = find_identity(r))
                if (int rc = export_identity(r, c, *id); rc != OK) return rc;
        }
        return DECLINED;
    });
}

int handler(request_rec* r) {
    return guard_request(r, [&] {
        const DirConfig* c = dir_config(r);
        const EndpointSpec* e = find_route(r, c);
        if (!e) return DECLINED;
        if (int rc = check_route(r, c, *e); rc != OK) return rc;
        std::uint64_t start = monotonic_microseconds();
        int rc = handle_route(r, c, *e);
        time_endpoint(*e, start);
        return rc;
    });
}

// One table for Apache: every file's directives. Filled when the module is
// loaded, before Apache reads it.
constexpr std::size_t kMaxCommands = 96;
command_rec commands[kMaxCommands];
const bool commands_filled = [] {
    std::size_t n = 0;
    for (const command_rec* table : {dir_commands(), helpdesk_commands(), broker_commands(), chooser_commands(),
                                     diagnostics_commands(), metrics_commands(), saml_commands(), store_commands(), kept_post_commands(),
                                     jwks_commands(), oidc_commands()})
        for (const command_rec* c = table; c->name && n + 1 < kMaxCommands; ++c) commands[n++] = *c;
    commands[n] = command_rec{nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr};
    return true;
}();

void register_hooks(apr_pool_t* p) {
    register_authz_providers(p);
    register_kept_post_filter();
    register_metrics_hooks();
    register_store_filters();
    ap_hook_pre_config(pre_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_check_config(check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_child_init(child_init, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(post_read_request, nullptr, nullptr, APR_HOOK_FIRST);
    ap_hook_check_authn(check_authn, nullptr, nullptr, APR_HOOK_MIDDLE, AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_fixups(fixups, nullptr, nullptr, APR_HOOK_LAST);
    // Before mod_proxy's handler (also FIRST): a ProxyPass over a location
    // must not swallow the sign-in endpoints under it.
    static const char* const before[] = {"mod_proxy.c", nullptr};
    ap_hook_handler(handler, nullptr, before, APR_HOOK_FIRST);
}

}  // namespace

}  // namespace hdsso::mod

extern "C" {
module AP_MODULE_DECLARE_DATA helpdesk_sso_module = {
    STANDARD20_MODULE_STUFF,
    hdsso::mod::create_dir_config,
    hdsso::mod::merge_dir_config,
    hdsso::mod::create_server_config,
    hdsso::mod::merge_server_config,
    hdsso::mod::commands,
    hdsso::mod::register_hooks,
#if defined(AP_MODULE_HAS_FLAGS)
    0,
#endif
};
}
