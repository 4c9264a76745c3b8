// HelpdeskSSOJWTKeysURL: its arguments, the checks a fetched key set passes
// before use, and the gate that allows one refetch per interval for tokens
// naming an unknown kid.
#include <cppunit/extensions/HelperMacros.h>

#include "core/rate_gate.h"
#include "jose/jwks_url.h"

using namespace hdsso;

namespace {

constexpr const char* kEcPub =
    R"("kty":"EC","crv":"P-256","x":"04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY","y":"UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgmw")";
constexpr const char* kOct = R"("kty":"oct","k":"-ebuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE")";

Result<JwksUrlArgs> parse(std::initializer_list<std::string> args) { return parse_jwks_url_args(args); }

std::string error_of(const Result<JwksUrlArgs>& r) { return r.ok() ? "" : r.error().detail; }

}  // namespace

class JwksUrlTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(JwksUrlTest);
    CPPUNIT_TEST(testDefaults);
    CPPUNIT_TEST(testOptionsAndAlgorithms);
    CPPUNIT_TEST(testBadArgumentsAreNamed);
    CPPUNIT_TEST(testSharedSecretsRefused);
    CPPUNIT_TEST(testDocumentKidsAndChecks);
    CPPUNIT_TEST(testGateOnePerInterval);
    CPPUNIT_TEST(testGateClockBack);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDefaults() {
        auto a = parse({"https://idp.example.com/jwks", "jwks.json"});
        CPPUNIT_ASSERT_MESSAGE(error_of(a), a.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("https://idp.example.com/jwks"), a.value().url);
        CPPUNIT_ASSERT_EQUAL(std::string("jwks.json"), a.value().backing);
        CPPUNIT_ASSERT_EQUAL(3600, a.value().refresh);
        CPPUNIT_ASSERT_EQUAL(60, a.value().kid_refetch);
        CPPUNIT_ASSERT(a.value().ca_file.empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), a.value().algs.size());  // every public-key algorithm
        for (JwsAlg alg : a.value().algs) CPPUNIT_ASSERT(!is_hmac(alg));
    }

    void testOptionsAndAlgorithms() {
        auto a = parse({"HTTPS://idp/k", "/var/cache/k.json", "refresh=300", "kid-refetch=30", "ca=ca.pem", "ES256",
                        "RS256", "ES256"});
        CPPUNIT_ASSERT_MESSAGE(error_of(a), a.ok());
        CPPUNIT_ASSERT_EQUAL(300, a.value().refresh);
        CPPUNIT_ASSERT_EQUAL(30, a.value().kid_refetch);
        CPPUNIT_ASSERT_EQUAL(std::string("ca.pem"), a.value().ca_file);
        CPPUNIT_ASSERT(a.value().algs == std::vector<JwsAlg>({JwsAlg::ES256, JwsAlg::RS256}));
        CPPUNIT_ASSERT(parse({"https://i/k", "f", "refresh=5", "kid-refetch=10"}).ok());
        CPPUNIT_ASSERT(parse({"https://i/k", "f", "refresh=86400", "kid-refetch=3600"}).ok());
    }

    void testBadArgumentsAreNamed() {
        struct Case {
            std::vector<std::string> args;
            std::string says;
        };
        for (const Case& c : std::vector<Case>{
                 {{}, "expected URL BACKING-FILE"},
                 {{"https://i/k"}, "expected URL BACKING-FILE"},
                 {{"http://i/k", "f"}, "expected an https:// URL"},
                 {{"ftp://i/k", "f"}, "expected an https:// URL"},
                 {{"https://", "f"}, "expected an https:// URL"},
                 {{"https://i/a b", "f"}, "a space"},
                 {{"https://i/k", ""}, "backing file is empty"},
                 {{"https://i/k", "f", "refresh=4"}, "from 5 to 86400"},
                 {{"https://i/k", "f", "refresh=86401"}, "from 5 to 86400"},
                 {{"https://i/k", "f", "refresh="}, "from 5 to 86400"},
                 {{"https://i/k", "f", "refresh=10s"}, "from 5 to 86400"},
                 {{"https://i/k", "f", "refresh=-10"}, "from 5 to 86400"},
                 {{"https://i/k", "f", "refresh=99999999999999999999"}, "from 5 to 86400"},
                 {{"https://i/k", "f", "kid-refetch=9"}, "from 10 to 3600"},
                 {{"https://i/k", "f", "refresh=60", "refresh=70"}, "given twice"},
                 {{"https://i/k", "f", "ca="}, "expected ca=CA-FILE"},
                 {{"https://i/k", "f", "signer=x.pem"}, "expected refresh=SECONDS, kid-refetch=SECONDS or ca="},
                 {{"https://i/k", "f", "none"}, "or an algorithm"},
                 {{"https://i/k", "f", "rs256"}, "or an algorithm"},
             }) {
            auto r = parse_jwks_url_args(c.args);
            CPPUNIT_ASSERT_MESSAGE(c.says, !r.ok());
            CPPUNIT_ASSERT_EQUAL(Status::config_invalid, r.error().code);
            CPPUNIT_ASSERT_MESSAGE(r.error().detail + " / " + c.says,
                                   r.error().detail.find(c.says) != std::string::npos);
        }
    }

    void testSharedSecretsRefused() {
        for (const char* alg : {"HS256", "HS384", "HS512"}) {
            auto r = parse({"https://i/k", "f", "RS256", alg});
            CPPUNIT_ASSERT(!r.ok());
            CPPUNIT_ASSERT(r.error().detail.find("shared-secret algorithms are not allowed") != std::string::npos);
        }
        // A key set with a secret: no HS algorithm, so the oct key is not used.
        auto doc = check_jwks_document(std::string("{\"keys\":[{") + kOct + R"(,"alg":"HS256","kid":"s"}]})",
                                       parse({"https://i/k", "f"}).value().algs);
        CPPUNIT_ASSERT(!doc.ok());
        CPPUNIT_ASSERT_EQUAL(Status::jwt_key_invalid, doc.error().code);
        auto forced = check_jwks_document("{\"keys\":[]}", {JwsAlg::HS256});
        CPPUNIT_ASSERT(!forced.ok());
    }

    void testDocumentKidsAndChecks() {
        std::vector<JwsAlg> algs = {JwsAlg::ES256};
        std::string set = std::string("{\"keys\":[{") + kEcPub + R"(,"kid":"a","alg":"ES256"},{)" + kEcPub +
                          R"(,"kid":"b"},{)" + kEcPub + R"(,"use":"enc","kid":"e"},{)" + kEcPub + "}]}";
        auto doc = check_jwks_document(set, algs);
        CPPUNIT_ASSERT_MESSAGE(doc.ok() ? "" : doc.error().detail, doc.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("a, b, (no kid)"), doc.value().kids);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), doc.value().keys.size());
        for (const char* bad : {"", "   ", "<html>down</html>", "[]", "{", "{\"keys\":[]}", "{\"keys\":\"x\"}",
                                "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"\",\"e\":\"AQAB\",\"alg\":\"RS256\"}]}"}) {
            auto r = check_jwks_document(bad, {JwsAlg::RS256, JwsAlg::ES256});
            CPPUNIT_ASSERT_MESSAGE(bad, !r.ok());
            CPPUNIT_ASSERT_EQUAL(Status::jwt_key_invalid, r.error().code);
        }
        // Two keys under one kid are refused (a token could not choose).
        std::string dup = std::string("{\"keys\":[{") + kEcPub + R"(,"kid":"a"},{)" + kEcPub + R"(,"kid":"a"}]})";
        CPPUNIT_ASSERT(!check_jwks_document(dup, algs).ok());
    }

    void testGateOnePerInterval() {
        RateGate g(60);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), g.wait(1000));
        CPPUNIT_ASSERT(g.pass(1000));
        for (std::int64_t t = 1000; t < 1060; ++t) CPPUNIT_ASSERT(!g.pass(t));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(60), g.wait(1000));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), g.wait(1059));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), g.wait(1060));
        CPPUNIT_ASSERT(g.pass(1060));
        CPPUNIT_ASSERT(!g.pass(1061));
        CPPUNIT_ASSERT(g.pass(5000));
    }

    void testGateClockBack() {
        RateGate g(60);
        CPPUNIT_ASSERT(g.pass(1000));
        // The clock went back: not shut for an hour.
        CPPUNIT_ASSERT(g.pass(900));
        CPPUNIT_ASSERT(!g.pass(930));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JwksUrlTest);
