#include "jose/jwk.h"

#include <cstring>
#include <optional>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "jose/base64url.h"

namespace hdsso {

namespace {

struct AlgInfo {
    JwsAlg alg;
    const char* name;
};
constexpr AlgInfo kAlgs[] = {
    {JwsAlg::HS256, "HS256"}, {JwsAlg::HS384, "HS384"}, {JwsAlg::HS512, "HS512"}, {JwsAlg::RS256, "RS256"},
    {JwsAlg::RS384, "RS384"}, {JwsAlg::RS512, "RS512"}, {JwsAlg::PS256, "PS256"}, {JwsAlg::PS384, "PS384"},
    {JwsAlg::PS512, "PS512"}, {JwsAlg::ES256, "ES256"}, {JwsAlg::ES384, "ES384"}, {JwsAlg::ES512, "ES512"},
    {JwsAlg::EdDSA, "EdDSA"},
};

using BnPtr = CPtr<BIGNUM, BN_clear_free>;
using ParamBldPtr = CPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamPtr = CPtr<OSSL_PARAM, OSSL_PARAM_free>;
using PkeyCtxPtr = CPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using BioPtr = CPtr<BIO, BIO_free>;
using X509Ptr = CPtr<X509, X509_free>;

Error invalid(std::string why) {
    ERR_clear_error();
    return make_error(Status::jwt_key_invalid, std::move(why));
}

std::shared_ptr<EVP_PKEY> share(EVP_PKEY* k) { return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free); }

Result<std::string> b64_member(const JsonObject& jwk, const char* name, bool required) {
    if (!jwk.has(name)) {
        if (required) return invalid(std::string("JWK member '") + name + "' is missing");
        return std::string();
    }
    auto v = jwk.string(name);
    if (!v) return invalid(std::string("JWK member '") + name + "' is not a string");
    auto d = base64url_decode(*v);
    if (!d) return invalid(std::string("JWK member '") + name + "': " + d.error().detail);
    return d;
}

BIGNUM* bn(const std::string& bytes) {
    return BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr);
}

Result<std::shared_ptr<EVP_PKEY>> from_params(const char* type, OSSL_PARAM_BLD* bld, bool priv) {
    ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &key, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
        return invalid(std::string("OpenSSL rejected the ") + type + " key");
    return share(key);
}

Result<JwsKey> rsa_from_jwk(const JsonObject& jwk, JwsKey key) {
    static const char* const kPrivate[] = {"d", "p", "q", "dp", "dq", "qi"};
    static const char* const kParams[] = {OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
                                          OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
                                          OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    auto n = b64_member(jwk, "n", true);
    if (!n) return n.error();
    auto e = b64_member(jwk, "e", true);
    if (!e) return e.error();
    key.has_private = jwk.has("d");
    ParamBldPtr bld(OSSL_PARAM_BLD_new());
    std::vector<BnPtr> keep;
    keep.emplace_back(bn(n.value()));
    keep.emplace_back(bn(e.value()));
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, keep[0].get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, keep[1].get());
    if (key.has_private) {
        for (std::size_t i = 0; i < 6; ++i) {
            auto v = b64_member(jwk, kPrivate[i], i == 0);
            if (!v) return v.error();
            if (v.value().empty()) {
                if (i == 1) break;  // d alone: no CRT parameters
                return invalid(std::string("JWK member '") + kPrivate[i] + "' is missing");
            }
            keep.emplace_back(bn(v.value()));
            OSSL_PARAM_BLD_push_BN(bld.get(), kParams[i], keep.back().get());
        }
    }
    auto pkey = from_params("RSA", bld.get(), key.has_private);
    if (!pkey) return pkey.error();
    key.pkey = pkey.value();
    return key;
}

struct Curve {
    const char* crv;
    const char* group;
    std::size_t bytes;
    JwsAlg alg;
};
constexpr Curve kCurves[] = {
    {"P-256", "P-256", 32, JwsAlg::ES256},
    {"P-384", "P-384", 48, JwsAlg::ES384},
    {"P-521", "P-521", 66, JwsAlg::ES512},
};

