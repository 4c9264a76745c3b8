// make bench (SAML part): ACS processing of the same signed response by our
// SamlSp::process_response (Lasso plus every check it leaves to the caller)
// against bare Lasso on it (lasso_login_process_authn_response_msg +
// lasso_login_accept_sso). Interleaved rounds, medians of per-round ratios.
// The response is python3-saml's valid_response.xml.base64 (RSA-SHA1, both
// Response and Assertion signed), read from tests/vectors.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/kv_store.h"
#include "saml/lasso.h"
#include "saml/saml.h"

using namespace hdsso;

namespace {

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

double time_batch(const std::function<void()>& f, long n) {
    auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) f();
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / double(n);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = argc > 1 ? std::atoi(argv[1]) : 15;
    long batch = argc > 2 ? std::atol(argv[2]) : 200;
    if (rounds < 1 || rounds > 101 || batch < 1 || batch > 100000) {
        std::fprintf(stderr, "usage: saml_bench [ROUNDS 1-101] [BATCH]\n");
        return 2;
    }
    const char* env = std::getenv("HDSSO_VECTORS");
    std::string vectors = env ? env : std::string(HDSSO_TOP_SRCDIR) + "/tests/vectors";
    std::string dir = vectors + "/python3-saml/";
    std::string message = read(dir + "tests/data/responses/valid_response.xml.base64");
    std::string cert = read(dir + "derived/idp_cert_afe71c28_settings1.pem");
    if (message.empty() || cert.empty()) {
        std::fprintf(stderr, "saml_bench: the python3-saml vectors are not at %s (set HDSSO_VECTORS)\n", dir.c_str());
        return 1;
    }
    SamlSpSettings sp;
    sp.entity_id = "http://stuff.com/endpoints/metadata.php";
    sp.acs_url = "https://pitbulk.no-ip.org/newonelogin/demo1/index.php?acs";
    SamlIdpSettings idp;
    idp.entity_id = "http://idp.example.com/";
    idp.cert_pem = cert;
    idp.legacy = parse_saml_legacy("sha1,rsa1024").value();
    auto saml = SamlSp::create(sp, {idp});
    if (!saml) {
        std::fprintf(stderr, "saml_bench: %s\n", saml.error().detail.c_str());
        return 1;
    }
    const std::int64_t now = parse_saml_time("2014-02-19T01:38:01Z").value();
    const std::string request_id = "ONELOGIN_5fe9d6e499b2f0913206aab3f7191729049bb807";
    FixedClock clock(now);
    bool ok = true;
    auto ours = [&] {
        MemoryKvStore store(clock);  // a fresh replay cache: the same response every time
        ReplayCache replay(store);
        if (!saml.value()->process_response(message, now, request_id, replay)) ok = false;
    };

    // Bare Lasso with the same SP and IdP.
    std::string spmd = saml_sp_metadata(sp).value();
    LassoServer* server = lasso_server_new_from_buffers(spmd.c_str(), nullptr, nullptr, nullptr);
    std::string body;
    for (std::size_t pos = 0; pos < cert.size();) {
        std::size_t end = cert.find('\n', pos);
        if (end == std::string::npos) end = cert.size();
        std::string line = cert.substr(pos, end - pos);
        if (line.rfind("-----", 0) != 0) body += line;
        pos = end + 1;
    }
    std::string idpmd =
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
        "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"http://idp.example.com/\"><md:IDPSSODescriptor "
        "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"><md:KeyDescriptor use=\"signing\">"
        "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>" +
        body +
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService "
        "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"https://idp.invalid/sso\"/>"
        "</md:IDPSSODescriptor></md:EntityDescriptor>";
    if (!server || lasso_server_add_provider_from_buffer(server, LASSO_PROVIDER_ROLE_IDP, idpmd.c_str(), nullptr,
                                                         nullptr) != 0) {
        std::fprintf(stderr, "saml_bench: Lasso refused the bare setup\n");
        return 1;
    }
    std::string b64;
    for (char c : message)
        if (c != '\n' && c != '\r' && c != ' ') b64 += c;
    auto bare = [&] {
        LassoLogin* login = lasso_login_new(server);
        if (lasso_login_process_authn_response_msg(login, const_cast<char*>(b64.c_str())) != 0 ||
            lasso_login_accept_sso(login) != 0)
            ok = false;
        lasso_login_destroy(login);
    };
    ours();
    bare();
    if (!ok) {
        std::fprintf(stderr, "saml_bench: a verifier rejected the benchmark response\n");
        return 1;
    }
    std::vector<double> t_ours, t_bare, ratio;
    for (int r = 0; r < rounds; ++r) {
        double o, b;
        if (r % 2) {
            o = time_batch(ours, batch);
            b = time_batch(bare, batch);
        } else {
            b = time_batch(bare, batch);
            o = time_batch(ours, batch);
        }
        t_ours.push_back(o);
        t_bare.push_back(b);
        ratio.push_back(o / b);
    }
    lasso_server_destroy(server);
    if (!ok) {
        std::fprintf(stderr, "saml_bench: a verification failed while timing\n");
        return 1;
    }
    double q = median(ratio);
    std::printf("SAML ACS, us per response (medians over %d interleaved rounds of %ld)\n", rounds, batch);
    std::printf("  bare Lasso %.1f  ours %.1f  ours/bare %.3f  target <= 1.15: %s\n", median(t_bare) / 1000,
                median(t_ours) / 1000, q, q <= 1.15 ? "met" : "NOT met");
    return 0;
}
