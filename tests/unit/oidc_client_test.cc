// OpenID Connect relying party: the authorization and token requests (each
// client authentication), the token and userinfo answers, the identity a
// provider's claims make (presets, tenant and hosted-domain restrictions,
// verified email only), Entra ID's multi-tenant issuer, back-channel logout
// tokens and the RP-initiated logout URL; each refusal by its name.
#include <cppunit/extensions/HelperMacros.h>

#include "core/crypto.h"
#include "jose/base64url.h"
#include "jose/jwt.h"
#include "oidc/client.h"
#include "oidc/id_token.h"
#include "url/query.h"
#include "jose_attack_helpers.h"
#include "test_keys.h"

using namespace hdsso;

namespace {

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kIssuer = "https://op.example.com";
const std::string kClient = "helpdesk";

OidcProvider provider() {
    OidcProvider p;
    p.issuer = kIssuer;
    p.authorization_endpoint = kIssuer + "/authorize?tenant=x";
    p.token_endpoint = kIssuer + "/token";
    p.jwks_uri = kIssuer + "/jwks";
    p.end_session_endpoint = kIssuer + "/logout";
    p.id_token_algs = {JwsAlg::RS256};
    p.form_post = true;
    return p;
}

std::map<std::string, std::string> params_of(const std::string& url_or_form) {
    std::map<std::string, std::string> out;
    auto q = parse_query(query_part(url_or_form));
    CPPUNIT_ASSERT(q.ok());
    for (auto& [k, v] : q.value()) {
        CPPUNIT_ASSERT_MESSAGE(k + " twice", out.count(k) == 0);
        out[k] = v;
    }
    return out;
}

JsonObject json(const std::string& text) {
    auto o = JsonObject::parse(text, Status::internal);
    CPPUNIT_ASSERT_MESSAGE(text, o.ok());
    return o.value();
}

HttpAnswer answer(long status, const std::string& body, const std::string& type = "application/json") {
    HttpAnswer a;
    a.status = status;
    a.body = body;
    a.content_type = type;
    return a;
}

void assert_refused(const Error& e, Status code, const std::string& detail_has = "") {
    CPPUNIT_ASSERT_EQUAL_MESSAGE(e.detail, std::string(status_name(code)), std::string(status_name(e.code)));
    CPPUNIT_ASSERT_MESSAGE(e.detail + " lacks " + detail_has, e.detail.find(detail_has) != std::string::npos);
}

}  // namespace

class OidcClientTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OidcClientTest);
    CPPUNIT_TEST(testAuthorizationRequest);
    CPPUNIT_TEST(testTokenRequestWithClientSecretBasic);
    CPPUNIT_TEST(testTokenRequestWithClientSecretPost);
    CPPUNIT_TEST(testTokenRequestWithPrivateKeyJwt);
    CPPUNIT_TEST(testTokenAnswers);
    CPPUNIT_TEST(testUserinfoAnswers);
    CPPUNIT_TEST(testIdentityPresets);
    CPPUNIT_TEST(testOnlyAVerifiedEmail);
    CPPUNIT_TEST(testTenantAndHostedDomain);
    CPPUNIT_TEST(testUserinfoAddsButNeverOverrides);
    CPPUNIT_TEST(testMultiTenantIssuer);
    CPPUNIT_TEST(testLogoutTokens);
    CPPUNIT_TEST(testEndSessionUrl);
    CPPUNIT_TEST(testNothingIsNotJson);
    CPPUNIT_TEST_SUITE_END();

    JwsKey rsa = test::key_of(test::generate_key(JwsAlg::RS256), JwsAlg::RS256, "k1");

    OidcClientSettings client(ClientAuth auth = ClientAuth::secret_basic) const {
        OidcClientSettings c;
        c.client_id = kClient;
        c.auth = auth;
        c.secret = SecretString("s3cret:with&odd=chars");
        return c;
    }

