#include "saml/xml.h"

#include <algorithm>
#include <cstring>
#include <initializer_list>

#include <optional>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <zlib.h>

#include "url/query.h"

namespace hdsso::samlxml {

namespace {
const char* const kRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
}  // namespace

// ---- small XML helpers --------------------------------------------------------

const char* name_of(const xmlNode* n) { return n ? reinterpret_cast<const char*>(n->name) : ""; }

xmlNode* signature_of(xmlNode* node) { return child(node, kNsDs, "Signature"); }

// ---- Lasso's failure codes ----------------------------------------------------

Error lasso_error(int rc, const std::string& what) {
    switch (rc) {
    case LASSO_DS_ERROR_SIGNATURE_NOT_FOUND:
    case LASSO_DS_ERROR_INVALID_SIGALG:  // HTTP-Redirect without SigAlg: not signed
        return err(Status::saml_unsigned, what + " is not signed");
    case LASSO_DS_ERROR_SIGNATURE_VERIFICATION_FAILED:
    case LASSO_DS_ERROR_INVALID_SIGNATURE:
        return err(Status::saml_bad_signature, what + ": Lasso: " + lasso_strerror(rc));
    case LASSO_SERVER_ERROR_PROVIDER_NOT_FOUND:
        return err(Status::saml_unknown_idp, what + " comes from an issuer that is not a configured IdP");
    case LASSO_PROFILE_ERROR_INVALID_ISSUER:
        return err(Status::saml_issuer_mismatch, what + ": Lasso: " + lasso_strerror(rc));
    case LASSO_PROFILE_ERROR_STATUS_NOT_SUCCESS:
        return err(Status::saml_not_authorized, what + ": the IdP's status is not Success");
    default:
        return err(Status::saml_malformed, what + ": Lasso: " + lasso_strerror(rc));
    }
}


bool is(const xmlNode* n, const xmlChar* ns, const char* name) {
    return n && n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, ns) &&
           xmlStrEqual(n->name, BAD_CAST name);
}

std::vector<xmlNode*> children(xmlNode* parent, const xmlChar* ns, const char* name) {
    std::vector<xmlNode*> out;
    for (xmlNode* c = parent ? parent->children : nullptr; c; c = c->next)
        if (is(c, ns, name)) out.push_back(c);
    return out;
}

xmlNode* child(xmlNode* parent, const xmlChar* ns, const char* name) {
    auto c = children(parent, ns, name);
    return c.empty() ? nullptr : c.front();
}

std::string attr(xmlNode* n, const char* name) {
    if (!n) return {};
    XmlStringPtr v(xmlGetProp(n, BAD_CAST name));
    return v ? std::string(reinterpret_cast<char*>(v.get())) : std::string();
}

bool has_attr(xmlNode* n, const char* name) { return n && xmlHasProp(n, BAD_CAST name); }

// Every text below the node, comments left out: "a<!-- x -->b" is "ab".
std::string text_of(xmlNode* n) {
    XmlStringPtr v(n ? xmlNodeGetContent(n) : nullptr);
    return v ? std::string(reinterpret_cast<char*>(v.get())) : std::string();
}

namespace {

// SAX callbacks that stop the parser at a DOCTYPE (or, should one come
// without it, a declaration), and say so through ctxt->_private.
void stop_at_dtd(xmlParserCtxtPtr ctxt) {
    *static_cast<bool*>(ctxt->_private) = true;
    xmlStopParser(ctxt);
}
void on_subset(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
    stop_at_dtd(static_cast<xmlParserCtxtPtr>(ctx));
}
void on_entity(void* ctx, const xmlChar*, int, const xmlChar*, const xmlChar*, xmlChar*) {
    stop_at_dtd(static_cast<xmlParserCtxtPtr>(ctx));
}
void on_notation(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
    stop_at_dtd(static_cast<xmlParserCtxtPtr>(ctx));
}
void on_unparsed(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*, const xmlChar*) {
    stop_at_dtd(static_cast<xmlParserCtxtPtr>(ctx));
}
void on_element(void* ctx, const xmlChar*, int, xmlElementContentPtr) { stop_at_dtd(static_cast<xmlParserCtxtPtr>(ctx)); }
void on_attribute(void* ctx, const xmlChar*, const xmlChar*, int, int, const xmlChar*, xmlEnumerationPtr tree) {
    if (tree) xmlFreeEnumeration(tree);  // the callback owns it
    stop_at_dtd(static_cast<xmlParserCtxtPtr>(ctx));
}

using ParserCtxtPtr = CPtr<xmlParserCtxt, xmlFreeParserCtxt>;

}  // namespace