// Big-endian bytes of at most `size`, with the leading zeros a minimal
// encoding dropped put back; nullopt when empty or longer than `size`.
std::optional<std::string> left_pad(const std::string& bytes, std::size_t size) {
    if (bytes.empty() || bytes.size() > size) return std::nullopt;
    return std::string(size - bytes.size(), '\0') + bytes;
}

Result<JwsKey> ec_from_jwk(const JsonObject& jwk, JwsKey key) {
    auto crv = jwk.string("crv");
    const Curve* curve = nullptr;
    for (const auto& c : kCurves)
        if (crv && *crv == c.crv) curve = &c;
    if (!curve) return invalid("EC JWK: curve must be P-256, P-384 or P-521");
    if (key.alg != curve->alg) return invalid(std::string("EC JWK: curve ") + curve->crv + " does not go with " +
                                              jws_alg_name(key.alg));
    auto x = b64_member(jwk, "x", true);
    if (!x) return x.error();
    auto y = b64_member(jwk, "y", true);
    if (!y) return y.error();
    // RFC 7518 wants each coordinate at the curve's full size, but PyJWT
    // before 2.8 (Debian 12's python3-jwt) drops leading zero bytes, so one
    // key in 128 it makes has a short one: those are put back. Never longer.
    auto x_full = left_pad(x.value(), curve->bytes);
    auto y_full = left_pad(y.value(), curve->bytes);
    if (!x_full || !y_full)
        return invalid("EC JWK: x and y must be " + std::to_string(curve->bytes) + " bytes");
    std::string point = "\x04" + *x_full + *y_full;
    ParamBldPtr bld(OSSL_PARAM_BLD_new());
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->group, 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    BnPtr d;
    key.has_private = jwk.has("d");
    if (key.has_private) {
        auto dv = b64_member(jwk, "d", true);
        if (!dv) return dv.error();
        auto d_full = left_pad(dv.value(), curve->bytes);
        if (!d_full) return invalid("EC JWK: d has the wrong length");
        d.reset(bn(*d_full));
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get());
    }
    auto pkey = from_params("EC", bld.get(), key.has_private);
    if (!pkey) return pkey.error();
    // The point must be on the curve (invalid-curve attacks).
    PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.value().get(), nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) return invalid("EC JWK: the point is not on the curve");
    key.pkey = pkey.value();
    return key;
}

Result<JwsKey> okp_from_jwk(const JsonObject& jwk, JwsKey key) {
    auto crv = jwk.string("crv");
    if (!crv || *crv != "Ed25519") return invalid("OKP JWK: only crv Ed25519 is supported");
    if (key.alg != JwsAlg::EdDSA) return invalid(std::string("OKP JWK does not go with ") + jws_alg_name(key.alg));
    auto x = b64_member(jwk, "x", true);
    if (!x) return x.error();
    if (x.value().size() != 32) return invalid("OKP JWK: x must be 32 bytes");
    EVP_PKEY* k = nullptr;
    key.has_private = jwk.has("d");
    if (key.has_private) {
        auto d = b64_member(jwk, "d", true);
        if (!d) return d.error();
        if (d.value().size() != 32) return invalid("OKP JWK: d must be 32 bytes");
        k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                         reinterpret_cast<const unsigned char*>(d.value().data()), 32);
    } else {
        k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                        reinterpret_cast<const unsigned char*>(x.value().data()), 32);
    }
    if (!k) return invalid("OpenSSL rejected the Ed25519 key");
    key.pkey = share(k);
    return key;
}

