// Keys the JOSE harnesses verify with and sign with: made once per process
// with OpenSSL (RSA 2048, P-256, Ed25519) plus a fixed HS256 secret, loaded
// through the product's own PEM/secret loaders.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fuzz_common.h"
#include "jose/jwk.h"

namespace fuzz {

inline std::string pem_private(EVP_PKEY* k) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

inline hdsso::JwsKey must(hdsso::Result<hdsso::JwsKey> r, const char* what) {
    if (!r) {
        std::fprintf(stderr, "harness set-up: %s: %s\n", what, r.error().detail.c_str());
        std::abort();
    }
    return std::move(r.value());
}

inline hdsso::JwsKey generated(hdsso::JwsAlg alg, const char* kid) {
    EVP_PKEY* k = nullptr;
    switch (alg) {
    case hdsso::JwsAlg::ES256: k = EVP_EC_gen("P-256"); break;
    case hdsso::JwsAlg::EdDSA: k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
    default: k = EVP_RSA_gen(2048); break;
    }
    std::string pem = pem_private(k);
    EVP_PKEY_free(k);
    return must(hdsso::pem_to_key(pem, alg, kid), kid);
}

// The signing keys: [0] HS256 "hs", [1] RS256 "rs", [2] ES256 "es",
// [3] EdDSA "ed", [4] HS256 without a kid.
inline const std::vector<hdsso::JwsKey>& signing_keys() {
    static const std::vector<hdsso::JwsKey> keys = [] {
        std::vector<hdsso::JwsKey> k;
        k.push_back(must(hdsso::secret_to_key(hdsso::SecretString(std::string(32, 'k')), hdsso::JwsAlg::HS256, "hs"), "hs"));
        k.push_back(generated(hdsso::JwsAlg::RS256, "rs"));
        k.push_back(generated(hdsso::JwsAlg::ES256, "es"));
        k.push_back(generated(hdsso::JwsAlg::EdDSA, "ed"));
        k.push_back(must(hdsso::secret_to_key(hdsso::SecretString(std::string(48, 's')), hdsso::JwsAlg::HS256, ""), "no kid"));
        return k;
    }();
    return keys;
}

}  // namespace fuzz
