// Every C entry point of the module (hooks, authz providers, directive
// handlers) runs its C++ through one of these: no exception crosses into
// Apache. What an exception becomes: a 500 and a log line for a request, a
// failed start for a configuration phase, an error for an authz check, the
// directive's error for a directive.
#pragma once

#include <exception>

#include "httpd.h"
#include "http_config.h"
#include "mod_auth.h"
#include "apr_strings.h"

namespace hdsso::mod {

// The log lines (in mod/guard.cc, which knows the module for the log).
void log_request_exception(request_rec* r, const char* what);
void log_server_exception(server_rec* s, const char* phase, const char* what);

namespace detail {
template <class Fn, class OnError>
auto guard(Fn&& fn, OnError&& on_error) -> decltype(fn()) {
    try {
        return fn();
    } catch (const std::exception& e) {
        return on_error(e.what());
    } catch (...) {
        return on_error("unknown exception");
    }
}
}  // namespace detail

template <class Fn>
int guard_request(request_rec* r, Fn&& fn) {
    return detail::guard(fn, [r](const char* what) {
        log_request_exception(r, what);
        return static_cast<decltype(fn())>(HTTP_INTERNAL_SERVER_ERROR);
    });
}

template <class Fn>
int guard_server(server_rec* s, Fn&& fn) {
    return detail::guard(fn, [s](const char* what) {
        log_server_exception(s, "while starting", what);
        return HTTP_INTERNAL_SERVER_ERROR;
    });
}

template <class Fn>
void guard_child(server_rec* s, Fn&& fn) {
    detail::guard(
        [&] {
            fn();
            return 0;
        },
        [s](const char* what) {
            log_server_exception(s, "in a new child", what);
            return 0;
        });
}

template <class Fn>
authz_status guard_authz(request_rec* r, Fn&& fn) {
    return detail::guard(fn, [r](const char* what) {
        log_request_exception(r, what);
        return AUTHZ_GENERAL_ERROR;
    });
}

template <class Fn>
const char* guard_cmd(cmd_parms* cmd, Fn&& fn) {
    return detail::guard(fn, [cmd](const char* what) -> const char* {
        return apr_psprintf(cmd->pool, "%s: internal error: %s", cmd->cmd ? cmd->cmd->name : "?", what);
    });
}

}  // namespace hdsso::mod
