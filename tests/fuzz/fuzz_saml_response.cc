// SAML response processing (SamlSp::process_response, src/saml): what any
// client can POST to PATH/acs. One SP/IdP configuration per row of
// tests/vectors/python3-saml/MANIFEST.tsv (its IdP certificate, SP entity
// ID, ACS URL, IdP entity ID, SP decryption key or none, legacy
// allowances, clock and request ID), set up once. The first input byte
// picks the row (mod the number of rows) and bit 7 of the second byte makes
// the attempt unsolicited (no request ID); the rest is the SAMLResponse as
// posted (base64) or raw XML. The seeds (make_seeds.py) are each row's own
// response behind its row's byte.
// Invariants: an accepted response names a non-empty subject and NameID,
// comes from the row's IdP; and the same response accepted a second time
// (same replay store) aborts: assertion IDs are one-time.
#include "fuzz_common.h"

#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include "core/clock.h"
#include "core/kv_store.h"
#include "saml/saml.h"

using namespace hdsso;

namespace {

struct Config {
    std::shared_ptr<SamlSp> sp;
    std::string idp_entity_id;
    std::int64_t now = 0;
    std::string request_id;
};

std::string trim(std::string s) {
    std::size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

std::vector<Config> load() {
    std::istringstream in(fuzz::read_vector("python3-saml/MANIFEST.tsv"));
    std::string line;
    std::vector<std::string> header;
    std::vector<Config> out;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        std::vector<std::string> cells;
        std::size_t pos = 0;
        for (;;) {
            std::size_t tab = line.find('\t', pos);
            cells.push_back(line.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
            if (tab == std::string::npos) break;
            pos = tab + 1;
        }
        if (header.empty()) {
            header = cells;
            continue;
        }
        std::map<std::string, std::string> r;
        for (std::size_t i = 0; i < header.size(); ++i) r[header[i]] = i < cells.size() ? cells[i] : "";
        // As the unit test runs each row (tests/unit/saml_test.cc), with its allowances.
        SamlIdpSettings idp;
        std::string cert = r["idp_cert"].empty() ? "derived/idp_cert_afe71c28_settings1.pem" : r["idp_cert"];
        idp.cert_pem = fuzz::read_vector("python3-saml/" + cert);
        idp.entity_id = r["idp_entity_id"].empty() ? "urn:none" : r["idp_entity_id"];
        std::string legacy = r["legacy_needs"];
        if (r["idp_cert"].empty()) legacy += ",sha1,rsa1024";
        idp.legacy = parse_saml_legacy(legacy).value();
        idp.allow_unsolicited = true;
        SamlSpSettings sp;
        sp.entity_id = r["sp_entity_id"].empty() ? "urn:sp" : r["sp_entity_id"];
        sp.acs_url = trim(r["acs_url"]).empty() ? "https://sp.invalid/acs" : trim(r["acs_url"]);
        if (!r["sp_key"].empty()) sp.key_pem = fuzz::read_vector("python3-saml/" + r["sp_key"]);
        auto s = SamlSp::create(sp, {idp});
        if (!s) {
            std::fprintf(stderr, "harness set-up: row %s: %s\n", r["file"].c_str(), s.error().detail.c_str());
            std::abort();
        }
        Config c;
        c.sp = s.value();
        c.idp_entity_id = idp.entity_id;
        c.now = r["now"].empty() ? 0 : parse_saml_time(r["now"]).value();
        c.request_id = r["request_id"];
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    saml_library_init();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::vector<Config> configs = load();
    fuzz::Input in(data, size);
    const Config& c = configs[in.byte() % configs.size()];
    bool unsolicited = in.byte() & 0x80;
    std::string_view message = in.rest();
    (void)saml_response_issuer(message);
    FixedClock clock(c.now);
    MemoryKvStore store(clock);
    ReplayCache replay(store);
    std::string request_id = unsolicited ? std::string() : c.request_id;
    auto r = c.sp->process_response(message, c.now, request_id, replay);
    if (!r) return 0;
    const SamlLogin& login = r.value();
    FUZZ_CHECK(!login.identity.subject.empty(), "an accepted response without a subject");
    FUZZ_CHECK(!login.name_id.empty(), "an accepted response without a NameID");
    FUZZ_CHECK(login.identity.issuer == c.idp_entity_id, "an accepted response from another issuer: " + login.identity.issuer);
    auto twice = c.sp->process_response(message, c.now, request_id, replay);
    FUZZ_CHECK(!twice.ok(), "a SAML assertion was accepted twice");
    return 0;
}
