#include "mod/broker.h"

#include <cstring>
#include <memory>
#include <string>

#include "apr_lib.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_protocol.h"

#include "broker/broker.h"
#include "core/secret_file.h"
#include "jose/key_source.h"
#include "mod/chooser.h"
#include "mod/sign_in.h"
#include "mod/http.h"
#include "mod/socache_store.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {



apr_status_t delete_broker(void* data) {
    delete static_cast<BrokerSettings*>(data);
    return APR_SUCCESS;
}

// HelpdeskSSOBroker KIND HOST KEYFILE [ALG]: the key is loaded now, so that
// apachectl -t names a bad one.
const char* add_broker(cmd_parms* cmd, void* m, int argc, char* const argv[]) {
    if (argc < 3 || argc > 4)
        return apr_psprintf(cmd->pool, "%s: expected KIND HOST KEYFILE [ALG]", cmd->cmd->name);
    auto kind = parse_broker_kind(argv[0]);
    if (!kind) return bad_value(cmd, "deskpro, zendesk, kayako, freshworks or freshdesk", argv[0]);
    for (const char* p = argv[1]; *p; ++p)
        if (!(apr_isalnum(*p) || *p == '.' || *p == '-' || *p == ':'))
            return bad_value(cmd, "the helpdesk's host name, such as acme.zendesk.com", argv[1]);
    const char* path = ap_server_root_relative(cmd->pool, argv[2]);
    if (!path) return bad_value(cmd, "a file path", argv[2]);
    auto settings = std::make_unique<BrokerSettings>();
    settings->kind = *kind;
    settings->host = apr_pstrdup(cmd->pool, argv[1]);
    for (char& ch : settings->host) ch = static_cast<char>(apr_tolower(ch));
    if (auto r = load_broker_keys(*settings, {path}, argc == 4 ? argv[3] : ""); !r)
        return directive_error(cmd, r.error().detail);
    DirConfig* c = cfg(m);
    for (int i = 0; c->brokers.set && i < c->brokers.value->nelts; ++i)
        if (APR_ARRAY_IDX(c->brokers.value, i, const BrokerSettings*)->kind == *kind)
            return apr_psprintf(cmd->pool, "%s: %s is configured twice here", cmd->cmd->name, argv[0]);
    BrokerSettings* s = settings.release();
    apr_pool_cleanup_register(cmd->pool, s, delete_broker, apr_pool_cleanup_null);
    append<const BrokerSettings*>(cmd->pool, c->brokers, s);
    return nullptr;
}

// HelpdeskSSOBrokerNextKeyFile KIND FILE...: the keys a rollover moves to,
// after the HelpdeskSSOBroker line of KIND in the same section.
const char* add_broker_next_keys(cmd_parms* cmd, void* m, int argc, char* const argv[]) {
    if (argc < 2 || argc > static_cast<int>(kMaxBrokerKeys))
        return apr_psprintf(cmd->pool, "%s: expected KIND and one to %d key files", cmd->cmd->name,
                            static_cast<int>(kMaxBrokerKeys - 1));
    auto kind = parse_broker_kind(argv[0]);
    if (!kind) return bad_value(cmd, "deskpro, zendesk, kayako, freshworks or freshdesk", argv[0]);
    DirConfig* c = cfg(m);
    BrokerSettings* s = nullptr;
    for (int i = 0; c->brokers.set && i < c->brokers.value->nelts; ++i) {
        auto* b = APR_ARRAY_IDX(c->brokers.value, i, const BrokerSettings*);
        // Settings made by this section's own HelpdeskSSOBroker line.
        if (b->kind == *kind) s = const_cast<BrokerSettings*>(b);
    }
    if (!s)
        return apr_psprintf(cmd->pool, "%s: no 'HelpdeskSSOBroker %s' line before this one in this section",
                            cmd->cmd->name, argv[0]);
    if (s->key_files.size() > 1)
        return apr_psprintf(cmd->pool, "%s: %s already has next keys here", cmd->cmd->name, argv[0]);
    std::vector<std::string> files{s->key_files.front()};
    for (int i = 1; i < argc; ++i) {
        const char* path = ap_server_root_relative(cmd->pool, argv[i]);
        if (!path) return bad_value(cmd, "a file path", argv[i]);
        files.emplace_back(path);
    }
    if (auto r = load_broker_keys(*s, files, s->alg); !r) return directive_error(cmd, r.error().detail);
    return nullptr;
}

const char* add_broker_claim(cmd_parms* cmd, void* m, const char* claim, const char* source) {
    for (const char* a : {claim, source}) {
        bool ok = *a && std::strlen(a) <= 128;
        for (const char* p = a; *p; ++p) ok = ok && static_cast<unsigned char>(*p) > 0x20 && *p != 0x7f;
        if (!ok) return bad_value(cmd, "a claim name and an attribute or field name, without spaces", a);
    }
    if (broker_reserved_claim(claim))
        return apr_psprintf(cmd->pool, "%s: '%s' is set by the module itself", cmd->cmd->name, claim);
    DirConfig* c = cfg(m);
    if (!c->broker_claims.set) c->broker_claims = {apr_table_make(cmd->pool, 4), 1};
    apr_table_set(c->broker_claims.value, claim, source);
    return nullptr;
}

