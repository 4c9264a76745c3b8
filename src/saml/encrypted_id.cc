#include "saml/encrypted_id.h"

#include <utility>

#include <xmlsec/crypto.h>
#include <xmlsec/xmlenc.h>

#include "saml/xml.h"

namespace hdsso::samlxml {

namespace {

using XmlSecKeyPtr = CPtr<xmlSecKey, xmlSecKeyDestroy>;
using XmlSecEncCtxPtr = CPtr<xmlSecEncCtx, xmlSecEncCtxDestroy>;

// Decrypts an EncryptedID where it stands: xmlsec puts the plaintext in place
// of the EncryptedData, read in the EncryptedID's context (XML Encryption
// 4.4.3), so a "saml:NameID" relying on the response's own namespace
// declarations is read as the NameID it is. Lasso decrypts in a document of
// its own, where such a plaintext does not parse.
//
// The content key is decrypted with each SP key in turn (the current key,
// then the next one during a key rollover), as Lasso does with its list.
Result<xmlNode*> decrypt_in_place(xmlNode* encrypted_id, const std::vector<const std::string*>& sp_keys) {
    xmlNode* data = child(encrypted_id, kNsXenc, "EncryptedData");
    if (!data) return err(Status::saml_decryption_failed, "the EncryptedID has no EncryptedData");
    xmlNode* key = child(encrypted_id, kNsXenc, "EncryptedKey");
    if (!key) key = child(child(data, kNsDs, "KeyInfo"), kNsXenc, "EncryptedKey");
    if (!key) return err(Status::saml_decryption_failed, "the EncryptedID has no EncryptedKey");
    if (attr(child(data, kNsXenc, "EncryptionMethod"), "Algorithm").find("#aes") == std::string::npos)
        return err(Status::saml_decryption_failed, "the EncryptedID is not AES-encrypted");
    if (sp_keys.empty()) return err(Status::saml_decryption_failed, "no SP key to decrypt the EncryptedID");

    // A wrong SP key may still yield some AES key (RSA 1.5 under OpenSSL's
    // implicit rejection): the next key is tried until the data decrypts.
    bool any_key = false, decrypted = false;
    for (const std::string* sp_key_pem : sp_keys) {
        XmlSecKeyPtr sp_key(xmlSecCryptoAppKeyLoadMemory(reinterpret_cast<const xmlSecByte*>(sp_key_pem->data()),
                                                         sp_key_pem->size(), xmlSecKeyDataFormatPem, nullptr, nullptr,
                                                         nullptr));
        XmlSecEncCtxPtr key_ctx(xmlSecEncCtxCreate(nullptr));
        if (!sp_key || !key_ctx) return err(Status::internal, "xmlsec: cannot load the SP key");
        key_ctx->encKey = sp_key.release();  // the context owns it now
        key_ctx->mode = xmlEncCtxModeEncryptedKey;
        xmlSecBufferPtr raw = xmlSecEncCtxDecryptToBuffer(key_ctx.get(), key);  // owned by key_ctx
        XmlSecKeyPtr content_key(raw ? xmlSecKeyReadBuffer(xmlSecKeyDataAesId, raw) : nullptr);
        if (!content_key) continue;
        any_key = true;
        XmlSecEncCtxPtr data_ctx(xmlSecEncCtxCreate(nullptr));
        if (!data_ctx) return err(Status::internal, "xmlsec: no context");
        data_ctx->encKey = content_key.release();
        data_ctx->mode = xmlEncCtxModeEncryptedData;
        if (xmlSecEncCtxDecrypt(data_ctx.get(), data) >= 0 && data_ctx->result) {
            decrypted = true;
            break;
        }
    }
    if (!any_key)
        return err(Status::saml_decryption_failed, sp_keys.size() > 1
                                                       ? "the EncryptedID's key decrypts with neither SP key"
                                                       : "the EncryptedID's key does not decrypt with the SP key");
    if (!decrypted) return err(Status::saml_decryption_failed, "the EncryptedID does not decrypt");
    std::vector<xmlNode*> ids = children(encrypted_id, kNsSaml, "NameID");
    std::size_t elements = 0;
    for (xmlNode* c = encrypted_id->children; c; c = c->next) elements += c->type == XML_ELEMENT_NODE;
    if (ids.size() != 1 || elements != 1)
        return err(Status::saml_missing_name_id, "the EncryptedID does not hold exactly one NameID");
    return ids.front();
}

}  // namespace

bool subject_has_encrypted_id(const std::vector<xmlNode*>& plain) {
    return plain.size() == 1 && child(child(plain.front(), kNsSaml, "Subject"), kNsSaml, "EncryptedID");
}

Result<void> rebuild_subject(LassoProfile* profile, LassoServer* server, LassoSaml2Assertion* assertion, xmlNode* root,
                             const std::vector<xmlNode*>& plain, const SamlSpSettings& sp) {
    auto refuse = [](const std::string& why) { return err(Status::saml_missing_name_id, "the Subject: " + why); };
    if (!subject_has_encrypted_id(plain)) return refuse("no EncryptedID");
    if (profile->signature_status != 0 || !signature_of(root)) {
        if (!signature_of(plain.front())) return err(Status::saml_unsigned, "neither the response nor the assertion is signed");
        LassoProvider* idp = lasso_server_get_provider(server, profile->remote_providerID);
        if (!idp) return err(Status::saml_unknown_idp, "the issuer is not a configured IdP");
        if (int rc = lasso_provider_verify_single_node_signature(idp, LASSO_NODE(assertion), "ID"); rc != 0)
            return lasso_error(rc, "the assertion's signature");
    }
    xmlNode* s = child(plain.front(), kNsSaml, "Subject");

    struct NodeRef {
        LassoNode* n = nullptr;
        ~NodeRef() { if (n) g_object_unref(n); }
    };
    NodeRef name_id, confirmation;
    xmlNode* encrypted_id = nullptr;
    for (xmlNode* c = s->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        if (is(c, kNsSaml, "EncryptedID") && !encrypted_id && !name_id.n) {
            std::vector<const std::string*> keys;
            for (const std::string* k : {&sp.key_pem, &sp.next_key_pem})
                if (!k->empty()) keys.push_back(k);
            auto decrypted = decrypt_in_place(c, keys);
            if (!decrypted) return decrypted.error();
            encrypted_id = c;
            name_id.n = lasso_node_new_from_xmlNode(decrypted.value());
        } else if (is(c, kNsSaml, "SubjectConfirmation") && !confirmation.n) {
            confirmation.n = lasso_node_new_from_xmlNode(c);
        } else {
            return refuse(std::string("unexpected or repeated ") + name_of(c));
        }
    }
    if (!LASSO_IS_SAML2_NAME_ID(name_id.n) || !LASSO_IS_SAML2_SUBJECT_CONFIRMATION(confirmation.n))
        return refuse("Lasso cannot read the decrypted NameID or the SubjectConfirmation");
    LassoSaml2Subject* subject = LASSO_SAML2_SUBJECT(lasso_saml2_subject_new());
    subject->NameID = LASSO_SAML2_NAME_ID(std::exchange(name_id.n, nullptr));
    subject->SubjectConfirmation = LASSO_SAML2_SUBJECT_CONFIRMATION(std::exchange(confirmation.n, nullptr));
    if (assertion->Subject) g_object_unref(assertion->Subject);
    assertion->Subject = subject;  // the assertion owns it from here
    return {};
}

}  // namespace hdsso::samlxml
