// Remote (HMAC) authentication. Vectors: PROTOCOLS.md A.1 (secret "s3cr3t");
// the Unicode and SHA-256 hashes were computed with Python's hmac module:
//   hmac.new(b"s3cr3t", (name + "s3cr3t" + email + ts).encode(), md5|sha256).hexdigest()
#include <cppunit/extensions/HelperMacros.h>

#include "core/kv_store.h"
#include "core/replay_cache.h"
#include "remote/remote_auth.h"
#include "url/query.h"

using namespace hdsso;

namespace {

constexpr std::int64_t kTs = 1700000000;
const char kVectorHash[] = "87fe1dc525f5047d180232ada64c1dc4";
const char kVectorQuery[] =
    "name=Jane%20Doe&email=jane%40example.com&timestamp=1700000000&hash=87fe1dc525f5047d180232ada64c1dc4";

RemoteAuthPolicy policy(Digest d = Digest::md5) {
    RemoteAuthPolicy p;
    p.secret = SecretString("s3cr3t");
    p.digest = d;
    return p;
}

QueryParams q(const std::string& s) { return parse_query(s).value(); }

}  // namespace

class RemoteAuthTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RemoteAuthTest);
    CPPUNIT_TEST(testVectorHash);
    CPPUNIT_TEST(testMintedUrlMatchesVector);
    CPPUNIT_TEST(testMintEncodesEveryValue);
    CPPUNIT_TEST(testVectorVerifies);
    CPPUNIT_TEST(testPlusIsASpace);
    CPPUNIT_TEST(testUnicodeNameVerifies);
    CPPUNIT_TEST(testSha256Digest);
    CPPUNIT_TEST(testRotatedSecretsVerify);
    CPPUNIT_TEST(testMd5HashRejectedInSha256Mode);
    CPPUNIT_TEST(testOldestAcceptedTimestamp);
    CPPUNIT_TEST(testOneSecondTooOldRejected);
    CPPUNIT_TEST(testFurthestFutureAccepted);
    CPPUNIT_TEST(testOneSecondTooFarAheadRejected);
    CPPUNIT_TEST(testThirtySecondWindow);
    CPPUNIT_TEST(testReplayRejected);
    CPPUNIT_TEST(testReplayFailsClosedWhenStoreDown);
    CPPUNIT_TEST(testTamperedFieldsRejected);
    CPPUNIT_TEST(testEveryBitFlipOfHashRejected);
    CPPUNIT_TEST(testUppercaseHashRejected);
    CPPUNIT_TEST(testWrongLengthHashRejected);
    CPPUNIT_TEST(testMissingParametersRejected);
    CPPUNIT_TEST(testDuplicateParameterRejected);
    CPPUNIT_TEST(testOddTimestampsRejected);
    CPPUNIT_TEST(testMillisecondTimestampRejected);
    CPPUNIT_TEST(testControlCharactersRejected);
    CPPUNIT_TEST(testInvalidUtf8Rejected);
    CPPUNIT_TEST(testMalformedEmailRejected);
    CPPUNIT_TEST(testConcatenationShiftRejected);
    CPPUNIT_TEST(testRedirectToValidated);
    CPPUNIT_TEST(testBadRedirectDoesNotConsumeLink);
    CPPUNIT_TEST(testIdentityFields);
    CPPUNIT_TEST(testWrongSecretRejected);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        clock_ = std::make_unique<FixedClock>(kTs + 10);
        store_ = std::make_unique<MemoryKvStore>(*clock_);
        replay_ = std::make_unique<ReplayCache>(*store_);
    }

    Result<RemoteLogin> verify(const std::string& query, std::int64_t now, RemoteAuthPolicy p = policy(),
                               std::vector<std::string> hosts = {}) {
        clock_->set(now);
        RemoteAuthVerifier v(std::move(p), RedirectValidator(std::move(hosts)));
        return v.verify(q(query), now, *replay_);
    }

    std::string signed_query(const std::string& name, const std::string& email, std::int64_t ts,
                             RemoteAuthPolicy p = policy()) {
        RemoteLoginRequest req;
        req.name = name;
        req.email = email;
        req.timestamp = ts;
        return std::string(query_part(mint_remote_login_url(p, "/login/sso", req).value()));
    }

    void expect(Status s, const Result<RemoteLogin>& r) {
        CPPUNIT_ASSERT_MESSAGE("expected " + std::string(status_name(s)), !r.ok());
        CPPUNIT_ASSERT_EQUAL(std::string(status_name(s)), std::string(status_name(r.error().code)));
    }

    void testVectorHash() {
        CPPUNIT_ASSERT_EQUAL(std::string(kVectorHash),
                             remote_auth_hash(policy(), "Jane Doe", "jane@example.com", "1700000000"));
    }

    void testMintedUrlMatchesVector() {
        RemoteLoginRequest req{"Jane Doe", "jane@example.com", kTs, "", "", ""};
        auto url = mint_remote_login_url(policy(), "https://acme.freshdesk.com/login/sso", req);
        CPPUNIT_ASSERT(url.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("https://acme.freshdesk.com/login/sso?") + kVectorQuery, url.value());
    }

    void testMintEncodesEveryValue() {
        RemoteLoginRequest req{"A&B=C+D", "a+b@example.com", kTs, "+1 555", "X&Y", "/tickets?id=1&x=2"};
        auto url = mint_remote_login_url(policy(), "https://h.example/login/sso", req);
        CPPUNIT_ASSERT(url.ok());
        auto params = parse_query(query_part(url.value())).value();
        CPPUNIT_ASSERT_EQUAL(std::size_t(7), params.size());
        CPPUNIT_ASSERT_EQUAL(std::string("A&B=C+D"), params[0].second);
        CPPUNIT_ASSERT_EQUAL(std::string("a+b@example.com"), params[1].second);
        CPPUNIT_ASSERT_EQUAL(std::string("/tickets?id=1&x=2"), params[6].second);
        // The hash is over the decoded values.
        CPPUNIT_ASSERT_EQUAL(remote_auth_hash(policy(), "A&B=C+D", "a+b@example.com", "1700000000"),
                             params[3].second);
        CPPUNIT_ASSERT(verify(std::string(query_part(url.value())), kTs).ok());
    }

    void testVectorVerifies() { CPPUNIT_ASSERT(verify(kVectorQuery, kTs + 5).ok()); }

    void testPlusIsASpace() {
        CPPUNIT_ASSERT(verify("name=Jane+Doe&email=jane%40example.com&timestamp=1700000000&hash=" +
                                  std::string(kVectorHash),
                              kTs)
                           .ok());
    }

    void testUnicodeNameVerifies() {
        std::string query = "name=" + percent_encode("Zoë Ñúñez 山田") +
                            "&email=zoe%40example.com&timestamp=1700000000&hash=4dc24f808c6a61aa7c92620ad513b304";
        auto r = verify(query, kTs);
        CPPUNIT_ASSERT(r.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("Zoë Ñúñez 山田"), r.value().identity.display_name);
    }

    void testSha256Digest() {
        std::string query = "name=Jane%20Doe&email=jane%40example.com&timestamp=1700000000&hash="
                            "2dcd163491ecb7deb3d3799d08f9cf791e5aaf8a4a07ec8be4934b46c8d8f38e";
        CPPUNIT_ASSERT(verify(query, kTs, policy(Digest::sha256)).ok());
    }

    // HelpdeskSSORemoteSecretFile NEW OLD: a link signed with either
    // verifies, one signed with neither does not; the link of the vector
    // (secret "s3cr3t") verifies whether that secret is first or not.
    void testRotatedSecretsVerify() {
        auto rotated = policy();
        rotated.secret = SecretString("the-new-secret");
        CPPUNIT_ASSERT(!verify(kVectorQuery, kTs, rotated).ok());
        rotated.also_verify.emplace_back("s3cr3t");
        CPPUNIT_ASSERT(verify(kVectorQuery, kTs, rotated).ok());
        auto mint = policy();
        mint.secret = SecretString("the-new-secret");
        std::string hash = remote_auth_hash(mint, "Jane Doe", "jane@example.com", "1700000000");
        CPPUNIT_ASSERT(verify("name=Jane%20Doe&email=jane%40example.com&timestamp=1700000000&hash=" + hash, kTs,
                              rotated).ok());
        auto neither = policy();
        neither.secret = SecretString("another");
        neither.also_verify.emplace_back("and-another");
        expect(Status::remote_bad_signature, verify(kVectorQuery, kTs, neither));
    }

    void testMd5HashRejectedInSha256Mode() {
        expect(Status::remote_malformed_parameter, verify(kVectorQuery, kTs, policy(Digest::sha256)));
    }

    void testOldestAcceptedTimestamp() { CPPUNIT_ASSERT(verify(kVectorQuery, kTs + 1800).ok()); }
    void testOneSecondTooOldRejected() { expect(Status::remote_expired, verify(kVectorQuery, kTs + 1801)); }
    void testFurthestFutureAccepted() { CPPUNIT_ASSERT(verify(kVectorQuery, kTs - 60).ok()); }
    void testOneSecondTooFarAheadRejected() { expect(Status::remote_not_yet_valid, verify(kVectorQuery, kTs - 61)); }

    void testThirtySecondWindow() {
        auto p = policy();
        p.max_age = 30;
        p.max_future = 30;
        expect(Status::remote_expired, verify(kVectorQuery, kTs + 31, p));
        CPPUNIT_ASSERT(verify(kVectorQuery, kTs + 30, p).ok());
    }

    void testReplayRejected() {
        CPPUNIT_ASSERT(verify(kVectorQuery, kTs).ok());
        expect(Status::remote_replayed, verify(kVectorQuery, kTs + 1));
        expect(Status::remote_replayed, verify(kVectorQuery, kTs + 1799));
    }

    void testReplayFailsClosedWhenStoreDown() {
        store_->set_unavailable(true);
        expect(Status::store_unavailable, verify(kVectorQuery, kTs));
    }

    void testTamperedFieldsRejected() {
        const char* tampered[] = {
            "name=Jane%20Doo&email=jane%40example.com&timestamp=1700000000&hash=87fe1dc525f5047d180232ada64c1dc4",
            "name=Jane%20Doe&email=jane%40example.org&timestamp=1700000000&hash=87fe1dc525f5047d180232ada64c1dc4",
            "name=Jane%20Doe&email=jane%40example.com&timestamp=1700000001&hash=87fe1dc525f5047d180232ada64c1dc4",
            "name=Jane%20Doe&email=jane%40example.com&timestamp=1700000000&hash=87fe1dc525f5047d180232ada64c1dc5",
            "name=Jane%20Doe%20&email=jane%40example.com&timestamp=1700000000&hash=87fe1dc525f5047d180232ada64c1dc4",
            "name=jane%20doe&email=jane%40example.com&timestamp=1700000000&hash=87fe1dc525f5047d180232ada64c1dc4",
        };
        for (const char* t : tampered) expect(Status::remote_bad_signature, verify(t, kTs));
    }

    void testEveryBitFlipOfHashRejected() {
        std::string hash = kVectorHash;
        for (std::size_t i = 0; i < hash.size(); ++i) {
            for (char c : std::string("0123456789abcdef")) {
                if (c == hash[i]) continue;
                std::string h = hash;
                h[i] = c;
                expect(Status::remote_bad_signature,
                       verify("name=Jane%20Doe&email=jane%40example.com&timestamp=1700000000&hash=" + h, kTs));
            }
        }
    }

    void testUppercaseHashRejected() {
        expect(Status::remote_malformed_parameter,
               verify("name=Jane%20Doe&email=jane%40example.com&timestamp=1700000000&hash=87FE1DC525F5047D180232ADA64C1DC4",
                      kTs));
    }

    void testWrongLengthHashRejected() {
        std::string base = "name=Jane%20Doe&email=jane%40example.com&timestamp=1700000000&hash=";
        expect(Status::remote_malformed_parameter, verify(base + "87fe1dc525f5047d180232ada64c1dc", kTs));
        expect(Status::remote_malformed_parameter, verify(base + "87fe1dc525f5047d180232ada64c1dc40", kTs));
    }

    void testMissingParametersRejected() {
        expect(Status::remote_missing_parameter,
               verify("email=jane%40example.com&timestamp=1700000000&hash=87fe1dc525f5047d180232ada64c1dc4", kTs));
        expect(Status::remote_missing_parameter,
               verify("name=Jane%20Doe&timestamp=1700000000&hash=87fe1dc525f5047d180232ada64c1dc4", kTs));
        expect(Status::remote_missing_parameter,
               verify("name=Jane%20Doe&email=jane%40example.com&hash=87fe1dc525f5047d180232ada64c1dc4", kTs));
        expect(Status::remote_missing_parameter,
               verify("name=Jane%20Doe&email=jane%40example.com&timestamp=1700000000", kTs));
        expect(Status::remote_missing_parameter,
               verify("name=&email=jane%40example.com&timestamp=1700000000&hash=87fe1dc525f5047d180232ada64c1dc4", kTs));
    }

    void testDuplicateParameterRejected() {
        expect(Status::remote_duplicate_parameter,
               verify(std::string(kVectorQuery) + "&email=mallory%40example.com", kTs));
    }

    void testOddTimestampsRejected() {
        for (const char* ts : {"-1700000000", "1700000000.0", "01700000000", "1.7e9", "+1700000000", " 1700000000",
                               "17000000000000000000", "0x6553f100"}) {
            std::string query = "name=Jane%20Doe&email=jane%40example.com&timestamp=" + percent_encode(ts) +
                                "&hash=87fe1dc525f5047d180232ada64c1dc4";
            expect(Status::remote_malformed_parameter, verify(query, kTs));
        }
    }

    void testMillisecondTimestampRejected() {
        // Signed correctly, but in milliseconds: 13 digits, past the 12 allowed.
        expect(Status::remote_malformed_parameter,
               verify(signed_query("Jane Doe", "jane@example.com", kTs * 1000), kTs));
        // Twelve digits parse, and are far in the future.
        expect(Status::remote_not_yet_valid, verify(signed_query("Jane Doe", "jane@example.com", kTs * 100), kTs));
    }

    void testControlCharactersRejected() {
        for (const char* name : {"Jane\r\nX-Remote-User: admin", "Jane\tDoe", "Jane\xc2\x85""Doe", "Jane\x7f",
                                 "Jane\xe2\x80\xa8"}) {
            std::string query = "name=" + percent_encode(name) +
                                "&email=jane%40example.com&timestamp=1700000000&hash=" +
                                remote_auth_hash(policy(), name, "jane@example.com", "1700000000");
            expect(Status::remote_malformed_parameter, verify(query, kTs));
        }
        std::string name_nul = std::string("Jane") + '\0' + "Doe";
        expect(Status::remote_malformed_parameter,
               verify("name=Jane%00Doe&email=jane%40example.com&timestamp=1700000000&hash=" +
                          remote_auth_hash(policy(), name_nul, "jane@example.com", "1700000000"),
                      kTs));
    }

    void testInvalidUtf8Rejected() {
        for (const char* name : {"Jane\xff", "Jane\xc0\xaf", "Jane\xed\xa0\x80", "Jane\xe2\x82"}) {
            std::string query = "name=" + percent_encode(name) +
                                "&email=jane%40example.com&timestamp=1700000000&hash=" +
                                remote_auth_hash(policy(), name, "jane@example.com", "1700000000");
            expect(Status::remote_malformed_parameter, verify(query, kTs));
        }
    }

    void testMalformedEmailRejected() {
        for (const char* email : {"jane", "@example.com", "jane@", "jane@a@b", "jane doe@example.com"}) {
            std::string query = "name=Jane&email=" + percent_encode(email) + "&timestamp=1700000000&hash=" +
                                remote_auth_hash(policy(), "Jane", email, "1700000000");
            expect(Status::remote_malformed_parameter, verify(query, kTs));
        }
        std::string longmail = std::string(250, 'a') + "@example.com";
        std::string query = "name=Jane&email=" + longmail + "&timestamp=1700000000&hash=" +
                            remote_auth_hash(policy(), "Jane", longmail, "1700000000");
        expect(Status::remote_malformed_parameter, verify(query, kTs));
    }

    // ATTACKS.md H4: email + timestamp are concatenated without a separator,
    // so moving digits between them keeps the MAC. The window defeats it:
    // the shifted timestamp is ten times too small or too large.
    void testConcatenationShiftRejected() {
        expect(Status::remote_expired,
               verify("name=Jane%20Doe&email=jane%40example.com1&timestamp=700000000&hash=" +
                          std::string(kVectorHash),
                      kTs));
        std::string shifted_hash = remote_auth_hash(policy(), "Jane Doe", "jane@example.co", "m1700000000");
        CPPUNIT_ASSERT_EQUAL(remote_auth_hash(policy(), "Jane Doe", "jane@example.com", "1700000000"), shifted_hash);
    }

    void testRedirectToValidated() {
        std::string base = std::string(kVectorQuery) + "&redirect_to=";
        expect(Status::url_redirect_not_allowed, verify(base + "%2F%2Fevil.example", kTs));
        auto ok = verify(base + "%2Ftickets%3Fid%3D7", kTs);
        CPPUNIT_ASSERT(ok.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("/tickets?id=7"), ok.value().redirect_to);
    }

    void testBadRedirectDoesNotConsumeLink() {
        expect(Status::url_redirect_not_allowed,
               verify(std::string(kVectorQuery) + "&redirect_to=https%3A%2F%2Fevil.example%2F", kTs));
        CPPUNIT_ASSERT(verify(kVectorQuery, kTs).ok());
    }

    void testIdentityFields() {
        RemoteLoginRequest req{"Jane Doe", "jane@example.com", kTs, "+1 555 0100", "Acme", ""};
        auto url = mint_remote_login_url(policy(), "/login/sso", req).value();
        auto r = verify(std::string(query_part(url)), kTs);
        CPPUNIT_ASSERT(r.ok());
        const Identity& id = r.value().identity;
        CPPUNIT_ASSERT_EQUAL(std::string("jane@example.com"), id.subject);
        CPPUNIT_ASSERT_EQUAL(std::string("jane@example.com"), id.email);
        CPPUNIT_ASSERT_EQUAL(std::string("Jane Doe"), id.display_name);
        CPPUNIT_ASSERT_EQUAL(std::string("+1 555 0100"), id.attributes.at("phone").at(0));
        CPPUNIT_ASSERT_EQUAL(std::string("Acme"), id.attributes.at("company").at(0));
        CPPUNIT_ASSERT_EQUAL(std::string("remote-auth"), id.issuer);
        CPPUNIT_ASSERT_EQUAL(kTs, id.auth_time);
    }

    void testWrongSecretRejected() {
        auto p = policy();
        p.secret = SecretString("s3cr3T");
        expect(Status::remote_bad_signature, verify(kVectorQuery, kTs, p));
    }

private:
    std::unique_ptr<FixedClock> clock_;
    std::unique_ptr<MemoryKvStore> store_;
    std::unique_ptr<ReplayCache> replay_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(RemoteAuthTest);
