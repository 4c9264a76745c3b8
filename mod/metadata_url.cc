#include "mod/metadata_url.h"

#include <cstring>
#include <string>

#include <sys/stat.h>

#include "apr_strings.h"
#include "http_log.h"

#include "core/secret_file.h"
#include "mod/dir_config.h"
#include "mod/metrics.h"
#include "saml/metadata_refresh.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

constexpr long kFetchSeconds = 20;
constexpr std::int64_t kFloorSeconds = kRefreshFloorSeconds;

const char* signer(const MetadataUrl& u) { return u.signer_pem ? u.signer_pem : ""; }

Result<CheckedMetadata> fetch_and_check(const MetadataUrl& u, std::string& text) {
    auto fetched = fetch_source(u, nullptr);
    if (!fetched) return fetched.error();
    text = std::move(fetched.value());
    return check_fetched_metadata(text, signer(u), now_seconds());
}

}  // namespace

const char* parse_metadata_url(cmd_parms* cmd, int argc, char* const argv[], const MetadataUrl*& out) {
    if (argc < 2 || argc > 5)
        return apr_psprintf(cmd->pool, "%s: expected URL BACKING-FILE [refresh=SECONDS] [signer=CERT-FILE] "
                                       "[ca=CA-FILE]", cmd->cmd->name);
    auto* u = static_cast<MetadataUrl*>(apr_pcalloc(cmd->pool, sizeof(MetadataUrl)));
    u->url = argv[0];
    u->refresh = 3600;
    u->fetch_seconds = kFetchSeconds;
    if (strncasecmp(u->url, "https://", 8) && strncasecmp(u->url, "http://", 7))
        return bad_value(cmd, "an http(s) URL", u->url);
    u->backing = ap_server_root_relative(cmd->pool, argv[1]);
    if (!u->backing) return bad_value(cmd, "a file path", argv[1]);
    for (int i = 2; i < argc; ++i) {
        const char* eq = std::strchr(argv[i], '=');
        std::string key = eq ? std::string(argv[i], static_cast<std::size_t>(eq - argv[i])) : std::string(argv[i]);
        const char* value = eq ? eq + 1 : "";
        if (key == "refresh") {
            if (const char* e = parse_seconds(cmd, value, static_cast<int>(kFloorSeconds), 86400, u->refresh)) return e;
        } else if (key == "signer" || key == "ca") {
            const char* path = ap_server_root_relative(cmd->pool, value);
            if (!path || !*value) return bad_value(cmd, "a file path", argv[i]);
            auto text = read_config_file(path, 1024 * 1024);
            if (!text) return directive_error(cmd, text.error().detail);
            if (text.value().find("-----BEGIN CERTIFICATE-----") == std::string::npos)
                return directive_error(cmd, std::string(value) + " is not a PEM certificate");
            if (key == "signer") {
                u->signer_pem = apr_pstrmemdup(cmd->pool, text.value().data(), text.value().size());
                u->signer_path = path;
            } else {
                u->ca_file = path;
            }
        } else {
            return bad_value(cmd, "refresh=SECONDS, signer=CERT-FILE or ca=CA-FILE", argv[i]);
        }
    }
    u->allow_plain_http = u->signer_pem != nullptr;
    // Over plain HTTP only what a signature vouches for.
    if (!strncasecmp(u->url, "http://", 7) && !u->signer_pem)
        return directive_error(cmd, std::string(u->url) +
                                        ": metadata over plain http needs signer=CERT-FILE (its signature is then "
                                        "checked); else use https");
    out = u;
    return nullptr;
}

namespace {

// Without signer=, Apache trusts the backing file as it finds it: say so when
// someone other than root may replace it (Apache's user must be able to).
void warn_unsigned_backing(server_rec* s, const MetadataUrl& u) {
    if (u.signer_pem) return;
    std::string dir(u.backing);
    dir = dir.substr(0, dir.find_last_of('/') + 1);
    struct stat st {};
    if (stat(dir.empty() ? "." : dir.c_str(), &st) != 0) return;
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "HDSSO075: IdP metadata %s: the directory of %s is writable by others than root, and the "
                     "metadata is not signed: whatever runs as that user can replace the IdP Apache trusts at its "
                     "next start; add signer=CERT-FILE if the IdP signs its metadata",
                     u.url, u.backing);
}

}  // namespace

