// Sealed sign-in state (src/session/login_state): the pre-login cookie an
// anonymous client sends back. Two modes, chosen by the first byte:
//  0: the rest is a cookie value as a client sends it: open() must refuse
//     it (it was not sealed with our key), with url.malformed;
//  1: the rest is "token\nrequest_id\nreturn_to\nexpiry-delta": sealed, it
//     opens to the same fields before its expiry and not after; it does not
//     open under another context; any one changed byte makes it refuse.
#include "fuzz_common.h"

#include "session/login_state.h"

using namespace hdsso;

namespace {

constexpr std::int64_t kNow = 1700000000;
const std::string kKey(32, '\x5a');

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const LoginStateSealer sealer(kKey, "helpdesk.example.com hdsso_login");
    static const LoginStateSealer other(kKey, "other.example.com hdsso_login");
    fuzz::Input in(data, size);
    std::uint8_t mode = in.byte();
    if (mode % 2 == 0) {
        auto r = sealer.open(in.rest(), kNow);
        FUZZ_CHECK(!r.ok(), "a cookie the harness never sealed opened");
        FUZZ_CHECK(r.error().code == Status::url_malformed || r.error().code == Status::saml_too_late,
                   "a refusal with an unexpected status");
        return 0;
    }
    LoginState st;
    st.token = std::string(in.line());
    st.request_id = std::string(in.line());
    st.return_to = std::string(in.line());
    std::int64_t delta = 0;
    for (char c : in.line().substr(0, 6))
        if (c >= '0' && c <= '9') delta = delta * 10 + (c - '0');
    st.expires = kNow + delta - 500;
    auto sealed = sealer.seal(st);
    if (!sealed) {
        FUZZ_CHECK(st.token.size() > LoginStateSealer::kMaxField || st.request_id.size() > LoginStateSealer::kMaxField ||
                       st.return_to.size() > LoginStateSealer::kMaxField,
                   "seal refused fields within the limits");
        return 0;
    }
    const std::string& c = sealed.value();
    for (char ch : c)
        FUZZ_CHECK((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_',
                   "a sealed value is not base64url (unsafe in a cookie)");
    auto opened = sealer.open(c, kNow);
    if (st.expires > kNow) {
        FUZZ_CHECK(opened.ok(), "a fresh state does not open: " + (opened.ok() ? std::string() : opened.error().detail));
        const LoginState& o = opened.value();
        FUZZ_CHECK(o.token == st.token && o.request_id == st.request_id && o.return_to == st.return_to &&
                       o.expires == st.expires,
                   "the state changed through seal/open");
    } else {
        FUZZ_CHECK(!opened.ok(), "an expired state opened");
    }
    FUZZ_CHECK(!other.open(c, kNow - 1000).ok(), "a state opened under another context");
    std::size_t pos = delta % c.size();
    std::string changed = c;
    changed[pos] = changed[pos] == 'A' ? 'B' : 'A';
    FUZZ_CHECK(!sealer.open(changed, kNow - 1000).ok(), "a changed state opened");
    FUZZ_CHECK(!sealer.open(c.substr(0, c.size() - 1), kNow - 1000).ok(), "a truncated state opened");
    return 0;
}
