#include "mod/saml.h"

#include <cstring>
#include <vector>
#include <string>

#include "apr_strings.h"
#include "http_log.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/crypto.h"
#include "core/secret_file.h"
#include "mod/dir_config.h"
#include "mod/http.h"
#include "mod/metadata_url.h"
#include "saml/metadata_refresh.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

// Every SAML setting of a virtual host, X(type, name): the one list
// ServerConfig and its merge are made from.
#define HDSSO_SAML_SETTINGS(X) \
    X(const char*, base_url) /* HelpdeskSSOSAMLBaseURL */ \
    X(const char*, entity_id) /* HelpdeskSSOSAMLEntityID */ \
    X(const Secret*, sp_key) /* HelpdeskSSOSAMLKeyFile */ \
    X(const char*, sp_cert) /* HelpdeskSSOSAMLCertFile (content) */ \
    X(const char*, sp_cert_path) /* HelpdeskSSOSAMLCertFile (the file, for messages) */ \
    X(const Secret*, sp_next_key) /* HelpdeskSSOSAMLNextKeyFile (key rollover) */ \
    X(const char*, sp_next_cert) /* HelpdeskSSOSAMLNextCertFile (content) */ \
    X(const char*, sp_next_cert_path) /* HelpdeskSSOSAMLNextCertFile (the file, for messages) */ \
    X(apr_array_header_t*, idp_metadata) /* HelpdeskSSOSAMLIdPMetadataFile: file contents, one per line */ \
    X(apr_array_header_t*, metadata_urls) /* HelpdeskSSOSAMLIdPMetadataURL: const MetadataUrl* */ \
    X(const char*, idp_cert) /* HelpdeskSSOSAMLIdPCertFile (content) */ \
    X(const char*, idp_fingerprint) /* HelpdeskSSOSAMLIdPCertFingerprint */ \
    X(apr_array_header_t*, idp_entity_ids) /* HelpdeskSSOSAMLIdPEntityID ID... */ \
    X(const char*, idp_sso_url) /* HelpdeskSSOSAMLIdPSSOURL */ \
    X(const char*, idp_slo_url) /* HelpdeskSSOSAMLIdPSLOURL */ \
    X(const char*, name_id_format) /* HelpdeskSSOSAMLNameIDFormat */ \
    X(int, policy) /* HelpdeskSSOSAMLSignaturePolicy */ \
    X(int, unsolicited) /* HelpdeskSSOSAMLAllowUnsolicited */ \
    X(int, skew) /* HelpdeskSSOSAMLSkew */ \
    X(int, force_authn) /* HelpdeskSSOSAMLForceAuthn */ \
    X(const char*, legacy) /* HelpdeskSSOSAMLAllowLegacy, as "a,b,c" */ \
    X(int, signature_algorithm) /* HelpdeskSSOSAMLSignatureAlgorithm (SamlSignatureAlgorithm) */ \
    X(apr_table_t*, attributes) /* HelpdeskSSOSAMLAttribute ROLE NAME...: role -> names */ \
    /* end */

struct ServerConfig {
#define HDSSO_SETTING_FIELD(type, name) Setting<type> name;
    HDSSO_SAML_SETTINGS(HDSSO_SETTING_FIELD)
#undef HDSSO_SETTING_FIELD
    // Built at startup, owned by the config pool; replaced (std::atomic_store)
    // by the child's metadata refresh, read with std::atomic_load.
    std::shared_ptr<SamlSp>* sp;
    // The document in use of each metadata URL: replaced whole, like sp.
    std::shared_ptr<const std::vector<std::string>>* url_docs;
};

ServerConfig* scfg(server_rec* s) {
    return static_cast<ServerConfig*>(ap_get_module_config(s->module_config, &helpdesk_sso_module));
}
ServerConfig* scfg(cmd_parms* cmd) { return scfg(cmd->server); }

const char* read_file(cmd_parms* cmd, const char* arg, const char*& out) {
    const char* path = ap_server_root_relative(cmd->pool, arg);
    if (!path) return bad_value(cmd, "a file path", arg);
    auto text = read_config_file(path, 1024 * 1024);
    if (!text) return directive_error(cmd, text.error().detail);
    if (text.value().empty()) return directive_error(cmd, std::string(arg) + " is empty");
    out = apr_pstrmemdup(cmd->pool, text.value().data(), text.value().size());
    return nullptr;
}

template <Setting<const char*> ServerConfig::*Field>
const char* set_file(cmd_parms* cmd, void*, const char* arg) {
    const char* text = nullptr;
    if (const char* e = read_file(cmd, arg, text)) return e;
    scfg(cmd)->*Field = {text, 1};
    return nullptr;
}

