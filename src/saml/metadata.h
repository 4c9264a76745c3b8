// IdP metadata inside the SAML core: which IdPs a document (an
// EntityDescriptor or an aggregate) describes, and an IdP's metadata as
// Lasso is to read it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "saml/lasso.h"
#include "saml/saml.h"

namespace hdsso::samlxml {

// The IdPs (md:EntityDescriptor with an md:IDPSSODescriptor) of a metadata
// document, in document order: the root itself, or every one in an
// aggregate (md:EntitiesDescriptor, nested ones too); only those whose
// entityID is `entity_id` when it is given. The one walk over aggregates.
std::vector<xmlNode*> select_idps(xmlNode* root, std::string_view entity_id = {});

// The signing certificates (base64 DER) of an IdP's EntityDescriptor: its
// IDPSSODescriptor's KeyDescriptors with use="signing" or no use.
std::vector<std::string> signing_certificates(xmlNode* entity);

// The IdP's metadata as Lasso is to read it: one EntityDescriptor, from the
// settings' metadata (picked out of an aggregate by entity ID, or the only
// IdP there), or built from the certificate (or fingerprint) and URLs; its
// signing keys checked (at least one unless the certificate comes by
// fingerprint, none under 2048 bits without the rsa1024 allowance). Sets
// idp.entity_id to the entity's.
Result<std::string> idp_entity_descriptor(SamlIdpSettings& idp);

}  // namespace hdsso::samlxml
