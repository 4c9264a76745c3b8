#include "saml/redirect_signature.h"

#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "saml/saml.h"
#include "saml/xml.h"
#include "url/query.h"

namespace hdsso::samlxml {

namespace {

const EVP_MD* digest_of(SamlSignatureAlgorithm a) {
    switch (a) {
        case SamlSignatureAlgorithm::rsa_sha256: return EVP_sha256();
        case SamlSignatureAlgorithm::rsa_sha384: return EVP_sha384();
        case SamlSignatureAlgorithm::rsa_sha512: return EVP_sha512();
        case SamlSignatureAlgorithm::rsa_sha1: return EVP_sha1();
    }
    return nullptr;
}

bool rsa_verifies(EVP_PKEY* key, const EVP_MD* md, std::string_view signed_text, const std::string& signature) {
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return false;
    CPtr<EVP_MD_CTX, EVP_MD_CTX_free> ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key) != 1) return false;
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) return false;
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size()) == 1;
}

// Calls `fn` with each "name=value" part of the query, as sent.
template <class Fn>
void for_each_part(std::string_view query, Fn fn) {
    std::size_t at = 0;
    while (at <= query.size()) {
        std::size_t end = query.find('&', at);
        if (end == std::string_view::npos) end = query.size();
        fn(query.substr(at, end - at));
        at = end + 1;
    }
}

bool is_signature_part(std::string_view part) {
    return part.rfind("Signature=", 0) == 0 || part.rfind("SigAlg=", 0) == 0;
}

}  // namespace

std::vector<PublicKeyPtr> public_keys_of(const std::vector<std::string>& certificates_b64) {
    std::vector<PublicKeyPtr> keys;
    for (const auto& b64 : certificates_b64) {
        auto der = base64_decode_lenient(b64);
        if (!der) continue;
        auto p = reinterpret_cast<const unsigned char*>(der.value().data());
        CPtr<X509, X509_free> cert(d2i_X509(nullptr, &p, static_cast<long>(der.value().size())));
        EVP_PKEY* key = cert ? X509_get_pubkey(cert.get()) : nullptr;  // a reference of its own
        if (key) keys.emplace_back(key);
    }
    return keys;
}

std::string without_signature(std::string_view query) {
    std::string out;
    for_each_part(query, [&](std::string_view part) {
        if (is_signature_part(part)) return;
        if (!out.empty()) out += '&';
        out.append(part);
    });
    return out;
}

bool redirect_query_signed(std::string_view query) {
    bool found = false;
    for_each_part(query, [&](std::string_view part) { found = found || part.rfind("Signature=", 0) == 0; });
    return found;
}

Result<void> verify_redirect_signature(std::string_view query, const char* param,
                                       const std::vector<PublicKeyPtr>& keys, bool allow_sha1) {
    if (query.find(';') != std::string_view::npos)
        return err(Status::saml_malformed, "the query separates parameters with ';'");
    // The parameters as sent ("name=value", not decoded).
    std::string_view message, relay, sig_alg, signature;
    const std::string message_name = std::string(param) + "=";
    bool repeated = false;
    for_each_part(query, [&](std::string_view part) {
        std::string_view* slot = nullptr;
        if (part.rfind(message_name, 0) == 0) slot = &message;
        else if (part.rfind("RelayState=", 0) == 0) slot = &relay;
        else if (part.rfind("SigAlg=", 0) == 0) slot = &sig_alg;
        else if (part.rfind("Signature=", 0) == 0) slot = &signature;
        if (!slot) return;
        repeated = repeated || !slot->empty();
        *slot = part;
    });
    if (repeated) return err(Status::saml_malformed, "a parameter appears more than once in the query");
    if (message.empty()) return err(Status::saml_malformed, std::string("no ") + param + " in the query");
    if (signature.empty()) return err(Status::saml_unsigned, "the message is not signed (no Signature parameter)");
    if (sig_alg.empty()) return err(Status::saml_bad_signature, "the message is signed without a SigAlg");

    auto alg_uri = form_decode(sig_alg.substr(7));
    if (!alg_uri) return err(Status::saml_malformed, "SigAlg: " + alg_uri.error().detail);
    const EVP_MD* md = nullptr;
    for (auto a : {SamlSignatureAlgorithm::rsa_sha256, SamlSignatureAlgorithm::rsa_sha384,
                   SamlSignatureAlgorithm::rsa_sha512, SamlSignatureAlgorithm::rsa_sha1})
        if (alg_uri.value() == saml_signature_algorithm_uri(a)) {
            if (a == SamlSignatureAlgorithm::rsa_sha1 && !allow_sha1)
                return err(Status::saml_legacy_algorithm, "the message is signed with rsa-sha1 (legacy sha1 not allowed)");
            md = digest_of(a);
        }
    if (!md) return err(Status::saml_bad_signature, "SigAlg " + alg_uri.value() + " is not accepted");

    auto sig_b64 = form_decode(signature.substr(10));
    if (!sig_b64) return err(Status::saml_malformed, "Signature: " + sig_b64.error().detail);
    // A '+' sent unescaped decodes as a space; base64 has none of its own.
    for (char& c : sig_b64.value())
        if (c == ' ') c = '+';
    auto sig = base64_decode_lenient(sig_b64.value());
    if (!sig) return err(Status::saml_bad_signature, "the Signature is not base64");

    std::string signed_text(message);
    if (!relay.empty()) signed_text.append("&").append(relay);
    signed_text.append("&").append(sig_alg);
    for (const auto& key : keys)
        if (rsa_verifies(key.get(), md, signed_text, sig.value())) return {};
    return err(Status::saml_bad_signature, "the message's signature does not verify with the IdP's signing keys");
}

}  // namespace hdsso::samlxml
