#include "url/cookie.h"

namespace hdsso {

std::vector<std::string_view> cookie_values(std::string_view h, std::string_view name, std::size_t max) {
    std::vector<std::string_view> out;
    while (!h.empty() && out.size() < max) {
        std::size_t end = h.find_first_of(";,");
        std::string_view item = h.substr(0, end);
        h = end == std::string_view::npos ? std::string_view() : h.substr(end + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        if (item.size() > name.size() && item.compare(0, name.size(), name) == 0 && item[name.size()] == '=')
            out.push_back(item.substr(name.size() + 1));
    }
    return out;
}

std::vector<std::pair<std::string_view, std::string_view>> cookies_with_prefix(std::string_view h,
                                                                               std::string_view prefix,
                                                                               std::size_t max) {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    while (!h.empty() && out.size() < max) {
        std::size_t end = h.find_first_of(";,");
        std::string_view item = h.substr(0, end);
        h = end == std::string_view::npos ? std::string_view() : h.substr(end + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        std::size_t eq = item.find('=');
        if (eq == std::string_view::npos || item.compare(0, prefix.size(), prefix) != 0 || eq < prefix.size())
            continue;
        out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    }
    return out;
}

const char* same_site_name(SameSite s) {
    switch (s) {
    case SameSite::lax: return "Lax";
    case SameSite::strict: return "Strict";
    case SameSite::none: return "None";
    }
    return "Lax";
}

std::string set_cookie(std::string_view name, std::string_view value, const CookieAttributes& a) {
    std::string out(name);
    out += "=";
    out += value;
    if (a.max_age != kBrowserSession) {
        out += "; Max-Age=" + std::to_string(a.max_age > 0 ? a.max_age : 0);
        if (a.max_age <= 0) out += "; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
    }
    out += "; Path=/";
    if (a.secure) out += "; Secure";
    if (a.http_only) out += "; HttpOnly";
    out += "; SameSite=";
    out += same_site_name(a.same_site);
    return out;
}

}  // namespace hdsso
