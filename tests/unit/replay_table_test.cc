#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "store/replay_table.h"
#include "store/spread_key.h"

using namespace hdsso;

namespace {

// An 8-byte aligned region, as shared memory is.
struct Region {
    explicit Region(std::size_t capacity) : words((ReplayTable::bytes_for(capacity) + 7) / 8, 0) {}
    void* data() { return words.data(); }
    std::size_t bytes() const { return words.size() * 8; }
    std::vector<std::uint64_t> words;
};

std::string key(int n) { return "hdsso:r:" + std::to_string(n); }

}  // namespace

class ReplayTableTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReplayTableTest);
    CPPUNIT_TEST(testFirstUseThenRefused);
    CPPUNIT_TEST(testExpiredRecordIsReused);
    CPPUNIT_TEST(testFullBucketFailsClosedWithoutEvicting);
    CPPUNIT_TEST(testPastExpiryStoresNothing);
    CPPUNIT_TEST(testAttachKeepsRecords);
    CPPUNIT_TEST(testOtherGeometryStartsEmpty);
    CPPUNIT_TEST(testRegionChecked);
    CPPUNIT_TEST(testCapacityRounding);
    CPPUNIT_TEST(testKeysSpreadOverBuckets);
    CPPUNIT_TEST(testBucketsDependOnTheTableKey);
    CPPUNIT_TEST(testFirstRefusalComesLate);
    CPPUNIT_TEST(testCopyKeepsRecordsAndRetiresNothing);
    CPPUNIT_TEST(testCopyTooSmallFails);
    CPPUNIT_TEST(testRetiredTableFailsClosed);
    CPPUNIT_TEST_SUITE_END();

