#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>

#include "helpdesk/site_check.h"

using namespace hdsso;

namespace {

SiteFacts saml_site() {
    SiteFacts f;
    f.where = "helpdesk.example.com:443";
    f.names = {"helpdesk.example.com"};
    f.enabled = true;
    f.lifetime = 28800;
    f.idle_timeout = 3600;
    f.saml_configured = true;
    f.saml_base_url = "https://helpdesk.example.com";
    f.saml_sp_key = f.saml_sp_cert = f.saml_idp_slo = true;
    return f;
}

std::vector<std::string> codes(const std::vector<Finding>& findings, bool errors) {
    std::vector<std::string> out;
    for (const auto& f : findings)
        if (f.error == errors) out.push_back(f.code);
    return out;
}

}  // namespace

class SiteCheckTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SiteCheckTest);
    CPPUNIT_TEST(testCleanSite);
    CPPUNIT_TEST(testSamlUrls);
    CPPUNIT_TEST(testIdpChoices);
    CPPUNIT_TEST(testFilesAndOff);
    CPPUNIT_TEST_SUITE_END();

public:
    void testCleanSite() { CPPUNIT_ASSERT(check_site(saml_site()).empty()); }

    void testSamlUrls() {
        SiteFacts f = saml_site();
        f.saml_base_url = "http://portal.example.com";
        auto w = codes(check_site(f), false);
        CPPUNIT_ASSERT(w == std::vector<std::string>({"saml.base_url_scheme", "saml.base_url_host"}));
        f.saml_base_url.clear();
        CPPUNIT_ASSERT(codes(check_site(f), true) == std::vector<std::string>{"saml.base_url"});
        f = saml_site();
        f.saml_error = "SAML: config.invalid: no IdP in the metadata";
        f.saml_sp_cert = false;
        f.saml_idp_slo = false;
        auto all = check_site(f);
        CPPUNIT_ASSERT(codes(all, true) == std::vector<std::string>{"saml.idp"});
        CPPUNIT_ASSERT(codes(all, false) == std::vector<std::string>({"saml.sp_cert", "saml.no_slo"}));
        f = saml_site();
        f.saml_sp_key = false;
        CPPUNIT_ASSERT(codes(check_site(f), false) == std::vector<std::string>{"saml.sp_key"});
    }

    void testIdpChoices() {
        SiteFacts f = saml_site();
        f.idps = {{"staff", "saml", false, ""}, {"app", "jwt", false, ""}, {"partners", "remote", true, ""}};
        f.default_idp = "nobody";
        auto e = codes(check_site(f), true);
        CPPUNIT_ASSERT(e == std::vector<std::string>({"idp.login_url", "idp.jwt_key", "idp.remote_secret", "idp.default"}));
        f.saml_configured = false;
        e = codes(check_site(f), true);
        CPPUNIT_ASSERT(std::find(e.begin(), e.end(), "idp.saml") != e.end());
    }

    void testFilesAndOff() {
        SiteFacts f = saml_site();
        f.remote_secret_path = "/nonexistent/hdsso-secret";
        f.remote_login_url = true;
        CPPUNIT_ASSERT(codes(check_site(f), true) == std::vector<std::string>{"remote.secret_file"});
        f.check_files = false;
        CPPUNIT_ASSERT(codes(check_site(f), true).empty());
        f.enabled = false;
        CPPUNIT_ASSERT(codes(check_site(f), false) == std::vector<std::string>{"site.off"});
        SiteFacts nothing;
        nothing.enabled = true;
        nothing.lifetime = 100;
        CPPUNIT_ASSERT(codes(check_site(nothing), false) == std::vector<std::string>{"site.no_sign_in"});
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SiteCheckTest);
