#include "saml/saml.h"

#include <mutex>
#include <utility>

#include <openssl/evp.h>

#include "core/crypto.h"
#include "saml/encrypted_id.h"
#include "saml/lasso.h"
#include "saml/metadata.h"
#include "saml/response_steps.h"
#include "saml/sp_server.h"
#include "saml/xml.h"

namespace hdsso {

using namespace samlxml;

// ---- public helpers -------------------------------------------------------------------------

Result<SamlLegacy> parse_saml_legacy(std::string_view list) {
    SamlLegacy l;
    std::size_t pos = 0;
    while (pos <= list.size()) {
        std::size_t end = list.find(',', pos);
        if (end == std::string_view::npos) end = list.size();
        std::string_view item = list.substr(pos, end - pos);
        if (item == "sha1") l.sha1 = true;
        else if (item == "rsa1024") l.rsa1024 = true;
        else if (item == "xmlenc-cbc") l.xmlenc_cbc = true;
        else if (item == "rsa1_5") l.rsa1_5 = true;
        else if (item == "expired-cert" || item.empty()) {}
        else return err(Status::config_invalid, "unknown legacy allowance '" + std::string(item) +
                                                    "' (sha1, rsa1024, xmlenc-cbc, rsa1_5, expired-cert)");
        pos = end + 1;
    }
    return l;
}

Result<std::int64_t> parse_saml_time(std::string_view t) {
    auto digits = [&](std::size_t at, std::size_t n, int& out) {
        if (at + n > t.size()) return false;
        out = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (t[i] < '0' || t[i] > '9') return false;
            out = out * 10 + (t[i] - '0');
        }
        return true;
    };
    int y, mo, d, h, mi, s;
    if (!digits(0, 4, y) || t.size() < 20 || t[4] != '-' || !digits(5, 2, mo) || t[7] != '-' || !digits(8, 2, d) ||
        t[10] != 'T' || !digits(11, 2, h) || t[13] != ':' || !digits(14, 2, mi) || t[16] != ':' || !digits(17, 2, s))
        return err(Status::saml_malformed, "not an xs:dateTime: " + std::string(t.substr(0, 40)));
    std::size_t i = 19;
    if (i < t.size() && t[i] == '.') {
        ++i;
        std::size_t start = i;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
        if (i == start) return err(Status::saml_malformed, "bad fraction in " + std::string(t.substr(0, 40)));
    }
    if (i + 1 != t.size() || t[i] != 'Z')
        return err(Status::saml_malformed, "time must be UTC ('Z'): " + std::string(t.substr(0, 40)));
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return err(Status::saml_malformed, "time out of range: " + std::string(t));
    // Days from civil (Howard Hinnant's algorithm).
    int yy = y - (mo <= 2);
    int era = (yy >= 0 ? yy : yy - 399) / 400;
    unsigned yoe = static_cast<unsigned>(yy - era * 400);
    unsigned doy = static_cast<unsigned>((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    std::int64_t days = static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
    return days * 86400 + h * 3600 + mi * 60 + s;
}

namespace {
// Lasso reports through GLib's log as well as through return codes; the
// codes become named errors here, so its messages are not printed.
void drop_lasso_message(const gchar*, GLogLevelFlags, const gchar*, gpointer) {}
}  // namespace

void saml_library_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        lasso_init();
        g_log_set_handler("Lasso", static_cast<GLogLevelFlags>(G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION),
                          drop_lasso_message, nullptr);
    });
}

SamlSp::SamlSp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SamlSp::~SamlSp() = default;