Result<std::string> startup_metadata(server_rec* s, const MetadataUrl& u, bool may_fetch) {
    if (may_fetch) warn_unsigned_backing(s, u);
    std::string why_not_file;
    if (auto text = read_backing(u)) {
        auto checked = check_fetched_metadata(text.value(), signer(u), now_seconds());
        if (checked) return text;
        why_not_file = std::string(status_name(checked.error().code)) + ": " + checked.error().detail;
    } else {
        why_not_file = text.error().detail;
    }
    auto refused = [&](const std::string& fetch_reason) {
        return make_error(Status::metadata_fetch_failed,
                          std::string("HelpdeskSSOSAMLIdPMetadataURL ") + u.url + ": the backing file is not usable (" +
                              why_not_file + ")" + fetch_reason);
    };
    if (!may_fetch) return refused("; it is fetched when Apache starts");
    std::string text;
    auto checked = fetch_and_check(u, text);
    if (!checked)
        return refused(" and fetching failed (" + std::string(status_name(checked.error().code)) + ": " +
                       checked.error().detail + "); fetch it with hdsso saml fetch-metadata URL --out FILE");
    if (auto w = write_backing(u, text); !w)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "HDSSO074: %s", w.error().detail.c_str());
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "HDSSO073: IdP metadata %s fetched at start (the backing file %s)",
                 u.url, why_not_file.c_str());
    return text;
}

RefreshJob metadata_refresh_job(server_rec* s, const MetadataUrl* u, std::string current,
                                std::function<Result<void>(const std::string&)> apply) {
    RefreshJob job;
    job.s = s;
    job.source = u;
    job.current = std::move(current);
    job.apply = std::move(apply);
    job.check = [u](const std::string& text, std::int64_t now) -> Result<CheckedDocument> {
        auto checked = check_fetched_metadata(text, signer(*u), now);
        if (!checked) return checked.error();
        std::string idps;
        for (const auto& id : checked.value().idps) idps += (idps.empty() ? "" : ", ") + id;
        return CheckedDocument{metadata_refresh_delay(checked.value(), u->refresh, now, kFloorSeconds), idps};
    };
    job.report = [u](const RefreshJob& j, RefreshOutcome outcome, const std::string& detail, bool from_sibling,
                     const std::string&) {
        const char* sibling = from_sibling ? " (fetched by another process)" : "";
        switch (outcome) {
        case RefreshOutcome::unchanged:
            count("hdsso_metadata_refreshes_total", {{"result", "unchanged"}});
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, j.s, "HDSSO071: IdP metadata %s: unchanged%s", u->url, sibling);
            return;
        case RefreshOutcome::changed:
            count("hdsso_metadata_refreshes_total", {{"result", "changed"}});
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, j.s, "HDSSO070: IdP metadata %s: changed, in use now (%s)%s",
                         u->url, detail.c_str(), sibling);
            return;
        case RefreshOutcome::failed: {
            count("hdsso_metadata_refreshes_total", {{"result", "failed"}});
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, j.s,
                         "HDSSO072: IdP metadata %s: refresh failed, the metadata in use is kept: %s", u->url,
                         detail.c_str());
            // Kept, but past its own validUntil, so its IdPs are refused:
            // said at error level on every failed attempt.
            auto in_use = check_fetched_metadata(j.current, signer(*u), now_seconds());
            if (!in_use && in_use.error().code == Status::metadata_expired)
                ap_log_error(APLOG_MARK, APLOG_ERR, 0, j.s,
                             "HDSSO076: IdP metadata %s: the metadata in use is past its validUntil and no newer "
                             "copy can be had: sign-ins through its IdPs are refused (metadata.expired) until "
                             "one is; fix the URL (or the IdP)", u->url);
            return;
        }
        }
    };
    job.not_written = [](const RefreshJob& j, const std::string& error) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, j.s, "HDSSO074: %s", error.c_str());
    };
    return job;
}

}  // namespace hdsso::mod
