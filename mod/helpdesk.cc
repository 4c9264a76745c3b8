#include "mod/helpdesk.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>
#include <string>

#include "apr_lib.h"
#include "apr_strings.h"
#include "http_log.h"

#include "mod/http.h"
#include "url/query.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {



const char* set_helpdesk(cmd_parms* cmd, void* m, const char* arg) {
    auto p = parse_helpdesk_profile(arg);
    if (!p) return bad_value(cmd, "generic, request-tracker, znuny, osticket, glpi or zammad", arg);
    cfg(m)->helpdesk = {*p, 1};
    return nullptr;
}

const char* set_user_field(cmd_parms* cmd, void* m, const char* arg) {
    auto f = parse_user_field(arg);
    if (!f) return bad_value(cmd, "subject, email or email-local-part", arg);
    cfg(m)->user_field = {*f, 1};
    return nullptr;
}

const char* set_user_header(cmd_parms* cmd, void* m, const char* arg) {
    if (!strcasecmp(arg, "None")) {
        cfg(m)->user_header = {"", 1};
        return nullptr;
    }
    if (!*arg || std::strlen(arg) > 64) return bad_value(cmd, "a header name such as X-Forwarded-User, or None", arg);
    for (const char* p = arg; *p; ++p)
        if (!(apr_isalnum(*p) || *p == '-')) return bad_value(cmd, "a header name of letters, digits and '-', or None", arg);
    cfg(m)->user_header = {arg, 1};
    return nullptr;
}

const char* set_break_glass(cmd_parms*, void* m, int on) {
    cfg(m)->break_glass = {on, 1};
    return nullptr;
}

const char* set_unauthenticated(cmd_parms* cmd, void* m, const char* arg) {
    Unauthenticated v;
    if (!strcasecmp(arg, "auth")) v = Unauthenticated::auth;
    else if (!strcmp(arg, "401")) v = Unauthenticated::deny;
    else if (!strcasecmp(arg, "pass")) v = Unauthenticated::pass;
    else return bad_value(cmd, "auth, 401 or pass", arg);
    cfg(m)->unauthenticated = {static_cast<int>(v), 1};
    return nullptr;
}

const char* set_cookie_persistent(cmd_parms*, void* m, int on) {
    cfg(m)->cookie_persistent = {on, 1};
    return nullptr;
}

const char* add_break_glass_query(cmd_parms* cmd, void* m, const char* arg) {
    const char* eq = std::strchr(arg, '=');
    if (!eq || eq == arg || std::strpbrk(arg, "&# \t"))
        return bad_value(cmd, "NAME=VALUE such as noAUTO=1", arg);
    append<const char*>(cmd->pool, cfg(m)->break_glass_query, arg);
    return nullptr;
}

const char* set_denied_text(cmd_parms* cmd, void* m, const char* arg) {
    if (!*arg || std::strlen(arg) > 1024) return bad_value(cmd, "a sentence of up to 1024 characters", arg);
    cfg(m)->denied_text = {arg, 1};
    return nullptr;
}

}  // namespace

