// Who signed in, as every identity provider reports it and every helpdesk
// mode consumes it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hdsso {

struct Identity {
    std::string subject;       // the user name handed to the helpdesk (REMOTE_USER)
    std::string email;
    std::string display_name;
    std::string given_name;
    std::string family_name;
    std::vector<std::string> groups;
    std::map<std::string, std::vector<std::string>> attributes;  // everything the IdP sent
    std::string issuer;        // who vouched for it (entity ID, JWT iss, "remote-auth")
    std::string idp_name;      // the configured IdP's short name
    std::int64_t auth_time = 0;  // when the user authenticated (Unix seconds)
    std::int64_t expiry = 0;     // when this identity stops being valid (0: unknown)
    // What single logout needs to name this sign-in to the IdP. SAML: the
    // NameID, its format and the SessionIndex. OpenID Connect: sub, "oidc"
    // and sid (back-channel logout names a sign-in by them).
    std::string name_id;
    std::string name_id_format;
    std::string session_index;
    // OpenID Connect only: the ID token, sent back as id_token_hint when the
    // user signs out (RP-initiated logout).
    std::string id_token;

    bool operator==(const Identity& o) const;
};

// The values of `name`: the IdP's own attribute (or claim) of that name,
// else the mapped field: email, subject, name, given_name, family_name,
// groups, issuer, idp. Empty when neither exists.
std::vector<std::string> identity_values(const Identity& id, const std::string& name);

}  // namespace hdsso
