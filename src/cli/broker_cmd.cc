// hdsso broker test: what PREFIX/KIND sends a helpdesk (HelpdeskSSOBroker),
// minted by the module's own broker core for an identity given on the
// command line, and printed decoded, to compare with the helpdesk's docs.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "broker/broker.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/secret_file.h"
#include "jose/base64url.h"
#include "jose/key_source.h"
#include "url/query.h"

namespace hdsso {

using namespace cli;

namespace {

// NAME=VALUE, both non-empty.
bool split_pair(const std::string& spec, std::string& name, std::string& value) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) return false;
    name = spec.substr(0, eq);
    value = spec.substr(eq + 1);
    return true;
}

// The query the helpdesk sends to PREFIX/KIND when --query is not given:
// its return parameter pointing at the helpdesk's front page.
std::string default_query(BrokerKind kind, const std::string& host) {
    std::string home = "https://" + host + "/";
    switch (kind) {
    case BrokerKind::deskpro: return append_query("", {{"return", home}}).substr(1);
    case BrokerKind::zendesk: return append_query("", {{"return_to", home}}).substr(1);
    case BrokerKind::kayako: return append_query("", {{"returnto", home}}).substr(1);
    case BrokerKind::freshworks:
        return append_query("", {{"redirect_uri", home}, {"state", "hdsso-test-state"}, {"nonce", "hdsso-test-nonce"}})
            .substr(1);
    case BrokerKind::freshdesk: return append_query("", {{"host_url", host}}).substr(1);
    }
    return "";
}

// Prints a compact JWS's header and payload, decoded.
void print_token(const std::string& token) {
    auto dot1 = token.find('.');
    auto dot2 = dot1 == std::string::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string::npos) return;
    auto header = base64url_decode(std::string_view(token).substr(0, dot1));
    auto payload = base64url_decode(std::string_view(token).substr(dot1 + 1, dot2 - dot1 - 1));
    if (header) std::cout << "token header: " << header.value() << "\n";
    if (payload) std::cout << "token claims: " << payload.value() << "\n";
}

// The parameters of a URL, one a line, decoded; the token among them
// decoded too.
void print_params(const QueryParams& params) {
    std::string token;
    for (const auto& [k, v] : params) {
        std::cout << "  " << k << " = " << v << "\n";
        if (k == "jwt" || k == "id_token") token = v;
    }
    if (!token.empty()) print_token(token);
}

}  // namespace

