// OpenID Connect core (src/oidc): a provider's discovery document, an ID
// token, a back-channel logout token, and a token endpoint's answer with
// the identity its claims make. The first byte picks (modulo 4):
//  0: the rest is a discovery document for the issuer
//     https://issuer.example;
//  1: the rest is "header JSON\nclaims JSON", signed here with the key the
//     next byte picks (HS256, RS256, ES256, EdDSA), for an ID token policy
//     that allows RS256, ES256 and EdDSA;
//  2: the same, as a back-channel logout token;
//  3: the next byte is the HTTP status, then "answer JSON\nclaims JSON": a
//     token endpoint's answer, and claims made into an identity (with a
//     tenant and a hosted-domain restriction when the byte after says so).
// Invariants: an accepted document names the configured issuer exactly,
// https endpoints, and ID token algorithms without none or HS*; an accepted
// ID token was signed by a key of an allowed algorithm (never the shared
// secret), names the issuer exactly, the client in aud (and as azp when
// present), the nonce sent, and a non-empty sub; it is accepted again (no
// state) and a refusal is oidc.bad_id_token. An accepted logout token was
// signed with an allowed key, names the issuer and client, has the
// back-channel event, a jti, sub or sid, and no nonce. An accepted token
// answer came with status 200 and has an id_token; an identity has a
// non-empty subject, the restricted tid/hd, and an email only when the
// claims say it was verified.
#include "fuzz_common.h"
#include "fuzz_keys.h"

#include <algorithm>

#include "jose/base64url.h"
#include "oidc/client.h"
#include "oidc/id_token.h"
#include "oidc/provider.h"

using namespace hdsso;

