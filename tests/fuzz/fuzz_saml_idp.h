// A SAML IdP of the harness's own for the logout harness: an RSA key and a
// self-signed certificate made once per process, and HTTP-Redirect
// messages (SAML bindings 3.4.4.1: raw DEFLATE, base64, URL-encoded, signed
// over "SAMLRequest=..&RelayState=..&SigAlg=..") signed with it.
#pragma once

#include <memory>
#include <string>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <zlib.h>

#include "url/query.h"

namespace fuzz {

struct TestIdp {
    std::shared_ptr<EVP_PKEY> key;
    std::string cert_pem;
};

inline TestIdp make_idp() {
    TestIdp idp;
    idp.key.reset(EVP_RSA_gen(2048), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
    X509_set_version(x.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600L * 24 * 365 * 10);
    X509_NAME* name = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("fuzz-idp"), -1, -1, 0);
    X509_set_issuer_name(x.get(), name);
    X509_set_pubkey(x.get(), idp.key.get());
    X509_sign(x.get(), idp.key.get(), EVP_sha256());
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_X509(bio.get(), x.get());
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    idp.cert_pem.assign(data, static_cast<std::size_t>(n));
    return idp;
}

inline std::string base64(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

inline std::string deflate_raw(std::string_view in) {
    z_stream z{};
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, in.size()) + 16, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

// The query string of an HTTP-Redirect message `param` (SAMLRequest or
// SAMLResponse) carrying `xml`, signed with RSA-SHA256 by `key`.
inline std::string redirect_query(const char* param, std::string_view xml, std::string_view relay_state, EVP_PKEY* key) {
    std::string q = std::string(param) + "=" + hdsso::percent_encode(base64(deflate_raw(xml)));
    if (!relay_state.empty()) q += "&RelayState=" + hdsso::percent_encode(relay_state);
    q += "&SigAlg=" + hdsso::percent_encode("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t len = 0;
    EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key);
    EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(q.data()), q.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(q.data()), q.size());
    sig.resize(len);
    return q + "&Signature=" + hdsso::percent_encode(base64(sig));
}

}  // namespace fuzz
