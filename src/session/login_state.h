// The state of one sign-in attempt (a SAML AuthnRequest or an OpenID Connect
// authorization request), sealed into
// the browser's own pre-login cookie with AES-256-GCM under a key only the
// servers hold. An anonymous request that starts a sign-in writes nothing
// server-side, so no flood of them can fill a store or push out a session;
// the cookie cannot be read, changed, moved to another site or used after
// it expires. The one-time use of a state is recorded at the end of a
// sign-in (a real user's, bounded), not at its start.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "core/error.h"

namespace hdsso {

struct LoginState {
    std::string token;       // random; the IdP echoes it (RelayState): ties its answer to this attempt
    std::string request_id;  // what the IdP's answer must be InResponseTo
    std::string return_to;   // validated local path or allowed URL
    std::int64_t expires = 0;
    // OpenID Connect (empty for SAML): the provider asked, the nonce its ID
    // token must carry, and the PKCE code verifier the token request sends.
    std::string idp;
    std::string nonce;
    std::string code_verifier;
};

class LoginStateSealer {
public:
    // `key`: at least 32 random bytes shared by the servers of a site;
    // `context`: what a cookie is bound to (the virtual host and cookie
    // name): one sealed for another context does not open.
    LoginStateSealer(std::string_view key, std::string_view context);

    static constexpr std::size_t kMaxField = 2048;

    // base64url text for a cookie value; config_invalid if a field is over
    // kMaxField (the caller shortens the return path first).
    Result<std::string> seal(const LoginState& state) const;
    // The state, or url_malformed (damaged, altered, another key or
    // context) or saml_too_late (expired) with the reason for the log.
    Result<LoginState> open(std::string_view sealed, std::int64_t now) const;

private:
    SecretString key_;
    std::string aad_;
};

}  // namespace hdsso
