// The checks of a posted SAMLResponse, one function each, in the order
// SamlSp::process_response runs them (read that function for the list).
// Lasso parses, verifies XML signatures and decrypts (run_lasso); every other
// step is a check Lasso leaves to the caller. Each takes what it judges and
// the time as arguments, and answers with a named error. Inside the SAML core
// only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/replay_cache.h"
#include "saml/lasso.h"
#include "saml/saml.h"
#include "saml/sp_server.h"
#include "saml/xml.h"

namespace hdsso::samlxml {

using LassoLoginPtr = CPtr<LassoLogin, lasso_login_destroy>;

// ---- before Lasso ------------------------------------------------------------

// The message as XML: base64 as posted, or (CLI) the XML itself, leading
// blanks skipped; saml.malformed when blank, not base64 or over kMaxMessage.
Result<std::string> decode_message(std::string_view message);

// Our own view of the response (the same bytes Lasso reads, the same
// parser), after the DOCTYPE gate: Lasso sees nothing this parse refuses.
struct DecodedResponse {
    std::string b64;                  // what Lasso reads
    XmlDocPtr doc;
    xmlNode* root = nullptr;          // samlp:Response
    std::vector<xmlNode*> plain;      // its saml:Assertion children
    std::vector<xmlNode*> encrypted;  // its saml:EncryptedAssertion children
};
// saml.malformed (not XML, a DOCTYPE, not a samlp:Response) or
// saml.assertion_count (not exactly one assertion, plain or encrypted).
Result<DecodedResponse> decode_response(std::string_view message);

// The issuer the response claims, unverified (for picking its IdP only): the
// Response's Issuer, else its first plain assertion's; empty for none.
std::string claimed_issuer(xmlNode* root);

// Whether the IdP is known by its certificate's fingerprint only.
bool by_fingerprint(const SamlIdpSettings& idp);

// For an IdP known by fingerprint: the certificate comes in a KeyInfo of the
// response's or the assertion's signature and must match the fingerprint
// (saml.bad_signature) and have 2048 bits or more unless allowed
// (saml.legacy_algorithm); Lasso then checks the signature with it, in a
// server of its own for this response (returned).
Result<LassoServerPtr> server_for_fingerprint(const DecodedResponse& r, const SamlSpSettings& sp,
                                              const SamlIdpSettings& idp);

// An EncryptedAssertion only in the shape Lasso's decryption completes:
// xenc:EncryptedData (with an xenc:EncryptionMethod whose algorithm Lasso
// decrypts: AES or DES) followed only by xenc:EncryptedKey elements, and an
// EncryptedKey there or in the EncryptedData's ds:KeyInfo; else
// saml.decryption_failed, before Lasso sees it (Lasso 2.8 leaks a copy of
// the SP key on every other shape: see the .cc).
Result<void> check_encrypted_assertion(const DecodedResponse& r);

// ---- Lasso -------------------------------------------------------------------

struct LassoRun {
    LassoLoginPtr login;
    std::string issuer;           // the responding IdP, as Lasso read it
    bool subject_unread = false;  // an EncryptedID Lasso could not read: rebuild_subject
    LassoProfile* profile() const { return LASSO_PROFILE(login.get()); }
};
// Lasso parses the response, verifies its signatures and decrypts; its
// failure codes become named errors.
Result<LassoRun> run_lasso(LassoServer* server, const DecodedResponse& r);

// ---- after Lasso: what it leaves to the caller -----------------------------

// The IdP's status is Success (saml.not_authorized) and Lasso holds exactly
// one assertion (saml.assertion_count): that assertion.
Result<LassoSaml2Assertion*> the_assertion(LassoNode* response);

// The IdP's signature policy: what must be signed (saml.unsigned).
Result<void> check_signature_policy(SamlSignaturePolicy policy, bool response_signed, bool assertion_signed);
// No SHA-1 in a signature's SignatureMethod or DigestMethods unless allowed
// (saml.legacy_algorithm); `where`: "response" or "assertion".
Result<void> check_signature_algorithms(xmlNode* signature, const SamlLegacy& legacy, const char* where);
// No AES-CBC content encryption, no RSA PKCS#1 v1.5 key transport, unless
// allowed (saml.legacy_algorithm); `encrypted`: an EncryptedAssertion or
// EncryptedID.
Result<void> check_encryption_algorithms(xmlNode* encrypted, const SamlLegacy& legacy);
// All three for the response as Lasso verified it.
Result<void> check_signatures(const SamlIdpSettings& idp, LassoProfile* profile, const DecodedResponse& r,
                              xmlNode* assertion_xml);

// The assertion's Issuer is the responding IdP (saml.issuer_mismatch); a
// Destination, when the response has one, is this SP's ACS URL
// (saml.destination_mismatch).
Result<void> check_issuer_and_destination(const LassoSaml2Assertion* assertion, const std::string& issuer,
                                          xmlNode* root, const std::string& acs_url);

// A time window: NotBefore no later than now + skew (saml.too_early),
// NotOnOrAfter later than now - skew (saml.too_late); either may be null.
// saml.malformed for a time that is not an xs:dateTime in UTC.
Result<void> check_window(const char* not_before, const char* not_on_or_after, std::int64_t now, std::int64_t skew,
                          const char* what);

// Conditions: present, within its window, and every AudienceRestriction
// (at least one) names this SP (saml.audience_mismatch).
Result<void> check_conditions(const LassoSaml2Conditions* conditions, const std::string& sp_entity_id,
                              std::int64_t now, std::int64_t skew);

// The bearer SubjectConfirmationData, checked: what later steps need of it.
struct BearerConfirmation {
    const char* in_response_to = nullptr;
    std::int64_t not_on_or_after = 0;
};
// A Subject with a NameID (saml.missing_name_id) and a bearer confirmation
// with data (saml.subject_confirmation) whose Recipient is this SP's ACS URL
// (saml.recipient_mismatch), with a NotOnOrAfter still open and no NotBefore
// (saml.subject_confirmation, saml.too_late).
Result<BearerConfirmation> check_bearer(const LassoSaml2Subject* subject, const std::string& acs_url,
                                        std::int64_t now, std::int64_t skew);

// A solicited response (request_id set) answers that request, in the
// Response and in the confirmation (either may be absent, not both); an
// unsolicited one names no request and is accepted only where allowed
// (saml.in_response_to, saml.unsolicited).
Result<void> check_in_response_to(const char* response_irt, const char* confirmation_irt,
                                  const std::string& request_id, bool allow_unsolicited);

// The first AuthnStatement (saml.malformed without one), its session still
// open (saml.too_late).
Result<LassoSaml2AuthnStatement*> check_authn_statement(const LassoSaml2Assertion* assertion, std::int64_t now,
                                                        std::int64_t skew);

// The NameID as the full text of the assertion's saml:NameID (a comment
// inside must not cut it short): not empty (saml.missing_name_id), no
// control characters (saml.malformed), no SPNameQualifier other than this
// SP (saml.audience_mismatch).
Result<std::string> read_name_id(const LassoSaml2Assertion* assertion, xmlNode* assertion_xml,
                                 const std::string& sp_entity_id);

// Replay: the assertion ID (saml.malformed without one) is used once per
// issuer, remembered until the confirmation window has closed (`until` +
// skew); saml.replayed the second time, store.unavailable when the store
// cannot answer (fail closed).
Result<void> consume_assertion(ReplayCache& replay, const std::string& issuer, const char* assertion_id,
                               std::int64_t until, std::int64_t skew);

// The signed-in identity: NameID, session index, times and the attributes
// by role.
SamlLogin read_identity(const LassoSaml2Assertion* assertion, xmlNode* assertion_xml,
                        const LassoSaml2AuthnStatement* authn, const std::string& issuer, const std::string& name_id,
                        const SamlIdpSettings& idp, std::int64_t now);

}  // namespace hdsso::samlxml
