// Metrics: the core's MetricsTable in shared memory made before the children
// fork (kept across graceful restarts), counted from the request path, and
// served at <prefix>/metrics (HelpdeskSSOMetrics On, in the <Location> that
// protects it with its own Require) and in mod_status's page.
#pragma once

#include "httpd.h"
#include "http_config.h"

#include <cstdint>
#include <initializer_list>

#include "core/error.h"
#include "core/identity.h"
#include "core/metrics.h"
#include "mod/dir_config.h"
#include "url/endpoints.h"

namespace hdsso::mod {

// HelpdeskSSOMetrics (ends with an empty entry).
const command_rec* metrics_commands();

// pre_config: the defaults before the configuration is read (again).
void metrics_pre_config();
// post_config: maps the table (once per Apache parent). OK or 500.
int metrics_post_config(server_rec* s);
// mod_status's section, registered once.
void register_metrics_hooks();

// Counting; each does nothing when the table is not mapped.
void count(std::string_view family, std::initializer_list<MetricLabel> labels = {}, std::uint64_t n = 1);
void count_sign_in(const char* method, const Identity& id);
// A request answered with an error page: by name, and as a replay or a
// store failure when it is one.
void count_failure(Status code);
// The module's own time spent on a request since `start`
// (monotonic_microseconds()): in the authentication hook, or serving an
// endpoint (by its leaf).
void time_authn(std::uint64_t start);
void time_endpoint(const EndpointSpec& e, std::uint64_t start);

int metrics_endpoint(request_rec* r);

}  // namespace hdsso::mod
