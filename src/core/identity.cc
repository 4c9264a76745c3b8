#include "core/identity.h"

#include "jose/json.h"

namespace hdsso {

bool Identity::operator==(const Identity& o) const {
    return subject == o.subject && email == o.email && display_name == o.display_name &&
           given_name == o.given_name && family_name == o.family_name && groups == o.groups &&
           attributes == o.attributes && issuer == o.issuer && idp_name == o.idp_name &&
           auth_time == o.auth_time && expiry == o.expiry && name_id == o.name_id &&
           name_id_format == o.name_id_format && session_index == o.session_index;
}

namespace {

void string_array(JsonWriter& w, const std::vector<std::string>& v) {
    w.begin_array();
    for (const auto& s : v) w.string(s);
    w.end_array();
}

}  // namespace

std::string identity_to_json(const Identity& id,
                             const std::vector<std::pair<std::string, std::string>>& extra) {
    JsonWriter w;
    w.begin_object();
    w.key("subject").string(id.subject).key("email").string(id.email).key("display_name").string(id.display_name);
    w.key("given_name").string(id.given_name).key("family_name").string(id.family_name);
    string_array(w.key("groups"), id.groups);
    w.key("attributes").begin_object();
    for (const auto& [k, v] : id.attributes) string_array(w.key(k), v);
    w.end_object();
    w.key("issuer").string(id.issuer).key("idp").string(id.idp_name);
    w.key("auth_time").integer(id.auth_time).key("expiry").integer(id.expiry);
    for (const auto& [k, v] : extra) w.key(k).string(v);
    w.end_object();
    return w.text();
}

std::vector<std::string> identity_values(const Identity& id, const std::string& name) {
    if (auto it = id.attributes.find(name); it != id.attributes.end()) return it->second;
    if (name == "groups") return id.groups;
    const std::pair<const char*, const std::string*> fields[] = {
        {"email", &id.email},           {"subject", &id.subject},         {"name", &id.display_name},
        {"given_name", &id.given_name}, {"family_name", &id.family_name}, {"issuer", &id.issuer},
        {"idp", &id.idp_name},
    };
    for (const auto& [n, v] : fields)
        if (name == n && !v->empty()) return {*v};
    return {};
}

}  // namespace hdsso
