#include "jose/base64url.h"

namespace hdsso {

namespace {

// 6-bit value of each byte of the URL-safe alphabet (RFC 4648 section 5), 64
// for every other byte: padding, '+', '/', whitespace, anything else.
struct DecodeTable {
    unsigned char v[256];
    constexpr DecodeTable() : v() {
        for (int i = 0; i < 256; ++i) v[i] = 64;
        const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (int i = 0; i < 64; ++i) v[static_cast<unsigned char>(alphabet[i])] = static_cast<unsigned char>(i);
    }
};
constexpr DecodeTable kTable;

Error bad(const char* why) { return make_error(Status::jwt_malformed, std::string("base64url: ") + why); }

}  // namespace

Result<std::string> base64url_decode(std::string_view in) {
    if (in.size() % 4 == 1) return bad("impossible length");
    std::string out(in.size() / 4 * 3 + (in.size() % 4 == 0 ? 0 : in.size() % 4 - 1), '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    auto* p = reinterpret_cast<const unsigned char*>(in.data());
    std::size_t full = in.size() / 4;
    unsigned bad_bits = 0;  // ORed values: 64 or more means a byte outside the alphabet
    for (std::size_t i = 0; i < full; ++i, p += 4, o += 3) {
        unsigned a = kTable.v[p[0]], b = kTable.v[p[1]], c = kTable.v[p[2]], d = kTable.v[p[3]];
        bad_bits |= a | b | c | d;
        unsigned n = a << 18 | b << 12 | c << 6 | d;
        o[0] = static_cast<unsigned char>(n >> 16);
        o[1] = static_cast<unsigned char>(n >> 8);
        o[2] = static_cast<unsigned char>(n);
    }
    std::size_t rest = in.size() % 4;
    if (rest) {
        unsigned a = kTable.v[p[0]], b = kTable.v[p[1]], c = rest == 3 ? kTable.v[p[2]] : 0;
        bad_bits |= a | b | c;
        unsigned n = a << 18 | b << 12 | c << 6;
        o[0] = static_cast<unsigned char>(n >> 16);
        if (rest == 3) o[1] = static_cast<unsigned char>(n >> 8);
        // Leftover bits must be zero: "Zh" and "Zg" would decode alike.
        if (bad_bits < 64 && (rest == 2 ? (b & 0x0f) : (c & 0x03)) != 0) return bad("non-zero trailing bits");
    }
    if (bad_bits >= 64) {
        for (char ch : in)
            if (ch == '=') return bad("padding is not allowed");
        return bad("character outside the URL alphabet");
    }
    return out;
}

}  // namespace hdsso
