// HMAC vectors: RFC 2202 (MD5) and RFC 4231 (SHA-256) test case 2.
#include <cppunit/extensions/HelperMacros.h>

#include "core/crypto.h"

using namespace hdsso;

class CryptoTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CryptoTest);
    CPPUNIT_TEST(testHmacMd5Rfc2202);
    CPPUNIT_TEST(testHmacSha256Rfc4231);
    CPPUNIT_TEST(testSha256);
    CPPUNIT_TEST(testConstantTimeEqual);
    CPPUNIT_TEST(testHexRoundTrip);
    CPPUNIT_TEST(testHexDecodeRejectsUppercaseAndOdd);
    CPPUNIT_TEST(testBase64url);
    CPPUNIT_TEST(testRandomBytesDiffer);
    CPPUNIT_TEST(testSecretStringCopies);
    CPPUNIT_TEST_SUITE_END();

public:
    void testHmacMd5Rfc2202() {
        CPPUNIT_ASSERT_EQUAL(std::string("750c783e6ab0b503eaa86e310a5db738"),
                             hex_encode(hmac(Digest::md5, "Jefe", "what do ya want for nothing?")));
    }
    void testHmacSha256Rfc4231() {
        CPPUNIT_ASSERT_EQUAL(std::string("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
                             hex_encode(hmac(Digest::sha256, "Jefe", "what do ya want for nothing?")));
    }
    void testSha256() {
        CPPUNIT_ASSERT_EQUAL(std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
                             hex_encode(sha256("abc")));
    }
    void testConstantTimeEqual() {
        CPPUNIT_ASSERT(constant_time_equal("abc", "abc"));
        CPPUNIT_ASSERT(!constant_time_equal("abc", "abd"));
        CPPUNIT_ASSERT(!constant_time_equal("abc", "abcd"));
        CPPUNIT_ASSERT(constant_time_equal("", ""));
    }
    void testHexRoundTrip() {
        std::string all;
        for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
        CPPUNIT_ASSERT(all == hex_decode_lower(hex_encode(all)).value());
    }
    void testHexDecodeRejectsUppercaseAndOdd() {
        CPPUNIT_ASSERT(!hex_decode_lower("AB").ok());
        CPPUNIT_ASSERT(!hex_decode_lower("abc").ok());
        CPPUNIT_ASSERT(!hex_decode_lower("0g").ok());
    }
    void testBase64url() {
        // RFC 4648 section 10 vectors, in the URL alphabet without padding.
        CPPUNIT_ASSERT_EQUAL(std::string(""), base64url_encode(""));
        CPPUNIT_ASSERT_EQUAL(std::string("Zg"), base64url_encode("f"));
        CPPUNIT_ASSERT_EQUAL(std::string("Zm8"), base64url_encode("fo"));
        CPPUNIT_ASSERT_EQUAL(std::string("Zm9v"), base64url_encode("foo"));
        CPPUNIT_ASSERT_EQUAL(std::string("Zm9vYmFy"), base64url_encode("foobar"));
        CPPUNIT_ASSERT_EQUAL(std::string("-_8"), base64url_encode("\xfb\xff"));
    }
    void testRandomBytesDiffer() {
        auto a = random_bytes(32), b = random_bytes(32);
        CPPUNIT_ASSERT(a.ok() && b.ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(32), a.value().size());
        CPPUNIT_ASSERT(a.value() != b.value());
    }
    void testSecretStringCopies() {
        SecretString a("k1"), b("other");
        b = a;
        CPPUNIT_ASSERT(b.view() == "k1");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), b.size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CryptoTest);
