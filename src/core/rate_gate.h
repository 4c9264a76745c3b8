// At most one event per interval: the refetch of a JWT key set for a token
// that names an unknown kid (anyone can send such tokens, so never one fetch
// per request).
#pragma once

#include <cstdint>
#include <mutex>

namespace hdsso {

class RateGate {
public:
    explicit RateGate(std::int64_t interval_seconds) : interval_(interval_seconds) {}

    // True, and the gate closes until now + interval, when it is open at
    // `now`. A clock that went back opens it.
    bool pass(std::int64_t now);
    // Seconds until it opens again; 0 when open.
    std::int64_t wait(std::int64_t now) const;
    std::int64_t interval() const { return interval_; }

private:
    mutable std::mutex m_;
    std::int64_t interval_;
    bool used_ = false;
    std::int64_t last_ = 0;
};

}  // namespace hdsso
