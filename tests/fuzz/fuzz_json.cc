// Strict JSON (src/jose/json): what every JOSE header, claim set and JWK
// goes through. Invariants: the compact text json() gives parses again to
// the same text (a fixed point) with the same members; a tighter depth limit
// never accepts what the default refuses; every string member written back
// through JsonWriter reads back unchanged.
#include "fuzz_common.h"

#include "jose/json.h"

using namespace hdsso;

namespace {

void check_object(const JsonObject& o, int depth) {
    const std::string text = o.json();
    auto again = JsonObject::parse(text, Status::jwt_malformed);
    FUZZ_CHECK(again.ok(), "json() of an accepted object does not parse: " + text);
    FUZZ_CHECK(again.value().json() == text, "json() is not a fixed point");
    auto members = o.members_json();
    FUZZ_CHECK(again.value().members_json() == members, "members differ after a round trip");
    for (const auto& [name, value] : members) {
        FUZZ_CHECK(o.has(name), "a listed member is absent: " + name);
        auto t = o.type(name);
        if (t == JsonObject::Type::string) FUZZ_CHECK(o.string(name).has_value(), "string member without a string");
        if (t == JsonObject::Type::object && depth < 4) {
            auto inner = o.object(name);
            FUZZ_CHECK(inner.has_value(), "object member without an object");
            check_object(*inner, depth + 1);
        }
        std::int64_t n = 0;
        (void)o.integer(name, n);
        (void)o.int64(name);
        std::vector<std::string_view> strs;
        (void)o.strings(name, strs);
        (void)o.objects(name);
    }
    for (const auto& [name, values] : o.string_members()) {
        for (std::string_view v : values) {
            JsonWriter w;
            w.begin_object().key(name).string(v).end_object();
            auto back = JsonObject::parse(w.text(), Status::jwt_malformed);
            FUZZ_CHECK(back.ok(), "JsonWriter output does not parse: " + w.text());
            auto s = back.value().string(name);
            FUZZ_CHECK(s && *s == v, "a string does not survive JsonWriter");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto doc = JsonObject::parse(text, Status::jwt_malformed);
    JsonLimits tight;
    tight.max_depth = 2;
    tight.max_bytes = 512;
    auto small = JsonObject::parse(text, Status::jwt_malformed, tight);
    if (small.ok()) FUZZ_CHECK(doc.ok(), "accepted under tight limits, refused under the default ones");
    if (!doc.ok()) {
        FUZZ_CHECK(doc.error().code == Status::jwt_malformed, "a refusal with another status than asked");
        return 0;
    }
    check_object(doc.value(), 0);
    return 0;
}