// Repeatable: several URLs, each one IdP or an aggregate.
const char* add_metadata_url(cmd_parms* cmd, void*, int argc, char* const argv[]) {
    const MetadataUrl* u = nullptr;
    if (const char* e = parse_metadata_url(cmd, argc, argv, u)) return e;
    append<const MetadataUrl*>(cmd->pool, scfg(cmd)->metadata_urls, u);
    return nullptr;
}

// Repeatable: several metadata files, each one IdP or an aggregate.
const char* add_metadata_file(cmd_parms* cmd, void*, const char* arg) {
    const char* text = nullptr;
    if (const char* e = read_file(cmd, arg, text)) return e;
    append<const char*>(cmd->pool, scfg(cmd)->idp_metadata, text);
    return nullptr;
}

const char* add_entity_id(cmd_parms* cmd, void*, const char* arg) {
    std::size_t n = std::strlen(arg);
    if (!n || n > 1024) return apr_psprintf(cmd->pool, "%s: expected entity IDs of 1 to 1024 characters", cmd->cmd->name);
    for (const char* p = arg; *p; ++p)
        if (static_cast<unsigned char>(*p) <= 0x20 || *p == 0x7f)
            return bad_value(cmd, "no control characters", arg);
    append<const char*>(cmd->pool, scfg(cmd)->idp_entity_ids, arg);
    return nullptr;
}

std::vector<std::string> strings(const Setting<apr_array_header_t*>& s) {
    std::vector<std::string> out;
    for (int i = 0; s.set && i < s.value->nelts; ++i) out.emplace_back(APR_ARRAY_IDX(s.value, i, const char*));
    return out;
}

// HelpdeskSSOSAMLKeyFile, HelpdeskSSOSAMLNextKeyFile.
template <Setting<const Secret*> ServerConfig::*Field>
const char* set_key_file(cmd_parms* cmd, void*, const char* arg) {
    const char* text = nullptr;
    if (const char* e = read_file(cmd, arg, text)) return e;
    if (!std::strstr(text, "PRIVATE KEY-----"))
        return directive_error(cmd, std::string(arg) + " is not a PEM private key");
    scfg(cmd)->*Field = {pool_secret(cmd->pool, arg, text, std::strlen(text)), 1};
    return nullptr;
}

// HelpdeskSSOSAMLCertFile, HelpdeskSSOSAMLNextCertFile: the content and the file.
template <Setting<const char*> ServerConfig::*Field, Setting<const char*> ServerConfig::*Path>
const char* set_sp_cert(cmd_parms* cmd, void* m, const char* arg) {
    if (const char* e = set_file<Field>(cmd, m, arg)) return e;
    scfg(cmd)->*Path = {apr_pstrdup(cmd->pool, arg), 1};
    return nullptr;
}

// Whether the SP certificate is the key's: false only when both parse and
// differ (a file that does not parse is reported where it is built).
bool key_pair_mismatch(const Secret* key, const char* cert_pem) {
    CPtr<BIO, BIO_free> kb(BIO_new_mem_buf(key->data, static_cast<int>(key->len)));
    CPtr<BIO, BIO_free> cb(BIO_new_mem_buf(cert_pem, -1));
    if (!kb || !cb) return false;
    CPtr<EVP_PKEY, EVP_PKEY_free> pkey(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, const_cast<char*>("")));
    CPtr<X509, X509_free> cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!pkey || !cert) return false;
    bool match = X509_check_private_key(cert.get(), pkey.get()) == 1;
    ERR_clear_error();
    return !match;
}

// Whether two SP keys are the same key: true only when both parse and are
// equal (a file that does not parse is reported where it is built). Keys
// are read with an empty passphrase, as the SAML core reads them: an
// encrypted key is refused there, never prompted for on a terminal.
bool key_pairs_equal(const Secret* a, const Secret* b) {
    CPtr<BIO, BIO_free> ab(BIO_new_mem_buf(a->data, static_cast<int>(a->len)));
    CPtr<BIO, BIO_free> bb(BIO_new_mem_buf(b->data, static_cast<int>(b->len)));
    if (!ab || !bb) return false;
    CPtr<EVP_PKEY, EVP_PKEY_free> ak(PEM_read_bio_PrivateKey(ab.get(), nullptr, nullptr, const_cast<char*>("")));
    CPtr<EVP_PKEY, EVP_PKEY_free> bk(PEM_read_bio_PrivateKey(bb.get(), nullptr, nullptr, const_cast<char*>("")));
    bool equal = ak && bk && EVP_PKEY_eq(ak.get(), bk.get()) == 1;
    ERR_clear_error();
    return equal;
}

