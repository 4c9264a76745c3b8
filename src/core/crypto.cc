#include "core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace hdsso {

SecretString& SecretString::operator=(const SecretString& o) {
    if (this != &o) {
        OPENSSL_cleanse(s_.data(), s_.size());
        s_ = o.s_;
    }
    return *this;
}

SecretString::~SecretString() { OPENSSL_cleanse(s_.data(), s_.size()); }

const char* digest_name(Digest d) { return d == Digest::md5 ? "md5" : "sha256"; }

std::size_t digest_size(Digest d) { return d == Digest::md5 ? 16 : 32; }

static const EVP_MD* evp_md(Digest d) { return d == Digest::md5 ? EVP_md5() : EVP_sha256(); }

std::string hmac(Digest d, std::string_view key, std::string_view message) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(evp_md(d), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &len)) {
        ERR_clear_error();
        return {};
    }
    std::string r(reinterpret_cast<char*>(out), len);
    OPENSSL_cleanse(out, sizeof out);
    return r;
}

std::string sha256(std::string_view data) {
    // Fetched once: an implicit fetch on every call costs more than hashing
    // a session id, and this runs on every authenticated request.
    static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!md || !EVP_Digest(data.data(), data.size(), out, &len, md, nullptr)) {
        ERR_clear_error();
        return {};
    }
    return std::string(reinterpret_cast<char*>(out), len);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hex_encode(std::string_view bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string r;
    r.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        r.push_back(digits[c >> 4]);
        r.push_back(digits[c & 15]);
    }
    return r;
}

static int lower_hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

Result<std::string> hex_decode_lower(std::string_view hex) {
    if (hex.size() % 2 != 0) return make_error(Status::url_malformed, "odd number of hex digits");
    std::string r;
    r.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = lower_hex_value(hex[i]), lo = lower_hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0) return make_error(Status::url_malformed, "not lowercase hex");
        r.push_back(static_cast<char>(hi << 4 | lo));
    }
    return r;
}

std::string base64url_encode(std::string_view bytes) {
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string r;
    r.reserve((bytes.size() * 4 + 2) / 3);
    std::size_t i = 0;
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
    for (; i + 3 <= bytes.size(); i += 3) {
        unsigned v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
        r.push_back(alphabet[v >> 18 & 63]);
        r.push_back(alphabet[v >> 12 & 63]);
        r.push_back(alphabet[v >> 6 & 63]);
        r.push_back(alphabet[v & 63]);
    }
    std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        unsigned v = at(i) << 16;
        r.push_back(alphabet[v >> 18 & 63]);
        r.push_back(alphabet[v >> 12 & 63]);
    } else if (rest == 2) {
        unsigned v = at(i) << 16 | at(i + 1) << 8;
        r.push_back(alphabet[v >> 18 & 63]);
        r.push_back(alphabet[v >> 12 & 63]);
        r.push_back(alphabet[v >> 6 & 63]);
    }
    return r;
}

std::string base64_encode(std::string_view bytes) {
    std::string r = base64url_encode(bytes);
    for (char& ch : r) ch = ch == '-' ? '+' : ch == '_' ? '/' : ch;
    r.append((4 - r.size() % 4) % 4, '=');
    return r;
}

Result<std::string> random_bytes(std::size_t n) {
    std::string r(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(r.data()), static_cast<int>(n)) != 1) {
        ERR_clear_error();
        return make_error(Status::internal, "RAND_bytes failed");
    }
    return r;
}

}  // namespace hdsso
