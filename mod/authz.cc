#include "mod/authz.h"

#include <string>
#include <vector>

#include "ap_provider.h"
#include "ap_regex.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_request.h"
#include "mod_auth.h"

#include "core/identity.h"
#include "mod/dir_config.h"
#include "mod/guard.h"
#include "mod/http.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

// The words of a Require line, as Apache reads directive arguments.
std::vector<const char*> words(apr_pool_t* p, const char* line) {
    std::vector<const char*> out;
    const char* rest = line;
    while (*rest) {
        const char* w = ap_getword_conf(p, &rest);
        if (!*w) break;
        out.push_back(w);
    }
    return out;
}

// Require helpdesk-sso-attribute NAME VALUE|~REGEX, parsed once.
struct AttributeRule {
    const char* name;
    const char* value;  // exact, when regex is null
    ap_regex_t* regex;
};

// Who is asking, for the log and the page; null when nobody is signed in
// here (no session, or a break-glass request).
const Identity* signed_in(request_rec* r) {
    if (!r->user || !*r->user) return nullptr;
    return find_identity(r);
}

authz_status deny(request_rec* r, const Identity& id, const std::string& why) {
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO050: authz.denied: %s: %s", id.subject.c_str(), why.c_str());
    denied_page(r, dir_config(r), id);
    return AUTHZ_DENIED;
}

const char* parse_group_line(cmd_parms* cmd, const char* line, const void**) {
    return guard_cmd(cmd, [&]() -> const char* {
        if (words(cmd->temp_pool, line).empty()) return "Require helpdesk-sso-group: expected one or more group names";
        return nullptr;
    });
}

authz_status group_rule(request_rec* r, const char* line);
authz_status attribute_rule(request_rec* r, const char* line, const void* parsed);

authz_status check_group(request_rec* r, const char* line, const void*) {
    return guard_authz(r, [&] { return group_rule(r, line); });
}

authz_status check_attribute(request_rec* r, const char* line, const void* parsed) {
    return guard_authz(r, [&] { return attribute_rule(r, line, parsed); });
}

authz_status group_rule(request_rec* r, const char* line) {
    const Identity* id = signed_in(r);
    if (!id) return AUTHZ_DENIED_NO_USER;
    auto wanted = words(r->pool, line);
    for (const char* g : wanted)
        for (const auto& have : id->groups)
            if (have == g) return AUTHZ_GRANTED;
    return deny(r, *id, std::string("not in group(s) ") + line);
}

const char* attribute_line(cmd_parms* cmd, const char* line, const void** parsed);

const char* parse_attribute_line(cmd_parms* cmd, const char* line, const void** parsed) {
    return guard_cmd(cmd, [&] { return attribute_line(cmd, line, parsed); });
}

const char* attribute_line(cmd_parms* cmd, const char* line, const void** parsed) {
    auto w = words(cmd->pool, line);
    if (w.size() != 2)
        return apr_psprintf(cmd->pool,
                            "Require helpdesk-sso-attribute: expected NAME VALUE or NAME ~REGEX, got '%s'", line);
    auto* rule = static_cast<AttributeRule*>(apr_pcalloc(cmd->pool, sizeof(AttributeRule)));
    rule->name = w[0];
    if (w[1][0] == '~') {
        rule->regex = ap_pregcomp(cmd->pool, w[1] + 1, AP_REG_EXTENDED | AP_REG_NOSUB);
        if (!rule->regex)
            return apr_psprintf(cmd->pool, "Require helpdesk-sso-attribute: '%s' is not a valid regular expression",
                                w[1] + 1);
    } else {
        rule->value = w[1];
    }
    *parsed = rule;
    return nullptr;
}

authz_status attribute_rule(request_rec* r, const char* line, const void* parsed) {
    const Identity* id = signed_in(r);
    if (!id) return AUTHZ_DENIED_NO_USER;
    const auto* rule = static_cast<const AttributeRule*>(parsed);
    for (const auto& v : identity_values(*id, rule->name)) {
        if (rule->regex ? ap_regexec(rule->regex, v.c_str(), 0, nullptr, 0) == 0 : v == rule->value)
            return AUTHZ_GRANTED;
    }
    return deny(r, *id, std::string("attribute condition not met: ") + line);
}

const authz_provider kGroupProvider = {check_group, parse_group_line};
const authz_provider kAttributeProvider = {check_attribute, parse_attribute_line};

}  // namespace

void register_authz_providers(apr_pool_t* p) {
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "helpdesk-sso-group", AUTHZ_PROVIDER_VERSION, &kGroupProvider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "helpdesk-sso-attribute", AUTHZ_PROVIDER_VERSION,
                              &kAttributeProvider, AP_AUTH_INTERNAL_PER_CONF);
}

}  // namespace hdsso::mod