// The ROCA fingerprint (CVE-2017-15361, Nemec et al. 2017): moduli made by
// the flawed Infineon generator are, modulo each small prime p, a power of
// 65537. A random modulus fails this for some prime in the list with
// overwhelming probability.
bool roca_fingerprint(const BIGNUM* n) {
    static const unsigned kPrimes[] = {3,  5,  7,  11, 13, 17, 19, 23,  29,  31,  37,  41,  43,  47,  53,  59,  61,
                                       67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149,
                                       151, 157, 163, 167};
    for (unsigned p : kPrimes) {
        BN_ULONG r = BN_mod_word(n, p);
        if (r == static_cast<BN_ULONG>(-1)) return false;
        unsigned g = 65537 % p, x = 1;
        bool in_subgroup = false;
        for (unsigned k = 0; k < p && !in_subgroup; ++k) {
            in_subgroup = x == r;
            x = x * g % p;
        }
        if (!in_subgroup) return false;
    }
    return true;
}

// OpenSSL's public-key check (SP 800-56B: odd modulus without small factors,
// odd e from 65537 to 2^256), and the ROCA fingerprint.
Result<void> check_rsa_public(EVP_PKEY* pkey) {
    CPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (!ctx || EVP_PKEY_public_check(ctx.get()) != 1) {
        ERR_clear_error();
        return invalid("the RSA public key fails validation (exponent or modulus)");
    }
    BIGNUM* n = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1) return invalid("the RSA key has no modulus");
    CPtr<BIGNUM, BN_free> n_owner(n);
    if (roca_fingerprint(n)) return invalid("the RSA key has the ROCA fingerprint (CVE-2017-15361)");
    return {};
}

// A private key must be the private half of its public key: else it signs
// tokens that nobody, itself included, verifies (a JWK whose "d" belongs to
// another key; found by tests/fuzz/fuzz_jwk). One signature made and
// checked when the key is loaded.
Result<void> check_key_pair(EVP_PKEY* pkey) {
    static const unsigned char kMsg[] = "hdsso key pair check";
    CPtr<EVP_MD_CTX, EVP_MD_CTX_free> sign(EVP_MD_CTX_new()), verify(EVP_MD_CTX_new());
    const EVP_MD* md = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
    std::size_t len = 0;
    if (!sign || !verify || EVP_DigestSignInit(sign.get(), nullptr, md, nullptr, pkey) != 1 ||
        EVP_DigestSign(sign.get(), nullptr, &len, kMsg, sizeof kMsg) != 1) {
        ERR_clear_error();
        return invalid("the private key cannot sign");
    }
    std::string sig(len, '\0');
    auto* out = reinterpret_cast<unsigned char*>(sig.data());
    if (EVP_DigestSign(sign.get(), out, &len, kMsg, sizeof kMsg) != 1 ||
        EVP_DigestVerifyInit(verify.get(), nullptr, md, nullptr, pkey) != 1 ||
        EVP_DigestVerify(verify.get(), out, len, kMsg, sizeof kMsg) != 1) {
        ERR_clear_error();
        return invalid("the private key does not belong to the public key");
    }
    return {};
}

// RSA at least 2048 bits for RS*/PS*; the key type must match the algorithm.
Result<JwsKey> check_pkey(JwsKey key) {
    int id = EVP_PKEY_get_base_id(key.pkey.get());
    switch (key.alg) {
    case JwsAlg::RS256: case JwsAlg::RS384: case JwsAlg::RS512:
    case JwsAlg::PS256: case JwsAlg::PS384: case JwsAlg::PS512:
        if (id != EVP_PKEY_RSA) return invalid(std::string(jws_alg_name(key.alg)) + " needs an RSA key");
        if (EVP_PKEY_get_bits(key.pkey.get()) < 2048) return invalid("RSA keys must have at least 2048 bits");
        if (auto r = check_rsa_public(key.pkey.get()); !r) return r.error();
        break;
    case JwsAlg::ES256: case JwsAlg::ES384: case JwsAlg::ES512: {
        if (id != EVP_PKEY_EC) return invalid(std::string(jws_alg_name(key.alg)) + " needs an EC key");
        char group[32] = {0};
        std::size_t len = 0;
        EVP_PKEY_get_utf8_string_param(key.pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len);
        const char* want = key.alg == JwsAlg::ES256 ? "prime256v1" : key.alg == JwsAlg::ES384 ? "secp384r1" : "secp521r1";
        const char* want_nist = key.alg == JwsAlg::ES256 ? "P-256" : key.alg == JwsAlg::ES384 ? "P-384" : "P-521";
        if (std::strcmp(group, want) != 0 && std::strcmp(group, want_nist) != 0)
            return invalid(std::string(jws_alg_name(key.alg)) + " needs a key on " + want_nist);
        break;
    }
    case JwsAlg::EdDSA:
        if (id != EVP_PKEY_ED25519) return invalid("EdDSA needs an Ed25519 key");
        break;
    case JwsAlg::HS256: case JwsAlg::HS384: case JwsAlg::HS512:
        return invalid(std::string(jws_alg_name(key.alg)) + " takes a shared secret, not a public key");
    }
    if (key.has_private)
        if (auto r = check_key_pair(key.pkey.get()); !r) return r.error();
    return key;
}

