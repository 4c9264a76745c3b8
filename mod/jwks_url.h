// JWT verification keys from a JWK set URL (HelpdeskSSOJWTKeysURL): the key
// set a site starts from (its backing file, fetched only when that is
// missing or unusable), the child's background refresh (mod/url_refresh.h),
// and the one refetch per interval for tokens that name an unknown kid.
// The keys in use are replaced whole (std::atomic_store of the verifier in
// JwtKeys): a request verifies with the set it loaded.
#pragma once

#include "httpd.h"
#include "http_config.h"

#include <string>
#include <string_view>

namespace hdsso::mod {

struct JwtKeys;

// HelpdeskSSOJWTKeysURL URL BACKING-FILE [refresh=SECONDS]
// [kid-refetch=SECONDS] [ca=CA-FILE] [ALG...] (same scope as
// HelpdeskSSOJWTKeyFile; it sets the same per-directory keys).
const char* set_jwt_keys_url(cmd_parms* cmd, void* m, int argc, char* const argv[]);
// This file's directives (ends with an empty entry).
const command_rec* jwks_commands();

// Starts the child's refresh thread for every key set URL of this
// configuration.
void jwks_child_init(apr_pool_t* pchild, server_rec* main);

// For a token refused with jwt.unknown_kid by keys from a URL: the key set
// is fetched again now (or a sibling process's copy fetched within the
// interval read) when this process has not done so for kid-refetch seconds,
// and the request waits for that one fetch, a bounded time. True: verify
// the token once more with jwt_verifier(keys). False: `note` says why not
// (for the log).
bool refetch_for_unknown_kid(request_rec* r, const JwtKeys& keys, std::string_view token, std::string& note);

// The kid a token's header names, as a log line may show it ("?" when
// there is none or the header does not parse).
std::string token_kid(std::string_view token);

// The URL a site's keys come from, or null (HelpdeskSSOJWTKeyFile).
const char* jwt_keys_url(const JwtKeys& keys);

}  // namespace hdsso::mod
