// Cookies, both ways: the values a Cookie header carries for one name, and
// the one Set-Cookie builder every cookie of the module goes through
// (session, sign-in state, remembered IdP choice).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hdsso {

enum class SameSite { lax, strict, none };

constexpr int kBrowserSession = -1;

struct CookieAttributes {
    // Seconds; 0 deletes the cookie (Max-Age=0 and an Expires in the past);
    // kBrowserSession: no Max-Age, the cookie ends with the browser session.
    int max_age = 0;
    bool secure = true;
    bool http_only = true;
    SameSite same_site = SameSite::lax;
};

// The values of the cookies called `name`, in header order, at most `max`
// (a browser sends one per path and domain; more is a client's game).
std::vector<std::string_view> cookie_values(std::string_view header, std::string_view name, std::size_t max = 4);

// The cookies whose name starts with `prefix`, as (name, value), in header
// order, at most `max`.
std::vector<std::pair<std::string_view, std::string_view>> cookies_with_prefix(std::string_view header,
                                                                               std::string_view prefix,
                                                                               std::size_t max = 16);

// "name=value; Max-Age=N; Path=/; Secure; HttpOnly; SameSite=Lax". The
// caller gives a name of token characters and a value without ';', ',',
// space or control characters (ids, base64url).
std::string set_cookie(std::string_view name, std::string_view value, const CookieAttributes& a);

const char* same_site_name(SameSite s);

}  // namespace hdsso
