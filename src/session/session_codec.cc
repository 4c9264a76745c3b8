#include "session/session_codec.h"

namespace hdsso {

namespace {

// 2: SAML NameID, format, SessionIndex; 3: the OpenID Connect ID token.
constexpr unsigned char kVersion = 3, kVersion2 = 2;
constexpr std::uint32_t kMaxCount = 1024;

class Writer {
public:
    void u8(unsigned char v) { out_.push_back(static_cast<char>(v)); }
    void u32(std::uint32_t v) {
        for (int i = 3; i >= 0; --i) out_.push_back(static_cast<char>(v >> (8 * i) & 0xff));
    }
    void i64(std::int64_t v) {
        auto u = static_cast<std::uint64_t>(v);
        for (int i = 7; i >= 0; --i) out_.push_back(static_cast<char>(u >> (8 * i) & 0xff));
    }
    void str(std::string_view s) {
        u32(static_cast<std::uint32_t>(s.size()));
        out_.append(s);
    }
    void strs(const std::vector<std::string>& v) {
        u32(static_cast<std::uint32_t>(v.size()));
        for (const auto& s : v) str(s);
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}
    bool u8(unsigned char& v) {
        if (in_.size() < 1) return false;
        v = static_cast<unsigned char>(in_[0]);
        in_.remove_prefix(1);
        return true;
    }
    bool u32(std::uint32_t& v) {
        if (in_.size() < 4) return false;
        v = 0;
        for (int i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(in_[i]);
        in_.remove_prefix(4);
        return true;
    }
    bool i64(std::int64_t& v) {
        if (in_.size() < 8) return false;
        std::uint64_t u = 0;
        for (int i = 0; i < 8; ++i) u = u << 8 | static_cast<unsigned char>(in_[i]);
        v = static_cast<std::int64_t>(u);
        in_.remove_prefix(8);
        return true;
    }
    bool str(std::string& s) {
        std::uint32_t n;
        if (!u32(n) || n > in_.size()) return false;
        s.assign(in_.data(), n);
        in_.remove_prefix(n);
        return true;
    }
    bool strs(std::vector<std::string>& v) {
        std::uint32_t n;
        if (!u32(n) || n > kMaxCount) return false;
        v.resize(n);
        for (auto& s : v)
            if (!str(s)) return false;
        return true;
    }
    bool done() const { return in_.empty(); }

private:
    std::string_view in_;
};

}  // namespace

std::string encode_session(const Session& s) {
    Writer w;
    w.u8(kVersion);
    w.str(s.binding);
    w.i64(s.created);
    w.i64(s.expires);
    w.i64(s.last_seen);
    const Identity& id = s.identity;
    w.str(id.subject);
    w.str(id.email);
    w.str(id.display_name);
    w.str(id.given_name);
    w.str(id.family_name);
    w.strs(id.groups);
    w.u32(static_cast<std::uint32_t>(id.attributes.size()));
    for (const auto& [k, v] : id.attributes) {
        w.str(k);
        w.strs(v);
    }
    w.str(id.issuer);
    w.str(id.idp_name);
    w.i64(id.auth_time);
    w.i64(id.expiry);
    w.str(id.name_id);
    w.str(id.name_id_format);
    w.str(id.session_index);
    w.str(id.id_token);
    return w.take();
}

Result<Session> decode_session(std::string_view record) {
    if (record.size() > kMaxSessionRecord) return make_error(Status::session_malformed, "record too large");
    Reader r(record);
    Session s;
    Identity& id = s.identity;
    unsigned char version = 0;
    std::uint32_t nattrs = 0;
    bool ok = r.u8(version) && (version == kVersion || version == kVersion2) && r.str(s.binding) && r.i64(s.created) &&
              r.i64(s.expires) && r.i64(s.last_seen) && r.str(id.subject) && r.str(id.email) &&
              r.str(id.display_name) && r.str(id.given_name) && r.str(id.family_name) &&
              r.strs(id.groups) && r.u32(nattrs) && nattrs <= kMaxCount;
    for (std::uint32_t i = 0; ok && i < nattrs; ++i) {
        std::string k;
        std::vector<std::string> v;
        // In the order encode_session writes them (std::map's), each name
        // once: a record has one encoding, and a repeated name is not
        // silently dropped.
        ok = r.str(k) && r.strs(v) && (id.attributes.empty() || id.attributes.rbegin()->first < k);
        if (ok) id.attributes.emplace_hint(id.attributes.end(), std::move(k), std::move(v));
    }
    ok = ok && r.str(id.issuer) && r.str(id.idp_name) && r.i64(id.auth_time) && r.i64(id.expiry) &&
         r.str(id.name_id) && r.str(id.name_id_format) && r.str(id.session_index) &&
         (version == kVersion2 || r.str(id.id_token)) && r.done();
    if (!ok) return make_error(Status::session_malformed, "truncated, oversized or unknown-version record");
    return s;
}

}  // namespace hdsso