bool is_url(const char* a) { return !strncasecmp(a, "https://", 8) || !strncasecmp(a, "http://", 7); }

template <Setting<const char*> ServerConfig::*Field, bool Url>
const char* set_text(cmd_parms* cmd, void*, const char* arg) {
    std::size_t n = std::strlen(arg);
    if (!n || n > 1024) return apr_psprintf(cmd->pool, "%s: expected a value of 1 to 1024 characters", cmd->cmd->name);
    for (const char* p = arg; *p; ++p)
        if (static_cast<unsigned char>(*p) <= 0x20 || *p == 0x7f)
            return bad_value(cmd, "no spaces or control characters", arg);
    if (Url && !is_url(arg)) return bad_value(cmd, "an http(s) URL", arg);
    scfg(cmd)->*Field = {arg, 1};
    return nullptr;
}

const char* set_base_url(cmd_parms* cmd, void* m, const char* arg) {
    std::size_t n = std::strlen(arg);
    if (n && arg[n - 1] == '/')
        return bad_value(cmd, "a base URL without a trailing '/'", arg);
    return set_text<&ServerConfig::base_url, true>(cmd, m, arg);
}

const char* set_fingerprint(cmd_parms* cmd, void*, const char* arg) {
    // (A SHA-1 fingerprint also needs HelpdeskSSOSAMLAllowLegacy sha1: checked at startup.)
    if (auto bad = saml_fingerprint_check(arg); !bad)
        return bad_value(cmd, "a SHA-256 (64 hex digits) or SHA-1 (40) fingerprint, colons allowed", arg);
    scfg(cmd)->idp_fingerprint = {arg, 1};
    return nullptr;
}

const char* set_policy(cmd_parms* cmd, void*, const char* arg) {
    static const char* const kNames[] = {"assertion", "response", "both", "either"};
    for (int i = 0; i < 4; ++i)
        if (!strcasecmp(arg, kNames[i])) {
            scfg(cmd)->policy = {i, 1};
            return nullptr;
        }
    return bad_value(cmd, "assertion, response, both or either", arg);
}

const char* set_name_id_format(cmd_parms* cmd, void*, const char* arg) {
    auto uri = parse_saml_name_id_format(arg);
    if (!uri)
        return bad_value(cmd, "email, persistent, transient, unspecified or a urn:", arg);
    scfg(cmd)->name_id_format = {apr_pstrdup(cmd->pool, uri->c_str()), 1};
    return nullptr;
}

template <Setting<int> ServerConfig::*Field>
const char* set_flag(cmd_parms* cmd, void*, int on) {
    scfg(cmd)->*Field = {on, 1};
    return nullptr;
}

const char* set_skew(cmd_parms* cmd, void*, const char* arg) {
    int v = 0;
    if (const char* e = parse_seconds(cmd, arg, 0, 3600, v)) return e;
    scfg(cmd)->skew = {v, 1};
    return nullptr;
}

const char* set_signature_algorithm(cmd_parms* cmd, void*, const char* arg) {
    // (rsa-sha1 also needs HelpdeskSSOSAMLAllowLegacy sha1: checked with the whole site.)
    auto alg = parse_saml_signature_algorithm(arg);
    if (!alg)
        return bad_value(cmd, "rsa-sha256, rsa-sha384, rsa-sha512 or rsa-sha1", arg);
    scfg(cmd)->signature_algorithm = {static_cast<int>(*alg), 1};
    return nullptr;
}

const char* add_legacy(cmd_parms* cmd, void*, const char* arg) {
    if (!parse_saml_legacy(arg))
        return bad_value(cmd, "sha1, rsa1024, xmlenc-cbc or rsa1_5", arg);
    ServerConfig* c = scfg(cmd);
    c->legacy = {c->legacy.set ? apr_pstrcat(cmd->pool, c->legacy.value, ",", arg, nullptr) : arg, 1};
    return nullptr;
}

const char* const kRoles[] = {"email", "firstName", "lastName", "displayName", "groups"};

const char* set_attribute(cmd_parms* cmd, void*, int argc, char* const argv[]) {
    bool known = false;
    for (const char* r : kRoles) known = known || (argc > 0 && !std::strcmp(argv[0], r));
    if (argc < 2 || !known)
        return apr_psprintf(cmd->pool, "%s: expected a role (email, firstName, lastName, displayName or groups) "
                                       "and one or more attribute names",
                            cmd->cmd->name);
    ServerConfig* c = scfg(cmd);
    // Set in this scope: starts from an empty table, not the inherited one.
    if (!c->attributes.set) c->attributes = {apr_table_make(cmd->pool, 5), 1};
    apr_table_unset(c->attributes.value, argv[0]);
    for (int i = 1; i < argc; ++i) apr_table_add(c->attributes.value, argv[0], argv[i]);
    return nullptr;
}


