#include "core/kv_store.h"

namespace hdsso {

static Error unavailable() { return make_error(Status::store_unavailable, "memory store marked unavailable"); }

Result<std::optional<std::string>> MemoryKvStore::get(std::string_view key) {
    if (down_) return unavailable();
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end() || !live(it->second)) return std::optional<std::string>();
    return std::optional<std::string>(it->second.value);
}

Result<void> MemoryKvStore::put(std::string_view key, std::string_view value, std::int64_t expires_at) {
    if (down_) return unavailable();
    std::lock_guard<std::mutex> lock(mu_);
    map_.insert_or_assign(std::string(key), Entry{std::string(value), expires_at});
    return {};
}

Result<void> MemoryKvStore::remove(std::string_view key) {
    if (down_) return unavailable();
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it != map_.end()) map_.erase(it);
    return {};
}

Result<bool> MemoryKvStore::insert_if_absent(std::string_view key, std::string_view value,
                                             std::int64_t expires_at) {
    if (down_) return unavailable();
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it != map_.end() && live(it->second)) return false;
    map_.insert_or_assign(std::string(key), Entry{std::string(value), expires_at});
    return true;
}

std::size_t MemoryKvStore::size() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t n = 0;
    for (const auto& kv : map_) n += live(kv.second) ? 1 : 0;
    return n;
}

Result<StoreStats> MemoryKvStore::stats() {
    StoreStats st;
    st.entries = size();
    return st;
}

}  // namespace hdsso
