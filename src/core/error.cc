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
    case Status::saml_malformed: return "saml.malformed";
    case Status::saml_no_certificate: return "saml.no_certificate";
    case Status::saml_unknown_idp: return "saml.unknown_idp";
    case Status::saml_bad_signature: return "saml.bad_signature";
    case Status::saml_unsigned: return "saml.unsigned";
    case Status::saml_legacy_algorithm: return "saml.legacy_algorithm";
    case Status::saml_not_authorized: return "saml.not_authorized";
    case Status::saml_assertion_count: return "saml.assertion_count";
    case Status::saml_issuer_mismatch: return "saml.issuer_mismatch";
    case Status::saml_audience_mismatch: return "saml.audience_mismatch";
    case Status::saml_destination_mismatch: return "saml.destination_mismatch";
    case Status::saml_recipient_mismatch: return "saml.recipient_mismatch";
    case Status::saml_subject_confirmation: return "saml.subject_confirmation";
    case Status::saml_too_early: return "saml.too_early";
    case Status::saml_too_late: return "saml.too_late";
    case Status::saml_in_response_to: return "saml.in_response_to";
    case Status::saml_unsolicited: return "saml.unsolicited";
    case Status::saml_replayed: return "saml.replayed";
    case Status::saml_missing_name_id: return "saml.missing_name_id";
    case Status::saml_decryption_failed: return "saml.decryption_failed";
    case Status::identity_missing_value: return "identity.missing_value";
    case Status::identity_unsafe_value: return "identity.unsafe_value";
    case Status::broker_bad_request: return "broker.bad_request";
    case Status::idp_unknown: return "idp.unknown";
    case Status::url_malformed: return "url.malformed";
    case Status::url_redirect_not_allowed: return "url.redirect_not_allowed";
    case Status::store_unavailable: return "store.unavailable";
    case Status::store_full: return "store.full";
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
    case Status::saml_malformed: return "The identity provider's response is blank or not a valid SAML response.";
    case Status::saml_no_certificate: return "No certificate of the identity provider is configured, so its response cannot be checked.";
    case Status::saml_unknown_idp: return "The response comes from an identity provider that is not configured here.";
    case Status::saml_bad_signature: return "The response's signature does not match the identity provider's certificate.";
    case Status::saml_unsigned: return "The response is not signed the way this site requires.";
    case Status::saml_legacy_algorithm: return "The response uses a weak algorithm or key (such as SHA-1) that is not allowed here.";
    case Status::saml_not_authorized: return "The identity provider did not sign you in (its answer was not Success).";
    case Status::saml_assertion_count: return "The response must carry exactly one assertion.";
    case Status::saml_issuer_mismatch: return "The assertion was issued by another identity provider than the one that answered.";
    case Status::saml_audience_mismatch: return "The response was made for another site (audience).";
    case Status::saml_destination_mismatch: return "The response was sent to another address (destination).";
    case Status::saml_recipient_mismatch: return "The assertion was meant for another address (recipient).";
    case Status::saml_subject_confirmation: return "The assertion has no valid bearer subject confirmation.";
    case Status::saml_too_early: return "The response is not valid yet. The clocks of the two servers may differ.";
    case Status::saml_too_late: return "The response has expired. Please sign in again (or the clocks of the two servers differ).";
    case Status::saml_in_response_to: return "The response does not answer the sign-in request this browser started.";
    case Status::saml_unsolicited: return "Sign-in started at the identity provider is not allowed here; please start from this site.";
    case Status::saml_replayed: return "This response has already been used. Please sign in again.";
    case Status::saml_missing_name_id: return "The assertion does not say who you are (no NameID).";
    case Status::saml_decryption_failed: return "The encrypted assertion could not be decrypted with this site's key.";
    case Status::identity_missing_value:
        return "Your account lacks the detail (such as an email address) this helpdesk signs you in with.";
    case Status::identity_unsafe_value:
        return "Your account details contain characters that cannot be passed to the helpdesk.";
    case Status::idp_unknown: return "The sign-in method named in the address is not offered here.";
    case Status::broker_bad_request:
        return "The helpdesk's sign-in request is incomplete or damaged. Please start again from the helpdesk.";
    case Status::url_malformed: return "The address is not well formed.";
    case Status::url_redirect_not_allowed:
        return "The page to return to after sign-in is not on an allowed site.";
    case Status::store_unavailable:
        return "The sign-in service cannot reach its session storage right now. Please try again shortly.";
    case Status::store_full:
        return "The sign-in service's storage is full right now, so it cannot sign you in safely. Please try again "
               "shortly.";
    case Status::session_malformed: return "The stored session could not be read.";
    case Status::internal: return "An internal error occurred.";
    }
    return "An internal error occurred.";
}

}  // namespace hdsso
