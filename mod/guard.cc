#include "mod/guard.h"

#include "http_log.h"

#include "mod/dir_config.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

void log_request_exception(request_rec* r, const char* what) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "HDSSO090: internal: %s", what);
}

void log_server_exception(server_rec* s, const char* phase, const char* what) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "HDSSO091: internal error %s: %s", phase, what);
}

}  // namespace hdsso::mod
