"""JWT sign-in through a real Apache with the module: tokens are made by
python3-jwt (an independent library) with keys from python3-cryptography,
the module verifies them, creates a session and the backend sees the user.
Each failure class gets its named error page, status and log line."""

import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import jwt  # noqa: E402  (python3-jwt)
import requests  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa  # noqa: E402

from hdsso_test import Apache, EchoBackend  # noqa: E402

ISS = "https://broker.example.com"
AUD = "https://helpdesk.example.com"

CONF = """
<VirtualHost 127.0.0.1:{port}>
ServerName 127.0.0.1
HelpdeskSSO On
HelpdeskSSOCookieSecure Off
HelpdeskSSOJWTKeyFile {dir}/rsa.pem RS256
HelpdeskSSOJWTIssuer https://broker.example.com
HelpdeskSSOJWTAudience https://helpdesk.example.com
HelpdeskSSOJWTLoginURL http://broker.example.test/start
HelpdeskSSOFallbackLoginURL /login/normal
<Location /helpdesk>
  AuthType HelpdeskSSO
  Require valid-user
  ProxyPass http://127.0.0.1:{backend}/helpdesk
</Location>
# A group name with commas (an LDAP DN), required by its raw name.
<Location /dn>
  AuthType HelpdeskSSO
  Require helpdesk-sso-group "CN=Support,OU=Groups,DC=example,DC=com"
  ProxyPass http://127.0.0.1:{backend}/dn
</Location>
# A second site in the same vhost: ES256 keys from a JWK set, its own
# audience and claim mapping, no replay check.
<Location /es>
  HelpdeskSSOEndpoint /es/sso
  HelpdeskSSOJWTKeyFile {dir}/jwks.json
  HelpdeskSSOJWTAudience portal another
  HelpdeskSSOJWTUserClaim preferred_username
  HelpdeskSSOJWTGroupsClaim roles
  HelpdeskSSOJWTReplayCheck Off
</Location>
<Location /es/helpdesk>
  AuthType HelpdeskSSO
  Require valid-user
  ProxyPass http://127.0.0.1:{backend}/es/helpdesk
</Location>
<Location /hs>
  HelpdeskSSOEndpoint /hs/sso
  HelpdeskSSOJWTKeyFile {dir}/hs.secret HS256
  HelpdeskSSOJWTIssuer app
  HelpdeskSSOJWTAudience helpdesk
  HelpdeskSSOJWTLeeway 0
</Location>
<Location /ed>
  HelpdeskSSOEndpoint /ed/sso
  HelpdeskSSOJWTKeyFile {dir}/ed.pem EdDSA
  HelpdeskSSOJWTAudience helpdesk
</Location>
</VirtualHost>
<VirtualHost 127.0.0.1:{port2}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSOJWTKeyFile {dir}/rsa.pem RS256
</VirtualHost>
"""

HS_SECRET = "x" * 16 + uuid.uuid4().hex  # 48 bytes >= 32 for HS256


