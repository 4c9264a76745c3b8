// Pieces every hdsso command shares: the command table with each command's
// usage, the error line and the exit codes.
#include "cli/cli.h"

#include <iostream>

#include "jose/json.h"

namespace hdsso::cli {

const Command kCommands[] = {
    {"remote-auth sign",
     "hdsso remote-auth sign --secret-file F --name N --email E [--timestamp T]\n"
     "      [--digest md5|sha256] [--base-url URL] [--redirect-to P] [--phone P] [--company C]",
     "Print a signed remote-authentication (Freshdesk Simple SSO) URL.",
     "  --secret-file F    the shared secret (as HelpdeskSSORemoteSecretFile)\n"
     "  --name N, --email E, --phone P, --company C\n"
     "                     the values the login page signs (phone and company are not signed)\n"
     "  --timestamp T      Unix seconds (default: now)\n"
     "  --digest D         md5 (default, as Freshdesk) or sha256\n"
     "  --base-url URL     where the link points (default /login/sso); a bare\n"
     "                     https://HOST gets Freshdesk's /login/sso appended\n"
     "  --redirect-to P    the page to come back to (redirect_to, not signed)\n",
     remote_sign},
    {"remote-auth verify",
     "hdsso remote-auth verify --secret-file F [--now T] [--window BACK[:AHEAD]]\n"
     "      [--digest md5|sha256] [--allow-host H]... QUERY|URL",
     "Check a remote-authentication link as /sso/remote does; print the identity as JSON.",
     "  --secret-file F    the shared secret\n"
     "  --now T            Unix seconds to check against (default: now)\n"
     "  --window B[:A]     seconds accepted after the timestamp and ahead of it (default 1800:60)\n"
     "  --digest D         md5 (default) or sha256\n"
     "  --allow-host H     a host an absolute redirect_to may name (HelpdeskSSORedirectAllowHosts)\n"
     "  QUERY|URL          the query string, or the whole URL\n",
     remote_verify},
    {"jwt verify",
     "hdsso jwt verify (--key F | --jwks F) [--alg A] [--kid K] [--iss I] [--aud A]... [--no-aud]\n"
     "      [--leeway S] [--max-age S] [--no-exp] [--now T] [--raw] TOKEN|-",
     "Verify a compact JWS/JWT as /sso/jwt does; print its claims.",
     "  --key F            a PEM public key, certificate or private key, a single JWK,\n"
     "                     or with --alg HS* a shared-secret file\n"
     "  --jwks F           a JWK set (as HelpdeskSSOJWTKeyFile)\n"
     "  --alg A            the algorithm the key verifies (HS256 ... EdDSA)\n"
     "  --kid K            the key's kid\n"
     "  --iss I            the exact issuer required\n"
     "  --aud A            an accepted audience (repeatable); --no-aud waives the check\n"
     "  --leeway S         clock skew for exp, nbf, iat (default 60)\n"
     "  --max-age S        refuse tokens whose iat is older\n"
     "  --no-exp           accept tokens without exp\n"
     "  --now T            Unix seconds to check against (default: now)\n"
     "  --raw              check the signature only and print the payload\n"
     "  TOKEN|-            the token, or - to read it from standard input\n",
     jwt_verify},
    {"jwt sign",
     "hdsso jwt sign --key F --alg A [--kid K] --claims JSON|@FILE [--ttl S] [--now T]",
     "Sign claims into a JWT, adding iat, exp and a fresh jti when absent.",
     "  --key F            a PEM private key, a private JWK, or with --alg HS* a secret file\n"
     "  --alg A            HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512, EdDSA\n"
     "  --kid K            the kid to put in the header\n"
     "  --claims JSON      the claims, or @FILE to read them from a file\n"
     "  --ttl S            exp - iat (default 300)\n"
     "  --now T            Unix seconds used as iat (default: now)\n",
     jwt_sign},
    {"saml keygen",
     "hdsso saml keygen --key FILE --cert FILE (--base-url BASE [--endpoint /sso] [--sp-entity-id X]\n"
     "      | --sp-entity-id X --acs-url Y [--slo-url Z]) [--days N] [--subject CN] [--force]\n"
     "      [--sp-key F --sp-cert F] [saml metadata options]",
     "Make the SP's key pair (RSA 3072, self-signed certificate) and print its metadata.",
     "  --key FILE         where to write the private key (PEM, mode 0600): HelpdeskSSOSAMLKeyFile\n"
     "  --cert FILE        where to write the certificate (PEM, mode 0600): HelpdeskSSOSAMLCertFile\n"
     "  --days N           validity of the certificate (default 3650; IdPs use it as a key\n"
     "                     carrier, most do not check its dates)\n"
     "  --subject CN       the certificate's common name (default: the host of --base-url)\n"
     "  --force            replace existing files (else an existing file is an error)\n"
     "  --sp-key F, --sp-cert F\n"
     "                     the current pair (key rollover): the new pair is made as its next\n"
     "                     pair (HelpdeskSSOSAMLNextKeyFile, HelpdeskSSOSAMLNextCertFile) and\n"
     "                     the metadata printed lists both certificates, current first\n"
     "  The other options are those of hdsso saml metadata; the metadata printed is what\n"
     "  the site serves at PREFIX/metadata once the files are configured.\n",
     saml_keygen},
    {"saml metadata",
     "hdsso saml metadata (--base-url BASE [--endpoint /sso] [--sp-entity-id X]\n"
     "      | --sp-entity-id X --acs-url Y [--slo-url Z]) [--sp-key F] [--sp-cert F]\n"
     "      [--sp-next-key F --sp-next-cert F]\n"
     "      [--name-id-format email|persistent|transient|unspecified|URI]\n"
     "      [--signature-algorithm rsa-sha256|rsa-sha384|rsa-sha512|rsa-sha1] [--allow-legacy sha1]\n"
     "      [--policy assertion|response|both|either]",
     "Print the SP metadata; with a site's settings, the bytes it serves at /sso/metadata.",
     "  --base-url BASE    HelpdeskSSOSAMLBaseURL; derives the ACS, SLO and entity ID\n"
     "  --endpoint P       HelpdeskSSOEndpoint (default /sso)\n"
     "  --sp-entity-id X   HelpdeskSSOSAMLEntityID (default BASE/sso/metadata)\n"
     "  --acs-url Y, --slo-url Z\n"
     "                     without --base-url: the ACS and single logout URLs\n"
     "  --sp-key F, --sp-cert F\n"
     "                     HelpdeskSSOSAMLKeyFile and HelpdeskSSOSAMLCertFile\n"
     "  --sp-next-key F, --sp-next-cert F\n"
     "                     HelpdeskSSOSAMLNextKeyFile and HelpdeskSSOSAMLNextCertFile (key\n"
     "                     rollover: the next certificate is published after the current one)\n"
     "  --name-id-format   HelpdeskSSOSAMLNameIDFormat (default email)\n"
     "  --signature-algorithm\n"
     "                     HelpdeskSSOSAMLSignatureAlgorithm (default rsa-sha256)\n"
     "  --allow-legacy sha1\n"
     "                     HelpdeskSSOSAMLAllowLegacy (needed for rsa-sha1)\n"
     "  --policy P         HelpdeskSSOSAMLSignaturePolicy (default either)\n",
     saml_metadata},
    {"saml verify",
     "hdsso saml verify (--idp-metadata F | --idp-cert F | --idp-cert-fingerprint FP) [--idp-entity-id E]\n"
     "      --sp-entity-id X --acs-url Y [--request-id ID | --allow-unsolicited] [--now T] [--sp-key F]\n"
     "      [--sp-next-key F] [--allow-legacy sha1,rsa1024,xmlenc-cbc,rsa1_5] [--policy assertion|response|both|either]\n"
     "      [--skew S] [--attribute ROLE=NAME]... RESPONSE_FILE",
     "Check a SAMLResponse (base64 as posted, or XML) as /sso/acs does; print the identity as JSON.",
     "  --idp-metadata F   the IdP's metadata (HelpdeskSSOSAMLIdPMetadataFile)\n"
     "  --idp-cert F       or its signing certificate (HelpdeskSSOSAMLIdPCertFile)\n"
     "  --idp-cert-fingerprint FP\n"
     "                     or its certificate's SHA-256 fingerprint\n"
     "  --idp-entity-id E  the IdP's entity ID (picks one IdP of an aggregate)\n"
     "  --sp-entity-id X, --acs-url Y\n"
     "                     the SP's entity ID and ACS URL (BASE/sso/metadata, BASE/sso/acs)\n"
     "  --request-id ID    the AuthnRequest ID the response must answer (InResponseTo);\n"
     "                     when that is the only failure, the error says which ID it answers\n"
     "  --allow-unsolicited\n"
     "                     accept an IdP-initiated response (no InResponseTo)\n"
     "  --now T            Unix seconds or a UTC xs:dateTime (default: now)\n"
     "  --sp-key F         the SP key, to decrypt encrypted assertions and NameIDs\n"
     "  --sp-next-key F    HelpdeskSSOSAMLNextKeyFile: tried after --sp-key\n"
     "  --allow-legacy L   weak algorithms to accept (HelpdeskSSOSAMLAllowLegacy)\n"
     "  --policy P         what must be signed (default either)\n"
     "  --skew S           clock skew in seconds (default 180)\n"
     "  --attribute ROLE=NAME\n"
     "                     an attribute name for email, firstName, lastName, displayName, groups\n",
     saml_verify},
    {"saml fetch-metadata",
     "hdsso saml fetch-metadata URL [--out FILE]",
     "Download an IdP's metadata (checked to be SAML metadata) to FILE (atomically) or stdout.",
     "  URL                the IdP's metadata URL (TLS verified; redirects only to https)\n"
     "  --out FILE         write here (replaced atomically) instead of standard output\n"
     "  The IdPs the metadata describes are listed on standard error.\n",
     saml_fetch_metadata},
    {"oidc discover",
     "hdsso oidc discover ISSUER [--out FILE] [--ca FILE] [--timeout S]",
     "Fetch and check an OpenID provider's discovery document as the module does; print a summary.",
     "  ISSUER             the provider's issuer, exactly as its document names it (https only);\n"
     "                     fetched from ISSUER/.well-known/openid-configuration, TLS verified\n"
     "  --out FILE         write the document here (replaced atomically) once it passed the\n"
     "                     checks, never on failure: the backing file of HelpdeskSSOOIDCProvider\n"
     "  --ca FILE          PEM CA certificates to trust instead of the system's (as ca=)\n"
     "  --timeout S        seconds for the whole transfer (default 30)\n"
     "  The summary: issuer, endpoints, ID token algorithms, form_post, PKCE. Any refusal\n"
     "  (transfer, TLS, HTTP status, issuer, http endpoints, no jwks_uri, not JSON) is\n"
     "  oidc.discovery, the detail naming the cause (exit 1).\n",
     oidc_discover},
    {"oidc verify-id-token",
     "hdsso oidc verify-id-token --jwks FILE --issuer ISS --client-id ID [--nonce N] [--access-token T]\n"
     "      [--alg A]... [--discovery FILE] [--leeway S] [--now T] TOKEN|-",
     "Verify an ID token as the module does after the code flow; print its claims as JSON.",
     "  --jwks FILE        the provider's JWK set (what its jwks_uri serves)\n"
     "  --issuer ISS       the exact issuer (optional with --discovery: the document's)\n"
     "  --client-id ID     this site's client ID: in aud, and azp when present\n"
     "  --nonce N          the nonce the sign-in sent. Without it the token must still\n"
     "                     carry a nonce (a non-empty string) but its value is not\n"
     "                     compared; a warning on standard error says so\n"
     "  --access-token T   the access token from the same answer: checked against at_hash\n"
     "                     when the token has one (a warning when it has none)\n"
     "  --alg A            an accepted algorithm (repeatable; RS*, PS*, ES*, EdDSA; never\n"
     "                     HS* or none); default: the discovery document's, else RS256\n"
     "  --discovery FILE   a discovery document (as written by oidc discover --out),\n"
     "                     checked; gives the algorithms and, without --issuer, the issuer\n"
     "  --leeway S         clock skew for exp, nbf, iat (default 60)\n"
     "  --now T            Unix seconds to check against (default: now)\n"
     "  TOKEN|-            the token, or - to read it from standard input\n"
     "  A refused token is oidc.bad_id_token, the detail starting with the JOSE error's\n"
     "  name (jwt.expired, jwt.audience_mismatch, jwt.unknown_kid ...).\n",
     oidc_verify_id_token},
    {"broker test",
     "hdsso broker test KIND HOST KEYFILE [ALG] [--next-key FILE]... --email E [--name N] [--subject S]\n"
     "      [--given-name G] [--family-name F] [--groups G1,G2] [--attribute NAME=VALUE]...\n"
     "      [--claim CLAIM=SOURCE]... [--ttl S] [--now T] [--query QUERY]",
     "Mint what PREFIX/KIND would send the helpdesk for this user; print it decoded.",
     "  KIND HOST KEYFILE [ALG]\n"
     "                     as HelpdeskSSOBroker: deskpro, zendesk, kayako, freshworks, freshdesk;\n"
     "                     the token header names the key's kid\n"
     "  --next-key FILE    as HelpdeskSSOBrokerNextKeyFile (repeatable): checked, not signing\n"
     "  --email E, --name N, --subject S, --given-name G, --family-name F, --groups G1,G2\n"
     "                     the signed-in identity (subject defaults to the email)\n"
     "  --attribute NAME=VALUE\n"
     "                     an attribute the IdP sent (repeatable), for --claim\n"
     "  --claim CLAIM=SOURCE\n"
     "                     as HelpdeskSSOBrokerClaim (repeatable)\n"
     "  --ttl S            as HelpdeskSSOBrokerTokenLifetime (default 300)\n"
     "  --now T            Unix seconds used as iat (default: now)\n"
     "  --query QUERY      the query string the helpdesk sends to PREFIX/KIND (default: a\n"
     "                     return URL of https://HOST/ in that helpdesk's parameter)\n",
     broker_test},
    {"config check",
     "hdsso config check [--config HTTPD_CONF [--apache-bin PATH] | --apachectl PATH]",
     "Run apachectl -t and report the module's check of each site; exit 1 on any error.",
     "  --config F         Apache's configuration file: runs Apache -t -f F\n"
     "  --apache-bin PATH  the Apache binary for --config\n"
     "  --apachectl PATH   the apachectl to run (default: Debian's)\n"
     "  Prints one line per finding (error or warning), then the counts.\n",
     config_check},
    {"config endpoints",
     "hdsso config endpoints [--prefix /sso] [--json]",
     "List the endpoints the module serves under the prefix: methods, when a site serves each.",
     "  --prefix P         HelpdeskSSOEndpoint (default /sso)\n"
     "  --json             one JSON array instead of tab-separated lines\n",
     config_endpoints},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

namespace {
std::string current;

std::string group_of(const Command& c) {
    std::string w = c.words;
    return w.substr(0, w.find(' '));
}
}  // namespace

const Command* find_command(const std::string& group, const std::string& name) {
    for (const Command* c = kCommands; c->words; ++c)
        if (c->words == group + " " + name) return c;
    return nullptr;
}

bool is_group(const std::string& word) {
    for (const Command* c = kCommands; c->words; ++c)
        if (group_of(*c) == word) return true;
    return false;
}

std::string overview(const std::string& group) {
    std::string out = group.empty() ? "usage: hdsso COMMAND SUBCOMMAND [OPTIONS]\n\n"
                                    : "usage: hdsso " + group + " SUBCOMMAND [OPTIONS]\n\n";
    for (const Command* c = kCommands; c->words; ++c) {
        if (!group.empty() && group_of(*c) != group) continue;
        out += "  hdsso " + std::string(c->words) + "\n      " + c->summary + "\n";
    }
    if (group.empty()) out += "  hdsso --version\n";
    out += "\n'hdsso " + (group.empty() ? std::string("COMMAND SUBCOMMAND") : group + " SUBCOMMAND") +
           " --help' prints that command's options; man hdsso has them all.\n"
           "Exit status: 0 success, 1 a check failed, 2 usage error, 3 configuration or I/O error.\n";
    return out;
}

std::string command_help(const Command& c) {
    return std::string("usage: ") + c.synopsis + "\n\n" + c.summary + "\n\n" + c.details +
           "\nExit status: 0 success, 1 a check failed, 2 usage error, 3 configuration or I/O error.\n";
}

void set_current_command(const std::string& words) { current = words; }

int usage(const std::string& why) {
    std::string who = current.empty() ? "hdsso" : "hdsso " + current;
    std::cerr << who << ": " << why << "\n"
              << "Try '" << who << " --help' for more information.\n";
    return kUsage;
}

int fail(const Error& e) {
    bool config = e.code == Status::config_invalid || e.code == Status::config_io ||
                  e.code == Status::jwt_key_invalid || e.code == Status::saml_no_certificate ||
                  e.code == Status::metadata_fetch_failed;
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

namespace {

void string_array(JsonWriter& w, const std::vector<std::string>& v) {
    w.begin_array();
    for (const auto& s : v) w.string(s);
    w.end_array();
}

}  // namespace

std::string identity_to_json(const Identity& id,
                             const std::vector<std::pair<std::string, std::string>>& extra) {
    JsonWriter w;
    w.begin_object();
    w.key("subject").string(id.subject).key("email").string(id.email).key("display_name").string(id.display_name);
    w.key("given_name").string(id.given_name).key("family_name").string(id.family_name);
    string_array(w.key("groups"), id.groups);
    w.key("attributes").begin_object();
    for (const auto& [k, v] : id.attributes) string_array(w.key(k), v);
    w.end_object();
    w.key("issuer").string(id.issuer).key("idp").string(id.idp_name);
    w.key("auth_time").integer(id.auth_time).key("expiry").integer(id.expiry);
    for (const auto& [k, v] : extra) w.key(k).string(v);
    w.end_object();
    return w.text();
}

}  // namespace hdsso::cli
