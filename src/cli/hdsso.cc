// hdsso: the admin CLI on the same core as the module.
//
// Contract for every command: success prints its result and exits 0; a
// verification failure prints "error: <name>: <message>" and exits 1; a usage
// error prints one line and a hint and exits 2; a configuration or I/O error
// exits 3. --help or -h anywhere after a command prints its usage only.
#include "config.h"

#include <iostream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/kv_store.h"
#include "core/replay_cache.h"
#include "core/secret_file.h"
#include "remote/remote_auth.h"
#include "url/query.h"

using namespace hdsso;
using namespace hdsso::cli;

namespace {

// Fills the policy from --secret-file and --digest. Returns an exit code, or
// -1 when all went well.
int load_policy(const Args& a, RemoteAuthPolicy& policy) {
    auto file = a.one("secret-file");
    if (!file) return usage("--secret-file is required");
    if (auto d = a.one("digest")) {
        if (*d == "md5") policy.digest = Digest::md5;
        else if (*d == "sha256") policy.digest = Digest::sha256;
        else return usage("--digest takes md5 or sha256");
    }
    auto secret = read_secret_file(*file);
    if (!secret) return fail(secret.error());
    policy.secret = std::move(secret.value());
    return -1;
}

}  // namespace

int hdsso::remote_sign(const Args& a) {
    if (auto bad = a.check({"secret-file", "name", "email", "timestamp", "digest", "base-url", "redirect-to",
                            "phone", "company"},
                           0, 0))
        return usage(*bad);
    RemoteAuthPolicy policy;
    if (int rc = load_policy(a, policy); rc >= 0) return rc;
    RemoteLoginRequest req;
    auto name = a.one("name"), email = a.one("email");
    if (!name || !email) return usage("--name and --email are required");
    req.name = *name;
    req.email = *email;
    req.timestamp = SystemClock().now();
    if (auto t = a.one("timestamp")) {
        auto v = parse_int(*t);
        if (!v || *v < 0) return usage("--timestamp takes Unix seconds");
        req.timestamp = *v;
    }
    req.phone = a.one("phone").value_or("");
    req.company = a.one("company").value_or("");
    req.redirect_to = a.one("redirect-to").value_or("");
    std::string base = a.one("base-url").value_or("/login/sso");
    // A bare helpdesk address gets Freshdesk's sign-in path.
    if (auto scheme = base.find("://"); scheme != std::string::npos) {
        auto path = base.find('/', scheme + 3);
        if (path == std::string::npos) base += "/login/sso";
        else if (path == base.size() - 1) base += "login/sso";
    }
    auto url = mint_remote_login_url(policy, base, req);
    if (!url) return fail(url.error());
    std::cout << url.value() << "\n";
    return kOk;
}

int hdsso::remote_verify(const Args& a) {
    if (auto bad = a.check({"secret-file", "now", "window", "digest", "allow-host"}, 1, 1)) return usage(*bad);
    RemoteAuthPolicy policy;
    if (int rc = load_policy(a, policy); rc >= 0) return rc;
    std::int64_t now = SystemClock().now();
    if (auto t = a.one("now")) {
        auto v = parse_int(*t);
        if (!v) return usage("--now takes Unix seconds");
        now = *v;
    }
    if (auto w = a.one("window")) {
        auto colon = w->find(':');
        auto back = parse_int(w->substr(0, colon));
        auto ahead = colon == std::string::npos ? std::optional<std::int64_t>(policy.max_future)
                                                : parse_int(w->substr(colon + 1));
        if (!back || !ahead || *back < 1 || *ahead < 0) return usage("--window takes BACK[:AHEAD] in seconds");
        policy.max_age = *back;
        policy.max_future = *ahead;
    }
    auto params = parse_query(query_part(a.positional[0]));
    if (!params) return fail(make_error(Status::remote_malformed_parameter, params.error().detail));
    FixedClock clock(now);
    MemoryKvStore store(clock);
    ReplayCache replay(store);
    RemoteAuthVerifier verifier(std::move(policy), RedirectValidator(a.all("allow-host")));
    auto login = verifier.verify(params.value(), now, replay);
    if (!login) return fail(login.error());
    std::vector<std::pair<std::string, std::string>> extra;
    if (!login.value().redirect_to.empty()) extra.emplace_back("redirect_to", login.value().redirect_to);
    std::cout << identity_to_json(login.value().identity, extra) << "\n";
    return kOk;
}


namespace {
bool is_help(const std::string& w) { return w == "--help" || w == "-h"; }
}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> words(argv + 1, argv + argc);
    if (words.empty()) return usage("no command given");
    if (words[0] == "--version") {
        std::cout << "hdsso " << PACKAGE_VERSION << "\n";
        return kOk;
    }
    if (is_help(words[0]) || words[0] == "help") {
        std::cout << overview();
        return kOk;
    }
    if (!is_group(words[0])) {
        return usage("unknown command '" + words[0] + "'");
    }
    set_current_command(words[0]);
    if (words.size() < 2) return usage("'" + words[0] + "' needs a subcommand");
    if (is_help(words[1])) {
        std::cout << overview(words[0]);
        return kOk;
    }
    const Command* cmd = find_command(words[0], words[1]);
    if (!cmd) return usage("unknown subcommand '" + words[1] + "'");
    set_current_command(cmd->words);
    std::vector<std::string> rest(words.begin() + 2, words.end());
    for (const auto& w : rest) {
        if (is_help(w)) {
            std::cout << command_help(*cmd);
            return kOk;
        }
    }
    auto args = Args::parse(rest, {"raw", "no-aud", "no-exp", "allow-unsolicited", "json", "force"});
    if (!args) return usage(args.error().detail);
    try {
        return cmd->run(args.value());
    } catch (const std::exception& e) {
        std::cerr << "error: internal: " << e.what() << "\n";
        return kConfig;
    }
}
