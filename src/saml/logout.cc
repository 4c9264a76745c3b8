// Single logout (HTTP-Redirect): the SP's LogoutRequest, the IdP's
// LogoutResponse, and the IdP's LogoutRequest with the answer to it.
#include "saml/saml.h"

#include "saml/sp_server.h"
#include "saml/xml.h"

namespace hdsso {

using namespace samlxml;

namespace {

// A Lasso session that holds just enough of a past sign-in for logout: an
// assertion with the NameID and the SessionIndex.
// (Lasso matches a LogoutRequest's NameID to the session's field by field,
// hence the qualifiers.)
LassoSession* logout_session(const std::string& idp, const std::string& name_id, const std::string& format,
                             const std::vector<std::string>& session_indexes, const char* name_qualifier = nullptr,
                             const char* sp_name_qualifier = nullptr) {
    auto* assertion = LASSO_SAML2_ASSERTION(lasso_saml2_assertion_new());
    assertion->Subject = LASSO_SAML2_SUBJECT(lasso_saml2_subject_new());
    auto* nid = LASSO_SAML2_NAME_ID(lasso_saml2_name_id_new_with_string(const_cast<char*>(name_id.c_str())));
    if (!format.empty()) nid->Format = g_strdup(format.c_str());
    if (name_qualifier) nid->NameQualifier = g_strdup(name_qualifier);
    if (sp_name_qualifier) nid->SPNameQualifier = g_strdup(sp_name_qualifier);
    assertion->Subject->NameID = nid;
    for (const auto& index : session_indexes) {
        auto* authn = LASSO_SAML2_AUTHN_STATEMENT(lasso_saml2_authn_statement_new());
        authn->SessionIndex = g_strdup(index.c_str());
        assertion->AuthnStatement = g_list_append(assertion->AuthnStatement, authn);
    }
    LassoSession* session = lasso_session_new();
    lasso_session_add_assertion(session, idp.c_str(), LASSO_NODE(assertion));
    g_object_unref(assertion);
    return session;
}

struct LogoutGuard {
    LassoLogout* l = nullptr;
    ~LogoutGuard() {
        if (l) lasso_logout_destroy(l);
    }
};

}  // namespace

Result<SamlRedirect> SamlSp::logout_request(const Identity& id, const std::string& relay_state) const {
    if (!impl_->idps.count(id.issuer)) return err(Status::saml_unknown_idp, "the session's IdP is not configured here");
    if (id.name_id.empty()) return err(Status::saml_missing_name_id, "the session has no NameID");
    LassoLogout* logout = lasso_logout_new(impl_->server.get());
    if (!logout) return err(Status::internal, "lasso_logout_new failed");
    LogoutGuard guard{logout};
    LassoProfile* profile = LASSO_PROFILE(logout);
    lasso_profile_set_signature_hint(profile, impl_->sp.key_pem.empty() ? LASSO_PROFILE_SIGNATURE_HINT_FORBID
                                                                        : LASSO_PROFILE_SIGNATURE_HINT_FORCE);
    std::vector<std::string> indexes;
    if (!id.session_index.empty()) indexes.push_back(id.session_index);
    LassoSession* session = logout_session(id.issuer, id.name_id, id.name_id_format, indexes);
    if (profile->session) g_object_unref(profile->session);
    profile->session = session;  // the profile owns it from here
    int rc = lasso_logout_init_request(logout, const_cast<char*>(id.issuer.c_str()), LASSO_HTTP_METHOD_REDIRECT);
    if (rc != 0) return err(Status::config_invalid, std::string("Lasso (logout request): ") + lasso_strerror(rc));
    if (!relay_state.empty()) {
        g_free(profile->msg_relayState);
        profile->msg_relayState = g_strdup(relay_state.c_str());
    }
    rc = lasso_logout_build_request_msg(logout);
    if (rc != 0 || !profile->msg_url)
        return err(Status::config_invalid, std::string("Lasso (logout request): ") + lasso_strerror(rc));
    SamlRedirect out;
    out.url = profile->msg_url;
    out.id = LASSO_SAMLP2_REQUEST_ABSTRACT(profile->request)->ID ? LASSO_SAMLP2_REQUEST_ABSTRACT(profile->request)->ID : "";
    return out;
}

namespace {

// The gate every HTTP-Redirect message from an IdP passes before Lasso reads
// it: parsed without DOCTYPE (check_redirect_message), its issuer a
// configured IdP, and its signature, when `required` or present, checked
// here with that IdP's signing keys (Lasso is told to ignore it: see
// redirect_signature.h). Returns the issuer.
Result<std::string> check_idp_redirect(const SamlSp::Impl& impl, std::string_view query, const char* param,
                                       bool required) {
    auto issuer = check_redirect_message(query, param,
                                         std::string_view(param) == "SAMLRequest" ? "LogoutRequest" : "LogoutResponse",
                                         kMaxMessage);
    if (!issuer) return issuer.error();
    auto keys = impl.idp_keys.find(issuer.value());
    if (keys == impl.idp_keys.end())
        return err(Status::saml_unknown_idp, "the issuer " + issuer.value() + " is not a configured IdP");
    if (required || redirect_query_signed(query)) {
        auto ok = verify_redirect_signature(query, param, keys->second, impl.idps.at(issuer.value()).legacy.sha1);
        if (!ok) return ok.error();
    }
    return issuer;
}

// Lasso's reading of the message must name the issuer the signature was
// checked for.
Result<void> same_issuer(LassoProfile* profile, const std::string& checked) {
    if (!profile->remote_providerID || checked != profile->remote_providerID)
        return err(Status::saml_issuer_mismatch, "Lasso read another issuer than the one whose signature was checked");
    return {};
}

// An IdP's HTTP-Redirect logout message (`param` of `query`): its signature
// and issuer checked here, then read by Lasso (`process`: the response or
// the request reader) into a logout object `guard` owns. The issuer, or
// the named failure.
Result<std::string> read_idp_logout(const SamlSp::Impl& impl, std::string_view query, const char* param, bool must_sign,
                                    int (*process)(LassoLogout*, char*), const char* what, LogoutGuard& guard) {
    auto issuer = check_idp_redirect(impl, query, param, must_sign);
    if (!issuer) return issuer.error();
    guard.l = lasso_logout_new(impl.server.get());
    if (!guard.l) return err(Status::internal, "lasso_logout_new failed");
    LassoProfile* profile = LASSO_PROFILE(guard.l);
    lasso_profile_set_signature_verify_hint(profile, LASSO_PROFILE_SIGNATURE_VERIFY_HINT_IGNORE);
    std::string q = without_signature(query);  // checked above; see redirect_signature.h
    if (int rc = process(guard.l, const_cast<char*>(q.c_str())); rc != 0) return lasso_error(rc, what);
    if (auto same = same_issuer(profile, issuer.value()); !same) return same.error();
    return issuer;
}

}  // namespace

Result<void> SamlSp::process_logout_response(std::string_view query) const {
    // Unsigned LogoutResponses are read as before (the SP's own sessions
    // ended when it sent the request); a signed one must verify.
    LogoutGuard guard;
    auto issuer = read_idp_logout(*impl_, query, "SAMLResponse", false, lasso_logout_process_response_msg,
                                  "the LogoutResponse", guard);
    if (!issuer) return issuer.error();
    return {};
}

Result<SamlIdpLogout> SamlSp::process_logout_request(std::string_view query) const {
    // Only signed LogoutRequests end sessions.
    LogoutGuard guard;
    auto issuer = read_idp_logout(*impl_, query, "SAMLRequest", true, lasso_logout_process_request_msg,
                                  "the LogoutRequest", guard);
    if (!issuer) return issuer.error();
    LassoLogout* logout = guard.l;
    LassoProfile* profile = LASSO_PROFILE(logout);
    auto* request = LASSO_SAMLP2_LOGOUT_REQUEST(profile->request);
    SamlIdpLogout out;
    out.issuer = issuer.value();
    if (!request->NameID || !request->NameID->content || !*request->NameID->content)
        return err(Status::saml_missing_name_id, "the LogoutRequest names no one");
    out.name_id = request->NameID->content;
    GList* indexes = lasso_samlp2_logout_request_get_session_indexes(request);
    for (GList* i = indexes; i; i = i->next)
        if (i->data) out.session_indexes.emplace_back(static_cast<char*>(i->data));
    g_list_free_full(indexes, g_free);
    // The response: Lasso answers Success when its session holds the sign-in.
    LassoSession* session = logout_session(out.issuer, out.name_id,
                                           request->NameID->Format ? request->NameID->Format : "", out.session_indexes,
                                           request->NameID->NameQualifier, request->NameID->SPNameQualifier);
    if (profile->session) g_object_unref(profile->session);
    profile->session = session;  // the profile owns it from here
    lasso_profile_set_signature_hint(profile, impl_->sp.key_pem.empty() ? LASSO_PROFILE_SIGNATURE_HINT_FORBID
                                                                        : LASSO_PROFILE_SIGNATURE_HINT_FORCE);
    // Lasso sets the response's status from this; the caller ends its own
    // sessions by its own index either way.
    (void)lasso_logout_validate_request(logout);
    int rc = lasso_logout_build_response_msg(logout);
    if (rc != 0 || !profile->msg_url)
        return err(Status::config_invalid, std::string("Lasso (logout response): ") + lasso_strerror(rc));
    out.response_url = profile->msg_url;
    return out;
}

}  // namespace hdsso
