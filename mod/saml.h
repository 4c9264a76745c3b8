// SAML per virtual host: the HelpdeskSSOSAML* directives (server and
// virtual-host scope: an SP has one entity ID and one ACS URL per site), and
// the SP built from them once at startup.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "httpd.h"
#include "http_config.h"

#include "helpdesk/site_check.h"
#include "saml/saml.h"

namespace hdsso::mod {

void* create_server_config(apr_pool_t* p, server_rec* s);
void* merge_server_config(apr_pool_t* p, void* base, void* add);
// The HelpdeskSSOSAML* directives (ends with an empty entry).
const command_rec* saml_commands();

// Builds every virtual host's SP (post_config). !OK, with the reason logged,
// when a configuration cannot be built.
int saml_post_config(apr_pool_t* pconf, server_rec* s);
// The SAML part of a site's configuration check; `try_build`: build the SP
// to learn whether it can be (before post_config), else read the built one.
void saml_site_facts(server_rec* s, SiteFacts& f, bool try_build);
// The SHA-256 fingerprints of this virtual host's SP certificates, as
// (what it is, fingerprint): the current one, then the next one of a key
// rollover; empty when none is configured.
std::vector<std::pair<std::string, std::string>> saml_sp_certificates(server_rec* s);
// This virtual host's SP, or nullptr when SAML is not configured here.
std::shared_ptr<SamlSp> saml_sp(request_rec* r);
// child_init: the background refresh of every HelpdeskSSOSAMLIdPMetadataURL.
void saml_child_init(apr_pool_t* pchild, server_rec* main);

}  // namespace hdsso::mod