Result<XmlDocPtr> parse_untrusted_xml(std::string_view xml, Status code, const std::string& what) {
    if (xml.empty()) return err(code, what + " is empty");
    if (xml.size() > 64 * 1024 * 1024) return err(code, what + " is too large");
    ParserCtxtPtr ctxt(xmlNewParserCtxt());
    if (!ctxt || !ctxt->sax) return err(Status::internal, "libxml2: no parser context");
    bool dtd = false;
    ctxt->_private = &dtd;
    ctxt->sax->internalSubset = on_subset;
    ctxt->sax->externalSubset = on_subset;
    ctxt->sax->entityDecl = on_entity;
    ctxt->sax->unparsedEntityDecl = on_unparsed;
    ctxt->sax->notationDecl = on_notation;
    ctxt->sax->elementDecl = on_element;
    ctxt->sax->attributeDecl = on_attribute;
    // No encoding given: libxml2 detects it (byte-order mark, "<?xml"
    // in UTF-16/UTF-32, the declaration), as Lasso's own parse will.
    XmlDocPtr doc(xmlCtxtReadMemory(ctxt.get(), xml.data(), static_cast<int>(xml.size()), "saml.xml", nullptr,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
    if (dtd || (doc && (doc->intSubset || doc->extSubset)))
        return err(code, what + ": a DOCTYPE (DTD or entity declarations) is not allowed");
    if (!doc || !ctxt->wellFormed) return err(code, what + " is not well-formed XML");
    if (auto fatal = lasso_fatal_construct(xmlDocGetRootElement(doc.get())); !fatal.empty())
        return err(code, what + ": " + fatal);
    return doc;
}

namespace {

const xmlChar* const kNsEcp = BAD_CAST "urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp";
const xmlChar* const kNsPaos = BAD_CAST "urn:liberty:paos:2003-08";

bool same_ns(const xmlNode* n, const xmlChar* ns) { return n->ns && n->ns->href && xmlStrEqual(n->ns->href, ns); }

// How many direct children of `n` Lasso would take for one of `names`: those
// in the assertion namespace; `foreign` when one of those names appears in
// another namespace (refused, whether Lasso would count it or not).
int identifier_children(xmlNode* n, std::initializer_list<const char*> names, bool& foreign) {
    int count = 0;
    for (xmlNode* c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        for (const char* name : names)
            if (xmlStrEqual(c->name, BAD_CAST name)) {
                if (same_ns(c, kNsSaml)) ++count;
                else foreign = true;
            }
    }
    return count;
}

}  // namespace

std::string lasso_fatal_construct(xmlNode* root) {
    for (xmlNode* n = root; n;) {
        if (n->type == XML_ELEMENT_NODE) {
            if (same_ns(n, kNsEcp) || same_ns(n, kNsPaos))
                return std::string("an ECP or PAOS element (") + name_of(n) + ") is not accepted here";
            bool logout = same_ns(n, kNsSamlp) && xmlStrEqual(n->name, BAD_CAST "LogoutRequest");
            bool manage = same_ns(n, kNsSamlp) && xmlStrEqual(n->name, BAD_CAST "ManageNameIDRequest");
            if (logout || manage) {
                bool foreign = false;
                int ids = logout ? identifier_children(n, {"BaseID", "NameID", "EncryptedID"}, foreign)
                                 : identifier_children(n, {"NameID", "EncryptedID"}, foreign);
                if (ids != 1 || foreign)
                    return std::string("a samlp:") + name_of(n) + " must name exactly one " +
                           (logout ? "saml:BaseID, saml:NameID or saml:EncryptedID" : "saml:NameID or saml:EncryptedID");
            }
        }
        // Depth first, without recursion (no stack to exhaust).
        if (n->children && n->type == XML_ELEMENT_NODE) {
            n = n->children;
            continue;
        }
        while (n && n != root && !n->next) n = n->parent;
        if (!n || n == root) break;
        n = n->next;
    }
    return {};
}

namespace {

// Raw DEFLATE (RFC 1951), as the HTTP-Redirect binding sends it; nullopt
// when it does not inflate or inflates beyond `max` bytes.
std::optional<std::string> inflate_raw(const std::string& in, std::size_t max) {
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return std::nullopt;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    std::string out;
    int rc = Z_OK;
    char buf[16384];
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(buf, sizeof buf - z.avail_out);
        if (out.size() > max) rc = Z_BUF_ERROR;
        if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) rc = Z_BUF_ERROR;  // truncated
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END) return std::nullopt;
    return out;
}

}  // namespace