namespace {

constexpr std::int64_t kNow = 1700000000;
const std::string kIssuer = "https://issuer.example";

// The provider's policy for ID and logout tokens: RS256, ES256, EdDSA.
IdTokenPolicy policy() {
    IdTokenPolicy p;
    p.issuer = kIssuer;
    p.client_id = "client-fuzz";
    p.algs = {JwsAlg::RS256, JwsAlg::ES256, JwsAlg::EdDSA};
    return p;
}

bool https(const std::string& url) { return url.rfind("https://", 0) == 0; }

void discovery(std::string_view text) {
    auto p = parse_discovery(text, kIssuer);
    if (!p) {
        FUZZ_CHECK(p.error().code == Status::oidc_discovery, "a refused document with another status");
        return;
    }
    const OidcProvider& o = p.value();
    FUZZ_CHECK(o.issuer == kIssuer, "another issuer accepted: " + o.issuer);
    FUZZ_CHECK(https(o.authorization_endpoint) && https(o.token_endpoint) && https(o.jwks_uri),
               "an endpoint that is not https accepted");
    FUZZ_CHECK(o.userinfo_endpoint.empty() || https(o.userinfo_endpoint), "userinfo_endpoint not https");
    FUZZ_CHECK(o.end_session_endpoint.empty() || https(o.end_session_endpoint), "end_session_endpoint not https");
    FUZZ_CHECK(!o.id_token_algs.empty(), "no ID token algorithm");
    for (JwsAlg a : o.id_token_algs) FUZZ_CHECK(!is_hmac(a), "an HS* ID token algorithm kept");
}

std::string signed_token(fuzz::Input& in, const JwsKey*& key) {
    const auto& all = fuzz::signing_keys();
    key = &all[in.byte() % 4];
    std::string_view header = in.line();
    std::string_view claims = in.rest();
    std::string input = base64url_encode(header) + "." + base64url_encode(claims);
    auto sig = jws_sign_raw(*key, input);
    FUZZ_CHECK(sig.ok(), "signing with a harness key failed");
    return input + "." + base64url_encode(sig.value());
}

void id_token(fuzz::Input& in) {
    static const JwsVerifier keys(fuzz::signing_keys());
    const IdTokenPolicy p = policy();
    const JwsKey* signer = nullptr;
    std::string token = signed_token(in, signer);
    const JwsKey& key = *signer;
    auto r = verify_id_token(keys, token, p, "n-fuzz", "access-token", kNow);
    if (!r) {
        FUZZ_CHECK(r.error().code == Status::oidc_bad_id_token, "a refused ID token with another status");
        return;
    }
    FUZZ_CHECK(!is_hmac(key.alg), "an ID token signed with the shared secret accepted");
    const JsonObject& c = r.value();
    FUZZ_CHECK(c.string("iss") == std::optional<std::string_view>(kIssuer), "another issuer accepted");
    std::vector<std::string_view> aud;
    c.strings("aud", aud);
    FUZZ_CHECK(std::find(aud.begin(), aud.end(), "client-fuzz") != aud.end(), "aud without the client accepted");
    FUZZ_CHECK(!c.has("azp") || c.string("azp") == std::optional<std::string_view>("client-fuzz"), "another azp");
    FUZZ_CHECK(c.string("nonce") == std::optional<std::string_view>("n-fuzz"), "another nonce accepted");
    auto sub = c.string("sub");
    FUZZ_CHECK(sub && !sub->empty(), "an empty sub accepted");
    FUZZ_CHECK(verify_id_token(keys, token, p, "n-fuzz", "access-token", kNow).ok(), "accepted once, not twice");
}

void logout_token(fuzz::Input& in) {
    static const JwsVerifier keys(fuzz::signing_keys());
    const IdTokenPolicy p = policy();
    const JwsKey* key = nullptr;
    std::string token = signed_token(in, key);
    auto r = verify_logout_token(keys, token, p, kNow);
    if (!r) {
        FUZZ_CHECK(r.error().code == Status::oidc_bad_logout_token, "a refused logout token with another status");
        return;
    }
    FUZZ_CHECK(!is_hmac(key->alg), "a logout token signed with the shared secret accepted");
    FUZZ_CHECK(r.value().issuer == kIssuer, "another issuer accepted");
    FUZZ_CHECK(!r.value().jti.empty(), "a logout token without jti accepted");
    FUZZ_CHECK(!r.value().sub.empty() || !r.value().sid.empty(), "a logout token naming no one accepted");
    auto payload = base64url_decode(token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
    FUZZ_CHECK(payload.ok(), "an accepted token's payload does not decode");
    auto c = JsonObject::parse(payload.value(), Status::jwt_malformed);
    FUZZ_CHECK(c.ok() && !c.value().has("nonce"), "a logout token with a nonce accepted");
    std::vector<std::string_view> aud;
    c.value().strings("aud", aud);
    FUZZ_CHECK(std::find(aud.begin(), aud.end(), "client-fuzz") != aud.end(), "aud without the client accepted");
}

void token_answer(fuzz::Input& in) {
    HttpAnswer a;
    a.status = in.byte() % 2 ? 200 : 400;
    bool restricted = in.byte() % 2;
    a.content_type = "application/json";
    a.body = std::string(in.line());
    auto t = parse_token_answer(a);
    if (t) {
        FUZZ_CHECK(a.status == 200, "a token answer with an error status accepted");
        FUZZ_CHECK(!t.value().id_token.empty(), "a token answer without id_token accepted");
    } else {
        FUZZ_CHECK(t.error().code == Status::oidc_token_endpoint, "a refused token answer with another status");
    }
    auto claims = JsonObject::parse(in.rest(), Status::jwt_malformed);
    if (!claims) return;
    OidcClientSettings c;
    c.client_id = "client-fuzz";
    if (restricted) {
        c.tenants = {"t-1"};
        c.domains = {"example.com"};
    }
    auto id = oidc_identity(claims.value(), nullptr, c, kIssuer, kNow);
    if (!id) {
        FUZZ_CHECK(id.error().code == Status::oidc_claim_refused || id.error().code == Status::oidc_bad_id_token,
                   "a refused identity with another status");
        return;
    }
    FUZZ_CHECK(!id.value().subject.empty(), "an identity without a subject");
    if (restricted) {
        FUZZ_CHECK(claims.value().string("tid") == std::optional<std::string_view>("t-1"), "another tenant accepted");
        FUZZ_CHECK(claims.value().string("hd") == std::optional<std::string_view>("example.com"),
                   "another hosted domain accepted");
    }
    FUZZ_CHECK(id.value().email.empty() || claims.value().boolean("email_verified") == true,
               "an unverified email taken");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    switch (in.byte() % 4) {
    case 0: discovery(in.rest()); break;
    case 1: id_token(in); break;
    case 2: logout_token(in); break;
    default: token_answer(in); break;
    }
    return 0;
}
