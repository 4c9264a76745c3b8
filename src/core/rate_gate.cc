#include "core/rate_gate.h"

namespace hdsso {

bool RateGate::pass(std::int64_t now) {
    std::lock_guard<std::mutex> lock(m_);
    if (used_ && now >= last_ && now - last_ < interval_) return false;
    used_ = true;
    last_ = now;
    return true;
}

std::int64_t RateGate::wait(std::int64_t now) const {
    std::lock_guard<std::mutex> lock(m_);
    if (!used_ || now < last_ || now - last_ >= interval_) return 0;
    return last_ + interval_ - now;
}

}  // namespace hdsso
