// HelpdeskSSOJWTKeysURL's arguments and the checks a key set fetched from
// that URL passes before it is used (Apache-free, for the unit tests).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "jose/jwk.h"

namespace hdsso {

struct JwksUrlArgs {
    std::string url;      // https://...
    std::string backing;  // as written (the module resolves it against ServerRoot)
    std::string ca_file;  // as written; "" for the system's CAs
    int refresh = 3600;   // seconds between background fetches at most
    int kid_refetch = 60; // seconds between fetches for tokens naming an unknown kid, at least
    std::vector<JwsAlg> algs;  // every public-key algorithm when none is named
};

constexpr int kJwksRefreshMin = 5, kJwksRefreshMax = 86400;
constexpr int kJwksKidRefetchMin = 10, kJwksKidRefetchMax = 3600;

// "URL BACKING-FILE [refresh=SECONDS] [kid-refetch=SECONDS] [ca=CA-FILE]
// [ALG...]": config.invalid naming the argument. https only; shared-secret
// algorithms (HS*) are refused, as a key set from a URL is public.
Result<JwksUrlArgs> parse_jwks_url_args(const std::vector<std::string>& args);

// A key set's checks (keys_from_jwks with `algs`, none of them HS*), and its
// kids for the log ("a, b", a key without kid as "(no kid)").
struct JwksDocument {
    std::vector<JwsKey> keys;
    std::string kids;
};
Result<JwksDocument> check_jwks_document(std::string_view text, const std::vector<JwsAlg>& algs);

}  // namespace hdsso
