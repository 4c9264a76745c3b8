// The single-logout index: an IdP names the sign-in to end by its
// SessionIndex (or, without one, its NameID); an OpenID provider by sid (or
// sub). The index leads from those to the handles of the sessions (never
// their ids, so the store holds no usable cookie): every session of that
// name, the newest 32, as a user may sign in from several browsers. Keys are
// hashes of issuer and value, SAML's and OpenID Connect's apart (one
// Keycloak realm is both a SAML entity and an OIDC issuer). Two sign-ins of
// one user at the same instant on two servers may each write the list
// without the other's handle (read-modify-write on a shared store).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/identity.h"
#include "core/kv_store.h"

namespace hdsso {

enum class SloProtocol { saml, oidc };

class SloIndex {
public:
    explicit SloIndex(KvStore& kv) : kv_(kv) {}
    // Indexes a sign-in's session until `until`: SAML's by SessionIndex and
    // NameID, OpenID Connect's (name_id_format "oidc") by sid and sub.
    Result<void> record(const Identity& id, std::string_view handle, std::int64_t until);
    // The handles of the sessions a LogoutRequest (or logout token) names:
    // by its SessionIndexes (sid), or by NameID (sub) when it lists none;
    // their entries go.
    Result<std::vector<std::string>> take(std::string_view issuer, const std::vector<std::string>& session_indexes,
                                          std::string_view name_id, SloProtocol p = SloProtocol::saml);

private:
    static std::string key(SloProtocol p, const char* kind, std::string_view issuer, std::string_view value);
    Result<void> add(const std::string& key, std::string_view handle, std::int64_t until);
    KvStore& kv_;
};

}  // namespace hdsso
