#include "helpdesk/handoff.h"

#include "core/text.h"

namespace hdsso {

namespace {

constexpr std::size_t kMaxValue = 8192;

struct ProfileInfo {
    HelpdeskProfile profile;
    const char* name;
    const char* user_header;  // nullptr: <prefix>User; "": none
    bool attributes;          // email, names, groups, issuer as headers and variables
};

constexpr ProfileInfo kProfiles[] = {
    {HelpdeskProfile::generic, "generic", nullptr, true},
    {HelpdeskProfile::request_tracker, "request-tracker", "", false},
    {HelpdeskProfile::znuny, "znuny", "Remote-User", false},
    {HelpdeskProfile::osticket, "osticket", "", false},
    {HelpdeskProfile::glpi, "glpi", nullptr, true},
    {HelpdeskProfile::zammad, "zammad", "X-Forwarded-User", false},
};

const ProfileInfo& info(HelpdeskProfile p) {
    for (const auto& i : kProfiles)
        if (i.profile == p) return i;
    return kProfiles[0];
}

char fold(char c) {
    if (c == '_') return '-';
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_folded(std::string_view name, std::string_view prefix) {
    if (prefix.empty() || name.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (fold(name[i]) != fold(prefix[i])) return false;
    return true;
}

bool equals_folded(std::string_view a, std::string_view b) { return a.size() == b.size() && starts_with_folded(a, b); }

}  // namespace


std::optional<HelpdeskProfile> parse_helpdesk_profile(std::string_view name) {
    for (const auto& i : kProfiles)
        if (equals_folded(name, i.name)) return i.profile;
    // The names administrators also use.
    if (equals_folded(name, "rt")) return HelpdeskProfile::request_tracker;
    if (equals_folded(name, "otrs")) return HelpdeskProfile::znuny;
    return std::nullopt;
}

const char* helpdesk_profile_name(HelpdeskProfile p) { return info(p).name; }

std::optional<UserField> parse_user_field(std::string_view name) {
    if (equals_folded(name, "subject")) return UserField::subject;
    if (equals_folded(name, "email")) return UserField::email;
    if (equals_folded(name, "email-local-part")) return UserField::email_local_part;
    return std::nullopt;
}

std::string user_header(const HandoffOptions& o) {
    if (o.user_header) return *o.user_header;
    const char* h = info(o.profile).user_header;
    return h ? std::string(h) : o.header_prefix + "User";
}

namespace {

Result<void> check_value(const char* what, const std::string& v) {
    if (v.size() > kMaxValue || !safe_text(v))
        return make_error(Status::identity_unsafe_value,
                          std::string(what) + ": a control character, invalid UTF-8 or over 8 KiB");
    return {};
}

// The user name alone (REMOTE_USER).
Result<std::string> handoff_user(const Identity& id, const HandoffOptions& o) {
    std::string user;
    switch (o.user_field) {
    case UserField::subject: user = id.subject; break;
    case UserField::email: user = id.email; break;
    case UserField::email_local_part: user = id.email.substr(0, id.email.find('@')); break;
    }
    if (user.empty())
        return make_error(Status::identity_missing_value,
                          o.user_field == UserField::subject ? "the identity has no user name"
                                                             : "the identity has no email address for the user name");
    if (auto r = check_value("user name", user); !r) return r.error();
    return user;
}

}  // namespace

std::string export_groups(const std::vector<std::string>& groups) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (std::size_t i = 0; i < groups.size(); ++i) {
        if (i) out += ',';
        for (char c : groups[i]) {
            if (c == '%' || c == ',') {
                out += '%';
                out += kHex[static_cast<unsigned char>(c) >> 4];
                out += kHex[static_cast<unsigned char>(c) & 0xF];
            } else {
                out += c;
            }
        }
    }
    return out;
}

Result<Handoff> make_handoff(const Identity& id, const HandoffOptions& o) {
    Handoff out;
    auto user = handoff_user(id, o);
    if (!user) return user.error();
    out.user = std::move(user.value());
    std::string header = user_header(o);
    if (!header.empty()) out.headers.emplace_back(header, out.user);
    if (!info(o.profile).attributes) return out;

    std::string groups = export_groups(id.groups);
    out.variables.emplace_back("HDSSO_USER", out.user);
    const std::pair<const char*, const std::string*> fields[] = {
        {"Email", &id.email},        {"Name", &id.display_name}, {"Given-Name", &id.given_name},
        {"Family-Name", &id.family_name}, {"Groups", &groups},   {"Issuer", &id.issuer},
        {"IdP", &id.idp_name},
    };
    for (const auto& [suffix, value] : fields) {
        if (value->empty()) continue;
        if (auto r = check_value(suffix, *value); !r) return r.error();
        std::string var = "HDSSO_";
        for (const char* p = suffix; *p; ++p) var += *p == '-' ? '_' : static_cast<char>(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
        out.headers.emplace_back(o.header_prefix + suffix, *value);
        out.variables.emplace_back(var, *value);
    }
    return out;
}

bool is_identity_header(std::string_view name, const HandoffOptions& o) {
    static constexpr const char* kForgeable[] = {"Remote-User", "Auth-User", "X-Forwarded-User", "X-Remote-User"};
    for (const char* f : kForgeable)
        if (equals_folded(name, f)) return true;
    if (starts_with_folded(name, o.header_prefix)) return true;  // covers <prefix>User
    // The user header, without building it (this runs for every header of
    // every request).
    if (o.user_header) return !o.user_header->empty() && equals_folded(name, *o.user_header);
    const char* fixed = info(o.profile).user_header;
    return fixed && *fixed && equals_folded(name, fixed);
}

}  // namespace hdsso
