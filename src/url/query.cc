#include "url/query.h"

namespace hdsso {

std::string percent_encode(std::string_view s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string r;
    r.reserve(s.size() * 3);
    for (unsigned char c : s) {
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                          c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            r.push_back(static_cast<char>(c));
        } else {
            r.push_back('%');
            r.push_back(hex[c >> 4]);
            r.push_back(hex[c & 15]);
        }
    }
    return r;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Result<std::string> form_decode(std::string_view s) {
    std::string r;
    r.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '+') {
            r.push_back(' ');
        } else if (c == '%') {
            if (i + 2 >= s.size()) {
                return make_error(Status::url_malformed, "truncated percent escape");
            }
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return make_error(Status::url_malformed, "invalid percent escape");
            r.push_back(static_cast<char>(hi << 4 | lo));
            i += 2;
        } else {
            r.push_back(c);
        }
    }
    return r;
}

Result<QueryParams> parse_query(std::string_view query, QueryLimits limits) {
    if (query.size() > limits.max_length) return make_error(Status::url_malformed, "query too long");
    QueryParams out;
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty()) continue;
        if (out.size() >= limits.max_params) return make_error(Status::url_malformed, "too many parameters");
        std::size_t eq = pair.find('=');
        auto name = form_decode(pair.substr(0, eq));
        if (!name) return name.error();
        auto value = form_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
        if (!value) return value.error();
        out.emplace_back(std::move(name.value()), std::move(value.value()));
    }
    return out;
}

std::string_view query_part(std::string_view url) {
    std::size_t q = url.find('?');
    if (q != std::string_view::npos) url.remove_prefix(q + 1);
    std::size_t hash = url.find('#');
    return url.substr(0, hash);
}

std::string append_query(std::string_view url, const QueryParams& params) {
    std::string r(url);
    char sep = r.find('?') == std::string::npos ? '?' : '&';
    for (const auto& [k, v] : params) {
        r.push_back(sep);
        r += percent_encode(k);
        r.push_back('=');
        r += percent_encode(v);
        sep = '&';
    }
    return r;
}

}  // namespace hdsso
