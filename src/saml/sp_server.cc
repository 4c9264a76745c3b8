#include "saml/sp_server.h"

#include <strings.h>

#include <cstring>
#include <utility>

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

Result<void> check_sp_settings(const SamlSpSettings& sp) {
    if (sp.entity_id.empty() || sp.acs_url.empty())
        return err(Status::config_invalid, "the SP needs an entity ID and an ACS URL");
    if (sp.name_id_format.empty()) return err(Status::config_invalid, "the SP's NameID format is empty");
    if (sp.signature_algorithm == SamlSignatureAlgorithm::rsa_sha1 && !sp.allow_sha1)
        return err(Status::config_invalid, "the SP would sign with rsa-sha1: that needs the sha1 legacy allowance");
    CPtr<EVP_PKEY, EVP_PKEY_free> key;
    if (!sp.key_pem.empty()) {
        CPtr<BIO, BIO_free> bio(BIO_new_mem_buf(sp.key_pem.data(), static_cast<int>(sp.key_pem.size())));
        key.reset(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("")) : nullptr);
        if (!key) return err(Status::config_invalid, "the SP key is not an unencrypted PEM private key");
        if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA)
            return err(Status::config_invalid, std::string("the SP key is not RSA (") +
                                                   saml_signature_algorithm_name(sp.signature_algorithm) + ")");
    }
    if (!sp.cert_pem.empty()) {
        CPtr<BIO, BIO_free> bio(BIO_new_mem_buf(sp.cert_pem.data(), static_cast<int>(sp.cert_pem.size())));
        CPtr<X509, X509_free> cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
        if (!cert) return err(Status::config_invalid, "the SP certificate is not a PEM certificate");
        if (key && X509_check_private_key(cert.get(), key.get()) != 1)
            return err(Status::config_invalid, "the SP certificate is not the SP key's (they do not match)");
    }
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