public:
    void testAuthorizationRequest() {
        auto url = authorization_url(provider(), client(), "https://hd.example.com/sso/oidc", "st", "nn", "ch", true);
        CPPUNIT_ASSERT(url.rfind(kIssuer + "/authorize?tenant=x&", 0) == 0);  // the provider's own query kept
        auto q = params_of(url);
        CPPUNIT_ASSERT_EQUAL(std::string("code"), q["response_type"]);
        CPPUNIT_ASSERT_EQUAL(kClient, q["client_id"]);
        CPPUNIT_ASSERT_EQUAL(std::string("https://hd.example.com/sso/oidc"), q["redirect_uri"]);
        CPPUNIT_ASSERT_EQUAL(std::string("openid email profile"), q["scope"]);
        CPPUNIT_ASSERT_EQUAL(std::string("st"), q["state"]);
        CPPUNIT_ASSERT_EQUAL(std::string("nn"), q["nonce"]);
        CPPUNIT_ASSERT_EQUAL(std::string("ch"), q["code_challenge"]);
        CPPUNIT_ASSERT_EQUAL(std::string("S256"), q["code_challenge_method"]);
        CPPUNIT_ASSERT_EQUAL(std::string("form_post"), q["response_mode"]);
        // Not asked (cookies not Secure), or not offered by the provider.
        CPPUNIT_ASSERT(params_of(authorization_url(provider(), client(), "r", "s", "n", "c", false)).count("response_mode") == 0);
        OidcProvider no_post = provider();
        no_post.form_post = false;
        CPPUNIT_ASSERT(params_of(authorization_url(no_post, client(), "r", "s", "n", "c", true)).count("response_mode") == 0);
    }

    void testTokenRequestWithClientSecretBasic() {
        auto req = token_request(provider(), client(), "the-code", "https://hd/sso/oidc", "verifier-1", kNow);
        CPPUNIT_ASSERT(req.ok());
        CPPUNIT_ASSERT(req.value().post);
        CPPUNIT_ASSERT_EQUAL(std::string("application/x-www-form-urlencoded"), req.value().content_type);
        auto f = params_of(req.value().body);
        CPPUNIT_ASSERT_EQUAL(std::string("authorization_code"), f["grant_type"]);
        CPPUNIT_ASSERT_EQUAL(std::string("the-code"), f["code"]);
        CPPUNIT_ASSERT_EQUAL(std::string("https://hd/sso/oidc"), f["redirect_uri"]);
        CPPUNIT_ASSERT_EQUAL(std::string("verifier-1"), f["code_verifier"]);
        CPPUNIT_ASSERT(f.count("client_secret") == 0);
        // RFC 6749 §2.3.1: id and secret form-encoded, then Basic.
        std::string expect = "Authorization: Basic " + base64_encode("helpdesk:s3cret%3Awith%26odd%3Dchars");
        bool found = false;
        for (const auto& h : req.value().headers) found = found || h == expect;
        CPPUNIT_ASSERT(found);
        CPPUNIT_ASSERT_EQUAL(std::string("aGVscGRlc2s6cw=="), base64_encode("helpdesk:s"));
    }

    void testTokenRequestWithClientSecretPost() {
        auto req = token_request(provider(), client(ClientAuth::secret_post), "c", "r", "v", kNow);
        CPPUNIT_ASSERT(req.ok());
        auto f = params_of(req.value().body);
        CPPUNIT_ASSERT_EQUAL(kClient, f["client_id"]);
        CPPUNIT_ASSERT_EQUAL(std::string("s3cret:with&odd=chars"), f["client_secret"]);
        for (const auto& h : req.value().headers) CPPUNIT_ASSERT(h.rfind("Authorization", 0) != 0);
    }

    void testTokenRequestWithPrivateKeyJwt() {
        OidcClientSettings c = client(ClientAuth::private_key_jwt);
        c.secret = SecretString();
        // Without a key: a configuration error, never an unauthenticated request.
        auto none = token_request(provider(), c, "c", "r", "v", kNow);
        CPPUNIT_ASSERT(!none.ok());
        c.assertion_key = std::make_shared<const JwsKey>(rsa);
        auto req = token_request(provider(), c, "c", "r", "v", kNow);
        CPPUNIT_ASSERT(req.ok());
        auto f = params_of(req.value().body);
        CPPUNIT_ASSERT_EQUAL(kClient, f["client_id"]);
        CPPUNIT_ASSERT_EQUAL(std::string("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                             f["client_assertion_type"]);
        // The assertion verifies with the client's public key; RFC 7523 §3.
        JwsVerifier keys({rsa});
        auto v = keys.verify(f["client_assertion"]);
        CPPUNIT_ASSERT(v.ok());
        auto cl = json(v.value().payload);
        CPPUNIT_ASSERT(cl.string("iss") == kClient && cl.string("sub") == kClient);
        CPPUNIT_ASSERT(cl.string("aud") == provider().token_endpoint);
        CPPUNIT_ASSERT(cl.string("jti") && !cl.string("jti")->empty());
        CPPUNIT_ASSERT(cl.int64("exp") == kNow + 60 && cl.int64("iat") == kNow);
        for (const auto& h : req.value().headers) CPPUNIT_ASSERT(h.rfind("Authorization", 0) != 0);
        // A fresh jti each time.
        auto again = params_of(token_request(provider(), c, "c", "r", "v", kNow).value().body);
        CPPUNIT_ASSERT(again["client_assertion"] != f["client_assertion"]);
    }

    void testTokenAnswers() {
        auto ok = parse_token_answer(answer(200, R"({"id_token":"a.b.c","access_token":"at","token_type":"Bearer"})"));
        CPPUNIT_ASSERT(ok.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("a.b.c"), ok.value().id_token);
        CPPUNIT_ASSERT_EQUAL(std::string("at"), ok.value().access_token);
        CPPUNIT_ASSERT(parse_token_answer(answer(200, R"({"id_token":"a.b.c"})", "application/json; charset=utf-8")).ok());
        // A code used twice: the OAuth error by name, never the token.
        auto replayed = parse_token_answer(answer(400, R"({"error":"invalid_grant","error_description":"grant request is invalid"})"));
        CPPUNIT_ASSERT(!replayed.ok());
        assert_refused(replayed.error(), Status::oidc_token_endpoint, "HTTP 400: error invalid_grant: grant request");
        assert_refused(parse_token_answer(answer(500, "<html>down</html>", "text/html")).error(),
                       Status::oidc_token_endpoint, "HTTP 500: not an OAuth error answer");
        assert_refused(parse_token_answer(answer(200, R"({"access_token":"at","token_type":"Bearer"})")).error(),
                       Status::oidc_token_endpoint, "no id_token");
        assert_refused(parse_token_answer(answer(200, R"({"id_token":"a.b.c","access_token":"at","token_type":"MAC"})")).error(),
                       Status::oidc_token_endpoint, "Bearer");
        assert_refused(parse_token_answer(answer(200, R"({"id_token":"a.b.c"})", "text/plain")).error(),
                       Status::oidc_token_endpoint, "application/json");
        assert_refused(parse_token_answer(answer(200, "[]")).error(), Status::oidc_token_endpoint, "JSON object");
        assert_refused(parse_token_answer(answer(200, R"({"id_token":7})")).error(), Status::oidc_token_endpoint,
                       "no id_token");
        // Control characters from the provider do not reach the log.
        auto ctl = parse_token_answer(answer(401, "{\"error\":\"invalid_client\\r\\nX-Injected: 1\"}"));
        CPPUNIT_ASSERT(ctl.error().detail.find('\n') == std::string::npos);
    }

    void testUserinfoAnswers() {
        auto req = userinfo_request("at-1");
        CPPUNIT_ASSERT(!req.post);
        CPPUNIT_ASSERT_EQUAL(std::string("Authorization: Bearer at-1"), req.headers[0]);
        CPPUNIT_ASSERT(parse_userinfo(answer(200, R"({"sub":"u-1","email":"x@y"})"), "u-1").ok());
        assert_refused(parse_userinfo(answer(200, R"({"sub":"u-2"})"), "u-1").error(), Status::oidc_userinfo,
                       "not the ID token's");
        assert_refused(parse_userinfo(answer(200, R"({"email":"x@y"})"), "u-1").error(), Status::oidc_userinfo, "no sub");
        assert_refused(parse_userinfo(answer(401, R"({"error":"invalid_token"})"), "u-1").error(), Status::oidc_userinfo,
                       "HTTP 401");
        assert_refused(parse_userinfo(answer(200, "e30.e30.sig", "application/jwt"), "u-1").error(),
                       Status::oidc_userinfo, "signed userinfo");
    }

    void testIdentityPresets() {
        auto token = json(R"({"iss":"https://op.example.com","sub":"00u1","preferred_username":"jane@corp.example",)"
                          R"("email":"jane@corp.example","email_verified":true,"name":"Jane Doe","groups":["a","b"],)"
                          R"("sid":"s-9","oid":"o-1","iat":1799999990,"exp":1800000300})");
        OidcClientSettings c = client();
        auto generic = oidc_identity(token, nullptr, c, kIssuer, kNow);
        CPPUNIT_ASSERT(generic.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("00u1"), generic.value().subject);
        CPPUNIT_ASSERT_EQUAL(std::string("jane@corp.example"), generic.value().email);
        CPPUNIT_ASSERT_EQUAL(std::string("Jane Doe"), generic.value().display_name);
        CPPUNIT_ASSERT((generic.value().groups == std::vector<std::string>{"a", "b"}));
        CPPUNIT_ASSERT_EQUAL(kIssuer, generic.value().issuer);
        // Back-channel logout names it by sub and sid; the session's length
        // is the site's, not the ID token's.
        CPPUNIT_ASSERT_EQUAL(std::string("00u1"), generic.value().name_id);
        CPPUNIT_ASSERT_EQUAL(std::string("oidc"), generic.value().name_id_format);
        CPPUNIT_ASSERT_EQUAL(std::string("s-9"), generic.value().session_index);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), generic.value().expiry);
        CPPUNIT_ASSERT(generic.value().attributes.at("oid") == std::vector<std::string>{"o-1"});
        for (ClaimPreset p : {ClaimPreset::okta, ClaimPreset::entra}) {
            c.preset = p;
            c.mapping = preset_mapping(p);
            auto id = oidc_identity(token, nullptr, c, kIssuer, kNow);
            CPPUNIT_ASSERT(id.ok());
            CPPUNIT_ASSERT_EQUAL(std::string("jane@corp.example"), id.value().subject);
        }
        c.preset = ClaimPreset::google;
        c.mapping = preset_mapping(ClaimPreset::google);
        auto g = oidc_identity(token, nullptr, c, kIssuer, kNow);
        CPPUNIT_ASSERT(g.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("jane@corp.example"), g.value().subject);
        CPPUNIT_ASSERT(g.value().groups.empty());  // Google has no groups claim
        // The user claim missing: refused by name.
        c.mapping.user = "upn";
        assert_refused(oidc_identity(token, nullptr, c, kIssuer, kNow).error(), Status::oidc_claim_refused, "upn");
        CPPUNIT_ASSERT(parse_claim_preset("entra") == ClaimPreset::entra && !parse_claim_preset("azure"));
    }

    void testOnlyAVerifiedEmail() {
        const std::string base = R"({"iss":"https://op.example.com","sub":"u1","preferred_username":"jane@corp.example",)"
                                  R"("email":"ceo@victim.example")";
        OidcClientSettings c = client();
        for (const char* flag : {"", R"(,"email_verified":false)", R"(,"email_verified":"true")"}) {
            auto id = oidc_identity(json(base + flag + "}"), nullptr, c, kIssuer, kNow);
            CPPUNIT_ASSERT(id.ok());
            CPPUNIT_ASSERT_MESSAGE(flag, id.value().email.empty());
        }
        auto verified = oidc_identity(json(base + R"(,"email_verified":true})"), nullptr, c, kIssuer, kNow);
        CPPUNIT_ASSERT_EQUAL(std::string("ceo@victim.example"), verified.value().email);
        // Google names users by their email: only a verified one.
        c.preset = ClaimPreset::google;
        c.mapping = preset_mapping(ClaimPreset::google);
        assert_refused(oidc_identity(json(base + "}"), nullptr, c, kIssuer, kNow).error(), Status::oidc_claim_refused,
                       "email_verified");
        CPPUNIT_ASSERT(oidc_identity(json(base + R"(,"email_verified":true})"), nullptr, c, kIssuer, kNow).ok());
        // Entra ID: email is unverified unless xms_edov; the sign-in name stands in.
        c.preset = ClaimPreset::entra;
        c.mapping = preset_mapping(ClaimPreset::entra);
        auto entra = oidc_identity(json(base + R"(,"email_verified":true})"), nullptr, c, kIssuer, kNow);
        CPPUNIT_ASSERT_EQUAL(std::string("jane@corp.example"), entra.value().email);
        auto edov = oidc_identity(json(base + R"(,"xms_edov":true})"), nullptr, c, kIssuer, kNow);
        CPPUNIT_ASSERT_EQUAL(std::string("ceo@victim.example"), edov.value().email);
        // An administrator's own mapping is taken as it is.
        c = client();
        c.mapping.email = "mail";
        auto mapped = oidc_identity(json(R"({"sub":"u1","mail":"m@corp.example"})"), nullptr, c, kIssuer, kNow);
        CPPUNIT_ASSERT_EQUAL(std::string("m@corp.example"), mapped.value().email);
    }

    void testTenantAndHostedDomain() {
        OidcClientSettings c = client();
        c.tenants = {"t-1", "t-2"};
        CPPUNIT_ASSERT(oidc_identity(json(R"({"sub":"u","tid":"t-2"})"), nullptr, c, kIssuer, kNow).ok());
        assert_refused(oidc_identity(json(R"({"sub":"u","tid":"t-9"})"), nullptr, c, kIssuer, kNow).error(),
                       Status::oidc_claim_refused, "t-9");
        assert_refused(oidc_identity(json(R"({"sub":"u"})"), nullptr, c, kIssuer, kNow).error(),
                       Status::oidc_claim_refused, "no tid");
        // From the ID token only: userinfo cannot supply a tid.
        auto info = json(R"({"sub":"u","tid":"t-1"})");
        assert_refused(oidc_identity(json(R"({"sub":"u"})"), &info, c, kIssuer, kNow).error(),
                       Status::oidc_claim_refused, "no tid");
        c = client();
        c.domains = {"corp.example"};
        CPPUNIT_ASSERT(oidc_identity(json(R"({"sub":"u","hd":"corp.example"})"), nullptr, c, kIssuer, kNow).ok());
        assert_refused(oidc_identity(json(R"({"sub":"u","hd":"evil.example"})"), nullptr, c, kIssuer, kNow).error(),
                       Status::oidc_claim_refused, "evil.example");
        assert_refused(oidc_identity(json(R"({"sub":"u"})"), nullptr, c, kIssuer, kNow).error(),
                       Status::oidc_claim_refused, "personal account");
    }

    void testUserinfoAddsButNeverOverrides() {
        OidcClientSettings c = client();
        auto token = json(R"({"sub":"u1","name":"From Token"})");
        auto info = json(R"({"sub":"u1","name":"From Userinfo","groups":["g"],"email":"u@x","email_verified":true})");
        auto id = oidc_identity(token, &info, c, kIssuer, kNow);
        CPPUNIT_ASSERT(id.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("From Token"), id.value().display_name);
        CPPUNIT_ASSERT((id.value().groups == std::vector<std::string>{"g"}));
        CPPUNIT_ASSERT_EQUAL(std::string("u@x"), id.value().email);
    }

    void testMultiTenantIssuer() {
        const std::string tmpl = "https://login.microsoftonline.com/{tenantid}/v2.0";
        std::string doc = R"({"issuer":")" + tmpl + R"(","authorization_endpoint":"https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize",)"
                          R"("token_endpoint":"https://login.microsoftonline.com/organizations/oauth2/v2.0/token",)"
                          R"("jwks_uri":"https://login.microsoftonline.com/organizations/discovery/v2.0/keys",)"
                          R"("response_types_supported":["code"],"id_token_signing_alg_values_supported":["RS256"]})";
        auto p = parse_discovery(doc, "https://login.microsoftonline.com/organizations/v2.0");
        CPPUNIT_ASSERT_MESSAGE(p.ok() ? "" : p.error().detail, p.ok());
        CPPUNIT_ASSERT_EQUAL(tmpl, p.value().issuer);
        CPPUNIT_ASSERT(!parse_discovery(doc, "https://login.microsoftonline.com/organizations/v1.0").ok());
        CPPUNIT_ASSERT(!parse_discovery(doc, "https://login.microsoftonline.com/a/b/v2.0").ok());
        CPPUNIT_ASSERT(!parse_discovery(doc, "https://evil.example/organizations/v2.0").ok());
        IdTokenPolicy policy;
        policy.issuer = tmpl;
        policy.client_id = kClient;
        policy.algs = {JwsAlg::RS256};
        JwsVerifier keys({rsa});
        auto token = [&](const std::string& iss, const std::string& tid) {
            std::string c = R"({"iss":")" + iss + R"(","aud":")" + kClient + R"(","sub":"u","nonce":"n","iat":)" +
                            std::to_string(kNow) + R"(,"exp":)" + std::to_string(kNow + 300) +
                            (tid.empty() ? "" : R"(,"tid":")" + tid + "\"") + "}";
            return test::compact(rsa, R"({"alg":"RS256","kid":"k1"})", c);
        };
        const std::string t1 = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        CPPUNIT_ASSERT(verify_id_token(keys, token("https://login.microsoftonline.com/" + t1 + "/v2.0", t1), policy, "n", "", kNow).ok());
        // iss of one tenant with the tid of another; no tid; the template itself.
        auto other = verify_id_token(keys, token("https://login.microsoftonline.com/" + t1 + "/v2.0", "other"), policy, "n", "", kNow);
        assert_refused(other.error(), Status::oidc_bad_id_token, "jwt.issuer_mismatch");
        assert_refused(verify_id_token(keys, token("https://login.microsoftonline.com/" + t1 + "/v2.0", ""), policy, "n", "", kNow).error(),
                       Status::oidc_bad_id_token, "jwt.missing_claim");
        assert_refused(verify_id_token(keys, token(tmpl, "{tenantid}"), policy, "n", "", kNow).error(),
                       Status::oidc_bad_id_token, "jwt.issuer_mismatch");
        // The tenant's sign-in is recorded under its tenant's issuer.
        auto claims = json(R"({"iss":"https://login.microsoftonline.com/)" + t1 + R"(/v2.0","sub":"u","tid":")" + t1 + "\"}");
        OidcClientSettings c = client();
        c.tenants = {t1};
        CPPUNIT_ASSERT_EQUAL("https://login.microsoftonline.com/" + t1 + "/v2.0",
                             oidc_identity(claims, nullptr, c, tmpl, kNow).value().issuer);
    }

    void testLogoutTokens() {
        IdTokenPolicy policy;
        policy.issuer = kIssuer;
        policy.client_id = kClient;
        policy.algs = {JwsAlg::RS256};
        JwsVerifier keys({rsa});
        const std::string events = R"("events":{"http://schemas.openid.net/event/backchannel-logout":{}})";
        auto make = [&](const std::string& extra, const std::string& header = R"({"alg":"RS256","kid":"k1","typ":"logout+jwt"})") {
            std::string c = R"({"iss":")" + kIssuer + R"(","aud":")" + kClient + R"(","iat":)" + std::to_string(kNow) +
                            R"(,"exp":)" + std::to_string(kNow + 120) + R"(,"jti":"j-1")" + extra + "}";
            return test::compact(rsa, header, c);
        };
        auto ok = verify_logout_token(keys, make(",\"sid\":\"s-1\",\"sub\":\"u\"," + events), policy, kNow);
        CPPUNIT_ASSERT_MESSAGE(ok.ok() ? "" : ok.error().detail, ok.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("s-1"), ok.value().sid);
        CPPUNIT_ASSERT_EQUAL(std::string("u"), ok.value().sub);
        CPPUNIT_ASSERT_EQUAL(std::string("j-1"), ok.value().jti);
        CPPUNIT_ASSERT_EQUAL(kIssuer, ok.value().issuer);
        CPPUNIT_ASSERT(verify_logout_token(keys, make(",\"sub\":\"u\"," + events, R"({"alg":"RS256","kid":"k1"})"), policy, kNow).ok());
        auto refused = [&](const std::string& token, const std::string& why) {
            auto r = verify_logout_token(keys, token, policy, kNow);
            CPPUNIT_ASSERT_MESSAGE(why, !r.ok());
            assert_refused(r.error(), Status::oidc_bad_logout_token, why);
        };
        refused(make(",\"sid\":\"s-1\""), "back-channel logout event");
        refused(make(",\"sid\":\"s-1\",\"events\":{\"other\":{}}"), "back-channel logout event");
        refused(make("," + events), "neither sub nor sid");
        refused(make(",\"sid\":\"s-1\",\"nonce\":\"n\"," + events), "nonce");
        refused(make(",\"sid\":\"s-1\"," + events, R"({"alg":"RS256","kid":"k1","typ":"at+jwt"})"), "at+jwt");
        // Another client's, another issuer's, expired, unsigned.
        IdTokenPolicy other = policy;
        other.client_id = "another-client";
        CPPUNIT_ASSERT(!verify_logout_token(keys, make(",\"sid\":\"s\"," + events), other, kNow).ok());
        other = policy;
        other.issuer = "https://evil.example";
        CPPUNIT_ASSERT(!verify_logout_token(keys, make(",\"sid\":\"s\"," + events), other, kNow).ok());
        auto late = verify_logout_token(keys, make(",\"sid\":\"s\"," + events), policy, kNow + 1000);
        assert_refused(late.error(), Status::oidc_bad_logout_token, "jwt.expired");
        std::string payload = R"({"iss":")" + kIssuer + R"(","aud":")" + kClient + R"(","iat":)" + std::to_string(kNow) +
                              R"(,"exp":)" + std::to_string(kNow + 120) + R"(,"jti":"j","sid":"s",)" + events + "}";
        refused(base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(payload) + ".", "jwt.");
    }

    // An empty answer (found by fuzz_oidc: an empty view has no data
    // pointer, which simdjson copied from) is refused by name.
    void testNothingIsNotJson() {
        auto none = JsonObject::parse(std::string_view(), Status::oidc_token_endpoint);
        CPPUNIT_ASSERT(!none.ok());
        CPPUNIT_ASSERT_EQUAL(Status::oidc_token_endpoint, none.error().code);
        assert_refused(parse_token_answer(answer(200, "")).error(), Status::oidc_token_endpoint, "JSON object");
        assert_refused(parse_userinfo(answer(200, ""), "u").error(), Status::oidc_userinfo, "JSON object");
    }

    void testEndSessionUrl() {
        auto url = end_session_url(provider(), client(), "id.tok.en", "https://hd/sso/logout", "st-1");
        auto q = params_of(url);
        CPPUNIT_ASSERT(url.rfind(kIssuer + "/logout?", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(std::string("id.tok.en"), q["id_token_hint"]);
        CPPUNIT_ASSERT_EQUAL(kClient, q["client_id"]);
        CPPUNIT_ASSERT_EQUAL(std::string("https://hd/sso/logout"), q["post_logout_redirect_uri"]);
        CPPUNIT_ASSERT_EQUAL(std::string("st-1"), q["state"]);
        OidcProvider none = provider();
        none.end_session_endpoint.clear();
        CPPUNIT_ASSERT(end_session_url(none, client(), "t", "u", "s").empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OidcClientTest);
