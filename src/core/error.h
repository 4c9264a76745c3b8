// Error model shared by the core, the module and the CLI: a flat status enum
// with stable machine names, and a small Result<T>. No exception is used to
// report an expected failure, so none can cross into Apache.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace hdsso {

enum class Status {
    // Configuration and I/O (CLI exit 3, module fails apachectl -t or 500).
    config_invalid,
    config_io,
    // Remote (HMAC) authentication.
    remote_missing_parameter,
    remote_malformed_parameter,
    remote_duplicate_parameter,
    remote_bad_signature,
    remote_expired,
    remote_not_yet_valid,
    remote_replayed,
    // JWT / JOSE.
    jwt_malformed,
    jwt_bad_signature,
    jwt_alg_not_allowed,
    jwt_unknown_kid,
    jwt_unsupported,
    jwt_key_invalid,
    jwt_missing_claim,
    jwt_invalid_claim,
    jwt_expired,
    jwt_not_yet_valid,
    jwt_issued_in_future,
    jwt_too_old,
    jwt_issuer_mismatch,
    jwt_audience_mismatch,
    jwt_replayed,
    // SAML 2.0.
    saml_malformed,
    saml_no_certificate,
    saml_unknown_idp,
    saml_bad_signature,
    saml_unsigned,
    saml_legacy_algorithm,
    saml_not_authorized,
    saml_assertion_count,
    saml_issuer_mismatch,
    saml_audience_mismatch,
    saml_destination_mismatch,
    saml_recipient_mismatch,
    saml_subject_confirmation,
    saml_too_early,
    saml_too_late,
    saml_in_response_to,
    saml_unsolicited,
    saml_replayed,
    saml_missing_name_id,
    saml_decryption_failed,
    // IdP metadata and keys fetched from a URL.
    metadata_fetch_failed,
    metadata_unsigned,
    metadata_bad_signature,
    metadata_expired,
    // OpenID Connect.
    oidc_discovery,
    oidc_bad_id_token,
    oidc_state_mismatch,
    oidc_provider_error,
    oidc_token_endpoint,
    oidc_userinfo,
    oidc_claim_refused,
    oidc_bad_logout_token,
    // Handing the identity to the helpdesk.
    identity_missing_value,
    identity_unsafe_value,
    // Choosing an identity provider.
    idp_unknown,
    // Signing into a helpdesk (brokers).
    broker_bad_request,
    // URLs and redirects.
    url_malformed,
    url_redirect_not_allowed,
    // Sessions and replay storage.
    store_unavailable,
    store_full,
    session_malformed,
    session_required,
    // Anything that should not happen.
    internal,
};

// Stable machine name, e.g. "remote.bad_signature". Safe to log and to show.
const char* status_name(Status s);
// One sentence for a person, e.g. on the error page.
const char* status_message(Status s);
// The HTTP status the module answers with: 4xx when the client's message is
// at fault, 5xx when this server is (its configuration, its store).
int status_http(Status s);

struct Error {
    Status code;
    // For the log only. Never holds a token, a hash, an assertion or a secret.
    std::string detail;
};

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error e) : v_(std::move(e)) {}
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error e) : err_(std::move(e)), ok_(false) {}
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return err_; }

private:
    Error err_{Status::internal, {}};
    bool ok_ = true;
};

inline Error make_error(Status s, std::string detail = {}) { return Error{s, std::move(detail)}; }

}  // namespace hdsso
