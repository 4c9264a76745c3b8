// Idle connections to a remote store (Redis, memcached), kept per process and
// shared by its threads. A connection goes back into the pool only after a
// command that succeeded; on any error the caller drops it, so there is no
// lasting failed state: the next call connects afresh.
//
// Fork: the pool may be created in Apache's parent before it forks its
// children. It remembers the process that filled it; a process that finds
// connections of another process (its parent's) hands them to `disown`
// without using them, so two processes never talk over one socket.
// Not supported: forking while another thread of the process is inside
// take() or give() (Apache's parent forks with a single thread).
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

namespace hdsso {

// Handle: a std::unique_ptr whose deleter closes the connection.
template <class Handle>
class ConnectionPool {
public:
    // Receives each connection inherited from another process; it must not
    // write to the socket, and should close the descriptor if it can.
    using Disown = void (*)(Handle&&);

    ConnectionPool(std::size_t max_idle, Disown disown)
        : max_idle_(max_idle), disown_(disown), pid_(getpid()) {}
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;
    ~ConnectionPool() { clear(); }

    // An idle connection of this process, or an empty handle: the caller
    // then connects.
    Handle take() {
        std::lock_guard<std::mutex> lock(mu_);
        disown_inherited_locked();
        if (idle_.empty()) return Handle();
        Handle h = std::move(idle_.back());
        idle_.pop_back();
        return h;
    }

    // A connection whose last command succeeded. Beyond max_idle it is
    // closed when the call returns, after the lock is released.
    void give(Handle h) {
        std::lock_guard<std::mutex> lock(mu_);
        disown_inherited_locked();
        if (idle_.size() < max_idle_) idle_.push_back(std::move(h));
    }

    // Closes this process's idle connections (e.g. they share the fate of
    // one that just failed).
    void clear() {
        std::vector<Handle> closing;
        {
            std::lock_guard<std::mutex> lock(mu_);
            disown_inherited_locked();
            closing.swap(idle_);
        }
    }

private:
    void disown_inherited_locked() {
        pid_t me = getpid();
        if (me == pid_) return;
        for (Handle& h : idle_) disown_(std::move(h));
        idle_.clear();
        pid_ = me;
    }

    std::mutex mu_;
    std::vector<Handle> idle_;
    std::size_t max_idle_;
    Disown disown_;
    pid_t pid_;
};

}  // namespace hdsso
