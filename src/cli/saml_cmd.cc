// hdsso saml verify, metadata, keygen and fetch-metadata.
#include <iostream>
#include <optional>

#include "cli/cli.h"
#include "core/fetch.h"
#include "core/secret_file.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/kv_store.h"
#include "saml/saml.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <regex>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>



namespace hdsso {

using namespace cli;

namespace {

// Unix seconds, or an xs:dateTime in UTC.
std::optional<std::int64_t> parse_now(const std::string& v) {
    if (auto n = parse_int(v)) return n;
    auto t = parse_saml_time(v);
    if (!t) return std::nullopt;
    return t.value();
}

Result<SamlSignaturePolicy> parse_policy(const std::string& p) {
    if (p == "assertion") return SamlSignaturePolicy::assertion;
    if (p == "response") return SamlSignaturePolicy::response;
    if (p == "both") return SamlSignaturePolicy::both;
    if (p == "either") return SamlSignaturePolicy::either;
    return make_error(Status::config_invalid, "--policy takes assertion, response, both or either");
}

// The InResponseTo of a response (base64 as posted, or XML), read from
// its text only to suggest a --request-id: the checks themselves decide.
std::string response_in_response_to(const std::string& message) {
    std::string xml;
    std::size_t first = message.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && message[first] == '<') {
        xml = message;
    } else {
        std::string b64;
        for (char ch : message)
            if (!std::isspace(static_cast<unsigned char>(ch))) b64 += ch;
        if (b64.empty() || b64.size() % 4 != 0 || b64.size() > 64 * 1024 * 1024) return "";
        xml.resize(b64.size() / 4 * 3);
        int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(xml.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
        if (n < 0) return "";
        xml.resize(static_cast<std::size_t>(n));
    }
    static const std::regex response(R"(<([A-Za-z0-9_.-]+:)?Response\b[^>]*?\sInResponseTo\s*=\s*["']([^"'<>]{1,256})["'])");
    std::smatch m;
    if (!std::regex_search(xml, m, response)) return "";
    return m[2].str();
}

}  // namespace

namespace {

using Step = std::optional<int>;

// --idp-metadata | --idp-cert | --idp-cert-fingerprint, --idp-entity-id:
// the IdP to trust (the issuer the response names when no entity ID is given
// with a certificate: the certificate is what is pinned).
Step idp_source(const Args& a, const std::string& message, SamlIdpSettings& idp) {
    if (auto f = a.one("idp-metadata")) {
        auto md = read_config_file(*f);
        if (!md) return fail(md.error());
        idp.metadata_xml = md.value();
        idp.entity_id = a.one("idp-entity-id").value_or("");  // picks the IdP in an aggregate
        return std::nullopt;
    }
    if (auto f = a.one("idp-cert")) {
        auto cert = read_config_file(*f);
        if (!cert) return fail(cert.error());
        idp.cert_pem = cert.value();
    } else {
        idp.cert_fingerprint = *a.one("idp-cert-fingerprint");
    }
    // A response without an issuer is refused by the checks themselves.
    idp.entity_id = a.one("idp-entity-id").value_or(saml_response_issuer(message));
    if (idp.entity_id.empty()) idp.entity_id = "urn:hdsso:no-issuer";
    return std::nullopt;
}

// --allow-legacy, --policy, --skew, --allow-unsolicited, --attribute.
Step idp_checks(const Args& a, SamlIdpSettings& idp) {
    if (auto l = a.one("allow-legacy")) {
        auto legacy = parse_saml_legacy(*l);
        if (!legacy) return usage(legacy.error().detail);
        idp.legacy = legacy.value();
    }
    if (auto p = a.one("policy")) {
        auto policy = parse_policy(*p);
        if (!policy) return usage(policy.error().detail);
        idp.policy = policy.value();
    }
    if (auto s = a.one("skew")) {
        auto n = parse_int(*s);
        if (!n || *n < 0 || *n > 3600) return usage("--skew takes 0 to 3600 seconds");
        idp.skew = *n;
    }
    idp.allow_unsolicited = a.one("allow-unsolicited") == std::optional<std::string>("yes");
    for (const auto& spec : a.all("attribute")) {
        std::size_t eq = spec.find('=');
        std::string role = eq == std::string::npos ? "" : spec.substr(0, eq);
        if (eq + 1 >= spec.size() || (role != "email" && role != "firstName" && role != "lastName" &&
                                      role != "displayName" && role != "groups"))
            return usage("--attribute takes ROLE=NAME (ROLE: email, firstName, lastName, displayName, groups)");
        idp.attribute_names[spec.substr(0, eq)].push_back(spec.substr(eq + 1));
    }
    return std::nullopt;
}

// A response captured from the browser answers a request ID nobody wrote
// down: say which, when every other check passes with it.
void hint_request_id(const SamlSp& saml, const std::string& message, std::int64_t now, const Clock& clock,
                     const std::string& given) {
    std::string irt = response_in_response_to(message);
    if (irt.empty() || irt == given) return;
    MemoryKvStore store(clock);
    ReplayCache replay(store);
    if (saml.process_response(message, now, irt, replay))
        std::cerr << "hint: the response answers --request-id " << irt
                  << " (its InResponseTo); with it, every other check passes\n";
}

}  // namespace

