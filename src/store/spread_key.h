// Keys for stores that partition by the key's first byte. mod_socache_shmcb
// picks one of its subcaches (up to 256) from the first byte of the key
// alone, and every key the module writes starts with the same "hdsso:"
// prefix: all of them used to land in one subcache, a sixteenth of the
// memory. The physical key puts two bytes of SHA-256 of the logical key
// first, so keys spread evenly over every subcache.
#pragma once

#include <string>
#include <string_view>

#include "core/crypto.h"

namespace hdsso {

constexpr std::size_t kSpreadPrefixBytes = 2;

inline std::string spread_key(std::string_view logical) {
    std::string physical = sha256(logical).substr(0, kSpreadPrefixBytes);
    physical.append(logical);
    return physical;
}

}  // namespace hdsso
