#include "jose/json_object.h"

#include <cstring>

#include <simdjson.h>

namespace hdsso {

namespace sj = simdjson::dom;

namespace {

// Typed views of an element whose type was checked; each copies the small
// handle out of simdjson's result wrapper into a named value.
template <class T>
T as(sj::element e) {
    T v{};
    return e.get(v) == simdjson::SUCCESS ? v : T{};
}
sj::object as_object(sj::element e) { return as<sj::object>(e); }
sj::array as_array(sj::element e) { return as<sj::array>(e); }
std::string_view as_string(sj::element e) { return as<std::string_view>(e); }
std::int64_t as_int64(sj::element e) { return as<std::int64_t>(e); }
double as_double(sj::element e) { return as<double>(e); }
bool as_bool(sj::element e) { return as<bool>(e); }

// One parser per thread: simdjson reuses its buffers between documents.
sj::parser& thread_parser() {
    thread_local sj::parser parser;
    return parser;
}

// What simdjson does not check itself: depth, duplicate member names, NUL in
// strings (Jansson's rule), integers beyond int64.
Result<void> validate(sj::element e, int depth, const JsonLimits& limits, Status on_error) {
    if (depth > limits.max_depth)
        return make_error(on_error, "JSON nested deeper than " + std::to_string(limits.max_depth));
    switch (e.type()) {
    case sj::element_type::OBJECT: {
        sj::object obj = as_object(e);
        std::vector<std::string_view> seen;
        seen.reserve(obj.size());
        for (auto field : obj) {
            if (field.key.find('\0') != std::string_view::npos)
                return make_error(on_error, "JSON: NUL in a member name");
            for (std::string_view k : seen)
                if (k == field.key)
                    return make_error(on_error, "JSON: duplicate member '" + std::string(field.key) + "'");
            seen.push_back(field.key);
            if (auto r = validate(field.value, depth + 1, limits, on_error); !r) return r;
        }
        return {};
    }
    case sj::element_type::ARRAY:
        for (sj::element child : as_array(e))
            if (auto r = validate(child, depth + 1, limits, on_error); !r) return r;
        return {};
    case sj::element_type::STRING:
        if (as_string(e).find('\0') != std::string_view::npos)
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

// Parses and validates into `doc`; the root (an object) on success.
Result<sj::element> parse_into(sj::document& doc, std::string_view text, Status on_error, const JsonLimits& limits) {
    if (text.size() > limits.max_bytes)
        return make_error(on_error, "JSON larger than " + std::to_string(limits.max_bytes) + " bytes");
    sj::element root;
    if (auto err = thread_parser().parse_into_document(doc, text.data(), text.size()).get(root))
        return make_error(on_error, std::string("JSON: ") + simdjson::error_message(err));
    if (root.type() != sj::element_type::OBJECT) return make_error(on_error, "JSON: not an object");
    if (auto r = validate(root, 1, limits, on_error); !r) return r.error();
    return root;
}

json_t* to_jansson(sj::element e) {
    switch (e.type()) {
    case sj::element_type::OBJECT: {
        json_t* o = json_object();
        for (auto field : as_object(e))
            json_object_setn_new_nocheck(o, field.key.data(), field.key.size(), to_jansson(field.value));
        return o;
    }
    case sj::element_type::ARRAY: {
        json_t* a = json_array();
        for (sj::element child : as_array(e)) json_array_append_new(a, to_jansson(child));
        return a;
    }
    case sj::element_type::STRING: {
        std::string_view s = as_string(e);
        return json_stringn_nocheck(s.data(), s.size());
    }
    case sj::element_type::INT64: return json_integer(as_int64(e));
    case sj::element_type::DOUBLE: return json_real(as_double(e));
    case sj::element_type::BOOL: return json_boolean(as_bool(e));
    default: return json_null();
    }
}

}  // namespace

struct JsonObject::Impl {
    sj::document doc;
    sj::object root;
    std::vector<std::pair<std::string_view, sj::element>> members;  // the root's, in order

    std::optional<sj::element> member(std::string_view name) const {
        for (const auto& [key, value] : members)
            if (key == name) return value;
        return std::nullopt;
    }
};

JsonObject::JsonObject(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonObject::JsonObject(JsonObject&&) noexcept = default;
JsonObject& JsonObject::operator=(JsonObject&&) noexcept = default;
JsonObject::~JsonObject() = default;

Result<JsonObject> JsonObject::parse(std::string_view text, Status on_error, JsonLimits limits) {
    auto impl = std::make_unique<Impl>();
    auto root = parse_into(impl->doc, text, on_error, limits);
    if (!root) return root.error();
    impl->root = as_object(root.value());
    impl->members.reserve(impl->root.size());
    for (auto field : impl->root) impl->members.emplace_back(field.key, field.value);
    return JsonObject(std::move(impl));
}

JsonObject::Type JsonObject::type(std::string_view name) const {
    auto e = impl_->member(name);
    return e ? type_of(*e) : Type::absent;
}

std::optional<std::string_view> JsonObject::string(std::string_view name) const {
    auto e = impl_->member(name);
    if (!e || e->type() != sj::element_type::STRING) return std::nullopt;
    return as_string(*e);
}

IntMember JsonObject::integer(std::string_view name, std::int64_t& out) const {
    auto e = impl_->member(name);
    if (!e) return IntMember::absent;
    if (e->type() != sj::element_type::INT64) return IntMember::wrong_type;
    std::int64_t i = as_int64(*e);
    if (i < 0 || i >= (std::int64_t(1) << 53)) return IntMember::wrong_type;
    out = i;
    return IntMember::ok;
}

JsonObject::Strings JsonObject::strings(std::string_view name, std::vector<std::string_view>& out) const {
    auto e = impl_->member(name);
    if (!e) return Strings::absent;
    if (e->type() == sj::element_type::STRING) {
        out.push_back(as_string(*e));
        return Strings::ok;
    }
    if (e->type() != sj::element_type::ARRAY) return Strings::wrong_type;
    for (sj::element v : as_array(*e)) {
        if (v.type() != sj::element_type::STRING) return Strings::wrong_type;
        out.push_back(as_string(v));
    }
    return Strings::ok;
}

std::vector<std::pair<std::string_view, std::vector<std::string_view>>> JsonObject::string_members() const {
    std::vector<std::pair<std::string_view, std::vector<std::string_view>>> out;
    for (auto field : impl_->root) {
        std::vector<std::string_view> values;
        if (field.value.type() == sj::element_type::STRING) {
            values.push_back(as_string(field.value));
        } else if (field.value.type() == sj::element_type::ARRAY) {
            for (sj::element v : as_array(field.value))
                if (v.type() == sj::element_type::STRING) values.push_back(as_string(v));
        } else {
            continue;
        }
        out.emplace_back(field.key, std::move(values));
    }
    return out;
}

std::string JsonObject::json() const { return simdjson::minify(impl_->root); }

// jose/json.h: the same parser and checks, then a Jansson tree.
Result<JsonPtr> parse_json_object(std::string_view text, Status on_error, JsonLimits limits) {
    sj::document doc;
    auto root = parse_into(doc, text, on_error, limits);
    if (!root) return root.error();
    return JsonPtr(to_jansson(root.value()));
}

}  // namespace hdsso
