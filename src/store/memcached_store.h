// Sessions and one-time checks in memcached, through libmemcached: add for
// every one-time check, set with an expiry for sessions, a per-process
// connection pool.
#pragma once

#include <memory>

#include "core/kv_store.h"
#include "store/remote_options.h"

namespace hdsso {

class MemcachedKvStore final : public KvStore {
public:
    explicit MemcachedKvStore(RemoteStoreOptions options);
    ~MemcachedKvStore() override;
    Result<std::optional<std::string>> get(std::string_view key) override;
    Result<void> put(std::string_view key, std::string_view value, std::int64_t expires_at) override;
    Result<void> remove(std::string_view key) override;
    Result<bool> insert_if_absent(std::string_view key, std::string_view value, std::int64_t expires_at) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hdsso
