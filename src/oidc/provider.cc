#include "oidc/provider.h"

#include <algorithm>
#include <cctype>

#include "jose/json.h"

namespace hdsso {

namespace {

Error bad(std::string why) { return make_error(Status::oidc_discovery, std::move(why)); }

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// https://HOST..., or http://127.0.0.1, [::1] or localhost when allowed; no
// user information, no fragment.
bool acceptable_url(std::string_view url, bool allow_loopback_http) {
    std::string_view rest;
    if (starts_with(url, "https://")) rest = url.substr(8);
    else if (allow_loopback_http && starts_with(url, "http://")) {
        rest = url.substr(7);
        std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
        if (host.empty()) return false;
        if (host.front() == '[') host = host.substr(0, host.find(']') + 1);
        else host = host.substr(0, host.find(':'));
        if (host != "127.0.0.1" && host != "[::1]" && host != "localhost") return false;
    } else {
        return false;
    }
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.empty() || authority.find('@') != std::string_view::npos) return false;
    if (url.find('#') != std::string_view::npos) return false;
    for (char c : url)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '\\') return false;
    return true;
}

Result<std::string> endpoint(const JsonObject& doc, const char* name, bool required, bool loopback) {
    if (!doc.has(name)) {
        if (required) return bad(std::string("the discovery document has no ") + name);
        return std::string();
    }
    auto v = doc.string(name);
    if (!v || v->empty()) return bad(std::string(name) + " is not a URL string");
    if (!acceptable_url(*v, loopback)) return bad(std::string(name) + " is not an https URL: " + std::string(v->substr(0, 200)));
    return std::string(*v);
}

// A list member: absent is an empty list; anything but an array of strings
// is an error.
Result<std::vector<std::string_view>> list(const JsonObject& doc, const char* name) {
    std::vector<std::string_view> out;
    auto kind = doc.strings(name, out);
    if (kind == JsonObject::Strings::wrong_type || (kind == JsonObject::Strings::ok && doc.type(name) != JsonObject::Type::array))
        return bad(std::string(name) + " is not an array of strings");
    return out;
}

bool contains(const std::vector<std::string_view>& v, std::string_view x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

bool issuer_has_tenant(std::string_view issuer) { return issuer.find(kTenantPlaceholder) != std::string_view::npos; }

bool tenant_issuer_matches(std::string_view tmpl, std::string_view issuer, bool any_segment,
                           std::string_view tenant) {
    std::size_t at = tmpl.find(kTenantPlaceholder);
    if (at == std::string_view::npos) return tmpl == issuer;
    std::string_view head = tmpl.substr(0, at), tail = tmpl.substr(at + kTenantPlaceholder.size());
    if (issuer.size() <= head.size() + tail.size() || issuer.substr(0, head.size()) != head ||
        issuer.substr(issuer.size() - tail.size()) != tail)
        return false;
    std::string_view middle = issuer.substr(head.size(), issuer.size() - head.size() - tail.size());
    if (middle.size() > 64) return false;
    for (char ch : middle)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.')) return false;
    return any_segment || middle == tenant;
}

std::string discovery_url(const std::string& issuer) {
    std::string base = issuer;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/.well-known/openid-configuration";
}

Result<OidcProvider> parse_discovery(std::string_view json, const std::string& expected_issuer,
                                     bool allow_loopback_http) {
    auto parsed = JsonObject::parse(json, Status::oidc_discovery);
    if (!parsed) return parsed.error();
    const JsonObject& doc = parsed.value();
    OidcProvider p;
    auto issuer = doc.string("issuer");
    if (!issuer) return bad("the discovery document has no issuer");
    // Entra ID's multi-tenant documents (/common, /organizations) name
    // https://login.microsoftonline.com/{tenantid}/v2.0: the configured
    // issuer with one path segment where the placeholder is.
    if (issuer_has_tenant(*issuer) ? !tenant_issuer_matches(*issuer, expected_issuer, true)
                                   : *issuer != expected_issuer)
        return bad("the discovery document's issuer '" + std::string(issuer->substr(0, 200)) +
                   "' is not the configured issuer '" + expected_issuer + "'");
    p.issuer = std::string(*issuer);
    if (!acceptable_url(p.issuer, allow_loopback_http)) return bad("the issuer is not an https URL");
    struct Field {
        const char* name;
        std::string OidcProvider::*out;
        bool required;
    };
    for (const Field& f : {Field{"authorization_endpoint", &OidcProvider::authorization_endpoint, true},
                           Field{"token_endpoint", &OidcProvider::token_endpoint, true},
                           Field{"jwks_uri", &OidcProvider::jwks_uri, true},
                           Field{"userinfo_endpoint", &OidcProvider::userinfo_endpoint, false},
                           Field{"end_session_endpoint", &OidcProvider::end_session_endpoint, false}}) {
        auto v = endpoint(doc, f.name, f.required, allow_loopback_http);
        if (!v) return v.error();
        p.*f.out = std::move(v.value());
    }
    auto types = list(doc, "response_types_supported");
    if (!types) return types.error();
    if (!doc.has("response_types_supported"))
        return bad("the discovery document has no response_types_supported (Discovery §3 requires it)");
    if (!contains(types.value(), "code"))
        return bad("the provider does not offer the authorization code flow (response_types_supported)");
    auto methods = list(doc, "code_challenge_methods_supported");
    if (!methods) return methods.error();
    if (!methods.value().empty() && !contains(methods.value(), "S256"))
        return bad("the provider does not offer PKCE with S256 (code_challenge_methods_supported)");
    auto modes = list(doc, "response_modes_supported");
    if (!modes) return modes.error();
    p.form_post = contains(modes.value(), "form_post");
    p.iss_parameter = doc.boolean("authorization_response_iss_parameter_supported").value_or(false);
    auto algs = list(doc, "id_token_signing_alg_values_supported");
    if (!algs) return algs.error();
    // HS* would verify with the client secret, which this site never uses
    // as a verification key: dropped, as "none" and unknown names are.
    for (std::string_view name : algs.value())
        if (auto a = parse_jws_alg(name); a && !is_hmac(*a)) p.id_token_algs.push_back(*a);
    if (algs.value().empty()) p.id_token_algs.push_back(JwsAlg::RS256);
    if (p.id_token_algs.empty())
        return bad("none of the provider's ID token algorithms (id_token_signing_alg_values_supported) is one this "
                   "site verifies");
    return p;
}

}  // namespace hdsso
