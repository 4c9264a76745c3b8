// SAML: every row of tests/vectors/python3-saml/MANIFEST.tsv through the
// core with the row's own settings, with and without the legacy allowances
// it names; and the checks that need no signed fixture (times, legacy list).
#include <cppunit/extensions/HelperMacros.h>

#include <iostream>
#include <map>
#include <sstream>

#include "core/clock.h"
#include "core/kv_store.h"
#include "saml/saml.h"
#include "vectors.h"

using namespace hdsso;

namespace {

struct Row {
    std::map<std::string, std::string> f;
    const std::string& operator[](const std::string& k) const { return f.at(k); }
};

std::vector<Row> manifest() {
    std::istringstream in(read_vector("python3-saml/MANIFEST.tsv"));
    std::string line;
    std::vector<std::string> header;
    std::vector<Row> rows;
    auto split = [](const std::string& l) {
        std::vector<std::string> out;
        std::size_t pos = 0;
        for (;;) {
            std::size_t tab = l.find('\t', pos);
            out.push_back(l.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
            if (tab == std::string::npos) break;
            pos = tab + 1;
        }
        return out;
    };
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        auto cells = split(line);
        if (header.empty()) {
            header = cells;
            continue;
        }
        Row r;
        for (std::size_t i = 0; i < header.size(); ++i) r.f[header[i]] = i < cells.size() ? cells[i] : "";
        rows.push_back(std::move(r));
    }
    return rows;
}

std::string trim(std::string s) {
    std::size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

// Rows whose expected result this product cannot meet, and why.
const std::map<std::string, std::string> kKnown = {
};

Result<SamlLogin> run(const Row& r, bool with_allowances) {
    SamlIdpSettings idp;
    // Rows that no certificate verifies are run against settings1's
    // certificate, with its allowances, so that the message itself fails.
    std::string cert = r["idp_cert"].empty() ? "derived/idp_cert_afe71c28_settings1.pem" : r["idp_cert"];
    idp.cert_pem = read_vector("python3-saml/" + cert);
    idp.entity_id = r["idp_entity_id"].empty() ? "urn:none" : r["idp_entity_id"];
    std::string legacy = with_allowances ? r["legacy_needs"] : "";
    if (r["idp_cert"].empty()) legacy += ",sha1,rsa1024";
    idp.legacy = parse_saml_legacy(legacy).value();
    idp.allow_unsolicited = r["request_id"].empty();
    SamlSpSettings sp;
    sp.entity_id = r["sp_entity_id"].empty() ? "urn:sp" : r["sp_entity_id"];
    sp.acs_url = trim(r["acs_url"]).empty() ? "https://sp.invalid/acs" : trim(r["acs_url"]);
    if (!r["sp_key"].empty()) sp.key_pem = read_vector("python3-saml/" + r["sp_key"]);
    auto saml = SamlSp::create(sp, {idp});
    if (!saml) return saml.error();
    std::int64_t now = r["now"].empty() ? 0 : parse_saml_time(r["now"]).value();
    FixedClock clock(now);
    MemoryKvStore store(clock);
    ReplayCache replay(store);
    return saml.value()->process_response(read_vector("python3-saml/" + r["file"]), now, r["request_id"], replay);
}

}  // namespace

class SamlTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SamlTest);
    CPPUNIT_TEST(testManifestRowsWithTheirAllowances);
    CPPUNIT_TEST(testValidRowsNeedTheirAllowances);
    CPPUNIT_TEST(testReplayedAssertionRefused);
    CPPUNIT_TEST(testSamlTime);
    CPPUNIT_TEST(testLegacyList);
    CPPUNIT_TEST(testSpMetadataEscapesAndLists);
    CPPUNIT_TEST_SUITE_END();

