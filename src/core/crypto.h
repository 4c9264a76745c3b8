// Thin, owned wrappers over the few OpenSSL primitives the core needs.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace hdsso {

// RAII for any C resource: CPtr<EVP_PKEY, EVP_PKEY_free>.
template <auto Fn>
struct CDeleter {
    template <class T>
    void operator()(T* p) const { if (p) Fn(p); }
};
template <class T, auto Fn>
using CPtr = std::unique_ptr<T, CDeleter<Fn>>;

// A byte string that is wiped when it goes away. Holds shared secrets.
class SecretString {
public:
    SecretString() = default;
    explicit SecretString(std::string s) : s_(std::move(s)) {}
    SecretString(const SecretString&) = default;
    SecretString& operator=(const SecretString& o);
    ~SecretString();
    std::string_view view() const { return s_; }
    bool empty() const { return s_.empty(); }
    std::size_t size() const { return s_.size(); }

private:
    std::string s_;
};

enum class Digest { md5, sha256 };
const char* digest_name(Digest d);
std::size_t digest_size(Digest d);

// Raw HMAC bytes.
std::string hmac(Digest d, std::string_view key, std::string_view message);
std::string sha256(std::string_view data);

// Constant time for equal lengths; unequal lengths compare false at once
// (the length of a MAC is public).
bool constant_time_equal(std::string_view a, std::string_view b);

std::string hex_encode(std::string_view bytes);
// Lowercase only: a MAC that was printed in uppercase was not made by us.
Result<std::string> hex_decode_lower(std::string_view hex);

std::string base64url_encode(std::string_view bytes);
// Standard base64 with padding (RFC 4648 §4), for HTTP Basic credentials.
std::string base64_encode(std::string_view bytes);

// Cryptographically strong random bytes; fails (store.unavailable is not
// right here, so internal) if the generator is not seeded.
Result<std::string> random_bytes(std::size_t n);

}  // namespace hdsso
