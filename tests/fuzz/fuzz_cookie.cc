// Cookies (src/url/cookie): the values a client's Cookie header carries for
// one name. Input: the cookie name, a newline, the header. Invariants: the
// result agrees with a reading of the header written here independently; a
// value never holds ';' or ','; at most `max` come back; and a cookie the
// module itself sets (set_cookie) reads back as the value it was given.
#include "fuzz_common.h"

#include <vector>

#include "url/cookie.h"

using namespace hdsso;

namespace {

// The header split on ';' and ',', leading spaces dropped, "name=" matched.
std::vector<std::string_view> reference(std::string_view h, std::string_view name, std::size_t max) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start < h.size() && out.size() < max) {
        std::size_t end = start;
        while (end < h.size() && h[end] != ';' && h[end] != ',') ++end;
        std::string_view item = h.substr(start, end - start);
        std::size_t sp = 0;
        while (sp < item.size() && item[sp] == ' ') ++sp;
        item = item.substr(sp);
        if (item.size() > name.size() && item.substr(0, name.size()) == name && item[name.size()] == '=')
            out.push_back(item.substr(name.size() + 1));
        start = end + 1;
    }
    return out;
}

bool token_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}
bool value_char(unsigned char c) { return c > 0x20 && c < 0x7f && c != ';' && c != ',' && c != '"' && c != '\\'; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    std::size_t max = in.byte() % 8;
    std::string_view name = in.line();
    std::string_view header = in.rest();
    auto values = cookie_values(header, name, max);
    FUZZ_CHECK(values.size() <= max, "more values than asked for");
    auto ref = reference(header, name, max);
    FUZZ_CHECK(values == ref, "cookie_values disagrees with the reference reading");
    for (auto v : values) {
        FUZZ_CHECK(v.data() >= header.data() && v.data() + v.size() <= header.data() + header.size(),
                   "a value is not a view into the header");
        FUZZ_CHECK(v.find(';') == std::string_view::npos && v.find(',') == std::string_view::npos,
                   "a value holds a separator");
    }

    // The builder: a token name and a safe value read back as given.
    bool ok_name = !name.empty() && name.size() < 64;
    for (char c : name) ok_name = ok_name && token_char(c);
    std::string_view value = header.substr(0, 200);
    bool ok_value = !value.empty();
    for (unsigned char c : value) ok_value = ok_value && value_char(c);
    if (ok_name && ok_value) {
        CookieAttributes a;
        a.max_age = static_cast<int>(max) * 100;
        a.same_site = static_cast<SameSite>(max % 3);
        std::string sc = set_cookie(name, value, a);
        auto back = cookie_values(sc, name, 4);
        FUZZ_CHECK(!back.empty() && back[0] == value, "set_cookie's value does not read back: " + sc);
        FUZZ_CHECK(sc.find("Path=/") != std::string::npos, "no Path");
        if (a.max_age == 0) FUZZ_CHECK(sc.find("Max-Age=0") != std::string::npos, "a deletion without Max-Age=0");
    }
    return 0;
}
