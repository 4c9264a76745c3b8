#include "saml/metadata.h"

#include <algorithm>
#include <utility>

#include "saml/xml.h"

namespace hdsso::samlxml {

std::vector<xmlNode*> select_idps(xmlNode* root, std::string_view entity_id) {
    std::vector<xmlNode*> out;
    auto visit = [&](auto& self, xmlNode* n) -> void {
        if (is(n, kNsMd, "EntityDescriptor")) {
            if (child(n, kNsMd, "IDPSSODescriptor") && (entity_id.empty() || attr(n, "entityID") == entity_id))
                out.push_back(n);
        } else if (is(n, kNsMd, "EntitiesDescriptor")) {
            for (xmlNode* c = n->children; c; c = c->next) self(self, c);
        }
    };
    visit(visit, root);
    return out;
}

std::vector<std::string> signing_certificates(xmlNode* entity) {
    std::vector<std::string> out;
    for (xmlNode* d : children(entity, kNsMd, "IDPSSODescriptor")) {
        for (xmlNode* kd : children(d, kNsMd, "KeyDescriptor")) {
            std::string use = attr(kd, "use");
            if (!use.empty() && use != "signing") continue;
            xmlNode* xd = child(child(kd, kNsDs, "KeyInfo"), kNsDs, "X509Data");
            for (xmlNode* c : children(xd, kNsDs, "X509Certificate")) out.push_back(text_of(c));
        }
    }
    return out;
}

namespace {

// SAML metadata's entityID is a required URI of at most 1024 characters
// (saml-metadata-2.0-os 2.3.2, saml-schema-metadata-2.0.xsd entityIDType).
Result<void> check_entity_id(const std::string& id) {
    if (id.empty()) return err(Status::config_invalid, "an IdP's md:EntityDescriptor has no entityID");
    if (id.size() > 1024)
        return err(Status::config_invalid, "an IdP's entityID is longer than the 1024 characters SAML allows");
    return {};
}

// The configured metadata, or one built from the certificate or the
// fingerprint (then `by_fingerprint`: the certificate comes in each response).
Result<std::string> configured_metadata(const SamlIdpSettings& idp, bool& by_fingerprint) {
    by_fingerprint = false;
    if (!idp.metadata_xml.empty()) return idp.metadata_xml;
    if (idp.cert_pem.empty() && idp.cert_fingerprint.empty())
        return err(Status::saml_no_certificate, "IdP " + idp.entity_id + ": no certificate and no metadata");
    if (idp.cert_pem.empty()) {
        auto fp = parse_fingerprint(idp.cert_fingerprint);
        if (!fp) return fp.error();
        if (fp.value().second.size() == 20 && !idp.legacy.sha1)
            return err(Status::saml_legacy_algorithm, "IdP " + idp.entity_id + ": a SHA-1 certificate fingerprint");
        by_fingerprint = true;
    }
    return idp_metadata(idp);
}

// The IdP an aggregate holds under `entity_id` (or its only IdP), as a
// document of its own.
Result<XmlDocPtr> pick_from_aggregate(xmlNode* root, const std::string& entity_id) {
    std::vector<xmlNode*> found = select_idps(root, entity_id);
    if (found.size() != 1)
        return err(Status::config_invalid, entity_id.empty() ? "the aggregate metadata holds " +
                                                                    std::to_string(found.size()) +
                                                                    " IdPs: name one (its entity ID)"
                                                              : "IdP " + entity_id + " is not in the aggregate metadata");
    XmlDocPtr single(xmlNewDoc(BAD_CAST "1.0"));
    xmlDocSetRootElement(single.get(), xmlDocCopyNode(found.front(), single.get(), 1));
    return single;
}

// Signing keys: at least one (unless it comes by fingerprint), and none
// under 2048 bits unless allowed.
Result<void> check_signing_keys(xmlNode* entity, const SamlIdpSettings& idp, bool by_fingerprint) {
    auto certificates = signing_certificates(entity);
    for (const auto& c : certificates) {
        int bits = cert_bits(c);
        if (bits == 0) return err(Status::saml_no_certificate, "IdP " + idp.entity_id + ": a certificate does not parse");
        if (bits < 2048 && !idp.legacy.rsa1024)
            return err(Status::saml_legacy_algorithm,
                       "IdP " + idp.entity_id + ": signing key of " + std::to_string(bits) + " bits");
    }
    if (certificates.empty() && !by_fingerprint)
        return err(Status::saml_no_certificate, "IdP " + idp.entity_id + ": no signing certificate");
    return {};
}

}  // namespace

Result<std::string> idp_entity_descriptor(SamlIdpSettings& idp) {
    bool by_fingerprint = false;
    auto metadata = configured_metadata(idp, by_fingerprint);
    if (!metadata) return metadata.error();
    auto parsed = parse_untrusted_xml(metadata.value(), Status::config_invalid, "IdP " + idp.entity_id + " metadata");
    if (!parsed) return parsed.error();
    XmlDocPtr doc = std::move(parsed.value());
    xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
    if (is(root, kNsMd, "EntitiesDescriptor")) {
        auto single = pick_from_aggregate(root, idp.entity_id);
        if (!single) return single.error();
        doc = std::move(single.value());
        root = xmlDocGetRootElement(doc.get());
        metadata = serialise(doc.get());
    }
    if (!is(root, kNsMd, "EntityDescriptor"))
        return err(Status::config_invalid, "IdP metadata is not an md:EntityDescriptor or md:EntitiesDescriptor");
    if (!idp.metadata_xml.empty() && !idp.entity_id.empty() && idp.entity_id != attr(root, "entityID"))
        return err(Status::config_invalid, "the metadata describes " + attr(root, "entityID") + ", not " + idp.entity_id);
    idp.entity_id = attr(root, "entityID");
    if (auto id = check_entity_id(idp.entity_id); !id) return id.error();
    // Lasso 2.8 reads protocolSupportEnumeration of each role it knows
    // with strtok_r, and crashes (NULL) when it is missing
    // (lasso_saml20_provider_load_metadata; found by fuzz_saml_metadata).
    for (const char* role : {"IDPSSODescriptor", "SPSSODescriptor", "AttributeAuthorityDescriptor", "PDPDescriptor",
                             "AuthnAuthorityDescriptor"})
        for (xmlNode* d : children(root, kNsMd, role))
            if (!has_attr(d, "protocolSupportEnumeration"))
                return err(Status::config_invalid, "IdP " + idp.entity_id + ": md:" + role +
                                                       " has no protocolSupportEnumeration (required by SAML metadata)");
    if (auto keys = check_signing_keys(root, idp, by_fingerprint); !keys) return keys.error();
    return metadata;
}

}  // namespace hdsso::samlxml

