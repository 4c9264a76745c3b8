// Whether a request without a session is a page the user navigates to (sign
// in: redirect to the IdP) or something a browser sends in the background
// (a fetch, an XHR, an image, a helpdesk polling for new tickets), which must
// get a 401 it can act on, never a redirect to a login page it cannot show,
// and must not touch a sign-in in progress.
#pragma once

#include <string_view>

namespace hdsso {

// The request headers that tell (empty: absent).
struct RequestHints {
    std::string_view sec_fetch_mode;
    std::string_view sec_fetch_dest;
    std::string_view x_requested_with;
    std::string_view accept;
};

// Fetch Metadata first: Sec-Fetch-Mode other than "navigate", or
// Sec-Fetch-Dest other than "document", "iframe" or "frame". Without it:
// X-Requested-With: XMLHttpRequest, or an Accept that does not admit
// text/html (no text/html, text/*, */*). No Accept at all: a navigation
// (curl, scripts, old clients).
bool is_background(const RequestHints& h);

// Whether a POST comes from this site's own pages: Sec-Fetch-Site
// "same-origin"; without Fetch Metadata, an Origin equal to `site_origin`
// (scheme://host[:port]). Neither header: not known to be, so not.
bool same_origin(std::string_view sec_fetch_site, std::string_view origin, std::string_view site_origin);

// application/x-www-form-urlencoded or multipart/form-data (parameters
// after ';' allowed): the bodies an HTML form posts.
bool form_content_type(std::string_view content_type);

}  // namespace hdsso
