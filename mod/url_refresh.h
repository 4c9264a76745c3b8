// A document kept fresh from a URL, for the IdP metadata
// (HelpdeskSSOSAMLIdPMetadataURL) and the JWT key sets
// (HelpdeskSSOJWTKeysURL): its backing file (the last good copy, replaced in
// one rename), the fetch (libcurl, TLS verified), and the child's background
// thread that fetches each document again when it is due, or at once when
// asked (refresh_now), and hands a changed one to its user. What the
// document is, how it is checked and used, and what the log says are the
// user's (the RefreshJob's functions).
#pragma once

#include "httpd.h"
#include "http_config.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"

namespace hdsso::mod {

// Plain data, allocated in the configuration pool by the directive.
struct UrlSource {
    const char* url;
    const char* backing;      // the last good copy (server-root relative resolved)
    int refresh;              // seconds between fetches at most
    const char* ca_file;      // CA certificates for the URL's TLS, or null for the system's
    int allow_plain_http;     // http:// too (the document's signature is checked)
    int fetch_seconds;        // the whole transfer at most
};

// The shortest refresh interval, and the longest wait before a failed fetch
// is tried again.
constexpr std::int64_t kRefreshFloorSeconds = 5;
constexpr std::int64_t kRefreshRetrySeconds = 300;

// The most a backing file may hold: what a fetch may bring (FetchOptions).
constexpr std::size_t kMaxBackingBytes = 16u << 20;

std::int64_t now_seconds();
// A regular file (O_NOFOLLOW, never a FIFO or a device) of at most
// kMaxBackingBytes; config.io otherwise.
Result<std::string> read_backing(const UrlSource& u);
// Replaced in one rename; the temporary file made new (O_EXCL), never
// through a link (O_NOFOLLOW).
Result<void> write_backing(const UrlSource& u, const std::string& text);
// The backing file's modification time, 0 when it cannot be read.
std::int64_t backing_time(const UrlSource& u);
Result<std::string> fetch_source(const UrlSource& u, const std::atomic<bool>* cancel);

enum class RefreshOutcome { changed, unchanged, failed };

// A document that passed its checks: seconds until it is due again (at most
// the source's refresh), and what the log says of it (its IdPs, its kids).
struct CheckedDocument {
    std::int64_t delay;
    std::string summary;
};

// One URL source, for the refresh thread. Its functions run on that thread.
struct RefreshJob {
    server_rec* s;
    const UrlSource* source;
    std::string current;  // the document in use
    std::function<Result<CheckedDocument>(const std::string& text, std::int64_t now)> check;
    // Puts a changed, checked document in use (its error: it is not used).
    std::function<Result<void>(const std::string& text)> apply;
    // One log line per refresh (and the metric): `detail` is the summary,
    // or the failure's "status: detail"; `why` what asked for it ("" when due).
    std::function<void(const RefreshJob& job, RefreshOutcome outcome, const std::string& detail, bool from_sibling,
                       const std::string& why)>
        report;
    // The backing file could not be written.
    std::function<void(const RefreshJob& job, const std::string& error)> not_written;
};

class RefreshThread;

// Starts a refresh thread (none without jobs: nullptr); it stops, and is
// joined, when `pchild` is cleaned up.
RefreshThread* start_refresh(apr_pool_t* pchild, std::vector<RefreshJob> jobs);

// Asks `t` to refresh job `i` now, a sibling process's copy fetched within
// `sibling_window` seconds serving as well, and waits up to `wait` for that
// refresh to finish: true when it did (whatever its outcome). `why` is
// passed to the job's report.
bool refresh_now(RefreshThread* t, std::size_t i, std::int64_t sibling_window, std::chrono::milliseconds wait,
                 const std::string& why);

}  // namespace hdsso::mod
