// Read-only JSON objects for the token hot path (JOSE headers and claim
// sets), parsed by simdjson and held in its compact DOM: no per-member
// allocation. Same strictness as parse_json_object, which goes through the
// same parser and checks (jose/json.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "jose/json.h"

namespace hdsso {

class JsonObject {
public:
    // One JSON object within `limits`: valid UTF-8, no duplicate member
    // names, no NUL in strings, integers within int64. `on_error` is the
    // status reported for anything else.
    static Result<JsonObject> parse(std::string_view text, Status on_error, JsonLimits limits = {});

    JsonObject(JsonObject&&) noexcept;
    JsonObject& operator=(JsonObject&&) noexcept;
    ~JsonObject();

    enum class Type { absent, null, boolean, integer, real, string, array, object };
    Type type(std::string_view name) const;
    bool has(std::string_view name) const { return type(name) != Type::absent; }
    // The member when it is a string.
    std::optional<std::string_view> string(std::string_view name) const;
    // An integer member within [0, 2^53): NumericDate for exp, nbf, iat.
    IntMember integer(std::string_view name, std::int64_t& out) const;
    // A string, or an array whose elements are all strings.
    enum class Strings { absent, ok, wrong_type };
    Strings strings(std::string_view name, std::vector<std::string_view>& out) const;
    // Every member that is a string or an array (its string elements).
    std::vector<std::pair<std::string_view, std::vector<std::string_view>>> string_members() const;
    // Compact JSON text of the object.
    std::string json() const;

private:
    struct Impl;
    explicit JsonObject(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace hdsso
