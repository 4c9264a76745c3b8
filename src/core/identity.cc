#include "core/identity.h"

#include "jose/json.h"

namespace hdsso {

bool Identity::operator==(const Identity& o) const {
    return subject == o.subject && email == o.email && display_name == o.display_name &&
           given_name == o.given_name && family_name == o.family_name && groups == o.groups &&
           attributes == o.attributes && issuer == o.issuer && idp_name == o.idp_name &&
           auth_time == o.auth_time && expiry == o.expiry;
}

namespace {

json_t* str(const std::string& s) { return json_stringn(s.data(), s.size()); }

json_t* str_array(const std::vector<std::string>& v) {
    json_t* a = json_array();
    for (const auto& s : v) json_array_append_new(a, str(s));
    return a;
}

}  // namespace

std::string identity_to_json(const Identity& id,
                             const std::vector<std::pair<std::string, std::string>>& extra) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "subject", str(id.subject));
    json_object_set_new(o.get(), "email", str(id.email));
    json_object_set_new(o.get(), "display_name", str(id.display_name));
    json_object_set_new(o.get(), "given_name", str(id.given_name));
    json_object_set_new(o.get(), "family_name", str(id.family_name));
    json_object_set_new(o.get(), "groups", str_array(id.groups));
    json_t* attrs = json_object();
    for (const auto& [k, v] : id.attributes) json_object_setn_new(attrs, k.data(), k.size(), str_array(v));
    json_object_set_new(o.get(), "attributes", attrs);
    json_object_set_new(o.get(), "issuer", str(id.issuer));
    json_object_set_new(o.get(), "idp", str(id.idp_name));
    json_object_set_new(o.get(), "auth_time", json_integer(id.auth_time));
    json_object_set_new(o.get(), "expiry", json_integer(id.expiry));
    for (const auto& [k, v] : extra) json_object_setn_new(o.get(), k.data(), k.size(), str(v));
    CPtr<char, free> text(json_dumps(o.get(), JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII));
    return text ? std::string(text.get()) : std::string("{}");
}

}  // namespace hdsso
