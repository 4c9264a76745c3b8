#include "saml/saml.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include <openssl/evp.h>

#include "core/crypto.h"
#include "core/text.h"
#include "saml/attributes.h"
#include "saml/encrypted_id.h"
#include "saml/lasso.h"
#include "saml/metadata.h"
#include "saml/sp_server.h"
#include "saml/xml.h"

namespace hdsso {

using namespace samlxml;

namespace {

// ---- algorithm policy ------------------------------------------------------------------

Result<void> check_signature_algorithms(xmlNode* sig, const SamlLegacy& legacy, const char* where) {
    xmlNode* si = child(sig, kNsDs, "SignedInfo");
    std::string method = attr(child(si, kNsDs, "SignatureMethod"), "Algorithm");
    std::vector<std::string> digests;
    for (xmlNode* ref : children(si, kNsDs, "Reference")) digests.push_back(attr(child(ref, kNsDs, "DigestMethod"), "Algorithm"));
    bool sha1 = method.find("sha1") != std::string::npos;
    for (const auto& d : digests) sha1 = sha1 || d.find("sha1") != std::string::npos;
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

}  // namespace

// ---- public helpers -------------------------------------------------------------------------

Result<SamlLegacy> parse_saml_legacy(std::string_view list) {
    SamlLegacy l;
    std::size_t pos = 0;
    while (pos <= list.size()) {
        std::size_t end = list.find(',', pos);
        if (end == std::string_view::npos) end = list.size();
        std::string_view item = list.substr(pos, end - pos);
        if (item == "sha1") l.sha1 = true;
        else if (item == "rsa1024") l.rsa1024 = true;
        else if (item == "xmlenc-cbc") l.xmlenc_cbc = true;
        else if (item == "rsa1_5") l.rsa1_5 = true;
        else if (item == "expired-cert" || item.empty()) {}
        else return err(Status::config_invalid, "unknown legacy allowance '" + std::string(item) +
                                                    "' (sha1, rsa1024, xmlenc-cbc, rsa1_5, expired-cert)");
        pos = end + 1;
    }
    return l;
}

Result<std::int64_t> parse_saml_time(std::string_view t) {
    auto digits = [&](std::size_t at, std::size_t n, int& out) {
        if (at + n > t.size()) return false;
        out = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (t[i] < '0' || t[i] > '9') return false;
            out = out * 10 + (t[i] - '0');
        }
        return true;
    };
    int y, mo, d, h, mi, s;
    if (!digits(0, 4, y) || t.size() < 20 || t[4] != '-' || !digits(5, 2, mo) || t[7] != '-' || !digits(8, 2, d) ||
        t[10] != 'T' || !digits(11, 2, h) || t[13] != ':' || !digits(14, 2, mi) || t[16] != ':' || !digits(17, 2, s))
        return err(Status::saml_malformed, "not an xs:dateTime: " + std::string(t.substr(0, 40)));
    std::size_t i = 19;
    if (i < t.size() && t[i] == '.') {
        ++i;
        std::size_t start = i;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
        if (i == start) return err(Status::saml_malformed, "bad fraction in " + std::string(t.substr(0, 40)));
    }
    if (i + 1 != t.size() || t[i] != 'Z')
        return err(Status::saml_malformed, "time must be UTC ('Z'): " + std::string(t.substr(0, 40)));
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return err(Status::saml_malformed, "time out of range: " + std::string(t));
    // Days from civil (Howard Hinnant's algorithm).
    int yy = y - (mo <= 2);
    int era = (yy >= 0 ? yy : yy - 399) / 400;
    unsigned yoe = static_cast<unsigned>(yy - era * 400);
    unsigned doy = static_cast<unsigned>((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    std::int64_t days = static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
    return days * 86400 + h * 3600 + mi * 60 + s;
}

namespace {
// Lasso reports through GLib's log as well as through return codes; the
// codes become named errors here, so its messages are not printed.
void drop_lasso_message(const gchar*, GLogLevelFlags, const gchar*, gpointer) {}
}  // namespace

void saml_library_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        lasso_init();
        g_log_set_handler("Lasso", static_cast<GLogLevelFlags>(G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION),
                          drop_lasso_message, nullptr);
    });
}

