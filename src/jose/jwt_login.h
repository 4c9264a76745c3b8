// Sign-in with a JWT from a broker or the customer's own application: the
// verified token becomes an Identity through a configured claim mapping.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/identity.h"
#include "core/replay_cache.h"
#include "jose/claims.h"
#include "jose/jws.h"

namespace hdsso {

// Which claim carries what. given_name and family_name are taken from the
// standard claims when present.
struct ClaimMapping {
    std::string user = "sub";
    std::string email = "email";
    std::string name = "name";
    std::string groups = "groups";
};

struct JwtLoginPolicy {
    ClaimsPolicy claims;
    ClaimMapping mapping;
    bool one_time = true;   // jti required and accepted once
    std::string idp_name;   // recorded in the Identity
};

class JwtLoginVerifier {
public:
    JwtLoginVerifier(std::shared_ptr<const JwsVerifier> jws, JwtLoginPolicy policy)
        : jws_(std::move(jws)), policy_(std::move(policy)) {}

    // Checks, in order: the JWS (size, header, key, signature), the claims
    // (exp/nbf/iat, iss, aud), the mapped claims, and last the one-time use
    // of jti, so that a token failing a check is not consumed.
    Result<Identity> verify(std::string_view token, std::int64_t now, ReplayCache& replay) const;

    const JwtLoginPolicy& policy() const { return policy_; }

private:
    std::shared_ptr<const JwsVerifier> jws_;
    JwtLoginPolicy policy_;
};

// The claims -> Identity step alone.
Result<Identity> identity_from_claims(const JsonObject& claims, const ClaimMapping& m, std::int64_t now);

}  // namespace hdsso
