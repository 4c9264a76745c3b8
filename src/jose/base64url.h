// Strict base64url (RFC 7515 section 2): the URL alphabet, no padding, no
// whitespace, and zero trailing bits, so every value has exactly one
// encoding and a token cannot be altered without changing its bytes.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace hdsso {

// jwt.malformed with the reason when `in` is not canonical base64url.
Result<std::string> base64url_decode(std::string_view in);

}  // namespace hdsso
