// SAML 2.0 service provider on Lasso (Web SSO profile, HTTP-POST ACS).
// Lasso parses the response, verifies XML signatures and decrypts; this
// layer adds what Lasso leaves to the caller, each with its own error:
// signature policy, algorithms, one assertion, issuer, audience,
// destination, recipient, bearer confirmation, time windows with skew,
// InResponseTo, replay, and the identity read from the assertion.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/identity.h"
#include "core/replay_cache.h"

namespace hdsso {

enum class SamlSignaturePolicy { assertion, response, both, either };

// Relaxations a strict SP refuses by default (per IdP).
struct SamlLegacy {
    bool sha1 = false;        // rsa-sha1 signatures, SHA-1 digests
    bool rsa1024 = false;     // IdP signing keys under 2048 bits
    bool xmlenc_cbc = false;  // EncryptedAssertion with AES-CBC
    bool rsa1_5 = false;      // RSA PKCS#1 v1.5 key transport
};
// "sha1,rsa1024,xmlenc-cbc,rsa1_5" (and "expired-cert", which needs no
// allowance: the configured key is pinned, certificate dates are not judged).
Result<SamlLegacy> parse_saml_legacy(std::string_view list);

// How the SP signs its HTTP-Redirect messages (AuthnRequest, LogoutRequest,
// LogoutResponse): the SigAlg it sends. RSA-SHA1 only with the sha1 legacy
// allowance.
enum class SamlSignatureAlgorithm { rsa_sha256, rsa_sha384, rsa_sha512, rsa_sha1 };
// "rsa-sha256", "rsa-sha384", "rsa-sha512", "rsa-sha1"; nullopt otherwise.
std::optional<SamlSignatureAlgorithm> parse_saml_signature_algorithm(std::string_view name);
const char* saml_signature_algorithm_name(SamlSignatureAlgorithm a);
// The XML Signature URI (SigAlg): http://www.w3.org/2001/04/xmldsig-more#rsa-sha256, ...
const char* saml_signature_algorithm_uri(SamlSignatureAlgorithm a);

struct SamlIdpSettings {
    // An EntityDescriptor, or an aggregate (EntitiesDescriptor) from which
    // entity_id picks the IdP (or the only IdP in it), or
    std::string metadata_xml;
    std::string entity_id;     // with
    std::string cert_pem;      // the signing certificate (or its fingerprint), and
    // "SHA256:AB:CD:..." or plain hex (64 digits: SHA-256, 40: SHA-1): the
    // certificate then comes in the response's KeyInfo and must match.
    std::string cert_fingerprint;
    std::string sso_url;       // (optional) where AuthnRequests go
    std::string slo_url;       // (optional) where LogoutRequests go
    SamlSignaturePolicy policy = SamlSignaturePolicy::either;
    SamlLegacy legacy;
    bool allow_unsolicited = false;
    std::int64_t skew = 180;   // seconds of clock skew accepted
    // Metadata with a validUntil (HelpdeskSSOSAMLIdPMetadataURL): from this
    // Unix time on, responses from the IdP are refused (metadata.expired);
    // 0: no limit.
    std::int64_t valid_until = 0;
    // Attribute names per role (email, firstName, lastName, displayName,
    // groups), replacing the default lookup list of that role.
    std::map<std::string, std::vector<std::string>> attribute_names;
};

struct SamlSpSettings {
    std::string entity_id;
    std::string acs_url;
    std::string slo_url;  // optional
    std::string key_pem;  // optional: decrypts EncryptedAssertion / EncryptedID
    std::string cert_pem;  // optional: published in the SP metadata
    // Key rollover (optional, both or neither, only beside key_pem and
    // cert_pem): the next key pair. Its certificate is published after the
    // current one (signing and encryption) before it is used; the key
    // decrypts (after the current key) but never signs.
    std::string next_key_pem = {};
    std::string next_cert_pem = {};
    std::string name_id_format = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
    bool force_authn = false;
    SamlSignatureAlgorithm signature_algorithm = SamlSignatureAlgorithm::rsa_sha256;
    bool allow_sha1 = false;  // signing with rsa-sha1 is refused without it (saml.legacy_algorithm)
    // The metadata's WantAssertionsSigned: whether the site requires signed
    // assertions (signature policy assertion or both).
    bool want_assertions_signed = false;
};

// The SP's URLs as a site derives them from its base URL (no trailing '/')
// and endpoint prefix ("/sso"): ACS PREFIX/acs, SLO PREFIX/slo and, unless
// `entity_id` is given, the entity ID PREFIX/metadata (the metadata URL).
void saml_sp_site_urls(SamlSpSettings& sp, std::string_view base_url, std::string_view endpoint,
                       std::string_view entity_id = {});

// email, persistent, transient, unspecified, or a URI starting with "urn:":
// the NameID format URI; nullopt otherwise.
std::optional<std::string> parse_saml_name_id_format(std::string_view name);

// A request the SP sends the browser to the IdP with (HTTP-Redirect): an
// AuthnRequest or a LogoutRequest.
struct SamlRedirect {
    std::string url;  // the IdP's SSO or SLO URL with SAMLRequest (and RelayState, signature)
    std::string id;   // the request ID the IdP's answer must be InResponseTo
};

// A LogoutRequest the IdP sent (IdP-initiated single logout).
struct SamlIdpLogout {
    std::string issuer;
    std::string name_id;
    std::vector<std::string> session_indexes;  // empty: every session of name_id
    std::string response_url;  // the LogoutResponse to send the browser to
};

struct SamlLogin {
    Identity identity;
    std::string name_id;
    std::string name_id_format;
    std::string session_index;
};

class SamlSp {
public:
    ~SamlSp();
    SamlSp(const SamlSp&) = delete;
    SamlSp& operator=(const SamlSp&) = delete;