std::size_t hmac_min_bytes(JwsAlg a) { return a == JwsAlg::HS256 ? 32 : a == JwsAlg::HS384 ? 48 : 64; }

}  // namespace

std::optional<JwsAlg> parse_jws_alg(std::string_view name) {
    for (const auto& a : kAlgs)
        if (name == a.name) return a.alg;
    return std::nullopt;
}

const char* jws_alg_name(JwsAlg alg) {
    for (const auto& a : kAlgs)
        if (a.alg == alg) return a.name;
    return "?";
}

bool is_hmac(JwsAlg a) { return a == JwsAlg::HS256 || a == JwsAlg::HS384 || a == JwsAlg::HS512; }

Result<JwsKey> secret_to_key(SecretString secret, JwsAlg alg, std::string kid) {
    if (!is_hmac(alg)) return invalid(std::string(jws_alg_name(alg)) + " does not take a shared secret");
    if (secret.size() < hmac_min_bytes(alg))
        return invalid(std::string(jws_alg_name(alg)) + " needs a secret of at least " +
                       std::to_string(hmac_min_bytes(alg)) + " bytes");
    JwsKey key;
    key.kid = std::move(kid);
    key.alg = alg;
    key.secret = std::move(secret);
    key.has_private = true;
    return key;
}

Result<JwsKey> jwk_to_key(const JsonObject& jwk, std::optional<JwsAlg> alg) {
    auto kty = jwk.string("kty");
    if (!kty) return invalid("JWK member 'kty' is missing");
    if (auto use = jwk.string("use"); use && *use != "sig")
        return invalid("JWK 'use' is '" + std::string(*use) + "', not 'sig'");
    if (jwk.has("key_ops")) {
        std::vector<std::string_view> ops;
        if (jwk.strings("key_ops", ops) != JsonObject::Strings::ok || jwk.type("key_ops") != JsonObject::Type::array)
            return invalid("JWK 'key_ops' must be an array of strings");
        bool signing = false;
        for (std::string_view op : ops) signing = signing || op == "verify" || op == "sign";
        if (!signing) return invalid("JWK 'key_ops' allows neither 'verify' nor 'sign'");
    }
    JwsKey key;
    key.kid = std::string(jwk.string("kid").value_or(""));
    if (auto own = jwk.string("alg")) {
        auto parsed = parse_jws_alg(*own);
        if (!parsed) return invalid("JWK 'alg' " + std::string(*own) + " is not supported");
        if (alg && *alg != *parsed)
            return invalid("JWK 'alg' is " + std::string(*own) + ", configured " + jws_alg_name(*alg));
        alg = parsed;
    }
    if (!alg) return invalid("no algorithm: the JWK has no 'alg' and none was configured");
    key.alg = *alg;
    if (*kty == "oct") {
        auto k = b64_member(jwk, "k", true);
        if (!k) return k.error();
        return secret_to_key(SecretString(std::move(k.value())), key.alg, key.kid);
    }
    if (is_hmac(key.alg)) return invalid(std::string(jws_alg_name(key.alg)) + " needs a JWK of kty 'oct'");
    Result<JwsKey> r = *kty == "RSA" ? rsa_from_jwk(jwk, key)
                       : *kty == "EC" ? ec_from_jwk(jwk, key)
                       : *kty == "OKP" ? okp_from_jwk(jwk, key)
                                       : Result<JwsKey>(invalid("JWK kty '" + std::string(*kty) + "' is not supported"));
    if (!r) return r;
    return check_pkey(std::move(r.value()));
}

