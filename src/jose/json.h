// Strict JSON for JOSE keys and the claims given to minting: parsed by
// simdjson with the checks of jose/json_object.h (duplicate member names
// rejected, size and nesting bounded, UTF-8 validated, no NUL in strings,
// integers within int64), then held as a Jansson tree, which is also what
// minting builds and serialises.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <jansson.h>

#include "core/crypto.h"
#include "core/error.h"

namespace hdsso {

// json_decref is static inline in jansson.h; a deleter built on it would
// give every function that takes a JsonPtr internal linkage.
void json_release(json_t* v);
using JsonPtr = CPtr<json_t, json_release>;

struct JsonLimits {
    std::size_t max_bytes = 64 * 1024;
    int max_depth = 16;
};

// The document must be one JSON object. `on_error` is the status to report.
Result<JsonPtr> parse_json_object(std::string_view text, Status on_error, JsonLimits limits = {});

// Member access that says what was wrong.
std::optional<std::string> json_string_member(const json_t* obj, const char* name);
// An integer member within [0, 2^53): NumericDate for exp, nbf, iat.
enum class IntMember { absent, ok, wrong_type };
IntMember json_int_member(const json_t* obj, const char* name, std::int64_t& out);

}  // namespace hdsso
