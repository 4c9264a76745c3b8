// The storage under sessions and replay caches: a small key/value store with
// absolute expiry. The module backs it with an Apache mod_socache provider
// (shmcb, memcache, redis); the CLI and the unit tests with MemoryKvStore.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace hdsso {

// What a store can tell about itself, for metrics; what it cannot tell stays
// empty.
struct StoreStats {
    std::optional<std::uint64_t> entries;    // entries held now
    std::optional<std::uint64_t> capacity;   // entries it can hold
    std::optional<std::uint64_t> evictions;  // entries dropped before their expiry to make room
};

// What one-time checks need: an atomic create. Replay records may live in a
// store of their own (the module's shared-memory table), apart from sessions.
class OneTimeStore {
public:
    virtual ~OneTimeStore() = default;
    // Atomic check-and-insert: true if the key was absent and is now stored
    // until expires_at, false if it was present. Never "best effort": on a
    // busy lock or a backend failure it returns store.unavailable, and when
    // the store cannot keep the record until expires_at, store.full, so
    // callers fail closed.
    virtual Result<bool> insert_if_absent(std::string_view key, std::string_view value,
                                          std::int64_t expires_at) = 0;
    // For metrics; may ask a remote server (bounded by its timeouts). By
    // default nothing is known.
    virtual Result<StoreStats> stats() { return StoreStats{}; }
};

class KvStore : public OneTimeStore {
public:
    // Missing or expired: an empty optional. A backend failure: store.unavailable.
    virtual Result<std::optional<std::string>> get(std::string_view key) = 0;
    virtual Result<void> put(std::string_view key, std::string_view value, std::int64_t expires_at) = 0;
    virtual Result<void> remove(std::string_view key) = 0;
};

class MemoryKvStore final : public KvStore {
public:
    explicit MemoryKvStore(const Clock& clock) : clock_(clock) {}
    Result<std::optional<std::string>> get(std::string_view key) override;
    Result<void> put(std::string_view key, std::string_view value, std::int64_t expires_at) override;
    Result<void> remove(std::string_view key) override;
    Result<bool> insert_if_absent(std::string_view key, std::string_view value,
                                  std::int64_t expires_at) override;
    std::size_t size() const;
    Result<StoreStats> stats() override;
    // Tests: make the next calls fail as an unreachable backend would.
    void set_unavailable(bool down) { down_ = down; }

private:
    struct Entry {
        std::string value;
        std::int64_t expires_at;
    };
    bool live(const Entry& e) const { return e.expires_at > clock_.now(); }
    const Clock& clock_;
    mutable std::mutex mu_;
    std::map<std::string, Entry, std::less<>> map_;
    bool down_ = false;
};

}  // namespace hdsso