def pem_public(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class JwtLoginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.ec = ec.generate_private_key(ec.SECP256R1())
        cls.ed = ed25519.Ed25519PrivateKey.generate()
        ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(cls.ec.public_key()))
        ec_jwk.update({"kid": "ec-1", "alg": "ES256", "use": "sig"})
        rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(cls.rsa.public_key()))
        rsa_jwk.update({"kid": "rsa-enc", "alg": "RS256"})  # an algorithm this site does not allow
        cls.backend = EchoBackend()
        cls.apache = Apache(CONF, extra_files={
            "rsa.pem": pem_public(cls.rsa),
            "ed.pem": pem_public(cls.ed),
            "jwks.json": json.dumps({"keys": [ec_jwk]}),
            "hs.secret": HS_SECRET + "\n",
        })
        cls.apache.fmt = {"backend": cls.backend.port}
        cls.apache.start()

    @classmethod
    def tearDownClass(cls):
        cls.apache.cleanup()
        cls.backend.stop()

    def claims(self, **over):
        now = int(time.time())
        c = {"iss": ISS, "aud": AUD, "sub": "jane", "email": "jane@example.com", "name": "Jane Doe",
             "groups": ["agents", "admins"], "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex}
        c.update(over)
        return {k: v for k, v in c.items() if v is not None}

    def token(self, key=None, alg="RS256", headers=None, **over):
        return jwt.encode(self.claims(**over), key or self.rsa, algorithm=alg, headers=headers)

    def get(self, path, cookie=None, **kw):
        return requests.get(self.apache.url(path), headers={"Cookie": cookie} if cookie else {},
                            allow_redirects=False, timeout=30, **kw)

    def backend_headers(self, path, cookie):
        r = self.get(path, cookie)
        self.assertEqual(200, r.status_code, r.text + self.apache.error_log())
        return {k.lower(): v for k, v in r.json()["headers"]}

    def assert_error(self, r, status, name):
        self.assertEqual(status, r.status_code, r.text)
        self.assertIn(name, r.text)
        self.assertIsNone(r.headers.get("Set-Cookie"))
        self.assertIn("HDSSO020: %s:" % name, self.apache.error_log())

    # --- sign-in ---------------------------------------------------------

    def test_python_jwt_token_signs_in_and_backend_sees_identity(self):
        r = self.get("/sso/jwt", params={"id_token": self.token(), "redirect_to": "/helpdesk/tickets?id=7"})
        self.assertEqual(302, r.status_code, r.text + self.apache.error_log())
        self.assertEqual("/helpdesk/tickets?id=7", r.headers["Location"])
        cookie = r.headers["Set-Cookie"].split(";", 1)[0]
        h = self.backend_headers("/helpdesk/", cookie)
        self.assertEqual("jane", h["x-remote-user"])
        self.assertEqual("jane@example.com", h["x-remote-email"])
        self.assertEqual("Jane Doe", h["x-remote-name"])
        self.assertIn("agents", h["x-remote-groups"])

    def sign_in(self, **claims):
        r = self.get("/sso/jwt", params={"id_token": self.token(**claims)})
        self.assertEqual(302, r.status_code, r.text + self.apache.error_log())
        return r.headers["Set-Cookie"].split(";", 1)[0]

    def test_a_group_with_a_comma_is_not_two_groups(self):
        # Each name's '%' and ',' percent-encoded, the names joined with ','.
        one = self.backend_headers("/helpdesk/", self.sign_in(sub="one", groups=["customers,agents"]))
        two = self.backend_headers("/helpdesk/", self.sign_in(sub="two", groups=["customers", "agents"]))
        self.assertEqual("customers%2Cagents", one["x-remote-groups"])
        self.assertEqual("customers,agents", two["x-remote-groups"])
        pct = self.backend_headers("/helpdesk/", self.sign_in(sub="pct", groups=["customers%2Cagents", "100%"]))
        self.assertEqual("customers%252Cagents,100%25", pct["x-remote-groups"])

    def test_require_group_matches_the_raw_name(self):
        dn = "CN=Support,OU=Groups,DC=example,DC=com"
        h = self.backend_headers("/dn/", self.sign_in(sub="dn", groups=[dn, "agents"]))
        self.assertEqual("CN=Support%2COU=Groups%2CDC=example%2CDC=com,agents", h["x-remote-groups"])
        # The same words as separate groups are not that group; nor is the encoded form.
        for groups in (dn.split(","), ["CN=Support%2COU=Groups%2CDC=example%2CDC=com"]):
            with self.subTest(groups=groups):
                r = self.get("/dn/", self.sign_in(sub="split", groups=groups))
                self.assertEqual(401, r.status_code, r.text)
                self.assertIn("authz.denied", r.text)

    def test_jwt_parameter_in_post_form(self):
        r = requests.post(self.apache.url("/sso/jwt"), data={"jwt": self.token(sub="poster")},
                          allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text)
        self.assertEqual("/", r.headers["Location"])
        cookie = r.headers["Set-Cookie"].split(";", 1)[0]
        self.assertEqual("poster", self.backend_headers("/helpdesk/", cookie)["x-remote-user"])

    def test_no_session_goes_to_jwt_login_url(self):
        r = self.get("/helpdesk/queue?x=1")
        self.assertEqual(302, r.status_code)
        self.assertEqual("http://broker.example.test/start?redirect_to=%2Fhelpdesk%2Fqueue%3Fx%3D1",
                         r.headers["Location"])

    def test_es256_jwks_with_claim_mapping(self):
        tok = self.token(key=self.ec, alg="ES256", headers={"kid": "ec-1"}, aud=["other", "portal"],
                         preferred_username="jdoe", roles="support")
        r = self.get("/es/sso/jwt", params={"id_token": tok, "redirect_to": "/es/helpdesk/"})
        self.assertEqual(302, r.status_code, r.text + self.apache.error_log())
        cookie = r.headers["Set-Cookie"].split(";", 1)[0]
        h = self.backend_headers("/es/helpdesk/", cookie)
        self.assertEqual("jdoe", h["x-remote-user"])
        self.assertEqual("support", h["x-remote-groups"])

    def test_replay_check_off_accepts_a_token_twice(self):
        tok = self.token(key=self.ec, alg="ES256", aud="portal", preferred_username="twice", jti=None)
        for _ in range(2):
            self.assertEqual(302, self.get("/es/sso/jwt", params={"id_token": tok}).status_code)

    def test_hs256_secret_file(self):
        tok = jwt.encode(self.claims(iss="app", aud="helpdesk"), HS_SECRET, algorithm="HS256")
        self.assertEqual(302, self.get("/hs/sso/jwt", params={"jwt": tok}).status_code, self.apache.error_log())

    def test_eddsa_pem(self):
        tok = self.token(key=self.ed, alg="EdDSA", aud="helpdesk")
        self.assertEqual(302, self.get("/ed/sso/jwt", params={"jwt": tok}).status_code, self.apache.error_log())

    # --- rejections ------------------------------------------------------

    def test_expired_token(self):
        now = int(time.time())
        r = self.get("/sso/jwt", params={"id_token": self.token(iat=now - 1000, exp=now - 120)})
        self.assert_error(r, 401, "jwt.expired")

    def test_expired_beyond_zero_leeway(self):
        now = int(time.time())
        tok = jwt.encode(self.claims(iss="app", aud="helpdesk", iat=now - 100, exp=now - 2), HS_SECRET,
                         algorithm="HS256")
        self.assert_error(self.get("/hs/sso/jwt", params={"jwt": tok}), 401, "jwt.expired")

    def test_wrong_audience(self):
        self.assert_error(self.get("/sso/jwt", params={"id_token": self.token(aud="https://other.example.com")}),
                          401, "jwt.audience_mismatch")

    def test_audience_prefix_is_not_a_match(self):
        self.assert_error(self.get("/sso/jwt", params={"id_token": self.token(aud=AUD + ".evil")}),
                          401, "jwt.audience_mismatch")

    def test_wrong_issuer(self):
        self.assert_error(self.get("/sso/jwt", params={"id_token": self.token(iss=ISS + "/x")}),
                          401, "jwt.issuer_mismatch")

    def test_wrong_key(self):
        self.assert_error(self.get("/sso/jwt", params={"id_token": self.token(key=self.other_rsa)}),
                          401, "jwt.bad_signature")

    def test_alg_none(self):
        tok = jwt.encode(self.claims(), None, algorithm="none")
        self.assert_error(self.get("/sso/jwt", params={"id_token": tok}), 401, "jwt.alg_not_allowed")

    def test_hs256_signed_with_the_public_key_pem(self):
        # J2 through Apache: the RSA public key bytes used as an HMAC secret.
        import hmac, hashlib, base64  # noqa: E401
        b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")  # noqa: E731
        signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + b"." + b64(json.dumps(self.claims()).encode())
        mac = hmac.new(pem_public(self.rsa).encode(), signing_input, hashlib.sha256).digest()
        tok = (signing_input + b"." + b64(mac)).decode()
        self.assert_error(self.get("/sso/jwt", params={"id_token": tok}), 401, "jwt.alg_not_allowed")

    def test_other_algorithm_key_in_jwks_is_not_used(self):
        # /es allows only what its JWK set names (ES256); an RS256 token gets no key.
        tok = self.token(alg="RS256", aud="portal", preferred_username="x")
        self.assert_error(self.get("/es/sso/jwt", params={"id_token": tok}), 401, "jwt.alg_not_allowed")

    def test_replayed_token(self):
        tok = self.token()
        self.assertEqual(302, self.get("/sso/jwt", params={"id_token": tok}).status_code)
        self.assert_error(self.get("/sso/jwt", params={"id_token": tok}), 401, "jwt.replayed")

    def test_missing_jti_when_replay_check_is_on(self):
        self.assert_error(self.get("/sso/jwt", params={"id_token": self.token(jti=None)}), 400, "jwt.missing_claim")

    def test_missing_user_claim(self):
        self.assert_error(self.get("/sso/jwt", params={"id_token": self.token(sub=None)}), 400, "jwt.missing_claim")

    def test_tampered_payload(self):
        h, p, s = self.token().split(".")
        other = self.token(sub="admin").split(".")[1]
        self.assert_error(self.get("/sso/jwt", params={"id_token": ".".join([h, other, s])}), 401,
                          "jwt.bad_signature")

    def test_no_token(self):
        self.assert_error(self.get("/sso/jwt"), 400, "jwt.malformed")

    def test_both_parameters(self):
        t = self.token()
        self.assert_error(self.get("/sso/jwt", params={"id_token": t, "jwt": t}), 400, "jwt.malformed")

    def test_garbage_token(self):
        self.assert_error(self.get("/sso/jwt", params={"id_token": "a.b"}), 400, "jwt.malformed")

    def test_huge_token_rejected_before_decoding(self):
        r = requests.post(self.apache.url("/sso/jwt"), data={"jwt": "e" * 40000 + ".e.e"},
                          allow_redirects=False, timeout=30)
        self.assert_error(r, 400, "jwt.malformed")

    def test_bad_redirect_rejected_and_token_not_consumed(self):
        tok = self.token()
        self.assert_error(self.get("/sso/jwt", params={"id_token": tok, "redirect_to": "//evil.example.net/"}),
                          400, "url.redirect_not_allowed")
        self.assertEqual(302, self.get("/sso/jwt", params={"id_token": tok}).status_code)

    def test_form_post_of_other_type_rejected(self):
        r = requests.post(self.apache.url("/sso/jwt"), data=json.dumps({"jwt": self.token()}),
                          headers={"Content-Type": "application/json"}, allow_redirects=False, timeout=30)
        self.assert_error(r, 400, "url.malformed")

    def test_put_not_allowed(self):
        r = requests.put(self.apache.url("/sso/jwt"), data="x", allow_redirects=False, timeout=30)
        self.assertEqual(405, r.status_code)

    def test_audience_not_configured_is_a_config_error(self):
        r = requests.get(self.apache.url("/sso/jwt", second=True), params={"id_token": self.token()},
                         allow_redirects=False, timeout=30)
        self.assert_error(r, 500, "config.invalid")
        self.assertIn("HelpdeskSSOJWTAudience is not set here", self.apache.error_log())

    def test_error_page_links_the_fallback_login(self):
        r = self.get("/sso/jwt", params={"id_token": self.token(key=self.other_rsa)})
        self.assertIn('href="/login/normal"', r.text)


BAD_KEYS = {
    "missing file": ("HelpdeskSSOJWTKeyFile {dir}/nope.pem RS256", "cannot open"),
    "pem without algorithm": ("HelpdeskSSOJWTKeyFile {dir}/rsa.pem", "needs an algorithm"),
    "unknown algorithm": ("HelpdeskSSOJWTKeyFile {dir}/rsa.pem RS257", "RS257"),
    "none": ("HelpdeskSSOJWTKeyFile {dir}/rsa.pem none", "none"),
    "rsa key for ES256": ("HelpdeskSSOJWTKeyFile {dir}/rsa.pem ES256", "HelpdeskSSOJWTKeyFile"),
    "weak rsa": ("HelpdeskSSOJWTKeyFile {dir}/weak.pem RS256", "2048"),
    "short hmac secret": ("HelpdeskSSOJWTKeyFile {dir}/short.secret HS256", "HelpdeskSSOJWTKeyFile"),
    "secret for RS256": ("HelpdeskSSOJWTKeyFile {dir}/short.secret RS256", "shared secret"),
    "leeway too big": ("HelpdeskSSOJWTLeeway 3600", "HelpdeskSSOJWTLeeway"),
    "empty claim": ('HelpdeskSSOJWTUserClaim ""', "HelpdeskSSOJWTUserClaim"),
}


class JwtConfigTest(unittest.TestCase):
    """A bad JWT setting fails apachectl -t with the directive's name."""

    @classmethod
    def setUpClass(cls):
        strong = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        cls.files = {"rsa.pem": pem_public(strong), "weak.pem": pem_public(weak), "short.secret": "tooshort\n"}

    def test_bad_settings_fail_config_test(self):
        for label, (line, expect) in BAD_KEYS.items():
            with self.subTest(label):
                a = Apache("HelpdeskSSO On\n" + line + "\n", extra_files=self.files)
                try:
                    code, out = a.config_test()
                    self.assertNotEqual(0, code, out)
                    self.assertIn(expect, out)
                finally:
                    a.cleanup()

    def test_good_settings_pass_config_test(self):
        a = Apache("HelpdeskSSO On\nHelpdeskSSOJWTKeyFile {dir}/rsa.pem RS256 PS256\n"
                   "HelpdeskSSOJWTAudience helpdesk\nHelpdeskSSOJWTLeeway 0\n", extra_files=self.files)
        try:
            code, out = a.config_test()
            self.assertEqual(0, code, out)
        finally:
            a.cleanup()


if __name__ == "__main__":
    unittest.main()
