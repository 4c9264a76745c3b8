#include "core/error.h"

namespace hdsso {

// One switch, no default: adding a Status without a name fails the build
// (-Wswitch under -Werror).
const char* status_name(Status s) {
    switch (s) {
    case Status::config_invalid: return "config.invalid";
    case Status::config_io: return "config.io";
    case Status::remote_missing_parameter: return "remote.missing_parameter";
    case Status::remote_malformed_parameter: return "remote.malformed_parameter";
    case Status::remote_duplicate_parameter: return "remote.duplicate_parameter";
    case Status::remote_bad_signature: return "remote.bad_signature";
    case Status::remote_expired: return "remote.expired";
    case Status::remote_not_yet_valid: return "remote.not_yet_valid";
    case Status::remote_replayed: return "remote.replayed";
    case Status::jwt_malformed: return "jwt.malformed";
    case Status::jwt_bad_signature: return "jwt.bad_signature";
    case Status::jwt_alg_not_allowed: return "jwt.alg_not_allowed";
    case Status::jwt_unknown_kid: return "jwt.unknown_kid";
    case Status::jwt_unsupported: return "jwt.unsupported";
    case Status::jwt_key_invalid: return "jwt.key_invalid";
    case Status::jwt_missing_claim: return "jwt.missing_claim";
    case Status::jwt_invalid_claim: return "jwt.invalid_claim";
    case Status::jwt_expired: return "jwt.expired";
    case Status::jwt_not_yet_valid: return "jwt.not_yet_valid";
    case Status::jwt_issued_in_future: return "jwt.issued_in_future";
    case Status::jwt_too_old: return "jwt.too_old";
    case Status::jwt_issuer_mismatch: return "jwt.issuer_mismatch";
    case Status::jwt_audience_mismatch: return "jwt.audience_mismatch";
    case Status::jwt_replayed: return "jwt.replayed";
    case Status::url_malformed: return "url.malformed";
    case Status::url_redirect_not_allowed: return "url.redirect_not_allowed";
    case Status::store_unavailable: return "store.unavailable";
    case Status::session_malformed: return "session.malformed";
    case Status::internal: return "internal";
    }
    return "internal";
}

const char* status_message(Status s) {
    switch (s) {
    case Status::config_invalid: return "The single sign-on configuration is not valid.";
    case Status::config_io: return "A file of the single sign-on configuration could not be read.";
    case Status::remote_missing_parameter:
        return "The sign-in link is incomplete: a required parameter is missing.";
    case Status::remote_malformed_parameter:
        return "The sign-in link is damaged: one of its parameters is not in the expected form.";
    case Status::remote_duplicate_parameter:
        return "The sign-in link is damaged: a parameter appears more than once.";
    case Status::remote_bad_signature:
        return "The sign-in link's signature does not match. It was altered, or signed with another secret.";
    case Status::remote_expired:
        return "The sign-in link has expired. Please sign in again.";
    case Status::remote_not_yet_valid:
        return "The sign-in link is dated in the future. The clocks of the two servers may differ.";
    case Status::remote_replayed:
        return "This sign-in link has already been used. Each link works only once; please sign in again.";
    case Status::jwt_malformed: return "The sign-in token is damaged or not a token at all.";
    case Status::jwt_bad_signature: return "The sign-in token's signature does not match a trusted key.";
    case Status::jwt_alg_not_allowed: return "The sign-in token uses a signature algorithm that is not allowed here.";
    case Status::jwt_unknown_kid: return "The sign-in token names a key that is not configured here.";
    case Status::jwt_unsupported: return "The sign-in token uses a feature that is not supported.";
    case Status::jwt_key_invalid: return "A configured key is not usable.";
    case Status::jwt_missing_claim: return "The sign-in token lacks a claim this site requires.";
    case Status::jwt_invalid_claim: return "A claim of the sign-in token has the wrong type or form.";
    case Status::jwt_expired: return "The sign-in token has expired. Please sign in again.";
    case Status::jwt_not_yet_valid: return "The sign-in token is not valid yet. The clocks of the two servers may differ.";
    case Status::jwt_issued_in_future: return "The sign-in token claims to be issued in the future. The clocks of the two servers may differ.";
    case Status::jwt_too_old: return "The sign-in token was issued too long ago. Please sign in again.";
    case Status::jwt_issuer_mismatch: return "The sign-in token comes from an issuer this site does not trust.";
    case Status::jwt_audience_mismatch: return "The sign-in token was made for another site.";
    case Status::jwt_replayed: return "This sign-in token has already been used. Please sign in again.";
    case Status::url_malformed: return "The address is not well formed.";
    case Status::url_redirect_not_allowed:
        return "The page to return to after sign-in is not on an allowed site.";
    case Status::store_unavailable:
        return "The sign-in service cannot reach its session storage right now. Please try again shortly.";
    case Status::session_malformed: return "The stored session could not be read.";
    case Status::internal: return "An internal error occurred.";
    }
    return "An internal error occurred.";
}

}  // namespace hdsso
