#include "mod/metrics.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "apr_optional.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_protocol.h"

#include "mod/socache_store.h"
#include "mod_status.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

// The segment is kept across graceful restarts, which load the module again:
// its key names the layout, so a module whose table differs makes its own.
const std::string& table_key() {
    static const std::string key = "hdsso-metrics-" + std::to_string(MetricsTable::bytes()) + "-" +
                                   std::to_string(MetricsTable::kSlots) + "-" + std::to_string(MetricsTable::kNameMax);
    return key;
}
MetricsTable* g_table = nullptr;  // set in the parent before the fork, then read only
bool g_collect = true;            // HelpdeskSSOMetricsCollect
// The time histograms, resolved once: [0] the authentication hook, [1 + i]
// endpoint kEndpoints[i].
std::vector<std::unique_ptr<MetricsTable::Histogram>> g_phases;
constexpr std::size_t kEndpointCount = sizeof kEndpoints / sizeof kEndpoints[0];

const char* set_collect(cmd_parms* cmd, void*, int on) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    g_collect = on;
    return nullptr;
}

const char* set_metrics(cmd_parms* cmd, void* m, int on) {
    // In the <Location> whose Require protects it: never served merely
    // because a whole site has it on.
    std::size_t n = cmd->path ? std::strlen(cmd->path) : 0;
    if (n < 8 || std::strcmp(cmd->path + n - 8, "/metrics") != 0)
        return "HelpdeskSSOMetrics belongs in the <Location PREFIX/metrics> that protects it with its own Require";
    static_cast<DirConfig*>(m)->metrics = {on, 1};
    return nullptr;
}

int status_section(request_rec* r, int flags) {
    if (!g_table) return OK;
    std::string text = g_table->render() + render_store_gauges(store_gauges(r, false));
    if (flags & AP_STATUS_SHORT) {
        // ?auto: "Key: value" lines, as mod_status writes its own.
        for (std::size_t at = 0; at < text.size();) {
            std::size_t end = text.find('\n', at);
            std::string line = text.substr(at, end - at);
            std::size_t space = line.rfind(' ');
            if (line[0] != '#' && space != std::string::npos)
                ap_rputs((line.substr(0, space) + ": " + line.substr(space + 1) + "\n").c_str(), r);
            at = end + 1;
        }
        return OK;
    }
    ap_rputs("<hr>\n<h2>mod_helpdesk_sso</h2>\n<pre>", r);
    ap_rputs(ap_escape_html(r->pool, text.c_str()), r);
    ap_rputs("</pre>\n", r);
    return OK;
}

}  // namespace

const command_rec* metrics_commands() {
    static const command_rec table[] = {
        AP_INIT_FLAG("HelpdeskSSOMetrics", HDSSO_CMD(set_metrics), nullptr, RSRC_CONF | ACCESS_CONF,
                     "serve <prefix>/metrics (Prometheus text format) here (default Off); in the <Location> that "
                     "protects it with its own Require"),
        AP_INIT_FLAG("HelpdeskSSOMetricsCollect", HDSSO_CMD(set_collect), nullptr, RSRC_CONF,
                     "keep the counters at all (default On); Off maps no table and counts nothing"),
        {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
    };
    return table;
}

void metrics_pre_config() { g_collect = true; }

int metrics_post_config(server_rec* s) {
    if (!g_collect) {
        g_table = nullptr;
        return OK;
    }
    apr_pool_t* proc = s->process->pool;
    void* data = nullptr;
    apr_pool_userdata_get(&data, table_key().c_str(), proc);
    if (!data) {
        apr_shm_t* shm = nullptr;
        apr_status_t rv = apr_shm_create(&shm, MetricsTable::bytes(), nullptr, proc);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "HDSSO017: cannot create shared memory for the metrics");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        data = apr_shm_baseaddr_get(shm);
        std::memset(data, 0, MetricsTable::bytes());
        apr_pool_userdata_set(data, table_key().c_str(), apr_pool_cleanup_null, proc);
    }
    static MetricsTable table(data);  // the same memory for the parent's life
    g_table = &table;
    if (g_phases.empty()) {
        const char* family = "hdsso_request_duration_seconds";
        g_phases.push_back(std::make_unique<MetricsTable::Histogram>(table, family, std::initializer_list<MetricLabel>{{"phase", "authn"}}));
        for (const auto& e : kEndpoints)
            g_phases.push_back(std::make_unique<MetricsTable::Histogram>(table, family, std::initializer_list<MetricLabel>{{"phase", e.leaf + 1}}));
    }
    return OK;
}

void register_metrics_hooks() { APR_OPTIONAL_HOOK(ap, status_hook, status_section, nullptr, nullptr, APR_HOOK_MIDDLE); }

void count(std::string_view family, std::initializer_list<MetricLabel> labels, std::uint64_t n) {
    if (g_table) g_table->add(family, labels, n);
}

void count_sign_in(const char* method, const Identity& id) {
    // A SAML IdP by its entity ID (only a configured, trusted IdP signs a
    // user in); JWT and remote authentication by their kind.
    std::string_view idp = std::strcmp(method, "saml") == 0 ? std::string_view(id.issuer) : std::string_view(id.idp_name);
    count("hdsso_sign_ins_total", {{"method", method}, {"idp", idp}});
    count("hdsso_sessions_created_total");
}

void count_failure(Status code) {
    if (!g_table) return;
    std::string_view name = status_name(code);
    g_table->add("hdsso_failures_total", {{"error", name}});
    constexpr std::string_view replayed = ".replayed";
    if (name.size() > replayed.size() && name.substr(name.size() - replayed.size()) == replayed)
        g_table->add("hdsso_replays_refused_total", {{"method", name.substr(0, name.size() - replayed.size())}});
    if (name.substr(0, 6) == "store.") g_table->add("hdsso_store_errors_total", {{"error", name}});
}

void time_authn(std::uint64_t start) {
    if (g_table) g_phases[0]->observe(monotonic_microseconds() - start);
}

void time_endpoint(const EndpointSpec& e, std::uint64_t start) {
    std::size_t i = static_cast<std::size_t>(&e - kEndpoints);
    if (g_table && i < kEndpointCount) g_phases[1 + i]->observe(monotonic_microseconds() - start);
}

int metrics_endpoint(request_rec* r) {
    if (!g_table) return HTTP_NOT_FOUND;
    std::string text = g_table->render() + render_store_gauges(store_gauges(r, !r->header_only));
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only) ap_rwrite(text.data(), static_cast<int>(text.size()), r);
    return OK;
}

}  // namespace hdsso::mod
