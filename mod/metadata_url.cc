#include "mod/metadata_url.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <mutex>
#include <thread>

#include <unistd.h>

#include "apr_strings.h"
#include "http_log.h"

#include "core/fetch.h"
#include "core/secret_file.h"
#include "mod/dir_config.h"
#include "mod/metrics.h"
#include "saml/metadata_refresh.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

constexpr long kFetchSeconds = 20;
constexpr std::int64_t kFloorSeconds = 5;
constexpr std::int64_t kRetrySeconds = 300;  // after a failure, at most

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

Result<std::string> read_backing(const MetadataUrl& u) {
    std::ifstream in(u.backing, std::ios::binary);
    if (!in) return make_error(Status::config_io, std::string(u.backing) + ": " + std::strerror(errno));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text;
}

// Replaced in one rename: a reader sees the old or the new copy.
Result<void> write_backing(const MetadataUrl& u, const std::string& text) {
    std::string tmp = std::string(u.backing) + ".tmp." + std::to_string(getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!(out << text) || !out.flush())
            return make_error(Status::config_io, "cannot write " + tmp + ": " + std::strerror(errno));
    }
    if (std::rename(tmp.c_str(), u.backing) != 0) {
        int e = errno;
        std::remove(tmp.c_str());
        return make_error(Status::config_io, std::string("cannot replace ") + u.backing + ": " + std::strerror(e));
    }
    return {};
}

Result<CheckedMetadata> fetch_and_check(const MetadataUrl& u, std::string& text, const std::atomic<bool>* cancel) {
    FetchOptions o;
    o.url = u.url;
    o.ca_file = u.ca_file ? u.ca_file : "";
    o.timeout_seconds = kFetchSeconds;
    o.allow_plain_http = u.signer_pem != nullptr;
    o.cancel = cancel;
    auto fetched = fetch_url(o);
    if (!fetched) return fetched.error();
    text = std::move(fetched.value());
    return check_fetched_metadata(text, u.signer_pem ? u.signer_pem : "", now_seconds());
}

}  // namespace

const char* parse_metadata_url(cmd_parms* cmd, int argc, char* const argv[], const MetadataUrl*& out) {
    if (argc < 2 || argc > 5)
        return apr_psprintf(cmd->pool, "%s: expected URL BACKING-FILE [refresh=SECONDS] [signer=CERT-FILE] "
                                       "[ca=CA-FILE]", cmd->cmd->name);
    auto* u = static_cast<MetadataUrl*>(apr_pcalloc(cmd->pool, sizeof(MetadataUrl)));
    u->url = argv[0];
    u->refresh = 3600;
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
    // Over plain HTTP only what a signature vouches for.
    if (!strncasecmp(u->url, "http://", 7) && !u->signer_pem)
        return directive_error(cmd, std::string(u->url) +
                                        ": metadata over plain http needs signer=CERT-FILE (its signature is then "
                                        "checked); else use https");
    out = u;
    return nullptr;
}

Result<std::string> startup_metadata(server_rec* s, const MetadataUrl& u, bool may_fetch) {
    std::string why_not_file;
    if (auto text = read_backing(u)) {
        auto checked = check_fetched_metadata(text.value(), u.signer_pem ? u.signer_pem : "", now_seconds());
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
    auto checked = fetch_and_check(u, text, nullptr);
    if (!checked)
        return refused(" and fetching failed (" + std::string(status_name(checked.error().code)) + ": " +
                       checked.error().detail + "); fetch it with hdsso saml fetch-metadata URL --out FILE");
    if (auto w = write_backing(u, text); !w)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "HDSSO074: %s", w.error().detail.c_str());
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "HDSSO073: IdP metadata %s fetched at start (the backing file %s)",
                 u.url, why_not_file.c_str());
    return text;
}

namespace {

struct Refresher {
    std::vector<RefreshJob> jobs;
    std::vector<std::int64_t> due;
    std::atomic<bool> stop{false};
    std::mutex m;
    std::condition_variable cv;
    std::thread thread;

    void refresh(std::size_t i) {
        RefreshJob& job = jobs[i];
        const MetadataUrl& u = *job.url;
        std::string text;
        std::int64_t now = now_seconds();
        auto checked = fetch_and_check(u, text, &stop);
        if (stop) return;
        Result<void> applied = checked ? Result<void>() : Result<void>(checked.error());
        if (checked && text == job.current) {
            due[i] = now + metadata_refresh_delay(checked.value(), u.refresh, now, kFloorSeconds);
            count("hdsso_metadata_refreshes_total", {{"result", "unchanged"}});
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, job.s, "HDSSO071: IdP metadata %s: unchanged", u.url);
            return;
        }
        if (checked) applied = job.apply(text);
        if (!applied) {
            due[i] = now + std::min<std::int64_t>(u.refresh, kRetrySeconds);
            count("hdsso_metadata_refreshes_total", {{"result", "failed"}});
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, job.s,
                         "HDSSO072: IdP metadata %s: refresh failed, the metadata in use is kept: %s: %s", u.url,
                         status_name(applied.error().code), applied.error().detail.c_str());
            return;
        }
        job.current = text;
        due[i] = now + metadata_refresh_delay(checked.value(), u.refresh, now, kFloorSeconds);
        count("hdsso_metadata_refreshes_total", {{"result", "changed"}});
        std::string idps;
        for (const auto& id : checked.value().idps) idps += (idps.empty() ? "" : ", ") + id;
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, job.s, "HDSSO070: IdP metadata %s: changed, in use now (%s)", u.url,
                     idps.c_str());
        if (auto w = write_backing(u, text); !w)
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, job.s, "HDSSO074: %s", w.error().detail.c_str());
    }

    void run() {
        while (!stop) {
            std::int64_t now = now_seconds();
            for (std::size_t i = 0; i < jobs.size() && !stop; ++i)
                if (due[i] <= now) refresh(i);
            std::int64_t next = *std::min_element(due.begin(), due.end());
            std::unique_lock<std::mutex> lock(m);
            cv.wait_for(lock, std::chrono::seconds(std::max<std::int64_t>(1, next - now_seconds())),
                        [&] { return stop.load(); });
        }
    }

    static apr_status_t halt(void* data) {
        auto* r = static_cast<Refresher*>(data);
        {
            std::lock_guard<std::mutex> lock(r->m);
            r->stop = true;
        }
        r->cv.notify_all();
        if (r->thread.joinable()) r->thread.join();
        delete r;
        return APR_SUCCESS;
    }
};

}  // namespace

void start_metadata_refresh(apr_pool_t* pchild, std::vector<RefreshJob> jobs) {
    if (jobs.empty()) return;
    auto* r = new Refresher;
    std::int64_t now = now_seconds();
    for (const auto& j : jobs) r->due.push_back(now + j.url->refresh);
    r->jobs = std::move(jobs);
    r->thread = std::thread([r] { r->run(); });
    apr_pool_cleanup_register(pchild, r, Refresher::halt, apr_pool_cleanup_null);
}

}  // namespace hdsso::mod