int saml_verify(const Args& a) {
    if (auto bad = a.check({"idp-metadata", "idp-cert", "idp-cert-fingerprint", "idp-entity-id", "sp-entity-id", "acs-url", "request-id",
                            "allow-unsolicited", "now", "sp-key", "sp-next-key", "allow-legacy", "policy", "skew",
                            "attribute", "repeat"},
                           1, 1))
        return usage(*bad);
    if (int(!!a.one("idp-metadata")) + int(!!a.one("idp-cert")) + int(!!a.one("idp-cert-fingerprint")) != 1)
        return usage("give exactly one of --idp-metadata, --idp-cert and --idp-cert-fingerprint");
    if (!a.one("sp-entity-id") || !a.one("acs-url")) return usage("--sp-entity-id and --acs-url are required");
    if (a.one("request-id") && a.one("allow-unsolicited")) return usage("--request-id and --allow-unsolicited exclude each other");
    std::int64_t now = SystemClock().now();
    if (auto v = a.one("now")) {
        auto n = parse_now(*v);
        if (!n) return usage("--now takes Unix seconds or a UTC xs:dateTime");
        now = *n;
    }
    auto message = read_config_file(a.positional[0]);
    if (!message) return fail(message.error());
    SamlIdpSettings idp;
    if (Step e = idp_source(a, message.value(), idp)) return *e;
    if (Step e = idp_checks(a, idp)) return *e;
    SamlSpSettings sp;
    sp.entity_id = *a.one("sp-entity-id");
    sp.acs_url = *a.one("acs-url");
    for (const auto& [option, field] : {std::pair{"sp-key", &sp.key_pem}, std::pair{"sp-next-key", &sp.next_key_pem}}) {
        auto k = a.one(option);
        if (!k) continue;
        auto key = read_config_file(*k);
        if (!key) return fail(key.error());
        *field = key.value();
    }
    // --repeat N (not in the usage text: for tests/bench/saml_leak_check.py):
    // the same check N times in this process, each with an empty replay
    // cache, so that memory kept per response shows under valgrind.
    std::int64_t repeat = 1;
    if (auto r = a.one("repeat")) {
        auto n = parse_int(*r);
        if (!n || *n < 1 || *n > 100000) return usage("--repeat takes 1 to 100000");
        repeat = *n;
    }
    auto saml = SamlSp::create(sp, {idp});
    if (!saml) return fail(saml.error());
    FixedClock clock(now);
    Result<SamlLogin> login = make_error(Status::internal, "not run");
    for (std::int64_t i = 0; i < repeat; ++i) {
        MemoryKvStore store(clock);
        ReplayCache replay(store);
        login = saml.value()->process_response(message.value(), now, a.one("request-id").value_or(""), replay);
    }
    if (!login) {
        int rc = fail(login.error());
        if (login.error().code == Status::saml_in_response_to)
            hint_request_id(*saml.value(), message.value(), now, clock, a.one("request-id").value_or(""));
        return rc;
    }
    std::cout << identity_to_json(login.value().identity, {{"name_id", login.value().name_id},
                                                           {"name_id_format", login.value().name_id_format},
                                                           {"session_index", login.value().session_index}})
              << "\n";
    return kOk;
}

