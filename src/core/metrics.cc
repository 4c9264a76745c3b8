#include "core/metrics.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <sched.h>
#include <vector>

namespace hdsso {

const MetricFamily kMetricFamilies[] = {
    {"hdsso_denials_total", MetricType::counter, "Signed-in users refused by a Require line"},
    {"hdsso_failures_total", MetricType::counter, "Requests answered with an error page, by error name"},
    {"hdsso_jwks_refreshes_total", MetricType::counter,
     "JWT key sets fetched again from their URL (HelpdeskSSOJWTKeysURL), by result: changed (in use now), unchanged, "
     "failed (the previous kept); and by reason: schedule, or kid (a token named an unknown kid)"},
    {"hdsso_metadata_refreshes_total", MetricType::counter,
     "IdP metadata fetched again from its URL, by result: changed (in use now), unchanged, failed (the previous kept)"},
    {"hdsso_metrics_dropped_total", MetricType::counter,
     "Counts not kept because the metrics table is full or a series name too long"},
    {"hdsso_oidc_backchannel_logouts_total", MetricType::counter,
     "OpenID Connect back-channel logout tokens, by result: ok (the sessions it names ended) or refused"},
    {"hdsso_oidc_refreshes_total", MetricType::counter,
     "OpenID provider documents fetched again, by provider, document (discovery, key set), result (changed, "
     "unchanged, failed) and reason (schedule, or kid: an ID token named an unknown kid)"},
    {"hdsso_oidc_token_requests_total", MetricType::counter,
     "OpenID Connect token requests (authorization code for tokens), by provider and result (ok, failed)"},
    {"hdsso_replays_refused_total", MetricType::counter,
     "One-time credentials (remote-auth links, JWTs, SAML assertions) refused as already used, by method"},
    {"hdsso_request_duration_seconds", MetricType::histogram,
     "The module's own time per request: phase is authn (the authentication hook) or the endpoint served"},
    {"hdsso_sessions_created_total", MetricType::counter, "Sessions created"},
    {"hdsso_sign_ins_total", MetricType::counter, "Completed sign-ins, by method and identity provider"},
    {"hdsso_sign_outs_total", MetricType::counter, "Sign-outs at the logout endpoint"},
    {"hdsso_store_errors_total", MetricType::counter,
     "Session and replay store failures (unavailable or full), by error name"},
};
const std::size_t kMetricFamilyCount = sizeof kMetricFamilies / sizeof kMetricFamilies[0];

const DurationBucket kDurationBuckets[] = {
    {25, "0.000025"},  {50, "0.00005"},   {100, "0.0001"},   {250, "0.00025"}, {500, "0.0005"},
    {1000, "0.001"},   {2500, "0.0025"},  {5000, "0.005"},   {10000, "0.01"},  {25000, "0.025"},
    {50000, "0.05"},   {100000, "0.1"},   {250000, "0.25"},  {500000, "0.5"},  {1000000, "1"},
    {2500000, "2.5"},  {UINT64_MAX, "+Inf"},
};
const std::size_t kDurationBucketCount = sizeof kDurationBuckets / sizeof kDurationBuckets[0];

// Lock-free 64-bit atomics are address-free: they work between processes
// that map the same memory.
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

struct MetricsTable::Slot {
    std::atomic<std::uint64_t> value;
    std::atomic<std::uint32_t> state;  // kEmpty, kClaimed (name being written), kNamed
    std::uint32_t hash;
    char name[kNameMax];
};

namespace {

constexpr std::uint32_t kEmpty = 0, kClaimed = 1, kNamed = 2;

struct Header {
    std::atomic<std::uint64_t> dropped;
    char pad[56];
};

std::uint32_t hash_of(std::string_view s) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
    return static_cast<std::uint32_t>(h ^ (h >> 32));
}

// A slot another process is naming is named within a few instructions;
// wait for it, briefly (a process killed between the two leaves the slot
// claimed for good: it is then passed over, and the series it was to hold
// may be named twice, which render() sums).
std::uint32_t settled_state(const std::atomic<std::uint32_t>& state) {
    std::uint32_t s = state.load(std::memory_order_acquire);
    for (int spins = 0; s == kClaimed && spins < 100; ++spins) {
        sched_yield();
        s = state.load(std::memory_order_acquire);
    }
    return s;
}

void append_escaped(std::string& out, std::string_view v) {
    for (char ch : v) {
        if (ch == '\\') out += "\\\\";
        else if (ch == '"') out += "\\\"";
        else if (ch == '\n') out += "\\n";
        else out += ch;
    }
}

// family{a="x",b="y"} (no braces without labels), `extra` as a last label.
std::string series_name(std::string_view family, std::initializer_list<MetricLabel> labels,
                        const MetricLabel* extra = nullptr) {
    std::string s(family);
    if (labels.size() == 0 && !extra) return s;
    s += '{';
    auto put = [&](const MetricLabel& l) {
        if (s.back() != '{') s += ',';
        s.append(l.name).append("=\"");
        append_escaped(s, l.value);
        s += '"';
    };
    for (const auto& l : labels) put(l);
    if (extra) put(*extra);
    return s + '}';
}

std::string_view family_of(std::string_view series) { return series.substr(0, series.find('{')); }
// The labels of a series without their braces ("" without labels).
std::string_view labels_of(std::string_view series) {
    auto open = series.find('{');
    if (open == std::string_view::npos) return {};
    return series.substr(open + 1, series.size() - open - 2);
}
std::string braced(std::string_view labels) { return labels.empty() ? "" : "{" + std::string(labels) + "}"; }

}  // namespace

