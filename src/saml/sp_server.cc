#include "saml/sp_server.h"

#include <strings.h>

#include <cstring>
#include <utility>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "saml/xml.h"

namespace hdsso::samlxml {

namespace {

struct SigAlgInfo {
    SamlSignatureAlgorithm alg;
    const char* name;
    const char* uri;
    LassoSignatureMethod lasso;
};
constexpr SigAlgInfo kSigAlgs[] = {
    {SamlSignatureAlgorithm::rsa_sha256, "rsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
     LASSO_SIGNATURE_METHOD_RSA_SHA256},
    {SamlSignatureAlgorithm::rsa_sha384, "rsa-sha384", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
     LASSO_SIGNATURE_METHOD_RSA_SHA384},
    {SamlSignatureAlgorithm::rsa_sha512, "rsa-sha512", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
     LASSO_SIGNATURE_METHOD_RSA_SHA512},
    {SamlSignatureAlgorithm::rsa_sha1, "rsa-sha1", "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
     LASSO_SIGNATURE_METHOD_RSA_SHA1},
};
const SigAlgInfo& sig_alg(SamlSignatureAlgorithm a) {
    for (const auto& i : kSigAlgs)
        if (i.alg == a) return i;
    return kSigAlgs[0];
}
}  // namespace

namespace {

using PkeyPtr = CPtr<EVP_PKEY, EVP_PKEY_free>;

// An SP key pair's checks, for the current pair ("the SP key") or the next
// one ("the next SP key"): an unencrypted RSA PEM key and a PEM certificate
// that is the key's.
Result<void> check_pair(const std::string& key_pem, const std::string& cert_pem, const char* what,
                        SamlSignatureAlgorithm alg, PkeyPtr& key) {
    if (!key_pem.empty()) {
        CPtr<BIO, BIO_free> bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
        key.reset(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("")) : nullptr);
        if (!key) return err(Status::config_invalid, std::string(what) + " key is not an unencrypted PEM private key");
        if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA)
            return err(Status::config_invalid,
                       std::string(what) + " key is not RSA (" + saml_signature_algorithm_name(alg) + ")");
    }
    if (!cert_pem.empty()) {
        CPtr<BIO, BIO_free> bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
        CPtr<X509, X509_free> cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
        if (!cert) return err(Status::config_invalid, std::string(what) + " certificate is not a PEM certificate");
        if (key && X509_check_private_key(cert.get(), key.get()) != 1)
            return err(Status::config_invalid,
                       std::string(what) + " certificate is not " + what + " key's (they do not match)");
    }
    return {};
}

}  // namespace

Result<void> check_sp_settings(const SamlSpSettings& sp) {
    if (sp.entity_id.empty() || sp.acs_url.empty())
        return err(Status::config_invalid, "the SP needs an entity ID and an ACS URL");
    if (sp.name_id_format.empty()) return err(Status::config_invalid, "the SP's NameID format is empty");
    if (sp.signature_algorithm == SamlSignatureAlgorithm::rsa_sha1 && !sp.allow_sha1)
        return err(Status::config_invalid, "the SP would sign with rsa-sha1: that needs the sha1 legacy allowance");
    PkeyPtr key, next;
    if (auto ok = check_pair(sp.key_pem, sp.cert_pem, "the SP", sp.signature_algorithm, key); !ok) return ok;
    if (sp.next_key_pem.empty() && sp.next_cert_pem.empty()) return {};
    // Key rollover: a next key beside the current one; its certificate, when
    // the current one is published, published after it. (A site names all
    // four files; hdsso saml verify takes keys alone.)
    if (sp.next_key_pem.empty())
        return err(Status::config_invalid, "the next SP certificate has no next SP key beside it");
    if (sp.key_pem.empty()) return err(Status::config_invalid, "a next SP key needs the current SP key");
    if (!sp.cert_pem.empty() && sp.next_cert_pem.empty())
        return err(Status::config_invalid, "the next SP key has no next SP certificate beside it");
    if (sp.cert_pem.empty() && !sp.next_cert_pem.empty())
        return err(Status::config_invalid, "a next SP certificate needs the current SP certificate");
    if (auto ok = check_pair(sp.next_key_pem, sp.next_cert_pem, "the next SP", sp.signature_algorithm, next); !ok)
        return ok;
    if (EVP_PKEY_eq(key.get(), next.get()) == 1)
        return err(Status::config_invalid, "the next SP key is the current SP key: a rollover needs a new key pair");
    return {};
}

