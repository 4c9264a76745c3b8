// SAML attributes: what an assertion carries, and which attribute names give
// each role of the identity (email, firstName, lastName, displayName,
// groups). Inside the SAML core only.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/identity.h"
#include "saml/lasso.h"
#include "saml/saml.h"

namespace hdsso::samlxml {

// Attribute values by name (and by FriendlyName, where no attribute is named
// so), in document order.
using SamlAttributes = std::map<std::string, std::vector<std::string>>;

// The default lookup list of a role ("email", "firstName", "lastName",
// "displayName", "groups"); empty for another word.
const std::vector<std::string>& default_attribute_names(std::string_view role);

// The names an IdP's administrator set for a role, else the defaults.
const std::vector<std::string>& attribute_names_for(const SamlIdpSettings& idp, std::string_view role);

// The values of the first of `names` the attributes hold (exact names first,
// in list order, then case-insensitively); null when none.
const std::vector<std::string>* lookup_attribute(const SamlAttributes& attrs, const std::vector<std::string>& names);

// Every saml:Attribute (with a Name) of the assertion's AttributeStatements,
// read from the assertion's XML: the bytes the signature covered. (Lasso
// 2.8's lasso_node_get_xmlNode, which would rebuild each AttributeValue,
// leaks a string per namespaced attribute on it, such as the xsi:type most
// IdPs send: snippet_dump_any in lasso/xml/xml.c never frees its ns_uri.)
SamlAttributes read_attributes(xmlNode* assertion);

// The roles of `id` from its attributes, by the IdP's names: email (unless
// the NameID gave it), given, family and display name, groups.
void apply_attribute_roles(Identity& id, const SamlIdpSettings& idp);

}  // namespace hdsso::samlxml
