#include "url/request_kind.h"

#include <cctype>
#include <string>

namespace hdsso {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Whether an Accept header admits an HTML page: a media range text/html,
// text/* or */* whose q is not 0.
bool admits_html(std::string_view accept) {
    while (!accept.empty()) {
        std::size_t comma = accept.find(',');
        std::string_view item = accept.substr(0, comma);
        accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
        std::size_t semi = item.find(';');
        std::string_view range = trim(item.substr(0, semi));
        bool zero = false;
        while (semi != std::string_view::npos) {
            item = item.substr(semi + 1);
            semi = item.find(';');
            std::string_view param = trim(item.substr(0, semi));
            if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
                std::string_view q = param.substr(2);
                zero = !q.empty() && q.find_first_not_of("0.") == std::string_view::npos;
            }
        }
        if (!zero && (iequals(range, "text/html") || iequals(range, "text/*") || range == "*/*")) return true;
    }
    return false;
}

}  // namespace

bool is_background(const RequestHints& h) {
    if (!h.sec_fetch_mode.empty() && !iequals(h.sec_fetch_mode, "navigate")) return true;
    if (!h.sec_fetch_dest.empty() && !iequals(h.sec_fetch_dest, "document") && !iequals(h.sec_fetch_dest, "iframe") &&
        !iequals(h.sec_fetch_dest, "frame"))
        return true;
    if (!h.sec_fetch_mode.empty() || !h.sec_fetch_dest.empty()) return false;
    if (iequals(h.x_requested_with, "XMLHttpRequest")) return true;
    if (!h.accept.empty() && !admits_html(h.accept)) return true;
    return false;
}

bool same_origin(std::string_view sec_fetch_site, std::string_view origin, std::string_view site_origin) {
    if (!sec_fetch_site.empty()) return iequals(sec_fetch_site, "same-origin");
    return !origin.empty() && origin == site_origin;
}

bool form_content_type(std::string_view content_type) {
    std::string_view type = content_type.substr(0, content_type.find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    return iequals(type, "application/x-www-form-urlencoded") || iequals(type, "multipart/form-data");
}

}  // namespace hdsso
