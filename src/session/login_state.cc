#include "session/login_state.h"

#include <openssl/evp.h>

#include "jose/base64url.h"

namespace hdsso {

namespace {

// 1: token, request_id, return_to; 2: and idp, nonce, code_verifier.
constexpr unsigned char kVersion = 2, kVersion1 = 1;
constexpr std::size_t kNonce = 12, kTag = 16;

void put_u16(std::string& out, std::size_t n) {
    out.push_back(static_cast<char>((n >> 8) & 0xff));
    out.push_back(static_cast<char>(n & 0xff));
}

bool get_field(std::string_view& in, std::string& out) {
    if (in.size() < 2) return false;
    std::size_t n = (static_cast<unsigned char>(in[0]) << 8) | static_cast<unsigned char>(in[1]);
    if (in.size() < 2 + n) return false;
    out.assign(in.substr(2, n));
    in.remove_prefix(2 + n);
    return true;
}

using Ctx = CPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

LoginStateSealer::LoginStateSealer(std::string_view key, std::string_view context)
    // A key of its own for this use, whatever else the site key serves.
    : key_(hmac(Digest::sha256, key, "hdsso login state v1")), aad_("hdsso-login-state\n") {
    aad_.append(context);
}

Result<std::string> LoginStateSealer::seal(const LoginState& s) const {
    const std::string* fields[] = {&s.token, &s.request_id, &s.return_to, &s.idp, &s.nonce, &s.code_verifier};
    for (const std::string* f : fields)
        if (f->size() > kMaxField) return make_error(Status::config_invalid, "a sign-in state field is too long");
    std::string plain;
    for (int shift = 56; shift >= 0; shift -= 8)
        plain.push_back(static_cast<char>((static_cast<std::uint64_t>(s.expires) >> shift) & 0xff));
    for (const std::string* f : fields) {
        put_u16(plain, f->size());
        plain += *f;
    }
    auto nonce = random_bytes(kNonce);
    if (!nonce) return nonce.error();
    std::string out(1, static_cast<char>(kVersion));
    out += nonce.value();
    std::size_t head = out.size();
    out.resize(head + plain.size() + kTag);
    auto* body = reinterpret_cast<unsigned char*>(out.data() + head);
    Ctx ctx(EVP_CIPHER_CTX_new());
    int n = 0, m = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u8(key_.view()), u8(nonce.value())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &n, u8(aad_), static_cast<int>(aad_.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &n, u8(out), 1) != 1 ||  // the version byte
        EVP_EncryptUpdate(ctx.get(), body, &n, u8(plain), static_cast<int>(plain.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), body + n, &m) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, body + plain.size()) != 1)
        return make_error(Status::internal, "AES-GCM sealing failed");
    return base64url_encode(out);
}

Result<LoginState> LoginStateSealer::open(std::string_view sealed, std::int64_t now) const {
    auto bad = [](const char* why) { return make_error(Status::url_malformed, std::string("sign-in state: ") + why); };
    if (sealed.size() > 4 * kMaxField * 2) return bad("too long");
    auto raw = base64url_decode(sealed);
    if (!raw) return bad("not base64url");
    const std::string& b = raw.value();
    unsigned char version = b.empty() ? 0 : static_cast<unsigned char>(b[0]);
    // Version 1 (an attempt started before an upgrade) opens too.
    if (b.size() < 1 + kNonce + 8 + 6 + kTag || (version != kVersion && version != kVersion1))
        return bad("unknown format");
    std::string_view nonce(b.data() + 1, kNonce);
    std::string_view cipher(b.data() + 1 + kNonce, b.size() - 1 - kNonce - kTag);
    std::string tag = b.substr(b.size() - kTag);
    std::string plain(cipher.size(), '\0');
    Ctx ctx(EVP_CIPHER_CTX_new());
    int n = 0, m = 0;
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u8(key_.view()), u8(nonce)) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &n, u8(aad_), static_cast<int>(aad_.size())) != 1 ||
        (version != kVersion1 && EVP_DecryptUpdate(ctx.get(), nullptr, &n, u8(b), 1) != 1) ||
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &n, u8(cipher),
                          static_cast<int>(cipher.size())) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + n, &m) != 1)
        return bad("does not open (altered, or sealed by another server or for another site)");
    std::string_view in(plain);
    LoginState s;
    std::uint64_t expires = 0;
    for (int i = 0; i < 8; ++i) expires = expires << 8 | static_cast<unsigned char>(in[i]);
    in.remove_prefix(8);
    s.expires = static_cast<std::int64_t>(expires);
    if (!get_field(in, s.token) || !get_field(in, s.request_id) || !get_field(in, s.return_to) ||
        (version == kVersion &&
         (!get_field(in, s.idp) || !get_field(in, s.nonce) || !get_field(in, s.code_verifier))) ||
        !in.empty())
        return bad("truncated");
    if (now >= s.expires) return make_error(Status::saml_too_late, "sign-in state: expired (the sign-in took too long)");
    return s;
}

}  // namespace hdsso