// hdsso saml fetch-metadata URL [--out FILE]: what an administrator (or a
// timer) runs to refresh the file HelpdeskSSOSAMLIdPMetadataFile reads; the
// module never depends on the network to start.
int saml_fetch_metadata(const Args& a) {
    if (auto bad = a.check({"out"}, 1, 1)) return usage(*bad);
    const std::string& url = a.positional[0];
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) return usage("the URL must be http(s)");
    FetchOptions fetch;
    fetch.url = url;
    fetch.timeout_seconds = 60;
    fetch.allow_plain_http = true;  // what is fetched is the administrator's to check
    auto fetched = fetch_url(fetch);
    if (!fetched) return fail(fetched.error());
    const std::string& body = fetched.value();
    auto idps = saml_metadata_idps(body);
    if (!idps) return fail(make_error(idps.error().code, url + ": " + idps.error().detail));
    if (auto out = a.one("out")) {
        std::string tmp = *out + ".tmp";
        {
            std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
            if (!(f << body) || !f.flush()) return fail(make_error(Status::config_io, "cannot write " + tmp));
        }
        if (std::rename(tmp.c_str(), out->c_str()) != 0)
            return fail(make_error(Status::config_io, "cannot replace " + *out));
    } else {
        std::cout << body;
    }
    for (const auto& id : idps.value()) std::cerr << "identity provider: " << id << "\n";
    return kOk;
}

namespace {

// The SP's settings from the options hdsso saml metadata and keygen share
// (a site's HelpdeskSSOSAML... directives). -1 when all went well, else the
// exit code.
int sp_settings(const Args& a, SamlSpSettings& sp, bool read_key_files) {
    if (auto base = a.one("base-url")) {
        // As HelpdeskSSOSAMLBaseURL and HelpdeskSSOEndpoint.
        if (a.one("acs-url") || a.one("slo-url")) return usage("--base-url derives --acs-url and --slo-url: give one or the other");
        if ((base->rfind("https://", 0) != 0 && base->rfind("http://", 0) != 0) || base->back() == '/' ||
            base->find_first_of(" \t\r\n") != std::string::npos)
            return usage("--base-url takes the site's http(s) base URL without a trailing '/'");
        std::string endpoint = a.one("endpoint").value_or("/sso");
        if (endpoint.size() < 2 || endpoint.front() != '/' || endpoint.back() == '/' ||
            endpoint.find_first_of(" \t\r\n?#") != std::string::npos)
            return usage("--endpoint takes a path such as /sso (no trailing '/')");
        saml_sp_site_urls(sp, *base, endpoint, a.one("sp-entity-id").value_or(""));
    } else {
        if (a.one("endpoint")) return usage("--endpoint goes with --base-url");
        if (!a.one("sp-entity-id") || !a.one("acs-url"))
            return usage("give --base-url (as HelpdeskSSOSAMLBaseURL), or --sp-entity-id and --acs-url");
        sp.entity_id = *a.one("sp-entity-id");
        sp.acs_url = *a.one("acs-url");
        sp.slo_url = a.one("slo-url").value_or("");
    }
    for (const auto& [option, field] : {std::pair{"sp-cert", &sp.cert_pem}, std::pair{"sp-key", &sp.key_pem},
                                        std::pair{"sp-next-cert", &sp.next_cert_pem},
                                        std::pair{"sp-next-key", &sp.next_key_pem}}) {
        auto path = a.one(option);
        if (!path || !read_key_files) continue;
        auto text = read_config_file(*path);
        if (!text) return fail(text.error());
        *field = text.value();
    }
    if (auto f = a.one("name-id-format")) {
        auto uri = parse_saml_name_id_format(*f);
        if (!uri) return usage("--name-id-format takes email, persistent, transient, unspecified or a urn:");
        sp.name_id_format = *uri;
    }
    if (auto s = a.one("signature-algorithm")) {
        auto alg = parse_saml_signature_algorithm(*s);
        if (!alg) return usage("--signature-algorithm takes rsa-sha256, rsa-sha384, rsa-sha512 or rsa-sha1");
        sp.signature_algorithm = *alg;
    }
    if (auto l = a.one("allow-legacy")) {
        auto legacy = parse_saml_legacy(*l);
        if (!legacy) return usage(legacy.error().detail);
        sp.allow_sha1 = legacy.value().sha1;
    }
    SamlSignaturePolicy policy = SamlSignaturePolicy::either;
    if (auto p = a.one("policy")) {
        auto parsed = parse_policy(*p);
        if (!parsed) return usage(parsed.error().detail);
        policy = parsed.value();
    }
    sp.want_assertions_signed = policy == SamlSignaturePolicy::assertion || policy == SamlSignaturePolicy::both;
    return -1;
}

// Writes `text` to a new file of mode 0600 (whatever the umask); an existing
// file only with `replace`.
Result<void> write_private_file(const std::string& path, const std::string& text, bool replace) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (replace ? O_TRUNC : O_EXCL), 0600);
    if (fd < 0) {
        if (errno == EEXIST) return make_error(Status::config_io, path + " exists (--force replaces it)");
        return make_error(Status::config_io, "cannot create " + path + ": " + std::strerror(errno));
    }
    bool ok = ::fchmod(fd, 0600) == 0;
    std::size_t done = 0;
    while (ok && done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += static_cast<std::size_t>(n);
    }
    ok = ::close(fd) == 0 && ok;
    if (!ok) return make_error(Status::config_io, "cannot write " + path);
    return {};
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, n > 0 ? static_cast<std::size_t>(n) : 0);
}

