// What a self-hosted helpdesk behind Apache receives about the signed-in
// user (PROTOCOLS.md D): each profile exports exactly what that product
// reads, and nothing a client sent may pass for it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/identity.h"

namespace hdsso {

enum class HelpdeskProfile {
    generic,          // REMOTE_USER, <prefix>User and the attribute headers, HDSSO_* variables
    request_tracker,  // REMOTE_USER only (RT: $WebRemoteUserAuth)
    znuny,            // REMOTE_USER, else the Remote-User header (HTTP_REMOTE_USER), agent and customer
    osticket,         // REMOTE_USER (REDIRECT_REMOTE_USER after an internal redirect): auth-passthru plugin
    glpi,             // REMOTE_USER plus attributes as variables and headers, for GLPI's *_ssofield settings
    zammad,           // the X-Forwarded-User header (Zammad runs behind a proxy), for GET /auth/sso
};

std::optional<HelpdeskProfile> parse_helpdesk_profile(std::string_view name);
const char* helpdesk_profile_name(HelpdeskProfile p);

// Which identity field becomes the user name the helpdesk matches.
enum class UserField { subject, email, email_local_part };
std::optional<UserField> parse_user_field(std::string_view name);

struct HandoffOptions {
    HelpdeskProfile profile = HelpdeskProfile::generic;
    UserField user_field = UserField::subject;
    std::string header_prefix = "X-Remote-";
    // The header that carries the user name to a proxied backend; unset:
    // the profile's; empty: none.
    std::optional<std::string> user_header;

    bool operator==(const HandoffOptions& o) const {
        return profile == o.profile && user_field == o.user_field && header_prefix == o.header_prefix &&
               user_header == o.user_header;
    }
};

struct Handoff {
    std::string user;  // REMOTE_USER
    std::vector<std::pair<std::string, std::string>> headers;    // request headers for the backend
    std::vector<std::pair<std::string, std::string>> variables;  // environment (CGI, mod_php, FastCGI)
};

// The user header the options name (empty: none).
std::string user_header(const HandoffOptions& o);

// The groups as one header value: each name with '%' and ',' percent-encoded
// (RFC 3986 style, uppercase hex: "%25", "%2C"), joined with ','. LDAP/AD
// group names (DNs) contain commas, so ["cn=a,dc=x"] and ["cn=a", "dc=x"]
// must not look alike; split on ',' and percent-decode each item to read it.
std::string export_groups(const std::vector<std::string>& groups);

// identity.missing_value when the chosen user field is empty,
// identity.unsafe_value when an exported value has a control character or
// invalid UTF-8 (or is over 8 KiB): never passed on.
Result<Handoff> make_handoff(const Identity& id, const HandoffOptions& o);

// Whether a client-sent request header could pass for an identity: the
// exported ones (by prefix and the user header) and the well-known forgeable
// names (Remote-User, Auth-User, X-Forwarded-User, X-Remote-User), compared
// case-insensitively with '_' read as '-'.
bool is_identity_header(std::string_view name, const HandoffOptions& o);

}  // namespace hdsso
