// Kept form posts (src/session/kept_post): what a client posts while its
// session is gone is kept in a spool file and given back after the sign-in.
// Two modes, chosen by the first byte:
//  0: "url\ncontent type\nsecret\n" and then the body (any bytes), as a
//     client sends them: keep() refuses a line break (\r too) in the first
//     three; otherwise take() gives back exactly what was kept, byte for
//     byte, and only once, and only to the same client address and URL;
//  1: the rest is a spool file as found in the directory (written by
//     someone else): peek() and take() never crash, and what they give
//     back is a post keep() would accept.
#include "fuzz_common.h"

#include <cstdlib>
#include <cstdio>
#include <memory>
#include <unistd.h>

#include "session/kept_post.h"

using namespace hdsso;

namespace {

constexpr std::int64_t kNow = 1700000000;
std::string dir;

std::unique_ptr<PostSpool> spool;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    char tmpl[] = "/tmp/hdsso-fuzz-kept-XXXXXX";
    if (!mkdtemp(tmpl)) std::abort();
    dir = tmpl;
    spool = std::make_unique<PostSpool>(dir, PostSpoolLimits{1000, 1000});
    std::atexit([] { ::rmdir(dir.c_str()); });  // each input leaves it empty
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    std::uint8_t mode = in.byte();
    const std::string client = "192.0.2.7";
    if (mode % 2 == 0) {
        KeptPost post;
        post.url = std::string(in.line());
        post.content_type = std::string(in.line());
        post.secret = std::string(in.line());
        post.body = std::string(in.rest());
        post.expires = kNow + 600;
        auto name = spool->keep(post, client, kNow);
        bool breaks = (post.url + post.content_type + post.secret).find('\r') != std::string::npos;
        if (!name) {
            FUZZ_CHECK(breaks, "keep() refused a post without line breaks: " + name.error().detail);
            return 0;
        }
        FUZZ_CHECK(!breaks, "keep() kept a line break in the URL, the content type or the secret");
        FUZZ_CHECK(!spool->peek(name.value(), post.url, "198.51.100.9", kNow), "another client's address took it");
        FUZZ_CHECK(!spool->peek(name.value(), post.url + "x", client, kNow), "another URL took it");
        FUZZ_CHECK(!spool->peek(name.value(), post.url, client, kNow + 600), "taken after it expired");
        auto got = spool->take(name.value(), post.url, client, kNow);
        FUZZ_CHECK(got && got.value(), "what was kept could not be taken");
        const KeptPost& back = *got.value();
        FUZZ_CHECK(back.url == post.url && back.content_type == post.content_type && back.secret == post.secret &&
                       back.body == post.body && back.expires == post.expires,
                   "what was taken is not what was kept");
        auto again = spool->take(name.value(), post.url, client, kNow);
        FUZZ_CHECK(again && !again.value(), "taken twice");
        return 0;
    }
    // A file in the spool under a name of this client's.
    std::string text(in.rest());
    std::string name = PostSpool::client_tag(client) + "." + std::string(32, 'a');
    std::string path = dir + "/" + name;
    if (FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(text.data(), 1, text.size(), f);
        std::fclose(f);
    }
    // The URL the file names (its third line), to be found by it.
    std::size_t a = text.find('\n'), b = a == std::string::npos ? a : text.find('\n', a + 1);
    std::size_t c = b == std::string::npos ? b : text.find('\n', b + 1);
    std::string url = c == std::string::npos ? "" : text.substr(b + 1, c - b - 1);
    auto peeked = spool->peek(name, url, client, kNow);
    auto taken = spool->take(name, url, client, kNow);
    FUZZ_CHECK(taken.ok(), "take() failed on a readable spool");
    FUZZ_CHECK(peeked.has_value() == taken.value().has_value(), "peek() and take() disagree");
    if (taken.value()) {
        const KeptPost& p = *taken.value();
        FUZZ_CHECK(p.expires > kNow && p.url == url, "an expired post, or one for another URL, was given back");
        FUZZ_CHECK((p.url + p.content_type + p.secret).find('\n') == std::string::npos, "a field with a line break");
    }
    ::unlink(path.c_str());
    return 0;
}