Result<LassoServerPtr> new_sp_server(const SamlSpSettings& sp) {
    std::string md = sp_metadata(sp);
    LassoServerPtr server(lasso_server_new_from_buffers(md.c_str(), sp.key_pem.empty() ? nullptr : sp.key_pem.c_str(),
                                                        nullptr, nullptr));
    if (!server) return err(Status::config_invalid, "Lasso refused the SP metadata");
    // Lasso signs HTTP-Redirect messages (SigAlg) with the server's method,
    // RSA-SHA1 unless told otherwise.
    server->signature_method = sig_alg(sp.signature_algorithm).lasso;
    if (!sp.key_pem.empty() &&
        lasso_server_set_encryption_private_key_with_password(server.get(), sp.key_pem.c_str(), nullptr) != 0)
        return err(Status::config_invalid, "the SP key could not be loaded");
    // Lasso (2.4 and later) keeps a list of decryption keys: each call adds
    // one, and an EncryptedAssertion or EncryptedID is tried with each in
    // turn (current first). It signs with the server's own key only.
    if (!sp.next_key_pem.empty() &&
        lasso_server_set_encryption_private_key_with_password(server.get(), sp.next_key_pem.c_str(), nullptr) != 0)
        return err(Status::config_invalid, "the next SP key could not be loaded");
    return server;
}

}  // namespace hdsso::samlxml

namespace hdsso {

using namespace samlxml;

std::optional<SamlSignatureAlgorithm> parse_saml_signature_algorithm(std::string_view name) {
    for (const auto& i : kSigAlgs)
        if (name == i.name) return i.alg;
    return std::nullopt;
}

const char* saml_signature_algorithm_name(SamlSignatureAlgorithm a) { return sig_alg(a).name; }
const char* saml_signature_algorithm_uri(SamlSignatureAlgorithm a) { return sig_alg(a).uri; }

Result<std::string> saml_sp_metadata(const SamlSpSettings& sp) {
    if (auto ok = check_sp_settings(sp); !ok) return ok.error();
    return sp_metadata(sp);
}

std::string saml_certificate_fingerprint(const std::string& cert_pem) {
    CPtr<BIO, BIO_free> bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
    CPtr<X509, X509_free> cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!cert || X509_digest(cert.get(), EVP_sha256(), md, &n) != 1) {
        ERR_clear_error();
        return "";
    }
    static const char kHex[] = "0123456789ABCDEF";
    std::string out = "SHA256";
    for (unsigned int i = 0; i < n; ++i) {
        out += ':';
        out += kHex[md[i] >> 4];
        out += kHex[md[i] & 15];
    }
    return out;
}

void saml_sp_site_urls(SamlSpSettings& sp, std::string_view base_url, std::string_view endpoint,
                       std::string_view entity_id) {
    std::string prefix = std::string(base_url) + std::string(endpoint);
    sp.entity_id = entity_id.empty() ? prefix + "/metadata" : std::string(entity_id);
    sp.acs_url = prefix + "/acs";
    sp.slo_url = prefix + "/slo";
}

std::optional<std::string> parse_saml_name_id_format(std::string_view name) {
    static const std::pair<const char*, const char*> kNames[] = {
        {"email", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"},
        {"persistent", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"},
        {"transient", "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"},
        {"unspecified", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"},
    };
    for (const auto& [short_name, uri] : kNames)
        if (name.size() == std::strlen(short_name) && strncasecmp(name.data(), short_name, name.size()) == 0) return uri;
    if (name.size() > 4 && name.substr(0, 4) == "urn:") {
        for (char c : name)
            if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
        return std::string(name);
    }
    return std::nullopt;
}

}  // namespace hdsso
