#include "saml/metadata_refresh.h"

#include <algorithm>
#include <limits>

#include <xmlsec/crypto.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>

#include "saml/metadata.h"
#include "saml/xml.h"

namespace hdsso {

using samlxml::err;

namespace {

using XmlSecDSigCtxPtr = CPtr<xmlSecDSigCtx, xmlSecDSigCtxDestroy>;

// The one enveloped signature over the whole root, by the signer's key.
Result<void> verify_root_signature(xmlDoc* doc, const std::string& cert_pem) {
    using namespace samlxml;
    xmlNode* root = xmlDocGetRootElement(doc);
    std::size_t signatures = children(root, kNsDs, "Signature").size();
    if (signatures == 0) return err(Status::metadata_unsigned, "the metadata is not signed");
    if (signatures > 1) return err(Status::metadata_bad_signature, "the metadata carries more than one signature");
    xmlNode* sig = signature_of(root);
    // A reference "#ID" must name the root: xmlsec resolves it through the
    // document's IDs, so the root's ID (and nothing else) is registered.
    std::string id = attr(root, "ID");
    if (!id.empty()) {
        xmlAttr* a = xmlHasProp(root, BAD_CAST "ID");
        if (!xmlGetID(doc, BAD_CAST id.c_str())) xmlAddID(nullptr, doc, BAD_CAST id.c_str(), a);
        // An xml:id elsewhere that libxml2 registered first must not be
        // what "#ID" resolves to.
        xmlAttr* found = xmlGetID(doc, BAD_CAST id.c_str());
        if (!found || found->parent != root)
            return err(Status::metadata_bad_signature, "the metadata's ID names another element than its root");
    }
    XmlSecDSigCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));
    if (!ctx) return err(Status::internal, "xmlsec: no signature context");
    ctx->signKey = xmlSecCryptoAppKeyLoadMemory(reinterpret_cast<const xmlSecByte*>(cert_pem.data()), cert_pem.size(),
                                                xmlSecKeyDataFormatCertPem, nullptr, nullptr, nullptr);
    if (!ctx->signKey) return err(Status::config_invalid, "the metadata signing certificate does not load");
    ctx->enabledReferenceUris = static_cast<xmlSecTransformUriType>(xmlSecTransformUriTypeEmpty |
                                                                    xmlSecTransformUriTypeSameDocument);
    // What a metadata signature needs and nothing more, before xmlsec runs
    // any transform the document asks for: no Manifests, no XPath/XSLT, no
    // SHA-1.
    ctx->flags |= XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
    for (xmlSecTransformId t : {xmlSecTransformEnvelopedId, xmlSecTransformExclC14NId, xmlSecTransformInclC14NId,
                                xmlSecTransformSha256Id, xmlSecTransformSha384Id, xmlSecTransformSha512Id})
        if (xmlSecDSigCtxEnableReferenceTransform(ctx.get(), t) < 0)
            return err(Status::internal, "xmlsec: cannot restrict the reference transforms");
    for (xmlSecTransformId t : {xmlSecTransformExclC14NId, xmlSecTransformInclC14NId, xmlSecTransformRsaSha256Id,
                                xmlSecTransformRsaSha384Id, xmlSecTransformRsaSha512Id, xmlSecTransformEcdsaSha256Id,
                                xmlSecTransformEcdsaSha384Id, xmlSecTransformEcdsaSha512Id})
        if (xmlSecDSigCtxEnableSignatureTransform(ctx.get(), t) < 0)
            return err(Status::internal, "xmlsec: cannot restrict the signature transforms");
    if (xmlSecDSigCtxVerify(ctx.get(), sig) < 0 || ctx->status != xmlSecDSigStatusSucceeded)
        return err(Status::metadata_bad_signature, "the metadata's signature does not verify with the configured certificate");
    if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1)
        return err(Status::metadata_bad_signature, "the metadata's signature must have exactly one reference");
    auto* ref = static_cast<xmlSecDSigReferenceCtxPtr>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0));
    std::string uri = ref && ref->uri ? reinterpret_cast<const char*>(ref->uri) : "";
    if (!uri.empty() && (id.empty() || uri != "#" + id))
        return err(Status::metadata_bad_signature, "the metadata's signature does not cover its root element");
    return {};
}

// The earliest validUntil and the shortest cacheDuration of the document's
// EntitiesDescriptor and EntityDescriptor elements, and each entity's own
// validUntil with those around it (`inherited`).
Result<void> read_validity(xmlNode* n, CheckedMetadata& m, std::int64_t inherited, bool root) {
    using namespace samlxml;
    if (!is(n, kNsMd, "EntitiesDescriptor") && !is(n, kNsMd, "EntityDescriptor")) return {};
    std::int64_t own = 0;
    if (std::string v = attr(n, "validUntil"); !v.empty()) {
        auto t = parse_saml_time(v);
        if (!t) return err(Status::config_invalid, "the metadata's validUntil is not a dateTime: " + v.substr(0, 40));
        own = t.value();
        if (!m.valid_until || own < m.valid_until) m.valid_until = own;
    }
    if (root) m.root_valid_until = own;
    std::int64_t effective = !own ? inherited : !inherited ? own : std::min(own, inherited);
    if (std::string d = attr(n, "cacheDuration"); !d.empty()) {
        auto s = parse_xs_duration(d);
        if (!s) return s.error();
        if (!m.cache_duration || s.value() < m.cache_duration) m.cache_duration = s.value();
    }
    if (is(n, kNsMd, "EntityDescriptor")) {
        if (std::string id = attr(n, "entityID"); !id.empty()) m.idp_valid_until[id] = effective;
        return {};
    }
    for (xmlNode* c = n->children; c; c = c->next)
        if (auto r = read_validity(c, m, effective, false); !r) return r;
    return {};
}

}  // namespace

