// Sessions and one-time checks in memcached, through libmemcached: add for
// every one-time check, set with an expiry for sessions, a per-process
// connection pool.
//
// - Servers: keys are spread by consistent hashing (ketama, MD5); a server
//   that fails is never ejected, so its keys fail closed instead of moving.
// - Expiry: memcached counts whole seconds, so the expiration sent is one
//   second more than the time left (relative up to 30 days, an absolute
//   Unix time beyond, as memcached defines). An expires_at already passed:
//   put deletes the key; insert_if_absent still adds the record for one
//   second (a simultaneous duplicate is refused; never accepted twice).
// - Connections: each process clones its own client handles, lazily, and
//   keeps up to max_idle idle ones. A handle is reused only after a
//   definitive answer; any failure closes it. A reused handle whose
//   connection was lost (server restarted) is retried once on a new one, so
//   the first call after a restart succeeds. Handles inherited across fork
//   are left untouched (closing them would shut the parent's sockets down).
// - Errors (details name host:port, never a key or value): down, timeout,
//   I/O: store.unavailable; "SERVER_ERROR out of memory" (memcached -M at
//   its limit), an item over -I, or a value over max_value_bytes:
//   store.full. Without -M memcached evicts silently: run it with -M.
#pragma once

#include <memory>

#include "core/kv_store.h"
#include "store/remote_options.h"

namespace hdsso {

class MemcachedKvStore final : public KvStore {
public:
    // Connects lazily, on the first call of each process. `clock` (default:
    // the system clock) turns absolute expiry times into memcached TTLs; it must
    // outlive the store.
    explicit MemcachedKvStore(RemoteStoreOptions options, const Clock* clock = nullptr);
    ~MemcachedKvStore() override;
    Result<std::optional<std::string>> get(std::string_view key) override;
    Result<void> put(std::string_view key, std::string_view value, std::int64_t expires_at) override;
    Result<void> remove(std::string_view key) override;
    Result<bool> insert_if_absent(std::string_view key, std::string_view value, std::int64_t expires_at) override;
    Result<StoreStats> stats() override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hdsso
