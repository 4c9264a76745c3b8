// SAML metadata reading (src/saml): an IdP's metadata document, as an
// administrator installs it (HelpdeskSSOSAMLIdPMetadataFile), `hdsso saml
// fetch-metadata` fetches it, or HelpdeskSSOSAMLIdPMetadataURL fetches it
// again (check_fetched_metadata, with and without a required signer).
// Input: the document.
// Invariants: when saml_metadata_idps lists IdPs, none is empty; an SP set up from the document trusts IdPs that the listing
// names; and its own SP metadata is produced. A fetched document accepted
// names the same IdPs, is not past its validUntil, and one accepted with a
// signer is accepted without one.
#include "fuzz_common.h"

#include <algorithm>

#include "saml/metadata_refresh.h"
#include "saml/saml.h"

using namespace hdsso;

namespace {
std::string signer;  // tests/vectors/metadata-signing/signer.crt
constexpr std::int64_t kNow = 1800000000;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    saml_library_init();
    signer = fuzz::read_vector("metadata-signing/signer.crt");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto listed = saml_metadata_idps(text);
    if (listed) {
        FUZZ_CHECK(!listed.value().empty(), "success with no IdP");
        for (const auto& e : listed.value()) FUZZ_CHECK(!e.empty(), "an empty entity ID listed");
    }
    auto fetched = check_fetched_metadata(text, "", kNow);
    if (fetched) {
        FUZZ_CHECK(listed.ok() && listed.value() == fetched.value().idps, "a fetched document names other IdPs");
        // Not expired: its root, and at least one of its IdPs (in an
        // aggregate a stale entity alone is refused per IdP, not here).
        const CheckedMetadata& m = fetched.value();
        FUZZ_CHECK(!m.root_valid_until || m.root_valid_until > kNow, "metadata with an expired root accepted");
        bool live = false;
        for (const auto& id : m.idps) {
            auto it = m.idp_valid_until.find(id);
            live = live || it == m.idp_valid_until.end() || !it->second || it->second > kNow;
        }
        FUZZ_CHECK(live, "metadata whose every IdP is expired accepted");
        FUZZ_CHECK(fetched.value().cache_duration >= 0, "a negative cacheDuration");
    }
    auto signed_by = check_fetched_metadata(text, signer, kNow);
    FUZZ_CHECK(!signed_by || fetched, "accepted with a signer, refused without one");
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