    // Builds the Lasso server once for this configuration.
    static Result<std::shared_ptr<SamlSp>> create(SamlSpSettings sp, std::vector<SamlIdpSettings> idps);

    // The entity IDs of the IdPs this SP trusts.
    std::vector<std::string> idp_entity_ids() const;

    // The SP's metadata (EntityDescriptor) for the IdP administrators.
    std::string metadata() const;

    // An HTTP-Redirect AuthnRequest to the IdP (the only one, or the one
    // named), signed when the SP has a key.
    Result<SamlRedirect> authn_request(const std::string& relay_state, const std::string& idp_entity_id = {}) const;

    // Single logout, SP-initiated: an HTTP-Redirect LogoutRequest naming the
    // sign-in `id` came from (its IdP, NameID and SessionIndex). Signed when
    // the SP has a key; config.invalid when the IdP has no SLO endpoint.
    Result<SamlRedirect> logout_request(const Identity& id, const std::string& relay_state) const;
    // The IdP's LogoutResponse (the query string of the HTTP-Redirect).
    Result<void> process_logout_response(std::string_view query) const;
    // IdP-initiated: the IdP's LogoutRequest (query string); it must be
    // signed. The LogoutResponse is built before the caller ends the
    // sessions it names.
    Result<SamlIdpLogout> process_logout_request(std::string_view query) const;

    // An HTTP-POST SAMLResponse (base64, as posted; a raw XML document is
    // accepted too). `request_id`: the ID of the AuthnRequest this browser
    // started, empty for an unsolicited response.
    Result<SamlLogin> process_response(std::string_view message, std::int64_t now, const std::string& request_id,
                                       ReplayCache& replay) const;

    struct Impl;

private:
    explicit SamlSp(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The Issuer a SAMLResponse names (unverified: for picking its IdP only),
// empty when it names none.
std::string saml_response_issuer(std::string_view message);

// The SP metadata (EntityDescriptor) for these settings, as the site serves
// it at PREFIX/metadata: the configured NameID format; with a key,
// AuthnRequestsSigned="true", the signature algorithm (algsupport
// SigningMethod) and the certificate (signing and encryption), then the next
// certificate (signing and encryption) when there is one. The same checks as
// SamlSp::create: config.invalid for an SP key or certificate that does not
// parse, is not RSA, or do not match (the next pair the same way, and a next
// key without its certificate or the current pair, or the current key
// again); saml.legacy_algorithm for rsa-sha1 without allow_sha1.
Result<std::string> saml_sp_metadata(const SamlSpSettings& sp);

// The entity IDs of the IdPs a metadata document (EntityDescriptor or
// aggregate) describes; config.invalid when it is not SAML metadata or holds
// no IdP, or carries a DOCTYPE.
Result<std::vector<std::string>> saml_metadata_idps(std::string_view metadata);

// The IdPs a site trusts from its metadata documents (each an
// EntityDescriptor or an aggregate): every IdP they describe, in document
// order, or only those `wanted` names; each as `base` with its document as
// metadata_xml and its entity ID. config.invalid as saml_metadata_idps for a
// document, and for a wanted IdP that no document describes.
Result<std::vector<SamlIdpSettings>> saml_select_idps(const std::vector<std::string>& metadata,
                                                      const std::vector<std::string>& wanted,
                                                      const SamlIdpSettings& base);

// The SHA-256 fingerprint of a PEM certificate as "SHA256:AB:CD:..." (the
// form HelpdeskSSOSAMLIdPCertFingerprint reads); empty when it does not parse.
std::string saml_certificate_fingerprint(const std::string& cert_pem);

// Whether `text` is a certificate fingerprint this product reads.
Result<void> saml_fingerprint_check(std::string_view text);

// xs:dateTime in UTC ("2014-02-19T01:38:01Z", optional fraction) to Unix time.
Result<std::int64_t> parse_saml_time(std::string_view text);

// Makes Lasso (and so libxml2 and xmlsec) ready, once per process; never
// shut down (other modules in the same Apache may use libxml2).
void saml_library_init();

}  // namespace hdsso
