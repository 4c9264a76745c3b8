#include "store/replay_table.h"

#include <cstring>

#include "core/crypto.h"

namespace hdsso {

namespace {
constexpr char kMagic[8] = {'H', 'D', 'S', 'S', 'O', 'R', 'P', 'T'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kDigestBytes = 16;
}  // namespace

struct ReplayTable::Header {
    char magic[8];
    std::uint32_t version;
    std::uint32_t slots_per_bucket;
    std::uint64_t buckets;
    std::uint32_t retired;
    std::uint32_t record_bytes;
    unsigned char key[kKeyBytes];
};

struct ReplayTable::Record {
    unsigned char digest[kDigestBytes];
    std::int64_t expires;  // 0: never used; <= now: free again
};

static_assert(sizeof(ReplayTable::Header) == ReplayTable::kHeaderBytes, "header layout");
static_assert(sizeof(ReplayTable::Record) == ReplayTable::kRecordBytes, "record layout");

std::size_t ReplayTable::rounded_capacity(std::size_t capacity) {
    if (capacity < kMinCapacity) capacity = kMinCapacity;
    return (capacity + kSlotsPerBucket - 1) / kSlotsPerBucket * kSlotsPerBucket;
}

std::size_t ReplayTable::bytes_for(std::size_t capacity) {
    return kHeaderBytes + rounded_capacity(capacity) * kRecordBytes;
}

ReplayTable::Header& ReplayTable::header() const { return *reinterpret_cast<Header*>(base_); }

ReplayTable::Record* ReplayTable::bucket(std::size_t i) const {
    return reinterpret_cast<Record*>(base_ + kHeaderBytes) + i * kSlotsPerBucket;
}

std::size_t ReplayTable::bucket_count() const { return static_cast<std::size_t>(header().buckets); }
std::size_t ReplayTable::capacity() const { return bucket_count() * kSlotsPerBucket; }

static Result<void> check_region(const void* region, std::size_t region_bytes, std::size_t capacity) {
    if (!region || reinterpret_cast<std::uintptr_t>(region) % alignof(std::int64_t) != 0)
        return make_error(Status::internal, "replay table: region missing or not 8-byte aligned");
    if (region_bytes < ReplayTable::bytes_for(capacity))
        return make_error(Status::internal, "replay table: region of " + std::to_string(region_bytes) +
                                                " bytes, " + std::to_string(ReplayTable::bytes_for(capacity)) +
                                                " needed");
    return {};
}

// Lays out an empty table; the magic goes last, so a half-written header
// is never taken for a table.
static void format(unsigned char* base, std::size_t capacity, std::string_view key) {
    auto* h = reinterpret_cast<ReplayTable::Header*>(base);
    std::memset(h->magic, 0, sizeof h->magic);
    std::memset(base + ReplayTable::kHeaderBytes, 0, capacity * ReplayTable::kRecordBytes);
    h->version = kVersion;
    h->slots_per_bucket = ReplayTable::kSlotsPerBucket;
    h->buckets = capacity / ReplayTable::kSlotsPerBucket;
    h->retired = 0;
    h->record_bytes = ReplayTable::kRecordBytes;
    std::memcpy(h->key, key.data(), kKeyBytes);
    std::memcpy(h->magic, kMagic, sizeof kMagic);
}

Result<ReplayTable> ReplayTable::open(void* region, std::size_t region_bytes, std::size_t capacity,
                                      const Clock& clock) {
    capacity = rounded_capacity(capacity);
    if (auto ok = check_region(region, region_bytes, capacity); !ok) return ok.error();
    const auto* h = static_cast<const Header*>(region);
    bool same = std::memcmp(h->magic, kMagic, sizeof kMagic) == 0 && h->version == kVersion &&
                h->slots_per_bucket == kSlotsPerBucket && h->record_bytes == kRecordBytes &&
                h->buckets == capacity / kSlotsPerBucket;
    if (same) return ReplayTable(region, clock, true);
    auto key = random_bytes(kKeyBytes);
    if (!key) return key.error();
    format(static_cast<unsigned char*>(region), capacity, key.value());
    return ReplayTable(region, clock, false);
}

Result<ReplayTable> ReplayTable::copy_of(const ReplayTable& from, void* region, std::size_t region_bytes,
                                         std::size_t capacity) {
    capacity = rounded_capacity(capacity);
    if (auto ok = check_region(region, region_bytes, capacity); !ok) return ok.error();
    const Header& old = from.header();
    format(static_cast<unsigned char*>(region), capacity,
           std::string_view(reinterpret_cast<const char*>(old.key), kKeyBytes));
    ReplayTable table(region, *from.clock_, false);
    std::int64_t now = from.clock_->now();
    std::size_t copied = 0;
    for (std::size_t b = 0; b < from.bucket_count(); ++b) {
        const Record* slot = from.bucket(b);
        for (std::size_t i = 0; i < kSlotsPerBucket; ++i) {
            if (slot[i].expires <= now) continue;
            std::string_view d(reinterpret_cast<const char*>(slot[i].digest), kDigestBytes);
            if (!table.place(d, slot[i].expires, now))
                return make_error(Status::store_full, "replay table: " + std::to_string(from.live()) +
                                                          " live records do not fit in " +
                                                          std::to_string(capacity) + " (copied " +
                                                          std::to_string(copied) + ")");
            ++copied;
        }
    }
    return table;
}

std::string ReplayTable::digest(std::string_view key) const {
    std::string_view k(reinterpret_cast<const char*>(header().key), kKeyBytes);
    return hmac(Digest::sha256, k, key).substr(0, kDigestBytes);
}

std::size_t ReplayTable::bucket_of(std::string_view digest) const {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(digest[i]);
    return static_cast<std::size_t>(v % header().buckets);
}

bool ReplayTable::place(std::string_view digest, std::int64_t expires_at, std::int64_t now) {
    Record* slot = bucket(bucket_of(digest));
    for (std::size_t i = 0; i < kSlotsPerBucket; ++i) {
        if (slot[i].expires > now) continue;
        std::memcpy(slot[i].digest, digest.data(), kDigestBytes);
        slot[i].expires = expires_at;
        return true;
    }
    return false;
}

Result<bool> ReplayTable::insert_if_absent(std::string_view key, std::string_view, std::int64_t expires_at) {
    if (header().retired)
        return make_error(Status::store_unavailable, "replay table replaced by a larger one at a reload");
    std::int64_t now = clock_->now();
    std::string d = digest(key);
    const Record* slot = bucket(bucket_of(d));
    for (std::size_t i = 0; i < kSlotsPerBucket; ++i)
        if (slot[i].expires > now && std::memcmp(slot[i].digest, d.data(), kDigestBytes) == 0) return false;
    if (expires_at <= now) return true;
    if (!place(d, expires_at, now))
        return make_error(Status::store_full, "replay table: the key's bucket holds " +
                                                  std::to_string(kSlotsPerBucket) + " live records (capacity " +
                                                  std::to_string(capacity()) + ")");
    return true;
}

void ReplayTable::retire() { header().retired = 1; }
bool ReplayTable::retired() const { return header().retired != 0; }

std::size_t ReplayTable::live() const {
    std::size_t n = 0;
    for (std::size_t c : live_per_bucket()) n += c;
    return n;
}

std::vector<std::size_t> ReplayTable::live_per_bucket() const {
    std::int64_t now = clock_->now();
    std::vector<std::size_t> out(bucket_count(), 0);
    for (std::size_t b = 0; b < out.size(); ++b) {
        const Record* slot = bucket(b);
        for (std::size_t i = 0; i < kSlotsPerBucket; ++i) out[b] += slot[i].expires > now ? 1 : 0;
    }
    return out;
}

Result<StoreStats> ReplayTable::stats() {
    StoreStats st;
    st.entries = live();
    st.capacity = capacity();
    st.evictions = 0;
    return st;
}

}  // namespace hdsso
