#include "jose/json.h"

#include <simdjson.h>

namespace hdsso {

namespace sj = simdjson::dom;

namespace {

// Typed reads of an element whose type was checked: each copies the small
// handle out of simdjson's result wrapper into a named value.
template <class T>
T as(sj::element e) {
    T v{};
    return e.get(v) == simdjson::SUCCESS ? v : T{};
}

// One parser per thread: simdjson reuses its buffers between documents.
sj::parser& thread_parser() {
    thread_local sj::parser parser;
    return parser;
}

// What simdjson does not check itself: depth, duplicate member names, NUL in
// strings and names, integers beyond int64.
Result<void> validate(sj::element e, int depth, const JsonLimits& limits, Status on_error) {
    if (depth > limits.max_depth)
        return make_error(on_error, "JSON nested deeper than " + std::to_string(limits.max_depth));
    switch (e.type()) {
    case sj::element_type::OBJECT: {
        sj::object obj = as<sj::object>(e);
        std::vector<std::string_view> seen;
        seen.reserve(obj.size());
        for (auto field : obj) {
            if (field.key.find('\0') != std::string_view::npos)
                return make_error(on_error, "JSON: \\u0000 in a member name");
            for (std::string_view k : seen)
                if (k == field.key)
                    return make_error(on_error, "JSON: duplicate member '" + std::string(field.key) + "'");
            seen.push_back(field.key);
            if (auto r = validate(field.value, depth + 1, limits, on_error); !r) return r;
        }
        return {};
    }
    case sj::element_type::ARRAY:
        for (sj::element child : as<sj::array>(e))
            if (auto r = validate(child, depth + 1, limits, on_error); !r) return r;
        return {};
    case sj::element_type::STRING:
        if (as<std::string_view>(e).find('\0') != std::string_view::npos)
            return make_error(on_error, "JSON: \\u0000 in a string");
        return {};
    case sj::element_type::UINT64:
        return make_error(on_error, "JSON: integer out of range");
    default:
        return {};
    }
}

JsonObject::Type type_of(sj::element e) {
    switch (e.type()) {
    case sj::element_type::OBJECT: return JsonObject::Type::object;
    case sj::element_type::ARRAY: return JsonObject::Type::array;
    case sj::element_type::STRING: return JsonObject::Type::string;
    case sj::element_type::INT64: case sj::element_type::UINT64: return JsonObject::Type::integer;
    case sj::element_type::DOUBLE: return JsonObject::Type::real;
    case sj::element_type::BOOL: return JsonObject::Type::boolean;
    case sj::element_type::NULL_VALUE: return JsonObject::Type::null;
    }
    return JsonObject::Type::null;
}

}  // namespace

// A view of one object; the document is shared by every view into it.
struct JsonObject::Impl {
    std::shared_ptr<const sj::document> doc;
    sj::object obj;
    std::vector<std::pair<std::string_view, sj::element>> members;  // in order

    Impl(std::shared_ptr<const sj::document> d, sj::object o) : doc(std::move(d)), obj(o) {
        members.reserve(obj.size());
        for (auto field : obj) members.emplace_back(field.key, field.value);
    }