Result<std::shared_ptr<SamlSp>> SamlSp::create(SamlSpSettings sp, std::vector<SamlIdpSettings> idps) {
    saml_library_init();
    if (auto ok = check_sp_settings(sp); !ok) return ok.error();
    if (idps.empty()) return err(Status::saml_no_certificate, "no identity provider is configured");
    auto impl = std::make_unique<Impl>();
    impl->sp = sp;
    auto server = new_sp_server(sp);
    if (!server) return server.error();
    impl->server = std::move(server.value());
    for (auto& idp : idps) {
        auto metadata = idp_entity_descriptor(idp);
        if (!metadata) return metadata.error();
        int rc = lasso_server_add_provider_from_buffer(impl->server.get(), LASSO_PROVIDER_ROLE_IDP, metadata.value().c_str(),
                                                       nullptr, nullptr);
        if (rc != 0)
            return err(Status::config_invalid, "IdP " + idp.entity_id + ": Lasso refused the metadata: " + lasso_strerror(rc));
        impl->idps[idp.entity_id] = idp;
        auto parsed = parse_untrusted_xml(metadata.value(), Status::config_invalid, "IdP " + idp.entity_id + " metadata");
        if (!parsed) return parsed.error();
        impl->idp_keys[idp.entity_id] = public_keys_of(signing_certificates(xmlDocGetRootElement(parsed.value().get())));
    }
    return std::shared_ptr<SamlSp>(new SamlSp(std::move(impl)));
}

std::string SamlSp::metadata() const { return sp_metadata(impl_->sp); }

Result<void> saml_fingerprint_check(std::string_view text) {
    auto fp = parse_fingerprint(std::string(text));
    if (!fp) return fp.error();
    return {};
}

std::string saml_response_issuer(std::string_view message) {
    auto xml = decode_message(message);
    if (!xml) return {};
    auto parsed = parse_untrusted_xml(xml.value(), Status::saml_malformed, "the SAMLResponse");
    if (!parsed) return {};
    xmlNode* root = parsed.value() ? xmlDocGetRootElement(parsed.value().get()) : nullptr;
    return is(root, kNsSamlp, "Response") ? claimed_issuer(root) : std::string();
}

std::vector<std::string> SamlSp::idp_entity_ids() const {
    std::vector<std::string> out;
    for (const auto& [entity, settings] : impl_->idps) out.push_back(entity);
    return out;
}

Result<SamlRedirect> SamlSp::authn_request(const std::string& relay_state, const std::string& idp_entity_id) const {
    std::string idp = idp_entity_id;
    if (idp.empty()) {
        if (impl_->idps.size() != 1) return err(Status::config_invalid, "several IdPs: name the one to use");
        idp = impl_->idps.begin()->first;
    }
    if (!impl_->idps.count(idp)) return err(Status::saml_unknown_idp, "IdP '" + idp.substr(0, 200) + "' is not configured");
    LassoLogin* login = lasso_login_new(impl_->server.get());
    if (!login) return err(Status::internal, "lasso_login_new failed");
    struct LoginGuard {
        LassoLogin* l;
        ~LoginGuard() { lasso_login_destroy(l); }
    } guard{login};
    LassoProfile* profile = LASSO_PROFILE(login);
    // Signed with the SP key when there is one; never an attempt without.
    lasso_profile_set_signature_hint(profile, impl_->sp.key_pem.empty() ? LASSO_PROFILE_SIGNATURE_HINT_FORBID
                                                                        : LASSO_PROFILE_SIGNATURE_HINT_FORCE);
    int rc = lasso_login_init_authn_request(login, idp.c_str(), LASSO_HTTP_METHOD_REDIRECT);
    if (rc != 0) return err(Status::config_invalid, std::string("Lasso: ") + lasso_strerror(rc));
    auto* request = LASSO_SAMLP2_AUTHN_REQUEST(profile->request);
    request->ForceAuthn = impl_->sp.force_authn ? TRUE : FALSE;
    if (request->NameIDPolicy) {
        g_free(request->NameIDPolicy->Format);
        request->NameIDPolicy->Format = g_strdup(impl_->sp.name_id_format.c_str());
        request->NameIDPolicy->AllowCreate = TRUE;
    }
    g_free(request->ProtocolBinding);
    request->ProtocolBinding = g_strdup("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST");
    g_free(request->AssertionConsumerServiceURL);
    request->AssertionConsumerServiceURL = g_strdup(impl_->sp.acs_url.c_str());
    if (!relay_state.empty()) {
        g_free(profile->msg_relayState);
        profile->msg_relayState = g_strdup(relay_state.c_str());
    }
    rc = lasso_login_build_authn_request_msg(login);
    if (rc != 0 || !profile->msg_url) return err(Status::config_invalid, std::string("Lasso: ") + lasso_strerror(rc));
    SamlRedirect out;
    out.url = profile->msg_url;
    out.id = LASSO_SAMLP2_REQUEST_ABSTRACT(profile->request)->ID ? LASSO_SAMLP2_REQUEST_ABSTRACT(profile->request)->ID : "";
    if (out.id.empty()) return err(Status::internal, "the AuthnRequest has no ID");
    return out;
}

