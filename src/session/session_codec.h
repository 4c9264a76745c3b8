// Serialised form of a session record in the KvStore. Length-prefixed binary
// with a version byte: no escaping to get wrong, and strict to decode (any
// truncation, trailing byte or oversized field is session.malformed).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/identity.h"

namespace hdsso {

struct Session {
    std::string id;       // the cookie value; never stored, only its hash is the key
    std::string binding;  // the virtual host it was issued for (no cross-vhost reuse)
    Identity identity;
    std::int64_t created = 0;
    std::int64_t expires = 0;    // absolute end of the session
    std::int64_t last_seen = 0;  // for the idle timeout
};

// Upper bound of an encoded record; the module sizes its buffers with it.
constexpr std::size_t kMaxSessionRecord = 64 * 1024;

std::string encode_session(const Session& s);
// `id` is not part of the record; the caller fills it in.
Result<Session> decode_session(std::string_view record);

}  // namespace hdsso
