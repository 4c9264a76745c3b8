// Strict JSON for JOSE headers, claim sets and keys, on simdjson (the one
// JSON library of the product): parsed documents are read in place, with
// no per-member allocation, which keeps token verification close to the
// cost of the signature check. simdjson validates the grammar and UTF-8;
// this layer adds the rest: size and depth bounds, duplicate member names,
// no NUL in strings, integers within int64. JsonWriter writes compact JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace hdsso {

struct JsonLimits {
    std::size_t max_bytes = 64 * 1024;
    int max_depth = 16;
};

enum class IntMember { absent, ok, wrong_type };

// A JSON object: the root of a parsed document, or an object inside one
// (views share the document; copies are cheap). The string_views it hands
// out stay valid while this object or another view of its document lives.
class JsonObject {
public:
    // The text must be one JSON object within `limits`; `on_error` is the
    // status reported otherwise.
    static Result<JsonObject> parse(std::string_view text, Status on_error, JsonLimits limits = {});

    enum class Type { absent, null, boolean, integer, real, string, array, object };
    Type type(std::string_view name) const;
    bool has(std::string_view name) const { return type(name) != Type::absent; }
    // The member when it is a string.
    std::optional<std::string_view> string(std::string_view name) const;
    // A member that is true or false; nullopt when absent or of another type.
    std::optional<bool> boolean(std::string_view name) const;
    // An integer member within [0, 2^53): NumericDate for exp, nbf, iat.
    IntMember integer(std::string_view name, std::int64_t& out) const;
    // Any integer member.
    std::optional<std::int64_t> int64(std::string_view name) const;
    // A string, or an array whose elements are all strings.
    enum class Strings { absent, ok, wrong_type };
    Strings strings(std::string_view name, std::vector<std::string_view>& out) const;
    // The member when it is an object.
    std::optional<JsonObject> object(std::string_view name) const;
    // The member when it is an array whose elements are all objects.
    std::optional<std::vector<JsonObject>> objects(std::string_view name) const;
    // Every member that is a string or an array (its string elements).
    std::vector<std::pair<std::string_view, std::vector<std::string_view>>> string_members() const;
    // Each member's name and its value as compact JSON text, in order.
    std::vector<std::pair<std::string, std::string>> members_json() const;
    // Compact JSON text of the object.
    std::string json() const;

    struct Impl;

private:
    explicit JsonObject(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;
};

// Compact JSON text, built member by member. Strings must be UTF-8 (the
// writer escapes quotes, backslashes and control characters only).
class JsonWriter {
public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view name);
    JsonWriter& string(std::string_view value);
    JsonWriter& integer(std::int64_t value);
    // A value that is already JSON text (e.g. from JsonObject::members_json).
    JsonWriter& raw(std::string_view json);
    const std::string& text() const { return out_; }

private:
    void value_prefix();
    std::string out_;
    std::vector<bool> first_;  // per open container: nothing written yet
    bool after_key_ = false;
};

}  // namespace hdsso
