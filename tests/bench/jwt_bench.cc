// make bench (JWT part): on the same token, our whole verification (header,
// key selection, signature, claims) against raw OpenSSL EVP verification of
// the same signing input and signature, and against libjwt's jwt_decode.
// "Raw EVP" is the per-message sequence a caller of OpenSSL writes, with the
// key already loaded: EVP_MAC_init with the secret, update, final and
// CRYPTO_memcmp (HMAC fetched once); or EVP_DigestVerifyInit and
// EVP_DigestVerify (ECDSA signature already in DER). Ours reuses contexts
// prepared when the key is configured, and remembers header checks for
// headers it has seen (jose/jws.h), as the module does between requests;
// the "prepared" column is the bare crypto set up the same way, so
// ours/prepared is what parsing and the checks cost on top.
// Rounds are interleaved and each figure is the median over rounds, so that
// a noisy neighbour slows all three alike. Not a test: it prints ratios.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#ifdef HDSSO_HAVE_LIBJWT
#include <jwt.h>
#endif

#include "core/clock.h"
#include "jose/base64url.h"
#include "jose/claims.h"
#include "jose/jws.h"
#include "jose/jwt.h"
#include "test_keys.h"

using namespace hdsso;

namespace {

using Clock = std::chrono::steady_clock;

// ns per call of f: a batch sized to about `batch_ms`, timed.
double time_batch(const std::function<void()>& f, long iterations) {
    auto t0 = Clock::now();
    for (long i = 0; i < iterations; ++i) f();
    return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(iterations);
}

long calibrate(const std::function<void()>& f, double batch_ms) {
    long n = 16;
    for (int guard = 0; guard < 30; ++guard) {
        double ns = time_batch(f, n);
        if (ns * static_cast<double>(n) >= batch_ms * 1e6 / 4) return std::max(16L, static_cast<long>(batch_ms * 1e6 / ns));
        n *= 2;
    }
    return n;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

const EVP_MD* md_of(JwsAlg a) {
    switch (a) {
    case JwsAlg::HS256: case JwsAlg::RS256: case JwsAlg::PS256: case JwsAlg::ES256: return EVP_sha256();
    case JwsAlg::HS384: case JwsAlg::RS384: case JwsAlg::PS384: case JwsAlg::ES384: return EVP_sha384();
    case JwsAlg::HS512: case JwsAlg::RS512: case JwsAlg::PS512: case JwsAlg::ES512: return EVP_sha512();
    default: return nullptr;
    }
}

const char* md_name(JwsAlg a) {
    const EVP_MD* md = md_of(a);
    return md ? EVP_MD_get0_name(md) : nullptr;
}

std::string raw_to_der(const std::string& raw) {
    std::size_t n = raw.size() / 2;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    auto u = reinterpret_cast<const unsigned char*>(raw.data());
    ECDSA_SIG_set0(sig, BN_bin2bn(u, static_cast<int>(n), nullptr), BN_bin2bn(u + n, static_cast<int>(n), nullptr));
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(sig, &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    return out;
}

struct Row {
    const char* alg;
    double raw, prepared, ours, libjwt;  // ns per verification; libjwt < 0: not supported there
    double vs_raw, vs_prepared, vs_libjwt;  // medians of the per-round ratios
};

}  // namespace

int main(int argc, char** argv) {
    int rounds = argc > 1 ? std::atoi(argv[1]) : 15;
    double batch_ms = argc > 2 ? std::atof(argv[2]) : 60;
    if (rounds < 1 || rounds > 101 || batch_ms <= 0 || batch_ms > 5000) {
        std::fprintf(stderr, "usage: jwt_bench [ROUNDS 1-101] [BATCH_MS] [ALG]\n");
        return 2;
    }
    const std::int64_t now = SystemClock().now();
    const JwsAlg algs[] = {JwsAlg::HS256, JwsAlg::HS384, JwsAlg::HS512, JwsAlg::RS256, JwsAlg::PS256,
                           JwsAlg::ES256, JwsAlg::ES384, JwsAlg::EdDSA};
    std::vector<Row> rows;
    EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    for (JwsAlg alg : algs) {
        if (argc > 3 && std::string(argv[3]) != jws_alg_name(alg)) continue;
        JwsKey key;
        key.kid = "bench-key";
        key.alg = alg;
        key.has_private = true;
        std::string secret(64, '\0'), pem;
        if (is_hmac(alg)) {
            for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<char>('A' + i % 26);
            key = secret_to_key(SecretString(secret), alg, "bench-key").value();
            key.has_private = true;
        } else {
            key.pkey = test::generate_key(alg);
            pem = test::pem_public(key.pkey.get());
        }
        // A typical ID token from a broker.
        JsonWriter claims;
        claims.begin_object().key("iss").string("https://idp.example.com").key("aud").string("https://helpdesk.example.com");
        claims.key("sub").string("jane.doe").key("email").string("jane.doe@example.com").key("name").string("Jane Doe");
        claims.key("groups").begin_array().string("agents").string("admins").end_array().end_object();
        std::string token = jwt_mint(key, JsonObject::parse(claims.text(), Status::internal).value(), now, 3600).value();
        std::size_t dot = token.rfind('.');
        const std::string input = token.substr(0, dot);
        const std::string sig = base64url_decode(token.substr(dot + 1)).value();
        const std::string der = (alg == JwsAlg::ES256 || alg == JwsAlg::ES384) ? raw_to_der(sig) : sig;

        JwsKey verify_key = key;
        verify_key.has_private = false;
        JwsVerifier verifier({verify_key});
        ClaimsPolicy policy;
        policy.issuer = "https://idp.example.com";
        policy.audiences = {"https://helpdesk.example.com"};

        bool ok = true;
        auto ours = [&] {
            auto jws = verifier.verify(token);
            if (!jws) { ok = false; return; }
            auto c = parse_claims(jws.value().payload);
            if (!c || !check_claims(c.value(), policy, now)) ok = false;
        };
        // Raw EVP: HMAC through a pre-fetched EVP_MAC, or EVP_DigestVerify
        // with the key already loaded and the signature already in DER.
        EVP_PKEY* pkey = key.pkey.get();
        auto raw = [&] {
            if (is_hmac(alg)) {
                OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                                        const_cast<char*>(md_name(alg)), 0),
                                       OSSL_PARAM_construct_end()};
                EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac);
                unsigned char out[EVP_MAX_MD_SIZE];
                std::size_t len = 0;
                if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret.data()), key.secret.size(),
                                 params) != 1 ||
                    EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1 ||
                    EVP_MAC_final(ctx, out, &len, sizeof out) != 1 || len != sig.size() ||
                    CRYPTO_memcmp(out, sig.data(), len) != 0)
                    ok = false;
                EVP_MAC_CTX_free(ctx);
                return;
            }
            EVP_MD_CTX* ctx = EVP_MD_CTX_new();
            EVP_PKEY_CTX* pctx = nullptr;
            if (EVP_DigestVerifyInit(ctx, &pctx, md_of(alg), nullptr, pkey) != 1) ok = false;
            if (alg == JwsAlg::PS256) {
                EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
                EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md_of(alg));
            }
            if (EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                                 reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
                ok = false;
            EVP_MD_CTX_free(ctx);
        };
        // The bare crypto with everything set up beforehand, as ours does it:
        // a keyed HMAC context started again, or a copy of an initialised
        // verification context. What ours adds on top is parsing and checks.
        EVP_MAC_CTX* mac_tmpl = nullptr;
        EVP_MD_CTX* md_tmpl = nullptr;
        if (is_hmac(alg)) {
            OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                                    const_cast<char*>(md_name(alg)), 0),
                                   OSSL_PARAM_construct_end()};
            mac_tmpl = EVP_MAC_CTX_new(hmac);
            if (EVP_MAC_init(mac_tmpl, reinterpret_cast<const unsigned char*>(secret.data()), key.secret.size(),
                             params) != 1)
                ok = false;
        } else {
            md_tmpl = EVP_MD_CTX_new();
            EVP_PKEY_CTX* pctx = nullptr;
            if (EVP_DigestVerifyInit(md_tmpl, &pctx, md_of(alg), nullptr, pkey) != 1) ok = false;
            if (alg == JwsAlg::PS256) {
                EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
                EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md_of(alg));
            }
        }
        auto prepared = [&] {
            if (mac_tmpl) {
                unsigned char out[EVP_MAX_MD_SIZE];
                std::size_t len = 0;
                if (EVP_MAC_init(mac_tmpl, nullptr, 0, nullptr) != 1 ||
                    EVP_MAC_update(mac_tmpl, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1 ||
                    EVP_MAC_final(mac_tmpl, out, &len, sizeof out) != 1 || len != sig.size() ||
                    CRYPTO_memcmp(out, sig.data(), len) != 0)
                    ok = false;
                return;
            }
            EVP_MD_CTX* ctx = EVP_MD_CTX_new();
            if (EVP_MD_CTX_copy_ex(ctx, md_tmpl) != 1 ||
                EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                                 reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
                ok = false;
            EVP_MD_CTX_free(ctx);
        };
        std::function<void()> lib;
#ifdef HDSSO_HAVE_LIBJWT
        bool libjwt_supports = alg != JwsAlg::PS256 && alg != JwsAlg::EdDSA;  // libjwt 1.10
        const std::string& libkey = is_hmac(alg) ? secret.substr(0, key.secret.size()) : pem;
        std::string libkey_copy = libkey;
        if (libjwt_supports)
            lib = [&] {
                jwt_t* j = nullptr;
                if (jwt_decode(&j, token.c_str(), reinterpret_cast<const unsigned char*>(libkey_copy.data()),
                               static_cast<int>(libkey_copy.size())) != 0)
                    ok = false;
                jwt_free(j);
            };
#endif
        // Check all three accept the token before timing anything.
        ours();
        raw();
        prepared();
        if (lib) lib();
        if (!ok) {
            std::fprintf(stderr, "%s: a verifier rejected the benchmark token\n", jws_alg_name(alg));
            return 1;
        }
        long n_ours = calibrate(ours, batch_ms), n_raw = calibrate(raw, batch_ms);
        long n_prep = calibrate(prepared, batch_ms), n_lib = lib ? calibrate(lib, batch_ms) : 0;
        std::vector<double> t_ours, t_raw, t_prep, t_lib, r_raw, r_prep, r_lib;
        for (int r = 0; r < rounds; ++r) {
            // The order rotates from round to round, so that no variant
            // always runs first after the previous algorithm.
            double o = 0, a = 0, p = 0, l = 0;
            for (int k = 0; k < 4; ++k) {
                switch ((r + k) % 4) {
                case 0: o = time_batch(ours, n_ours); break;
                case 1: a = time_batch(raw, n_raw); break;
                case 2: p = time_batch(prepared, n_prep); break;
                case 3: if (lib) l = time_batch(lib, n_lib); break;
                }
            }
            t_ours.push_back(o);
            t_raw.push_back(a);
            t_prep.push_back(p);
            r_raw.push_back(o / a);
            r_prep.push_back(o / p);
            if (lib) {
                t_lib.push_back(l);
                r_lib.push_back(o / l);
            }
        }
        if (!ok) {
            std::fprintf(stderr, "%s: a verification failed while timing\n", jws_alg_name(alg));
            return 1;
        }
        EVP_MAC_CTX_free(mac_tmpl);
        EVP_MD_CTX_free(md_tmpl);
        rows.push_back({jws_alg_name(alg), median(t_raw), median(t_prep), median(t_ours), lib ? median(t_lib) : -1,
                        median(r_raw), median(r_prep), lib ? median(r_lib) : -1});
    }
    EVP_MAC_free(hmac);

    std::printf("JWT verification, ns per token and ratios: medians over %d interleaved rounds\n", rounds);
    std::printf("%-6s %10s %10s %10s %10s %9s %9s %9s  %s\n", "alg", "raw EVP", "prepared", "ours", "libjwt",
                "ours/raw", "ours/prep", "ours/lib", "target");
    // Issue 3's targets: HS256 <= 1.5x raw HMAC; RS256, ES256, EdDSA <= 1.05x
    // raw EVP; faster than libjwt for every algorithm both support. The
    // other algorithms are shown for information.
    bool all_met = true;
    for (const Row& r : rows) {
        std::string alg = r.alg;
        double limit = alg == "HS256" ? 1.5 : (alg == "RS256" || alg == "ES256" || alg == "EdDSA") ? 1.05 : 0;
        double vs_raw = r.vs_raw;
        bool met = (limit == 0 || vs_raw <= limit) && (r.libjwt < 0 || r.vs_libjwt < 1);
        all_met = all_met && met;
        char lib[32] = "-", vs_lib[32] = "-", target[64] = "";
        if (r.libjwt >= 0) {
            std::snprintf(lib, sizeof lib, "%.0f", r.libjwt);
            std::snprintf(vs_lib, sizeof vs_lib, "%.3f", r.vs_libjwt);
        }
        if (limit > 0) std::snprintf(target, sizeof target, "<= %.2fx raw", limit);
        if (r.libjwt >= 0) std::snprintf(target + std::strlen(target), sizeof target - std::strlen(target), "%s< libjwt",
                                         limit > 0 ? ", " : "");
        std::printf("%-6s %10.0f %10.0f %10.0f %10s %9.3f %9.3f %9s  %s%s\n", r.alg, r.raw, r.prepared, r.ours, lib,
                    vs_raw, r.vs_prepared, vs_lib, target, *target ? (met ? ": met" : ": NOT met") : "(no target)");
    }
    std::printf("jwt bench: targets %s\n", all_met ? "met" : "NOT met");
    return 0;
}
