// IdP metadata fetched from a URL (HelpdeskSSOSAMLIdPMetadataURL): the checks
// a document passes before it replaces the one in use, and when to fetch it
// again. As Shibboleth's MetadataProvider with a Signature filter and
// RequireValidUntil off: the previous document stays in use whenever a new
// one fails any check.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace hdsso {

struct CheckedMetadata {
    std::vector<std::string> idps;   // the entity IDs it describes
    std::int64_t valid_until = 0;    // the earliest validUntil in it (0: none)
    std::int64_t root_valid_until = 0;  // the root element's own (0: none)
    // Each IdP's: the earliest of its EntityDescriptor's validUntil and
    // those of the EntitiesDescriptors around it (0: none).
    std::map<std::string, std::int64_t> idp_valid_until;
    std::int64_t cache_duration = 0; // the shortest cacheDuration in it, seconds (0: none)
};

// A metadata document as fetched: SAML metadata describing at least one IdP
// (config.invalid otherwise, as saml_metadata_idps); its root not past its
// validUntil, and at least one IdP not past its own (metadata.expired: in an
// aggregate, a stale entity alone does not refuse the document; the SAML
// code refuses that IdP); and, when `signer_cert_pem` is given, carrying
// one enveloped XML signature over its whole root element that verifies with
// that certificate's key (metadata.unsigned, metadata.bad_signature:
// another key, a changed document, a reference to anything but the root,
// SHA-1).
Result<CheckedMetadata> check_fetched_metadata(std::string_view xml, const std::string& signer_cert_pem,
                                               std::int64_t now);

// What check_fetched_metadata reads, without its checks of time and
// signature: for a document already in use.
Result<CheckedMetadata> read_metadata_validity(std::string_view xml);

// Seconds until the next fetch after a good one: `interval`, shortened to the
// document's cacheDuration and to half the time left before its validUntil;
// never under `floor`.
std::int64_t metadata_refresh_delay(const CheckedMetadata& m, std::int64_t interval, std::int64_t now,
                                    std::int64_t floor);

// xs:duration as metadata uses it ("PT6H", "P1D", "P1DT30M", "PT90.5S"):
// whole seconds (a year as 365 days, a month as 30). config.invalid for
// anything else, a negative duration included.
Result<std::int64_t> parse_xs_duration(std::string_view text);

}  // namespace hdsso
