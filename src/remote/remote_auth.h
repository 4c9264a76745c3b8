// Freshdesk-style HMAC remote authentication ("Simple SSO"), both ways.
// PROTOCOLS.md A.1: hash = lowercase hex HMAC(key = secret,
// message = name + secret + email + timestamp) over the decoded values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto.h"
#include "core/identity.h"
#include "core/replay_cache.h"
#include "url/query.h"
#include "url/redirect.h"

namespace hdsso {

struct RemoteAuthPolicy {
    SecretString secret;                  // signs (mint) and verifies
    std::vector<SecretString> also_verify;  // verify too: a secret being rotated in or out
    Digest digest = Digest::md5;  // md5 for Freshdesk compatibility; sha256 where both sides are ours
    std::int64_t max_age = 1800;  // how long after its timestamp a link is accepted
    std::int64_t max_future = 60; // how far ahead of our clock a timestamp may be
};

// The hex hash of the current scheme for the given decoded values.
std::string remote_auth_hash(const RemoteAuthPolicy& policy, std::string_view name, std::string_view email,
                             std::string_view timestamp);

struct RemoteLogin {
    Identity identity;
    std::string redirect_to;  // validated; empty when the link named none
};

class RemoteAuthVerifier {
public:
    RemoteAuthVerifier(RemoteAuthPolicy policy, RedirectValidator redirects)
        : policy_(std::move(policy)), redirects_(std::move(redirects)) {}

    // Checks, in order: parameters, signature, time window, redirect_to, and
    // last one-time use (so a link that fails a check is not consumed).
    Result<RemoteLogin> verify(const QueryParams& params, std::int64_t now, ReplayCache& replay) const;

private:
    RemoteAuthPolicy policy_;
    RedirectValidator redirects_;
};

struct RemoteLoginRequest {
    std::string name;
    std::string email;
    std::int64_t timestamp = 0;
    std::string phone;        // optional
    std::string company;      // optional
    std::string redirect_to;  // optional
};

// The signed sign-in URL for a helpdesk that accepts remote authentication:
// base_url (e.g. https://acme.freshdesk.com/login/sso) plus the encoded
// parameters. config.invalid if a value could not be signed safely.
Result<std::string> mint_remote_login_url(const RemoteAuthPolicy& policy, std::string_view base_url,
                                          const RemoteLoginRequest& req);

}  // namespace hdsso
