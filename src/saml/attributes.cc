#include "saml/attributes.h"

#include <strings.h>

#include "saml/xml.h"

namespace hdsso::samlxml {

namespace {

struct RoleNames {
    const char* role;
    std::vector<std::string> names;
};

// Per role, in order of preference: common names, the LDAP/eduPerson OIDs,
// the claim URIs of ADFS and Entra ID, and names some IdPs use (User.Email).
const RoleNames kRoles[] = {
    {"email",
     {"email", "mail", "emailaddress", "emailAddress", "Email",
      "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "urn:oid:0.9.2342.19200300.100.1.3",
      "urn:oid:1.2.840.113549.1.9.1", "User.Email"}},
    {"firstName",
     {"firstName", "givenName", "givenname", "given_name", "FirstName", "User.FirstName",
      "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "urn:oid:2.5.4.42"}},
    {"lastName",
     {"lastName", "sn", "surname", "family_name", "LastName", "User.LastName",
      "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", "urn:oid:2.5.4.4"}},
    {"displayName",
     {"displayName", "http://schemas.microsoft.com/identity/claims/displayname", "urn:oid:2.16.840.1.113730.3.1.241",
      "cn", "urn:oid:2.5.4.3", "name"}},
    {"groups",
     {"groups", "memberOf", "Group", "Role", "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
      "http://schemas.xmlsoap.org/claims/Group", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
      "urn:oid:1.3.6.1.4.1.5923.1.5.1.1"}},
};

const std::vector<std::string> kNone;

}  // namespace

const std::vector<std::string>& default_attribute_names(std::string_view role) {
    for (const auto& r : kRoles)
        if (role == r.role) return r.names;
    return kNone;
}

const std::vector<std::string>& attribute_names_for(const SamlIdpSettings& idp, std::string_view role) {
    auto it = idp.attribute_names.find(std::string(role));
    return it != idp.attribute_names.end() && !it->second.empty() ? it->second : default_attribute_names(role);
}

const std::vector<std::string>* lookup_attribute(const SamlAttributes& attrs, const std::vector<std::string>& names) {
    for (const auto& n : names)
        if (auto it = attrs.find(n); it != attrs.end() && !it->second.empty()) return &it->second;
    for (const auto& n : names)
        for (const auto& [k, v] : attrs)
            if (!v.empty() && k.size() == n.size() && strcasecmp(k.c_str(), n.c_str()) == 0) return &v;
    return nullptr;
}

SamlAttributes read_attributes(xmlNode* assertion) {
    SamlAttributes out;
    for (xmlNode* statement : children(assertion, kNsSaml, "AttributeStatement")) {
        for (xmlNode* attribute : children(statement, kNsSaml, "Attribute")) {
            if (!has_attr(attribute, "Name")) continue;
            std::vector<std::string> values;
            for (xmlNode* v : children(attribute, kNsSaml, "AttributeValue")) {
                // Kept as sent (a value may span lines); what is handed to the
                // helpdesk is checked there (identity.unsafe_value).
                std::string content = text_of(v);
                if (!content.empty()) values.push_back(std::move(content));
            }
            auto& slot = out[attr(attribute, "Name")];
            slot.insert(slot.end(), values.begin(), values.end());
            if (has_attr(attribute, "FriendlyName")) out.try_emplace(attr(attribute, "FriendlyName"), values);
        }
    }
    return out;
}

void apply_attribute_roles(Identity& id, const SamlIdpSettings& idp) {
    auto first = [&](const char* role) -> const std::vector<std::string>* {
        return lookup_attribute(id.attributes, attribute_names_for(idp, role));
    };
    if (const auto* v = first("email"); v && id.email.empty()) id.email = v->front();
    if (const auto* v = first("firstName")) id.given_name = v->front();
    if (const auto* v = first("lastName")) id.family_name = v->front();
    if (const auto* v = first("displayName")) id.display_name = v->front();
    if (id.display_name.empty() && !(id.given_name + id.family_name).empty())
        id.display_name = id.given_name + (id.given_name.empty() || id.family_name.empty() ? "" : " ") + id.family_name;
    if (const auto* v = first("groups")) id.groups = *v;
}

}  // namespace hdsso::samlxml
