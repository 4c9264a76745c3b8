#include "core/error.h"

#include <cstddef>

namespace hdsso {

namespace {

// One row per Status, in the enum's order: its stable name, the HTTP status
// the module answers with (4xx: the client's message; 5xx: this server), and
// one sentence for a person. A new error is one line here.
struct Row {
    Status code;
    const char* name;
    int http;
    const char* message;
};

constexpr Row kRows[] = {
    {Status::config_invalid, "config.invalid", 500,
     "The single sign-on configuration is not valid."},
    {Status::config_io, "config.io", 500,
     "A file of the single sign-on configuration could not be read."},
    {Status::remote_missing_parameter, "remote.missing_parameter", 400,
     "The sign-in link is incomplete: a required parameter is missing."},
    {Status::remote_malformed_parameter, "remote.malformed_parameter", 400,
     "The sign-in link is damaged: one of its parameters is not in the expected form."},
    {Status::remote_duplicate_parameter, "remote.duplicate_parameter", 400,
     "The sign-in link is damaged: a parameter appears more than once."},
    {Status::remote_bad_signature, "remote.bad_signature", 401,
     "The sign-in link's signature does not match. It was altered, or signed with another secret."},
    {Status::remote_expired, "remote.expired", 401,
     "The sign-in link has expired. Please sign in again."},
    {Status::remote_not_yet_valid, "remote.not_yet_valid", 401,
     "The sign-in link is dated in the future. The clocks of the two servers may differ."},
    {Status::remote_replayed, "remote.replayed", 401,
     "This sign-in link has already been used. Each link works only once; please sign in again."},
    {Status::jwt_malformed, "jwt.malformed", 400,
     "The sign-in token is damaged or not a token at all."},
    {Status::jwt_bad_signature, "jwt.bad_signature", 401,
     "The sign-in token's signature does not match a trusted key."},
    {Status::jwt_alg_not_allowed, "jwt.alg_not_allowed", 401,
     "The sign-in token uses a signature algorithm that is not allowed here."},
    {Status::jwt_unknown_kid, "jwt.unknown_kid", 401,
     "The sign-in token names a key that is not configured here."},
    {Status::jwt_unsupported, "jwt.unsupported", 400,
     "The sign-in token uses a feature that is not supported."},
    {Status::jwt_key_invalid, "jwt.key_invalid", 500,
     "A configured key is not usable."},
    {Status::jwt_missing_claim, "jwt.missing_claim", 400,
     "The sign-in token lacks a claim this site requires."},
    {Status::jwt_invalid_claim, "jwt.invalid_claim", 400,
     "A claim of the sign-in token has the wrong type or form."},
    {Status::jwt_expired, "jwt.expired", 401,
     "The sign-in token has expired. Please sign in again."},
    {Status::jwt_not_yet_valid, "jwt.not_yet_valid", 401,
     "The sign-in token is not valid yet. The clocks of the two servers may differ."},
    {Status::jwt_issued_in_future, "jwt.issued_in_future", 401,
     "The sign-in token claims to be issued in the future. The clocks of the two servers may differ."},
    {Status::jwt_too_old, "jwt.too_old", 401,
     "The sign-in token was issued too long ago. Please sign in again."},
    {Status::jwt_issuer_mismatch, "jwt.issuer_mismatch", 401,
     "The sign-in token comes from an issuer this site does not trust."},
    {Status::jwt_audience_mismatch, "jwt.audience_mismatch", 401,
     "The sign-in token was made for another site."},
    {Status::jwt_replayed, "jwt.replayed", 401,
     "This sign-in token has already been used. Please sign in again."},
    {Status::saml_malformed, "saml.malformed", 400,
     "The identity provider's response is blank or not a valid SAML response."},
    {Status::saml_no_certificate, "saml.no_certificate", 500,
     "No certificate of the identity provider is configured, so its response cannot be checked."},
    {Status::saml_unknown_idp, "saml.unknown_idp", 401,
     "The response comes from an identity provider that is not configured here."},
    {Status::saml_bad_signature, "saml.bad_signature", 401,
     "The response's signature does not match the identity provider's certificate."},
    {Status::saml_unsigned, "saml.unsigned", 401,
     "The response is not signed the way this site requires."},
    {Status::saml_legacy_algorithm, "saml.legacy_algorithm", 401,
     "The response uses a weak algorithm or key (such as SHA-1) that is not allowed here."},
    {Status::saml_not_authorized, "saml.not_authorized", 401,
     "The identity provider did not sign you in (its answer was not Success)."},
    {Status::saml_assertion_count, "saml.assertion_count", 400,
     "The response must carry exactly one assertion."},
    {Status::saml_issuer_mismatch, "saml.issuer_mismatch", 401,
     "The assertion was issued by another identity provider than the one that answered."},
    {Status::saml_audience_mismatch, "saml.audience_mismatch", 401,
     "The response was made for another site (audience)."},
    {Status::saml_destination_mismatch, "saml.destination_mismatch", 401,
     "The response was sent to another address (destination)."},
    {Status::saml_recipient_mismatch, "saml.recipient_mismatch", 401,
     "The assertion was meant for another address (recipient)."},
    {Status::saml_subject_confirmation, "saml.subject_confirmation", 401,
     "The assertion has no valid bearer subject confirmation."},
    {Status::saml_too_early, "saml.too_early", 401,
     "The response is not valid yet. The clocks of the two servers may differ."},
    {Status::saml_too_late, "saml.too_late", 401,
     "The response has expired. Please sign in again (or the clocks of the two servers differ)."},
    {Status::saml_in_response_to, "saml.in_response_to", 401,
     "The response does not answer the sign-in request this browser started."},
    {Status::saml_unsolicited, "saml.unsolicited", 401,
     "Sign-in started at the identity provider is not allowed here; please start from this site."},
    {Status::saml_replayed, "saml.replayed", 401,
     "This response has already been used. Please sign in again."},
    {Status::saml_missing_name_id, "saml.missing_name_id", 400,
     "The assertion does not say who you are (no NameID)."},
    {Status::saml_decryption_failed, "saml.decryption_failed", 400,
     "The encrypted assertion could not be decrypted with this site's key."},
    {Status::metadata_fetch_failed, "metadata.fetch_failed", 503,
     "The sign-in service could not fetch its identity provider's settings."},
    {Status::metadata_unsigned, "metadata.unsigned", 503,
     "The identity provider's settings are not signed as this site requires."},
    {Status::metadata_bad_signature, "metadata.bad_signature", 503,
     "The signature of the identity provider's settings does not verify."},
    {Status::metadata_expired, "metadata.expired", 503,
     "The identity provider's settings have expired."},
    {Status::oidc_discovery, "oidc.discovery", 503,
     "The sign-in service could not use its OpenID provider's settings."},
    {Status::oidc_bad_id_token, "oidc.bad_id_token", 401,
     "The identity provider's answer could not be verified. Please sign in again."},
    {Status::oidc_state_mismatch, "oidc.state_mismatch", 400,
     "This sign-in was not started in this browser, took too long or was used already. Please sign in again."},
    {Status::oidc_provider_error, "oidc.provider_error", 401,
     "The identity provider did not sign you in."},
    {Status::oidc_token_endpoint, "oidc.token_endpoint", 502,
     "The identity provider did not complete the sign-in. Please sign in again."},
    {Status::oidc_userinfo, "oidc.userinfo", 502,
     "The identity provider's account details could not be read or do not match. Please sign in again."},
    {Status::oidc_claim_refused, "oidc.claim_refused", 403,
     "Your account is not allowed to sign in here (its organisation or domain is not one this site accepts)."},
    {Status::oidc_bad_logout_token, "oidc.bad_logout_token", 400,
     "The logout notice could not be verified."},
    {Status::identity_missing_value, "identity.missing_value", 403,
     "Your account lacks the detail (such as an email address) this helpdesk signs you in with."},
    {Status::identity_unsafe_value, "identity.unsafe_value", 403,
     "Your account details contain characters that cannot be passed to the helpdesk."},
    {Status::idp_unknown, "idp.unknown", 400,
     "The sign-in method named in the address is not offered here."},
    {Status::broker_bad_request, "broker.bad_request", 400,
     "The helpdesk's sign-in request is incomplete or damaged. Please start again from the helpdesk."},
    {Status::url_malformed, "url.malformed", 400,
     "The address is not well formed."},
    {Status::url_redirect_not_allowed, "url.redirect_not_allowed", 400,
     "The page to return to after sign-in is not on an allowed site."},
    {Status::store_unavailable, "store.unavailable", 503,
     "The sign-in service cannot reach its session storage right now. Please try again shortly."},
    {Status::store_full, "store.full", 503,
     "The sign-in service's storage is full right now, so it cannot sign you in safely. Please try again shortly."},
    {Status::session_malformed, "session.malformed", 500,
     "The stored session could not be read."},
    {Status::session_required, "session.required", 401,
     "You need to sign in first: open the page in your browser to sign in."},
    {Status::internal, "internal", 500,
     "An internal error occurred."},
};

constexpr std::size_t kCount = static_cast<std::size_t>(Status::internal) + 1;
static_assert(sizeof kRows / sizeof kRows[0] == kCount, "one row per Status");

constexpr bool rows_in_order() {
    for (std::size_t i = 0; i < kCount; ++i)
        if (static_cast<std::size_t>(kRows[i].code) != i) return false;
    return true;
}
static_assert(rows_in_order(), "the rows follow the enum's order");

const Row& row(Status s) {
    std::size_t i = static_cast<std::size_t>(s);
    return kRows[i < kCount ? i : kCount - 1];
}

}  // namespace

const char* status_name(Status s) { return row(s).name; }
const char* status_message(Status s) { return row(s).message; }
int status_http(Status s) { return row(s).http; }

}  // namespace hdsso
