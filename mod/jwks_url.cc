#include "mod/jwks_url.h"

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"

#include "core/rate_gate.h"
#include "core/secret_file.h"
#include "jose/base64url.h"
#include "jose/json.h"
#include "jose/jwks_url.h"
#include "mod/dir_config.h"
#include "mod/metrics.h"
#include "mod/url_refresh.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

// One key set URL of this configuration (a directive naming the same URL
// and backing file again shares it: one writer per backing file).
struct JwksSource {
    UrlSource u{};
    std::string signature;  // the directive's arguments, to tell a conflicting repeat
    std::vector<JwsAlg> algs;
    server_rec* s = nullptr;
    std::string current;  // the key set read at start
    std::unique_ptr<RateGate> gate;  // kid-refetch=
    RefreshThread* thread = nullptr;  // the child's (jwks_child_init)
    std::size_t job = 0;
    JwtKeys* keys = nullptr;
};

namespace {

// How long a refetch may take, and how long a request waits for it.
constexpr int kFetchSeconds = 10;
constexpr std::chrono::milliseconds kKidWait{15000};

// This configuration's sources by backing file; emptied with the
// configuration pool (a restart reads the configuration again).
std::map<std::string, JwtKeys*>& registry() {
    static std::map<std::string, JwtKeys*> sources;
    return sources;
}

struct Owned {
    JwtKeys* keys;
    JwksSource* source;
};

apr_status_t forget(void* data) {
    auto* o = static_cast<Owned*>(data);
    registry().erase(o->source->u.backing);
    delete o->keys;
    delete o->source;
    delete o;
    return APR_SUCCESS;
}

// A kid from a token, as the log may show it.
std::string printable(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 64)) out += (c > 0x20 && c < 0x7f && c != '\'' && c != '\\') ? c : '?';
    if (s.size() > 64) out += "...";
    return out;
}

std::string because(const Error& e) { return std::string(status_name(e.code)) + ": " + e.detail; }

Result<std::shared_ptr<const JwsVerifier>> verifier_from(const std::string& text, const std::vector<JwsAlg>& algs) {
    auto doc = check_jwks_document(text, algs);
    if (!doc) return doc.error();
    return std::shared_ptr<const JwsVerifier>(std::make_shared<const JwsVerifier>(std::move(doc.value().keys)));
}

}  // namespace

