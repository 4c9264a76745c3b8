#include "mod/url_refresh.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <random>
#include <thread>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "apr_pools.h"

#include "core/fetch.h"

namespace hdsso::mod {

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

// A regular file, not through a link, at most kMaxBackingBytes (what a
// fetch may bring): the parent reads it as root at start.
Result<std::string> read_backing(const UrlSource& u) {
    auto fail = [&](const std::string& why) { return make_error(Status::config_io, std::string(u.backing) + ": " + why); };
    int fd = open(u.backing, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return fail(std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail("not a regular file");
    }
    if (st.st_size > static_cast<off_t>(kMaxBackingBytes)) {
        close(fd);
        return fail("larger than " + std::to_string(kMaxBackingBytes) + " bytes");
    }
    std::string text;
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return fail(std::strerror(e));
        }
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > kMaxBackingBytes) {
            close(fd);
            return fail("larger than " + std::to_string(kMaxBackingBytes) + " bytes");
        }
    }
    close(fd);
    return text;
}

// Replaced in one rename: a reader sees the old or the new copy. The
// directory is writable by Apache's user, and the parent writes as root: the
// temporary file is made new (O_EXCL), never through a link (O_NOFOLLOW).
Result<void> write_backing(const UrlSource& u, const std::string& text) {
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

// A child touches it after each good fetch, so it tells its siblings how
// fresh the copy is.
std::int64_t backing_time(const UrlSource& u) {
    struct stat st {};
    return stat(u.backing, &st) == 0 ? static_cast<std::int64_t>(st.st_mtime) : 0;
}

Result<std::string> fetch_source(const UrlSource& u, const std::atomic<bool>* cancel) {
    FetchOptions o;
    o.url = u.url;
    o.ca_file = u.ca_file ? u.ca_file : "";
    o.timeout_seconds = u.fetch_seconds > 0 ? u.fetch_seconds : 20;
    o.allow_plain_http = u.allow_plain_http != 0;
    o.cancel = cancel;
    return fetch_url(o);
}

class RefreshThread {
public:
    std::vector<RefreshJob> jobs;
    std::vector<std::int64_t> due;
    std::vector<std::int64_t> fresh_at;  // when each job's current document was last confirmed
    // Asked for by refresh_now (under m): pending, the sibling window, why;
    // refreshes started and finished, per job.
    std::vector<bool> asked;
    std::vector<std::int64_t> asked_window;
    std::vector<std::string> asked_why;
    std::vector<std::uint64_t> started, finished;
    std::minstd_rand jitter{static_cast<unsigned>(getpid()) ^ static_cast<unsigned>(std::time(nullptr))};
    std::atomic<bool> stop{false};
    std::mutex m;
    std::condition_variable cv;    // the thread waits: stop, or asked
    std::condition_variable done;  // refresh_now waits: finished
    std::thread thread;

    // A delay lengthened by up to a quarter, different in each child: the
    // first child due fetches and touches the backing file, the others then
    // read its copy.
    std::int64_t spread(std::int64_t delay) {
        return delay + static_cast<std::int64_t>(jitter() % static_cast<unsigned>(delay / 4 + 1));
    }

    // A copy a sibling process fetched within `window` seconds is read from
    // the backing file instead of the URL (several children, about one
    // fetch per interval).
    bool sibling_copy(std::size_t i, std::int64_t now, std::int64_t window, std::string& text) {
        const UrlSource& u = *jobs[i].source;
        std::int64_t t = backing_time(u);
        if (t <= fresh_at[i] || now - t >= window) return false;
        auto read = read_backing(u);
        if (!read) return false;
        text = std::move(read.value());
        fresh_at[i] = t;
        return true;
    }

    void refresh(std::size_t i, std::int64_t window, const std::string& why) {
        RefreshJob& job = jobs[i];
        const UrlSource& u = *job.source;
        std::string text;
        std::int64_t now = now_seconds();
        bool from_sibling = sibling_copy(i, now, window, text);
        Result<CheckedDocument> checked = make_error(Status::internal, "not checked");
        if (from_sibling) {
            checked = job.check(text, now);
        } else {
            auto fetched = fetch_source(u, &stop);
            if (fetched) {
                text = std::move(fetched.value());
                checked = job.check(text, now);
            } else {
                checked = fetched.error();
            }
        }
        if (stop) return;
        if (checked && !from_sibling) fresh_at[i] = now;
        Result<void> applied = checked ? Result<void>() : Result<void>(checked.error());
        if (checked && text == job.current) {
            due[i] = fresh_at[i] + spread(checked.value().delay);
            job.report(job, RefreshOutcome::unchanged, checked.value().summary, from_sibling, why);
            if (!from_sibling) {
                utimes(u.backing, nullptr);  // fresh: the siblings need not fetch
                // This process's own copy is not a sibling's.
                if (std::int64_t t = backing_time(u)) fresh_at[i] = std::max(fresh_at[i], t);
            }
            return;
        }
        if (checked) applied = job.apply(text);
        if (!applied) {
            due[i] = now + std::min<std::int64_t>(u.refresh, kRefreshRetrySeconds);
            job.report(job, RefreshOutcome::failed,
                       std::string(status_name(applied.error().code)) + ": " + applied.error().detail, from_sibling,
                       why);
            return;
        }
        job.current = text;
        due[i] = fresh_at[i] + spread(checked.value().delay);
        job.report(job, RefreshOutcome::changed, checked.value().summary, from_sibling, why);
        if (!from_sibling) {
            if (auto w = write_backing(u, text); !w) job.not_written(job, w.error().detail);
            else if (std::int64_t t = backing_time(u)) fresh_at[i] = std::max(fresh_at[i], t);
        }
    }

    void run() {
        while (!stop) {
            for (std::size_t i = 0; i < jobs.size() && !stop; ++i) {
                std::int64_t window = std::max<std::int64_t>(kRefreshFloorSeconds, jobs[i].source->refresh / 2);
                std::string why;
                {
                    std::lock_guard<std::mutex> lock(m);
                    if (asked[i]) {
                        asked[i] = false;
                        window = asked_window[i];
                        why = std::move(asked_why[i]);
                    } else if (due[i] > now_seconds()) {
                        continue;
                    }
                    ++started[i];
                }
                refresh(i, window, why);
                {
                    std::lock_guard<std::mutex> lock(m);
                    ++finished[i];
                }
                done.notify_all();
            }
            std::int64_t next = *std::min_element(due.begin(), due.end());
            std::unique_lock<std::mutex> lock(m);
            cv.wait_for(lock, std::chrono::seconds(std::max<std::int64_t>(1, next - now_seconds())), [&] {
                return stop.load() || std::find(asked.begin(), asked.end(), true) != asked.end();
            });
        }
    }

    static apr_status_t halt(void* data) {
        auto* r = static_cast<RefreshThread*>(data);
        {
            std::lock_guard<std::mutex> lock(r->m);
            r->stop = true;
        }
        r->cv.notify_all();
        r->done.notify_all();
        if (r->thread.joinable()) r->thread.join();
        delete r;
        return APR_SUCCESS;
    }
};

RefreshThread* start_refresh(apr_pool_t* pchild, std::vector<RefreshJob> jobs) {
    if (jobs.empty()) return nullptr;
    auto* r = new RefreshThread;
    std::int64_t now = now_seconds();
    // The first fetch when the copy this child starts with is due: a child
    // started long after the parent read it fetches (or reads its siblings'
    // copy) at once.
    for (const auto& j : jobs) {
        std::int64_t t = backing_time(*j.source);
        std::int64_t fresh = t && t <= now ? t : now;
        auto checked = j.check(j.current, now);
        std::int64_t delay = checked ? checked.value().delay : kRefreshFloorSeconds;
        // A sibling of this generation has a newer copy than the parent read:
        // take it at the first tick.
        auto on_disk = read_backing(*j.source);
        if (on_disk && on_disk.value() != j.current) {
            r->fresh_at.push_back(0);
            r->due.push_back(now + 1);
            continue;
        }
        r->fresh_at.push_back(fresh);
        r->due.push_back(std::max(now + 1, fresh + r->spread(delay)));
    }
    std::size_t n = jobs.size();
    r->jobs = std::move(jobs);
    r->asked.assign(n, false);
    r->asked_window.assign(n, 0);
    r->asked_why.assign(n, "");
    r->started.assign(n, 0);
    r->finished.assign(n, 0);
    // Signals stay with the child's main thread (prefork unblocks them).
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    r->thread = std::thread([r] { r->run(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    apr_pool_cleanup_register(pchild, r, RefreshThread::halt, apr_pool_cleanup_null);
    return r;
}

bool refresh_now(RefreshThread* t, std::size_t i, std::int64_t sibling_window, std::chrono::milliseconds wait,
                 const std::string& why) {
    if (!t || i >= t->jobs.size()) return false;
    std::unique_lock<std::mutex> lock(t->m);
    if (t->stop) return false;
    // The refresh that starts after this call: the next one started.
    std::uint64_t target = t->started[i] + 1;
    if (!t->asked[i]) {
        t->asked[i] = true;
        t->asked_window[i] = sibling_window;
        t->asked_why[i] = why;
    }
    t->cv.notify_all();
    return t->done.wait_for(lock, wait, [&] { return t->stop.load() || t->finished[i] >= target; }) &&
           !t->stop.load();
}

}  // namespace hdsso::mod
