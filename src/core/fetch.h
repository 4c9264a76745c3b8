// Fetching a document over HTTPS with libcurl, for what the module refreshes
// in the background (IdP metadata, key sets, OpenID discovery) and the CLI's
// fetch-metadata, and the back-channel requests of an OpenID Connect sign-in
// (token and userinfo endpoints): TLS peer and host verified (the system's
// CAs, or a CA file of the site's), bounded in time and size, redirects only
// to https (and never for a POST).
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

#include "core/error.h"

namespace hdsso {

struct FetchOptions {
    std::string url;                 // https://... (http:// only with allow_plain_http)
    std::string ca_file;             // PEM CA certificates to trust instead of the system's; "" for the system's
    long timeout_seconds = 30;       // the whole transfer
    std::size_t max_bytes = 16u << 20;
    bool allow_plain_http = false;   // for a document whose signature is checked
    const std::atomic<bool>* cancel = nullptr;  // set: the transfer stops soon after (a child exiting)
};

// The body of a 2xx answer; metadata.fetch_failed naming the URL and
// libcurl's reason otherwise (no TLS, certificate not trusted, timeout, HTTP
// status, over max_bytes).
Result<std::string> fetch_url(const FetchOptions& o);

// A request whose answer is read whatever its status (an OAuth endpoint
// answers errors as JSON with 400 or 401).
struct HttpRequestParts {
    bool post = false;                 // POST `body` (never redirected), else GET
    std::string body;
    std::string content_type;          // of the body
    std::vector<std::string> headers;  // "Name: value" lines (Authorization, Accept)
};
struct HttpAnswer {
    long status = 0;
    std::string content_type;
    std::string body;
};
// The answer, whatever its HTTP status; metadata.fetch_failed for what
// fetch_url refuses before an answer (no TLS, untrusted certificate,
// timeout, over max_bytes).
Result<HttpAnswer> http_exchange(const FetchOptions& o, const HttpRequestParts& req);

}  // namespace hdsso