std::size_t MetricsTable::bytes() { return sizeof(Header) + kSlots * sizeof(Slot); }

MetricsTable::MetricsTable(void* memory)
    : dropped_(&static_cast<Header*>(memory)->dropped),
      slots_(reinterpret_cast<Slot*>(static_cast<char*>(memory) + sizeof(Header))) {}

MetricsTable::Slot* MetricsTable::slot_for(std::string_view series) {
    if (series.size() >= kNameMax) return nullptr;
    std::uint32_t h = hash_of(series);
    for (std::size_t probe = 0; probe < kSlots; ++probe) {
        Slot& s = slots_[(h + probe) % kSlots];
        std::uint32_t state = s.state.load(std::memory_order_acquire);
        if (state == kEmpty) {
            if (s.state.compare_exchange_strong(state, kClaimed, std::memory_order_acq_rel)) {
                s.hash = h;
                std::memcpy(s.name, series.data(), series.size());
                s.name[series.size()] = '\0';
                s.state.store(kNamed, std::memory_order_release);
                return &s;
            }
        }
        if (settled_state(s.state) == kNamed && s.hash == h && series == s.name) return &s;
    }
    return nullptr;
}

const MetricsTable::Slot* MetricsTable::find(std::string_view series) const {
    std::uint32_t h = hash_of(series);
    for (std::size_t probe = 0; probe < kSlots; ++probe) {
        const Slot& s = slots_[(h + probe) % kSlots];
        std::uint32_t state = settled_state(s.state);
        if (state == kEmpty) return nullptr;
        if (state == kNamed && s.hash == h && series == s.name) return &s;
    }
    return nullptr;
}

void MetricsTable::add_series(std::string_view series, std::uint64_t n) {
    if (Slot* s = slot_for(series)) s->value.fetch_add(n, std::memory_order_relaxed);
    else dropped_->fetch_add(1, std::memory_order_relaxed);
}

void MetricsTable::add(std::string_view family, std::initializer_list<MetricLabel> labels, std::uint64_t n) {
    add_series(series_name(family, labels), n);
}

namespace {
// The bucket of an observation; the last bound is UINT64_MAX.
std::size_t bucket_of(std::uint64_t microseconds) {
    std::size_t i = 0;
    while (microseconds > kDurationBuckets[i].microseconds) ++i;
    return i;
}
}  // namespace

// Each observation adds to its own bucket and to the sum; render() makes the
// buckets cumulative and the count, so a scrape is always consistent.
void MetricsTable::observe(std::string_view family, std::initializer_list<MetricLabel> labels,
                           std::uint64_t microseconds) {
    MetricLabel le{"le", kDurationBuckets[bucket_of(microseconds)].le};
    std::string f(family);
    add_series(series_name(f + "_bucket", labels, &le), 1);
    add_series(series_name(f + "_sum", labels), microseconds);
}

MetricsTable::Histogram::Histogram(MetricsTable& table, std::string_view family,
                                   std::initializer_list<MetricLabel> labels)
    : table_(table), buckets_(new Series[kDurationBucketCount]) {
    std::string f(family);
    for (std::size_t i = 0; i < kDurationBucketCount; ++i) {
        MetricLabel le{"le", kDurationBuckets[i].le};
        buckets_[i].name = series_name(f + "_bucket", labels, &le);
    }
    sum_.name = series_name(f + "_sum", labels);
}

void MetricsTable::Histogram::add(Series& s, std::uint64_t n) {
    Slot* slot = s.slot.load(std::memory_order_acquire);
    if (!slot) {
        slot = table_.slot_for(s.name);  // the same slot whichever thread finds it
        if (!slot) {
            table_.dropped_->fetch_add(1, std::memory_order_relaxed);
            return;
        }
        s.slot.store(slot, std::memory_order_release);
    }
    slot->value.fetch_add(n, std::memory_order_relaxed);
}

