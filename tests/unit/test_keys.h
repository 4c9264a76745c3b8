// Fresh keys for tests and the benchmark, made with OpenSSL.
#pragma once

#include <memory>
#include <string>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "jose/jwk.h"

namespace hdsso::test {

// A key pair of the kind `alg` needs: RSA 2048, the EC curve, or Ed25519
// (nullptr for HS*, and if OpenSSL fails).
inline std::shared_ptr<EVP_PKEY> generate_key(JwsAlg alg) {
    EVP_PKEY* k = nullptr;
    switch (alg) {
    case JwsAlg::HS256: case JwsAlg::HS384: case JwsAlg::HS512: return nullptr;
    case JwsAlg::ES256: k = EVP_EC_gen("P-256"); break;
    case JwsAlg::ES384: k = EVP_EC_gen("P-384"); break;
    case JwsAlg::ES512: k = EVP_EC_gen("P-521"); break;
    case JwsAlg::EdDSA: k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
    default: k = EVP_RSA_gen(2048); break;
    }
    return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free);
}

inline std::string pem_public(EVP_PKEY* k) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PUBKEY(bio.get(), k);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace hdsso::test