SamlSp::SamlSp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SamlSp::~SamlSp() = default;

Result<std::shared_ptr<SamlSp>> SamlSp::create(SamlSpSettings sp, std::vector<SamlIdpSettings> idps) {
    saml_library_init();
    if (auto ok = check_sp_settings(sp); !ok) return ok.error();
    if (idps.empty()) return err(Status::saml_no_certificate, "no identity provider is configured");
    auto impl = std::make_unique<Impl>();
    impl->sp = sp;
    auto server = new_sp_server(sp);
    if (!server) return server.error();
    impl->server = std::move(server.value());
    for (auto& idp : idps) {
        auto metadata = idp_entity_descriptor(idp);
        if (!metadata) return metadata.error();
        int rc = lasso_server_add_provider_from_buffer(impl->server.get(), LASSO_PROVIDER_ROLE_IDP, metadata.value().c_str(),
                                                       nullptr, nullptr);
        if (rc != 0)
            return err(Status::config_invalid, "IdP " + idp.entity_id + ": Lasso refused the metadata: " + lasso_strerror(rc));
        impl->idps[idp.entity_id] = idp;
    }
    return std::shared_ptr<SamlSp>(new SamlSp(std::move(impl)));
}

std::string SamlSp::metadata() const { return sp_metadata(impl_->sp); }

Result<void> saml_fingerprint_check(std::string_view text) {
    auto fp = parse_fingerprint(std::string(text));
    if (!fp) return fp.error();
    return {};
}

std::string saml_response_issuer(std::string_view message) {
    std::size_t first = message.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    std::string xml;
    if (message[first] == '<') {
        xml = std::string(message.substr(first));
    } else {
        auto decoded = base64_decode_lenient(message);
        if (!decoded) return {};
        xml = std::move(decoded.value());
    }
    if (xml.size() > kMaxMessage) return {};
    auto parsed = parse_untrusted_xml(xml, Status::saml_malformed, "the SAMLResponse");
    if (!parsed) return {};
    XmlDocPtr doc = std::move(parsed.value());
    xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
    if (!is(root, kNsSamlp, "Response")) return {};
    xmlNode* issuer = child(root, kNsSaml, "Issuer");
    if (!issuer) issuer = child(child(root, kNsSaml, "Assertion"), kNsSaml, "Issuer");
    return issuer ? text_of(issuer) : std::string();
}

std::vector<std::string> SamlSp::idp_entity_ids() const {
    std::vector<std::string> out;
    for (const auto& [entity, settings] : impl_->idps) out.push_back(entity);
    return out;
}

