// The hdsso contract, shared by every command: success prints the result
// and exits 0; a failed check prints "error: <name>: <message>" on stderr
// and exits 1; a usage error exits 2; a configuration or I/O error exits 3.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cli/args.h"
#include "core/error.h"

namespace hdsso::cli {

constexpr int kOk = 0, kFailed = 1, kUsage = 2, kConfig = 3;
extern const char kUsageText[];

int usage(const std::string& why);
int fail(const Error& e);
std::optional<std::int64_t> parse_int(const std::string& s);

}  // namespace hdsso::cli

namespace hdsso {
int jwt_verify(const Args& a);
int jwt_sign(const Args& a);
int saml_verify(const Args& a);
int saml_metadata(const Args& a);
int saml_fetch_metadata(const Args& a);
int config_check(const Args& a);
int config_endpoints(const Args& a);
}  // namespace hdsso
