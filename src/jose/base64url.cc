#include "jose/base64url.h"

namespace hdsso {

namespace {

int value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

Error bad(const char* why) { return make_error(Status::jwt_malformed, std::string("base64url: ") + why); }

}  // namespace

Result<std::string> base64url_decode(std::string_view in) {
    if (in.size() % 4 == 1) return bad("impossible length");
    std::string out;
    out.reserve(in.size() * 3 / 4);
    unsigned acc = 0;
    int bits = 0;
    for (char c : in) {
        int v = value(c);
        if (v < 0) return bad(c == '=' ? "padding is not allowed" : "character outside the URL alphabet");
        acc = (acc << 6 | static_cast<unsigned>(v)) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>(acc >> bits & 0xff));
        }
    }
    // Leftover bits must be zero: "Zm9=" style variants decode to the same
    // bytes and are rejected.
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return bad("non-zero trailing bits");
    return out;
}

}  // namespace hdsso
