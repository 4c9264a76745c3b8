// A per-process cache of decoded sessions, for the one lookup every
// authenticated request makes. The shared store behind it (shmcb) needs a
// global mutex for every access, and under load the threads of all
// processes queue on it; a request that finds a fresh entry here takes no
// global lock, hashes nothing and decodes nothing.
//
// Freshness: an entry is used for at most `ttl` seconds, and not at all once
// the generation has moved on. Ending a session bumps the generation, which
// the module keeps in shared memory, so a logout takes effect at once in
// every process of this server. Servers sharing memcache or redis do not
// share the generation: there a logout reaches the other servers within
// `ttl` seconds (0 turns the cache off).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "session/session_codec.h"

namespace hdsso {

class Generation {
public:
    virtual ~Generation() = default;
    virtual std::uint64_t current() const = 0;
    virtual void bump() = 0;
};

// Over a counter that may live in shared memory (it must be lock-free to
// work across processes).
class SharedGeneration final : public Generation {
public:
    explicit SharedGeneration(std::atomic<std::uint64_t>* n) : n_(n) {}
    std::uint64_t current() const override { return n_->load(std::memory_order_acquire); }
    void bump() override { n_->fetch_add(1, std::memory_order_acq_rel); }

private:
    std::atomic<std::uint64_t>* n_;
};

// One process's counter (tests, CLI).
class LocalGeneration final : public Generation {
public:
    std::uint64_t current() const override { return n_.load(std::memory_order_acquire); }
    void bump() override { n_.fetch_add(1, std::memory_order_acq_rel); }

private:
    std::atomic<std::uint64_t> n_{0};
};

class SessionCache {
public:
    SessionCache(std::int64_t ttl, std::size_t max_entries) : ttl_(ttl), max_(max_entries) {}
    // Null when absent, older than ttl, or of an older generation.
    std::shared_ptr<const Session> find(const std::string& id, std::int64_t now, std::uint64_t gen) const;
    void store(std::shared_ptr<const Session> s, std::int64_t now, std::uint64_t gen);
    void erase(const std::string& id);
    std::size_t size() const;

private:
    struct Entry {
        std::shared_ptr<const Session> session;
        std::int64_t fetched_at;
        std::uint64_t gen;
    };
    std::int64_t ttl_;
    std::size_t max_;
    mutable std::shared_mutex mu_;
    std::unordered_map<std::string, Entry> map_;
};

}  // namespace hdsso
