// The signature of an HTTP-Redirect binding message (saml-bindings-2.0-os
// 3.4.4.1), checked here rather than by Lasso: Lasso 2.8's
// lasso_query_verify_helper never frees the signature it decodes (up to
// 6 KB per request, chosen by any client; tests/fuzz/README.md finding 5),
// so the SP tells Lasso to ignore query signatures and checks them itself.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

#include "core/crypto.h"
#include "core/error.h"

namespace hdsso::samlxml {

using PublicKeyPtr = CPtr<EVP_PKEY, EVP_PKEY_free>;

// The public keys of an IdP's signing certificates (base64 DER, as metadata
// holds them); a certificate that does not parse is left out.
std::vector<PublicKeyPtr> public_keys_of(const std::vector<std::string>& certificates_b64);

// `query` without its Signature and SigAlg parameters: what Lasso is given
// once the signature is checked here. Lasso checks a query signature
// whatever its verify hint says (only the outcome is ignored), so the leak
// is avoided only by not handing it one.
std::string without_signature(std::string_view query);

// Whether `query` (as the client sent it, not decoded) carries a Signature
// parameter.
bool redirect_query_signed(std::string_view query);

// Checks the query's Signature over "PARAM=v[&RelayState=v]&SigAlg=v", the
// values exactly as sent, with any of `keys`. `param` is SAMLRequest or
// SAMLResponse. SigAlg: rsa-sha256, rsa-sha384, rsa-sha512; rsa-sha1 only
// with `allow_sha1` (saml.legacy_algorithm otherwise). A query with ';'
// separators or a repeated parameter is saml.malformed (whatever Lasso then
// reads is what was signed); no Signature is saml.unsigned; one no key
// verifies is saml.bad_signature.
Result<void> verify_redirect_signature(std::string_view query, const char* param,
                                       const std::vector<PublicKeyPtr>& keys, bool allow_sha1);

}  // namespace hdsso::samlxml
