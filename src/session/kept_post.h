// Form posts kept while their sender signs in (a reply typed into a
// helpdesk whose session had expired): one file per post in a spool
// directory of their own, apart from the session and replay store, so no
// number of them can push out a session or a replay record. Bounded overall
// and per client; each expires with its sign-in attempt; taken at most once
// (a rename only one taker wins, also across servers sharing the directory).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace hdsso {

struct KeptPost {
    std::string url;           // the path and query it was posted to, as sent
    std::string content_type;  // as sent (multipart boundary included)
    std::string body;          // the bytes as sent
    std::int64_t expires = 0;
    // Random, shown only in the page that posts the form again after the
    // sign-in; the post that brings it back must carry it (a cookie alone,
    // which a sibling site could set, replays nothing).
    std::string secret;
};

struct PostSpoolLimits {
    std::size_t max_posts = 50;        // kept at once, overall
    std::size_t max_per_client = 4;    // kept at once per client address
};

class PostSpool {
public:
    PostSpool(std::string directory, PostSpoolLimits limits);

    // Creates the directory (0700) if missing; config_invalid with the
    // reason otherwise.
    Result<void> prepare() const;

    // Keeps `post` for `client` (its address); returns the name that takes
    // it back. store.full when the spool holds max_posts, or max_per_client
    // of this client's, that have not expired (expired ones are removed on
    // the way); store.unavailable when the directory cannot be written.
    Result<std::string> keep(const KeptPost& post, std::string_view client, std::int64_t now) const;

    // The post kept under `name` if `client` (the same address) posted it
    // to `url` and it has not expired, removed from the spool (once: a
    // second take finds nothing). nullopt for a name of the wrong form, one
    // not (or no longer) kept, or kept for another URL or client (left in
    // place).
    Result<std::optional<KeptPost>> take(std::string_view name, std::string_view url, std::string_view client,
                                         std::int64_t now) const;

    // The same post, read but not taken.
    std::optional<KeptPost> peek(std::string_view name, std::string_view url, std::string_view client,
                                 std::int64_t now) const;

    // A name as keep() makes them: 8 hex digits (the client), '.', 32 hex
    // digits (random).
    static bool valid_name(std::string_view name);
    // The 8 hex digits of a client address that begin its names.
    static std::string client_tag(std::string_view client);

private:
    std::string dir_;
    PostSpoolLimits limits_;
};

}  // namespace hdsso
