#include "jose/jws.h"

#include <atomic>
#include <mutex>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "jose/base64url.h"

namespace hdsso {

namespace {

using MdCtxPtr = CPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EcdsaSigPtr = CPtr<ECDSA_SIG, ECDSA_SIG_free>;
using BnPtr = CPtr<BIGNUM, BN_free>;

Error bad_sig(std::string why) {
    ERR_clear_error();
    return make_error(Status::jwt_bad_signature, std::move(why));
}

const EVP_MD* digest_of(JwsAlg a) {
    switch (a) {
    case JwsAlg::HS256: case JwsAlg::RS256: case JwsAlg::PS256: case JwsAlg::ES256: return EVP_sha256();
    case JwsAlg::HS384: case JwsAlg::RS384: case JwsAlg::PS384: case JwsAlg::ES384: return EVP_sha384();
    case JwsAlg::HS512: case JwsAlg::RS512: case JwsAlg::PS512: case JwsAlg::ES512: return EVP_sha512();
    case JwsAlg::EdDSA: return nullptr;
    }
    return nullptr;
}

bool is_pss(JwsAlg a) { return a == JwsAlg::PS256 || a == JwsAlg::PS384 || a == JwsAlg::PS512; }
bool is_ecdsa(JwsAlg a) { return a == JwsAlg::ES256 || a == JwsAlg::ES384 || a == JwsAlg::ES512; }
std::size_t ec_bytes(JwsAlg a) { return a == JwsAlg::ES256 ? 32 : a == JwsAlg::ES384 ? 48 : 66; }

EVP_MAC* hmac_algorithm() {
    static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    return mac;
}

// Each thread keeps its own copies of the last few prepared HMAC contexts:
// EVP_MAC_init without a key starts a new MAC with the key (and its padded
// blocks) already in place, so a verification costs the hashing alone.
class ThreadMacs {
public:
    ~ThreadMacs() {
        for (auto& s : slots_) EVP_MAC_CTX_free(s.ctx);
    }
    EVP_MAC_CTX* get(const JwsKey& key) {
        for (auto& s : slots_)
            if (s.id == key.mac_id && s.ctx) return EVP_MAC_init(s.ctx, nullptr, 0, nullptr) == 1 ? s.ctx : nullptr;
        Slot& s = slots_[next_++ % kSlots];
        EVP_MAC_CTX_free(s.ctx);
        s = {key.mac_id, EVP_MAC_CTX_dup(key.mac_ctx.get())};
        return s.ctx;
    }

private:
    static constexpr std::size_t kSlots = 8;
    struct Slot {
        std::uint64_t id = 0;
        EVP_MAC_CTX* ctx = nullptr;
    };
    Slot slots_[kSlots];
    std::size_t next_ = 0;
};

std::string hmac_raw(const JwsKey& key, std::string_view input) {
    unsigned char out[EVP_MAX_MD_SIZE];
    if (key.mac_ctx) {
        thread_local ThreadMacs macs;
        EVP_MAC_CTX* ctx = macs.get(key);
        std::size_t n = 0;
        if (ctx && EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1 &&
            EVP_MAC_final(ctx, out, &n, sizeof out) == 1)
            return std::string(reinterpret_cast<char*>(out), n);
        ERR_clear_error();
    }
    unsigned int len = 0;
    if (!HMAC(digest_of(key.alg), key.secret.view().data(), static_cast<int>(key.secret.size()),
              reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, &len))
        return {};
    return std::string(reinterpret_cast<char*>(out), len);
}

// EVP_DigestVerify/Sign setup shared by RS, PS, ES and EdDSA.
bool init_ctx(EVP_MD_CTX* ctx, const JwsKey& key, bool sign) {
    EVP_PKEY_CTX* pctx = nullptr;
    int ok = sign ? EVP_DigestSignInit(ctx, &pctx, digest_of(key.alg), nullptr, key.pkey.get())
                  : EVP_DigestVerifyInit(ctx, &pctx, digest_of(key.alg), nullptr, key.pkey.get());
    if (ok != 1) return false;
    if (is_pss(key.alg)) {
        // RFC 7518 3.5: MGF1 with the same hash, salt as long as the hash.
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, digest_of(key.alg)) != 1)
            return false;
    } else if (key.alg != JwsAlg::EdDSA && !is_ecdsa(key.alg)) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) return false;
    }
    return true;
}

