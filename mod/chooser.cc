#include "mod/chooser.h"

#include <cstring>
#include <string>

#include "apr_lib.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_protocol.h"

#include "mod/sign_in.h"
#include "mod/http.h"
#include "mod/oidc.h"
#include "mod/saml.h"
#include "url/query.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

constexpr int kRememberSeconds = 365 * 24 * 3600;



bool name_ok(const char* n) {
    if (!*n || std::strlen(n) > 32) return false;
    for (const char* p = n; *p; ++p)
        if (!(apr_isalnum(*p) || *p == '-' || *p == '_')) return false;
    return true;
}

const IdpChoice* find_choice(const DirConfig* c, std::string_view name) {
    if (!c->idps.set) return nullptr;
    for (int i = 0; i < c->idps.value->nelts; ++i) {
        const auto* choice = &APR_ARRAY_IDX(c->idps.value, i, IdpChoice);
        if (name == choice->name) return choice;
    }
    return nullptr;
}

// HelpdeskSSOIdP NAME saml|jwt|remote|oidc "Display name" [LOGIN-URL|ENTITY-ID]
const char* add_idp(cmd_parms* cmd, void* m, int argc, char* const argv[]) {
    if (argc < 3 || argc > 4)
        return apr_psprintf(cmd->pool, "%s: expected NAME saml|jwt|remote|oidc \"Display name\" [LOGIN-URL|ENTITY-ID]",
                            cmd->cmd->name);
    if (!name_ok(argv[0])) return bad_value(cmd, "a short name of letters, digits, '-' and '_' (up to 32)", argv[0]);
    IdpChoice choice{argv[0], IdpKind::saml, argv[2], nullptr, nullptr};
    if (!strcasecmp(argv[1], "saml")) choice.kind = IdpKind::saml;
    else if (!strcasecmp(argv[1], "jwt")) choice.kind = IdpKind::jwt;
    else if (!strcasecmp(argv[1], "remote")) choice.kind = IdpKind::remote;
    else if (!strcasecmp(argv[1], "oidc")) choice.kind = IdpKind::oidc;
    else return bad_value(cmd, "saml, jwt, remote or oidc", argv[1]);
    if (!*argv[2] || std::strlen(argv[2]) > 100) return bad_value(cmd, "a display name of 1 to 100 characters", argv[2]);
    if (argc == 4 && choice.kind == IdpKind::oidc)
        return directive_error(cmd, "an oidc IdP takes no fourth argument: its settings are the "
                                    "HelpdeskSSOOIDCProvider of the same NAME");
    if (argc == 4) {
        if (choice.kind == IdpKind::saml) {
            for (const char* p = argv[3]; *p; ++p)
                if (static_cast<unsigned char>(*p) <= 0x20 || *p == 0x7f) return bad_value(cmd, "an IdP entity ID", argv[3]);
            choice.saml_entity = argv[3];
        } else {
            if (const char* e = check_url(cmd, argv[3])) return e;
            choice.login_url = argv[3];
        }
    }
    DirConfig* c = cfg(m);
    if (find_choice(c, argv[0])) return apr_psprintf(cmd->pool, "%s: '%s' is named twice", cmd->cmd->name, argv[0]);
    append(cmd->pool, c->idps, choice);
    return nullptr;
}

const char* set_default_idp(cmd_parms* cmd, void* m, const char* arg) {
    DirConfig* c = cfg(m);
    if (!name_ok(arg)) return bad_value(cmd, "the name of a HelpdeskSSOIdP", arg);
    // Checked here when the list is in the same scope; else at request time.
    if (c->idps.set && !find_choice(c, arg))
        return apr_psprintf(cmd->pool, "%s: no HelpdeskSSOIdP named '%s' here", cmd->cmd->name, arg);
    c->default_idp = {arg, 1};
    return nullptr;
}

std::string remember_cookie(const DirConfig* c) { return std::string(cookie_name(c)) + "_idp"; }

const char* login_url_for(const DirConfig* c, const IdpChoice& choice) {
    if (choice.login_url) return choice.login_url;
    if (choice.kind == IdpKind::jwt) return c->jwt_login_url.set ? c->jwt_login_url.value : nullptr;
    return c->login_url.set ? c->login_url.value : nullptr;
}

int begin(request_rec* r, const DirConfig* c, const IdpChoice& choice, const std::string& back) {
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "HDSSO034: signing in through %s", choice.name);
    if (choice.kind == IdpKind::saml) {
        auto sp = saml_sp(r);
        if (!sp)
            return fail(r, c, make_error(Status::config_invalid, std::string("HelpdeskSSOIdP ") + choice.name +
                                                                     ": no SAML IdP is configured for this site"));
        return saml_login(r, c, *sp, back, choice.saml_entity ? choice.saml_entity : "");
    }
    if (choice.kind == IdpKind::oidc) return oidc_login(r, c, choice.name, back);
    const char* url = login_url_for(c, choice);
    if (!url)
        return fail(r, c, make_error(Status::config_invalid,
                                     std::string("HelpdeskSSOIdP ") + choice.name + ": no login URL (" +
                                         (choice.kind == IdpKind::jwt ? "HelpdeskSSOJWTLoginURL" : "HelpdeskSSORemoteLoginURL") +
                                         " or a fourth argument)"));
    if (choice.kind == IdpKind::jwt) return redirect(r, append_query(url, {{"redirect_to", back}}));
    return redirect(r, append_query(url, {{"host_url", host_url(r)}, {"redirect_to", back}}));
}