// An RSA 3072 key and a self-signed certificate for it (SHA-256, serial of
// 128 random bits, CN = subject): the SP key pair, PEM.
Result<std::pair<std::string, std::string>> make_sp_key_pair(const std::string& subject, long days) {
    auto fail_ssl = [](const char* what) {
        return make_error(Status::internal, std::string("OpenSSL: ") + what);
    };
    CPtr<EVP_PKEY, EVP_PKEY_free> key(EVP_RSA_gen(3072));
    if (!key) return fail_ssl("RSA key generation failed");
    CPtr<X509, X509_free> cert(X509_new());
    if (!cert || X509_set_version(cert.get(), 2) != 1) return fail_ssl("X509_new");
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) return fail_ssl("RAND_bytes");
    serial[0] &= 0x7f;  // positive
    serial[0] |= 0x40;  // and of full length
    CPtr<BIGNUM, BN_free> bn(BN_bin2bn(serial, sizeof serial, nullptr));
    if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()))) return fail_ssl("serial");
    if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) ||
        !X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(days), 0, nullptr))
        return fail_ssl("validity");
    X509_NAME* name = X509_get_subject_name(cert.get());
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(subject.c_str()),
                                   -1, -1, 0) != 1 ||
        X509_set_issuer_name(cert.get(), name) != 1 || X509_set_pubkey(cert.get(), key.get()) != 1)
        return fail_ssl("subject");
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    for (const auto& [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
                                     std::pair{NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                                     std::pair{NID_subject_key_identifier, "hash"}}) {
        CPtr<X509_EXTENSION, X509_EXTENSION_free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
        if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) return fail_ssl("extensions");
    }
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return fail_ssl("signing the certificate");
    CPtr<BIO, BIO_free> key_bio(BIO_new(BIO_s_mem())), cert_bio(BIO_new(BIO_s_mem()));
    if (!key_bio || !cert_bio || PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
        PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1)
        return fail_ssl("PEM");
    return std::make_pair(bio_text(key_bio.get()), bio_text(cert_bio.get()));
}

