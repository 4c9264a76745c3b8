#include "core/clock.h"

#include <ctime>

namespace hdsso {

std::int64_t SystemClock::now() const { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace hdsso