const char* set_broker_ttl(cmd_parms* cmd, void* m, const char* arg) {
    int v = 0;
    if (const char* e = parse_seconds(cmd, arg, 30, 900, v)) return e;
    cfg(m)->broker_ttl = {v, 1};
    return nullptr;
}

const BrokerSettings* find_broker(const DirConfig* c, const char* leaf) {
    if (!c->brokers.set || *leaf != '/') return nullptr;
    auto kind = parse_broker_kind(leaf + 1);
    if (!kind) return nullptr;
    for (int i = 0; i < c->brokers.value->nelts; ++i) {
        const auto* s = APR_ARRAY_IDX(c->brokers.value, i, const BrokerSettings*);
        if (s->kind == *kind) return s;
    }
    return nullptr;
}

// Zendesk: the browser posts the token itself (a server-side POST would
// not carry the user's Zendesk cookies).
int send_form(request_rec* r, const BrokerAction& a) {
    std::string html =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signing you in</title></head>"
        "<body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"";
    html += ap_escape_html2(r->pool, a.form_action.c_str(), 1);
    html += "\">";
    for (const auto& [name, value] : a.form_fields) {
        html += "<input type=\"hidden\" name=\"";
        html += ap_escape_html2(r->pool, name.c_str(), 1);
        html += "\" value=\"";
        html += ap_escape_html2(r->pool, value.c_str(), 1);
        html += "\">";
    }
    html += "<noscript><p>JavaScript is off: press the button to continue.</p></noscript>"
            "<button type=\"submit\">Continue to the helpdesk</button></form></body></html>\n";
    ap_set_content_type(r, "text/html; charset=utf-8");
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_rwrite(html.data(), static_cast<int>(html.size()), r);
    return OK;
}

}  // namespace

const command_rec* broker_commands() {
    static const command_rec table[] = {
        AP_INIT_TAKE_ARGV("HelpdeskSSOBroker", HDSSO_CMD(add_broker), nullptr, RSRC_CONF | ACCESS_CONF,
                          "KIND HOST KEYFILE [ALG]: sign users into this helpdesk at <prefix>/KIND: deskpro, zendesk, "
                          "kayako (shared-secret file), freshworks (PEM private key, RS256) or freshdesk (remote "
                          "authentication shared secret)"),
        AP_INIT_TAKE_ARGV("HelpdeskSSOBrokerNextKeyFile", HDSSO_CMD(add_broker_next_keys), nullptr,
                          RSRC_CONF | ACCESS_CONF,
                          "KIND FILE [FILE...]: keys for a rollover of that helpdesk's key, checked now and not "
                          "used to sign until an administrator moves one to the HelpdeskSSOBroker line"),
        AP_INIT_TAKE2("HelpdeskSSOBrokerClaim", HDSSO_CMD(add_broker_claim), nullptr, RSRC_CONF | ACCESS_CONF,
                      "CLAIM SOURCE: an optional claim the helpdesk reads (organization, role, tags, ...) and the "
                      "attribute or field it comes from"),
        AP_INIT_TAKE1("HelpdeskSSOBrokerTokenLifetime", HDSSO_CMD(set_broker_ttl), nullptr, RSRC_CONF | ACCESS_CONF,
                      "seconds a minted token is valid (exp - iat; default 300)"),
        {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
    };
    return table;
}

bool broker_configured(const DirConfig* c, const char* leaf) { return find_broker(c, leaf) != nullptr; }

int broker_endpoint(request_rec* r, const DirConfig* c, const char* leaf) {
    const BrokerSettings* s = find_broker(c, leaf);
    if (!s) return HTTP_NOT_FOUND;
    if (s->kind == BrokerKind::deskpro)
        apr_table_setn(r->err_headers_out, "Content-Security-Policy",
                       apr_pstrcat(r->pool, "frame-ancestors https://", s->host.c_str(), nullptr));
    auto session = current_session(r, c);
    if (!session) return fail(r, c, session.error());
    // Not signed in yet: sign in first, then back here with the same query.
    if (!session.value()) return start_login(r, c);
    auto params = parse_query(r->args ? r->args : "");
    if (!params) return fail(r, c, params.error());
    BrokerOptions o;
    if (c->broker_ttl.set) o.ttl = c->broker_ttl.value;
    if (c->broker_claims.set) {
        const apr_array_header_t* a = apr_table_elts(c->broker_claims.value);
        for (int i = 0; i < a->nelts; ++i) {
            const auto& e = APR_ARRAY_IDX(a, i, apr_table_entry_t);
            o.extra_claims.emplace_back(e.key, e.val);
        }
    }
    const Identity& id = session.value()->identity;
    auto action = broker_sign_in(*s, o, id, params.value(), RequestStores::clock().now());
    if (!action) return fail(r, c, action.error());
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO033: signed %s into %s at %s", id.subject.c_str(),
                  broker_kind_name(s->kind), s->host.c_str());
    if (!action.value().form_action.empty()) return send_form(r, action.value());
    return redirect(r, action.value().redirect);
}

}  // namespace hdsso::mod
