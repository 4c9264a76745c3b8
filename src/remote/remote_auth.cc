#include "remote/remote_auth.h"

#include <algorithm>
#include <map>

#include "core/text.h"

namespace hdsso {

namespace {

constexpr std::size_t kMaxName = 256;
constexpr std::size_t kMaxEmail = 254;
constexpr std::size_t kMaxPhone = 64;
constexpr std::size_t kMaxCompany = 256;
constexpr std::size_t kMaxTimestampDigits = 12;

Error malformed(std::string what) { return make_error(Status::remote_malformed_parameter, std::move(what)); }

Result<void> check_text(std::string_view field, std::string_view v, std::size_t max) {
    if (v.size() > max) return malformed(std::string(field) + ": longer than " + std::to_string(max) + " bytes");
    if (!safe_text(v)) return malformed(std::string(field) + ": invalid UTF-8 or a control character");
    return {};
}

Result<void> check_email(std::string_view v) {
    auto t = check_text("email", v, kMaxEmail);
    if (!t) return t;
    std::size_t at = v.find('@');
    if (at == 0 || at == std::string_view::npos || at + 1 == v.size() ||
        v.find('@', at + 1) != std::string_view::npos)
        return malformed("email: not of the form local@domain");
    if (std::any_of(v.begin(), v.end(), [](char c) { return c == ' '; }))
        return malformed("email: contains a space");
    return {};
}

// Digits only, no sign, no leading zero, no fraction: ATTACKS.md H3.
Result<std::int64_t> parse_timestamp(std::string_view v) {
    if (v.empty() || v.size() > kMaxTimestampDigits)
        return malformed("timestamp: must be 1 to 12 decimal digits");
    if (!std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return malformed("timestamp: must be decimal digits only");
    if (v.size() > 1 && v[0] == '0') return malformed("timestamp: leading zero");
    std::int64_t t = 0;
    for (char c : v) t = t * 10 + (c - '0');
    return t;
}

}  // namespace

std::string remote_auth_hash(const RemoteAuthPolicy& policy, std::string_view name, std::string_view email,
                             std::string_view timestamp) {
    std::string message;
    message.reserve(name.size() + policy.secret.size() + email.size() + timestamp.size());
    message.append(name).append(policy.secret.view()).append(email).append(timestamp);
    std::string mac = hmac(policy.digest, policy.secret.view(), message);
    SecretString wipe(std::move(message));
    return hex_encode(mac);
}

Result<RemoteLogin> RemoteAuthVerifier::verify(const QueryParams& params, std::int64_t now,
                                               ReplayCache& replay) const {
    static const char* const kKnown[] = {"name", "email", "timestamp", "hash", "phone", "company", "redirect_to"};
    std::map<std::string, std::string> p;
    for (const auto& [k, v] : params) {
        if (std::find(std::begin(kKnown), std::end(kKnown), k) == std::end(kKnown)) continue;
        if (!p.emplace(k, v).second)
            return make_error(Status::remote_duplicate_parameter, "parameter '" + k + "' appears more than once");
    }
    for (const char* required : {"name", "email", "timestamp", "hash"}) {
        if (p.find(required) == p.end() || p[required].empty())
            return make_error(Status::remote_missing_parameter, std::string("parameter '") + required + "' is missing");
    }
    const std::string& name = p["name"];
    const std::string& email = p["email"];
    if (auto r = check_text("name", name, kMaxName); !r) return r.error();
    if (auto r = check_email(email); !r) return r.error();
    if (auto r = check_text("phone", p["phone"], kMaxPhone); !r) return r.error();
    if (auto r = check_text("company", p["company"], kMaxCompany); !r) return r.error();
    auto ts = parse_timestamp(p["timestamp"]);
    if (!ts) return ts.error();

    // Decode the presented MAC and compare bytes in constant time: H1.
    const std::string& hash = p["hash"];
    if (hash.size() != 2 * digest_size(policy_.digest))
        return malformed("hash: must be " + std::to_string(2 * digest_size(policy_.digest)) +
                         " lowercase hex digits (" + digest_name(policy_.digest) + ")");
    auto presented = hex_decode_lower(hash);
    if (!presented) return malformed("hash: must be lowercase hex");
    // Every configured secret is tried, each compared in constant time.
    bool matches = false;
    auto try_secret = [&](const SecretString& secret) {
        RemoteAuthPolicy one{secret, {}, policy_.digest, policy_.max_age, policy_.max_future};
        auto expected = hex_decode_lower(remote_auth_hash(one, name, email, p["timestamp"]));
        matches = (expected && constant_time_equal(presented.value(), expected.value())) || matches;
    };
    try_secret(policy_.secret);
    for (const auto& other : policy_.also_verify) try_secret(other);
    if (!matches) return make_error(Status::remote_bad_signature, "HMAC does not match");

    std::int64_t t = ts.value();
    if (t < now - policy_.max_age)
        return make_error(Status::remote_expired, "timestamp " + std::to_string(t) + " is " +
                                                      std::to_string(now - t) + " s old, limit " +
                                                      std::to_string(policy_.max_age) + " s");
    if (t > now + policy_.max_future)
        return make_error(Status::remote_not_yet_valid, "timestamp " + std::to_string(t) + " is " +
                                                            std::to_string(t - now) + " s ahead, limit " +
                                                            std::to_string(policy_.max_future) + " s");
    RemoteLogin login;
    if (auto it = p.find("redirect_to"); it != p.end() && !it->second.empty()) {
        auto target = redirects_.validate(it->second);
        if (!target) return target.error();
        login.redirect_to = std::move(target.value());
    }

    // One-time use, keyed on the MAC, kept until the window has surely closed: H2.
    auto first = replay.first_use("remote", hash, std::max(t + policy_.max_age, now) + 1);
    if (!first) return first.error();
    if (!first.value()) return make_error(Status::remote_replayed, "this link was already used");

    Identity& id = login.identity;
    id.subject = email;
    id.email = email;
    id.display_name = name;
    id.attributes["name"] = {name};
    id.attributes["email"] = {email};
    if (!p["phone"].empty()) id.attributes["phone"] = {p["phone"]};
    if (!p["company"].empty()) id.attributes["company"] = {p["company"]};
    id.issuer = "remote-auth";
    id.idp_name = "remote";
    id.auth_time = t;
    return login;
}

Result<std::string> mint_remote_login_url(const RemoteAuthPolicy& policy, std::string_view base_url,
                                          const RemoteLoginRequest& req) {
    if (policy.secret.empty()) return make_error(Status::config_invalid, "empty shared secret");
    if (auto r = check_text("name", req.name, kMaxName); !r || req.name.empty())
        return make_error(Status::config_invalid, r ? "name: empty" : r.error().detail);
    if (auto r = check_email(req.email); !r) return make_error(Status::config_invalid, r.error().detail);
    if (auto r = check_text("phone", req.phone, kMaxPhone); !r) return make_error(Status::config_invalid, r.error().detail);
    if (auto r = check_text("company", req.company, kMaxCompany); !r)
        return make_error(Status::config_invalid, r.error().detail);
    if (req.timestamp < 0) return make_error(Status::config_invalid, "timestamp: negative");
    std::string ts = std::to_string(req.timestamp);
    QueryParams q = {{"name", req.name},
                     {"email", req.email},
                     {"timestamp", ts},
                     {"hash", remote_auth_hash(policy, req.name, req.email, ts)}};
    if (!req.phone.empty()) q.emplace_back("phone", req.phone);
    if (!req.company.empty()) q.emplace_back("company", req.company);
    if (!req.redirect_to.empty()) q.emplace_back("redirect_to", req.redirect_to);
    return append_query(base_url, q);
}

}  // namespace hdsso