Result<std::string> check_redirect_message(std::string_view query, const char* param, const char* root_name,
                                           std::size_t max) {
    auto params = parse_query(query);
    if (!params) return err(Status::saml_malformed, "the query: " + params.error().detail);
    const std::string* value = nullptr;
    for (const auto& [k, v] : params.value()) {
        if (k != param) continue;
        if (value) return err(Status::saml_malformed, std::string(param) + " appears more than once");
        value = &v;
    }
    if (!value || value->empty()) return err(Status::saml_malformed, std::string("no ") + param + " in the query");
    auto deflated = base64_decode_lenient(*value);
    if (!deflated) return err(Status::saml_malformed, std::string(param) + " is not base64");
    auto xml = inflate_raw(deflated.value(), max);
    if (!xml) return err(Status::saml_malformed, std::string(param) + " does not inflate (raw DEFLATE, at most " +
                                                     std::to_string(max / 1024) + " KiB)");
    auto doc = parse_untrusted_xml(xml.value(), Status::saml_malformed, param);
    if (!doc) return doc.error();
    xmlNode* root = doc.value() ? xmlDocGetRootElement(doc.value().get()) : nullptr;
    // Lasso reads the message as this type whatever its root is.
    if (!is(root, kNsSamlp, root_name))
        return err(Status::saml_malformed, std::string(param) + " is not a samlp:" + root_name);
    xmlNode* issuer = child(root, kNsSaml, "Issuer");
    return issuer ? text_of(issuer) : std::string();
}

