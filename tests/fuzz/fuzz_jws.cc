// Compact JWS verification (src/jose/jws) with several configured keys
// (HS256 with and without kid, RS256, ES256, EdDSA). The first byte picks:
//  even: the rest is a token as a client sends it;
//  odd:  the rest is "header JSON\npayload": the harness signs it with the
//        key the next byte picks (so header, key selection and payload
//        handling are reached past the signature).
// Invariants: an accepted token has three base64url parts; its payload is
// the middle part decoded; the verifying key's algorithm is the header's and
// its kid matches the header's (or it has none); the verifier answers the
// same the second time (its header cache); a token changed in one byte of
// its signature is refused.
#include "fuzz_common.h"
#include "fuzz_keys.h"

#include "core/crypto.h"
#include "jose/base64url.h"
#include "jose/jws.h"

using namespace hdsso;

namespace {

void check_accepted(std::string_view token, const VerifiedJws& v) {
    std::size_t d1 = token.find('.');
    std::size_t d2 = token.find('.', d1 + 1);
    FUZZ_CHECK(d1 != std::string_view::npos && d2 != std::string_view::npos &&
                   token.find('.', d2 + 1) == std::string_view::npos,
               "an accepted token is not three parts");
    auto header = base64url_decode(token.substr(0, d1));
    auto payload = base64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
    FUZZ_CHECK(header.ok() && payload.ok(), "an accepted token has a part that is not base64url");
    FUZZ_CHECK(payload.value() == v.payload, "the payload is not the middle part");
    auto h = JsonObject::parse(header.value(), Status::jwt_malformed);
    FUZZ_CHECK(h.ok(), "an accepted token's header is not a JSON object");
    FUZZ_CHECK(v.key != nullptr, "no verifying key reported");
    auto alg = h.value().string("alg");
    FUZZ_CHECK(alg && *alg == jws_alg_name(v.key->alg), "the key's algorithm is not the header's");
    if (auto kid = h.value().string("kid"); kid && !v.key->kid.empty())
        FUZZ_CHECK(*kid == v.key->kid, "a key with another kid verified");
    FUZZ_CHECK(!h.value().has("b64") || h.value().type("b64") != JsonObject::Type::boolean ||
                   h.value().json().find("\"b64\":false") == std::string::npos,
               "b64:false accepted");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const JwsVerifier verifier(fuzz::signing_keys());
    fuzz::Input in(data, size);
    std::uint8_t mode = in.byte();
    std::string token;
    if (mode % 2 == 0) {
        token = std::string(in.rest());
    } else {
        const auto& keys = fuzz::signing_keys();
        const JwsKey& key = keys[in.byte() % keys.size()];
        std::string_view header = in.line();
        std::string_view payload = in.rest();
        std::string input = base64url_encode(header) + "." + base64url_encode(payload);
        auto sig = jws_sign_raw(key, input);
        FUZZ_CHECK(sig.ok(), "signing with a harness key failed");
        token = input + "." + base64url_encode(sig.value());
    }
    auto r = verifier.verify(token);
    auto again = verifier.verify(token);
    FUZZ_CHECK(r.ok() == again.ok(), "the verifier changed its answer on the same token");
    if (!r) {
        FUZZ_CHECK(again.error().code == r.error().code, "the verifier changed its refusal on the same token");
        return 0;
    }
    FUZZ_CHECK(again.value().payload == r.value().payload && again.value().key == r.value().key,
               "the verifier changed its result on the same token");
    check_accepted(token, r.value());
    // One changed byte in the signature part must be refused.
    std::size_t d2 = token.rfind('.');
    if (d2 + 1 < token.size()) {
        std::string changed = token;
        char& c = changed[d2 + 1 + (size % (token.size() - d2 - 1))];
        c = c == 'A' ? 'B' : 'A';
        FUZZ_CHECK(!verifier.verify(changed).ok(), "a token with a changed signature verified");
    }
    return 0;
}
