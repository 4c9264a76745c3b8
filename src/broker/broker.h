// Signing a user who is signed in here into a helpdesk with its own SSO
// protocol (PROTOCOLS.md A.1, A.3, B.1, C, D.8): the helpdesk sends the
// browser here with its return URL; the broker mints that helpdesk's token
// for the identity and sends the browser back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/crypto.h"
#include "core/error.h"
#include "core/identity.h"
#include "jose/jwk.h"
#include "url/query.h"

namespace hdsso {

enum class BrokerKind {
    deskpro,     // return in, return + jwt= out; claims id, email, name (HS256/384/512, RS256)
    zendesk,     // return_to in, POST form to https://HOST/access/jwt; iat, jti, email, name (HS256)
    kayako,      // returnto in, returnto + &jwt= out; iat, jti, email, name (HS256/384/512)
    freshworks,  // redirect_uri, state, nonce in; redirect_uri?state=&id_token= out (RS256)
    freshdesk,   // host_url in; https://HOST/login/sso?name&email&timestamp&hash out (HMAC)
};

std::optional<BrokerKind> parse_broker_kind(std::string_view name);
const char* broker_kind_name(BrokerKind k);
// The algorithms the helpdesk accepts, the first being the default.
std::vector<JwsAlg> broker_algorithms(BrokerKind k);

struct BrokerSettings {
    BrokerKind kind = BrokerKind::deskpro;
    std::string host;      // the helpdesk's host (host[:port]): return URLs must be on it
    // JWT brokers: one key per key file, the first signs; each has a kid
    // (its JWK's own, else its RFC 7638 thumbprint) that the token header names.
    std::vector<JwsKey> keys;
    SecretString secret;   // freshdesk: the shared secret of the first file
    std::size_t next_secrets = 0;  // freshdesk: further files, read and checked, not used
    std::vector<std::string> key_files;  // as load_broker_keys read them
    std::string alg;                     // the ALG argument, or empty
    Digest digest = Digest::md5;
};

struct BrokerOptions {
    std::int64_t ttl = 300;  // exp - iat of minted tokens
    // Optional claims the helpdesk reads (Zendesk organization, role, tags,
    // Kayako role, ...): claim name and the identity value it comes from
    // (an attribute name, or email, subject, name, given_name, family_name,
    // groups).
    std::vector<std::pair<std::string, std::string>> extra_claims;
};

// The keys of `HelpdeskSSOBroker KIND HOST KEYFILE [ALG]` and of
// `HelpdeskSSOBrokerNextKeyFile KIND FILE...` (and of `hdsso broker test`):
// up to four key files, read now, the first signing; the others are the keys
// a rollover moves to, checked before it. `alg`: the ALG argument or empty
// for the helpdesk's default. config.invalid for an algorithm the helpdesk
// does not accept or too many files; the loader's error, naming the file,
// for a key that cannot sign or one given twice.
Result<void> load_broker_keys(BrokerSettings& s, const std::vector<std::string>& files, const std::string& alg);
constexpr std::size_t kMaxBrokerKeys = 4;

// Claims the broker sets itself and an administrator cannot map.
bool broker_reserved_claim(std::string_view claim);

struct BrokerAction {
    std::string redirect;  // a 302 to this URL, or
    std::string form_action;  // an auto-submitting POST form (Zendesk)
    std::vector<std::pair<std::string, std::string>> form_fields;
    std::string frame_ancestor;  // origin allowed to frame the answer (Deskpro), or empty
};

// broker.bad_request for a missing or repeated parameter,
// url.redirect_not_allowed for a return URL that is not https on the
// configured host, identity.missing_value when the helpdesk needs an email
// the identity lacks.
Result<BrokerAction> broker_sign_in(const BrokerSettings& s, const BrokerOptions& o, const Identity& id,
                                    const QueryParams& params, std::int64_t now);

}  // namespace hdsso
