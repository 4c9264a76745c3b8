// The single-logout index: an IdP names the sign-in to end by its
// SessionIndex (or, without one, its NameID); the index leads from those to
// the session's handle (never its id, so the store holds no usable cookie).
// Keys are hashes of issuer and value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/identity.h"
#include "core/kv_store.h"

namespace hdsso {

class SloIndex {
public:
    explicit SloIndex(KvStore& kv) : kv_(kv) {}
    // Indexes a SAML sign-in's session until `until`.
    Result<void> record(const Identity& id, std::string_view handle, std::int64_t until);
    // The handles of the sessions a LogoutRequest names (by its
    // SessionIndexes, or by NameID when it lists none); their entries go.
    Result<std::vector<std::string>> take(std::string_view issuer, const std::vector<std::string>& session_indexes,
                                          std::string_view name_id);

private:
    static std::string key(const char* kind, std::string_view issuer, std::string_view value);
    KvStore& kv_;
};

}  // namespace hdsso