apr_status_t delete_sp(void* data) {
    delete static_cast<std::shared_ptr<SamlSp>*>(data);
    return APR_SUCCESS;
}

bool configured(const ServerConfig* c) {
    return c->idp_metadata.set || c->metadata_urls.set || c->idp_cert.set || c->idp_fingerprint.set;
}

std::vector<const MetadataUrl*> metadata_urls(const ServerConfig* c) {
    std::vector<const MetadataUrl*> out;
    for (int i = 0; c->metadata_urls.set && i < c->metadata_urls.value->nelts; ++i)
        out.push_back(APR_ARRAY_IDX(c->metadata_urls.value, i, const MetadataUrl*));
    return out;
}

using UrlDocs = std::shared_ptr<const std::vector<std::string>>;

apr_status_t delete_docs(void* data) {
    delete static_cast<UrlDocs*>(data);
    return APR_SUCCESS;
}

}  // namespace

void* create_server_config(apr_pool_t* p, server_rec*) { return apr_pcalloc(p, sizeof(ServerConfig)); }

void* merge_server_config(apr_pool_t* p, void* base_v, void* add_v) {
    auto* base = static_cast<ServerConfig*>(base_v);
    auto* add = static_cast<ServerConfig*>(add_v);
    auto* out = static_cast<ServerConfig*>(apr_pcalloc(p, sizeof(ServerConfig)));
#define HDSSO_MERGE_SETTING(type, name) merge(out->name, base->name, add->name);
    HDSSO_SAML_SETTINGS(HDSSO_MERGE_SETTING)
#undef HDSSO_MERGE_SETTING
    return out;
}