std::string serialise(xmlDoc* doc) {
    xmlChar* out = nullptr;
    int len = 0;
    xmlDocDumpMemoryEnc(doc, &out, &len, "UTF-8");
    std::string s(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
    xmlFree(out);
    return s;
}

// ---- base64 (standard alphabet, line breaks allowed, as posted) -----------------

Result<std::string> base64_decode_lenient(std::string_view in) {
    std::string clean;
    clean.reserve(in.size());
    for (char c : in)
        if (c != '\r' && c != '\n' && c != ' ' && c != '\t') clean += c;
    if (clean.empty() || clean.size() % 4 != 0) return err(Status::saml_malformed, "SAMLResponse is not base64");
    std::string out(clean.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
    if (n < 0) return err(Status::saml_malformed, "SAMLResponse is not base64");
    std::size_t pad = clean.size() - clean.find_last_not_of('=') - 1;
    if (pad > 2) return err(Status::saml_malformed, "SAMLResponse is not base64");
    out.resize(static_cast<std::size_t>(n) - pad);
    return out;
}

std::string base64_encode_std(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// ---- certificates -----------------------------------------------------------------

std::string pem_body(const std::string& pem) {
    std::string out;
    bool in = false;
    std::size_t pos = 0;
    while (pos < pem.size()) {
        std::size_t end = pem.find('\n', pos);
        if (end == std::string::npos) end = pem.size();
        std::string line = pem.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind("-----BEGIN", 0) == 0) in = true;
        else if (line.rfind("-----END", 0) == 0) break;
        else if (in) out += line;
        pos = end + 1;
    }
    return out;
}

// The key size of a base64 DER certificate (0 if it does not parse).
int cert_bits(const std::string& b64) {
    auto der = base64_decode_lenient(b64);
    if (!der) return 0;
    auto p = reinterpret_cast<const unsigned char*>(der.value().data());
    CPtr<X509, X509_free> cert(d2i_X509(nullptr, &p, static_cast<long>(der.value().size())));
    if (!cert) return 0;
    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    return key ? EVP_PKEY_get_bits(key) : 0;
}

// A configured fingerprint as (digest, raw bytes); the digest is told by the
// length: SHA-256 (32 bytes) or SHA-1 (20 bytes, a legacy allowance).
Result<std::pair<const EVP_MD*, std::string>> parse_fingerprint(const std::string& text) {
    std::string t = text;
    for (const char* prefix : {"sha256:", "sha-256:", "sha1:", "sha-1:"})
        if (t.size() > std::strlen(prefix) && strncasecmp(t.c_str(), prefix, std::strlen(prefix)) == 0) {
            t = t.substr(std::strlen(prefix));
            break;
        }
    std::string hex;
    for (char c : t)
        if (c != ':' && c != ' ') hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto raw = hex_decode_lower(hex);
    if (!raw || (raw.value().size() != 32 && raw.value().size() != 20))
        return err(Status::config_invalid, "a certificate fingerprint is 64 (SHA-256) or 40 (SHA-1) hex digits");
    return std::make_pair(raw.value().size() == 32 ? EVP_sha256() : EVP_sha1(), raw.value());
}

std::string der_digest(const std::string& der, const EVP_MD* md) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(der.data(), der.size(), out, &n, md, nullptr);
    return std::string(reinterpret_cast<char*>(out), n);
}

// ---- metadata ------------------------------------------------------------------------

// <md:EntityDescriptor entityID=...> with the md: and ds: namespaces.
xmlNode* new_entity(xmlDoc* doc, const std::string& entity_id, xmlNs*& md, xmlNs*& ds) {
    xmlNode* ed = xmlNewNode(nullptr, BAD_CAST "EntityDescriptor");
    xmlDocSetRootElement(doc, ed);
    md = xmlNewNs(ed, kNsMd, BAD_CAST "md");
    ds = xmlNewNs(ed, kNsDs, BAD_CAST "ds");
    xmlSetNs(ed, md);
    xmlNewProp(ed, BAD_CAST "entityID", BAD_CAST entity_id.c_str());
    return ed;
}

void add_key(xmlNode* role, xmlNs* md, xmlNs* ds, const char* use, const std::string& cert_pem) {
    xmlNode* kd = xmlNewChild(role, md, BAD_CAST "KeyDescriptor", nullptr);
    xmlNewProp(kd, BAD_CAST "use", BAD_CAST use);
    xmlNode* ki = xmlNewChild(kd, ds, BAD_CAST "KeyInfo", nullptr);
    xmlNode* xd = xmlNewChild(ki, ds, BAD_CAST "X509Data", nullptr);
    xmlNewTextChild(xd, ds, BAD_CAST "X509Certificate", BAD_CAST pem_body(cert_pem).c_str());
}

void add_endpoint(xmlNode* role, xmlNs* md, const char* name, const char* binding, const std::string& location) {
    xmlNode* e = xmlNewChild(role, md, BAD_CAST name, nullptr);
    xmlNewProp(e, BAD_CAST "Binding", BAD_CAST binding);
    xmlNewProp(e, BAD_CAST "Location", BAD_CAST location.c_str());
}

std::string idp_metadata(const SamlIdpSettings& idp) {
    XmlDocPtr doc(xmlNewDoc(BAD_CAST "1.0"));
    xmlNs *md, *ds;
    xmlNode* ed = new_entity(doc.get(), idp.entity_id, md, ds);
    xmlNode* idpd = xmlNewChild(ed, md, BAD_CAST "IDPSSODescriptor", nullptr);
    xmlNewProp(idpd, BAD_CAST "protocolSupportEnumeration", kNsSamlp);
    if (!idp.cert_pem.empty()) add_key(idpd, md, ds, "signing", idp.cert_pem);
    if (!idp.slo_url.empty()) add_endpoint(idpd, md, "SingleLogoutService", kRedirect, idp.slo_url);
    add_endpoint(idpd, md, "SingleSignOnService", kRedirect, idp.sso_url.empty() ? "https://idp.invalid/sso" : idp.sso_url);
    return serialise(doc.get());
}

std::string sp_metadata(const SamlSpSettings& sp) {
    // What the site does: with a key it signs every request (and can decrypt);
    // without one it signs nothing and publishes no certificate.
    bool signs = !sp.key_pem.empty();
    XmlDocPtr doc(xmlNewDoc(BAD_CAST "1.0"));
    xmlNs *md, *ds;
    xmlNode* ed = new_entity(doc.get(), sp.entity_id, md, ds);
    xmlNode* spd = xmlNewChild(ed, md, BAD_CAST "SPSSODescriptor", nullptr);
    xmlNewProp(spd, BAD_CAST "AuthnRequestsSigned", BAD_CAST(signs ? "true" : "false"));
    xmlNewProp(spd, BAD_CAST "WantAssertionsSigned", BAD_CAST(sp.want_assertions_signed ? "true" : "false"));
    xmlNewProp(spd, BAD_CAST "protocolSupportEnumeration", kNsSamlp);
    if (signs) {
        // SAML V2.0 Metadata Profile for Algorithm Support: how it signs.
        xmlNode* ext = xmlNewChild(spd, md, BAD_CAST "Extensions", nullptr);
        xmlNs* alg = xmlNewNs(ext, BAD_CAST "urn:oasis:names:tc:SAML:metadata:algsupport", BAD_CAST "alg");
        xmlNode* method = xmlNewChild(ext, alg, BAD_CAST "SigningMethod", nullptr);
        xmlNewProp(method, BAD_CAST "Algorithm", BAD_CAST saml_signature_algorithm_uri(sp.signature_algorithm));
        // The current certificate, then (key rollover) the next one: an IdP
        // that takes one encryption certificate takes the first, which the
        // site decrypts with; one that checks signatures against every
        // signing certificate listed already trusts the next key when the
        // site switches to it.
        for (const std::string* cert : {&sp.cert_pem, &sp.next_cert_pem})
            if (!cert->empty())
                for (const char* use : {"signing", "encryption"}) add_key(spd, md, ds, use, *cert);
    }
    if (!sp.slo_url.empty()) add_endpoint(spd, md, "SingleLogoutService", kRedirect, sp.slo_url);
    xmlNewTextChild(spd, md, BAD_CAST "NameIDFormat", BAD_CAST sp.name_id_format.c_str());
    add_endpoint(spd, md, "AssertionConsumerService", "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", sp.acs_url);
    xmlNode* acs = spd->last;
    xmlNewProp(acs, BAD_CAST "index", BAD_CAST "0");
    xmlNewProp(acs, BAD_CAST "isDefault", BAD_CAST "true");
    return serialise(doc.get());
}

}  // namespace hdsso::samlxml