// JWS carries ECDSA signatures as r||s of fixed length; OpenSSL wants DER.
Result<std::string> raw_to_der(std::string_view raw, std::size_t n) {
    if (raw.size() != 2 * n) return bad_sig("ECDSA signature must be " + std::to_string(2 * n) + " bytes");
    auto u = reinterpret_cast<const unsigned char*>(raw.data());
    BnPtr r(BN_bin2bn(u, static_cast<int>(n), nullptr)), s(BN_bin2bn(u + n, static_cast<int>(n), nullptr));
    EcdsaSigPtr sig(ECDSA_SIG_new());
    if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return bad_sig("ECDSA signature");
    r.release();
    s.release();
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(sig.get(), &der);
    if (len <= 0) return bad_sig("ECDSA signature encoding");
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    return out;
}

Result<std::string> der_to_raw(std::string_view der, std::size_t n) {
    auto p = reinterpret_cast<const unsigned char*>(der.data());
    EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
    if (!sig) return make_error(Status::internal, "ECDSA signature from OpenSSL did not parse");
    std::string out(2 * n, '\0');
    auto o = reinterpret_cast<unsigned char*>(out.data());
    if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), o, static_cast<int>(n)) < 0 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), o + n, static_cast<int>(n)) < 0)
        return make_error(Status::internal, "ECDSA signature too long");
    return out;
}

Error malformed(std::string why) { return make_error(Status::jwt_malformed, std::move(why)); }

}  // namespace

Result<void> jws_verify_signature(const JwsKey& key, std::string_view input, std::string_view signature) {
    if (is_hmac(key.alg)) {
        std::string mac = hmac_raw(key, input);
        if (mac.empty() || !constant_time_equal(mac, signature)) return bad_sig("HMAC does not match");
        return {};
    }
    std::string der;
    if (is_ecdsa(key.alg)) {
        auto d = raw_to_der(signature, ec_bytes(key.alg));
        if (!d) return d.error();
        der = std::move(d.value());
        signature = der;
    }
    MdCtxPtr ctx(EVP_MD_CTX_new());
    bool ready = ctx && key.verify_ctx && EVP_MD_CTX_copy_ex(ctx.get(), key.verify_ctx.get()) == 1;
    if (!ready && (!ctx || !init_ctx(ctx.get(), key, false))) return bad_sig("cannot set up verification");
    if (EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                         reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
        return bad_sig(std::string(jws_alg_name(key.alg)) + " signature does not verify");
    return {};
}

void prepare_verification(JwsKey& key) {
    if (is_hmac(key.alg)) {
        EVP_MAC* mac = hmac_algorithm();
        std::shared_ptr<EVP_MAC_CTX> ctx(mac ? EVP_MAC_CTX_new(mac) : nullptr, EVP_MAC_CTX_free);
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                                const_cast<char*>(EVP_MD_get0_name(digest_of(key.alg))), 0),
                               OSSL_PARAM_construct_end()};
        static std::atomic<std::uint64_t> ids{0};
        if (ctx && EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.secret.view().data()),
                                key.secret.size(), params) == 1) {
            key.mac_ctx = std::move(ctx);
            key.mac_id = ++ids;
        }
    } else if (key.pkey) {
        std::shared_ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
        if (ctx && init_ctx(ctx.get(), key, false)) key.verify_ctx = std::move(ctx);
    }
    ERR_clear_error();
}

JwsVerifier::JwsVerifier(std::vector<JwsKey> keys, std::size_t max_token)
    : keys_(std::move(keys)), max_token_(max_token), cache_(std::make_shared<HeaderCache>()) {
    for (auto& k : keys_) prepare_verification(k);
}

Result<std::string> jws_sign_raw(const JwsKey& key, std::string_view input) {
    if (!key.has_private) return make_error(Status::jwt_key_invalid, "signing needs a private key or secret");
    if (is_hmac(key.alg)) return hmac_raw(key, input);
    MdCtxPtr ctx(EVP_MD_CTX_new());
    std::size_t len = 0;
    if (!ctx || !init_ctx(ctx.get(), key, true) ||
        EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) != 1) {
        ERR_clear_error();
        return make_error(Status::jwt_key_invalid, "cannot set up signing");
    }
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
        ERR_clear_error();
        return make_error(Status::jwt_key_invalid, "signing failed");
    }
    sig.resize(len);
    if (is_ecdsa(key.alg)) return der_to_raw(sig, ec_bytes(key.alg));
    return sig;
}

