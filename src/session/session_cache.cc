#include "session/session_cache.h"

#include <mutex>

namespace hdsso {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "the session generation must be lock-free to be shared between processes");

std::shared_ptr<const Session> SessionCache::find(const std::string& id, std::int64_t now, std::uint64_t gen) const {
    if (ttl_ <= 0) return nullptr;
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = map_.find(id);
    if (it == map_.end() || it->second.gen != gen || now - it->second.fetched_at >= ttl_) return nullptr;
    return it->second.session;
}

void SessionCache::store(std::shared_ptr<const Session> s, std::int64_t now, std::uint64_t gen) {
    if (ttl_ <= 0 || !s) return;
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (map_.size() >= max_ && map_.find(s->id) == map_.end()) {
        for (auto it = map_.begin(); it != map_.end();)
            it = (now - it->second.fetched_at >= ttl_ || it->second.gen != gen) ? map_.erase(it) : std::next(it);
        if (map_.size() >= max_) map_.clear();
    }
    std::string id = s->id;
    map_.insert_or_assign(std::move(id), Entry{std::move(s), now, gen});
}

void SessionCache::erase(const std::string& id) {
    std::unique_lock<std::shared_mutex> lock(mu_);
    map_.erase(id);
}

std::size_t SessionCache::size() const {
    std::shared_lock<std::shared_mutex> lock(mu_);
    return map_.size();
}

}  // namespace hdsso
