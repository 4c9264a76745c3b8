// SAML single logout (SamlSp::process_logout_request / _response, src/saml):
// the HTTP-Redirect messages any client can send to PATH/slo. The SP has a
// key and trusts one IdP whose key the harness holds (fuzz_saml_idp.h).
// First byte: bit 0 LogoutRequest (0) or LogoutResponse (1); bit 1 the rest
// is the XML of the message, which the harness deflates, encodes and signs
// as the IdP (so Lasso's reading of the message itself is reached past the
// signature), or (0) the rest is the query string as sent; bit 2 with a
// RelayState.
// Invariants: an accepted LogoutRequest came from the configured IdP, names
// a NameID, and answers with a LogoutResponse to the IdP's SLO URL; one sent
// as a raw query without a Signature parameter is never accepted; a signed
// one with a changed signature byte is refused.
#include "fuzz_common.h"
#include "fuzz_saml_idp.h"

#include "saml/saml.h"

using namespace hdsso;

namespace {

const char* kIdp = "http://idp.example.com/";
const char* kIdpSlo = "https://idp.example.com/slo";

struct Setup {
    fuzz::TestIdp idp = fuzz::make_idp();
    std::shared_ptr<SamlSp> sp;
    Setup() {
        SamlIdpSettings i;
        i.entity_id = kIdp;
        i.cert_pem = idp.cert_pem;
        i.sso_url = "https://idp.example.com/sso";
        i.slo_url = kIdpSlo;
        SamlSpSettings s;
        s.entity_id = "http://stuff.com/endpoints/metadata.php";
        s.acs_url = "http://stuff.com/endpoints/endpoints/acs.php";
        s.slo_url = "http://stuff.com/endpoints/endpoints/sls.php";
        s.key_pem = fuzz::read_vector("python3-saml/tests/data/customPath/certs/sp.key");
        auto r = SamlSp::create(s, {i});
        if (!r) {
            std::fprintf(stderr, "harness set-up: %s\n", r.error().detail.c_str());
            std::abort();
        }
        sp = r.value();
    }
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    saml_library_init();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Setup setup;
    fuzz::Input in(data, size);
    std::uint8_t mode = in.byte();
    bool response = mode & 1, sign = mode & 2;
    std::string_view relay = (mode & 4) ? std::string_view("/tickets?id=7") : std::string_view();
    std::string query = sign ? fuzz::redirect_query(response ? "SAMLResponse" : "SAMLRequest", in.rest(), relay,
                                                   setup.idp.key.get())
                             : std::string(in.rest());
    if (response) {
        (void)setup.sp->process_logout_response(query);
        return 0;
    }
    auto r = setup.sp->process_logout_request(query);
    if (!r) return 0;
    FUZZ_CHECK(query.find("Signature=") != std::string::npos, "an unsigned LogoutRequest was accepted");
    FUZZ_CHECK(r.value().issuer == kIdp, "a LogoutRequest from another issuer: " + r.value().issuer);
    FUZZ_CHECK(!r.value().name_id.empty(), "a LogoutRequest naming no one was accepted");
    FUZZ_CHECK(r.value().response_url.rfind(kIdpSlo, 0) == 0, "the LogoutResponse goes elsewhere: " + r.value().response_url);
    if (sign) {
        // The first character of the base64 signature, changed.
        std::size_t at = query.find("&Signature=") + 11;
        std::string changed = query;
        changed[at] = changed[at] == 'A' ? 'B' : 'A';
        FUZZ_CHECK(!setup.sp->process_logout_request(changed).ok(), "a LogoutRequest with a changed signature was accepted");
    }
    return 0;
}