namespace {

// The SP of virtual host `s` (null when SAML is not configured there), or
// why it cannot be built.
// `url_docs`: the document in use of each HelpdeskSSOSAMLIdPMetadataURL.
Result<std::shared_ptr<SamlSp>> build_sp(server_rec* s, const std::vector<std::string>& url_docs,
                                         std::string* entity_id_out = nullptr, std::string* acs_out = nullptr) {
    ServerConfig* c = scfg(s);
    if (!configured(c)) return std::shared_ptr<SamlSp>();
    if (!c->base_url.set)
        return make_error(Status::config_invalid, "HelpdeskSSOSAMLBaseURL is required where an IdP is configured");
    const DirConfig* d = static_cast<const DirConfig*>(ap_get_module_config(s->lookup_defaults, &helpdesk_sso_module));
    // (hdsso saml metadata --base-url --endpoint builds the same settings.)
    SamlSpSettings sp;
    saml_sp_site_urls(sp, c->base_url.value, endpoint(d), c->entity_id.set ? c->entity_id.value : "");
    if (c->sp_key.set) sp.key_pem.assign(c->sp_key.value->data, c->sp_key.value->len);
    if (c->sp_cert.set) sp.cert_pem = c->sp_cert.value;
    // The wrong certificate would be published: say which files and the fix.
    if (c->sp_key.set && c->sp_cert.set && key_pair_mismatch(c->sp_key.value, c->sp_cert.value))
        return make_error(Status::config_invalid,
                          std::string("HelpdeskSSOSAMLCertFile ") + (c->sp_cert_path.set ? c->sp_cert_path.value : "") +
                              " is not the certificate of HelpdeskSSOSAMLKeyFile " + c->sp_key.value->path +
                              ": the metadata would give the IdP a certificate that checks none of this site's "
                              "signatures; name this key's certificate, or make a new pair with hdsso saml keygen "
                              "(and give the IdP the new metadata)");
    // Key rollover: the next pair, checked with the files named.
    if (c->sp_next_key.set || c->sp_next_cert.set) {
        const char* next_cert_path = c->sp_next_cert_path.set ? c->sp_next_cert_path.value : "";
        if (!c->sp_next_cert.set)
            return make_error(Status::config_invalid,
                              std::string("HelpdeskSSOSAMLNextKeyFile ") + c->sp_next_key.value->path +
                                  " has no HelpdeskSSOSAMLNextCertFile beside it: the next certificate is what the "
                                  "metadata publishes before the key is used; name it too");
        if (!c->sp_next_key.set)
            return make_error(Status::config_invalid,
                              std::string("HelpdeskSSOSAMLNextCertFile ") + next_cert_path +
                                  " has no HelpdeskSSOSAMLNextKeyFile beside it: the site could not decrypt what "
                                  "IdPs encrypt for that certificate; name its key too");
        if (!c->sp_key.set || !c->sp_cert.set)
            return make_error(Status::config_invalid,
                              "HelpdeskSSOSAMLNextKeyFile and HelpdeskSSOSAMLNextCertFile need HelpdeskSSOSAMLKeyFile "
                              "and HelpdeskSSOSAMLCertFile (the current pair): without a current key there is "
                              "nothing to roll over from; make the next pair the current one");
        if (key_pair_mismatch(c->sp_next_key.value, c->sp_next_cert.value))
            return make_error(Status::config_invalid,
                              std::string("HelpdeskSSOSAMLNextCertFile ") + next_cert_path +
                                  " is not the certificate of HelpdeskSSOSAMLNextKeyFile " +
                                  c->sp_next_key.value->path +
                                  ": IdPs would encrypt for a key the site does not have; name this key's "
                                  "certificate, or make a new pair with hdsso saml keygen");
        sp.next_key_pem.assign(c->sp_next_key.value->data, c->sp_next_key.value->len);
        sp.next_cert_pem = c->sp_next_cert.value;
        if (key_pairs_equal(c->sp_key.value, c->sp_next_key.value))
            return make_error(Status::config_invalid,
                              std::string("HelpdeskSSOSAMLNextKeyFile ") + c->sp_next_key.value->path +
                                  " is the same key as HelpdeskSSOSAMLKeyFile " + c->sp_key.value->path +
                                  ": a rollover needs a new key pair (hdsso saml keygen); after the switch, remove "
                                  "the Next directives or name the old pair there");
    }
    if (c->name_id_format.set) sp.name_id_format = c->name_id_format.value;
    sp.force_authn = c->force_authn.set && c->force_authn.value;
    // The settings every IdP of the site shares.
    SamlIdpSettings idp;
    if (c->idp_cert.set) idp.cert_pem = c->idp_cert.value;
    if (c->idp_fingerprint.set) idp.cert_fingerprint = c->idp_fingerprint.value;
    if (c->idp_sso_url.set) idp.sso_url = c->idp_sso_url.value;
    if (c->idp_slo_url.set) idp.slo_url = c->idp_slo_url.value;
    std::vector<std::string> wanted = strings(c->idp_entity_ids);
    std::vector<std::string> docs = strings(c->idp_metadata);
    docs.insert(docs.end(), url_docs.begin(), url_docs.end());
    if (docs.empty() && (wanted.size() != 1 || !c->idp_sso_url.set))
        return make_error(Status::config_invalid,
                          "with HelpdeskSSOSAMLIdPCertFile or HelpdeskSSOSAMLIdPCertFingerprint, set one "
                          "HelpdeskSSOSAMLIdPEntityID and HelpdeskSSOSAMLIdPSSOURL too (or use "
                          "HelpdeskSSOSAMLIdPMetadataFile)");
    if (c->policy.set) idp.policy = static_cast<SamlSignaturePolicy>(c->policy.value);
    sp.want_assertions_signed = idp.policy == SamlSignaturePolicy::assertion || idp.policy == SamlSignaturePolicy::both;
    idp.allow_unsolicited = c->unsolicited.set && c->unsolicited.value;
    if (c->skew.set) idp.skew = c->skew.value;
    idp.legacy = parse_saml_legacy(c->legacy.set ? c->legacy.value : "").value();
    if (c->signature_algorithm.set)
        sp.signature_algorithm = static_cast<SamlSignatureAlgorithm>(c->signature_algorithm.value);
    sp.allow_sha1 = idp.legacy.sha1;
    if (sp.signature_algorithm == SamlSignatureAlgorithm::rsa_sha1 && !sp.allow_sha1)
        return make_error(Status::config_invalid,
                          "HelpdeskSSOSAMLSignatureAlgorithm rsa-sha1 needs HelpdeskSSOSAMLAllowLegacy sha1");
    if (c->attributes.set) {
        const apr_array_header_t* entries = apr_table_elts(c->attributes.value);
        for (int i = 0; i < entries->nelts; ++i) {
            const auto& e = APR_ARRAY_IDX(entries, i, apr_table_entry_t);
            idp.attribute_names[e.key].emplace_back(e.val);
        }
    }
    // Every IdP the metadata files describe, or those HelpdeskSSOSAMLIdPEntityID
    // names; else the one IdP given field by field.
    std::vector<SamlIdpSettings> idps;
    if (!docs.empty()) {
        auto selected = saml_select_idps(docs, wanted, idp);
        if (!selected)
            return make_error(selected.error().code, "IdP metadata: " + selected.error().detail);
        idps = std::move(selected.value());
        // The IdPs of a URL's document: refused once their validUntil passes.
        for (const auto& doc : url_docs) {
            auto validity = read_metadata_validity(doc);
            if (!validity) return validity.error();
            for (auto& one : idps) {
                auto it = validity.value().idp_valid_until.find(one.entity_id);
                if (it != validity.value().idp_valid_until.end() && it->second &&
                    (!one.valid_until || it->second < one.valid_until))
                    one.valid_until = it->second;
            }
        }
    } else {
        idp.entity_id = wanted.front();
        idps.push_back(idp);
    }
    if (entity_id_out) *entity_id_out = sp.entity_id;
    if (acs_out) *acs_out = sp.acs_url;
    auto built = SamlSp::create(sp, idps);
    if (!built) return make_error(built.error().code, std::string("SAML: ") + status_name(built.error().code) + ": " +
                                                          built.error().detail);
    return built.value();
}

}  // namespace

