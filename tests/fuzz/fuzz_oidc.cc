// OpenID Connect core (src/oidc): a provider's discovery document and an ID
// token. The first byte picks:
//  even: the rest is a discovery document for the issuer
//        https://issuer.example;
//  odd:  the rest is "header JSON\nclaims JSON", signed here with the key
//        the next byte picks (HS256, RS256, ES256, EdDSA), for an ID token
//        policy that allows RS256, ES256 and EdDSA.
// Invariants: an accepted document names the configured issuer exactly,
// https endpoints, and ID token algorithms without none or HS*; an accepted
// ID token was signed by a key of an allowed algorithm (never the shared
// secret), names the issuer exactly, the client in aud (and as azp when
// present), the nonce sent, and a non-empty sub; it is accepted again (no
// state) and a refusal is oidc.bad_id_token.
#include "fuzz_common.h"
#include "fuzz_keys.h"

#include <algorithm>

#include "jose/base64url.h"
#include "oidc/id_token.h"
#include "oidc/provider.h"

using namespace hdsso;

namespace {

constexpr std::int64_t kNow = 1700000000;
const std::string kIssuer = "https://issuer.example";

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

void id_token(fuzz::Input& in) {
    static const JwsVerifier keys(fuzz::signing_keys());
    IdTokenPolicy p;
    p.issuer = kIssuer;
    p.client_id = "client-fuzz";
    p.algs = {JwsAlg::RS256, JwsAlg::ES256, JwsAlg::EdDSA};
    const auto& all = fuzz::signing_keys();
    const JwsKey& key = all[in.byte() % 4];
    std::string_view header = in.line();
    std::string_view claims = in.rest();
    std::string input = base64url_encode(header) + "." + base64url_encode(claims);
    auto sig = jws_sign_raw(key, input);
    FUZZ_CHECK(sig.ok(), "signing with a harness key failed");
    std::string token = input + "." + base64url_encode(sig.value());
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    if (in.byte() % 2 == 0) discovery(in.rest());
    else id_token(in);
    return 0;
}
