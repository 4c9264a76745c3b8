#include "core/identity.h"

namespace hdsso {

bool Identity::operator==(const Identity& o) const {
    return subject == o.subject && email == o.email && display_name == o.display_name &&
           given_name == o.given_name && family_name == o.family_name && groups == o.groups &&
           attributes == o.attributes && issuer == o.issuer && idp_name == o.idp_name &&
           auth_time == o.auth_time && expiry == o.expiry && name_id == o.name_id &&
           name_id_format == o.name_id_format && session_index == o.session_index && id_token == o.id_token;
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