int saml_post_config(apr_pool_t* pconf, server_rec* main) {
    for (server_rec* s = main; s; s = s->next) {
        ServerConfig* c = scfg(s);
        c->sp = nullptr;
        c->url_docs = nullptr;
        const char* where = apr_pstrdup(pconf, site_name(s).c_str());
        std::vector<std::string> url_docs;
        for (const MetadataUrl* u : metadata_urls(c)) {
            auto doc = startup_metadata(s, *u, true);
            if (!doc) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "HDSSO012: %s: %s", where, doc.error().detail.c_str());
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            url_docs.push_back(std::move(doc.value()));
        }
        std::string entity_id, acs;
        auto built = build_sp(s, url_docs, &entity_id, &acs);
        if (!built) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "HDSSO012: %s: %s", where, built.error().detail.c_str());
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (!built.value()) continue;
        c->sp = new std::shared_ptr<SamlSp>(built.value());
        apr_pool_cleanup_register(pconf, c->sp, delete_sp, apr_pool_cleanup_null);
        c->url_docs = new UrlDocs(std::make_shared<const std::vector<std::string>>(std::move(url_docs)));
        apr_pool_cleanup_register(pconf, c->url_docs, delete_docs, apr_pool_cleanup_null);
        // During a key rollover, which certificate is published next.
        std::string next = c->sp_next_cert.set ? "; key rollover: next SP certificate " +
                                                     saml_certificate_fingerprint(c->sp_next_cert.value) +
                                                     " published, its key decrypts"
                                               : "";
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "HDSSO013: %s: SAML SP %s, ACS %s%s", where, entity_id.c_str(),
                     acs.c_str(), next.c_str());
    }
    return OK;
}

void saml_site_facts(server_rec* s, SiteFacts& f, bool try_build) {
    ServerConfig* c = scfg(s);
    f.saml_configured = configured(c);
    if (!f.saml_configured) return;
    f.saml_base_url = c->base_url.set ? c->base_url.value : "";
    f.saml_sp_key = c->sp_key.set;
    f.saml_sp_cert = c->sp_cert.set;
    f.saml_idp_slo = c->idp_slo_url.set;
    for (const auto& doc : strings(c->idp_metadata))
        f.saml_idp_slo = f.saml_idp_slo || doc.find("SingleLogoutService") != std::string::npos;
    std::shared_ptr<SamlSp> sp = c->sp ? std::atomic_load(c->sp) : nullptr;
    // Under apachectl -t the URLs' backing files (never the network); a
    // missing one is fetched when Apache starts, which reports a failure.
    std::vector<std::string> url_docs;
    bool fetched_at_start = false;
    if (c->url_docs) {
        url_docs = *std::atomic_load(c->url_docs);  // after start: the documents in use
    } else {
        for (const MetadataUrl* u : metadata_urls(c)) {
            auto doc = startup_metadata(s, *u, false);
            if (!doc) fetched_at_start = true;
            else url_docs.push_back(std::move(doc.value()));
        }
    }
    for (const auto& doc : url_docs)
        f.saml_idp_slo = f.saml_idp_slo || doc.find("SingleLogoutService") != std::string::npos;
    if (fetched_at_start && !sp) return;
    if (try_build && !f.saml_base_url.empty()) {
        auto built = build_sp(s, url_docs);
        if (!built) f.saml_error = built.error().detail;
        else sp = built.value();
    }
    if (!try_build && !sp) f.saml_error = "the SP was not built";
    if (sp) f.saml_idps = sp->idp_entity_ids();
}

