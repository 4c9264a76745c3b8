// The one redirect validator every redirect sink uses (return path after
// sign-in, redirect_to, later RelayState and helpdesk return URLs).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace hdsso {

class RedirectValidator {
public:
    static constexpr std::size_t kMaxLength = 2048;

    // Hosts (lowercase, optionally "host:port") that absolute URLs may name.
    // An entry without a port allows any port of that host.
    explicit RedirectValidator(std::vector<std::string> allowed_hosts = {});

    // Accepts "/path..." on the same host, or "http(s)://host[:port]/..."
    // whose host is allowed. Returns the target unchanged, or
    // url.redirect_not_allowed with the reason in the detail.
    Result<std::string> validate(std::string_view target) const;

private:
    Result<void> check_shape(std::string_view t, bool decoded) const;
    bool host_allowed(std::string_view authority) const;
    std::vector<std::string> allowed_;
};

}  // namespace hdsso
