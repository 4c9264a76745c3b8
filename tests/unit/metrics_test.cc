// The shared metrics table: counts by series, histograms made cumulative at
// rendering, a full table counts what it drops, and processes that map the
// same memory count together (real fork()s, as Apache's children).
#include <cppunit/extensions/HelperMacros.h>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "core/metrics.h"

using namespace hdsso;

namespace {

// Zeroed memory shared with the children this process forks.
struct SharedRegion {
    SharedRegion()
        : bytes(MetricsTable::bytes()),
          data(mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)) {}
    ~SharedRegion() { munmap(data, bytes); }
    std::size_t bytes;
    void* data;
};

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

class MetricsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MetricsTest);
    CPPUNIT_TEST(testCountersByLabels);
    CPPUNIT_TEST(testLabelValuesEscaped);
    CPPUNIT_TEST(testHistogramCumulativeAtRendering);
    CPPUNIT_TEST(testEveryFamilyHasHelpAndType);
    CPPUNIT_TEST(testFullTableCountsWhatItDrops);
    CPPUNIT_TEST(testProcessesCountTogether);
    CPPUNIT_TEST(testStoreGauges);
    CPPUNIT_TEST_SUITE_END();

public:
    void testCountersByLabels() {
        SharedRegion region;
        MetricsTable t(region.data);
        t.add("hdsso_sign_ins_total", {{"method", "saml"}, {"idp", "okta"}});
        t.add("hdsso_sign_ins_total", {{"method", "saml"}, {"idp", "okta"}});
        t.add("hdsso_sign_ins_total", {{"method", "jwt"}, {"idp", "broker"}}, 5);
        t.add("hdsso_sign_outs_total", {});
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), t.value(R"(hdsso_sign_ins_total{method="saml",idp="okta"})"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), t.value(R"(hdsso_sign_ins_total{method="jwt",idp="broker"})"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t.value(R"(hdsso_sign_ins_total{method="remote",idp=""})"));
        std::string text = t.render();
        CPPUNIT_ASSERT(has_line(text, R"(hdsso_sign_ins_total{method="saml",idp="okta"} 2)"));
        CPPUNIT_ASSERT(has_line(text, R"(hdsso_sign_ins_total{method="jwt",idp="broker"} 5)"));
        CPPUNIT_ASSERT(has_line(text, "hdsso_sign_outs_total 1"));
        CPPUNIT_ASSERT(has_line(text, "hdsso_metrics_dropped_total 0"));
    }
    void testLabelValuesEscaped() {
        SharedRegion region;
        MetricsTable t(region.data);
        t.add("hdsso_sign_ins_total", {{"method", "saml"}, {"idp", "a\"b\\c\nd"}});
        CPPUNIT_ASSERT(has_line(t.render(), R"(hdsso_sign_ins_total{method="saml",idp="a\"b\\c\nd"} 1)"));
    }
    void testHistogramCumulativeAtRendering() {
        SharedRegion region;
        MetricsTable t(region.data);
        // The handle (resolved once) and the by-name call count the same series.
        MetricsTable::Histogram authn(t, "hdsso_request_duration_seconds", {{"phase", "authn"}});
        for (std::uint64_t us : {10, 100})  // 100 µs is in le="0.0001" (≤)
            authn.observe(us);
        for (std::uint64_t us : {101, 3000000}) t.observe("hdsso_request_duration_seconds", {{"phase", "authn"}}, us);
        MetricsTable::Histogram(t, "hdsso_request_duration_seconds", {{"phase", "acs"}}).observe(7000);
        std::string text = t.render();
        const std::string b = R"(hdsso_request_duration_seconds_bucket{phase="authn",le=)";
        CPPUNIT_ASSERT(has_line(text, b + R"("0.000025"} 1)"));
        CPPUNIT_ASSERT(has_line(text, b + R"("0.0001"} 2)"));
        CPPUNIT_ASSERT(has_line(text, b + R"("0.00025"} 3)"));
        CPPUNIT_ASSERT(has_line(text, b + R"("2.5"} 3)"));
        CPPUNIT_ASSERT(has_line(text, b + R"("+Inf"} 4)"));
        CPPUNIT_ASSERT(has_line(text, R"(hdsso_request_duration_seconds_sum{phase="authn"} 3.000211)"));
        CPPUNIT_ASSERT(has_line(text, R"(hdsso_request_duration_seconds_count{phase="authn"} 4)"));
        CPPUNIT_ASSERT(has_line(text, R"(hdsso_request_duration_seconds_bucket{phase="acs",le="0.005"} 0)"));
        CPPUNIT_ASSERT(has_line(text, R"(hdsso_request_duration_seconds_bucket{phase="acs",le="0.01"} 1)"));
        CPPUNIT_ASSERT(has_line(text, R"(hdsso_request_duration_seconds_count{phase="acs"} 1)"));
    }
    void testEveryFamilyHasHelpAndType() {
        SharedRegion region;
        MetricsTable t(region.data);
        std::string text = t.render();
        for (std::size_t i = 0; i < kMetricFamilyCount; ++i) {
            const MetricFamily& f = kMetricFamilies[i];
            CPPUNIT_ASSERT_MESSAGE(f.name, text.find(std::string("# HELP ") + f.name + " ") != std::string::npos);
            std::string type = f.type == MetricType::counter ? "counter" : "histogram";
            CPPUNIT_ASSERT_MESSAGE(f.name, has_line(text, std::string("# TYPE ") + f.name + " " + type));
        }
    }
    void testFullTableCountsWhatItDrops() {
        SharedRegion region;
        MetricsTable t(region.data);
        for (std::size_t i = 0; i < MetricsTable::kSlots; ++i)
            t.add("hdsso_failures_total", {{"error", "e" + std::to_string(i)}});
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t.value("hdsso_metrics_dropped_total"));
        t.add("hdsso_failures_total", {{"error", "one.more"}});
        t.add("hdsso_failures_total", {{"error", "e7"}});  // an existing series still counts
        t.add("hdsso_failures_total", {{"error", std::string(MetricsTable::kNameMax, 'x')}});
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), t.value("hdsso_metrics_dropped_total"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), t.value(R"(hdsso_failures_total{error="e7"})"));
        CPPUNIT_ASSERT(has_line(t.render(), "hdsso_metrics_dropped_total 2"));
    }
    // Four processes, each adding 20,000 to one series and naming 100 of its
    // own while the others do the same: nothing lost, every series once.
    void testProcessesCountTogether() {
        SharedRegion region;
        MetricsTable t(region.data);
        constexpr int kChildren = 4, kAdds = 20000, kOwn = 100;
        pid_t pids[kChildren];
        for (int c = 0; c < kChildren; ++c) {
            pids[c] = fork();
            CPPUNIT_ASSERT(pids[c] >= 0);
            if (pids[c] == 0) {
                MetricsTable mine(region.data);
                for (int i = 0; i < kAdds; ++i) {
                    mine.add("hdsso_sign_outs_total", {});
                    if (i < kOwn)
                        mine.add("hdsso_failures_total", {{"error", std::to_string(c) + "." + std::to_string(i)}});
                    mine.add("hdsso_failures_total", {{"error", "shared." + std::to_string(i % kOwn)}});
                }
                _exit(0);
            }
        }
        for (pid_t pid : pids) {
            int status = 0;
            CPPUNIT_ASSERT_EQUAL(pid, waitpid(pid, &status, 0));
            CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(kChildren * kAdds), t.value("hdsso_sign_outs_total"));
        for (int i = 0; i < kOwn; ++i) {
            CPPUNIT_ASSERT_EQUAL(std::uint64_t(kChildren * kAdds / kOwn),
                                 t.value(R"(hdsso_failures_total{error="shared.)" + std::to_string(i) + "\"}"));
            for (int c = 0; c < kChildren; ++c)
                CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), t.value(R"(hdsso_failures_total{error=")" + std::to_string(c) +
                                                                "." + std::to_string(i) + "\"}"));
        }
        std::string text = t.render();
        std::size_t failures = 0;
        for (std::size_t at = 0; (at = text.find("\nhdsso_failures_total{", at)) != std::string::npos; ++at) ++failures;
        CPPUNIT_ASSERT_EQUAL(std::size_t(kChildren * kOwn + kOwn), failures);  // no series named twice
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t.value("hdsso_metrics_dropped_total"));
    }

    // What a store cannot tell is left out, and a family without any row
    // has no HELP or TYPE either.
    void testStoreGauges() {
        CPPUNIT_ASSERT_EQUAL(std::string(), render_store_gauges({}));
        StoreGauges sessions{"sessions", "shmcb", {}};
        sessions.stats.entries = 12;
        sessions.stats.evictions = 3;
        StoreGauges replay{"replay", "table", {}};
        replay.stats.entries = 5;
        replay.stats.capacity = 65536;
        std::string text = render_store_gauges({sessions, replay});
        CPPUNIT_ASSERT_EQUAL(std::string(
            "# HELP hdsso_store_capacity Entries the store can hold, where it can tell\n"
            "# TYPE hdsso_store_capacity gauge\n"
            "hdsso_store_capacity{engine=\"table\",store=\"replay\"} 65536\n"), text.substr(0, text.find("# HELP hdsso_store_entries")));
        CPPUNIT_ASSERT(text.find("hdsso_store_entries{engine=\"shmcb\",store=\"sessions\"} 12\n") != std::string::npos);
        CPPUNIT_ASSERT(text.find("hdsso_store_entries{engine=\"table\",store=\"replay\"} 5\n") != std::string::npos);
        CPPUNIT_ASSERT(text.find("# TYPE hdsso_store_evictions_total counter\n"
                                 "hdsso_store_evictions_total{engine=\"shmcb\",store=\"sessions\"} 3\n") != std::string::npos);
        CPPUNIT_ASSERT(text.find("store=\"replay\"} 0") == std::string::npos);  // no eviction figure given
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsTest);
