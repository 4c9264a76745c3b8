#include "core/caching_kv_store.h"

#include <mutex>

namespace hdsso {

bool ProcessCache::find(const std::string& key, std::int64_t now, std::uint64_t gen, std::string& out) const {
    if (ttl_ <= 0) return false;
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end() || it->second.gen != gen || now - it->second.fetched_at >= ttl_) return false;
    out = it->second.value;
    return true;
}

void ProcessCache::store(const std::string& key, std::string value, std::int64_t now, std::uint64_t gen) {
    if (ttl_ <= 0) return;
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (map_.size() >= max_ && map_.find(key) == map_.end()) {
        for (auto it = map_.begin(); it != map_.end();)
            it = (now - it->second.fetched_at >= ttl_ || it->second.gen != gen) ? map_.erase(it) : std::next(it);
        if (map_.size() >= max_) map_.clear();
    }
    map_.insert_or_assign(key, Entry{std::move(value), now, gen});
}

void ProcessCache::erase(const std::string& key) {
    std::unique_lock<std::shared_mutex> lock(mu_);
    map_.erase(key);
}

std::size_t ProcessCache::size() const {
    std::shared_lock<std::shared_mutex> lock(mu_);
    return map_.size();
}

Result<std::optional<std::string>> CachingKvStore::get(std::string_view key) {
    std::string k(key), value;
    std::int64_t now = clock_.now();
    // Read the generation before the shared store: a remove() racing with
    // this read leaves the entry tagged with the old generation.
    std::uint64_t gen = gen_.current();
    if (cache_.find(k, now, gen, value)) return std::optional<std::string>(std::move(value));
    auto r = backend_.get(key);
    if (r && r.value()) cache_.store(k, *r.value(), now, gen);
    return r;
}

Result<std::optional<std::string>> CachingKvStore::get_fresh(std::string_view key) {
    std::string k(key);
    std::uint64_t gen = gen_.current();
    auto r = backend_.get(key);
    if (r && r.value()) cache_.store(k, *r.value(), clock_.now(), gen);
    else cache_.erase(k);
    return r;
}

Result<void> CachingKvStore::put(std::string_view key, std::string_view value, std::int64_t expires_at) {
    std::uint64_t gen = gen_.current();
    auto r = backend_.put(key, value, expires_at);
    std::string k(key);
    if (r) cache_.store(k, std::string(value), clock_.now(), gen);
    else cache_.erase(k);
    return r;
}

Result<void> CachingKvStore::remove(std::string_view key) {
    gen_.bump();
    cache_.erase(std::string(key));
    return backend_.remove(key);
}

Result<bool> CachingKvStore::insert_if_absent(std::string_view key, std::string_view value,
                                              std::int64_t expires_at) {
    return backend_.insert_if_absent(key, value, expires_at);
}

}  // namespace hdsso