const command_rec* helpdesk_commands() {
    static const command_rec table[] = {
        AP_INIT_TAKE1("HelpdeskSSOHelpdesk", HDSSO_CMD(set_helpdesk), nullptr, RSRC_CONF | ACCESS_CONF,
                      "what the helpdesk behind this location reads: generic, request-tracker, znuny, osticket, "
                      "glpi or zammad (default generic)"),
        AP_INIT_TAKE1("HelpdeskSSOUserField", HDSSO_CMD(set_user_field), nullptr, RSRC_CONF | ACCESS_CONF,
                      "the user name handed over: subject, email or email-local-part (default subject)"),
        AP_INIT_TAKE1("HelpdeskSSOUserHeader", HDSSO_CMD(set_user_header), nullptr, RSRC_CONF | ACCESS_CONF,
                      "request header that carries the user name to a proxied backend, or None (default: the "
                      "profile's)"),
        AP_INIT_FLAG("HelpdeskSSOBreakGlass", HDSSO_CMD(set_break_glass), nullptr, RSRC_CONF | ACCESS_CONF,
                     "On: no sign-in needed here (the helpdesk's own login page); an existing session is still "
                     "passed on (default Off)"),
        AP_INIT_ITERATE("HelpdeskSSOBreakGlassQuery", HDSSO_CMD(add_break_glass_query), nullptr,
                        RSRC_CONF | ACCESS_CONF,
                        "NAME=VALUE query parameters that make a request break-glass (GLPI: noAUTO=1)"),
        AP_INIT_TAKE1("HelpdeskSSOUnauthenticated", HDSSO_CMD(set_unauthenticated), nullptr, RSRC_CONF | ACCESS_CONF,
                      "what a request without a session gets here: auth (sign in; background requests get 401), "
                      "401 (always 401, for APIs) or pass (served anonymously, the identity passed on when signed "
                      "in) (default auth)"),
        AP_INIT_FLAG("HelpdeskSSOCookiePersistent", HDSSO_CMD(set_cookie_persistent), nullptr, RSRC_CONF | ACCESS_CONF,
                     "On: the session cookie carries Max-Age (the session lifetime) and outlives the browser "
                     "session; Off: a browser-session cookie, the server enforcing lifetime and idle time (default "
                     "Off)"),
        AP_INIT_TAKE1("HelpdeskSSODeniedText", HDSSO_CMD(set_denied_text), nullptr, RSRC_CONF | ACCESS_CONF,
                      "what a signed-in user whom a Require line denies should do, e.g. who to ask for access"),
        {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
    };
    return table;
}

HandoffOptions handoff_options(const DirConfig* c) {
    HandoffOptions o;
    if (c->helpdesk.set) o.profile = c->helpdesk.value;
    if (c->user_field.set) o.user_field = c->user_field.value;
    o.header_prefix = header_prefix(c);
    if (c->user_header.set) o.user_header = std::string(c->user_header.value);
    return o;
}

void scrub_identity_headers(request_rec* r, const DirConfig* c, bool log) {
    struct Ctx {
        HandoffOptions options;
        apr_array_header_t* doomed;
    } ctx{handoff_options(c), apr_array_make(r->pool, 2, sizeof(const char*))};
    apr_table_do(
        [](void* data, const char* key, const char*) -> int {
            auto* x = static_cast<Ctx*>(data);
            if (is_identity_header(key, x->options)) *static_cast<const char**>(apr_array_push(x->doomed)) = key;
            return 1;
        },
        &ctx, r->headers_in, nullptr);
    for (int i = 0; i < ctx.doomed->nelts; ++i) {
        const char* name = APR_ARRAY_IDX(ctx.doomed, i, const char*);
        if (log) ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO011: removed client-sent identity header %s", name);
        apr_table_unset(r->headers_in, name);
    }
}

// A session's identity cannot change, so what a location hands over for it
// is built once per session and options in each process, and reused by
// every request of that session (bounded; emptied when full).
class HandoffMemo {
public:
    std::shared_ptr<const Result<Handoff>> find(const SessionPtr& s, const HandoffOptions& o) {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = map_.find(s.get());
        if (it == map_.end()) return nullptr;
        for (const auto& e : it->second)
            if (e.session.lock() == s && e.options == o) return e.handoff;
        return nullptr;
    }
    void store(const SessionPtr& s, const HandoffOptions& o, std::shared_ptr<const Result<Handoff>> h) {
        std::lock_guard<std::mutex> lock(mu_);
        if (map_.size() >= kMax) map_.clear();
        auto& entries = map_[s.get()];
        // A freed session's address may be reused: drop what belonged to it.
        entries.erase(std::remove_if(entries.begin(), entries.end(),
                                     [&](const Entry& e) { return e.session.lock() != s; }),
                      entries.end());
        entries.push_back({s, o, std::move(h)});
    }

private:
    // Small: an entry keeps its (make_shared) session allocation alive until
    // the memo empties.
    static constexpr std::size_t kMax = 2048;
    struct Entry {
        std::weak_ptr<const Session> session;
        HandoffOptions options;
        std::shared_ptr<const Result<Handoff>> handoff;
    };
    std::mutex mu_;
    std::unordered_map<const Session*, std::vector<Entry>> map_;
};

HandoffMemo& handoff_memo() {
    static HandoffMemo memo;
    return memo;
}

// Built once per request: sub-requests (mod_dir's index) and internal
// redirects of the same identity and options reuse the first one; and once
// per session and options in each process.
const Result<Handoff>& request_handoff(request_rec* r, const DirConfig* c, const Identity& id) {
    HandoffOptions o = handoff_options(c);
    auto same = [&](const RequestState& st) {
        return st.handoff && st.handoff->identity == &id && st.handoff->options == o;
    };
    if (const RequestState* st = find_state(r, same)) return *st->handoff->handoff;
    const RequestState* owner =
        find_state(r, [&](const RequestState& st) { return st.session && &st.session->identity == &id; });
    std::shared_ptr<const Result<Handoff>> h = owner ? handoff_memo().find(owner->session, o) : nullptr;
    if (!h) {
        h = std::make_shared<const Result<Handoff>>(make_handoff(id, o));
        if (owner) handoff_memo().store(owner->session, o, h);
    }
    RequestState& mine = request_state(r);
    mine.handoff.emplace(CachedHandoff{std::move(o), &id, std::move(h)});
    return *mine.handoff->handoff;
}

Result<std::string> helpdesk_user(request_rec* r, const DirConfig* c, const Identity& id) {
    // Every value the location exports is checked here, at authentication:
    // a value that cannot be passed on refuses the request before any
    // handler (or DirectoryIndex subrequest) runs.
    const auto& h = request_handoff(r, c, id);
    if (!h) return h.error();
    return h.value().user;
}

int export_identity(request_rec* r, const DirConfig* c, const Identity& id) {
    const auto& h = request_handoff(r, c, id);
    if (!h) return fail(r, c, h.error());
    for (const auto& [name, value] : h.value().headers)
        apr_table_set(r->headers_in, name.c_str(), value.c_str());
    for (const auto& [name, value] : h.value().variables)
        apr_table_set(r->subprocess_env, name.c_str(), value.c_str());
    return OK;
}

bool break_glass(request_rec* r, const DirConfig* c) {
    if (c->break_glass.set && c->break_glass.value) return true;
    if (!c->break_glass_query.set || !r->args) return false;
    auto params = parse_query(r->args);
    if (!params) return false;
    const apr_array_header_t* a = c->break_glass_query.value;
    for (int i = 0; i < a->nelts; ++i) {
        std::string pair = APR_ARRAY_IDX(a, i, const char*);
        std::size_t eq = pair.find('=');
        for (const auto& [k, v] : params.value())
            if (k == pair.substr(0, eq) && v == pair.substr(eq + 1)) return true;
    }
    return false;
}

}  // namespace hdsso::mod