Result<JwsKey> pem_to_key(std::string_view pem, JwsAlg alg, std::string kid) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    EVP_PKEY* k = nullptr;
    bool priv = false;
    if (pem.find("CERTIFICATE-----") != std::string_view::npos) {
        X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (cert) k = X509_get_pubkey(cert.get());
    } else if (pem.find("PRIVATE KEY-----") != std::string_view::npos) {
        k = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
        priv = true;
    } else {
        k = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
    }
    if (!k) return invalid("not a PEM public key, certificate or private key");
    JwsKey key;
    key.kid = std::move(kid);
    key.alg = alg;
    key.pkey = share(k);
    key.has_private = priv;
    return check_pkey(std::move(key));
}

}  // namespace hdsso

namespace hdsso {

namespace {

std::string bn_bytes(const BIGNUM* n, std::size_t size) {
    std::string out(size ? size : static_cast<std::size_t>(BN_num_bytes(n)), '\0');
    BN_bn2binpad(n, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
    return out;
}

Result<std::string> bn_param(EVP_PKEY* k, const char* name, std::size_t size) {
    BIGNUM* n = nullptr;
    if (EVP_PKEY_get_bn_param(k, name, &n) != 1) return invalid(std::string("the key has no ") + name);
    std::string out = bn_bytes(n, size);
    BN_free(n);
    return out;
}

}  // namespace

// RFC 7638 §3: the required members, in lexicographic order, no spaces.
Result<std::string> jwk_thumbprint(const JwsKey& key) {
    std::string members;
    auto str = [](const char* name, const std::string& value) {
        return std::string("\"") + name + "\":\"" + value + "\"";
    };
    if (is_hmac(key.alg)) {
        members = str("k", base64url_encode(key.secret.view())) + "," + str("kty", "oct");
    } else if (!key.pkey) {
        return invalid("the key has no key material");
    } else {
        EVP_PKEY* k = key.pkey.get();
        switch (EVP_PKEY_get_base_id(k)) {
        case EVP_PKEY_RSA: {
            auto n = bn_param(k, OSSL_PKEY_PARAM_RSA_N, 0);
            auto e = bn_param(k, OSSL_PKEY_PARAM_RSA_E, 0);
            if (!n) return n.error();
            if (!e) return e.error();
            members = str("e", base64url_encode(e.value())) + "," + str("kty", "RSA") + "," +
                      str("n", base64url_encode(n.value()));
            break;
        }
        case EVP_PKEY_EC: {
            std::size_t size = static_cast<std::size_t>((EVP_PKEY_get_bits(k) + 7) / 8);
            const char* crv = size == 32 ? "P-256" : size == 48 ? "P-384" : size == 66 ? "P-521" : nullptr;
            if (!crv) return invalid("an EC key on a curve JOSE does not name");
            auto x = bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, size);
            auto y = bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, size);
            if (!x) return x.error();
            if (!y) return y.error();
            members = str("crv", crv) + "," + str("kty", "EC") + "," + str("x", base64url_encode(x.value())) + "," +
                      str("y", base64url_encode(y.value()));
            break;
        }
        case EVP_PKEY_ED25519: {
            unsigned char raw[32];
            std::size_t len = sizeof raw;
            if (EVP_PKEY_get_raw_public_key(k, raw, &len) != 1 || len != sizeof raw)
                return invalid("the Ed25519 key has no public part");
            members = str("crv", "Ed25519") + "," + str("kty", "OKP") + "," +
                      str("x", base64url_encode(std::string_view(reinterpret_cast<const char*>(raw), len)));
            break;
        }
        default: return invalid("a key type JOSE does not name");
        }
    }
    return base64url_encode(sha256("{" + members + "}"));
}

}  // namespace hdsso
