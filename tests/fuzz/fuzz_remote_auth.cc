// Remote authentication (src/remote): the signed sign-in link a browser
// brings to PATH/remote. The first byte picks the digest (bit 0: md5 or
// sha256) and the input form (bit 1):
//  0: the rest is the query string as sent;
//  1: the rest is "name\nemail\ntimestamp\nmore query": the harness computes
//     the hash itself (OpenSSL HMAC over name + secret + email + timestamp,
//     PROTOCOLS.md A.1) so the checks after the signature are reached.
// Invariants: an accepted link's identity is its email and name; its
// timestamp is within the window; its redirect_to passes the validator; the
// same link accepted a second time aborts (one-time use); a refused link is
// refused again with the same status (a refusal consumes nothing).
#include "fuzz_common.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/clock.h"
#include "core/kv_store.h"
#include "remote/remote_auth.h"

using namespace hdsso;

namespace {

constexpr std::int64_t kNow = 1700000000;
const std::string kSecret = "fuzz-remote-secret";

std::string reference_hash(bool sha256, std::string_view name, std::string_view email, std::string_view ts) {
    std::string msg = std::string(name) + kSecret + std::string(email) + std::string(ts);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(sha256 ? EVP_sha256() : EVP_md5(), kSecret.data(), static_cast<int>(kSecret.size()),
         reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out, &n);
    return fuzz::hex(std::string_view(reinterpret_cast<const char*>(out), n));
}

RemoteAuthVerifier make(bool sha256) {
    RemoteAuthPolicy p;
    p.secret = SecretString(kSecret);
    p.digest = sha256 ? Digest::sha256 : Digest::md5;
    p.max_age = 1800;
    p.max_future = 60;
    return RemoteAuthVerifier(p, RedirectValidator({"helpdesk.example.com"}));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const RemoteAuthVerifier md5 = make(false), sha = make(true);
    static const RedirectValidator redirects({"helpdesk.example.com"});
    fuzz::Input in(data, size);
    std::uint8_t mode = in.byte();
    bool use_sha = mode & 1;
    const RemoteAuthVerifier& verifier = use_sha ? sha : md5;
    QueryParams params;
    if (mode & 2) {
        std::string name(in.line()), email(in.line()), ts(in.line());
        params = {{"name", name}, {"email", email}, {"timestamp", ts}, {"hash", reference_hash(use_sha, name, email, ts)}};
        auto more = parse_query(in.rest());
        if (more)
            for (auto& p : more.value()) params.push_back(p);
    } else {
        auto q = parse_query(in.rest());
        if (!q) return 0;
        params = std::move(q.value());
    }
    FixedClock clock(kNow);
    MemoryKvStore store(clock);
    ReplayCache replay(store);
    auto r = verifier.verify(params, kNow, replay);
    if (!r) {
        auto again = verifier.verify(params, kNow, replay);
        FUZZ_CHECK(!again.ok() && again.error().code == r.error().code, "a refused link fared otherwise the second time");
        return 0;
    }
    auto get = [&](const char* k) {
        for (const auto& [n, v] : params)
            if (n == k) return v;
        return std::string();
    };
    const RemoteLogin& login = r.value();
    FUZZ_CHECK(login.identity.email == get("email"), "the identity is not the link's email");
    FUZZ_CHECK(get("hash") == reference_hash(use_sha, get("name"), get("email"), get("timestamp")),
               "a link whose hash the reference does not compute was accepted");
    std::int64_t ts = std::stoll(get("timestamp"));
    FUZZ_CHECK(ts >= kNow - 1800 && ts <= kNow + 60, "a timestamp outside the window accepted");
    if (!login.redirect_to.empty()) {
        FUZZ_CHECK(login.redirect_to == get("redirect_to"), "redirect_to changed");
        FUZZ_CHECK(redirects.validate(login.redirect_to).ok(), "a redirect_to the validator refuses was accepted");
    }
    auto twice = verifier.verify(params, kNow, replay);
    FUZZ_CHECK(!twice.ok(), "a one-time link was accepted twice");
    FUZZ_CHECK(twice.error().code == Status::remote_replayed, "a replay refused with another status");
    return 0;
}
