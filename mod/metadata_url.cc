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
#include <random>
#include <thread>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
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

// Replaced in one rename: a reader sees the old or the new copy. The
// directory is writable by Apache's user, and the parent writes as root: the
// temporary file is made new (O_EXCL), never through a link (O_NOFOLLOW).
Result<void> write_backing(const MetadataUrl& u, const std::string& text) {
    std::string tmp = std::string(u.backing) + ".tmp." + std::to_string(getpid()) + "." +
                      std::to_string(std::hash<std::thread::id>()(std::this_thread::get_id()) % 100000);
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return make_error(Status::config_io, "cannot create " + tmp + ": " + std::strerror(errno));
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            std::remove(tmp.c_str());
            return make_error(Status::config_io, "cannot write " + tmp + ": " + std::strerror(e));
        }
        done += static_cast<std::size_t>(n);
    }
    close(fd);
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

// The backing file's modification time (0 when it cannot be read): a
// child touches it after each good fetch, so it tells its siblings how
// fresh the copy is.
std::int64_t backing_time(const MetadataUrl& u) {
    struct stat st {};
    return stat(u.backing, &st) == 0 ? static_cast<std::int64_t>(st.st_mtime) : 0;
}

struct Refresher {
    std::vector<RefreshJob> jobs;
    std::vector<std::int64_t> due;
    std::vector<std::int64_t> fresh_at;  // when each job's current document was last confirmed
    std::minstd_rand jitter{static_cast<unsigned>(getpid()) ^ static_cast<unsigned>(std::time(nullptr))};

    // A delay lengthened by up to a quarter, different in each child: the
    // first child due fetches and touches the backing file, the others then
    // read its copy.
    std::int64_t spread(std::int64_t delay) {
        return delay + static_cast<std::int64_t>(jitter() % static_cast<unsigned>(delay / 4 + 1));
    }
    std::atomic<bool> stop{false};
    std::mutex m;
    std::condition_variable cv;
    std::thread thread;

    // A copy a sibling process fetched within the last half interval is
    // read from the backing file instead of the URL (several children,
    // about one fetch per interval).
    bool sibling_copy(std::size_t i, std::int64_t now, std::string& text) {
        const MetadataUrl& u = *jobs[i].url;
        std::int64_t t = backing_time(u);
        if (t <= fresh_at[i] || now - t >= std::max<std::int64_t>(kFloorSeconds, u.refresh / 2)) return false;
        auto read = read_backing(u);
        if (!read) return false;
        text = std::move(read.value());
        fresh_at[i] = t;
        return true;
    }

    void refresh(std::size_t i) {
        RefreshJob& job = jobs[i];
        const MetadataUrl& u = *job.url;
        std::string text;
        std::int64_t now = now_seconds();
        bool from_sibling = sibling_copy(i, now, text);
        Result<CheckedMetadata> checked = from_sibling
                                              ? check_fetched_metadata(text, u.signer_pem ? u.signer_pem : "", now)
                                              : fetch_and_check(u, text, &stop);
        if (stop) return;
        if (checked && !from_sibling) fresh_at[i] = now;
        Result<void> applied = checked ? Result<void>() : Result<void>(checked.error());
        if (checked && text == job.current) {
            due[i] = fresh_at[i] + spread(metadata_refresh_delay(checked.value(), u.refresh, now, kFloorSeconds));
            count("hdsso_metadata_refreshes_total", {{"result", "unchanged"}});
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, job.s, "HDSSO071: IdP metadata %s: unchanged%s", u.url,
                         from_sibling ? " (fetched by another process)" : "");
            if (!from_sibling) utimes(u.backing, nullptr);  // fresh: the siblings need not fetch
            return;
        }
        if (checked) applied = job.apply(text);
        if (!applied) {
            due[i] = now + std::min<std::int64_t>(u.refresh, kRetrySeconds);
            count("hdsso_metadata_refreshes_total", {{"result", "failed"}});
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, job.s,
                         "HDSSO072: IdP metadata %s: refresh failed, the metadata in use is kept: %s: %s", u.url,
                         status_name(applied.error().code), applied.error().detail.c_str());
            // Kept, but past its own validUntil, so its IdPs are refused:
            // said at error level on every failed attempt.
            auto in_use = check_fetched_metadata(job.current, u.signer_pem ? u.signer_pem : "", now);
            if (!in_use && in_use.error().code == Status::metadata_expired)
                ap_log_error(APLOG_MARK, APLOG_ERR, 0, job.s,
                             "HDSSO076: IdP metadata %s: the metadata in use is past its validUntil and no newer "
                             "copy can be had: sign-ins through its IdPs are refused (metadata.expired) until "
                             "one is; fix the URL (or the IdP)", u.url);
            return;
        }
        job.current = text;
        due[i] = fresh_at[i] + spread(metadata_refresh_delay(checked.value(), u.refresh, now, kFloorSeconds));
        count("hdsso_metadata_refreshes_total", {{"result", "changed"}});
        std::string idps;
        for (const auto& id : checked.value().idps) idps += (idps.empty() ? "" : ", ") + id;
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, job.s, "HDSSO070: IdP metadata %s: changed, in use now (%s)%s",
                     u.url, idps.c_str(), from_sibling ? " (fetched by another process)" : "");
        if (!from_sibling)
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
    // The first fetch when the copy this child starts with is due: a child
    // started long after the parent read it fetches (or reads its siblings'
    // copy) at once.
    for (const auto& j : jobs) {
        std::int64_t t = backing_time(*j.url);
        std::int64_t fresh = t && t <= now ? t : now;
        auto checked = check_fetched_metadata(j.current, j.url->signer_pem ? j.url->signer_pem : "", now);
        std::int64_t delay = checked ? metadata_refresh_delay(checked.value(), j.url->refresh, now, kFloorSeconds)
                                     : kFloorSeconds;
        // A sibling of this generation has a newer copy than the parent read:
        // take it at the first tick.
        auto on_disk = read_backing(*j.url);
        if (on_disk && on_disk.value() != j.current) {
            r->fresh_at.push_back(0);
            r->due.push_back(now + 1);
            continue;
        }
        r->fresh_at.push_back(fresh);
        r->due.push_back(std::max(now + 1, fresh + r->spread(delay)));
    }
    r->jobs = std::move(jobs);
    // Signals stay with the child's main thread (prefork unblocks them).
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    r->thread = std::thread([r] { r->run(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    apr_pool_cleanup_register(pchild, r, Refresher::halt, apr_pool_cleanup_null);
}

}  // namespace hdsso::mod
