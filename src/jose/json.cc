#include "jose/json.h"

namespace hdsso {

void json_release(json_t* v) { json_decref(v); }

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
