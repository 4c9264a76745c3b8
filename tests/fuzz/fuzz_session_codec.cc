// Session records (src/session/session_codec): what the module reads back
// from the store (shared memory, memcached, Redis) for a cookie. Invariant:
// the format is strict, so a record that decodes re-encodes to exactly its
// bytes (a record of the previous version, 2, written before an upgrade, to
// the current version's: its bytes with version 3 and, at the end, the
// OpenID Connect ID token it had no room for); and a decoded session
// survives encode/decode unchanged.
#include "fuzz_common.h"

#include "session/session_codec.h"

using namespace hdsso;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view record(reinterpret_cast<const char*>(data), size);
    auto s = decode_session(record);
    if (!s) {
        FUZZ_CHECK(s.error().code == Status::session_malformed, "a refusal with another status");
        return 0;
    }
    FUZZ_CHECK(s.value().id.empty(), "decode filled in the id, which is not in the record");
    std::string again = encode_session(s.value());
    bool older = !record.empty() && record[0] == 2;
    FUZZ_CHECK(older ? again.size() > record.size() && again[0] == 3 &&
                           again.compare(1, record.size() - 1, record.substr(1)) == 0 && s.value().identity.id_token.empty()
                     : again == record,
               "a decoded record does not re-encode to its input");
    auto twice = decode_session(again);
    FUZZ_CHECK(twice.ok(), "a re-encoded record does not decode");
    const Session& a = s.value();
    const Session& b = twice.value();
    FUZZ_CHECK(a.binding == b.binding && a.identity == b.identity && a.created == b.created &&
                   a.expires == b.expires && a.last_seen == b.last_seen,
               "a session changes through encode/decode");
    FUZZ_CHECK(size <= kMaxSessionRecord, "a record over kMaxSessionRecord decoded");
    return 0;
}
