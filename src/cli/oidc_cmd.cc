// hdsso oidc discover / hdsso oidc verify-id-token: the module's discovery
// checks (parse_discovery over fetch_url) and ID token checks
// (verify_id_token over the JWK set loader), from the command line.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/fetch.h"
#include "core/secret_file.h"
#include "jose/claims.h"
#include "jose/jws.h"
#include "jose/key_source.h"
#include "oidc/id_token.h"
#include "oidc/provider.h"

namespace hdsso {

using namespace cli;

namespace {

// A refusal of the document this command was asked to check: oidc.discovery
// as the module names it, the underlying error's name leading the detail
// (as oidc.bad_id_token's detail starts with jwt.*).
Error discovery_error(const Error& e) {
    if (e.code == Status::oidc_discovery) return e;
    return make_error(Status::oidc_discovery, std::string(status_name(e.code)) + ": " + e.detail);
}

// `body` to `path`, replacing it atomically: a temporary file beside it
// (same file system), written and synced, renamed over it. Mode 0666 less
// the umask, as a file the shell would create (the document is public).
Result<void> write_atomically(const std::string& path, const std::string& body) {
    std::string tmp = path + ".XXXXXX";
    int fd = mkstemp(tmp.data());
    if (fd < 0) return make_error(Status::config_io, "cannot create a file beside " + path + ": " + std::strerror(errno));
    mode_t mask = umask(0);
    umask(mask);
    bool ok = fchmod(fd, 0666 & ~mask) == 0;
    for (std::size_t done = 0; ok && done < body.size();) {
        ssize_t n = write(fd, body.data() + done, body.size() - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += static_cast<std::size_t>(n);
    }
    ok = ok && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::string why = std::strerror(errno);
        std::remove(tmp.c_str());
        return make_error(Status::config_io, "cannot write " + path + ": " + why);
    }
    return {};
}

// What the provider says of PKCE: parse_discovery refuses a list without
// S256; an absent list is accepted (the module sends S256 anyway).
std::string pkce_summary(const std::string& body) {
    auto doc = JsonObject::parse(body, Status::oidc_discovery);
    std::vector<std::string_view> methods;
    if (doc && doc.value().strings("code_challenge_methods_supported", methods) == JsonObject::Strings::ok)
        return "S256 (listed by the provider)";
    return "S256 (not listed by the provider; sent anyway)";
}

void print_summary(const OidcProvider& p, const std::string& body) {
    auto or_none = [](const std::string& s) { return s.empty() ? std::string("(none)") : s; };
    std::string algs;
    for (JwsAlg a : p.id_token_algs) algs += (algs.empty() ? "" : " ") + std::string(jws_alg_name(a));
    std::cout << "issuer: " << p.issuer << "\n"
              << "authorization_endpoint: " << p.authorization_endpoint << "\n"
              << "token_endpoint: " << p.token_endpoint << "\n"
              << "jwks_uri: " << p.jwks_uri << "\n"
              << "userinfo_endpoint: " << or_none(p.userinfo_endpoint) << "\n"
              << "end_session_endpoint: " << or_none(p.end_session_endpoint) << "\n"
              << "id_token_algs: " << algs << "\n"
              << "form_post: " << (p.form_post ? "yes" : "no") << "\n"
              << "pkce: " << pkce_summary(body) << "\n";
}

}  // namespace

int oidc_discover(const Args& a) {
    if (auto bad = a.check({"out", "ca", "timeout"}, 1, 1)) return usage(*bad);
    const std::string& issuer = a.positional[0];
    FetchOptions fetch;
    fetch.timeout_seconds = 30;
    if (auto t = a.one("timeout")) {
        auto n = parse_int(*t);
        if (!n || *n < 1 || *n > 3600) return usage("--timeout takes 1 to 3600 seconds");
        fetch.timeout_seconds = static_cast<long>(*n);
    }
    if (auto ca = a.one("ca")) {
        // Unreadable is a configuration error, not the provider's fault.
        if (auto text = read_config_file(*ca); !text) return fail(text.error());
        fetch.ca_file = *ca;
    }
    // parse_discovery's rule for the issuer, before any connection: https
    // only (the module allows plain http nowhere but its own tests).
    if (issuer.rfind("https://", 0) != 0)
        return fail(make_error(Status::oidc_discovery, "the issuer is not an https URL: " + issuer.substr(0, 200)));
    fetch.url = discovery_url(issuer);
    auto fetched = fetch_url(fetch);
    if (!fetched) return fail(discovery_error(fetched.error()));
    const std::string& body = fetched.value();
    auto provider = parse_discovery(body, issuer);
    if (!provider) return fail(discovery_error(provider.error()));
    if (auto out = a.one("out")) {
        if (auto w = write_atomically(*out, body); !w) return fail(w.error());
    }
    print_summary(provider.value(), body);
    return kOk;
}

namespace {

// The settings verify-id-token needs besides the token: -1 when all went
// well, else the exit code.
struct IdTokenSettings {
    IdTokenPolicy policy;
    std::int64_t now = 0;
};

int algs_from_options(const Args& a, IdTokenSettings& s) {
    for (const std::string& name : a.all("alg")) {
        auto alg = parse_jws_alg(name);
        if (!alg) return usage("--alg " + name + " is not supported");
        // The module never verifies an ID token with a shared secret.
        if (is_hmac(*alg)) return usage("--alg " + name + ": ID tokens are verified with the provider's public keys");
        s.policy.algs.push_back(*alg);
    }
    return -1;
}

// --discovery: the algorithms (unless --alg) and the issuer (unless
// --issuer) of a discovery document, checked as the module checks it.
int from_discovery(const Args& a, IdTokenSettings& s) {
    auto path = a.one("discovery");
    if (!path) return -1;
    auto text = read_config_file(*path);
    if (!text) return fail(text.error());
    std::string issuer = s.policy.issuer;
    if (issuer.empty()) {
        auto doc = JsonObject::parse(text.value(), Status::oidc_discovery);
        if (!doc) return (fail(discovery_error(doc.error())), kConfig);
        issuer = std::string(doc.value().string("issuer").value_or(""));
    }
    auto provider = parse_discovery(text.value(), issuer);
    // The document is this command's configuration: exit 3, as a bad file.
    if (!provider) return (fail(make_error(Status::oidc_discovery, *path + ": " + provider.error().detail)), kConfig);
    s.policy.issuer = provider.value().issuer;
    if (s.policy.algs.empty()) s.policy.algs = provider.value().id_token_algs;
    return -1;
}

int id_token_settings(const Args& a, IdTokenSettings& s) {
    if (!a.one("jwks")) return usage("--jwks is required");
    auto client = a.one("client-id");
    if (!client || client->empty()) return usage("--client-id is required");
    s.policy.client_id = *client;
    s.policy.issuer = a.one("issuer").value_or("");
    if (a.one("issuer") && s.policy.issuer.empty()) return usage("--issuer needs a value");
    if (!a.one("issuer") && !a.one("discovery")) return usage("give --issuer, or --discovery to take it from");
    for (const char* opt : {"nonce", "access-token"})
        if (auto v = a.one(opt); v && v->empty()) return usage(std::string("--") + opt + " needs a value");
    s.now = SystemClock().now();
    for (const char* opt : {"now", "leeway"}) {
        if (auto v = a.one(opt)) {
            auto n = parse_int(*v);
            if (!n || *n < 0) return usage(std::string("--") + opt + " takes a number of seconds");
            (std::string(opt) == "now" ? s.now : s.policy.leeway) = *n;
        }
    }
    if (int rc = algs_from_options(a, s); rc >= 0) return rc;
    if (int rc = from_discovery(a, s); rc >= 0) return rc;
    // Discovery 1.0 §3: RS256 when a provider lists no algorithm.
    if (s.policy.algs.empty()) s.policy.algs = {JwsAlg::RS256};
    return -1;
}

// Without --nonce there is no sign-in attempt to compare with: the token's
// own nonce, read from its verified payload, is what verify_id_token is
// given, so the claim must still be there and a non-empty string (as the
// module requires) but its value is not compared.
std::string token_nonce(const JwsVerifier& keys, std::string_view token) {
    auto jws = keys.verify(token);
    if (!jws) return {};
    auto claims = parse_claims(jws.value().payload);
    if (!claims) return {};
    return std::string(claims.value().string("nonce").value_or(""));
}

}  // namespace

int oidc_verify_id_token(const Args& a) {
    if (auto bad = a.check({"jwks", "issuer", "client-id", "nonce", "access-token", "alg", "discovery", "leeway", "now"},
                           1, 1))
        return usage(*bad);
    IdTokenSettings s;
    if (int rc = id_token_settings(a, s); rc >= 0) return rc;
    auto text = read_config_file(*a.one("jwks"));
    if (!text) return fail(text.error());
    // The loader the module uses for a provider's jwks_uri: keys of other
    // algorithms and shared secrets in the set are passed over.
    auto keys = keys_from_jwks(text.value(), s.policy.algs);
    if (!keys) return fail(keys.error());
    std::string token = a.positional[0];
    if (token == "-") token.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();

    JwsVerifier verifier(std::move(keys.value()));
    auto given = a.one("nonce");
    std::string nonce = given ? *given : token_nonce(verifier, token);
    auto claims = verify_id_token(verifier, token, s.policy, nonce, a.one("access-token").value_or(""), s.now);
    if (!claims) return fail(claims.error());
    if (!given) std::cerr << "warning: the nonce was not compared (no --nonce)\n";
    if (a.one("access-token") && !claims.value().has("at_hash"))
        std::cerr << "warning: the token has no at_hash: --access-token was not checked against it\n";
    std::cout << claims.value().json() << "\n";
    return kOk;
}

}  // namespace hdsso
