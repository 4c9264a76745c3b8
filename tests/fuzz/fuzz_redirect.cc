// The redirect validator (src/url/redirect): every redirect sink's gate.
// Invariant: whatever it accepts satisfies its rules, checked here again by
// code of the harness's own (not by calling the validator's helpers):
// at most 2048 bytes; no control, non-ASCII or backslash byte as sent; a
// local path that is not scheme-relative, or http(s)://host[:port] on the
// allow-list without userinfo; and the same again for the %XX-decoded form
// (valid UTF-8, no C0/C1 control, no U+2028/2029).
#include "fuzz_common.h"

#include <cctype>
#include <vector>

#include "url/redirect.h"

using namespace hdsso;

namespace {

const std::vector<std::string> kAllowed = {"helpdesk.example.com", "sso.example.com:8443", "[::1]:9"};

std::string lower(std::string_view s) {
    std::string r(s);
    for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return r;
}

int hexv(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Valid UTF-8 without C1 controls (U+0080-U+009F) or U+2028/U+2029.
bool clean_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char c = s[i];
        if (c < 0x80) { ++i; continue; }
        int n = c >= 0xf0 && c <= 0xf4 ? 3 : c >= 0xe0 ? (c <= 0xef ? 2 : -1) : c >= 0xc2 ? 1 : -1;
        if (n < 0 || i + n >= s.size()) return false;
        std::uint32_t cp = c & (0x3f >> n);
        for (int k = 1; k <= n; ++k) {
            unsigned char cc = s[i + k];
            if ((cc & 0xc0) != 0x80) return false;
            cp = cp << 6 | (cc & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff))) return false;
        if (cp >= 0xd800 && cp <= 0xdfff) return false;
        if (cp >= 0x80 && cp <= 0x9f) return false;
        if (cp == 0x2028 || cp == 0x2029) return false;
        i += n + 1;
    }
    return true;
}

// The shape rules on one form of the target.
void check_shape(std::string_view t, bool decoded) {
    FUZZ_CHECK(!t.empty(), "empty target accepted");
    for (unsigned char c : t) {
        FUZZ_CHECK(c >= 0x20 && c != 0x7f, "control byte accepted");
        FUZZ_CHECK(c != '\\', "backslash accepted");
        if (!decoded) FUZZ_CHECK(c < 0x80, "raw non-ASCII byte accepted");
    }
    if (decoded) FUZZ_CHECK(clean_utf8(t), "decoded form is not clean UTF-8");
    if (t[0] == '/') {
        FUZZ_CHECK(t.size() == 1 || t[1] != '/', "scheme-relative target accepted");
        return;
    }
    std::string l = lower(t.substr(0, 8));
    std::size_t skip = l.rfind("https://", 0) == 0 ? 8 : l.rfind("http://", 0) == 0 ? 7 : 0;
    FUZZ_CHECK(skip != 0, "neither a local path nor http(s) accepted");
    std::string_view rest = t.substr(skip);
    std::size_t end = 0;
    while (end < rest.size() && rest[end] != '/' && rest[end] != '?' && rest[end] != '#') ++end;
    std::string auth = lower(rest.substr(0, end));
    FUZZ_CHECK(auth.find('@') == std::string::npos, "userinfo accepted");
    bool allowed = false;
    for (const auto& entry : kAllowed) {
        if (auth == entry) allowed = true;
        // An entry without a port allows that host on any valid port.
        if (entry.find(':') == std::string::npos && auth.size() > entry.size() + 1 &&
            auth.compare(0, entry.size(), entry) == 0 && auth[entry.size()] == ':') {
            std::string port = auth.substr(entry.size() + 1);
            bool digits = port.size() <= 5;
            for (char c : port) digits = digits && c >= '0' && c <= '9';
            if (digits && std::stol(port) >= 1 && std::stol(port) <= 65535) allowed = true;
        }
    }
    FUZZ_CHECK(allowed, "a host off the allow-list accepted: " + auth);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const RedirectValidator validator(kAllowed);
    std::string_view target(reinterpret_cast<const char*>(data), size);
    auto r = validator.validate(target);
    if (!r) {
        FUZZ_CHECK(r.error().code == Status::url_redirect_not_allowed, "a refusal with another status");
        return 0;
    }
    FUZZ_CHECK(r.value() == target, "the target came back changed");
    FUZZ_CHECK(size <= 2048, "an over-long target accepted");
    check_shape(target, false);
    std::string decoded;
    for (std::size_t i = 0; i < size; ++i) {
        if (target[i] != '%') {
            decoded.push_back(target[i]);
            continue;
        }
        FUZZ_CHECK(i + 2 < size && hexv(target[i + 1]) >= 0 && hexv(target[i + 2]) >= 0, "bad escape accepted");
        decoded.push_back(static_cast<char>(hexv(target[i + 1]) << 4 | hexv(target[i + 2])));
        i += 2;
    }
    if (decoded != target) check_shape(decoded, true);
    return 0;
}