const char* set_jwt_keys_url(cmd_parms* cmd, void* m, int argc, char* const argv[]) {
    std::vector<std::string> args(argv, argv + argc);
    auto parsed = parse_jwks_url_args(args);
    if (!parsed) return directive_error(cmd, parsed.error().detail);
    JwksUrlArgs& a = parsed.value();
    const char* backing = ap_server_root_relative(cmd->pool, a.backing.c_str());
    if (!backing) return bad_value(cmd, "a file path", a.backing.c_str());
    const char* ca = nullptr;
    if (!a.ca_file.empty()) {
        ca = ap_server_root_relative(cmd->pool, a.ca_file.c_str());
        if (!ca) return bad_value(cmd, "a file path", a.ca_file.c_str());
        auto text = read_config_file(ca, 1024 * 1024);
        if (!text) return directive_error(cmd, "ca=: " + text.error().detail);
        if (text.value().find("-----BEGIN CERTIFICATE-----") == std::string::npos)
            return directive_error(cmd, "ca=: " + a.ca_file + " is not a PEM certificate");
    }
    std::string signature;
    for (const auto& arg : args) signature += arg + '\n';
    if (auto found = registry().find(backing); found != registry().end()) {
        if (found->second->source->signature != signature)
            return directive_error(cmd, std::string("the backing file ") + backing +
                                            " is already that of another HelpdeskSSOJWTKeysURL with other arguments "
                                            "(each key set URL needs its own backing file)");
        cfg(m)->jwt_keys = {found->second, 1};
        return nullptr;
    }

    auto src = std::make_unique<JwksSource>();
    src->signature = signature;
    src->u.url = apr_pstrdup(cmd->pool, a.url.c_str());
    src->u.backing = backing;
    src->u.refresh = a.refresh;
    src->u.ca_file = ca;
    src->u.allow_plain_http = 0;
    src->u.fetch_seconds = kFetchSeconds;
    src->algs = a.algs;
    src->s = cmd->server;
    src->gate = std::make_unique<RateGate>(a.kid_refetch);

    // The backing file, the last good copy, when it passes the checks; else
    // fetched now (and written to the backing file); else an error naming
    // both reasons, which fails the start. apachectl -t (and -S, -D DUMP_*)
    // never uses the network: it says that the set is fetched at start.
    // (Logged to stderr: no error log is open while the configuration is
    // read.)
    std::string text, why_not_file;
    std::shared_ptr<const JwsVerifier> verifier;
    if (auto read = read_backing(src->u)) {
        auto v = verifier_from(read.value(), src->algs);
        if (v) {
            text = std::move(read.value());
            verifier = v.value();
        } else {
            why_not_file = because(v.error());
        }
    } else {
        why_not_file = read.error().detail;
    }
    if (!verifier && ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_NORMAL) {
        ap_log_perror(APLOG_MARK, APLOG_WARNING, 0, cmd->temp_pool,
                      "HDSSO083: JWT keys %s: the backing file is not usable (%s); the key set is fetched when Apache "
                      "starts, which fails if that fails", src->u.url, why_not_file.c_str());
        verifier = std::make_shared<const JwsVerifier>(std::vector<JwsKey>{});
    }
    if (!verifier) {
        auto fetched = fetch_source(src->u, nullptr);
        using Verifier = Result<std::shared_ptr<const JwsVerifier>>;
        Verifier v = fetched ? verifier_from(fetched.value(), src->algs) : Verifier(fetched.error());
        if (!v)
            return directive_error(cmd, a.url + ": the backing file is not usable (" + why_not_file +
                                            ") and fetching failed (" + because(v.error()) + ")");
        text = std::move(fetched.value());
        verifier = v.value();
        if (auto w = write_backing(src->u, text); !w)
            ap_log_perror(APLOG_MARK, APLOG_WARNING, 0, cmd->temp_pool, "HDSSO084: JWT keys %s: %s", src->u.url,
                          w.error().detail.c_str());
        ap_log_perror(APLOG_MARK, APLOG_NOTICE, 0, cmd->temp_pool,
                      "HDSSO083: JWT keys %s fetched at start (the backing file: %s)", src->u.url,
                      why_not_file.c_str());
    }
    src->current = text;
    auto* keys = new JwtKeys{backing, verifier, src.get()};
    src->keys = keys;
    auto* owned = new Owned{keys, src.release()};
    registry()[backing] = keys;
    apr_pool_cleanup_register(cmd->pool, owned, forget, apr_pool_cleanup_null);
    cfg(m)->jwt_keys = {keys, 1};
    return nullptr;
}