void MetricsTable::Histogram::observe(std::uint64_t microseconds) {
    add(buckets_[bucket_of(microseconds)], 1);
    add(sum_, microseconds);
}

std::uint64_t MetricsTable::value(std::string_view series) const {
    if (series == "hdsso_metrics_dropped_total")
        return dropped_->load(std::memory_order_relaxed);
    const Slot* s = find(series);
    return s ? s->value.load(std::memory_order_relaxed) : 0;
}

std::string MetricsTable::render() const {
    std::map<std::string, std::uint64_t> series;
    for (std::size_t i = 0; i < kSlots; ++i)
        if (settled_state(slots_[i].state) == kNamed)
            series[slots_[i].name] += slots_[i].value.load(std::memory_order_relaxed);
    series["hdsso_metrics_dropped_total"] = value("hdsso_metrics_dropped_total");

    std::vector<const MetricFamily*> families;
    for (std::size_t i = 0; i < kMetricFamilyCount; ++i) families.push_back(&kMetricFamilies[i]);
    std::sort(families.begin(), families.end(),
              [](const MetricFamily* a, const MetricFamily* b) { return std::strcmp(a->name, b->name) < 0; });

    std::string out;
    char number[64];
    for (const MetricFamily* f : families) {
        out += std::string("# HELP ") + f->name + " " + f->help + "\n";
        out += std::string("# TYPE ") + f->name + (f->type == MetricType::counter ? " counter\n" : " histogram\n");
        if (f->type == MetricType::counter) {
            for (const auto& [name, v] : series)
                if (family_of(name) == f->name) out += name + " " + std::to_string(v) + "\n";
            continue;
        }
        // Histogram: the bucket series of each label set, counted per bucket.
        const std::string bucket = std::string(f->name) + "_bucket";
        std::map<std::string, std::vector<std::uint64_t>> groups;
        for (const auto& [name, v] : series) {
            if (family_of(name) != bucket) continue;
            std::string_view labels = labels_of(name);
            auto at = labels.rfind("le=\"");
            if (at == std::string_view::npos) continue;
            std::string_view le = labels.substr(at + 4, labels.size() - at - 5);
            std::string key(labels.substr(0, at ? at - 1 : 0));
            auto& counts = groups[key];
            counts.resize(kDurationBucketCount);
            for (std::size_t i = 0; i < kDurationBucketCount; ++i)
                if (le == kDurationBuckets[i].le) counts[i] += v;
        }
        for (const auto& [labels, counts] : groups) {
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < kDurationBucketCount; ++i) {
                cumulative += counts[i];
                out += bucket + "{" + labels + (labels.empty() ? "" : ",") + "le=\"" + kDurationBuckets[i].le +
                       "\"} " + std::to_string(cumulative) + "\n";
            }
            auto sum = series.find(std::string(f->name) + "_sum" + braced(labels));
            std::uint64_t us = sum == series.end() ? 0 : sum->second;
            std::snprintf(number, sizeof number, "%llu.%06llu", static_cast<unsigned long long>(us / 1000000),
                          static_cast<unsigned long long>(us % 1000000));
            out += std::string(f->name) + "_sum" + braced(labels) + " " + number + "\n";
            out += std::string(f->name) + "_count" + braced(labels) + " " + std::to_string(cumulative) + "\n";
        }
    }
    return out;
}

std::uint64_t monotonic_microseconds() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

std::string render_store_gauges(const std::vector<StoreGauges>& rows) {
    struct Figure {
        const char* name;
        const char* type;
        const char* help;
        std::optional<std::uint64_t> StoreStats::*field;
    };
    static const Figure figures[] = {
        {"hdsso_store_capacity", "gauge", "Entries the store can hold, where it can tell", &StoreStats::capacity},
        {"hdsso_store_entries", "gauge",
         "Entries in the store now (Redis: every key of its database; memcached: every item of its servers)",
         &StoreStats::entries},
        {"hdsso_store_evictions_total", "counter",
         "Entries the store dropped before their expiry to make room, by the store's own count since it started",
         &StoreStats::evictions},
    };
    std::string out;
    for (const Figure& f : figures) {
        std::string lines;
        for (const StoreGauges& row : rows)
            if (const auto& v = row.stats.*f.field)
                lines += std::string(f.name) + "{engine=\"" + row.engine + "\",store=\"" + row.store + "\"} " +
                         std::to_string(*v) + "\n";
        if (lines.empty()) continue;
        out += std::string("# HELP ") + f.name + " " + f.help + "\n# TYPE " + f.name + " " + f.type + "\n" + lines;
    }
    return out;
}

}  // namespace hdsso
