#include "oidc/client.h"

#include <algorithm>

#include "core/text.h"
#include "jose/base64url.h"
#include "jose/claims.h"
#include "jose/jwt.h"
#include "url/query.h"

namespace hdsso {

namespace {

constexpr const char* kBackchannelEvent = "http://schemas.openid.net/event/backchannel-logout";

std::string join(const std::vector<std::string>& v, char sep) {
    std::string out;
    for (const auto& s : v) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

std::string form(const QueryParams& params) { return append_query("", params).substr(1); }

bool json_type(const HttpAnswer& a) {
    std::string_view t = a.content_type;
    t = t.substr(0, t.find(';'));
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    std::string lower(t);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    return lower == "application/json";
}

}  // namespace

std::optional<ClientAuth> parse_client_auth(std::string_view name) {
    if (name == "client_secret_basic") return ClientAuth::secret_basic;
    if (name == "client_secret_post") return ClientAuth::secret_post;
    if (name == "private_key_jwt") return ClientAuth::private_key_jwt;
    return std::nullopt;
}

const char* client_auth_name(ClientAuth a) {
    switch (a) {
    case ClientAuth::secret_basic: return "client_secret_basic";
    case ClientAuth::secret_post: return "client_secret_post";
    case ClientAuth::private_key_jwt: return "private_key_jwt";
    }
    return "?";
}

std::optional<ClaimPreset> parse_claim_preset(std::string_view name) {
    if (name == "generic") return ClaimPreset::generic;
    if (name == "entra") return ClaimPreset::entra;
    if (name == "okta") return ClaimPreset::okta;
    if (name == "google") return ClaimPreset::google;
    return std::nullopt;
}

const char* claim_preset_name(ClaimPreset p) {
    switch (p) {
    case ClaimPreset::generic: return "generic";
    case ClaimPreset::entra: return "entra";
    case ClaimPreset::okta: return "okta";
    case ClaimPreset::google: return "google";
    }
    return "?";
}

ClaimMapping preset_mapping(ClaimPreset p) {
    ClaimMapping m;  // sub, email, name, groups
    switch (p) {
    case ClaimPreset::generic: break;
    // Entra ID: the user's sign-in name (UPN-like); its oid stays an
    // attribute. Its email is unverified (see oidc_identity).
    case ClaimPreset::entra: m.user = "preferred_username"; break;
    case ClaimPreset::okta: m.user = "preferred_username"; break;
    // Google: no groups claim; the user is the verified email.
    case ClaimPreset::google: m.user = "email"; m.groups = ""; break;
    }
    return m;
}

std::string authorization_url(const OidcProvider& p, const OidcClientSettings& c, const std::string& redirect_uri,
                              const std::string& state, const std::string& nonce, const std::string& challenge,
                              bool form_post) {
    QueryParams q{{"response_type", "code"},
                  {"client_id", c.client_id},
                  {"redirect_uri", redirect_uri},
                  {"scope", join(c.scopes, ' ')},
                  {"state", state},
                  {"nonce", nonce},
                  {"code_challenge", challenge},
                  {"code_challenge_method", "S256"}};
    if (form_post && p.form_post) q.emplace_back("response_mode", "form_post");
    return append_query(p.authorization_endpoint, q);
}

Result<HttpRequestParts> token_request(const OidcProvider& p, const OidcClientSettings& c, const std::string& code,
                                       const std::string& redirect_uri, const std::string& verifier,
                                       std::int64_t now) {
    QueryParams q{{"grant_type", "authorization_code"},
                  {"code", code},
                  {"redirect_uri", redirect_uri},
                  {"code_verifier", verifier}};
    HttpRequestParts req;
    req.post = true;
    req.content_type = "application/x-www-form-urlencoded";
    req.headers.push_back("Accept: application/json");
    switch (c.auth) {
    case ClientAuth::secret_basic: {
        // RFC 6749 §2.3.1: both form-encoded before the Basic encoding.
        std::string pair = percent_encode(c.client_id) + ":" + percent_encode(c.secret.view());
        SecretString basic(base64_encode(pair));
        std::fill(pair.begin(), pair.end(), '\0');
        req.headers.push_back("Authorization: Basic " + std::string(basic.view()));
        break;
    }
    case ClientAuth::secret_post:
        q.emplace_back("client_id", c.client_id);
        q.emplace_back("client_secret", std::string(c.secret.view()));
        break;
    case ClientAuth::private_key_jwt: {
        if (!c.assertion_key) return make_error(Status::config_invalid, "private_key_jwt without a key");
        JsonWriter w;
        w.begin_object();
        w.key("iss").string(c.client_id);
        w.key("sub").string(c.client_id);
        w.key("aud").string(p.token_endpoint);
        w.end_object();
        auto claims = JsonObject::parse(w.text(), Status::internal);
        if (!claims) return claims.error();
        auto assertion = jwt_mint(*c.assertion_key, claims.value(), now, 60);
        if (!assertion) return assertion.error();
        q.emplace_back("client_id", c.client_id);
        q.emplace_back("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        q.emplace_back("client_assertion", assertion.value());
        break;
    }
    }
    req.body = form(q);
    return req;
}

Result<TokenAnswer> parse_token_answer(const HttpAnswer& a) {
    auto bad = [&](const std::string& why) {
        return make_error(Status::oidc_token_endpoint, "HTTP " + std::to_string(a.status) + ": " + why);
    };
    auto doc = JsonObject::parse(a.body, Status::oidc_token_endpoint);
    if (a.status != 200) {
        // RFC 6749 §5.2: error, error_description.
        if (doc) {
            std::string why = "error " + printable_excerpt(doc.value().string("error").value_or("(none)"), 64);
            if (auto d = doc.value().string("error_description")) why += ": " + printable_excerpt(*d);
            return bad(why);
        }
        return bad("not an OAuth error answer");
    }
    if (!doc) return bad("the answer is not a JSON object");
    if (!json_type(a)) return bad("the answer is not application/json");
    const JsonObject& o = doc.value();
    TokenAnswer t;
    auto id_token = o.string("id_token");
    if (!id_token || id_token->empty()) return bad("no id_token in the answer");
    t.id_token = std::string(*id_token);
    if (o.has("access_token")) {
        auto access = o.string("access_token");
        auto type = o.string("token_type");
        if (!access || access->empty()) return bad("access_token is not a string");
        std::string lower(type.value_or(""));
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
        if (lower != "bearer") return bad("token_type is not Bearer");
        t.access_token = std::string(*access);
    }
    return t;
}

HttpRequestParts userinfo_request(const std::string& access_token) {
    HttpRequestParts req;
    req.headers.push_back("Authorization: Bearer " + access_token);
    req.headers.push_back("Accept: application/json");
    return req;
}

Result<JsonObject> parse_userinfo(const HttpAnswer& a, std::string_view id_token_sub) {
    auto bad = [&](const std::string& why) {
        return make_error(Status::oidc_userinfo, "HTTP " + std::to_string(a.status) + ": " + why);
    };
    if (a.status != 200) return bad("the userinfo endpoint refused the access token");
    if (!json_type(a)) return bad("the answer is not application/json (a signed userinfo is not asked for)");
    auto doc = JsonObject::parse(a.body, Status::oidc_userinfo);
    if (!doc) return bad("the answer is not a JSON object");
    auto sub = doc.value().string("sub");
    if (!sub) return bad("the answer has no sub");
    if (*sub != id_token_sub) return bad("its sub is not the ID token's");
    return doc;
}

Result<Identity> oidc_identity(const JsonObject& id_token, const JsonObject* userinfo, const OidcClientSettings& c,
                               const std::string& issuer, std::int64_t now) {
    auto refused = [](const std::string& why) { return make_error(Status::oidc_claim_refused, why); };
    // Tenant and hosted domain come from the signed ID token only.
    if (!c.tenants.empty()) {
        auto tid = id_token.string("tid");
        if (!tid) return refused("the ID token has no tid, and HelpdeskSSOOIDCAllowTenant is set");
        if (std::find(c.tenants.begin(), c.tenants.end(), *tid) == c.tenants.end())
            return refused("tenant " + printable_excerpt(*tid, 64) + " is not among HelpdeskSSOOIDCAllowTenant");
    }
    if (!c.domains.empty()) {
        auto hd = id_token.string("hd");
        if (!hd) return refused("the ID token has no hd (a personal account), and HelpdeskSSOOIDCAllowDomain is set");
        if (std::find(c.domains.begin(), c.domains.end(), *hd) == c.domains.end())
            return refused("hosted domain " + printable_excerpt(*hd, 64) + " is not among HelpdeskSSOOIDCAllowDomain");
    }
    // Userinfo's claims fill in what the ID token lacks; the ID token's win.
    std::string merged;
    if (userinfo) {
        JsonWriter w;
        w.begin_object();
        auto mine = id_token.members_json();
        for (const auto& [k, v] : mine) w.key(k).raw(v);
        for (const auto& member : userinfo->members_json()) {
            const std::string& name = member.first;
            bool taken = std::any_of(mine.begin(), mine.end(), [&name](const auto& m) { return m.first == name; });
            if (!taken) w.key(name).raw(member.second);
        }
        w.end_object();
        merged = w.text();
    }
    std::optional<JsonObject> all;
    if (userinfo) {
        auto parsed = JsonObject::parse(merged, Status::oidc_userinfo);
        if (!parsed) return parsed.error();
        all = std::move(parsed.value());
    }
    const JsonObject& claims = all ? *all : id_token;
    ClaimMapping m = c.mapping;
    // The standard email claim is the provider's word only when it says it
    // verified the address (email_verified true): with self-service sign-up
    // anyone can claim anyone's address, and a helpdesk that names users by
    // email would hand them that account. Entra ID's email is not verified
    // unless xms_edov says so (its sign-in name, preferred_username, stands
    // in). A claim the administrator mapped by another name is taken as is.
    bool verified = c.preset == ClaimPreset::entra ? claims.boolean("xms_edov") == true
                                                   : claims.boolean("email_verified") == true;
    constexpr const char* kNoClaim = "\x01";  // a claim name no token has
    if (m.user == "email" && !verified)
        return refused("the provider has not verified the email address this site names users by (email_verified)");
    if (m.email == "email" && !verified) m.email = c.preset == ClaimPreset::entra ? "preferred_username" : kNoClaim;
    if (m.groups.empty()) m.groups = kNoClaim;
    auto id = identity_from_claims(claims, m, now);
    if (!id) {
        if (id.error().code == Status::jwt_missing_claim) return refused(id.error().detail);
        return make_error(Status::oidc_bad_id_token, std::string(status_name(id.error().code)) + ": " + id.error().detail);
    }
    Identity& out = id.value();
    // A multi-tenant provider's sign-ins by their tenant's issuer.
    out.issuer = issuer_has_tenant(issuer) ? std::string(id_token.string("iss").value_or(issuer)) : issuer;
    // The session lasts HelpdeskSSOSessionLifetime; the ID token's exp says
    // how long the token may be presented, not how long the sign-in lasts.
    out.expiry = 0;
    // What back-channel logout names a sign-in by.
    out.name_id = std::string(id_token.string("sub").value_or(""));
    out.name_id_format = "oidc";
    out.session_index = std::string(id_token.string("sid").value_or(""));
    return id;
}

Result<LogoutNotice> verify_logout_token(const JwsVerifier& keys, std::string_view token, const IdTokenPolicy& p,
                                         std::int64_t now) {
    auto bad = [](const Error& e) {
        return make_error(Status::oidc_bad_logout_token, std::string(status_name(e.code)) + ": " + e.detail);
    };
    auto bad_claim = [&](const std::string& why) { return bad(make_error(Status::jwt_invalid_claim, why)); };
    // Back-Channel Logout §2.4: typ logout+jwt, or none (older providers).
    auto type_ok = [](std::string_view t) -> Result<void> {
        std::string typ = token_type(t);
        if (typ == "" || typ == "jwt" || typ == "logout+jwt") return {};
        return make_error(Status::jwt_invalid_claim, "a token of type " + typ + " is not a logout token");
    };
    auto verified = verify_provider_token(keys, token, p, type_ok, now);
    if (!verified) return verified.error().code == Status::config_invalid ? verified.error() : bad(verified.error());
    const JsonObject& c = verified.value().claims;
    if (!c.has("iat")) return bad(make_error(Status::jwt_missing_claim, "the logout token has no iat"));
    if (c.has("nonce")) return bad_claim("a logout token must not have a nonce (an ID token was sent)");
    auto events = c.object("events");
    if (!events || !events->has(kBackchannelEvent) || events->type(kBackchannelEvent) != JsonObject::Type::object)
        return bad_claim("events has no back-channel logout event");
    LogoutNotice n;
    n.issuer = verified.value().issuer;
    n.sub = std::string(c.string("sub").value_or(""));
    n.sid = std::string(c.string("sid").value_or(""));
    if ((c.has("sub") && n.sub.empty()) || (c.has("sid") && n.sid.empty()))
        return bad_claim("sub and sid must be non-empty strings");
    if (n.sub.empty() && n.sid.empty()) return bad_claim("the logout token names neither sub nor sid");
    auto jti = c.string("jti");
    if (!jti || jti->empty() || jti->size() > 256) return bad(make_error(Status::jwt_missing_claim, "no jti"));
    n.jti = std::string(*jti);
    std::int64_t exp = 0;
    n.expires = (c.integer("exp", exp) == IntMember::ok ? exp : now) + p.leeway;
    return n;
}

std::string end_session_url(const OidcProvider& p, const OidcClientSettings& c, const std::string& id_token,
                            const std::string& post_logout_uri, const std::string& state) {
    if (p.end_session_endpoint.empty()) return {};
    QueryParams q;
    if (!id_token.empty()) q.emplace_back("id_token_hint", id_token);
    q.emplace_back("client_id", c.client_id);
    q.emplace_back("post_logout_redirect_uri", post_logout_uri);
    if (!state.empty()) q.emplace_back("state", state);
    return append_query(p.end_session_endpoint, q);
}

}  // namespace hdsso