    std::optional<sj::element> member(std::string_view name) const {
        for (const auto& [key, value] : members)
            if (key == name) return value;
        return std::nullopt;
    }
};

Result<JsonObject> JsonObject::parse(std::string_view text, Status on_error, JsonLimits limits) {
    if (text.size() > limits.max_bytes)
        return make_error(on_error, "JSON larger than " + std::to_string(limits.max_bytes) + " bytes");
    // Nothing is not JSON (and simdjson would copy from a null pointer).
    if (text.empty()) return make_error(on_error, "JSON: empty");
    auto doc = std::make_shared<sj::document>();
    sj::element root;
    if (auto err = thread_parser().parse_into_document(*doc, text.data(), text.size()).get(root))
        return make_error(on_error, std::string("JSON: ") + simdjson::error_message(err));
    if (root.type() != sj::element_type::OBJECT) return make_error(on_error, "JSON: not an object");
    if (auto r = validate(root, 1, limits, on_error); !r) return r.error();
    return JsonObject(std::make_shared<const Impl>(std::move(doc), as<sj::object>(root)));
}

JsonObject::Type JsonObject::type(std::string_view name) const {
    auto e = impl_->member(name);
    return e ? type_of(*e) : Type::absent;
}

std::optional<std::string_view> JsonObject::string(std::string_view name) const {
    auto e = impl_->member(name);
    if (!e || e->type() != sj::element_type::STRING) return std::nullopt;
    return as<std::string_view>(*e);
}

std::optional<bool> JsonObject::boolean(std::string_view name) const {
    auto e = impl_->member(name);
    if (!e || e->type() != sj::element_type::BOOL) return std::nullopt;
    return as<bool>(*e);
}

IntMember JsonObject::integer(std::string_view name, std::int64_t& out) const {
    auto e = impl_->member(name);
    if (!e) return IntMember::absent;
    if (e->type() != sj::element_type::INT64) return IntMember::wrong_type;
    std::int64_t i = as<std::int64_t>(*e);
    if (i < 0 || i >= (std::int64_t(1) << 53)) return IntMember::wrong_type;
    out = i;
    return IntMember::ok;
}

std::optional<std::int64_t> JsonObject::int64(std::string_view name) const {
    auto e = impl_->member(name);
    if (!e || e->type() != sj::element_type::INT64) return std::nullopt;
    return as<std::int64_t>(*e);
}

JsonObject::Strings JsonObject::strings(std::string_view name, std::vector<std::string_view>& out) const {
    auto e = impl_->member(name);
    if (!e) return Strings::absent;
    if (e->type() == sj::element_type::STRING) {
        out.push_back(as<std::string_view>(*e));
        return Strings::ok;
    }
    if (e->type() != sj::element_type::ARRAY) return Strings::wrong_type;
    for (sj::element v : as<sj::array>(*e)) {
        if (v.type() != sj::element_type::STRING) return Strings::wrong_type;
        out.push_back(as<std::string_view>(v));
    }
    return Strings::ok;
}

std::optional<JsonObject> JsonObject::object(std::string_view name) const {
    auto e = impl_->member(name);
    if (!e || e->type() != sj::element_type::OBJECT) return std::nullopt;
    return JsonObject(std::make_shared<const Impl>(impl_->doc, as<sj::object>(*e)));
}

std::optional<std::vector<JsonObject>> JsonObject::objects(std::string_view name) const {
    auto e = impl_->member(name);
    if (!e || e->type() != sj::element_type::ARRAY) return std::nullopt;
    std::vector<JsonObject> out;
    for (sj::element v : as<sj::array>(*e)) {
        if (v.type() != sj::element_type::OBJECT) return std::nullopt;
        out.push_back(JsonObject(std::make_shared<const Impl>(impl_->doc, as<sj::object>(v))));
    }
    return out;
}

std::vector<std::pair<std::string_view, std::vector<std::string_view>>> JsonObject::string_members() const {
    std::vector<std::pair<std::string_view, std::vector<std::string_view>>> out;
    for (const auto& [key, value] : impl_->members) {
        std::vector<std::string_view> values;
        if (value.type() == sj::element_type::STRING) {
            values.push_back(as<std::string_view>(value));
        } else if (value.type() == sj::element_type::ARRAY) {
            for (sj::element v : as<sj::array>(value))
                if (v.type() == sj::element_type::STRING) values.push_back(as<std::string_view>(v));
        } else {
            continue;
        }
        out.emplace_back(key, std::move(values));
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> JsonObject::members_json() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [key, value] : impl_->members) out.emplace_back(key, simdjson::minify(value));
    return out;
}

std::string JsonObject::json() const { return simdjson::minify(impl_->obj); }

// ---- JsonWriter ------------------------------------------------------------

void JsonWriter::value_prefix() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back()) out_ += ',';
        first_.back() = false;
    }
}

JsonWriter& JsonWriter::begin_object() {
    value_prefix();
    out_ += '{';
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    out_ += '}';
    first_.pop_back();
    return *this;
}

JsonWriter& JsonWriter::begin_array() {
    value_prefix();
    out_ += '[';
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    out_ += ']';
    first_.pop_back();
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    string(name);
    out_ += ':';
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::string(std::string_view value) {
    value_prefix();
    static const char kHex[] = "0123456789abcdef";
    out_ += '"';
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out_ += '\\';
            out_ += c;
        } else if (u < 0x20) {
            out_ += "\\u00";
            out_ += kHex[u >> 4];
            out_ += kHex[u & 15];
        } else {
            out_ += c;
        }
    }
    out_ += '"';
    return *this;
}

JsonWriter& JsonWriter::integer(std::int64_t value) {
    value_prefix();
    out_ += std::to_string(value);
    return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
    value_prefix();
    out_ += json;
    return *this;
}

}  // namespace hdsso
