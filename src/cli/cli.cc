// Pieces every hdsso command shares: the usage text, the error line and
// the exit codes.
#include "cli/cli.h"

#include <iostream>

namespace hdsso::cli {

const char kUsageText[] =
    "usage: hdsso COMMAND ...\n"
    "\n"
    "  hdsso remote-auth sign --secret-file F --name N --email E [--timestamp T]\n"
    "        [--digest md5|sha256] [--base-url URL] [--redirect-to P] [--phone P] [--company C]\n"
    "      Print the signed remote-authentication (Freshdesk Simple SSO) URL.\n"
    "  hdsso remote-auth verify --secret-file F [--now T] [--window BACK[:AHEAD]]\n"
    "        [--digest md5|sha256] [--allow-host H]... QUERY|URL\n"
    "      Check a remote-authentication query; print the identity as JSON.\n"
    "  hdsso jwt verify (--key F | --jwks F) [--alg A] [--iss I] [--aud A]... [--no-aud]\n"
    "        [--leeway S] [--max-age S] [--no-exp] [--now T] [--raw] TOKEN|-\n"
    "      Verify a compact JWS/JWT; print its claims (with --raw: signature only, the payload).\n"
    "      --key takes a PEM file, a single JWK, or with --alg HS* a secret file.\n"
    "  hdsso jwt sign --key F --alg A [--kid K] --claims JSON|@FILE [--ttl S] [--now T]\n"
    "      Sign the claims, adding iat, exp (now + ttl, default 300) and a fresh jti when absent.\n"
    "  hdsso saml verify (--idp-metadata F | --idp-cert F | --idp-cert-fingerprint FP) [--idp-entity-id E]\n"
    "        --sp-entity-id X\n"
    "        --acs-url Y [--request-id ID | --allow-unsolicited] [--now T] [--sp-key F]\n"
    "        [--allow-legacy sha1,rsa1024,xmlenc-cbc,rsa1_5] [--policy assertion|response|both|either]\n"
    "        [--skew S] [--attribute ROLE=NAME]... RESPONSE_FILE\n"
    "      Check a SAMLResponse (base64 or XML); print the identity as JSON.\n"
    "  hdsso saml metadata (--base-url BASE [--endpoint /sso] [--sp-entity-id X]\n"
    "        | --sp-entity-id X --acs-url Y [--slo-url Z]) [--sp-key F] [--sp-cert F]\n"
    "        [--name-id-format F] [--signature-algorithm rsa-sha256|rsa-sha384|rsa-sha512|rsa-sha1]\n"
    "        [--allow-legacy sha1] [--policy assertion|response|both|either]\n"
    "      Print the SP metadata; with a site's settings, the bytes it serves at /sso/metadata.\n"
    "  hdsso saml fetch-metadata URL [--out FILE]\n"
    "      Download an IdP's metadata (checked to be SAML metadata) to FILE (atomically) or stdout.\n"
    "  hdsso config check [--config HTTPD_CONF [--apache-bin PATH] | --apachectl PATH]\n"
    "      Run apachectl -t (or Apache -t -f HTTPD_CONF) and report the module's check of each site:\n"
    "      one line per problem (error or warning), then the counts; exit 1 on any error.\n"
    "  hdsso config endpoints [--prefix /sso] [--json]\n"
    "      List the endpoints the module serves under the prefix: methods, when a site serves each.\n"
    "  hdsso --version\n"
    "\n"
    "Exit status: 0 success, 1 verification failed, 2 usage error, 3 configuration or I/O error.\n";

int usage(const std::string& why) {
    std::cerr << "hdsso: " << why << "\n\n" << kUsageText;
    return kUsage;
}

int fail(const Error& e) {
    bool config = e.code == Status::config_invalid || e.code == Status::config_io ||
                  e.code == Status::jwt_key_invalid || e.code == Status::saml_no_certificate;
    std::cerr << "error: " << status_name(e.code) << ": " << status_message(e.code);
    if (!e.detail.empty()) std::cerr << " (" << e.detail << ")";
    std::cerr << "\n";
    return config ? kConfig : kFailed;
}

std::optional<std::int64_t> parse_int(const std::string& s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size()) return std::nullopt;
    std::int64_t v = 0;
    for (; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        v = v * 10 + (s[i] - '0');
    }
    return s[0] == '-' ? -v : v;
}

}  // namespace hdsso::cli
