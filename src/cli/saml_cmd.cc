// hdsso saml verify / hdsso saml metadata.
#include <iostream>

#include "cli/cli.h"
#include "core/secret_file.h"
#include "core/clock.h"
#include "core/kv_store.h"
#include "saml/saml.h"

#include <cstdio>
#include <fstream>

#include <curl/curl.h>


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

}  // namespace

int saml_verify(const Args& a) {
    if (auto bad = a.check({"idp-metadata", "idp-cert", "idp-cert-fingerprint", "idp-entity-id", "sp-entity-id", "acs-url", "request-id",
                            "allow-unsolicited", "now", "sp-key", "allow-legacy", "policy", "skew", "attribute", "repeat"},
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
    if (auto f = a.one("idp-metadata")) {
        auto md = read_config_file(*f);
        if (!md) return fail(md.error());
        idp.metadata_xml = md.value();
        idp.entity_id = a.one("idp-entity-id").value_or("");  // picks the IdP in an aggregate
    } else {
        if (auto f = a.one("idp-cert")) {
            auto cert = read_config_file(*f);
            if (!cert) return fail(cert.error());
            idp.cert_pem = cert.value();
        } else {
            idp.cert_fingerprint = *a.one("idp-cert-fingerprint");
        }
        // Without --idp-entity-id, the certificate is trusted for the issuer
        // the response names (the certificate is what is pinned); a
        // response without one is refused by the checks themselves.
        idp.entity_id = a.one("idp-entity-id").value_or(saml_response_issuer(message.value()));
        if (idp.entity_id.empty()) idp.entity_id = "urn:hdsso:no-issuer";
    }
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
    SamlSpSettings sp;
    sp.entity_id = *a.one("sp-entity-id");
    sp.acs_url = *a.one("acs-url");
    if (auto k = a.one("sp-key")) {
        auto key = read_config_file(*k);
        if (!key) return fail(key.error());
        sp.key_pem = key.value();
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
    if (!login) return fail(login.error());
    std::cout << identity_to_json(login.value().identity, {{"name_id", login.value().name_id},
                                                           {"name_id_format", login.value().name_id_format},
                                                           {"session_index", login.value().session_index}})
              << "\n";
    return kOk;
}

namespace {

constexpr std::size_t kMaxMetadata = 16 * 1024 * 1024;

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
    auto* body = static_cast<std::string*>(out);
    if (body->size() + size * n > kMaxMetadata) return 0;  // stops the transfer
    body->append(data, size * n);
    return size * n;
}

}  // namespace

// hdsso saml fetch-metadata URL [--out FILE]: what an administrator (or a
// timer) runs to refresh the file HelpdeskSSOSAMLIdPMetadataFile reads; the
// module never depends on the network to start.
int saml_fetch_metadata(const Args& a) {
    if (auto bad = a.check({"out"}, 1, 1)) return usage(*bad);
    const std::string& url = a.positional[0];
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) return usage("the URL must be http(s)");
    CPtr<CURL, curl_easy_cleanup> curl(curl_easy_init());
    if (!curl) return fail(make_error(Status::internal, "libcurl did not start"));
    std::string body;
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl.get(), CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, errbuf);
    if (CURLcode rc = curl_easy_perform(curl.get()); rc != CURLE_OK)
        return fail(make_error(Status::config_io, url + ": " + (*errbuf ? errbuf : curl_easy_strerror(rc))));
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

// hdsso saml metadata: the SP metadata a site serves at PREFIX/metadata,
// from the same settings (for the same settings, the same bytes).
int saml_metadata(const Args& a) {
    if (auto bad = a.check({"base-url", "endpoint", "sp-entity-id", "acs-url", "slo-url", "sp-cert", "sp-key",
                            "name-id-format", "signature-algorithm", "allow-legacy", "policy"},
                           0, 0))
        return usage(*bad);
    SamlSpSettings sp;
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
    for (const auto& [option, field] : {std::pair{"sp-cert", &sp.cert_pem}, std::pair{"sp-key", &sp.key_pem}}) {
        auto path = a.one(option);
        if (!path) continue;
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
    auto md = saml_sp_metadata(sp);
    if (!md) return fail(md.error());
    std::cout << md.value();
    return kOk;
}

}  // namespace hdsso
