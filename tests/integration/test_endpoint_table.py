"""Every row of the module's endpoint table (read from `hdsso config
endpoints --json`, the table the module itself dispatches on), tried with
every method on a site that serves every row and on one that serves only
what every site serves, behind `ProxyPass /` under AuthType HelpdeskSSO. A
row added later is tried here without anyone writing a test for it: its
methods answer, other methods get 405 with exactly its Allow list, an
unserved row is 404, and the backend never sees a request."""

import json
import os
import subprocess
import sys
import threading
import http.server
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import requests  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from jwt.algorithms import RSAAlgorithm  # noqa: E402

from hdsso_test import HDSSO, Apache  # noqa: E402
from saml_forge import Forge  # noqa: E402

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND"]

CONF = """
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSORemoteSecretFile {dir}/secret
  HelpdeskSSORemoteLoginURL https://login.example.test/login
  HelpdeskSSOJWTKeyFile {dir}/jwt.secret HS256
  HelpdeskSSOJWTAudience helpdesk
  HelpdeskSSOSAMLBaseURL http://127.0.0.1:{port}
  HelpdeskSSOSAMLIdPCertFile {dir}/idp.crt
  HelpdeskSSOSAMLIdPEntityID https://idp.forge.test/metadata
  HelpdeskSSOSAMLIdPSSOURL https://idp.forge.test/sso
  HelpdeskSSOIdP remote remote "Company login" https://login.example.test/login
  HelpdeskSSOIdP saml saml "Single sign-on"
  HelpdeskSSOOIDCProvider op https://op.example.test {dir}/op.json
  HelpdeskSSOOIDCClient op helpdesk secret-file={dir}/secret
  HelpdeskSSOIdP op oidc "OpenID"
  HelpdeskSSODiagnostics On
  HelpdeskSSOBroker deskpro acme.deskpro.com {dir}/jwt.secret
  HelpdeskSSOBroker zendesk acme.zendesk.com {dir}/jwt.secret
  HelpdeskSSOBroker kayako acme.kayako.com {dir}/jwt.secret
  HelpdeskSSOBroker freshworks acme.myfreshworks.com {dir}/rsa.pem
  HelpdeskSSOBroker freshdesk acme.freshdesk.com {dir}/secret
  <Location />
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/
  </Location>
  <Location /sso/metrics>
    HelpdeskSSOMetrics On
  </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:{port2}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSOJWTLoginURL https://login.example.test/jwt
  <Location />
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/
  </Location>
</VirtualHost>
"""


class Recorder(http.server.BaseHTTPRequestHandler):
    seen = []

    def answer(self):
        Recorder.seen.append((self.command, self.path))
        self.send_response(200)
        self.send_header("Content-Length", "7")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(b"backend")

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_PROPFIND = answer

    def log_message(self, *args):
        pass


class EndpointTableTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        out = subprocess.run([HDSSO, "config", "endpoints", "--json"], capture_output=True, text=True, check=True)
        cls.rows = json.loads(out.stdout)
        cls.backend = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        threading.Thread(target=cls.backend.serve_forever, daemon=True).start()
        cls.forge = Forge()
        Apache.fmt = {"backend": cls.backend.server_address[1]}
        cls.apache = Apache(CONF)
        cls.apache.write("jwt.secret", "x" * 48 + "\n", mode=0o600)
        with open(cls.forge.cert) as f:
            cls.apache.write("idp.crt", f.read())
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
                        os.path.join(cls.apache.dir, "rsa.pem")], check=True, capture_output=True)
        # An OpenID provider from its backing files (nothing is fetched).
        with open(os.path.join(cls.apache.dir, "rsa.pem"), "rb") as f:
            key = serialization.load_pem_private_key(f.read(), None)
        jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update(kid="op-1", use="sig", alg="RS256")
        op = "https://op.example.test"
        cls.apache.write("op.json", json.dumps({
            "issuer": op, "authorization_endpoint": op + "/auth", "token_endpoint": op + "/token",
            "jwks_uri": op + "/jwks", "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"]}))
        cls.apache.write("op.json.jwks", json.dumps({"keys": [jwk]}))
        cls.apache.start()

    @classmethod
    def tearDownClass(cls):
        Apache.fmt = {}
        cls.apache.cleanup()
        cls.forge.cleanup()
        cls.backend.shutdown()
        cls.backend.server_close()

    def setUp(self):
        Recorder.seen.clear()

    def tearDown(self):
        self.assertEqual([], Recorder.seen, "the backend saw a request without a session")

    def send(self, method, path, second=False):
        return requests.request(method, self.apache.url(path, second=second), allow_redirects=False, timeout=30)

    def test_the_table_lists_the_endpoints(self):
        paths = {row["path"] for row in self.rows}
        for leaf in ("remote", "jwt", "login", "logout", "acs", "slo", "metadata", "diagnostics", "metrics", "deskpro",
                     "zendesk", "kayako", "freshworks", "freshdesk"):
            self.assertIn("/sso/" + leaf, paths)

    def test_each_row_each_method_on_a_site_that_serves_it(self):
        for row in self.rows:
            allowed = set(m.strip() for m in row["methods"].split(","))
            for method in METHODS:
                with self.subTest(path=row["path"], method=method):
                    r = self.send(method, row["path"])
                    self.assertNotIn(r.status_code, (500, 502, 503), r.text[:300])
                    if method in allowed:
                        self.assertNotIn(r.status_code, (404, 405))
                    else:
                        self.assertEqual(405, r.status_code)
                        allow = {m.strip() for m in r.headers.get("Allow", "").split(",")} - {"TRACE"}
                        self.assertEqual(allowed, allow)
                        self.assertNotIn("Set-Cookie", r.headers)
                        self.assertNotIn("Location", r.headers)

    def test_each_row_not_served_is_404_for_every_method(self):
        for row in self.rows:
            if row["served_when"] == "always":
                continue
            for method in METHODS:
                with self.subTest(path=row["path"], method=method):
                    r = self.send(method, row["path"], second=True)
                    self.assertEqual(404, r.status_code)
                    self.assertNotIn("Set-Cookie", r.headers)
        log = self.apache.error_log()
        self.assertNotIn(":error]", log)

    def test_near_misses_are_protected_paths(self):
        # Not rows: they must go to sign-in like any protected page, never
        # to the backend (tearDown checks) and never be served as endpoints.
        for row in self.rows:
            for near in (row["path"] + "/", row["path"].upper(), row["path"] + ";x", row["path"] + "/x",
                         row["path"] + "x", row["path"].replace("/sso/", "/sso/sso/")):
                with self.subTest(path=near):
                    r = self.send("GET", near)
                    self.assertIn(r.status_code, (302, 400, 403, 404))
                    if r.status_code == 302:
                        self.assertTrue(r.headers["Location"].startswith(("https://login.example.test/",
                                                                          "/sso/login")), r.headers["Location"])


if __name__ == "__main__":
    unittest.main()
