// The kept-post spool (src/session/kept_post.h) on a real directory: bytes
// kept exactly, taken once, only for the URL they were posted to, expiring,
// bounded overall and per client, and no name that reaches outside it.
#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session/kept_post.h"
#include "temp_dir.h"

using namespace hdsso;
using hdsso::test::TempDir;

namespace {

KeptPost post(const std::string& url, const std::string& body, std::int64_t expires = 1000) {
    return KeptPost{url, "multipart/form-data; boundary=----x", body, expires, "0123456789abcdef0123456789abcdef"};
}

}  // namespace

class KeptPostTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(KeptPostTest);
    CPPUNIT_TEST(testBytesComeBackExactlyOnce);
    CPPUNIT_TEST(testOnlyForTheUrlPostedTo);
    CPPUNIT_TEST(testExpires);
    CPPUNIT_TEST(testBoundedOverallAndPerClient);
    CPPUNIT_TEST(testNamesCannotLeaveTheDirectory);
    CPPUNIT_TEST(testLineBreaksInHeadersRefused);
    CPPUNIT_TEST(testUnwritableDirectoryIsUnavailable);
    CPPUNIT_TEST_SUITE_END();

public:
    void testBytesComeBackExactlyOnce() {
        TempDir dir;
        PostSpool spool(dir.path, {});
        CPPUNIT_ASSERT(spool.prepare().ok());
        std::string body("------x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\0\xff\n\r\n------x--\r\n", 60);
        auto name = spool.keep(post("/Ticket/Update.html?id=7", body), "192.0.2.1", 100);
        CPPUNIT_ASSERT_MESSAGE(name.ok() ? "" : name.error().detail, name.ok());
        CPPUNIT_ASSERT(PostSpool::valid_name(name.value()));
        auto peeked = spool.peek(name.value(), "/Ticket/Update.html?id=7", "192.0.2.1", 200);
        CPPUNIT_ASSERT(peeked && peeked->body == body && peeked->secret == "0123456789abcdef0123456789abcdef");
        auto got = spool.take(name.value(), "/Ticket/Update.html?id=7", "192.0.2.1", 200);
        CPPUNIT_ASSERT(got.ok() && got.value());
        CPPUNIT_ASSERT(got.value()->body == body);
        CPPUNIT_ASSERT_EQUAL(std::string("multipart/form-data; boundary=----x"), got.value()->content_type);
        auto again = spool.take(name.value(), "/Ticket/Update.html?id=7", "192.0.2.1", 200);
        CPPUNIT_ASSERT(again.ok() && !again.value());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), dir.files());
    }

    void testOnlyForTheUrlPostedTo() {
        TempDir dir;
        PostSpool spool(dir.path, {});
        auto name = spool.keep(post("/a", "x=1"), "c", 100);
        CPPUNIT_ASSERT(name.ok());
        auto other = spool.take(name.value(), "/b", "c", 200);
        CPPUNIT_ASSERT(other.ok() && !other.value());
        // Another client (address) never reaches it, even with its name.
        auto stranger = spool.take(name.value(), "/a", "d", 200);
        CPPUNIT_ASSERT(stranger.ok() && !stranger.value());
        CPPUNIT_ASSERT(!spool.peek(name.value(), "/a?x", "c", 200));
        auto right = spool.take(name.value(), "/a", "c", 200);
        CPPUNIT_ASSERT(right.ok() && right.value() && right.value()->body == "x=1");
    }

    void testExpires() {
        TempDir dir;
        PostSpool spool(dir.path, {});
        auto name = spool.keep(post("/a", "x=1", 1000), "c", 100);
        CPPUNIT_ASSERT(name.ok());
        CPPUNIT_ASSERT(!spool.peek(name.value(), "/a", "c", 1000));
        auto late = spool.take(name.value(), "/a", "c", 1000);
        CPPUNIT_ASSERT(late.ok() && !late.value());
        // Expired posts are removed when the next one is kept.
        CPPUNIT_ASSERT(spool.keep(post("/b", "y", 5000), "d", 1001).ok());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), dir.files());
    }

    void testBoundedOverallAndPerClient() {
        TempDir dir;
        PostSpool spool(dir.path, {5, 2});
        CPPUNIT_ASSERT(spool.keep(post("/a", "1"), "client-1", 100).ok());
        CPPUNIT_ASSERT(spool.keep(post("/a", "2"), "client-1", 100).ok());
        auto third = spool.keep(post("/a", "3"), "client-1", 100);
        CPPUNIT_ASSERT(!third.ok() && third.error().code == Status::store_full);
        for (const char* c : {"client-2", "client-3", "client-4"}) CPPUNIT_ASSERT(spool.keep(post("/a", c), c, 100).ok());
        auto sixth = spool.keep(post("/a", "6"), "client-5", 100);
        CPPUNIT_ASSERT(!sixth.ok() && sixth.error().code == Status::store_full);
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), dir.files());
        // Once they expire there is room again.
        CPPUNIT_ASSERT(spool.keep(post("/a", "later", 3000), "client-1", 2000).ok());
    }

    void testNamesCannotLeaveTheDirectory() {
        TempDir dir;
        PostSpool spool(dir.path, {});
        std::ofstream(dir.path + "/../hdsso-kept-outside") << "HDSSO-POST 1\n9999\n/a\nx\nsecret";
        for (const char* bad : {"../hdsso-kept-outside", "", "0000000.00000000000000000000000000000000",
                                "0000000g.00000000000000000000000000000000", "00000000/0000000000000000000000000000000",
                                "00000000.0000000000000000000000000000000A"}) {
            CPPUNIT_ASSERT(!PostSpool::valid_name(bad));
            auto got = spool.take(bad, "/a", "c", 0);
            CPPUNIT_ASSERT(got.ok() && !got.value());
        }
        unlink((dir.path + "/../hdsso-kept-outside").c_str());
    }

    void testLineBreaksInHeadersRefused() {
        TempDir dir;
        PostSpool spool(dir.path, {});
        CPPUNIT_ASSERT(!spool.keep(post("/a\n9999", "x"), "c", 1).ok());
        KeptPost p = post("/a", "x");
        p.content_type = "text/plain\r\nX: y";
        CPPUNIT_ASSERT(!spool.keep(p, "c", 1).ok());
    }

    void testUnwritableDirectoryIsUnavailable() {
        PostSpool spool("/nonexistent/hdsso-kept", {});
        auto name = spool.keep(post("/a", "x"), "c", 1);
        CPPUNIT_ASSERT(!name.ok() && name.error().code == Status::store_unavailable);
        CPPUNIT_ASSERT(!PostSpool("relative/dir", {}).prepare().ok());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(KeptPostTest);
