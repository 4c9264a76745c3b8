// A per-process read cache in front of a shared KvStore, for the one read
// every authenticated request makes (its session). The shared store behind
// it (shmcb) needs a global mutex for every access; under load, threads of
// all processes queue on that mutex. With this cache a request that finds a
// fresh entry takes no global lock.
//
// Freshness: an entry is used for at most `ttl` seconds, and not at all once
// the generation has moved on. Every remove() (logout, expiry) bumps the
// generation, which the module keeps in shared memory, so a logout takes
// effect at once in every process of this server. Servers sharing memcache
// or redis do not share the generation: there a logout reaches the other
// servers' caches within `ttl` seconds (set it to 0 to turn caching off).
#pragma once

#include <atomic>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "core/kv_store.h"

namespace hdsso {

class Generation {
public:
    virtual ~Generation() = default;
    virtual std::uint64_t current() const = 0;
    virtual void bump() = 0;
};

// For one process (tests, CLI); the module places its counter in shared memory.
class LocalGeneration final : public Generation {
public:
    std::uint64_t current() const override { return n_.load(std::memory_order_acquire); }
    void bump() override { n_.fetch_add(1, std::memory_order_acq_rel); }

private:
    std::atomic<std::uint64_t> n_{0};
};

// Over a counter living elsewhere, e.g. in shared memory. The atomic must be
// lock-free to work across processes.
class SharedGeneration final : public Generation {
public:
    explicit SharedGeneration(std::atomic<std::uint64_t>* n) : n_(n) {}
    std::uint64_t current() const override { return n_->load(std::memory_order_acquire); }
    void bump() override { n_->fetch_add(1, std::memory_order_acq_rel); }

private:
    std::atomic<std::uint64_t>* n_;
};

// The cached values of one process, shared by all its threads.
class ProcessCache {
public:
    ProcessCache(std::int64_t ttl, std::size_t max_entries) : ttl_(ttl), max_(max_entries) {}
    std::int64_t ttl() const { return ttl_; }
    bool find(const std::string& key, std::int64_t now, std::uint64_t gen, std::string& out) const;
    void store(const std::string& key, std::string value, std::int64_t now, std::uint64_t gen);
    void erase(const std::string& key);
    std::size_t size() const;

private:
    struct Entry {
        std::string value;
        std::int64_t fetched_at;
        std::uint64_t gen;
    };
    std::int64_t ttl_;
    std::size_t max_;
    mutable std::shared_mutex mu_;
    std::unordered_map<std::string, Entry> map_;
};

class CachingKvStore final : public KvStore {
public:
    CachingKvStore(KvStore& backend, ProcessCache& cache, Generation& gen, const Clock& clock)
        : backend_(backend), cache_(cache), gen_(gen), clock_(clock) {}
    Result<std::optional<std::string>> get(std::string_view key) override;
    Result<std::optional<std::string>> get_fresh(std::string_view key) override;
    Result<void> put(std::string_view key, std::string_view value, std::int64_t expires_at) override;
    Result<void> remove(std::string_view key) override;
    // Replay checks are authoritative: straight to the shared store.
    Result<bool> insert_if_absent(std::string_view key, std::string_view value,
                                  std::int64_t expires_at) override;

private:
    KvStore& backend_;
    ProcessCache& cache_;
    Generation& gen_;
    const Clock& clock_;
};

}  // namespace hdsso