std::vector<std::pair<std::string, std::string>> saml_sp_certificates(server_rec* s) {
    ServerConfig* c = scfg(s);
    std::vector<std::pair<std::string, std::string>> out;
    if (c->sp_cert.set)
        out.emplace_back(std::string("SP certificate (current: signs") + (c->sp_key.set ? ", decrypts" : "") + ") " +
                             (c->sp_cert_path.set ? c->sp_cert_path.value : ""),
                         saml_certificate_fingerprint(c->sp_cert.value));
    if (c->sp_next_cert.set)
        out.emplace_back(std::string("SP certificate (next: decrypts, published) ") +
                             (c->sp_next_cert_path.set ? c->sp_next_cert_path.value : ""),
                         saml_certificate_fingerprint(c->sp_next_cert.value));
    return out;
}

std::shared_ptr<SamlSp> saml_sp(request_rec* r) {
    ServerConfig* c = scfg(r->server);
    return c && c->sp ? std::atomic_load(c->sp) : nullptr;
}

void saml_child_init(apr_pool_t* pchild, server_rec* main) {
    std::vector<RefreshJob> jobs;
    for (server_rec* s = main; s; s = s->next) {
        ServerConfig* c = scfg(s);
        if (!c->sp || !c->url_docs) continue;
        std::vector<const MetadataUrl*> urls = metadata_urls(c);
        UrlDocs in_use = std::atomic_load(c->url_docs);
        for (std::size_t i = 0; i < urls.size() && i < in_use->size(); ++i) {
            // Run by the refresh thread only, the one writer in this child:
            // the site rebuilt with the new document, swapped in whole
            // (requests and the diagnostics page read copies).
            auto apply = [s, c, i](const std::string& doc) -> Result<void> {
                std::vector<std::string> docs = *std::atomic_load(c->url_docs);
                docs[i] = doc;
                auto built = build_sp(s, docs);
                if (!built) return built.error();
                std::atomic_store(c->sp, built.value());
                std::atomic_store(c->url_docs, UrlDocs(std::make_shared<const std::vector<std::string>>(std::move(docs))));
                return {};
            };
            jobs.push_back(metadata_refresh_job(s, urls[i], (*in_use)[i], apply));
        }
    }
    start_refresh(pchild, std::move(jobs));
}

