// Shared pieces of the libFuzzer harnesses (tests/fuzz/README.md): an
// invariant check that aborts (libFuzzer then keeps the input as a crash),
// a reader that splits one input into fields, and the test-vector path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

// A broken invariant is a finding like a crash: print it and abort.
#define FUZZ_CHECK(cond, what)                                                                         \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            std::fprintf(stderr, "\n*** invariant broken at %s:%d: %s\n    (%s)\n", __FILE__, __LINE__, \
                         std::string(what).c_str(), #cond);                                            \
            std::abort();                                                                              \
        }                                                                                              \
    } while (0)

namespace fuzz {

// Consumes an input from the front: a byte, or a field up to a newline.
class Input {
public:
    Input(const std::uint8_t* data, std::size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}
    std::uint8_t byte() {
        if (rest_.empty()) return 0;
        auto b = static_cast<std::uint8_t>(rest_[0]);
        rest_.remove_prefix(1);
        return b;
    }
    // Up to the next '\n' (not included), or everything left.
    std::string_view line() {
        std::size_t nl = rest_.find('\n');
        std::string_view out = rest_.substr(0, nl);
        rest_ = nl == std::string_view::npos ? std::string_view() : rest_.substr(nl + 1);
        return out;
    }
    std::string_view rest() {
        std::string_view out = rest_;
        rest_ = {};
        return out;
    }
    bool empty() const { return rest_.empty(); }

private:
    std::string_view rest_;
};

inline std::string vectors_dir() {
    if (const char* env = std::getenv("HDSSO_VECTORS")) return env;
    return std::string(HDSSO_TOP_SRCDIR) + "/tests/vectors";
}

// A file of the test vectors; aborts when it is missing (a harness set up
// on the wrong tree must not fuzz a half-built configuration).
inline std::string read_vector(const std::string& rel) {
    std::string path = vectors_dir() + "/" + rel;
    std::ifstream in(path, std::ios::binary);
    if (!in.good()) {
        std::fprintf(stderr, "test vector missing: %s (set HDSSO_VECTORS)\n", path.c_str());
        std::abort();
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline std::string hex(std::string_view s) {
    static const char* d = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        out.push_back(d[c >> 4]);
        out.push_back(d[c & 15]);
    }
    return out;
}

}  // namespace fuzz
