#include "jose/json.h"

namespace hdsso {

void json_release(json_t* v) { json_decref(v); }

namespace {

bool depth_within(const json_t* v, int depth, int max) {
    if (depth > max) return false;
    if (json_is_object(v)) {
        const char* key;
        json_t* child;
        json_object_foreach(const_cast<json_t*>(v), key, child) {
            if (!depth_within(child, depth + 1, max)) return false;
        }
    } else if (json_is_array(v)) {
        std::size_t i;
        json_t* child;
        json_array_foreach(v, i, child) {
            if (!depth_within(child, depth + 1, max)) return false;
        }
    }
    return true;
}

}  // namespace

Result<JsonPtr> parse_json_object(std::string_view text, Status on_error, JsonLimits limits) {
    if (text.size() > limits.max_bytes)
        return make_error(on_error, "JSON larger than " + std::to_string(limits.max_bytes) + " bytes");
    json_error_t err;
    JsonPtr doc(json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES, &err));
    if (!doc) return make_error(on_error, std::string("JSON: ") + err.text);
    if (!json_is_object(doc.get())) return make_error(on_error, "JSON: not an object");
    if (!depth_within(doc.get(), 1, limits.max_depth))
        return make_error(on_error, "JSON nested deeper than " + std::to_string(limits.max_depth));
    return doc;
}

std::optional<std::string> json_string_member(const json_t* obj, const char* name) {
    const json_t* v = json_object_get(obj, name);
    if (!v || !json_is_string(v)) return std::nullopt;
    return std::string(json_string_value(v), json_string_length(v));
}

IntMember json_int_member(const json_t* obj, const char* name, std::int64_t& out) {
    const json_t* v = json_object_get(obj, name);
    if (!v) return IntMember::absent;
    if (!json_is_integer(v)) return IntMember::wrong_type;
    json_int_t i = json_integer_value(v);
    if (i < 0 || i >= (json_int_t(1) << 53)) return IntMember::wrong_type;
    out = static_cast<std::int64_t>(i);
    return IntMember::ok;
}

}  // namespace hdsso
