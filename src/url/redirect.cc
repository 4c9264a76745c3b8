#include "url/redirect.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"
#include "url/query.h"

namespace hdsso {

namespace {

Error refuse(const char* why) { return make_error(Status::url_redirect_not_allowed, why); }

std::string lower(std::string_view s) {
    std::string r(s);
    std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return std::tolower(c); });
    return r;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == prefix;
}

bool host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

}  // namespace

RedirectValidator::RedirectValidator(std::vector<std::string> allowed_hosts) {
    for (auto& h : allowed_hosts) allowed_.push_back(lower(h));
}

bool RedirectValidator::host_allowed(std::string_view authority) const {
    std::string a = lower(authority);
    std::string host = a, port;
    std::size_t colon = a.rfind(':');
    if (colon != std::string::npos) {
        host = a.substr(0, colon);
        port = a.substr(colon + 1);
        if (port.empty() || port.size() > 5 ||
            !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }))
            return false;
        long n = std::stol(port);
        if (n < 1 || n > 65535) return false;
    }
    if (host.empty() || host.front() == '.' || host.front() == '-' ||
        !std::all_of(host.begin(), host.end(), host_char))
        return false;
    for (const auto& entry : allowed_) {
        if (entry == a || entry == host) return true;
    }
    return false;
}

// Structural checks, applied to the target as sent and once more to its
// percent-decoded form, so "/%2F%2Fevil" and "/%09/evil" fare as their
// decoded twins would with a server that decodes before redirecting again.
Result<void> RedirectValidator::check_shape(std::string_view t, bool decoded) const {
    if (t.empty()) return refuse("empty target");
    for (unsigned char c : t) {
        if (c < 0x20 || c == 0x7f) return refuse("control character");
        if (c >= 0x80 && !decoded) return refuse("non-ASCII byte (send it percent-encoded)");
        if (c == '\\') return refuse("backslash");
    }
    // Encoded UTF-8 is fine in a path, but not C1 controls or line separators.
    if (decoded && !safe_text(t)) return refuse("invalid UTF-8 or a control character once decoded");
    if (t[0] == '/') {
        if (t.size() > 1 && (t[1] == '/' || t[1] == '\\')) return refuse("scheme-relative target");
        return {};
    }
    std::string_view rest;
    if (starts_with_ci(t, "https://"))
        rest = t.substr(8);
    else if (starts_with_ci(t, "http://"))
        rest = t.substr(7);
    else
        return refuse("neither a local path nor an http(s) URL");
    std::size_t end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, end);
    if (authority.find('@') != std::string_view::npos) return refuse("userinfo in URL");
    if (authority.empty()) return refuse("no host");
    if (!host_allowed(authority)) return refuse("host not on the allow-list");
    return {};
}

Result<std::string> RedirectValidator::validate(std::string_view target) const {
    if (target.size() > kMaxLength) return refuse("target too long");
    auto raw = check_shape(target, false);
    if (!raw) return raw.error();
    // '+' is literal in a path, so decode %XX only.
    std::string decoded;
    decoded.reserve(target.size());
    for (std::size_t i = 0; i < target.size(); ++i) {
        if (target[i] != '%') {
            decoded.push_back(target[i]);
            continue;
        }
        if (i + 2 >= target.size()) return refuse("truncated percent escape");
        auto d = form_decode(target.substr(i, 3));
        if (!d) return refuse("invalid percent escape");
        decoded += d.value();
        i += 2;
    }
    if (decoded != target) {
        auto dec = check_shape(decoded, true);
        if (!dec) return dec.error();
    }
    return std::string(target);
}

}  // namespace hdsso