public:
    FixedClock clock{1000};

    ReplayTable open(Region& r, std::size_t capacity) {
        auto t = ReplayTable::open(r.data(), r.bytes(), capacity, clock);
        CPPUNIT_ASSERT(t.ok());
        return t.value();
    }

    void testFirstUseThenRefused() {
        Region r(1024);
        ReplayTable t = open(r, 1024);
        CPPUNIT_ASSERT(!t.attached());
        CPPUNIT_ASSERT(t.insert_if_absent("k", "1", 2000).value());
        CPPUNIT_ASSERT(!t.insert_if_absent("k", "1", 2000).value());
        CPPUNIT_ASSERT(!t.insert_if_absent("k", "other value", 3000).value());
        CPPUNIT_ASSERT(t.insert_if_absent("k2", "1", 2000).value());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), t.live());
        auto st = t.stats();
        CPPUNIT_ASSERT(st.ok());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), st.value().entries.value());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(t.capacity()), st.value().capacity.value());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), st.value().evictions.value());
    }

    void testExpiredRecordIsReused() {
        Region r(64);
        ReplayTable t = open(r, 64);  // one bucket
        for (int i = 0; i < 64; ++i) CPPUNIT_ASSERT(t.insert_if_absent(key(i), "1", 1100).value());
        clock.set(1099);
        CPPUNIT_ASSERT(!t.insert_if_absent(key(0), "1", 1200).value());
        clock.set(1100);  // every record has expired: each slot is free again
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), t.live());
        CPPUNIT_ASSERT(t.insert_if_absent(key(0), "1", 1200).value());
        for (int i = 100; i < 163; ++i) CPPUNIT_ASSERT(t.insert_if_absent(key(i), "1", 1200).value());
        CPPUNIT_ASSERT_EQUAL(std::size_t(64), t.live());
    }

    void testFullBucketFailsClosedWithoutEvicting() {
        Region r(64);
        ReplayTable t = open(r, 64);
        for (int i = 0; i < 64; ++i) CPPUNIT_ASSERT(t.insert_if_absent(key(i), "1", 5000).value());
        for (int i = 64; i < 80; ++i) {
            auto full = t.insert_if_absent(key(i), "1", 5000);
            CPPUNIT_ASSERT(!full.ok());
            CPPUNIT_ASSERT(full.error().code == Status::store_full);
        }
        // Nothing was pushed out: every record still refuses its key...
        for (int i = 0; i < 64; ++i) CPPUNIT_ASSERT(!t.insert_if_absent(key(i), "1", 5000).value());
        // ...and the refused keys were not recorded either.
        CPPUNIT_ASSERT_EQUAL(std::size_t(64), t.live());
        clock.set(5000);
        CPPUNIT_ASSERT(t.insert_if_absent(key(64), "1", 6000).value());
    }

    void testPastExpiryStoresNothing() {
        Region r(64);
        ReplayTable t = open(r, 64);
        CPPUNIT_ASSERT(t.insert_if_absent("k", "1", 1000).value());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), t.live());
    }

    void testAttachKeepsRecords() {
        Region r(4096);
        {
            ReplayTable t = open(r, 4096);
            for (int i = 0; i < 100; ++i) CPPUNIT_ASSERT(t.insert_if_absent(key(i), "1", 2000).value());
        }
        // Another process, or the next configuration generation.
        ReplayTable again = open(r, 4096);
        CPPUNIT_ASSERT(again.attached());
        CPPUNIT_ASSERT_EQUAL(std::size_t(100), again.live());
        for (int i = 0; i < 100; ++i) CPPUNIT_ASSERT(!again.insert_if_absent(key(i), "1", 2000).value());
        CPPUNIT_ASSERT(again.insert_if_absent(key(100), "1", 2000).value());
    }

    void testOtherGeometryStartsEmpty() {
        Region r(4096);
        ReplayTable t = open(r, 4096);
        CPPUNIT_ASSERT(t.insert_if_absent("k", "1", 2000).value());
        ReplayTable smaller = open(r, 1024);
        CPPUNIT_ASSERT(!smaller.attached());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1024), smaller.capacity());
        CPPUNIT_ASSERT(smaller.insert_if_absent("k", "1", 2000).value());
        // Garbage in the region is never taken for a table.
        Region junk(64);
        std::fill(junk.words.begin(), junk.words.end(), 0x5a5a5a5a5a5a5a5aULL);
        ReplayTable fresh = open(junk, 64);
        CPPUNIT_ASSERT(!fresh.attached());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), fresh.live());
    }

    void testRegionChecked() {
        Region r(4096);
        CPPUNIT_ASSERT(!ReplayTable::open(r.data(), r.bytes() - 1, 4096, clock).ok());
        CPPUNIT_ASSERT(!ReplayTable::open(nullptr, r.bytes(), 4096, clock).ok());
        auto* odd = static_cast<unsigned char*>(r.data()) + 4;
        CPPUNIT_ASSERT(!ReplayTable::open(odd, r.bytes() - 8, 64, clock).ok());
    }

    void testCapacityRounding() {
        CPPUNIT_ASSERT_EQUAL(std::size_t(64), ReplayTable::rounded_capacity(1));
        CPPUNIT_ASSERT_EQUAL(std::size_t(128), ReplayTable::rounded_capacity(65));
        CPPUNIT_ASSERT_EQUAL(std::size_t(64 + 64 * 24), ReplayTable::bytes_for(64));
        CPPUNIT_ASSERT_EQUAL(std::size_t(64 + 524288 * 24), ReplayTable::bytes_for(524288));
    }

    void testKeysSpreadOverBuckets() {
        Region r(64 * 256);
        ReplayTable t = open(r, 64 * 256);
        CPPUNIT_ASSERT_EQUAL(std::size_t(256), t.bucket_count());
        for (int i = 0; i < 256 * 16; ++i) CPPUNIT_ASSERT(t.insert_if_absent(key(i), "1", 2000).value());
        auto loads = t.live_per_bucket();
        // 16 a bucket on average; a fair spread keeps every bucket near it.
        CPPUNIT_ASSERT(*std::min_element(loads.begin(), loads.end()) >= 3);
        CPPUNIT_ASSERT(*std::max_element(loads.begin(), loads.end()) <= 36);
    }

    void testBucketsDependOnTheTableKey() {
        Region r1(64 * 256), r2(64 * 256);
        ReplayTable a = open(r1, 64 * 256), b = open(r2, 64 * 256);
        int same = 0;
        for (int i = 0; i < 64; ++i) {
            std::string k = key(i);
            CPPUNIT_ASSERT(a.insert_if_absent(k, "1", 2000).value());
            CPPUNIT_ASSERT(b.insert_if_absent(k, "1", 2000).value());
            auto la = a.live_per_bucket(), lb = b.live_per_bucket();
            same += la == lb ? 1 : 0;
        }
        // Two tables put the same keys in different buckets: a client who
        // knows its keys cannot know their bucket.
        CPPUNIT_ASSERT(same < 4);
    }

    // With random keys, how full the table is when the first insert is
    // refused (one bucket full). The README's sizing rests on it.
    void testFirstRefusalComesLate() {
        const std::size_t cap = 64 * 1024;
        Region r(cap);
        ReplayTable t = open(r, cap);
        std::size_t n = 0;
        for (;; ++n) {
            auto ins = t.insert_if_absent(key(static_cast<int>(n)), "1", 2000);
            if (!ins.ok()) {
                CPPUNIT_ASSERT(ins.error().code == Status::store_full);
                break;
            }
            CPPUNIT_ASSERT(ins.value());
        }
        CPPUNIT_ASSERT(n > cap / 2);  // measured: about 61% of capacity
        CPPUNIT_ASSERT(n < cap);
    }

    void testCopyKeepsRecordsAndRetiresNothing() {
        Region small(64), big(4096);
        ReplayTable t = open(small, 64);
        for (int i = 0; i < 50; ++i) CPPUNIT_ASSERT(t.insert_if_absent(key(i), "1", 1500 + i).value());
        clock.set(1510);  // the first eleven have expired
        auto copy = ReplayTable::copy_of(t, big.data(), big.bytes(), 4096);
        CPPUNIT_ASSERT(copy.ok());
        ReplayTable& c = copy.value();
        CPPUNIT_ASSERT_EQUAL(std::size_t(4096), c.capacity());
        CPPUNIT_ASSERT_EQUAL(std::size_t(39), c.live());
        for (int i = 11; i < 50; ++i) CPPUNIT_ASSERT(!c.insert_if_absent(key(i), "1", 3000).value());
        CPPUNIT_ASSERT(c.insert_if_absent(key(5), "1", 3000).value());
        CPPUNIT_ASSERT(!t.retired());
        CPPUNIT_ASSERT(!c.retired());
    }

    void testCopyTooSmallFails() {
        Region big(4096), small(64);
        ReplayTable t = open(big, 4096);
        for (int i = 0; i < 200; ++i) CPPUNIT_ASSERT(t.insert_if_absent(key(i), "1", 2000).value());
        auto copy = ReplayTable::copy_of(t, small.data(), small.bytes(), 64);
        CPPUNIT_ASSERT(!copy.ok());
        CPPUNIT_ASSERT(copy.error().code == Status::store_full);
        CPPUNIT_ASSERT_EQUAL(std::size_t(200), t.live());
    }

    void testRetiredTableFailsClosed() {
        Region r(64);
        ReplayTable t = open(r, 64);
        CPPUNIT_ASSERT(t.insert_if_absent("k", "1", 2000).value());
        ReplayTable other_process = open(r, 64);
        t.retire();
        CPPUNIT_ASSERT(other_process.retired());
        auto k = other_process.insert_if_absent("k", "1", 2000);
        CPPUNIT_ASSERT(!k.ok());
        CPPUNIT_ASSERT(k.error().code == Status::store_unavailable);
        auto fresh = other_process.insert_if_absent("new", "1", 2000);
        CPPUNIT_ASSERT(!fresh.ok());
        CPPUNIT_ASSERT(fresh.error().code == Status::store_unavailable);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReplayTableTest);

