// Query strings: strict decoding of what clients send, and the one encoder
// every URL the product builds goes through.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace hdsso {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// RFC 3986: everything but unreserved characters is %XX (uppercase), so a
// space is %20, never '+'.
std::string percent_encode(std::string_view s);

// application/x-www-form-urlencoded value: '+' is a space, %XX must be two
// hex digits. Any other byte passes through as it is.
Result<std::string> form_decode(std::string_view s);

struct QueryLimits {
    std::size_t max_length = 8192;
    std::size_t max_params = 64;
};

// Splits on '&', decodes names and values. url.malformed on a bad escape, on
// too many parameters or an over-long query.
Result<QueryParams> parse_query(std::string_view query, QueryLimits limits = {});

// The part of a URL after '?', without the fragment; the input itself when it
// has no '?' (a bare query string).
std::string_view query_part(std::string_view url_or_query);

// Appends "name=value" pairs, encoded, after '?' or '&' as the URL needs.
std::string append_query(std::string_view url, const QueryParams& params);

}  // namespace hdsso
