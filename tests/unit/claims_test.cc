#include <cppunit/extensions/HelperMacros.h>

#include "jose/claims.h"
#include "jose/jws.h"
#include "jose/jwt.h"

using namespace hdsso;

namespace {
constexpr std::int64_t kNow = 1700000000;

JsonObject claims(const std::string& json) { return std::move(parse_claims(json).value()); }
JsonObject object(const std::string& json) { return std::move(JsonObject::parse(json, Status::internal).value()); }

ClaimsPolicy policy() {
    ClaimsPolicy p;
    p.issuer = "https://idp.example.com";
    p.audiences = {"helpdesk"};
    return p;
}

Status check(const std::string& json, ClaimsPolicy p = policy(), std::int64_t now = kNow) {
    auto r = check_claims(claims(json), p, now);
    return r ? Status::internal : r.error().code;  // internal stands for "accepted" here
}

const std::string kBase = R"("iss":"https://idp.example.com","aud":"helpdesk")";
std::string with(const std::string& extra) { return "{" + kBase + (extra.empty() ? "" : "," + extra) + "}"; }
}  // namespace

class ClaimsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ClaimsTest);
    CPPUNIT_TEST(testValidClaimsAccepted);
    CPPUNIT_TEST(testExpBoundaryWithLeeway);
    CPPUNIT_TEST(testExpRequiredUnlessWaived);
    CPPUNIT_TEST(testNbfBoundary);
    CPPUNIT_TEST(testIatInFutureRejected);
    CPPUNIT_TEST(testMaxAge);
    CPPUNIT_TEST(testNonIntegerTimesRejected);
    CPPUNIT_TEST(testIssuerExact);
    CPPUNIT_TEST(testAudienceStringOrArray);
    CPPUNIT_TEST(testEmptyAudienceListAcceptsNothing);
    CPPUNIT_TEST(testJtiOnce);
    CPPUNIT_TEST(testClaimsMustBeAnObject);
    CPPUNIT_TEST(testMintAddsIatExpJti);
    CPPUNIT_TEST_SUITE_END();