namespace {

// The exit code of a failed step; nullopt when it went through.
using Step = std::optional<int>;

// KIND HOST KEYFILE [ALG] and --next-key FILE...: the broker as
// HelpdeskSSOBroker and HelpdeskSSOBrokerNextKeyFile would configure it.
Step broker_from(const Args& a, BrokerKind kind, BrokerSettings& s) {
    const auto& pos = a.positional;
    s.kind = kind;
    std::vector<std::string> files{pos[2]};
    for (const std::string& f : a.all("next-key")) files.push_back(f);
    auto r = load_broker_keys(s, files, pos.size() == 4 ? pos[3] : "");
    if (!r) return r.error().code == Status::config_invalid ? usage(r.error().detail) : fail(r.error());
    return std::nullopt;
}

// --email, --subject, --name, --given-name, --family-name, --groups,
// --attribute: the signed-in user.
Step identity_from(const Args& a, Identity& id) {
    auto email = a.one("email");
    if (!email) return usage("--email is required (every helpdesk here keys users on it)");
    id.email = *email;
    id.subject = a.one("subject").value_or(*email);
    id.display_name = a.one("name").value_or("");
    id.given_name = a.one("given-name").value_or("");
    id.family_name = a.one("family-name").value_or("");
    if (auto g = a.one("groups")) {
        std::size_t start = 0;
        while (start <= g->size()) {
            auto comma = g->find(',', start);
            std::string item = g->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (!item.empty()) id.groups.push_back(item);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    for (const auto& spec : a.all("attribute")) {
        std::string name, value;
        if (!split_pair(spec, name, value)) return usage("--attribute takes NAME=VALUE");
        id.attributes[name].push_back(value);
    }
    id.issuer = "hdsso broker test";
    return std::nullopt;
}

// --ttl, --claim, --now.
Step options_from(const Args& a, BrokerOptions& o, std::int64_t& now) {
    if (auto t = a.one("ttl")) {
        auto n = parse_int(*t);
        if (!n || *n < 30 || *n > 900) return usage("--ttl takes 30 to 900 seconds (HelpdeskSSOBrokerTokenLifetime)");
        o.ttl = *n;
    }
    for (const auto& spec : a.all("claim")) {
        std::string claim, source;
        if (!split_pair(spec, claim, source)) return usage("--claim takes CLAIM=SOURCE");
        if (broker_reserved_claim(claim)) return usage("the claim '" + claim + "' is set by the module itself");
        o.extra_claims.emplace_back(claim, source);
    }
    now = SystemClock().now();
    if (auto t = a.one("now")) {
        auto n = parse_int(*t);
        if (!n || *n < 0) return usage("--now takes Unix seconds");
        now = *n;
    }
    return std::nullopt;
}

void print_action(const BrokerSettings& s, const std::string& query, const BrokerAction& out) {
    std::cout << "helpdesk: " << broker_kind_name(s.kind) << " at " << s.host << "\n";
    std::cout << "request: GET PREFIX/" << broker_kind_name(s.kind) << "?" << query << "\n";
    if (!out.form_action.empty()) {
        std::cout << "answer: an auto-submitting form, POST " << out.form_action << "\n";
        print_params(out.form_fields);
    } else {
        std::cout << "answer: 302 Location: " << out.redirect << "\n";
        auto q = parse_query(query_part(out.redirect));
        if (q) print_params(q.value());
        if (s.kind == BrokerKind::freshdesk)
            std::cout << "  (hash = " << (s.digest == Digest::sha256 ? "HMAC-SHA256" : "HMAC-MD5")
                      << " with the shared secret of name + secret + email + timestamp)\n";
    }
    for (std::size_t i = 0; i < s.keys.size(); ++i)
        std::cout << (i == 0 ? "signing key: kid " : "next key (not signing): kid ") << s.keys[i].kid << "\n";
    if (s.next_secrets) std::cout << "next shared secrets (not signing): " << s.next_secrets << "\n";
    if (!out.frame_ancestor.empty())
        std::cout << "header: Content-Security-Policy: frame-ancestors " << out.frame_ancestor << "\n";
}

}  // namespace

int broker_test(const Args& a) {
    if (auto bad = a.check({"email", "name", "subject", "given-name", "family-name", "groups", "attribute", "claim",
                            "ttl", "now", "query", "next-key"},
                           3, 4))
        return usage(*bad);
    const auto& pos = a.positional;
    auto kind = parse_broker_kind(pos[0]);
    if (!kind) return usage("KIND takes deskpro, zendesk, kayako, freshworks or freshdesk");
    std::string host = pos[1];
    for (char& ch : host) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (host.empty() || host.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-:") != std::string::npos)
        return usage("HOST takes the helpdesk's host name, such as acme.zendesk.com");
    BrokerSettings s;
    s.host = host;
    Identity id;
    BrokerOptions o;
    std::int64_t now = 0;
    if (Step e = broker_from(a, *kind, s)) return *e;
    if (Step e = identity_from(a, id)) return *e;
    if (Step e = options_from(a, o, now)) return *e;
    std::string query = a.one("query").value_or(default_query(*kind, host));
    if (!query.empty() && query[0] == '?') query.erase(0, 1);
    auto params = parse_query(query);
    if (!params) return usage("--query: " + params.error().detail);
    auto action = broker_sign_in(s, o, id, params.value(), now);
    if (!action) return fail(action.error());
    print_action(s, query, action.value());
    return kOk;
}

}  // namespace hdsso
