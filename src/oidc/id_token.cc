#include "oidc/id_token.h"

#include <algorithm>

#include <openssl/evp.h>

#include "core/crypto.h"
#include "jose/base64url.h"
#include "jose/claims.h"
#include "oidc/provider.h"

namespace hdsso {

namespace {

Error bad(const Error& e) {
    return make_error(Status::oidc_bad_id_token, std::string(status_name(e.code)) + ": " + e.detail);
}
Error bad(Status code, std::string why) { return bad(make_error(code, std::move(why))); }

const EVP_MD* hash_of(JwsAlg a) {
    switch (a) {
    case JwsAlg::HS384: case JwsAlg::RS384: case JwsAlg::PS384: case JwsAlg::ES384: return EVP_sha384();
    case JwsAlg::HS512: case JwsAlg::RS512: case JwsAlg::PS512: case JwsAlg::ES512: case JwsAlg::EdDSA:
        return EVP_sha512();
    default: return EVP_sha256();
    }
}

}  // namespace

std::string token_type(std::string_view token) {
    auto header = base64url_decode(token.substr(0, token.find('.')));
    if (!header) return "?";
    auto h = JsonObject::parse(header.value(), Status::jwt_malformed);
    if (!h) return "?";
    if (!h.value().has("typ")) return "";
    auto typ = h.value().string("typ");
    if (!typ) return "?";
    std::string t(typ->substr(0, 64));
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (t.rfind("application/", 0) == 0) t = t.substr(12);
    return t;
}

Result<void> check_token_type(std::string_view token, const char* what) {
    std::string t = token_type(token);
    if (t == "?") return make_error(Status::jwt_invalid_claim, "the header's typ cannot be read");
    if (t == "at+jwt" || t == "logout+jwt" || t == "secevent+jwt" || t == "dpop+jwt")
        return make_error(Status::jwt_invalid_claim, "a token of type " + t + " is not " + what);
    return {};
}

Result<std::string> expected_issuer(const std::string& issuer, const JsonObject& claims) {
    if (!issuer_has_tenant(issuer)) return issuer;
    auto tid = claims.string("tid");
    if (!tid) return make_error(Status::jwt_missing_claim, "a multi-tenant provider's token has no tid");
    auto iss = claims.string("iss");
    if (!iss || !tenant_issuer_matches(issuer, *iss, false, *tid))
        return make_error(Status::jwt_issuer_mismatch, "iss is not the provider's issuer for the token's tid");
    return std::string(*iss);
}

Result<Pkce> make_pkce() {
    auto rnd = random_bytes(32);
    if (!rnd) return rnd.error();
    Pkce p;
    p.verifier = base64url_encode(rnd.value());
    p.challenge = pkce_s256(p.verifier);
    return p;
}

std::string pkce_s256(std::string_view verifier) { return base64url_encode(sha256(verifier)); }

std::string oidc_half_hash(JwsAlg alg, std::string_view value) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(value.data(), value.size(), md, &len, hash_of(alg), nullptr);
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(md), len / 2));
}

Result<ProviderToken> verify_provider_token(const JwsVerifier& keys, std::string_view token, const IdTokenPolicy& p,
                                            const std::function<Result<void>(std::string_view)>& type_ok,
                                            std::int64_t now) {
    // An empty issuer or client would waive the check it stands for.
    if (p.issuer.empty() || p.client_id.empty() || p.algs.empty())
        return make_error(Status::config_invalid, "a token policy needs the issuer, the client ID and algorithms");
    auto jws = keys.verify(token);
    if (!jws) return jws.error();
    JwsAlg alg = jws.value().key->alg;
    if (std::find(p.algs.begin(), p.algs.end(), alg) == p.algs.end())
        return make_error(Status::jwt_alg_not_allowed,
                          std::string(jws_alg_name(alg)) + " is not among the provider's ID token algorithms");
    if (auto t = type_ok(token); !t) return t.error();
    auto claims = parse_claims(jws.value().payload);
    if (!claims) return claims.error();
    const JsonObject& c = claims.value();
    ClaimsPolicy cp;
    auto issuer = expected_issuer(p.issuer, c);
    if (!issuer) return issuer.error();
    cp.issuer = issuer.value();
    cp.audiences = {p.client_id};
    cp.leeway = p.leeway;
    cp.max_age = p.max_age;
    if (auto ok = check_claims(c, cp, now); !ok) return ok.error();
    return ProviderToken{std::move(claims.value()), alg, std::move(issuer.value())};
}

Result<JsonObject> verify_id_token(const JwsVerifier& keys, std::string_view token, const IdTokenPolicy& p,
                                   std::string_view nonce, std::string_view access_token, std::int64_t now) {
    auto verified = verify_provider_token(
        keys, token, p, [](std::string_view t) { return check_token_type(t, "an ID token"); }, now);
    if (!verified) return verified.error().code == Status::config_invalid ? verified.error() : bad(verified.error());
    const JsonObject& c = verified.value().claims;
    JwsAlg alg = verified.value().alg;
    for (const char* required : {"iat", "sub"})
        if (!c.has(required)) return bad(Status::jwt_missing_claim, std::string("the ID token has no ") + required);
    auto sub = c.string("sub");
    if (!sub || sub->empty() || sub->size() > 255)
        return bad(Status::jwt_invalid_claim, "sub must be a string of 1 to 255 characters");
    std::vector<std::string_view> aud;
    c.strings("aud", aud);
    auto azp = c.string("azp");
    if (c.has("azp") && (!azp || *azp != p.client_id))
        return bad(Status::jwt_audience_mismatch, "azp is not this client");
    if (aud.size() > 1 && !azp)
        return bad(Status::jwt_missing_claim, "an ID token for several audiences must name its azp");
    auto got = c.string("nonce");
    if (!got) return bad(Status::jwt_missing_claim, "the ID token has no nonce");
    if (nonce.empty() || !constant_time_equal(*got, nonce))
        return bad(Status::jwt_invalid_claim, "the nonce is not the one this sign-in sent");
    if (!access_token.empty() && c.has("at_hash")) {
        auto at_hash = c.string("at_hash");
        if (!at_hash || !constant_time_equal(*at_hash, oidc_half_hash(alg, access_token)))
            return bad(Status::jwt_invalid_claim, "at_hash does not match the access token");
    }
    return verified.value().claims;
}

}  // namespace hdsso
