// An EncryptedID Lasso 2.8 does not read by itself: after the
// SubjectConfirmation (Lasso reads a Subject's children in schema order only:
// "Missing subject"), or whose plaintext "saml:NameID" relies on the
// response's namespace declarations (Lasso decrypts it in a document of its
// own: "Construction of an object from an XML document failed").
// python3-saml and other SPs take both. Inside the SAML core only.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "saml/lasso.h"
#include "saml/saml.h"

namespace hdsso::samlxml {

// Whether the one plain assertion's Subject holds an EncryptedID.
bool subject_has_encrypted_id(const std::vector<xmlNode*>& plain);

// Once the signature covering the assertion is verified (the response's, by
// Lasso already, or else the assertion's own, by Lasso here), decrypts the
// EncryptedID in place with xmlsec (in the document's context) and rebuilds
// Lasso's Subject from the same signed bytes, each element read by Lasso.
// The EncryptedID's key is decrypted with the SP key, then the next SP key.
// `plain`: the response's plain assertions in our own parse of it.
Result<void> rebuild_subject(LassoProfile* profile, LassoServer* server, LassoSaml2Assertion* assertion, xmlNode* root,
                             const std::vector<xmlNode*>& plain, const SamlSpSettings& sp);

}  // namespace hdsso::samlxml
