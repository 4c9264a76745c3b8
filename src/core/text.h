// Checks on text that came from outside and may end up in a header, a log
// line or a Location (ATTACKS.md M3).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hdsso {

bool valid_utf8(std::string_view s);
// Valid UTF-8 with no C0 or C1 control character, no DEL, and no U+2028 or
// U+2029 line separators.
bool safe_text(std::string_view s);
// What a peer sent, for a log line or an error's detail: printable ASCII
// kept, every other byte '?', cut at `max` bytes with "..." after.
std::string printable_excerpt(std::string_view s, std::size_t max = 200);

}  // namespace hdsso