void jwks_child_init(apr_pool_t* pchild, server_rec*) {
    std::vector<RefreshJob> jobs;
    std::vector<JwksSource*> sources;
    for (auto& [backing, keys] : registry()) {
        JwksSource* src = keys->source;
        RefreshJob job;
        job.s = src->s;
        job.source = &src->u;
        job.current = src->current;
        job.check = [src](const std::string& text, std::int64_t) -> Result<CheckedDocument> {
            auto doc = check_jwks_document(text, src->algs);
            if (!doc) return doc.error();
            return CheckedDocument{src->u.refresh, doc.value().kids};
        };
        // Run by the refresh thread only, the one writer of this child.
        job.apply = [src](const std::string& text) -> Result<void> {
            auto v = verifier_from(text, src->algs);
            if (!v) return v.error();
            std::atomic_store(&src->keys->verifier, v.value());
            return {};
        };
        job.report = [src](const RefreshJob& j, RefreshOutcome outcome, const std::string& detail, bool from_sibling,
                           const std::string& why) {
            const char* reason = why.empty() ? "schedule" : "kid";
            std::string extra = why.empty() ? "" : " (for a token naming " + why + ")";
            if (from_sibling) extra += " (fetched by another process)";
            switch (outcome) {
            case RefreshOutcome::changed:
                count("hdsso_jwks_refreshes_total", {{"result", "changed"}, {"reason", reason}});
                ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, j.s,
                             "HDSSO080: JWT keys %s: changed, in use now (kids: %s)%s", src->u.url, detail.c_str(),
                             extra.c_str());
                return;
            case RefreshOutcome::unchanged:
                count("hdsso_jwks_refreshes_total", {{"result", "unchanged"}, {"reason", reason}});
                ap_log_error(APLOG_MARK, APLOG_INFO, 0, j.s, "HDSSO081: JWT keys %s: unchanged (kids: %s)%s",
                             src->u.url, detail.c_str(), extra.c_str());
                return;
            case RefreshOutcome::failed:
                count("hdsso_jwks_refreshes_total", {{"result", "failed"}, {"reason", reason}});
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, j.s,
                             "HDSSO082: JWT keys %s: refresh failed, the keys in use are kept: %s%s", src->u.url,
                             detail.c_str(), extra.c_str());
                return;
            }
        };
        job.not_written = [src](const RefreshJob& j, const std::string& error) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, j.s, "HDSSO084: JWT keys %s: %s", src->u.url, error.c_str());
        };
        src->job = jobs.size();
        jobs.push_back(std::move(job));
        sources.push_back(src);
    }
    RefreshThread* t = start_refresh(pchild, std::move(jobs));
    for (JwksSource* src : sources) src->thread = t;
}

bool refetch_for_unknown_kid(request_rec*, const JwtKeys& keys, std::string_view token, std::string& note) {
    JwksSource* src = keys.source;
    if (!src || !src->thread) return false;
    std::int64_t now = now_seconds();
    if (!src->gate->pass(now)) {
        note = "the key set was fetched again for an unknown kid less than " + std::to_string(src->gate->interval()) +
               " s ago; next time in " + std::to_string(src->gate->wait(now)) + " s";
        return false;
    }
    std::string kid = "kid '" + token_kid(token) + "'";
    // From the URL itself, never a sibling's copy in the backing file: a
    // token's unknown kid must not make this process trust what anyone who
    // can write that directory put there.
    if (!refresh_now(src->thread, src->job, 0, kKidWait, kid)) {
        note = "the key set was not fetched again in time";
        return false;
    }
    return true;
}

// A function-local table (see dir_commands()).
const command_rec* jwks_commands() {
    static const command_rec table[] = {
    AP_INIT_TAKE_ARGV("HelpdeskSSOJWTKeysURL", HDSSO_CMD(set_jwt_keys_url), nullptr, RSRC_CONF | ACCESS_CONF,
                      "URL BACKING-FILE [refresh=SECONDS] [kid-refetch=SECONDS] [ca=CA-FILE] [ALG...]: JWT "
                      "verification keys from a JWK set at an https URL, fetched again in the background (every "
                      "3600 s unless refresh= says sooner) and, for a token naming an unknown kid, at most once "
                      "per kid-refetch= seconds (60 unless set); Apache starts from BACKING-FILE, the last good copy"),
    {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
    };
    return table;
}

std::string token_kid(std::string_view token) {
    auto header = base64url_decode(token.substr(0, token.find('.')));
    if (!header) return "?";
    auto h = JsonObject::parse(header.value(), Status::jwt_malformed);
    if (!h) return "?";
    return printable(h.value().string("kid").value_or("?"));
}

const char* jwt_keys_url(const JwtKeys& keys) { return keys.source ? keys.source->u.url : nullptr; }

}  // namespace hdsso::mod
