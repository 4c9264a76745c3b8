// SAML metadata reading (src/saml): an IdP's metadata document, as an
// administrator installs it (HelpdeskSSOSAMLIdPMetadataFile) or `hdsso saml
// fetch-metadata` fetches it. Input: the document.
// Invariants: when saml_metadata_idps lists IdPs, none is empty; an SP set up from the document trusts IdPs that the listing
// names; and its own SP metadata is produced.
#include "fuzz_common.h"

#include <algorithm>

#include "saml/saml.h"

using namespace hdsso;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    saml_library_init();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto listed = saml_metadata_idps(text);
    if (listed) {
        FUZZ_CHECK(!listed.value().empty(), "success with no IdP");
        for (const auto& e : listed.value()) FUZZ_CHECK(!e.empty(), "an empty entity ID listed");
    }
    SamlIdpSettings idp;
    idp.metadata_xml = std::string(text);
    SamlSpSettings sp;
    sp.entity_id = "https://helpdesk.example.com/sso/metadata";
    sp.acs_url = "https://helpdesk.example.com/sso/acs";
    auto s = SamlSp::create(sp, {idp});
    if (!s) return 0;
    FUZZ_CHECK(listed.ok(), "an SP was set up from metadata that saml_metadata_idps refuses");
    for (const auto& e : s.value()->idp_entity_ids())
        FUZZ_CHECK(std::find(listed.value().begin(), listed.value().end(), e) != listed.value().end(),
                   "the SP trusts an IdP the metadata listing does not name: " + e);
    FUZZ_CHECK(!s.value()->metadata().empty(), "no SP metadata");
    return 0;
}
