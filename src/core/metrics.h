// Counters for Prometheus. One table in memory that every Apache process
// shares (the module maps it before the children fork, and keeps it across
// graceful restarts): each series is a slot named by its full Prometheus
// name with its labels, found by hash, added to with an atomic add. No lock,
// so processes and threads count at once, and a reader sees every process's
// sum. Label values come from the configuration and the code only (method,
// IdP name, error name, phase), never from a client, so the table's size is
// bounded by the configuration.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/kv_store.h"

namespace hdsso {

struct MetricLabel {
    std::string_view name;
    std::string_view value;
};

// The families the module counts; render() writes their HELP and TYPE.
enum class MetricType { counter, histogram };
struct MetricFamily {
    const char* name;
    MetricType type;
    const char* help;
};
extern const MetricFamily kMetricFamilies[];
extern const std::size_t kMetricFamilyCount;

// Upper bounds of the time histograms: microseconds, and as Prometheus
// writes them (seconds); the last is +Inf.
struct DurationBucket {
    std::uint64_t microseconds;
    const char* le;
};
extern const DurationBucket kDurationBuckets[];
extern const std::size_t kDurationBucketCount;

// The stores' own figures, read when the metrics are served (not counted in
// the table): one row per store, by what it holds (sessions, replay, or
// shared for a remote store holding both) and its engine.
struct StoreGauges {
    std::string store;
    std::string engine;
    StoreStats stats;
};
// hdsso_store_entries, hdsso_store_capacity (gauges) and
// hdsso_store_evictions_total (the store's own count since it started), in
// the text format; a figure a store cannot tell is left out. Empty when
// there are no rows.
std::string render_store_gauges(const std::vector<StoreGauges>& rows);

class MetricsTable {
public:
    static constexpr std::size_t kSlots = 1024;
    static constexpr std::size_t kNameMax = 112;  // a series name and its labels, with the NUL

    // The memory a table needs. Zeroed memory is an empty table.
    static std::size_t bytes();
    // A table over `memory` (bytes() bytes, zeroed when first mapped, living
    // as long as any user of the table).
    explicit MetricsTable(void* memory);

    // Adds n to the counter `family{labels}`.
    void add(std::string_view family, std::initializer_list<MetricLabel> labels, std::uint64_t n = 1);
    // One observation of `microseconds` in the histogram `family{labels}`.
    void observe(std::string_view family, std::initializer_list<MetricLabel> labels, std::uint64_t microseconds);
    // The value of one series by its full name (0 when absent): for tests.
    std::uint64_t value(std::string_view series) const;

    // Prometheus text exposition format 0.0.4, families in name order.
    std::string render() const;

    struct Slot;

    // One histogram series set (family{labels}) whose slots are found once
    // per process, on first use of each: an observation on the request path
    // is then two atomic adds, no string and no search. Thread-safe.
    class Histogram {
    public:
        Histogram(MetricsTable& table, std::string_view family, std::initializer_list<MetricLabel> labels);
        void observe(std::uint64_t microseconds);

    private:
        struct Series {
            std::string name;
            std::atomic<Slot*> slot{nullptr};
        };
        void add(Series& s, std::uint64_t n);
        MetricsTable& table_;
        std::unique_ptr<Series[]> buckets_;
        Series sum_;
    };

private:
    Slot* slot_for(std::string_view series);
    const Slot* find(std::string_view series) const;
    void add_series(std::string_view series, std::uint64_t n);

    std::atomic<std::uint64_t>* dropped_;
    Slot* slots_;
};

// A monotonic clock in microseconds, for the module's own time per request.
std::uint64_t monotonic_microseconds();

}  // namespace hdsso