namespace hdsso {

using namespace samlxml;

Result<std::vector<std::string>> saml_metadata_idps(std::string_view metadata) {
    std::string xml(metadata);
    auto parsed = parse_untrusted_xml(xml, Status::config_invalid, "the metadata");
    if (!parsed) return parsed.error();
    XmlDocPtr doc = std::move(parsed.value());
    xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
    if (!is(root, kNsMd, "EntityDescriptor") && !is(root, kNsMd, "EntitiesDescriptor"))
        return err(Status::config_invalid, "not SAML metadata (md:EntityDescriptor or md:EntitiesDescriptor)");
    std::vector<std::string> ids;
    for (xmlNode* entity : select_idps(root)) {
        ids.push_back(attr(entity, "entityID"));
        if (auto id = check_entity_id(ids.back()); !id) return id.error();
    }
    if (ids.empty()) return err(Status::config_invalid, "the metadata describes no identity provider");
    return ids;
}

Result<std::vector<SamlIdpSettings>> saml_select_idps(const std::vector<std::string>& metadata,
                                                      const std::vector<std::string>& wanted,
                                                      const SamlIdpSettings& base) {
    std::vector<SamlIdpSettings> idps;
    for (const auto& doc : metadata) {
        auto found = saml_metadata_idps(doc);
        if (!found) return found.error();
        for (const auto& entity : found.value()) {
            if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), entity) == wanted.end()) continue;
            SamlIdpSettings one = base;
            one.metadata_xml = doc;
            one.entity_id = entity;
            idps.push_back(std::move(one));
        }
    }
    for (const auto& w : wanted) {
        bool seen = std::any_of(idps.begin(), idps.end(), [&](const SamlIdpSettings& i) { return i.entity_id == w; });
        if (!seen) return err(Status::config_invalid, "IdP " + w + " is in none of the metadata documents");
    }
    return idps;
}

}  // namespace hdsso
