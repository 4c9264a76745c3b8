// What the JWT attack tests share (jwt_attacks_test.cc through the JWT
// sign-in, oidc_attacks_test.cc through the ID token verifier): keys with a
// kid, tokens with exactly the header and payload text a test writes, and
// the Wycheproof JOSE cases by tcId (ATTACKS.md section 5).
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>

#include <openssl/x509.h>

#include "jose/base64url.h"
#include "jose/jws.h"
#include "jose/key_source.h"
#include "vectors.h"

namespace hdsso::test {

// A signing key (a test's own pair, so has_private) under `kid`.
inline JwsKey key_of(std::shared_ptr<EVP_PKEY> pkey, JwsAlg alg, std::string kid = "k1") {
    JwsKey k;
    k.kid = std::move(kid);
    k.alg = alg;
    k.pkey = std::move(pkey);
    k.has_private = true;
    return k;
}

// A compact JWS with exactly this header and payload text.
inline std::string compact(const JwsKey& key, const std::string& header, const std::string& payload) {
    std::string input = base64url_encode(header) + "." + base64url_encode(payload);
    return input + "." + base64url_encode(jws_sign_raw(key, input).value());
}

// The public key's SubjectPublicKeyInfo, DER.
inline std::string der_public(EVP_PKEY* k) {
    unsigned char* der = nullptr;
    int n = i2d_PUBKEY(k, &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    return out;
}

// Wycheproof JWS cases by tcId: the group's key (JWK alg binding) and the token.
struct WycheproofJws {
    JsonObject jwk;
    std::string jws;
    std::string result;
};

inline const std::map<int, WycheproofJws>& wycheproof(const std::string& file) {
    static std::map<std::string, std::map<int, WycheproofJws>> cache;
    auto& m = cache[file];
    if (!m.empty()) return m;
    auto doc = JsonObject::parse(read_vector("wycheproof/" + file), Status::internal, JsonLimits{4 << 20, 64});
    CPPUNIT_ASSERT(doc.ok());
    const std::vector<JsonObject> groups = doc.value().objects("testGroups").value();
    for (const JsonObject& g : groups) {
        auto jwk = g.object("public");
        if (!jwk) jwk = g.object("private");
        CPPUNIT_ASSERT(jwk);
        const std::vector<JsonObject> cases = g.objects("tests").value();
        for (const JsonObject& t : cases)
            m.emplace(static_cast<int>(t.int64("tcId").value_or(-1)),
                      WycheproofJws{*jwk, std::string(t.string("jws").value_or("")),
                                    std::string(t.string("result").value_or(""))});
    }
    return m;
}

// A JWS case verifies with its group's key.
inline bool jws_case_verifies(int id) {
    const WycheproofJws& v = wycheproof("json_web_signature_test.json").at(id);
    auto key = jwk_to_key(v.jwk, std::nullopt);
    return key.ok() && !v.jws.empty() && JwsVerifier({key.value()}).verify(v.jws).ok();
}

// A JWK case: its key set loads and its JWS verifies.
inline bool jwk_case_verifies(int id) {
    const WycheproofJws& v = wycheproof("json_web_key_test.json").at(id);
    auto keys = keys_from_jwks(v.jwk.json(), {});
    return keys.ok() && JwsVerifier(keys.value()).verify(v.jws).ok();
}

inline void assert_cases_rejected(const std::function<bool(int)>& verifies, std::initializer_list<int> ids) {
    for (int id : ids) CPPUNIT_ASSERT_MESSAGE("tcId " + std::to_string(id) + " accepted", !verifies(id));
}

}  // namespace hdsso::test