Result<SamlAuthnRequest> SamlSp::authn_request(const std::string& relay_state, const std::string& idp_entity_id) const {
    std::string idp = idp_entity_id;
    if (idp.empty()) {
        if (impl_->idps.size() != 1) return err(Status::config_invalid, "several IdPs: name the one to use");
        idp = impl_->idps.begin()->first;
    }
    if (!impl_->idps.count(idp)) return err(Status::saml_unknown_idp, "IdP '" + idp.substr(0, 200) + "' is not configured");
    LassoLogin* login = lasso_login_new(impl_->server.get());
    if (!login) return err(Status::internal, "lasso_login_new failed");
    struct LoginGuard {
        LassoLogin* l;
        ~LoginGuard() { lasso_login_destroy(l); }
    } guard{login};
    LassoProfile* profile = LASSO_PROFILE(login);
    // Signed with the SP key when there is one; never an attempt without.
    lasso_profile_set_signature_hint(profile, impl_->sp.key_pem.empty() ? LASSO_PROFILE_SIGNATURE_HINT_FORBID
                                                                        : LASSO_PROFILE_SIGNATURE_HINT_FORCE);
    int rc = lasso_login_init_authn_request(login, idp.c_str(), LASSO_HTTP_METHOD_REDIRECT);
    if (rc != 0) return err(Status::config_invalid, std::string("Lasso: ") + lasso_strerror(rc));
    auto* request = LASSO_SAMLP2_AUTHN_REQUEST(profile->request);
    request->ForceAuthn = impl_->sp.force_authn ? TRUE : FALSE;
    if (request->NameIDPolicy) {
        g_free(request->NameIDPolicy->Format);
        request->NameIDPolicy->Format = g_strdup(impl_->sp.name_id_format.c_str());
        request->NameIDPolicy->AllowCreate = TRUE;
    }
    g_free(request->ProtocolBinding);
    request->ProtocolBinding = g_strdup("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST");
    g_free(request->AssertionConsumerServiceURL);
    request->AssertionConsumerServiceURL = g_strdup(impl_->sp.acs_url.c_str());
    if (!relay_state.empty()) {
        g_free(profile->msg_relayState);
        profile->msg_relayState = g_strdup(relay_state.c_str());
    }
    rc = lasso_login_build_authn_request_msg(login);
    if (rc != 0 || !profile->msg_url) return err(Status::config_invalid, std::string("Lasso: ") + lasso_strerror(rc));
    SamlAuthnRequest out;
    out.url = profile->msg_url;
    out.id = LASSO_SAMLP2_REQUEST_ABSTRACT(profile->request)->ID ? LASSO_SAMLP2_REQUEST_ABSTRACT(profile->request)->ID : "";
    if (out.id.empty()) return err(Status::internal, "the AuthnRequest has no ID");
    return out;
}