public:
    void testValidClaimsAccepted() { CPPUNIT_ASSERT_EQUAL(Status::internal, check(with("\"exp\":1700000300"))); }

    void testExpBoundaryWithLeeway() {
        CPPUNIT_ASSERT_EQUAL(Status::internal, check(with("\"exp\":1699999941")));  // 59 s ago, leeway 60
        CPPUNIT_ASSERT_EQUAL(Status::jwt_expired, check(with("\"exp\":1699999940")));
        ClaimsPolicy strict = policy();
        strict.leeway = 0;
        CPPUNIT_ASSERT_EQUAL(Status::jwt_expired, check(with("\"exp\":1700000000"), strict));
        CPPUNIT_ASSERT_EQUAL(Status::internal, check(with("\"exp\":1700000001"), strict));
    }

    void testExpRequiredUnlessWaived() {
        CPPUNIT_ASSERT_EQUAL(Status::jwt_missing_claim, check(with("")));
        ClaimsPolicy p = policy();
        p.require_exp = false;
        CPPUNIT_ASSERT_EQUAL(Status::internal, check(with(""), p));
    }

    void testNbfBoundary() {
        CPPUNIT_ASSERT_EQUAL(Status::internal, check(with("\"exp\":1700000300,\"nbf\":1700000060")));
        CPPUNIT_ASSERT_EQUAL(Status::jwt_not_yet_valid, check(with("\"exp\":1700000300,\"nbf\":1700000061")));
    }

    void testIatInFutureRejected() {
        CPPUNIT_ASSERT_EQUAL(Status::internal, check(with("\"exp\":1700000300,\"iat\":1700000060")));
        CPPUNIT_ASSERT_EQUAL(Status::jwt_issued_in_future, check(with("\"exp\":1700000300,\"iat\":1700000061")));
    }

    void testMaxAge() {
        ClaimsPolicy p = policy();
        p.max_age = 300;
        CPPUNIT_ASSERT_EQUAL(Status::jwt_missing_claim, check(with("\"exp\":1700000300"), p));
        CPPUNIT_ASSERT_EQUAL(Status::internal, check(with("\"exp\":1700000300,\"iat\":1699999640"), p));
        CPPUNIT_ASSERT_EQUAL(Status::jwt_too_old, check(with("\"exp\":1700000300,\"iat\":1699999639"), p));
    }

    void testNonIntegerTimesRejected() {
        for (const char* e : {"\"exp\":1700000300.5", "\"exp\":\"1700000300\"", "\"exp\":-1", "\"exp\":true",
                              "\"exp\":1e10", "\"nbf\":null,\"exp\":1700000300", "\"exp\":9007199254740992"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(e, Status::jwt_invalid_claim, check(with(e)));
    }

    void testIssuerExact() {
        CPPUNIT_ASSERT_EQUAL(Status::jwt_issuer_mismatch,
                             check(R"({"iss":"https://idp.example.com/","aud":"helpdesk","exp":1700000300})"));
        CPPUNIT_ASSERT_EQUAL(Status::jwt_issuer_mismatch,
                             check(R"({"iss":"HTTPS://IDP.EXAMPLE.COM","aud":"helpdesk","exp":1700000300})"));
        CPPUNIT_ASSERT_EQUAL(Status::jwt_missing_claim, check(R"({"aud":"helpdesk","exp":1700000300})"));
        CPPUNIT_ASSERT_EQUAL(Status::jwt_invalid_claim, check(R"({"iss":1,"aud":"helpdesk","exp":1700000300})"));
    }

    void testAudienceStringOrArray() {
        const std::string iss = R"("iss":"https://idp.example.com","exp":1700000300)";
        CPPUNIT_ASSERT_EQUAL(Status::internal, check("{" + iss + R"(,"aud":["other","helpdesk"]})"));
        CPPUNIT_ASSERT_EQUAL(Status::jwt_audience_mismatch, check("{" + iss + R"(,"aud":["other"]})"));
        CPPUNIT_ASSERT_EQUAL(Status::jwt_audience_mismatch, check("{" + iss + R"(,"aud":"Helpdesk"})"));
        CPPUNIT_ASSERT_EQUAL(Status::jwt_audience_mismatch, check("{" + iss + R"(,"aud":[]})"));
        CPPUNIT_ASSERT_EQUAL(Status::jwt_missing_claim, check("{" + iss + "}"));
        CPPUNIT_ASSERT_EQUAL(Status::jwt_invalid_claim, check("{" + iss + R"(,"aud":["helpdesk",1]})"));
        CPPUNIT_ASSERT_EQUAL(Status::jwt_invalid_claim, check("{" + iss + R"(,"aud":{"x":1}})"));
    }

    void testEmptyAudienceListAcceptsNothing() {
        ClaimsPolicy p = policy();
        p.audiences.clear();
        CPPUNIT_ASSERT_EQUAL(Status::jwt_audience_mismatch, check(with("\"exp\":1700000300"), p));
        p.waive_audience = true;
        CPPUNIT_ASSERT_EQUAL(Status::internal, check(with("\"exp\":1700000300"), p));
    }

    void testJtiOnce() {
        FixedClock clock(kNow);
        MemoryKvStore kv(clock);
        ReplayCache replay(kv);
        auto c = claims(with("\"exp\":1700000300,\"jti\":\"a1\""));
        CPPUNIT_ASSERT(check_jti_once(c, policy(), kNow, replay).ok());
        CPPUNIT_ASSERT_EQUAL(Status::jwt_replayed, check_jti_once(c, policy(), kNow, replay).error().code);
        auto no_jti = claims(with("\"exp\":1700000300"));
        CPPUNIT_ASSERT_EQUAL(Status::jwt_missing_claim, check_jti_once(no_jti, policy(), kNow, replay).error().code);
        kv.set_unavailable(true);
        auto other = claims(with("\"exp\":1700000300,\"jti\":\"b2\""));
        CPPUNIT_ASSERT_EQUAL(Status::store_unavailable, check_jti_once(other, policy(), kNow, replay).error().code);
    }

    void testMintAddsIatExpJti() {
        JwsKey key = secret_to_key(SecretString(std::string(32, 's')), JwsAlg::HS256, "k1").value();
        auto c = object(R"({"sub":"jane","iss":"https://idp.example.com","aud":"helpdesk","n":[1,{"x":"\u00e9\""}]})");
        auto t1 = jwt_mint(key, c, kNow, 120), t2 = jwt_mint(key, c, kNow, 120);
        CPPUNIT_ASSERT(t1.ok() && t2.ok());
        auto v = JwsVerifier({key}).verify(t1.value());
        CPPUNIT_ASSERT(v.ok());
        auto minted = claims(v.value().payload);
        std::int64_t iat = 0, exp = 0;
        CPPUNIT_ASSERT(minted.integer("iat", iat) == IntMember::ok && iat == kNow);
        CPPUNIT_ASSERT(minted.integer("exp", exp) == IntMember::ok && exp == kNow + 120);
        CPPUNIT_ASSERT(check_claims(minted, policy(), kNow + 119).ok());
        // The given claims unchanged, and a fresh jti each time.
        auto given = c.members_json(), signed_claims = object(v.value().payload).members_json();
        CPPUNIT_ASSERT(given.size() + 3 == signed_claims.size());
        for (std::size_t i = 0; i < given.size(); ++i) {
            CPPUNIT_ASSERT(given[i].first == signed_claims[i].first);
            CPPUNIT_ASSERT_EQUAL(given[i].second, signed_claims[i].second);
        }
        CPPUNIT_ASSERT_EQUAL(std::string("[1,{\"x\":\"\xc3\xa9\\\"\"}]"), given[3].second);
        CPPUNIT_ASSERT_EQUAL(std::string("jane"), std::string(minted.string("sub").value_or("")));
        auto other = claims(JwsVerifier({key}).verify(t2.value()).value().payload);
        auto j1 = minted.string("jti"), j2 = other.string("jti");
        CPPUNIT_ASSERT(j1 && j2 && *j1 != *j2 && j1->size() >= 22);
    }

    void testClaimsMustBeAnObject() {
        for (const char* bad : {"[]", "\"x\"", "123", "{", "{\"a\":1,\"a\":2}", ""})
            CPPUNIT_ASSERT_MESSAGE(bad, !parse_claims(bad).ok());
        // Not JSON, or JSON this layer refuses (RFC 8259 strictly; nst/JSONTestSuite "n_" cases).
        for (const char* bad : {"{\"a\":1,}", "{\"a\":01}", "{\"a\":+1}", "{\"a\":NaN}", "{\"a\":Infinity}",
                                "{'a':1}", "{\"a\":1} x", "{\"a\":1}{}", "{/*c*/\"a\":1}", "{\"a\":\"\\x41\"}",
                                "{\"a\":\"\t\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00x\"}",
                                "\xef\xbb\xbf{}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf8\x88\x80\x80\x80\"}",
                                "{\"a\":1e400}", "{\"a\":18446744073709551616}", "{\"a\":9223372036854775808}",
                                "{\"a\\u0000\":1}", "{\"a\":\"b\\u0000\"}"})
            CPPUNIT_ASSERT_MESSAGE(bad, !parse_claims(bad).ok());
        for (const char* good : {" {\"a\":[1,2.5,true,null,{\"b\":\"\\u00e9\\ud83d\\ude00\"}]} ", "{}",
                                 "{\"a\":9223372036854775807,\"b\":-9223372036854775808}"})
            CPPUNIT_ASSERT_MESSAGE(good, parse_claims(good).ok());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ClaimsTest);
