// One-time records (used remote-auth links, JWT jti, SAML assertion IDs) in
// a fixed table inside a memory region the caller provides; the module puts
// it in shared memory created once per Apache parent, so every process and
// every configuration generation sees the same records.
//
// Layout: a header (magic, version, geometry, a random hash key) and then
// buckets of kSlotsPerBucket records of 24 bytes: 16 bytes of a keyed hash
// of the key and the record's expiry. A key belongs to one bucket, chosen by
// the keyed hash, so a client cannot aim its keys at one bucket. An insert
// looks only in that bucket; it reuses a slot whose record has expired and
// never evicts a live one: when the bucket holds kSlotsPerBucket live
// records the insert answers store.full, and the caller refuses the
// sign-in (fail closed). With random keys the first refusal came at 57-67%
// of capacity() in measurements (64 Ki and 512 Ki records), so size for
// about twice the records you expect.
//
// Not thread-safe: the caller serialises every call (the module holds its
// global mutex). A process that dies mid-insert leaves at worst one record
// whose digest does not match any key, which expires like any other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/kv_store.h"

namespace hdsso {

class ReplayTable final : public OneTimeStore {
public:
    static constexpr std::size_t kSlotsPerBucket = 64;
    static constexpr std::size_t kRecordBytes = 24;
    static constexpr std::size_t kHeaderBytes = 64;
    // Smallest table: one bucket.
    static constexpr std::size_t kMinCapacity = kSlotsPerBucket;

    // Records a table for `capacity` holds: rounded up to whole buckets.
    static std::size_t rounded_capacity(std::size_t capacity);
    // Bytes of region a table for `capacity` records needs.
    static std::size_t bytes_for(std::size_t capacity);

    // The table in `region` (8-byte aligned, at least bytes_for(capacity)):
    // the one already there when its header matches (its records are kept,
    // attached() is true), else a new empty one with a fresh random key.
    static Result<ReplayTable> open(void* region, std::size_t region_bytes, std::size_t capacity,
                                    const Clock& clock);
    // A new table in `region` holding the live records of `from` (same hash
    // key, so the records stay findable): for a capacity change. store.full
    // when some bucket cannot take its records; `from` is left as it was.
    static Result<ReplayTable> copy_of(const ReplayTable& from, void* region, std::size_t region_bytes,
                                       std::size_t capacity);

    // True once, and not again until expires_at, for a given key; false
    // while a live record of it is there. `value` is not kept (a record is
    // only "seen"). An expires_at already past stores nothing and answers
    // true. store.full when the key's bucket is full of live records;
    // store.unavailable once the table is retired.
    Result<bool> insert_if_absent(std::string_view key, std::string_view value, std::int64_t expires_at) override;

    // A table replaced by a larger one (copy_of): processes still using it
    // (old Apache children finishing their requests) get store.unavailable
    // from now on, so no record can be written where the new table's users
    // would not see it.
    void retire();
    bool retired() const;

    bool attached() const { return attached_; }
    std::size_t capacity() const;
    std::size_t bucket_count() const;
    // For reports; each scans the whole table.
    std::size_t live() const;
    // live() and capacity(); a table never evicts (it refuses: store.full).
    Result<StoreStats> stats() override;
    std::vector<std::size_t> live_per_bucket() const;

    // Layout in the region (defined in the .cc).
    struct Header;
    struct Record;

private:
    ReplayTable(void* region, const Clock& clock, bool attached)
        : base_(static_cast<unsigned char*>(region)), clock_(&clock), attached_(attached) {}
    Header& header() const;
    Record* bucket(std::size_t i) const;
    std::string digest(std::string_view key) const;
    std::size_t bucket_of(std::string_view digest) const;
    // Writes a record into its bucket's first free slot; false if none.
    bool place(std::string_view digest, std::int64_t expires_at, std::int64_t now);

    unsigned char* base_;
    const Clock* clock_;
    bool attached_;
};

}  // namespace hdsso