// The host of an http(s) URL, without the port.
std::string url_host(const std::string& url) {
    auto start = url.find("://");
    if (start == std::string::npos) return "";
    start += 3;
    auto end = url.find_first_of(":/?#", start);
    return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

// hdsso saml metadata: the SP metadata a site serves at PREFIX/metadata,
// from the same settings (for the same settings, the same bytes).
int saml_metadata(const Args& a) {
    if (auto bad = a.check({"base-url", "endpoint", "sp-entity-id", "acs-url", "slo-url", "sp-cert", "sp-key",
                            "sp-next-cert", "sp-next-key", "name-id-format", "signature-algorithm", "allow-legacy",
                            "policy"},
                           0, 0))
        return usage(*bad);
    SamlSpSettings sp;
    if (int rc = sp_settings(a, sp, true); rc >= 0) return rc;
    auto md = saml_sp_metadata(sp);
    if (!md) return fail(md.error());
    std::cout << md.value();
    return kOk;
}

// hdsso saml keygen: the SP key pair, written 0600, and the metadata the
// site then serves (what mellon_create_metadata does for mod_auth_mellon).
int saml_keygen(const Args& a) {
    if (auto bad = a.check({"key", "cert", "days", "subject", "force", "base-url", "endpoint", "sp-entity-id",
                            "acs-url", "slo-url", "name-id-format", "signature-algorithm", "allow-legacy", "policy",
                            "sp-key", "sp-cert"},
                           0, 0))
        return usage(*bad);
    auto key_path = a.one("key"), cert_path = a.one("cert");
    if (!key_path || !cert_path) return usage("--key and --cert (the files to write) are required");
    if (*key_path == *cert_path) return usage("--key and --cert must be two files");
    long days = 3650;
    if (auto d = a.one("days")) {
        auto n = parse_int(*d);
        if (!n || *n < 1 || *n > 36500) return usage("--days takes 1 to 36500");
        days = static_cast<long>(*n);
    }
    SamlSpSettings sp;
    if (int rc = sp_settings(a, sp, false); rc >= 0) return rc;
    // Key rollover: given the current pair, the new one is made as its next
    // pair (HelpdeskSSOSAMLNextKeyFile, HelpdeskSSOSAMLNextCertFile).
    bool next = a.one("sp-key") || a.one("sp-cert");
    if (next) {
        if (!a.one("sp-key") || !a.one("sp-cert"))
            return usage("--sp-key and --sp-cert (the current pair, for a rollover) go together");
        // The same file under another name (./sp.key, a link) is the same file.
        auto same_file = [](const std::string& x, const std::string& y) {
            struct stat sx {}, sy {};
            if (x == y) return true;
            return ::stat(x.c_str(), &sx) == 0 && ::stat(y.c_str(), &sy) == 0 && sx.st_dev == sy.st_dev &&
                   sx.st_ino == sy.st_ino;
        };
        for (const auto* path : {&*key_path, &*cert_path})
            if (same_file(*path, *a.one("sp-key")) || same_file(*path, *a.one("sp-cert")))
                return usage("--key and --cert are the new pair's files: not those of --sp-key and --sp-cert");
        for (const auto& [option, field] : {std::pair{"sp-key", &sp.key_pem}, std::pair{"sp-cert", &sp.cert_pem}}) {
            auto text = read_config_file(*a.one(option));
            if (!text) return fail(text.error());
            *field = text.value();
        }
    }
    std::string subject = a.one("subject").value_or(url_host(a.one("base-url").value_or(sp.acs_url)));
    if (subject.empty() || subject.size() > 64) return usage("--subject takes a common name of 1 to 64 characters");
    bool replace = a.one("force") == std::optional<std::string>("yes");
    if (!replace)
        for (const auto* path : {&*key_path, &*cert_path})
            if (::access(path->c_str(), F_OK) == 0)
                return fail(make_error(Status::config_io, *path + " exists (--force replaces it)"));
    auto pair = make_sp_key_pair(subject, days);
    if (!pair) return fail(pair.error());
    std::string& key_pem = next ? sp.next_key_pem : sp.key_pem;
    std::string& cert_pem = next ? sp.next_cert_pem : sp.cert_pem;
    key_pem = pair.value().first;
    cert_pem = pair.value().second;
    auto md = saml_sp_metadata(sp);  // checks the pair (and the current one) as apachectl -t does
    if (!md) return fail(md.error());
    if (auto w = write_private_file(*key_path, key_pem, replace); !w) return fail(w.error());
    if (auto w = write_private_file(*cert_path, cert_pem, replace); !w) return fail(w.error());
    std::cout << md.value();
    std::cerr << "wrote " << *key_path << " (RSA 3072, mode 0600) and " << *cert_path << " (CN=" << subject << ", "
              << days << " days); in the site" << (next ? ", beside the current pair (key rollover)" : "") << ":\n"
              << "    HelpdeskSSOSAML" << (next ? "Next" : "") << "KeyFile  " << *key_path << "\n"
              << "    HelpdeskSSOSAML" << (next ? "Next" : "") << "CertFile " << *cert_path << "\n";
    return kOk;
}

}  // namespace hdsso
