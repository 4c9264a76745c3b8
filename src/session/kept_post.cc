#include "session/kept_post.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crypto.h"

namespace hdsso {

namespace {

constexpr std::string_view kMagic = "HDSSO-POST 1\n";

bool is_hex(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

Error unavailable(const std::string& what, int e) {
    return make_error(Status::store_unavailable, what + ": " + std::strerror(e));
}

// Reads a whole file (at most `limit` bytes beyond the header is plenty:
// the caller bounds what it wrote).
std::optional<std::string> read_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return std::nullopt;
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

// "HDSSO-POST 1\n<expires>\n<url>\n<content type>\n<secret>\n<body>"
std::string encode(const KeptPost& p) {
    std::string out(kMagic);
    out += std::to_string(p.expires) + "\n" + p.url + "\n" + p.content_type + "\n" + p.secret + "\n";
    out += p.body;
    return out;
}

std::optional<KeptPost> decode(const std::string& text) {
    if (text.compare(0, kMagic.size(), kMagic) != 0) return std::nullopt;
    KeptPost p;
    std::size_t at = kMagic.size();
    std::string* fields[] = {nullptr, &p.url, &p.content_type, &p.secret};
    std::string expires;
    fields[0] = &expires;
    for (std::string* f : fields) {
        std::size_t nl = text.find('\n', at);
        if (nl == std::string::npos) return std::nullopt;
        *f = text.substr(at, nl - at);
        at = nl + 1;
    }
    if (expires.empty() || expires.size() > 18 || expires.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    p.expires = std::stoll(expires);
    p.body = text.substr(at);
    return p;
}

// Only the header, for counting and expiry.
std::optional<std::int64_t> expiry_of(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return std::nullopt;
    char buf[64];
    ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n <= 0) return std::nullopt;
    std::string head(buf, static_cast<std::size_t>(n));
    if (head.compare(0, kMagic.size(), kMagic) != 0) return std::nullopt;
    std::size_t nl = head.find('\n', kMagic.size());
    if (nl == std::string::npos) return std::nullopt;
    std::string e = head.substr(kMagic.size(), nl - kMagic.size());
    if (e.empty() || e.size() > 18 || e.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoll(e);
}

}  // namespace

PostSpool::PostSpool(std::string directory, PostSpoolLimits limits) : dir_(std::move(directory)), limits_(limits) {}

std::string PostSpool::client_tag(std::string_view client) { return hex_encode(sha256(client)).substr(0, 8); }

bool PostSpool::valid_name(std::string_view name) {
    return name.size() == 41 && name[8] == '.' && is_hex(name.substr(0, 8)) && is_hex(name.substr(9));
}

Result<void> PostSpool::prepare() const {
    if (dir_.empty() || dir_[0] != '/')
        return make_error(Status::config_invalid, "the kept-post directory must be an absolute path: " + dir_);
    if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST)
        return make_error(Status::config_invalid, "cannot create the kept-post directory " + dir_ + ": " +
                                                      std::strerror(errno));
    struct stat st {};
    if (::stat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return make_error(Status::config_invalid, "the kept-post directory " + dir_ + " is not a directory");
    return {};
}

namespace {

struct Census {
    std::size_t total = 0, mine = 0;
};

// What the spool holds unexpired, overall and for client `who`; expired
// posts, and what a writer or taker that died mid-way left, are removed.
Result<Census> take_census(const std::string& dir, std::string_view who, std::int64_t now) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return unavailable("the kept-post directory " + dir, errno);
    Census c;
    while (dirent* e = ::readdir(d)) {
        std::string_view n = e->d_name;
        std::string path = dir + "/" + std::string(n);
        if (!PostSpool::valid_name(n)) {
            struct stat st {};
            if ((n.rfind(".tmp-", 0) == 0 || n.rfind(".taken-", 0) == 0) && ::lstat(path.c_str(), &st) == 0 &&
                st.st_mtime < now - 3600)
                ::unlink(path.c_str());
            continue;
        }
        auto expires = expiry_of(path);
        if (!expires || *expires <= now) {
            ::unlink(path.c_str());
            continue;
        }
        ++c.total;
        if (n.substr(0, 8) == who) ++c.mine;
    }
    ::closedir(d);
    return c;
}

// Written under a temporary name, then renamed: never read half-written.
Result<void> write_atomically(const std::string& tmp, const std::string& path, const std::string& data) {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return unavailable("cannot write " + tmp, errno);
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            return unavailable("cannot write " + tmp, e);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        return unavailable("cannot keep " + path, e);
    }
    return {};
}

}  // namespace

Result<std::string> PostSpool::keep(const KeptPost& post, std::string_view client, std::int64_t now) const {
    if (post.url.find_first_of("\r\n") != std::string::npos ||
        post.content_type.find_first_of("\r\n") != std::string::npos ||
        post.secret.find_first_of("\r\n") != std::string::npos)
        return make_error(Status::url_malformed, "a line break in the URL, the content type or the secret");
    std::string who = client_tag(client);
    auto census = take_census(dir_, who, now);
    if (!census) return census.error();
    if (census.value().total >= limits_.max_posts)
        return make_error(Status::store_full, "the kept-post spool holds " + std::to_string(census.value().total) +
                                                  " posts");
    if (census.value().mine >= limits_.max_per_client)
        return make_error(Status::store_full, "this client has " + std::to_string(census.value().mine) +
                                                  " posts kept already");
    auto rnd = random_bytes(16);
    if (!rnd) return rnd.error();
    std::string name = who + "." + hex_encode(rnd.value());
    if (auto ok = write_atomically(dir_ + "/.tmp-" + name, dir_ + "/" + name, encode(post)); !ok) return ok.error();
    return name;
}

std::optional<KeptPost> PostSpool::peek(std::string_view name, std::string_view url, std::string_view client,
                                        std::int64_t now) const {
    // A name is only ever used by the client that kept it (its address is
    // hashed into the name): a cookie planted from elsewhere names nothing.
    if (!valid_name(name) || name.substr(0, 8) != client_tag(client)) return std::nullopt;
    auto text = read_file(dir_ + "/" + std::string(name));
    if (!text) return std::nullopt;
    auto post = decode(*text);
    if (!post || post->expires <= now || post->url != url) return std::nullopt;
    return post;
}

Result<std::optional<KeptPost>> PostSpool::take(std::string_view name, std::string_view url,
                                                std::string_view client, std::int64_t now) const {
    if (!peek(name, url, client, now)) return std::optional<KeptPost>();
    // The rename is the one-time step: of two takers only one finds the file.
    auto rnd = random_bytes(8);
    if (!rnd) return rnd.error();
    std::string path = dir_ + "/" + std::string(name), taken = dir_ + "/.taken-" + hex_encode(rnd.value());
    if (::rename(path.c_str(), taken.c_str()) != 0) return std::optional<KeptPost>();
    auto text = read_file(taken);
    ::unlink(taken.c_str());
    if (!text) return std::optional<KeptPost>();
    auto post = decode(*text);
    if (!post || post->expires <= now || post->url != url) return std::optional<KeptPost>();
    return post;
}

}  // namespace hdsso
