// JWT sign-in (src/jose/jwt_login): the token a browser brings to PATH/jwt.
// The first byte picks:
//  even: the rest is the token as sent;
//  odd:  the rest is "header JSON\nclaims JSON", signed here with the key
//        the next byte picks, so the claim checks, the claim mapping and the
//        one-time use of jti are reached.
// Invariants: an accepted token's identity has a non-empty, safe subject
// that is its "sub" claim; its iss is the configured one and its aud names
// the configured audience; the same token accepted a second time aborts
// (one-time use of jti); a token refused once is refused again with the same
// status (a refusal consumes nothing).
#include "fuzz_common.h"
#include "fuzz_keys.h"

#include "core/clock.h"
#include "core/crypto.h"
#include "core/kv_store.h"
#include "core/text.h"
#include "jose/base64url.h"
#include "jose/jwt_login.h"

using namespace hdsso;

namespace {

constexpr std::int64_t kNow = 1700000000;

JwtLoginPolicy policy() {
    JwtLoginPolicy p;
    p.claims.issuer = "https://issuer.example";
    p.claims.audiences = {"hdsso-fuzz", "other"};
    p.claims.leeway = 60;
    p.claims.max_age = 3600;
    p.one_time = true;
    p.idp_name = "fuzz";
    return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto jws = std::make_shared<const JwsVerifier>(fuzz::signing_keys());
    static const JwtLoginVerifier verifier(jws, policy());
    FixedClock clock(kNow);
    MemoryKvStore store(clock);
    ReplayCache replay(store);

    fuzz::Input in(data, size);
    std::uint8_t mode = in.byte();
    std::string token;
    if (mode % 2 == 0) {
        token = std::string(in.rest());
    } else {
        const auto& keys = fuzz::signing_keys();
        const JwsKey& key = keys[in.byte() % keys.size()];
        std::string_view header = in.line();
        std::string_view claims = in.rest();
        std::string input = base64url_encode(header) + "." + base64url_encode(claims);
        auto sig = jws_sign_raw(key, input);
        FUZZ_CHECK(sig.ok(), "signing with a harness key failed");
        token = input + "." + base64url_encode(sig.value());
    }
    auto r = verifier.verify(token, kNow, replay);
    if (!r) {
        auto again = verifier.verify(token, kNow, replay);
        FUZZ_CHECK(!again.ok() && again.error().code == r.error().code, "a refused token fared otherwise the second time");
        return 0;
    }
    const Identity& id = r.value();
    FUZZ_CHECK(!id.subject.empty() && safe_text(id.subject), "an empty or unsafe subject accepted");
    FUZZ_CHECK(id.issuer == "https://issuer.example", "another issuer accepted: " + id.issuer);
    FUZZ_CHECK(id.idp_name == "fuzz", "idp_name not recorded");
    auto sub = id.attributes.find("sub");
    FUZZ_CHECK(sub != id.attributes.end() && !sub->second.empty() && sub->second[0] == id.subject,
               "the subject is not the sub claim");
    auto aud = id.attributes.find("aud");
    bool aud_ok = false;
    if (aud != id.attributes.end())
        for (const auto& a : aud->second) aud_ok = aud_ok || a == "hdsso-fuzz" || a == "other";
    FUZZ_CHECK(aud_ok, "no configured audience in aud");
    FUZZ_CHECK(id.attributes.count("jti") && !id.attributes.at("jti").at(0).empty(), "accepted without a jti");
    auto twice = verifier.verify(token, kNow, replay);
    FUZZ_CHECK(!twice.ok(), "a one-time token was accepted twice");
    FUZZ_CHECK(twice.error().code == Status::jwt_replayed, "a replay refused with another status");
    return 0;
}