Result<SamlLogin> SamlSp::process_response(std::string_view message, std::int64_t now, const std::string& request_id,
                                           ReplayCache& replay) const {
    // The message: base64 as posted, or (CLI) the XML itself.
    std::size_t first = message.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return err(Status::saml_malformed, "the SAMLResponse is blank");
    if (message.size() > kMaxMessage * 4 / 3 + 4096) return err(Status::saml_malformed, "the SAMLResponse is too large");
    std::string xml, b64;
    if (message[first] == '<') {
        xml = std::string(message.substr(first));
        b64 = base64_encode_std(xml);
    } else {
        auto decoded = base64_decode_lenient(message);
        if (!decoded) return decoded.error();
        xml = std::move(decoded.value());
        b64 = base64_encode_std(xml);
    }
    if (xml.size() > kMaxMessage) return err(Status::saml_malformed, "the SAMLResponse is too large");
    // Our own view of the outer structure (same bytes, same parser), and
    // the DOCTYPE gate: Lasso sees nothing this parse refuses.
    auto parsed = parse_untrusted_xml(xml, Status::saml_malformed, "the SAMLResponse");
    if (!parsed) return parsed.error();
    XmlDocPtr doc = std::move(parsed.value());
    xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
    if (!is(root, kNsSamlp, "Response")) return err(Status::saml_malformed, "not a samlp:Response");
    auto plain = children(root, kNsSaml, "Assertion");
    auto encrypted = children(root, kNsSaml, "EncryptedAssertion");
    if (plain.size() + encrypted.size() != 1)
        return err(Status::saml_assertion_count,
                   std::to_string(plain.size() + encrypted.size()) + " assertions in the response");

    // An IdP known by its certificate's fingerprint: the certificate comes in
    // the response's KeyInfo and must match; Lasso then checks the signature
    // with it, in a server of its own for this response.
    LassoServer* server = impl_->server.get();
    LassoServerPtr own_server;
    xmlNode* claimed_issuer = child(root, kNsSaml, "Issuer");
    if (!claimed_issuer && !plain.empty()) claimed_issuer = child(plain.front(), kNsSaml, "Issuer");
    if (auto it = impl_->idps.find(text_of(claimed_issuer));
        it != impl_->idps.end() && it->second.metadata_xml.empty() && it->second.cert_pem.empty()) {
        const SamlIdpSettings& fp_idp = it->second;
        auto fp = parse_fingerprint(fp_idp.cert_fingerprint);
        if (!fp) return fp.error();
        std::string match;
        std::vector<xmlNode*> signatures{signature_of(root)};
        if (!plain.empty()) signatures.push_back(signature_of(plain.front()));
        for (xmlNode* sig : signatures) {
            xmlNode* data = child(child(sig, kNsDs, "KeyInfo"), kNsDs, "X509Data");
            for (xmlNode* c : children(data, kNsDs, "X509Certificate")) {
                std::string b64 = text_of(c);
                auto der = base64_decode_lenient(b64);
                if (match.empty() && der && constant_time_equal(der_digest(der.value(), fp.value().first), fp.value().second))
                    match = b64;
            }
        }
        if (match.empty())
            return err(Status::saml_bad_signature, "no certificate in the response matches the configured fingerprint");
        int bits = cert_bits(match);
        if (bits < 2048 && !fp_idp.legacy.rsa1024)
            return err(Status::saml_legacy_algorithm, "the IdP's signing key has " + std::to_string(bits) + " bits");
        SamlIdpSettings with_cert = fp_idp;
        with_cert.cert_pem = "-----BEGIN CERTIFICATE-----\n" + match + "\n-----END CERTIFICATE-----\n";
        auto made = new_sp_server(impl_->sp);
        if (!made) return made.error();
        own_server = std::move(made.value());
        std::string md = idp_metadata(with_cert);
        if (int rc = lasso_server_add_provider_from_buffer(own_server.get(), LASSO_PROVIDER_ROLE_IDP, md.c_str(), nullptr,
                                                           nullptr);
            rc != 0)
            return err(Status::saml_bad_signature, std::string("the response's certificate: Lasso: ") + lasso_strerror(rc));
        server = own_server.get();
    }

    // Lasso: parse, verify signatures, decrypt.
    LassoLogin* login = lasso_login_new(server);
    if (!login) return err(Status::internal, "lasso_login_new failed");
    struct LoginGuard {
        LassoLogin* l;
        ~LoginGuard() { lasso_login_destroy(l); }
    } guard{login};
    int rc = lasso_login_process_authn_response_msg(login, const_cast<char*>(b64.c_str()));
    LassoProfile* profile = LASSO_PROFILE(login);
    std::string issuer = profile->remote_providerID ? profile->remote_providerID : "";
    switch (rc) {
    case 0: break;
    case LASSO_PROFILE_ERROR_MISSING_ASSERTION:
        if (!encrypted.empty()) return err(Status::saml_decryption_failed, std::string("Lasso: ") + lasso_strerror(rc));
        return err(Status::saml_assertion_count, std::string("Lasso: ") + lasso_strerror(rc));
    case LASSO_DS_ERROR_DECRYPTION_FAILED:
    case LASSO_DS_ERROR_DECRYPTION_FAILED_MISSING_PRIVATE_KEY:
    case LASSO_PROFILE_ERROR_MISSING_ENCRYPTION_PRIVATE_KEY:
    case LASSO_DS_ERROR_ENCRYPTION_FAILED:  // Lasso's code when the session key does not decrypt
    case LASSO_XMLENC_ERROR_INVALID_ENCRYPTED_DATA:
        if (!encrypted.empty() || subject_has_encrypted_id(plain)) return err(Status::saml_decryption_failed, std::string("Lasso: ") + lasso_strerror(rc));
        return err(Status::saml_assertion_count, std::string("Lasso: ") + lasso_strerror(rc));
    case LASSO_PROFILE_ERROR_MISSING_SUBJECT:
    case LASSO_XML_ERROR_OBJECT_CONSTRUCTION_FAILED:
        // An EncryptedID Lasso could not read: read again below, once the
        // IdP and the algorithms are checked.
        if (subject_has_encrypted_id(plain) && LASSO_IS_SAMLP2_RESPONSE(profile->response)) break;
        if (rc == LASSO_PROFILE_ERROR_MISSING_SUBJECT)
            return err(Status::saml_missing_name_id, std::string("Lasso: ") + lasso_strerror(rc));
        return lasso_error(rc, "the response");
    default:
        return lasso_error(rc, "the response");
    }
    auto idp_it = impl_->idps.find(issuer);
    if (idp_it == impl_->idps.end()) return err(Status::saml_unknown_idp, "the issuer is not a configured IdP");
    const SamlIdpSettings& idp = idp_it->second;
    auto* response = LASSO_SAMLP2_RESPONSE(profile->response);
    auto* sr = LASSO_SAMLP2_STATUS_RESPONSE(profile->response);
    if (!sr->Status || !sr->Status->StatusCode || !sr->Status->StatusCode->Value ||
        std::strcmp(sr->Status->StatusCode->Value, kSuccess) != 0)
        return err(Status::saml_not_authorized, "the IdP's status is not Success");
    if (g_list_length(response->Assertion) != 1)
        return err(Status::saml_assertion_count, "Lasso holds " + std::to_string(g_list_length(response->Assertion)) +
                                                     " assertions");
    auto* assertion = LASSO_SAML2_ASSERTION(response->Assertion->data);
    xmlNode* assertion_xml = plain.empty() ? lasso_node_get_original_xmlnode(LASSO_NODE(assertion)) : plain.front();

    // Signature policy and algorithms.
    bool response_signed = profile->signature_status == 0 && signature_of(root) != nullptr;
    bool assertion_signed = assertion_xml && signature_of(assertion_xml) != nullptr;
    bool policy_ok = idp.policy == SamlSignaturePolicy::assertion ? assertion_signed
                     : idp.policy == SamlSignaturePolicy::response ? response_signed
                     : idp.policy == SamlSignaturePolicy::both     ? response_signed && assertion_signed
                                                                    : response_signed || assertion_signed;
    if (!policy_ok)
        return err(Status::saml_unsigned, std::string("signed: response ") + (response_signed ? "yes" : "no") +
                                              ", assertion " + (assertion_signed ? "yes" : "no"));
    if (response_signed)
        if (auto r = check_signature_algorithms(signature_of(root), idp.legacy, "response"); !r) return r.error();
    if (assertion_signed)
        if (auto r = check_signature_algorithms(signature_of(assertion_xml), idp.legacy, "assertion"); !r)
            return r.error();
    if (!encrypted.empty())
        if (auto r = check_encryption_algorithms(encrypted.front(), idp.legacy); !r) return r.error();
    if (xmlNode* eid = child(child(assertion_xml, kNsSaml, "Subject"), kNsSaml, "EncryptedID"))
        if (auto r = check_encryption_algorithms(eid, idp.legacy); !r) return r.error();
    if (rc != 0)
        if (auto r = rebuild_subject(profile, server, assertion, root, plain, impl_->sp.key_pem); !r) return r.error();

    // Issuer, destination.
    if (!assertion->Issuer || !assertion->Issuer->content || issuer != assertion->Issuer->content)
        return err(Status::saml_issuer_mismatch, "the assertion's issuer is not the responding IdP");
    if (has_attr(root, "Destination") && attr(root, "Destination") != impl_->sp.acs_url)
        return err(Status::saml_destination_mismatch, "Destination is not this SP's ACS URL");

    // Times.
    auto window = [&](const char* not_before, const char* not_on_or_after, const char* what) -> Result<void> {
        if (not_before) {
            auto t = parse_saml_time(not_before);
            if (!t) return t.error();
            if (now + idp.skew < t.value())
                return err(Status::saml_too_early, std::string(what) + " NotBefore is " +
                                                       std::to_string(t.value() - now) + " s ahead");
        }
        if (not_on_or_after) {
            auto t = parse_saml_time(not_on_or_after);
            if (!t) return t.error();
            if (now - idp.skew >= t.value())
                return err(Status::saml_too_late, std::string(what) + " NotOnOrAfter passed " +
                                                      std::to_string(now - t.value()) + " s ago");
        }
        return {};
    };
    LassoSaml2Conditions* cond = assertion->Conditions;
    if (!cond) return err(Status::saml_audience_mismatch, "the assertion has no Conditions (no audience)");
    if (auto r = window(cond->NotBefore, cond->NotOnOrAfter, "Conditions"); !r) return r.error();
    bool audience_ok = false;
    if (!cond->AudienceRestriction) return err(Status::saml_audience_mismatch, "no AudienceRestriction");
    for (GList* a = cond->AudienceRestriction; a; a = a->next) {
        auto* ar = LASSO_SAML2_AUDIENCE_RESTRICTION(a->data);
        // Every restriction must admit this SP (SAML core 2.5.1.4).
        if (!ar->Audience || impl_->sp.entity_id != ar->Audience)
            return err(Status::saml_audience_mismatch, "the audience is not this SP's entity ID");
        audience_ok = true;
    }
    if (!audience_ok) return err(Status::saml_audience_mismatch, "no audience");

    // Subject and bearer confirmation.
    LassoSaml2Subject* subject = assertion->Subject;
    if (!subject || !subject->NameID) return err(Status::saml_missing_name_id, "the assertion has no NameID");
    LassoSaml2SubjectConfirmation* sc = subject->SubjectConfirmation;
    if (!sc || !sc->Method || std::strcmp(sc->Method, kBearer) != 0 || !sc->SubjectConfirmationData)
        return err(Status::saml_subject_confirmation, "no bearer SubjectConfirmation with data");
    LassoSaml2SubjectConfirmationData* scd = sc->SubjectConfirmationData;
    if (!scd->Recipient || impl_->sp.acs_url != scd->Recipient)
        return err(Status::saml_recipient_mismatch, "Recipient is not this SP's ACS URL");
    if (!scd->NotOnOrAfter) return err(Status::saml_subject_confirmation, "the bearer confirmation has no NotOnOrAfter");
    if (scd->NotBefore) return err(Status::saml_subject_confirmation, "a bearer confirmation must not have NotBefore");
    if (auto r = window(nullptr, scd->NotOnOrAfter, "SubjectConfirmationData"); !r) return r.error();

    // InResponseTo: solicited responses answer our request; unsolicited
    // ones only where allowed.
    const char* irt_response = sr->InResponseTo;
    const char* irt_scd = scd->InResponseTo;
    if (!request_id.empty()) {
        if (!irt_response && !irt_scd) return err(Status::saml_in_response_to, "the response names no request");
        for (const char* irt : {irt_response, irt_scd})
            if (irt && request_id != irt) return err(Status::saml_in_response_to, "InResponseTo is not our request");
    } else {
        if (irt_response || irt_scd) return err(Status::saml_in_response_to, "a response to a request this browser did not start");
        if (!idp.allow_unsolicited) return err(Status::saml_unsolicited, "IdP-initiated sign-in is off for this IdP");
    }

    // Authentication statement.
    if (!assertion->AuthnStatement) return err(Status::saml_malformed, "the assertion has no AuthnStatement");
    auto* authn = LASSO_SAML2_AUTHN_STATEMENT(assertion->AuthnStatement->data);
    if (auto r = window(nullptr, authn->SessionNotOnOrAfter, "AuthnStatement Session"); !r) return r.error();

    // NameID: the full text (a comment inside must not cut it short).
    LassoSaml2NameID* nid = subject->NameID;
    std::string name_id = nid->content ? nid->content : "";
    if (assertion_xml)
        if (xmlNode* s = child(assertion_xml, kNsSaml, "Subject"))
            if (xmlNode* n = child(s, kNsSaml, "NameID")) name_id = text_of(n);
    if (name_id.empty()) return err(Status::saml_missing_name_id, "the NameID is empty");
    if (!safe_text(name_id)) return err(Status::saml_malformed, "the NameID has control characters");
    if (nid->SPNameQualifier && impl_->sp.entity_id != nid->SPNameQualifier)
        return err(Status::saml_audience_mismatch, "the NameID's SPNameQualifier is not this SP");

    // Replay: the assertion ID, until the confirmation window has closed.
    if (!assertion->ID || !*assertion->ID) return err(Status::saml_malformed, "the assertion has no ID");
    auto until = parse_saml_time(scd->NotOnOrAfter).value();
    auto first_use = replay.first_use("saml", std::string(issuer) + "\n" + assertion->ID, until + idp.skew + 1);
    if (!first_use) return first_use.error();
    if (!first_use.value()) return err(Status::saml_replayed, "assertion already used");

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

}  // namespace hdsso
