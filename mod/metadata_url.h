// IdP metadata from a URL (HelpdeskSSOSAMLIdPMetadataURL): the directive's
// arguments, the document a site starts from (its backing file, fetched
// only when that is missing or unusable), and the background thread of each
// child that fetches it again and hands a new document to the SAML code,
// which rebuilds the site's SP and swaps it in for the next request. A
// document that fails to fetch or any check leaves the one in use.
#pragma once

#include "httpd.h"
#include "http_config.h"

#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "mod/url_refresh.h"

namespace hdsso::mod {

// url, backing, refresh, ca_file: see UrlSource (plain http only with a signer).
struct MetadataUrl : UrlSource {
    const char* signer_pem;   // required signer's certificate, or null
    const char* signer_path;
};

// "URL BACKING-FILE [refresh=SECONDS] [signer=CERT-FILE] [ca=CA-FILE]".
const char* parse_metadata_url(cmd_parms* cmd, int argc, char* const argv[], const MetadataUrl*& out);

// The document to start from: the backing file when it passes the checks;
// else, when `may_fetch`, fetched now and written to the backing file. The
// error names the URL, the file and both reasons.
Result<std::string> startup_metadata(server_rec* s, const MetadataUrl& u, bool may_fetch);

// One URL source of one site, for the refresh thread (url_refresh.h):
// `apply` rebuilds the site with a new document (its error: the document is
// not used). The checks and the log lines (HDSSO070-076) are the metadata's.
RefreshJob metadata_refresh_job(server_rec* s, const MetadataUrl* u, std::string current,
                                std::function<Result<void>(const std::string&)> apply);

}  // namespace hdsso::mod
