// Inside the SAML core only: the SP's own settings, checked before Lasso
// sees them, the SP's Lasso server, and what a SamlSp holds.
#pragma once

#include <map>
#include <string>

#include "core/crypto.h"
#include "saml/lasso.h"
#include "saml/redirect_signature.h"
#include "saml/saml.h"

namespace hdsso::samlxml {

using LassoServerPtr = CPtr<LassoServer, lasso_server_destroy>;

// Each failure named (config.invalid): no entity ID or ACS URL, no NameID
// format, rsa-sha1 without the allowance, a key that is not an unencrypted
// RSA PEM key, a certificate that does not parse or is not the key's.
Result<void> check_sp_settings(const SamlSpSettings& sp);

// A Lasso server for the SP alone (its metadata and key), signing with the
// configured algorithm and decrypting with the SP key. Lasso is not given
// the SP certificate: it reloads key and certificate for every message it
// signs and, given certificate text, first tries it as a file name, which
// leaks a BIO in xmlsec1 1.2.37 (xmlSecOpenSSLCreateReadFileBio) on every
// AuthnRequest, LogoutRequest and LogoutResponse (tests/fuzz/README.md
// finding 6). HTTP-Redirect signatures carry no certificate anyway; the SP
// metadata publishes it.
Result<LassoServerPtr> new_sp_server(const SamlSpSettings& sp);

}  // namespace hdsso::samlxml

namespace hdsso {

// Built once per configuration, read-only afterwards.
struct SamlSp::Impl {
    SamlSpSettings sp;
    std::map<std::string, SamlIdpSettings> idps;  // by entity ID
    // Their signing keys, for the HTTP-Redirect messages the SP checks itself.
    std::map<std::string, std::vector<samlxml::PublicKeyPtr>> idp_keys;
    samlxml::LassoServerPtr server;
};

}  // namespace hdsso
