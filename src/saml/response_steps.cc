#include "saml/response_steps.h"

#include <cstring>
#include <optional>
#include <utility>

#include "core/crypto.h"
#include "core/text.h"
#include "saml/attributes.h"
#include "saml/encrypted_id.h"

namespace hdsso::samlxml {

// ---- before Lasso ------------------------------------------------------------

Result<std::string> decode_message(std::string_view message) {
    std::size_t first = message.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return err(Status::saml_malformed, "the SAMLResponse is blank");
    if (message.size() > kMaxMessage * 4 / 3 + 4096) return err(Status::saml_malformed, "the SAMLResponse is too large");
    std::string xml;
    if (message[first] == '<') {
        xml = std::string(message.substr(first));
    } else {
        auto decoded = base64_decode_lenient(message);
        if (!decoded) return decoded.error();
        xml = std::move(decoded.value());
    }
    if (xml.size() > kMaxMessage) return err(Status::saml_malformed, "the SAMLResponse is too large");
    return xml;
}

Result<DecodedResponse> decode_response(std::string_view message) {
    auto xml = decode_message(message);
    if (!xml) return xml.error();
    auto parsed = parse_untrusted_xml(xml.value(), Status::saml_malformed, "the SAMLResponse");
    if (!parsed) return parsed.error();
    DecodedResponse r;
    r.b64 = base64_encode_std(xml.value());
    r.doc = std::move(parsed.value());
    r.root = r.doc ? xmlDocGetRootElement(r.doc.get()) : nullptr;
    if (!is(r.root, kNsSamlp, "Response")) return err(Status::saml_malformed, "not a samlp:Response");
    r.plain = children(r.root, kNsSaml, "Assertion");
    r.encrypted = children(r.root, kNsSaml, "EncryptedAssertion");
    if (r.plain.size() + r.encrypted.size() != 1)
        return err(Status::saml_assertion_count,
                   std::to_string(r.plain.size() + r.encrypted.size()) + " assertions in the response");
    return r;
}

std::string claimed_issuer(xmlNode* root) {
    xmlNode* issuer = child(root, kNsSaml, "Issuer");
    if (!issuer) issuer = child(child(root, kNsSaml, "Assertion"), kNsSaml, "Issuer");
    return issuer ? text_of(issuer) : std::string();
}

bool by_fingerprint(const SamlIdpSettings& idp) { return idp.metadata_xml.empty() && idp.cert_pem.empty(); }

namespace {

// The first certificate (base64 DER) in the KeyInfo of the response's or
// the assertion's signature whose digest is the fingerprint; empty for none.
std::string certificate_matching(const DecodedResponse& r, const std::pair<const EVP_MD*, std::string>& fp) {
    std::vector<xmlNode*> signatures{signature_of(r.root)};
    if (!r.plain.empty()) signatures.push_back(signature_of(r.plain.front()));
    for (xmlNode* sig : signatures) {
        xmlNode* data = child(child(sig, kNsDs, "KeyInfo"), kNsDs, "X509Data");
        for (xmlNode* c : children(data, kNsDs, "X509Certificate")) {
            std::string b64 = text_of(c);
            auto der = base64_decode_lenient(b64);
            if (der && constant_time_equal(der_digest(der.value(), fp.first), fp.second)) return b64;
        }
    }
    return {};
}

}  // namespace

Result<LassoServerPtr> server_for_fingerprint(const DecodedResponse& r, const SamlSpSettings& sp,
                                              const SamlIdpSettings& idp) {
    auto fp = parse_fingerprint(idp.cert_fingerprint);
    if (!fp) return fp.error();
    std::string match = certificate_matching(r, fp.value());
    if (match.empty())
        return err(Status::saml_bad_signature, "no certificate in the response matches the configured fingerprint");
    int bits = cert_bits(match);
    if (bits < 2048 && !idp.legacy.rsa1024)
        return err(Status::saml_legacy_algorithm, "the IdP's signing key has " + std::to_string(bits) + " bits");
    SamlIdpSettings with_cert = idp;
    with_cert.cert_pem = "-----BEGIN CERTIFICATE-----\n" + match + "\n-----END CERTIFICATE-----\n";
    auto server = new_sp_server(sp);
    if (!server) return server.error();
    std::string md = idp_metadata(with_cert);
    if (int rc = lasso_server_add_provider_from_buffer(server.value().get(), LASSO_PROVIDER_ROLE_IDP, md.c_str(),
                                                       nullptr, nullptr);
        rc != 0)
        return err(Status::saml_bad_signature, std::string("the response's certificate: Lasso: ") + lasso_strerror(rc));
    return server;
}

// Lasso 2.8 (lasso_node_decrypt_xmlnode in lasso/xml/tools.c, unchanged as
// of 2.8.2) duplicates the SP's private key (xmlSecKeyDuplicate) first, and
// frees the copy only with the xmlsec context it creates once it has found
// the EncryptedData's xenc:EncryptionMethod with an algorithm containing
// "#aes" or "des", and an EncryptedKey: one beside the EncryptedData or, when
// there is none, an xenc:EncryptedKey in its ds:KeyInfo (each found by exact
// namespace). Any other shape returned early and leaked the copy (about 160
// bytes a POST under valgrind; issue 15), before any signature is checked:
// so Lasso is handed no other shape. (It decrypts an EncryptedID the same way,
// but only after an IdP's signature has verified.)
Result<void> check_encrypted_assertion(const DecodedResponse& r) {
    auto refuse = [](const std::string& why) {
        return err(Status::saml_decryption_failed, "the EncryptedAssertion " + why);
    };
    for (xmlNode* encrypted : r.encrypted) {
        xmlNode* data = nullptr;
        bool sibling_key = false;
        for (xmlNode* c = encrypted->children; c; c = c->next) {
            if (c->type != XML_ELEMENT_NODE) continue;
            if (!data && is(c, kNsXenc, "EncryptedData")) data = c;
            else if (data && is(c, kNsXenc, "EncryptedKey")) sibling_key = true;
            else return refuse(std::string("holds an unexpected ") + name_of(c));
        }
        if (!data) return refuse("has no xenc:EncryptedData");
        std::string algorithm = attr(child(data, kNsXenc, "EncryptionMethod"), "Algorithm");
        if (algorithm.find("#aes") == std::string::npos && algorithm.find("des") == std::string::npos)
            return refuse("names no AES or DES EncryptionMethod");
        if (!sibling_key && !child(child(data, kNsDs, "KeyInfo"), kNsXenc, "EncryptedKey"))
            return refuse("has no xenc:EncryptedKey (beside its EncryptedData or in its ds:KeyInfo)");
    }
    return {};
}

// ---- Lasso -------------------------------------------------------------------

namespace {

Error lasso_says(Status s, int rc) { return err(s, std::string("Lasso: ") + lasso_strerror(rc)); }

// Lasso's code for the response, as a named error; nothing for 0 and for an
// EncryptedID Lasso could not read (read again once the IdP and the
// algorithms are checked).
std::optional<Error> lasso_failure(int rc, const DecodedResponse& r, LassoProfile* profile) {
    switch (rc) {
    case 0: return std::nullopt;
    case LASSO_PROFILE_ERROR_MISSING_ASSERTION:
        return lasso_says(r.encrypted.empty() ? Status::saml_assertion_count : Status::saml_decryption_failed, rc);
    case LASSO_DS_ERROR_DECRYPTION_FAILED:
    case LASSO_DS_ERROR_DECRYPTION_FAILED_MISSING_PRIVATE_KEY:
    case LASSO_PROFILE_ERROR_MISSING_ENCRYPTION_PRIVATE_KEY:
    case LASSO_DS_ERROR_ENCRYPTION_FAILED:  // Lasso's code when the session key does not decrypt
    case LASSO_XMLENC_ERROR_INVALID_ENCRYPTED_DATA:
        return lasso_says(!r.encrypted.empty() || subject_has_encrypted_id(r.plain) ? Status::saml_decryption_failed
                                                                                     : Status::saml_assertion_count,
                          rc);
    case LASSO_PROFILE_ERROR_MISSING_SUBJECT:
    case LASSO_XML_ERROR_OBJECT_CONSTRUCTION_FAILED:
        if (subject_has_encrypted_id(r.plain) && LASSO_IS_SAMLP2_RESPONSE(profile->response)) return std::nullopt;
        if (rc == LASSO_PROFILE_ERROR_MISSING_SUBJECT) return lasso_says(Status::saml_missing_name_id, rc);
        return lasso_error(rc, "the response");
    default:
        return lasso_error(rc, "the response");
    }
}

}  // namespace

Result<LassoRun> run_lasso(LassoServer* server, const DecodedResponse& r) {
    LassoRun run;
    run.login.reset(lasso_login_new(server));
    if (!run.login) return err(Status::internal, "lasso_login_new failed");
    int rc = lasso_login_process_authn_response_msg(run.login.get(), const_cast<char*>(r.b64.c_str()));
    LassoProfile* profile = run.profile();
    run.issuer = profile->remote_providerID ? profile->remote_providerID : "";
    if (auto failure = lasso_failure(rc, r, profile)) return *failure;
    run.subject_unread = rc != 0;
    return run;
}

// ---- after Lasso: signatures -------------------------------------------------

Result<LassoSaml2Assertion*> the_assertion(LassoNode* response_node) {
    auto* sr = LASSO_SAMLP2_STATUS_RESPONSE(response_node);
    if (!sr->Status || !sr->Status->StatusCode || !sr->Status->StatusCode->Value ||
        std::strcmp(sr->Status->StatusCode->Value, kSuccess) != 0)
        return err(Status::saml_not_authorized, "the IdP's status is not Success");
    auto* response = LASSO_SAMLP2_RESPONSE(response_node);
    if (g_list_length(response->Assertion) != 1)
        return err(Status::saml_assertion_count, "Lasso holds " + std::to_string(g_list_length(response->Assertion)) +
                                                     " assertions");
    return LASSO_SAML2_ASSERTION(response->Assertion->data);
}

Result<void> check_signature_policy(SamlSignaturePolicy policy, bool response_signed, bool assertion_signed) {
    bool ok = policy == SamlSignaturePolicy::assertion ? assertion_signed
              : policy == SamlSignaturePolicy::response ? response_signed
              : policy == SamlSignaturePolicy::both     ? response_signed && assertion_signed
                                                        : response_signed || assertion_signed;
    if (!ok)
        return err(Status::saml_unsigned, std::string("signed: response ") + (response_signed ? "yes" : "no") +
                                              ", assertion " + (assertion_signed ? "yes" : "no"));
    return {};
}

Result<void> check_signature_algorithms(xmlNode* sig, const SamlLegacy& legacy, const char* where) {
    xmlNode* si = child(sig, kNsDs, "SignedInfo");
    std::string method = attr(child(si, kNsDs, "SignatureMethod"), "Algorithm");
    bool sha1 = method.find("sha1") != std::string::npos;
    for (xmlNode* ref : children(si, kNsDs, "Reference"))
        sha1 = sha1 || attr(child(ref, kNsDs, "DigestMethod"), "Algorithm").find("sha1") != std::string::npos;
    if (sha1 && !legacy.sha1)
        return err(Status::saml_legacy_algorithm, std::string(where) + " signature uses SHA-1 (" + method + ")");
    return {};
}

Result<void> check_encryption_algorithms(xmlNode* encrypted, const SamlLegacy& legacy) {
    xmlNode* data = child(encrypted, kNsXenc, "EncryptedData");
    std::string content = attr(child(data, kNsXenc, "EncryptionMethod"), "Algorithm");
    if (content.find("-cbc") != std::string::npos && !legacy.xmlenc_cbc)
        return err(Status::saml_legacy_algorithm, std::string(name_of(encrypted)) + " uses CBC (" + content + ")");
    std::vector<xmlNode*> keys = children(encrypted, kNsXenc, "EncryptedKey");
    if (xmlNode* ki = child(data, kNsDs, "KeyInfo")) {
        auto more = children(ki, kNsXenc, "EncryptedKey");
        keys.insert(keys.end(), more.begin(), more.end());
    }
    for (xmlNode* k : keys) {
        std::string transport = attr(child(k, kNsXenc, "EncryptionMethod"), "Algorithm");
        if (transport.find("rsa-1_5") != std::string::npos && !legacy.rsa1_5)
            return err(Status::saml_legacy_algorithm, "EncryptedKey uses RSA PKCS#1 v1.5 (" + transport + ")");
    }
    return {};
}

Result<void> check_signatures(const SamlIdpSettings& idp, LassoProfile* profile, const DecodedResponse& r,
                              xmlNode* assertion_xml) {
    // Lasso verified every signature present: a response signature counts
    // when Lasso reports it good, an assertion's when it is there.
    bool response_signed = profile->signature_status == 0 && signature_of(r.root) != nullptr;
    bool assertion_signed = assertion_xml && signature_of(assertion_xml) != nullptr;
    if (auto ok = check_signature_policy(idp.policy, response_signed, assertion_signed); !ok) return ok;
    if (response_signed)
        if (auto ok = check_signature_algorithms(signature_of(r.root), idp.legacy, "response"); !ok) return ok;
    if (assertion_signed)
        if (auto ok = check_signature_algorithms(signature_of(assertion_xml), idp.legacy, "assertion"); !ok) return ok;
    if (!r.encrypted.empty())
        if (auto ok = check_encryption_algorithms(r.encrypted.front(), idp.legacy); !ok) return ok;
    if (xmlNode* eid = child(child(assertion_xml, kNsSaml, "Subject"), kNsSaml, "EncryptedID"))
        if (auto ok = check_encryption_algorithms(eid, idp.legacy); !ok) return ok;
    return {};
}

// ---- after Lasso: issuer, times, audience, subject ---------------------------

Result<void> check_issuer_and_destination(const LassoSaml2Assertion* assertion, const std::string& issuer,
                                          xmlNode* root, const std::string& acs_url) {
    if (!assertion->Issuer || !assertion->Issuer->content || issuer != assertion->Issuer->content)
        return err(Status::saml_issuer_mismatch, "the assertion's issuer is not the responding IdP");
    if (has_attr(root, "Destination") && attr(root, "Destination") != acs_url)
        return err(Status::saml_destination_mismatch, "Destination is not this SP's ACS URL");
    return {};
}

Result<void> check_window(const char* not_before, const char* not_on_or_after, std::int64_t now, std::int64_t skew,
                          const char* what) {
    if (not_before) {
        auto t = parse_saml_time(not_before);
        if (!t) return t.error();
        if (now + skew < t.value())
            return err(Status::saml_too_early,
                       std::string(what) + " NotBefore is " + std::to_string(t.value() - now) + " s ahead");
    }
    if (not_on_or_after) {
        auto t = parse_saml_time(not_on_or_after);
        if (!t) return t.error();
        if (now - skew >= t.value())
            return err(Status::saml_too_late,
                       std::string(what) + " NotOnOrAfter passed " + std::to_string(now - t.value()) + " s ago");
    }
    return {};
}

Result<void> check_conditions(const LassoSaml2Conditions* cond, const std::string& sp_entity_id, std::int64_t now,
                              std::int64_t skew) {
    if (!cond) return err(Status::saml_audience_mismatch, "the assertion has no Conditions (no audience)");
    if (auto ok = check_window(cond->NotBefore, cond->NotOnOrAfter, now, skew, "Conditions"); !ok) return ok;
    if (!cond->AudienceRestriction) return err(Status::saml_audience_mismatch, "no AudienceRestriction");
    for (GList* a = cond->AudienceRestriction; a; a = a->next) {
        auto* ar = LASSO_SAML2_AUDIENCE_RESTRICTION(a->data);
        // Every restriction must admit this SP (SAML core 2.5.1.4).
        if (!ar->Audience || sp_entity_id != ar->Audience)
            return err(Status::saml_audience_mismatch, "the audience is not this SP's entity ID");
    }
    return {};
}

Result<BearerConfirmation> check_bearer(const LassoSaml2Subject* subject, const std::string& acs_url, std::int64_t now,
                                        std::int64_t skew) {
    if (!subject || !subject->NameID) return err(Status::saml_missing_name_id, "the assertion has no NameID");
    LassoSaml2SubjectConfirmation* sc = subject->SubjectConfirmation;
    if (!sc || !sc->Method || std::strcmp(sc->Method, kBearer) != 0 || !sc->SubjectConfirmationData)
        return err(Status::saml_subject_confirmation, "no bearer SubjectConfirmation with data");
    LassoSaml2SubjectConfirmationData* scd = sc->SubjectConfirmationData;
    if (!scd->Recipient || acs_url != scd->Recipient)
        return err(Status::saml_recipient_mismatch, "Recipient is not this SP's ACS URL");
    if (!scd->NotOnOrAfter) return err(Status::saml_subject_confirmation, "the bearer confirmation has no NotOnOrAfter");
    if (scd->NotBefore) return err(Status::saml_subject_confirmation, "a bearer confirmation must not have NotBefore");
    if (auto ok = check_window(nullptr, scd->NotOnOrAfter, now, skew, "SubjectConfirmationData"); !ok) return ok.error();
    return BearerConfirmation{scd->InResponseTo, parse_saml_time(scd->NotOnOrAfter).value()};
}

Result<void> check_in_response_to(const char* response_irt, const char* confirmation_irt, const std::string& request_id,
                                  bool allow_unsolicited) {
    if (!request_id.empty()) {
        if (!response_irt && !confirmation_irt) return err(Status::saml_in_response_to, "the response names no request");
        for (const char* irt : {response_irt, confirmation_irt})
            if (irt && request_id != irt) return err(Status::saml_in_response_to, "InResponseTo is not our request");
        return {};
    }
    if (response_irt || confirmation_irt)
        return err(Status::saml_in_response_to, "a response to a request this browser did not start");
    if (!allow_unsolicited) return err(Status::saml_unsolicited, "IdP-initiated sign-in is off for this IdP");
    return {};
}

Result<LassoSaml2AuthnStatement*> check_authn_statement(const LassoSaml2Assertion* assertion, std::int64_t now,
                                                        std::int64_t skew) {
    if (!assertion->AuthnStatement) return err(Status::saml_malformed, "the assertion has no AuthnStatement");
    auto* authn = LASSO_SAML2_AUTHN_STATEMENT(assertion->AuthnStatement->data);
    if (auto ok = check_window(nullptr, authn->SessionNotOnOrAfter, now, skew, "AuthnStatement Session"); !ok)
        return ok.error();
    return authn;
}

Result<std::string> read_name_id(const LassoSaml2Assertion* assertion, xmlNode* assertion_xml,
                                 const std::string& sp_entity_id) {
    LassoSaml2NameID* nid = assertion->Subject->NameID;
    std::string name_id = nid->content ? nid->content : "";
    if (xmlNode* n = child(child(assertion_xml, kNsSaml, "Subject"), kNsSaml, "NameID")) name_id = text_of(n);
    if (name_id.empty()) return err(Status::saml_missing_name_id, "the NameID is empty");
    if (!safe_text(name_id)) return err(Status::saml_malformed, "the NameID has control characters");
    if (nid->SPNameQualifier && sp_entity_id != nid->SPNameQualifier)
        return err(Status::saml_audience_mismatch, "the NameID's SPNameQualifier is not this SP");
    return name_id;
}

// ---- after Lasso: replay, identity -------------------------------------------

Result<void> consume_assertion(ReplayCache& replay, const std::string& issuer, const char* assertion_id,
                               std::int64_t until, std::int64_t skew) {
    if (!assertion_id || !*assertion_id) return err(Status::saml_malformed, "the assertion has no ID");
    auto first_use = replay.first_use("saml", issuer + "\n" + assertion_id, until + skew + 1);
    if (!first_use) return first_use.error();
    if (!first_use.value()) return err(Status::saml_replayed, "assertion already used");
    return {};
}

SamlLogin read_identity(const LassoSaml2Assertion* assertion, xmlNode* assertion_xml,
                        const LassoSaml2AuthnStatement* authn, const std::string& issuer, const std::string& name_id,
                        const SamlIdpSettings& idp, std::int64_t now) {
    const LassoSaml2NameID* nid = assertion->Subject->NameID;
    SamlLogin out;
    out.name_id = name_id;
    out.name_id_format = nid->Format ? nid->Format : "";
    out.session_index = authn->SessionIndex ? authn->SessionIndex : "";
    Identity& id = out.identity;
    id.subject = name_id;
    id.issuer = issuer;
    id.name_id = out.name_id;
    id.name_id_format = out.name_id_format;
    id.session_index = out.session_index;
    id.attributes = read_attributes(assertion_xml);
    if (out.name_id_format == kEmailFormat) id.email = name_id;
    apply_attribute_roles(id, idp);
    id.auth_time = now;
    if (authn->AuthnInstant)
        if (auto t = parse_saml_time(authn->AuthnInstant)) id.auth_time = t.value();
    if (authn->SessionNotOnOrAfter)
        if (auto t = parse_saml_time(authn->SessionNotOnOrAfter)) id.expiry = t.value();
    return out;
}

}  // namespace hdsso::samlxml
