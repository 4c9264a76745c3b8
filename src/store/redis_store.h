// Sessions and one-time checks in Redis, through hiredis: SET NX PX for
// every one-time check, SET PX for sessions, a per-process connection pool.
//
// - Expiry: the TTL is expires_at minus the clock's now, in whole seconds, so
//   a key lives at least until expires_at. An expires_at already passed:
//   put removes the key; insert_if_absent still stores the record for one
//   second (a simultaneous duplicate is refused; never accepted twice).
// - Connections: each process opens its own, lazily (connect timeout),
//   sends AUTH (user and password, or password only) and SELECT on each,
//   and keeps up to max_idle idle ones. A connection is reused only after a
//   command that got a non-error answer and if it still looks open; any
//   failure closes it, so the next call reconnects by itself. Connections
//   inherited across fork are closed without a byte written to them.
// - Errors (details name host:port, never a password, key or value):
//   refused, timeout, I/O, WRONGPASS, NOAUTH, NOPERM, unknown database:
//   store.unavailable; OOM (maxmemory reached with maxmemory-policy
//   noeviction) or a value over max_value_bytes: store.full.
// Replay records and sessions carry TTLs, so every volatile-* and allkeys-*
// policy may evict them silently: run Redis with maxmemory-policy
// noeviction; a full Redis then answers OOM, and sign-ins fail closed.
#pragma once

#include <memory>

#include "core/kv_store.h"
#include "store/remote_options.h"

namespace hdsso {

class RedisKvStore final : public KvStore {
public:
    // Connects lazily, on the first call of each process. `clock` (default:
    // the system clock) turns absolute expiry times into Redis TTLs; it must
    // outlive the store.
    explicit RedisKvStore(RemoteStoreOptions options, const Clock* clock = nullptr);
    ~RedisKvStore() override;
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
