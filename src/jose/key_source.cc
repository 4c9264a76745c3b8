#include "jose/key_source.h"

#include <algorithm>
#include <functional>
#include <set>

#include "core/secret_file.h"

namespace hdsso {

namespace {

Error invalid(std::string detail) { return make_error(Status::jwt_key_invalid, std::move(detail)); }

bool allowed(const std::vector<JwsAlg>& algs, JwsAlg a) {
    return algs.empty() || std::find(algs.begin(), algs.end(), a) != algs.end();
}

// Whether a JWK without "alg" can serve `a`: the key type, and the curve
// for EC and OKP.
bool fits(const JsonObject& jwk, JwsAlg a) {
    auto kty = jwk.string("kty").value_or("");
    auto crv = jwk.string("crv").value_or("");
    switch (a) {
    case JwsAlg::HS256: case JwsAlg::HS384: case JwsAlg::HS512: return kty == "oct";
    case JwsAlg::RS256: case JwsAlg::RS384: case JwsAlg::RS512:
    case JwsAlg::PS256: case JwsAlg::PS384: case JwsAlg::PS512: return kty == "RSA";
    case JwsAlg::ES256: return kty == "EC" && crv == "P-256";
    case JwsAlg::ES384: return kty == "EC" && crv == "P-384";
    case JwsAlg::ES512: return kty == "EC" && crv == "P-521";
    case JwsAlg::EdDSA: return kty == "OKP" && crv == "Ed25519";
    }
    return false;
}

// In a key set, keys for another purpose are passed over: encryption keys
// ("use":"enc", or an "alg" that is no JWS algorithm) that identity
// providers publish beside their signing keys, and keys of algorithms this
// site does not allow. A lone JWK must be usable.
Result<void> add_jwk(const JsonObject& jwk, const std::vector<JwsAlg>& algs, std::vector<JwsKey>& out,
                     const std::string& where, bool in_set) {
    auto own = jwk.string("alg");
    std::optional<JwsAlg> a = own ? parse_jws_alg(*own) : std::nullopt;
    if (in_set) {
        auto use = jwk.string("use");
        if ((use && *use != "sig") || (own && !a) || (a && !allowed(algs, *a))) return {};
    }
    if (own) {
        auto k = jwk_to_key(jwk, std::nullopt);
        if (!k) return invalid(where + k.error().detail);
        if (!allowed(algs, k.value().alg))
            return invalid(where + "the JWK's alg " + std::string(*own) + " is not one of the allowed algorithms");
        out.push_back(std::move(k.value()));
        return {};
    }
    if (algs.empty()) return invalid(where + "the JWK has no 'alg' and no algorithm is configured");
    bool any = false;
    for (JwsAlg alg : algs) {
        if (!fits(jwk, alg)) continue;
        auto k = jwk_to_key(jwk, alg);
        if (!k) return invalid(where + k.error().detail);
        out.push_back(std::move(k.value()));
        any = true;
    }
    if (!any && !in_set) return invalid(where + "the JWK fits none of the allowed algorithms");
    return {};
}

std::string alg_list(const std::vector<JwsAlg>& algs) {
    std::string s;
    for (JwsAlg a : algs) s += (s.empty() ? "" : " ") + std::string(jws_alg_name(a));
    return s.empty() ? "any" : s;
}

Result<std::vector<JwsKey>> one_per_alg(const std::vector<JwsAlg>& algs, const char* what,
                                        const std::function<Result<JwsKey>(JwsAlg)>& make) {
    if (algs.empty()) return invalid(std::string("a ") + what + " needs an algorithm");
    std::vector<JwsKey> keys;
    for (JwsAlg a : algs) {
        auto k = make(a);
        if (!k) return k.error();
        keys.push_back(std::move(k.value()));
    }
    return keys;
}

bool is_pem(std::string_view t) {
    std::size_t first = t.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && t.substr(first, 10) == "-----BEGIN";
}

bool is_json(std::string_view t) {
    std::size_t first = t.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && t[first] == '{';
}

}  // namespace

Result<std::vector<JwsKey>> keys_from_jwks(std::string_view text, const std::vector<JwsAlg>& algs) {
    auto doc = JsonObject::parse(text, Status::jwt_key_invalid);
    if (!doc) return doc.error();
    std::vector<JwsKey> keys;
    if (!doc.value().has("keys")) {
        if (auto r = add_jwk(doc.value(), algs, keys, "", false); !r) return r.error();
        return keys;
    }
    auto list = doc.value().objects("keys");
    if (!list || list->empty()) return invalid("'keys' must be a non-empty array of JWK objects");
    std::set<std::string_view> kids;
    bool secret = false, pub = false;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const JsonObject& jwk = (*list)[i];
        std::string where = "key " + std::to_string(i) + ": ";
        std::size_t before = keys.size();
        if (auto r = add_jwk(jwk, algs, keys, where, true); !r) return r.error();
        if (keys.size() == before) continue;
        // kid is the only selector a token has: two keys under one kid, or
        // shared secrets published beside public keys, make a set ambiguous.
        auto kid = jwk.string("kid");
        if (kid && !kids.insert(*kid).second) return invalid(where + "kid '" + std::string(*kid) + "' appears twice in the set");
        (is_hmac(keys.back().alg) ? secret : pub) = true;
        if (secret && pub) return invalid(where + "a set mixes shared secrets (kty 'oct') and public keys");
    }
    if (keys.empty()) return invalid("no key in the set fits the allowed algorithms (" + alg_list(algs) + ")");
    return keys;
}

Result<std::vector<JwsKey>> keys_from_text(std::string_view text, const std::vector<JwsAlg>& algs,
                                           const std::string& kid) {
    if (is_pem(text))
        return one_per_alg(algs, "PEM key", [&](JwsAlg a) { return pem_to_key(text, a, kid); });
    if (is_json(text)) return keys_from_jwks(text, algs);
    for (JwsAlg a : algs)
        if (!is_hmac(a)) return invalid(std::string("a shared secret cannot serve ") + jws_alg_name(a));
    return one_per_alg(algs, "shared secret", [&](JwsAlg a) {
        return secret_to_key(SecretString(std::string(text)), a, kid);
    });
}

Result<std::vector<JwsKey>> load_key_file(const std::string& path, const std::vector<JwsAlg>& algs,
                                          const std::string& kid) {
    auto read = read_config_file(path);
    if (!read) return read.error();
    std::string text = std::move(read.value());
    if (is_pem(text) || is_json(text)) {
        auto keys = keys_from_text(text, algs, kid);
        if (!keys) return make_error(keys.error().code, path + ": " + keys.error().detail);
        return keys;
    }
    auto secret = read_secret_file(path);
    if (!secret) return secret.error();
    auto keys = keys_from_text(secret.value().view(), algs, kid);
    if (!keys) return make_error(keys.error().code, path + ": " + keys.error().detail);
    return keys;
}

}  // namespace hdsso
