#include "broker/broker.h"

#include <algorithm>
#include <cctype>

#include "core/secret_file.h"
#include "jose/json.h"
#include "jose/jwt.h"
#include "jose/key_source.h"
#include "remote/remote_auth.h"
#include "url/redirect.h"

namespace hdsso {

namespace {

struct KindInfo {
    BrokerKind kind;
    const char* name;
    std::vector<JwsAlg> algs;
};

const std::vector<KindInfo>& kinds() {
    static const std::vector<KindInfo> k = {
        {BrokerKind::deskpro, "deskpro", {JwsAlg::HS256, JwsAlg::HS384, JwsAlg::HS512, JwsAlg::RS256}},
        {BrokerKind::zendesk, "zendesk", {JwsAlg::HS256}},
        {BrokerKind::kayako, "kayako", {JwsAlg::HS256, JwsAlg::HS384, JwsAlg::HS512}},
        {BrokerKind::freshworks, "freshworks", {JwsAlg::RS256}},
        {BrokerKind::freshdesk, "freshdesk", {}},
    };
    return k;
}

Error bad_request(const std::string& why) { return make_error(Status::broker_bad_request, why); }

// The one value of a parameter; absent is empty, twice is an error.
Result<std::string> param(const QueryParams& params, const char* name, bool required) {
    std::string value;
    bool seen = false;
    for (const auto& [k, v] : params) {
        if (k != name) continue;
        if (seen) return bad_request(std::string("parameter '") + name + "' appears more than once");
        seen = true;
        value = v;
    }
    if (required && value.empty()) return bad_request(std::string("parameter '") + name + "' is missing");
    return value;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
    return true;
}

// A URL the browser is sent to: https, on the helpdesk's host, through the
// one redirect validator.
Result<std::string> helpdesk_url(const BrokerSettings& s, const std::string& url, const char* what) {
    if (!starts_with_ci(url, "https://"))
        return make_error(Status::url_redirect_not_allowed, std::string(what) + " is not an https URL");
    return RedirectValidator({s.host}).validate(url);
}

Error config(std::string why) { return make_error(Status::config_invalid, std::move(why)); }

std::string alg_names(const std::vector<JwsAlg>& algs) {
    std::string names;
    for (JwsAlg x : algs) names += std::string(names.empty() ? "" : ", ") + jws_alg_name(x);
    return names;
}

// One JWT broker key file: a key that can sign, under a kid.
Result<JwsKey> signing_key(const std::string& path, JwsAlg alg) {
    auto keys = load_key_file(path, {alg});
    if (!keys) return keys.error();
    JwsKey k = std::move(keys.value().front());
    if (!(k.has_private || is_hmac(k.alg)))
        return make_error(Status::jwt_key_invalid, path + " holds no signing key (a private key or a shared secret)");
    if (k.kid.empty()) {
        auto kid = jwk_thumbprint(k);
        if (!kid) return make_error(kid.error().code, path + ": " + kid.error().detail);
        k.kid = std::move(kid.value());
    }
    return k;
}

Result<std::string> mint(const BrokerSettings& s, const BrokerOptions& o, JsonWriter& w, std::int64_t now) {
    if (s.keys.empty()) return make_error(Status::config_invalid, "no signing key for this helpdesk");
    w.end_object();
    auto claims = JsonObject::parse(w.text(), Status::internal);
    if (!claims) return claims.error();
    return jwt_mint(s.keys.front(), claims.value(), now, o.ttl);
}

// A return value the helpdesk itself reads and follows (Zendesk's
// return_to, Freshdesk's redirect_to): a path on the helpdesk (never
// "//host" or "/\\host"), or an https URL on it; both through the one
// redirect validator.
Result<std::string> helpdesk_path_or_url(const BrokerSettings& s, const std::string& value, const char* what) {
    if (!(!value.empty() && value.front() == '/') && !starts_with_ci(value, "https://"))
        return make_error(Status::url_redirect_not_allowed,
                          std::string(what) + " is neither a path nor an https URL on the helpdesk");
    auto url = RedirectValidator({s.host}).validate(value);
    if (!url) return make_error(url.error().code, std::string(what) + ": " + url.error().detail);
    return url;
}

// The identity's email (every JWT helpdesk here keys users on it) and
// display name.
Result<std::pair<std::string, std::string>> email_and_name(const Identity& id) {
    if (id.email.empty())
        return make_error(Status::identity_missing_value, "the helpdesk needs an email address; the identity has none");
    std::string name = id.display_name.empty() ? id.subject : id.display_name;
    return std::make_pair(id.email, name);
}

void add_extra_claims(const BrokerOptions& o, const Identity& id, JsonWriter& w) {
    for (const auto& [claim, source] : o.extra_claims) {
        auto values = identity_values(id, source);
        if (values.empty()) continue;
        w.key(claim);
        if (values.size() == 1 && claim != "tags") {
            w.string(values.front());
        } else {
            w.begin_array();
            for (const auto& v : values) w.string(v);
            w.end_array();
        }
    }
}

std::string with_param(const std::string& url, const std::string& name, const std::string& value) {
    return append_query(url, {{name, value}});
}

}  // namespace

std::optional<BrokerKind> parse_broker_kind(std::string_view name) {
    for (const auto& k : kinds())
        if (name == k.name) return k.kind;
    return std::nullopt;
}

const char* broker_kind_name(BrokerKind kind) {
    for (const auto& k : kinds())
        if (k.kind == kind) return k.name;
    return "?";
}

std::vector<JwsAlg> broker_algorithms(BrokerKind kind) {
    for (const auto& k : kinds())
        if (k.kind == kind) return k.algs;
    return {};
}

Result<void> load_broker_keys(BrokerSettings& s, const std::vector<std::string>& files, const std::string& alg) {
    if (files.empty() || files.size() > kMaxBrokerKeys)
        return config("expected one to " + std::to_string(kMaxBrokerKeys) + " key files, the first signing");
    if (s.kind == BrokerKind::freshdesk) {
        std::string a = alg;
        for (char& ch : a) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (!a.empty() && a != "md5" && a != "sha256") return config("md5 or sha256 for freshdesk, not " + alg);
        s.digest = a == "sha256" ? Digest::sha256 : Digest::md5;
        for (std::size_t i = 0; i < files.size(); ++i) {
            auto secret = read_secret_file(files[i]);
            if (!secret) return secret.error();
            if (i == 0) s.secret = std::move(secret.value());
        }
        s.next_secrets = files.size() - 1;
        s.key_files = files;
        s.alg = alg;
        return {};
    }
    const std::vector<JwsAlg> allowed = broker_algorithms(s.kind);
    JwsAlg chosen = allowed.front();
    if (!alg.empty()) {
        auto a = parse_jws_alg(alg);
        if (!a || std::find(allowed.begin(), allowed.end(), *a) == allowed.end())
            return config("an algorithm " + std::string(broker_kind_name(s.kind)) + " accepts: " + alg_names(allowed) +
                          ", not " + alg);
        chosen = *a;
    }
    std::vector<JwsKey> keys;
    for (const std::string& f : files) {
        auto k = signing_key(f, chosen);
        if (!k) return k.error();
        for (const JwsKey& other : keys)
            if (other.kid == k.value().kid)
                return config(f + " holds the same key as an earlier key file (kid " + other.kid + ")");
        keys.push_back(std::move(k.value()));
    }
    s.keys = std::move(keys);
    s.key_files = files;
    s.alg = alg;
    return {};
}

bool broker_reserved_claim(std::string_view c) {
    for (const char* r : {"iat", "exp", "nbf", "jti", "iss", "aud", "sub", "id", "email", "name", "nonce"})
        if (c == r) return true;
    return false;
}

Result<BrokerAction> broker_sign_in(const BrokerSettings& s, const BrokerOptions& o, const Identity& id,
                                    const QueryParams& params, std::int64_t now) {
    BrokerAction out;
    auto who = email_and_name(id);
    if (!who) return who.error();
    const auto& [email, name] = who.value();
    JsonWriter w;
    w.begin_object();

    switch (s.kind) {
    case BrokerKind::deskpro: {
        auto back = param(params, "return", true);
        if (!back) return back.error();
        auto url = helpdesk_url(s, back.value(), "the return URL");
        if (!url) return url.error();
        w.key("id").string(id.subject).key("sub").string(id.subject).key("email").string(email).key("name").string(name);
        if (!id.given_name.empty()) w.key("first_name").string(id.given_name);
        if (!id.family_name.empty()) w.key("last_name").string(id.family_name);
        add_extra_claims(o, id, w);
        auto token = mint(s, o, w, now);
        if (!token) return token.error();
        out.redirect = with_param(url.value(), "jwt", token.value());
        out.frame_ancestor = "https://" + s.host;
        return out;
    }
    case BrokerKind::zendesk: {
        auto back = param(params, "return_to", false);
        if (!back) return back.error();
        if (!back.value().empty())
            if (auto url = helpdesk_path_or_url(s, back.value(), "return_to"); !url) return url.error();
        w.key("email").string(email).key("name").string(name).key("external_id").string(id.subject);
        add_extra_claims(o, id, w);
        auto token = mint(s, o, w, now);
        if (!token) return token.error();
        out.form_action = "https://" + s.host + "/access/jwt";
        out.form_fields.emplace_back("jwt", token.value());
        if (!back.value().empty()) out.form_fields.emplace_back("return_to", back.value());
        return out;
    }
    case BrokerKind::kayako: {
        auto back = param(params, "returnto", true);
        if (!back) return back.error();
        auto url = helpdesk_url(s, back.value(), "returnto");
        if (!url) return url.error();
        w.key("email").string(email).key("name").string(name).key("external_id").string(id.subject);
        add_extra_claims(o, id, w);
        auto token = mint(s, o, w, now);
        if (!token) return token.error();
        out.redirect = with_param(url.value(), "jwt", token.value());
        return out;
    }
    case BrokerKind::freshworks: {
        auto back = param(params, "redirect_uri", true);
        auto state = param(params, "state", false);
        auto nonce = param(params, "nonce", true);
        for (const auto* r : {&back, &state, &nonce})
            if (!*r) return r->error();
        auto url = helpdesk_url(s, back.value(), "redirect_uri");
        if (!url) return url.error();
        w.key("sub").string(id.subject).key("email").string(email).key("nonce").string(nonce.value());
        if (!id.given_name.empty()) w.key("given_name").string(id.given_name);
        if (!id.family_name.empty()) w.key("family_name").string(id.family_name);
        if (!id.display_name.empty()) w.key("name").string(id.display_name);
        add_extra_claims(o, id, w);
        auto token = mint(s, o, w, now);
        if (!token) return token.error();
        out.redirect = append_query(url.value(), {{"state", state.value()}, {"id_token", token.value()}});
        return out;
    }
    case BrokerKind::freshdesk: {
        auto host = param(params, "host_url", false);
        auto back = param(params, "redirect_to", false);
        for (const auto* r : {&host, &back})
            if (!*r) return r->error();
        if (!host.value().empty() && host.value() != s.host)
            return make_error(Status::url_redirect_not_allowed, "host_url is not the configured helpdesk host");
        // Freshdesk sends the browser on to redirect_to once signed in.
        if (!back.value().empty())
            if (auto url = helpdesk_path_or_url(s, back.value(), "redirect_to"); !url) return url.error();
        RemoteAuthPolicy policy;
        policy.secret = s.secret;
        policy.digest = s.digest;
        RemoteLoginRequest req;
        req.name = name;
        req.email = email;
        req.timestamp = now;
        req.redirect_to = back.value();
        auto url = mint_remote_login_url(policy, "https://" + s.host + "/login/sso", req);
        if (!url) return url.error();
        out.redirect = url.value();
        return out;
    }
    }
    return make_error(Status::internal, "unknown helpdesk");
}

}  // namespace hdsso