Result<std::string> jws_sign(const JwsKey& key, std::string_view payload) {
    JsonWriter header;
    header.begin_object().key("alg").string(jws_alg_name(key.alg)).key("typ").string("JWT");
    if (!key.kid.empty()) header.key("kid").string(key.kid);
    header.end_object();
    std::string input = base64url_encode(header.text()) + "." + base64url_encode(payload);
    auto sig = jws_sign_raw(key, input);
    if (!sig) return sig.error();
    return input + "." + base64url_encode(sig.value());
}

struct JwsVerifier::HeaderCache {
    static constexpr std::size_t kSize = 8;
    std::mutex mu;
    std::vector<std::pair<std::string, Header>> entries;
    std::size_t next = 0;
};

// The header checks on the decoded, strictly parsed header.
Result<JwsVerifier::Header> JwsVerifier::header(std::string_view h64) const {
    {
        std::lock_guard<std::mutex> lock(cache_->mu);
        for (const auto& [text, h] : cache_->entries)
            if (text == h64) return h;
    }
    auto header_json = base64url_decode(h64);
    if (!header_json) return malformed("header: " + header_json.error().detail);
    auto parsed = JsonObject::parse(header_json.value(), Status::jwt_malformed);
    if (!parsed) return make_error(Status::jwt_malformed, "header: " + parsed.error().detail);
    const JsonObject& h = parsed.value();
    auto alg_name = h.string("alg");
    if (!alg_name) return malformed("header has no 'alg' string");
    auto alg = parse_jws_alg(*alg_name);
    if (!alg) return make_error(Status::jwt_alg_not_allowed, "algorithm '" + std::string(*alg_name) + "' is not allowed");
    if (auto crit = h.type("crit"); crit != JsonObject::Type::absent)
        return make_error(Status::jwt_unsupported,
                          crit == JsonObject::Type::array ? "header 'crit' names extensions this verifier does not implement"
                                                          : "header 'crit' is not an array");
    if (h.has("b64")) return make_error(Status::jwt_unsupported, "header 'b64' (RFC 7797) is not supported");
    auto kid_type = h.type("kid");
    Header out{*alg, kid_type != JsonObject::Type::absent, std::string(h.string("kid").value_or(""))};
    if (out.has_kid && kid_type != JsonObject::Type::string) return malformed("header 'kid' is not a string");
    std::lock_guard<std::mutex> lock(cache_->mu);
    auto& e = cache_->entries;
    if (e.size() < HeaderCache::kSize) e.emplace_back(std::string(h64), out);
    else e[cache_->next++ % HeaderCache::kSize] = {std::string(h64), out};
    return out;
}

Result<VerifiedJws> JwsVerifier::verify(std::string_view token) const {
    if (token.size() > max_token_) return malformed("token longer than " + std::to_string(max_token_) + " bytes");
    std::size_t d1 = token.find('.');
    std::size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
    if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
        return malformed("a compact JWS has exactly three parts");
    std::string_view h64 = token.substr(0, d1), p64 = token.substr(d1 + 1, d2 - d1 - 1), s64 = token.substr(d2 + 1);
    auto header = this->header(h64);
    if (!header) return header.error();
    const Header& h = header.value();

    // Key selection: kid picks among configured keys; never from the header's jwk/jku/x5u/x5c.
    std::vector<const JwsKey*> candidates;
    bool kid_known = false;
    // A key configured without a kid is a candidate for every token; one
    // with a kid only for tokens naming it.
    for (const auto& k : keys_) {
        if (h.has_kid && !k.kid.empty() && k.kid != h.kid) continue;
        kid_known = true;
        if (k.alg == h.alg) candidates.push_back(&k);
    }
    if (h.has_kid && !kid_known) return make_error(Status::jwt_unknown_kid, "no configured key has kid '" + h.kid + "'");
    if (candidates.empty())
        return make_error(Status::jwt_alg_not_allowed, std::string("algorithm ") + jws_alg_name(h.alg) +
                                                           " is not the configured algorithm of the selected key(s)");

    auto payload = base64url_decode(p64);
    if (!payload) return malformed("payload: " + payload.error().detail);
    auto sig = base64url_decode(s64);
    if (!sig) return malformed("signature: " + sig.error().detail);
    std::string_view input = token.substr(0, d2);
    Error last = make_error(Status::jwt_bad_signature, "no key verified the signature");
    for (const JwsKey* k : candidates) {
        auto ok = jws_verify_signature(*k, input, sig.value());
        if (ok) return VerifiedJws{std::move(payload.value()), k};
        last = ok.error();
    }
    return last;
}

}  // namespace hdsso
