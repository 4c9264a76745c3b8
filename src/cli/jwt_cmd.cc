// hdsso jwt verify / hdsso jwt sign.
#include <iostream>
#include <iterator>

#include "cli/cli.h"
#include "core/secret_file.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "jose/claims.h"
#include "jose/jws.h"
#include "jose/jwt.h"
#include "jose/key_source.h"

namespace hdsso {

using namespace cli;

namespace {

// --key: PEM, a single JWK, or (HS*) a secret file. --jwks: a JWK set.
Result<std::vector<JwsKey>> load_keys(const Args& a, std::optional<JwsAlg> alg) {
    std::vector<JwsAlg> algs;
    if (alg) algs.push_back(*alg);
    if (auto jwks = a.one("jwks")) {
        auto text = read_config_file(*jwks);
        if (!text) return text.error();
        return keys_from_jwks(text.value(), algs);
    }
    return load_key_file(*a.one("key"), algs, a.one("kid").value_or(""));
}

Result<std::optional<JwsAlg>> alg_option(const Args& a) {
    auto name = a.one("alg");
    if (!name) return std::optional<JwsAlg>();
    auto alg = parse_jws_alg(*name);
    if (!alg) return make_error(Status::config_invalid, "--alg " + *name + " is not supported");
    return std::optional<JwsAlg>(alg);
}


}  // namespace

int jwt_verify(const Args& a) {
    if (auto bad = a.check({"key", "jwks", "alg", "iss", "aud", "no-aud", "leeway", "max-age", "no-exp", "now",
                            "raw", "kid"},
                           1, 1))
        return usage(*bad);
    if (!a.one("key") == !a.one("jwks")) return usage("give exactly one of --key and --jwks");
    auto alg = alg_option(a);
    if (!alg) return usage(alg.error().detail);
    ClaimsPolicy policy;
    std::int64_t now = SystemClock().now();
    for (const char* opt : {"now", "leeway", "max-age"}) {
        if (auto v = a.one(opt)) {
            auto n = parse_int(*v);
            if (!n || *n < 0) return usage(std::string("--") + opt + " takes a number of seconds");
            (std::string(opt) == "now" ? now : std::string(opt) == "leeway" ? policy.leeway : policy.max_age) = *n;
        }
    }
    policy.issuer = a.one("iss").value_or("");
    policy.audiences = a.all("aud");
    policy.waive_audience = a.one("no-aud") == std::optional<std::string>("yes");
    policy.require_exp = a.one("no-exp") != std::optional<std::string>("yes");
    bool raw = a.one("raw") == std::optional<std::string>("yes");

    auto keys = load_keys(a, alg.value());
    if (!keys) return fail(keys.error());
    std::string token = a.positional[0];
    if (token == "-") token.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();

    JwsVerifier verifier(std::move(keys.value()));
    auto jws = verifier.verify(token);
    if (!jws) return fail(jws.error());
    if (raw) {
        std::cout << jws.value().payload << "\n";
        return kOk;
    }
    auto claims = parse_claims(jws.value().payload);
    if (!claims) return fail(claims.error());
    if (auto r = check_claims(claims.value(), policy, now); !r) return fail(r.error());
    std::cout << claims.value().json() << "\n";
    return kOk;
}

int jwt_sign(const Args& a) {
    if (auto bad = a.check({"key", "alg", "kid", "claims", "ttl", "now"}, 0, 0)) return usage(*bad);
    if (!a.one("key") || !a.one("alg") || !a.one("claims")) return usage("--key, --alg and --claims are required");
    auto alg = alg_option(a);
    if (!alg) return usage(alg.error().detail);
    std::int64_t now = SystemClock().now(), ttl = 300;
    if (auto v = a.one("now")) {
        auto n = parse_int(*v);
        if (!n || *n < 0) return usage("--now takes Unix seconds");
        now = *n;
    }
    if (auto v = a.one("ttl")) {
        auto n = parse_int(*v);
        if (!n || *n < 1) return usage("--ttl takes a number of seconds");
        ttl = *n;
    }
    std::string text = a.one("claims").value_or("");
    if (!text.empty() && text[0] == '@') {
        auto f = read_config_file(text.substr(1));
        if (!f) return fail(f.error());
        text = f.value();
    }
    auto claims = JsonObject::parse(text, Status::config_invalid);
    if (!claims) return fail(make_error(Status::config_invalid, "claims: " + claims.error().detail));
    auto keys = load_keys(a, alg.value());
    if (!keys) return fail(keys.error());
    if (keys.value().size() != 1) return fail(make_error(Status::jwt_key_invalid, "signing needs exactly one key"));
    auto token = jwt_mint(keys.value()[0], claims.value(), now, ttl);
    if (!token) return fail(token.error());
    std::cout << token.value() << "\n";
    return kOk;
}

}  // namespace hdsso