// A function-local table: initialised on first use, so that dir_config.cc can
// copy it during its own static initialisation whatever the order of the two
// files' initialisers (the entries are not constants: cmd_func casts).
const command_rec* saml_commands() {
    static const command_rec table[] = {
    AP_INIT_TAKE1("HelpdeskSSOSAMLBaseURL", HDSSO_CMD(set_base_url), nullptr, RSRC_CONF,
                  "the site's external base URL (https://helpdesk.example.com); the ACS, SLO and metadata URLs "
                  "are derived from it and HelpdeskSSOEndpoint"),
    AP_INIT_TAKE1("HelpdeskSSOSAMLEntityID", HDSSO_CMD((set_text<&ServerConfig::entity_id, false>)), nullptr, RSRC_CONF,
                  "the SP's entity ID (default: the metadata URL)"),
    AP_INIT_TAKE1("HelpdeskSSOSAMLKeyFile", HDSSO_CMD(set_key_file<&ServerConfig::sp_key>), nullptr, RSRC_CONF,
                  "the SP's private key (PEM): signs AuthnRequests, decrypts assertions"),
    AP_INIT_TAKE1("HelpdeskSSOSAMLCertFile",
                  HDSSO_CMD((set_sp_cert<&ServerConfig::sp_cert, &ServerConfig::sp_cert_path>)), nullptr, RSRC_CONF,
                  "the SP's certificate (PEM), published in its metadata"),
    AP_INIT_TAKE1("HelpdeskSSOSAMLNextKeyFile", HDSSO_CMD(set_key_file<&ServerConfig::sp_next_key>), nullptr,
                  RSRC_CONF,
                  "key rollover: the SP's next private key (PEM), with HelpdeskSSOSAMLNextCertFile; decrypts "
                  "assertions after HelpdeskSSOSAMLKeyFile, never signs"),
    AP_INIT_TAKE1("HelpdeskSSOSAMLNextCertFile",
                  HDSSO_CMD((set_sp_cert<&ServerConfig::sp_next_cert, &ServerConfig::sp_next_cert_path>)), nullptr,
                  RSRC_CONF,
                  "key rollover: the certificate (PEM) of HelpdeskSSOSAMLNextKeyFile, published in the metadata "
                  "after the current one"),
    AP_INIT_TAKE1("HelpdeskSSOSAMLIdPMetadataFile", HDSSO_CMD(add_metadata_file), nullptr, RSRC_CONF,
                  "IdP metadata (an EntityDescriptor or an aggregate); may be repeated: every IdP they describe, "
                  "or those HelpdeskSSOSAMLIdPEntityID names, is trusted"),
    AP_INIT_TAKE_ARGV("HelpdeskSSOSAMLIdPMetadataURL", HDSSO_CMD(add_metadata_url), nullptr, RSRC_CONF,
                      "URL BACKING-FILE [refresh=SECONDS] [signer=CERT-FILE] [ca=CA-FILE]: IdP metadata fetched "
                      "from URL and again in the background, every 3600 s unless refresh= or its cacheDuration "
                      "or validUntil say sooner; Apache starts from BACKING-FILE, the last good copy; may be "
                      "repeated"),
    AP_INIT_TAKE1("HelpdeskSSOSAMLIdPCertFile", HDSSO_CMD(set_file<&ServerConfig::idp_cert>), nullptr, RSRC_CONF,
                  "the IdP's signing certificate (PEM), when there is no metadata file"),
    AP_INIT_TAKE1("HelpdeskSSOSAMLIdPCertFingerprint", HDSSO_CMD(set_fingerprint), nullptr, RSRC_CONF,
                  "the SHA-256 fingerprint of the IdP's signing certificate (SHA256:AB:CD:...), when its certificate "
                  "is not at hand; the certificate then comes in each response and must match"),
    AP_INIT_ITERATE("HelpdeskSSOSAMLIdPEntityID", HDSSO_CMD(add_entity_id), nullptr, RSRC_CONF,
                    "the IdP's entity ID (issuer) with HelpdeskSSOSAMLIdPCertFile; with metadata files, the IdPs "
                    "to trust among those they describe"),
    AP_INIT_TAKE1("HelpdeskSSOSAMLIdPSLOURL", HDSSO_CMD((set_text<&ServerConfig::idp_slo_url, true>)), nullptr, RSRC_CONF,
                  "the IdP's single logout URL (HTTP-Redirect), with HelpdeskSSOSAMLIdPCertFile"),
    AP_INIT_TAKE1("HelpdeskSSOSAMLIdPSSOURL", HDSSO_CMD((set_text<&ServerConfig::idp_sso_url, true>)), nullptr, RSRC_CONF,
                  "the IdP's SSO URL (HTTP-Redirect), with HelpdeskSSOSAMLIdPCertFile"),
    AP_INIT_TAKE1("HelpdeskSSOSAMLSignaturePolicy", HDSSO_CMD(set_policy), nullptr, RSRC_CONF,
                  "what must be signed: assertion, response, both or either (default either)"),
    AP_INIT_ITERATE("HelpdeskSSOSAMLAllowLegacy", HDSSO_CMD(add_legacy), nullptr, RSRC_CONF,
                    "weak algorithms to accept from this IdP: sha1, rsa1024, xmlenc-cbc, rsa1_5 (default none)"),
    AP_INIT_TAKE1("HelpdeskSSOSAMLSignatureAlgorithm", HDSSO_CMD(set_signature_algorithm), nullptr, RSRC_CONF,
                  "how the SP signs AuthnRequests and logout messages: rsa-sha256 (default), rsa-sha384, "
                  "rsa-sha512, or rsa-sha1 (with HelpdeskSSOSAMLAllowLegacy sha1)"),
    AP_INIT_FLAG("HelpdeskSSOSAMLAllowUnsolicited", HDSSO_CMD(set_flag<&ServerConfig::unsolicited>), nullptr, RSRC_CONF,
                 "accept IdP-initiated sign-in (default Off)"),
    AP_INIT_TAKE1("HelpdeskSSOSAMLSkew", HDSSO_CMD(set_skew), nullptr, RSRC_CONF,
                  "seconds of clock skew accepted in the IdP's time windows (default 180)"),
    AP_INIT_FLAG("HelpdeskSSOSAMLForceAuthn", HDSSO_CMD(set_flag<&ServerConfig::force_authn>), nullptr, RSRC_CONF,
                 "ask the IdP to authenticate the user again (default Off)"),
    AP_INIT_TAKE_ARGV("HelpdeskSSOSAMLAttribute", HDSSO_CMD(set_attribute), nullptr, RSRC_CONF,
                      "ROLE NAME...: the attribute names that give a role (email, firstName, lastName, displayName, "
                      "groups), instead of the default lookup list"),
    AP_INIT_TAKE1("HelpdeskSSOSAMLNameIDFormat", HDSSO_CMD(set_name_id_format), nullptr, RSRC_CONF,
                  "NameID format requested: email, persistent, transient, unspecified or a URI (default email)"),
    {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
    };
    return table;
}

}  // namespace hdsso::mod