int chooser_page(request_rec* r, const DirConfig* c, const std::string& back, const IdpChoice* preselected) {
    auto esc = [&](const std::string& s) { return std::string(ap_escape_html2(r->pool, s.c_str(), 1)); };
    std::string body = "<form method=\"get\" action=\"" + esc(std::string(endpoint(c)) + "/login") + "\">\n";
    body += "<input type=\"hidden\" name=\"return\" value=\"" + esc(back) + "\">\n";
    body += "<fieldset>\n<legend>Choose how to sign in</legend>\n";
    for (int i = 0; i < c->idps.value->nelts; ++i) {
        const auto& choice = APR_ARRAY_IDX(c->idps.value, i, IdpChoice);
        bool checked = preselected ? &choice == preselected : i == 0;
        std::string id = std::string("idp-") + choice.name;
        body += "<div class=\"choice\"><input type=\"radio\" name=\"idp\" id=\"" + esc(id) + "\" value=\"" +
                esc(choice.name) + "\"" + (checked ? " checked" : "") + "> <label for=\"" + esc(id) + "\">" +
                esc(choice.display) + "</label></div>\n";
    }
    body += "</fieldset>\n<p><input type=\"checkbox\" name=\"remember\" id=\"remember\" value=\"1\"> "
            "<label for=\"remember\">Remember my choice on this browser</label></p>\n"
            "<p><button type=\"submit\">Continue</button></p>\n</form>\n";
    return html_response(r, "Sign in to the helpdesk", body);
}

}  // namespace

const command_rec* chooser_commands() {
    static const command_rec table[] = {
        AP_INIT_TAKE_ARGV("HelpdeskSSOIdP", HDSSO_CMD(add_idp), nullptr, RSRC_CONF | ACCESS_CONF,
                          "NAME saml|jwt|remote|oidc \"Display name\" [LOGIN-URL|ENTITY-ID]: an identity provider "
                          "the chooser page offers, in this order (saml: the IdP's entity ID when the site trusts "
                          "several; oidc: NAME is a HelpdeskSSOOIDCProvider)"),
        AP_INIT_TAKE1("HelpdeskSSODefaultIdP", HDSSO_CMD(set_default_idp), nullptr, RSRC_CONF | ACCESS_CONF,
                      "the HelpdeskSSOIdP used when the browser names none and remembers none (the chooser stays "
                      "at <prefix>/login?choose=1)"),
        {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
    };
    return table;
}

bool has_idp_choices(const DirConfig* c) { return c->idps.set && c->idps.value->nelts > 0; }

int login_endpoint(request_rec* r, const DirConfig* c) {
    auto params = parse_query(r->args ? r->args : "");
    if (!params) return fail(r, c, make_error(Status::url_malformed, params.error().detail));
    std::string back = "/", idp;
    bool remember = false, choose = false;
    for (const auto& [k, v] : params.value()) {
        if (k == "return" || k == "redirect_to") back = v;
        else if (k == "idp") idp = v;
        else if (k == "remember") remember = v == "1";
        else if (k == "choose") choose = v == "1";
    }
    auto valid = validate_return(c, back);
    if (!valid) return fail(r, c, valid.error());
    back = valid.value();

    if (!has_idp_choices(c)) return start_login_to(r, c, back);
    if (!idp.empty()) {
        const IdpChoice* choice = find_choice(c, idp);
        if (!choice) return fail(r, c, make_error(Status::idp_unknown, "no HelpdeskSSOIdP named '" + idp + "' here"));
        if (remember)
            add_cookie(r, remember_cookie(c), choice->name, {kRememberSeconds, cookie_secure(c), true, SameSite::lax});
        return begin(r, c, *choice, back);
    }
    const IdpChoice* preselected = nullptr;
    if (c->default_idp.set) {
        preselected = find_choice(c, c->default_idp.value);
        if (!preselected)
            return fail(r, c, make_error(Status::config_invalid, std::string("HelpdeskSSODefaultIdP ") +
                                                                     c->default_idp.value + " names no HelpdeskSSOIdP here"));
    }
    if (!choose) {
        for (const auto& remembered : cookie_values(r, remember_cookie(c).c_str()))
            if (const IdpChoice* choice = find_choice(c, remembered)) return begin(r, c, *choice, back);
        if (preselected) return begin(r, c, *preselected, back);
        if (c->idps.value->nelts == 1) return begin(r, c, APR_ARRAY_IDX(c->idps.value, 0, IdpChoice), back);
    }
    return chooser_page(r, c, back, preselected);
}

int start_login(request_rec* r, const DirConfig* c) {
    std::string back = return_path(r, c);
    // Several IdPs: the login endpoint picks one (or asks).
    if (has_idp_choices(c)) return redirect(r, append_query(std::string(endpoint(c)) + "/login", {{"return", back}}));
    return start_login_to(r, c, back);
}


}  // namespace hdsso::mod