// shmcb picks its subcache from the key's first byte, masked to the number
// of subcaches (a power of two, up to 256).
class SpreadKeyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SpreadKeyTest);
    CPPUNIT_TEST(testKeepsTheLogicalKey);
    CPPUNIT_TEST(testSessionKeysSpreadOver32Subcaches);
    CPPUNIT_TEST(testSessionKeysSpreadOver256Subcaches);
    CPPUNIT_TEST(testUnspreadKeysShareOneSubcache);
    CPPUNIT_TEST_SUITE_END();

public:
    // Keys as SessionStore writes them: a prefix and a SHA-256 handle.
    static std::vector<std::string> session_keys(int n) {
        std::vector<std::string> keys;
        for (int i = 0; i < n; ++i)
            keys.push_back("hdsso:s:" + base64url_encode(sha256("session " + std::to_string(i))));
        return keys;
    }

    static std::vector<int> loads(const std::vector<std::string>& keys, unsigned subcaches, bool spread) {
        std::vector<int> out(subcaches, 0);
        for (const auto& k : keys) {
            std::string physical = spread ? spread_key(k) : k;
            ++out[static_cast<unsigned char>(physical[0]) & (subcaches - 1)];
        }
        return out;
    }

    void testKeepsTheLogicalKey() {
        std::string k = "hdsso:s:abc";
        CPPUNIT_ASSERT_EQUAL(spread_key(k), spread_key(k));
        CPPUNIT_ASSERT_EQUAL(k.size() + kSpreadPrefixBytes, spread_key(k).size());
        CPPUNIT_ASSERT_EQUAL(k, spread_key(k).substr(kSpreadPrefixBytes));
        CPPUNIT_ASSERT(spread_key("a") != spread_key("b"));
    }

    void testSessionKeysSpreadOver32Subcaches() {
        auto l = loads(session_keys(10000), 32, true);
        // 312.5 each on average; every subcache within 20% of it.
        for (int n : l) {
            CPPUNIT_ASSERT(n >= 250);
            CPPUNIT_ASSERT(n <= 375);
        }
    }

    void testSessionKeysSpreadOver256Subcaches() {
        auto l = loads(session_keys(10000), 256, true);
        // 39 each on average.
        CPPUNIT_ASSERT(*std::min_element(l.begin(), l.end()) >= 18);
        CPPUNIT_ASSERT(*std::max_element(l.begin(), l.end()) <= 64);
    }

    void testUnspreadKeysShareOneSubcache() {
        auto l = loads(session_keys(10000), 32, false);
        CPPUNIT_ASSERT_EQUAL(10000, *std::max_element(l.begin(), l.end()));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SpreadKeyTest);