namespace {

Result<CheckedMetadata> read_metadata(std::string_view xml, const std::string* signer_cert_pem) {
    saml_library_init();
    auto idps = saml_metadata_idps(xml);
    if (!idps) return idps.error();
    auto doc = samlxml::parse_untrusted_xml(xml, Status::config_invalid, "the metadata");
    if (!doc) return doc.error();
    if (signer_cert_pem && !signer_cert_pem->empty())
        if (auto v = verify_root_signature(doc.value().get(), *signer_cert_pem); !v) return v.error();
    CheckedMetadata m;
    m.idps = std::move(idps.value());
    if (auto r = read_validity(xmlDocGetRootElement(doc.value().get()), m, 0, true); !r) return r.error();
    // Only the IdPs: an aggregate's SPs are nothing to this site.
    for (auto it = m.idp_valid_until.begin(); it != m.idp_valid_until.end();)
        it = std::find(m.idps.begin(), m.idps.end(), it->first) == m.idps.end() ? m.idp_valid_until.erase(it)
                                                                                 : std::next(it);
    return m;
}

}  // namespace

Result<CheckedMetadata> read_metadata_validity(std::string_view xml) { return read_metadata(xml, nullptr); }

Result<CheckedMetadata> check_fetched_metadata(std::string_view xml, const std::string& signer_cert_pem,
                                               std::int64_t now) {
    auto read = read_metadata(xml, &signer_cert_pem);
    if (!read) return read.error();
    CheckedMetadata m = std::move(read.value());
    if (m.root_valid_until && m.root_valid_until <= now)
        return err(Status::metadata_expired, "the metadata's validUntil has passed");
    bool any_valid = false;
    for (const auto& id : m.idps) {
        auto it = m.idp_valid_until.find(id);
        any_valid = any_valid || it == m.idp_valid_until.end() || !it->second || it->second > now;
    }
    if (!any_valid) return err(Status::metadata_expired, "every IdP in the metadata is past its validUntil");
    return m;
}

std::int64_t metadata_refresh_delay(const CheckedMetadata& m, std::int64_t interval, std::int64_t now,
                                    std::int64_t floor) {
    std::int64_t delay = interval;
    if (m.cache_duration) delay = std::min(delay, m.cache_duration);
    // The next validUntil still ahead (a stale entity of an aggregate does
    // not make every refresh due at once).
    std::int64_t next = 0;
    for (const auto& [id, t] : m.idp_valid_until)
        if (t > now && (!next || t < next)) next = t;
    if (m.root_valid_until > now && (!next || m.root_valid_until < next)) next = m.root_valid_until;
    if (next) delay = std::min(delay, (next - now) / 2);
    return std::max(delay, floor);
}

Result<std::int64_t> parse_xs_duration(std::string_view t) {
    auto bad = [&] { return err(Status::config_invalid, "not an xs:duration: " + std::string(t.substr(0, 40))); };
    if (t.size() < 3 || t[0] != 'P') return bad();
    std::int64_t total = 0;
    bool in_time = false, any = false;
    std::size_t i = 1;
    while (i < t.size()) {
        if (t[i] == 'T') {
            if (in_time || i + 1 == t.size()) return bad();
            in_time = true;
            ++i;
            continue;
        }
        std::int64_t n = 0;
        std::size_t start = i;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
            if (n > std::numeric_limits<std::int64_t>::max() / 1000) return bad();
            n = n * 10 + (t[i++] - '0');
        }
        if (i == start || i == t.size()) return bad();
        if (t[i] == '.') {  // a fraction: seconds only, dropped
            ++i;
            std::size_t f = i;
            while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
            if (i == f || i == t.size() || t[i] != 'S' || !in_time) return bad();
        }
        std::int64_t unit;
        switch (t[i]) {
        case 'Y': unit = in_time ? 0 : 365 * 86400; break;
        case 'M': unit = in_time ? 60 : 30 * 86400; break;
        case 'W': unit = in_time ? 0 : 7 * 86400; break;
        case 'D': unit = in_time ? 0 : 86400; break;
        case 'H': unit = in_time ? 3600 : 0; break;
        case 'S': unit = in_time ? 1 : 0; break;
        default: return bad();
        }
        if (!unit || n > (std::numeric_limits<std::int64_t>::max() - total) / unit) return bad();
        total += n * unit;
        any = true;
        ++i;
    }
    if (!any) return bad();
    return total;
}

}  // namespace hdsso