public:
    void testManifestRowsWithTheirAllowances() {
        int valid = 0, invalid = 0, acceptable = 0, known = 0;
        std::string mismatches;
        for (const Row& r : manifest()) {
            auto result = run(r, true);
            const std::string& expected = r["expected"];
            if (kKnown.count(r["file"])) {
                CPPUNIT_ASSERT_MESSAGE(r["file"] + " now passes: drop it from kKnown", !result.ok());
                ++known;
            } else if (expected == "valid") {
                if (result.ok()) ++valid;
                else mismatches += "\n  " + r["file"] + " (valid): " + status_name(result.error().code) + " " +
                                   result.error().detail;
            } else if (expected == "invalid") {
                if (!result.ok()) ++invalid;
                else mismatches += "\n  " + r["file"] + " (invalid): accepted";
            } else {
                ++acceptable;
            }
        }
        std::cout << "\n  python3-saml: " << valid << " valid accepted, " << invalid << " invalid rejected, "
                  << acceptable << " acceptable, " << known << " known Lasso limitation\n";
        CPPUNIT_ASSERT_EQUAL_MESSAGE(mismatches, std::string(), mismatches);
        CPPUNIT_ASSERT(valid >= 14);
        CPPUNIT_ASSERT(invalid >= 50);
    }

    // A strict build refuses what the row's allowances relax (SHA-1, 1024-bit
    // keys, CBC, RSA1_5); "expired-cert" alone needs no allowance.
    void testValidRowsNeedTheirAllowances() {
        int refused = 0;
        for (const Row& r : manifest()) {
            if (r["expected"] != "valid" || kKnown.count(r["file"])) continue;
            std::string needs = r["legacy_needs"];
            if (needs.empty() || needs == "expired-cert") continue;
            auto result = run(r, false);
            CPPUNIT_ASSERT_MESSAGE(r["file"] + " accepted without its allowances " + needs, !result.ok());
            CPPUNIT_ASSERT_MESSAGE(r["file"] + ": " + status_name(result.error().code),
                                   result.error().code == Status::saml_legacy_algorithm);
            ++refused;
        }
        std::cout << "\n  python3-saml: " << refused << " valid rows refused without their allowances\n";
        CPPUNIT_ASSERT(refused >= 10);
    }

    void testReplayedAssertionRefused() {
        for (const Row& r : manifest()) {
            if (r["file"] != "tests/data/responses/valid_response.xml.base64") continue;
            SamlIdpSettings idp;
            idp.cert_pem = read_vector("python3-saml/" + r["idp_cert"]);
            idp.entity_id = r["idp_entity_id"];
            idp.legacy = parse_saml_legacy(r["legacy_needs"]).value();
            SamlSpSettings sp{r["sp_entity_id"], r["acs_url"], "", "", ""};
            auto saml = SamlSp::create(sp, {idp}).value();
            std::int64_t now = parse_saml_time(r["now"]).value();
            FixedClock clock(now);
            MemoryKvStore store(clock);
            ReplayCache replay(store);
            std::string msg = read_vector("python3-saml/" + r["file"]);
            CPPUNIT_ASSERT(saml->process_response(msg, now, r["request_id"], replay).ok());
            auto again = saml->process_response(msg, now, r["request_id"], replay);
            CPPUNIT_ASSERT(!again.ok());
            CPPUNIT_ASSERT_EQUAL(std::string("saml.replayed"), std::string(status_name(again.error().code)));
            // Without its request ID (unsolicited, not allowed): refused as such.
            auto unsolicited = saml->process_response(msg, now, "", replay);
            CPPUNIT_ASSERT_EQUAL(std::string("saml.in_response_to"), std::string(status_name(unsolicited.error().code)));
            // Another request ID.
            auto other = saml->process_response(msg, now, "ONELOGIN_other", replay);
            CPPUNIT_ASSERT_EQUAL(std::string("saml.in_response_to"), std::string(status_name(other.error().code)));
            // Too late, and too early, beyond the skew.
            MemoryKvStore store2(clock);
            ReplayCache replay2(store2);
            // (The fixture's windows end in 2023 and later: far ahead.)
            auto late = saml->process_response(msg, parse_saml_time("2999-01-01T00:00:00Z").value(), r["request_id"],
                                               replay2);
            CPPUNIT_ASSERT_EQUAL(std::string("saml.too_late"), std::string(status_name(late.error().code)));
            auto early = saml->process_response(msg, now - 3600, r["request_id"], replay2);
            CPPUNIT_ASSERT_EQUAL(std::string("saml.too_early"), std::string(status_name(early.error().code)));
            return;
        }
        CPPUNIT_FAIL("valid_response.xml.base64 is not in the manifest");
    }

    void testSamlTime() {
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1392793081), parse_saml_time("2014-02-19T06:58:01Z").value());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), parse_saml_time("1970-01-01T00:00:00Z").value());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(951782400), parse_saml_time("2000-02-29T00:00:00.123Z").value());
        for (const char* bad : {"2014-02-19T06:58:01", "2014-02-19T06:58:01+01:00", "2014-02-19 06:58:01Z",
                                "2014-13-19T06:58:01Z", "2014-02-19T06:58:01.Z", "", "x"})
            CPPUNIT_ASSERT_MESSAGE(bad, !parse_saml_time(bad).ok());
    }

    void testLegacyList() {
        auto l = parse_saml_legacy("sha1,rsa1024,xmlenc-cbc,rsa1_5,expired-cert").value();
        CPPUNIT_ASSERT(l.sha1 && l.rsa1024 && l.xmlenc_cbc && l.rsa1_5);
        auto none = parse_saml_legacy("").value();
        CPPUNIT_ASSERT(!none.sha1 && !none.rsa1024 && !none.xmlenc_cbc && !none.rsa1_5);
        CPPUNIT_ASSERT(!parse_saml_legacy("md5").ok());
    }

    void testSpMetadataEscapesAndLists() {
        SamlSpSettings sp{"https://helpdesk.example.com/sso?a=1&b=\"2\"", "https://helpdesk.example.com/sso/acs", "", "",
                          ""};
        std::string md = saml_sp_metadata(sp);
        CPPUNIT_ASSERT(md.find("entityID=\"https://helpdesk.example.com/sso?a=1&amp;b=&quot;2&quot;\"") !=
                       std::string::npos);
        CPPUNIT_ASSERT(md.find("Location=\"https://helpdesk.example.com/sso/acs\"") != std::string::npos);
        CPPUNIT_ASSERT(md.find("HTTP-POST") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SamlTest);