// The checks, in order; each step is in saml/response_steps.h.
Result<SamlLogin> SamlSp::process_response(std::string_view message, std::int64_t now, const std::string& request_id,
                                           ReplayCache& replay) const {
    auto decoded = decode_response(message);
    if (!decoded) return decoded.error();
    const DecodedResponse& r = decoded.value();
    LassoServerPtr own_server;  // for an IdP known by fingerprint
    if (auto it = impl_->idps.find(claimed_issuer(r.root)); it != impl_->idps.end() && by_fingerprint(it->second)) {
        auto made = server_for_fingerprint(r, impl_->sp, it->second);
        if (!made) return made.error();
        own_server = std::move(made.value());
    }
    LassoServer* server = own_server ? own_server.get() : impl_->server.get();
    if (auto ok = check_encrypted_assertion(r); !ok) return ok.error();
    auto lasso = run_lasso(server, r);
    if (!lasso) return lasso.error();
    LassoProfile* profile = lasso.value().profile();
    const std::string& issuer = lasso.value().issuer;
    auto idp_it = impl_->idps.find(issuer);
    if (idp_it == impl_->idps.end()) return err(Status::saml_unknown_idp, "the issuer is not a configured IdP");
    const SamlIdpSettings& idp = idp_it->second;
    // Metadata past its validUntil is not trusted (as Shibboleth's lookups
    // with validOnly): the IdP is refused until a newer copy is in use.
    if (idp.valid_until && idp.valid_until <= now)
        return err(Status::metadata_expired, "the metadata in use for " + issuer +
                                                 " is past its validUntil; no sign-in through it until a newer copy is "
                                                 "fetched");
    const SamlSpSettings& sp = impl_->sp;
    auto assertion = the_assertion(profile->response);
    if (!assertion) return assertion.error();
    LassoSaml2Assertion* a = assertion.value();
    xmlNode* assertion_xml = r.plain.empty() ? lasso_node_get_original_xmlnode(LASSO_NODE(a)) : r.plain.front();
    if (auto ok = check_signatures(idp, profile, r, assertion_xml); !ok) return ok.error();
    if (lasso.value().subject_unread)
        if (auto ok = rebuild_subject(profile, server, a, r.root, r.plain, sp); !ok) return ok.error();
    if (auto ok = check_issuer_and_destination(a, issuer, r.root, sp.acs_url); !ok) return ok.error();
    if (auto ok = check_conditions(a->Conditions, sp.entity_id, now, idp.skew); !ok) return ok.error();
    auto bearer = check_bearer(a->Subject, sp.acs_url, now, idp.skew);
    if (!bearer) return bearer.error();
    auto* status_response = LASSO_SAMLP2_STATUS_RESPONSE(profile->response);
    if (auto ok = check_in_response_to(status_response->InResponseTo, bearer.value().in_response_to, request_id,
                                       idp.allow_unsolicited);
        !ok)
        return ok.error();
    auto authn = check_authn_statement(a, now, idp.skew);
    if (!authn) return authn.error();
    auto name_id = read_name_id(a, assertion_xml, sp.entity_id);
    if (!name_id) return name_id.error();
    if (auto ok = consume_assertion(replay, issuer, a->ID, bearer.value().not_on_or_after, idp.skew); !ok)
        return ok.error();
    return read_identity(a, assertion_xml, authn.value(), issuer, name_id.value(), idp, now);
}

}  // namespace hdsso
