#include "jose/jwks_url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "jose/key_source.h"

namespace hdsso {

namespace {

Error invalid(std::string detail) { return make_error(Status::config_invalid, std::move(detail)); }

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
    return true;
}

Result<int> seconds(const std::string& arg, std::string_view value, int min, int max) {
    int v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() || v < min || v > max)
        return invalid("'" + arg + "': expected a number of seconds from " + std::to_string(min) + " to " +
                       std::to_string(max));
    return v;
}

}  // namespace

Result<JwksUrlArgs> parse_jwks_url_args(const std::vector<std::string>& args) {
    if (args.size() < 2)
        return invalid("expected URL BACKING-FILE [refresh=SECONDS] [kid-refetch=SECONDS] [ca=CA-FILE] [ALG...]");
    JwksUrlArgs out;
    out.url = args[0];
    if (!starts_with_nocase(out.url, "https://") || out.url.size() <= 8)
        return invalid("'" + out.url + "': expected an https:// URL (a key set is fetched over TLS only)");
    if (out.url.find_first_of(" \t\r\n") != std::string::npos) return invalid("'" + out.url + "': a space in the URL");
    out.backing = args[1];
    if (out.backing.empty()) return invalid("the backing file is empty");
    bool seen_refresh = false, seen_kid = false, seen_ca = false;
    for (std::size_t i = 2; i < args.size(); ++i) {
        const std::string& a = args[i];
        std::size_t eq = a.find('=');
        if (eq == std::string::npos) {
            auto alg = parse_jws_alg(a);
            if (!alg)
                return invalid("'" + a + "': expected refresh=SECONDS, kid-refetch=SECONDS, ca=CA-FILE or an "
                               "algorithm: RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA");
            if (is_hmac(*alg))
                return invalid("'" + a + "': a key set from a URL is public; shared-secret algorithms are not "
                               "allowed (use HelpdeskSSOJWTKeyFile with a secret file)");
            if (std::find(out.algs.begin(), out.algs.end(), *alg) == out.algs.end()) out.algs.push_back(*alg);
            continue;
        }
        std::string key = a.substr(0, eq);
        std::string_view value = std::string_view(a).substr(eq + 1);
        bool* seen = key == "refresh" ? &seen_refresh : key == "kid-refetch" ? &seen_kid : key == "ca" ? &seen_ca
                                                                                                        : nullptr;
        if (!seen) return invalid("'" + a + "': expected refresh=SECONDS, kid-refetch=SECONDS or ca=CA-FILE");
        if (*seen) return invalid("'" + a + "': " + key + "= given twice");
        *seen = true;
        if (key == "refresh") {
            auto v = seconds(a, value, kJwksRefreshMin, kJwksRefreshMax);
            if (!v) return v.error();
            out.refresh = v.value();
        } else if (key == "kid-refetch") {
            auto v = seconds(a, value, kJwksKidRefetchMin, kJwksKidRefetchMax);
            if (!v) return v.error();
            out.kid_refetch = v.value();
        } else {
            if (value.empty()) return invalid("'" + a + "': expected ca=CA-FILE");
            out.ca_file = std::string(value);
        }
    }
    if (out.algs.empty())
        out.algs = {JwsAlg::RS256, JwsAlg::RS384, JwsAlg::RS512, JwsAlg::PS256, JwsAlg::PS384,
                    JwsAlg::PS512, JwsAlg::ES256, JwsAlg::ES384, JwsAlg::ES512, JwsAlg::EdDSA};
    return out;
}

Result<JwksDocument> check_jwks_document(std::string_view text, const std::vector<JwsAlg>& algs) {
    for (JwsAlg a : algs)
        if (is_hmac(a)) return make_error(Status::jwt_key_invalid, "shared-secret algorithms are not allowed here");
    std::size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || text[first] != '{')
        return make_error(Status::jwt_key_invalid, "not a JWK set (JSON object expected)");
    auto keys = keys_from_jwks(text, algs);
    if (!keys) return keys.error();
    JwksDocument doc;
    std::vector<std::string> kids;
    for (const JwsKey& k : keys.value()) {
        std::string kid = k.kid.empty() ? "(no kid)" : k.kid;
        if (std::find(kids.begin(), kids.end(), kid) == kids.end()) kids.push_back(kid);
    }
    for (const auto& kid : kids) doc.kids += (doc.kids.empty() ? "" : ", ") + kid;
    doc.keys = std::move(keys.value());
    return doc;
}

}  // namespace hdsso
