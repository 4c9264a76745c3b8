// Inside the SAML core only: the SP's own settings, checked before Lasso
// sees them, the SP's Lasso server, and what a SamlSp holds.
#pragma once

#include <map>
#include <string>

#include "core/crypto.h"
#include "saml/lasso.h"
#include "saml/saml.h"

namespace hdsso::samlxml {

using LassoServerPtr = CPtr<LassoServer, lasso_server_destroy>;

// Each failure named (config.invalid): no entity ID or ACS URL, no NameID
// format, rsa-sha1 without the allowance, a key that is not an unencrypted
// RSA PEM key, a certificate that does not parse or is not the key's.
Result<void> check_sp_settings(const SamlSpSettings& sp);

// A Lasso server for the SP alone (its metadata, key and certificate),
// signing with the configured algorithm and decrypting with the SP key.
Result<LassoServerPtr> new_sp_server(const SamlSpSettings& sp);

}  // namespace hdsso::samlxml

namespace hdsso {

// Built once per configuration, read-only afterwards.
struct SamlSp::Impl {
    SamlSpSettings sp;
    std::map<std::string, SamlIdpSettings> idps;  // by entity ID
    samlxml::LassoServerPtr server;
};

}  // namespace hdsso
