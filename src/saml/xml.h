// Inside the SAML core only: XML reading (libxml2, no network, no DTD),
// base64 as SAML posts it, certificates, and building metadata documents.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/evp.h>

#include "core/crypto.h"
#include "saml/lasso.h"
#include "saml/saml.h"

namespace hdsso::samlxml {

inline const char* const kBearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
inline const char* const kSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success";
inline const char* const kEmailFormat = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
inline const xmlChar* const kNsSamlp = BAD_CAST "urn:oasis:names:tc:SAML:2.0:protocol";
inline const xmlChar* const kNsSaml = BAD_CAST "urn:oasis:names:tc:SAML:2.0:assertion";
inline const xmlChar* const kNsDs = BAD_CAST "http://www.w3.org/2000/09/xmldsig#";
inline const xmlChar* const kNsXenc = BAD_CAST "http://www.w3.org/2001/04/xmlenc#";
inline const xmlChar* const kNsMd = BAD_CAST "urn:oasis:names:tc:SAML:2.0:metadata";

// The largest SAML message read (decoded, inflated).
constexpr std::size_t kMaxMessage = 512 * 1024;

inline Error err(Status s, std::string detail) { return make_error(s, std::move(detail)); }

// xmlFree is a variable (a pointer to libxml2's allocator), not a function.
inline void free_xml_string(xmlChar* p) { xmlFree(p); }
using XmlDocPtr = CPtr<xmlDoc, xmlFreeDoc>;
using XmlStringPtr = CPtr<xmlChar, free_xml_string>;
using XmlNodePtr = CPtr<xmlNode, xmlFreeNode>;

// ---- reading --------------------------------------------------------------
bool is(const xmlNode* n, const xmlChar* ns, const char* name);
std::vector<xmlNode*> children(xmlNode* parent, const xmlChar* ns, const char* name);
xmlNode* child(xmlNode* parent, const xmlChar* ns, const char* name);
std::string attr(xmlNode* n, const char* name);
bool has_attr(xmlNode* n, const char* name);
// Every text below the node, comments left out: "a<!-- x -->b" is "ab".
std::string text_of(xmlNode* n);
// The element's local name ("" for none).
const char* name_of(const xmlNode* n);
// The ds:Signature directly under `node`, if any.
xmlNode* signature_of(xmlNode* node);
// The one gate every XML document the SAML code reads from outside (a posted
// response, an HTTP-Redirect message, IdP metadata) passes before Lasso sees
// it: parsed as libxml2 reads it, in whatever encoding it is in (UTF-8,
// UTF-16, UTF-32, with or without a byte-order mark), without network access,
// DTD loading or entity substitution. A DOCTYPE (internal or external subset;
// the parser stops at it, before any declaration is read) is refused by what
// the parser sees, not by searching bytes; so is a document that is not
// well-formed. `code` and "<what> ..." name the refusal.
// It also refuses what would make Lasso abort the process (see
// lasso_fatal_construct).
Result<XmlDocPtr> parse_untrusted_xml(std::string_view xml, Status code, const std::string& what);
// Lasso 2.8 logs some malformed messages at G_LOG_LEVEL_ERROR, which GLib
// makes fatal whatever handler is set (the Apache child aborts): a
// samlp:LogoutRequest without exactly one BaseID, NameID or EncryptedID
// (samlp2_logout_request.c), a samlp:ManageNameIDRequest without exactly
// one NameID or EncryptedID, and ECP and PAOS elements missing their
// required parts (lasso/xml/ecp, lasso/xml/paos_*.c), wherever Lasso builds
// one from the document. What is wrong, or "" when none is present (ECP and
// PAOS elements are refused outright: nothing here takes them).
std::string lasso_fatal_construct(xmlNode* root);
// An HTTP-Redirect binding message in `query` (the value of `param`,
// SAMLRequest or SAMLResponse: base64 of raw DEFLATE), inflated to at most
// `max` bytes and put through parse_untrusted_xml; saml.malformed otherwise.
// Its root must be samlp:`root_name` (LogoutRequest, LogoutResponse).
// Returns the text of the message's own saml:Issuer ("" without one).
Result<std::string> check_redirect_message(std::string_view query, const char* param, const char* root_name,
                                           std::size_t max);
std::string serialise(xmlDoc* doc);

// ---- Lasso's failure codes ---------------------------------------------------
// The named error for a Lasso failure; `what` names the message ("the
// response", "the LogoutRequest", ...). Callers handle their own special
// codes first.
Error lasso_error(int rc, const std::string& what);

// ---- base64 (standard alphabet, line breaks allowed) and certificates -------
Result<std::string> base64_decode_lenient(std::string_view in);
std::string base64_encode_std(std::string_view in);
std::string pem_body(const std::string& pem);
// The key size of a base64 DER certificate (0 if it does not parse).
int cert_bits(const std::string& b64);
// A configured fingerprint as (digest, raw bytes): SHA-256 (32 bytes) or
// SHA-1 (20 bytes, a legacy allowance), told by the length.
Result<std::pair<const EVP_MD*, std::string>> parse_fingerprint(const std::string& text);
std::string der_digest(const std::string& der, const EVP_MD* md);

// ---- metadata ---------------------------------------------------------------
// An IdP's EntityDescriptor from its settings (certificate, SSO/SLO URLs).
std::string idp_metadata(const SamlIdpSettings& idp);
std::string sp_metadata(const SamlSpSettings& sp);

}  // namespace hdsso::samlxml
