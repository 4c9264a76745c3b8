// The hdsso contract, shared by every command: success prints the result
// and exits 0; a failed check prints "error: <name>: <message>" on stderr
// and exits 1; a usage error prints one line and a hint and exits 2; a
// configuration or I/O error exits 3. --help and -h print the usage of
// the command they follow, and exit 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/args.h"
#include "core/error.h"
#include "core/identity.h"

namespace hdsso::cli {

constexpr int kOk = 0, kFailed = 1, kUsage = 2, kConfig = 3;

// One command: its words ("saml verify"), synopsis, what it does and its
// options, as `hdsso saml verify --help` prints them.
struct Command {
    const char* words;
    const char* synopsis;
    const char* summary;  // one line
    const char* details;  // options and notes
    int (*run)(const Args&);
};
extern const Command kCommands[];  // ends with {nullptr}
const Command* find_command(const std::string& group, const std::string& name);

// The usage of every command, one synopsis each (hdsso --help), or of one
// group's commands (hdsso saml --help); empty group: all.
std::string overview(const std::string& group = "");
std::string command_help(const Command& c);
bool is_group(const std::string& word);

// The command being run ("saml verify"), named in usage errors.
void set_current_command(const std::string& words);
// "hdsso saml verify: WHY" and a hint pointing to --help, on stderr; kUsage.
int usage(const std::string& why);
int fail(const Error& e);
std::optional<std::int64_t> parse_int(const std::string& s);

// An identity as a compact JSON object (ASCII), for `hdsso ... verify`;
// `extra` adds string members beside the identity's own.
std::string identity_to_json(const Identity& id,
                             const std::vector<std::pair<std::string, std::string>>& extra = {});

}  // namespace hdsso::cli

namespace hdsso {
int remote_sign(const Args& a);
int remote_verify(const Args& a);
int jwt_verify(const Args& a);
int jwt_sign(const Args& a);
int saml_verify(const Args& a);
int saml_metadata(const Args& a);
int saml_keygen(const Args& a);
int saml_fetch_metadata(const Args& a);
int config_check(const Args& a);
int config_endpoints(const Args& a);
int broker_test(const Args& a);
int oidc_discover(const Args& a);
int oidc_verify_id_token(const Args& a);
}  // namespace hdsso
