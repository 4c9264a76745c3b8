"""What a request without a session gets (issue 12, item 1), through a real
Apache: a navigation signs in (302), a request a browser makes in the
background (fetch, XHR, an image, a JSON poll) gets 401 with a JSON body
naming the error and where to sign in, never a redirect and never a cookie;
HelpdeskSSOUnauthenticated 401 answers 401 to everything (APIs), pass serves
anonymously and passes the identity on when there is a session."""

import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import requests  # noqa: E402

from hdsso_test import Apache, EchoBackend, remote_query  # noqa: E402
from saml_forge import Forge  # noqa: E402

CONF = """
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSORemoteSecretFile {dir}/secret
  HelpdeskSSORemoteLoginURL https://login.example.test/login
  HelpdeskSSOCookieSecure Off
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/helpdesk
  </Location>
  <Location /api>
    AuthType HelpdeskSSO
    Require valid-user
    HelpdeskSSOUnauthenticated 401
    ProxyPass http://127.0.0.1:{backend}/api
  </Location>
  <Location /kb>
    AuthType HelpdeskSSO
    Require valid-user
    HelpdeskSSOUnauthenticated pass
    ProxyPass http://127.0.0.1:{backend}/kb
  </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:{port2}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSOSAMLBaseURL http://127.0.0.1:{port2}
  HelpdeskSSOSAMLIdPCertFile {dir}/idp.crt
  HelpdeskSSOSAMLIdPEntityID https://idp.forge.test/metadata
  HelpdeskSSOSAMLIdPSSOURL https://idp.forge.test/sso
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/helpdesk
  </Location>
</VirtualHost>
"""

FETCH = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty", "Sec-Fetch-Site": "same-origin", "Accept": "*/*"}
NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "none",
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
BACKGROUND = {
    "fetch()": FETCH,
    "image": {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image", "Accept": "image/avif,image/webp,*/*"},
    "XHR without Fetch Metadata": {"X-Requested-With": "XMLHttpRequest", "Accept": "*/*"},
    "JSON poll without Fetch Metadata": {"Accept": "application/json"},
}


class UnauthenticatedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.backend = EchoBackend()
        cls.forge = Forge()
        cls.apache = Apache(CONF)
        cls.apache.fmt = {"backend": cls.backend.port}
        with open(cls.forge.cert) as f:
            cls.apache.write("idp.crt", f.read())
        cls.apache.start()

    @classmethod
    def tearDownClass(cls):
        cls.apache.cleanup()
        cls.backend.stop()
        cls.forge.cleanup()

    def get(self, path, headers=None, cookie=None, second=False):
        h = dict(headers or {})
        if cookie:
            h["Cookie"] = cookie
        return requests.get(self.apache.url(path, second=second), headers=h, allow_redirects=False, timeout=30)

    def sign_in(self, name="Kim Reader"):
        r = self.get("/sso/remote?" + remote_query(name, name.replace(" ", ".").lower() + "@example.com"))
        self.assertEqual(302, r.status_code, r.text)
        return r.headers["Set-Cookie"].split(";", 1)[0]

    def assert_401_json(self, r, back):
        self.assertEqual(401, r.status_code, r.text)
        self.assertNotIn("Location", r.headers)
        self.assertNotIn("Set-Cookie", r.headers)
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"), r.headers)
        body = json.loads(r.text)
        self.assertEqual("session.required", body["error"])
        self.assertEqual("/sso/login?return=" + urllib.parse.quote(back, safe=""), body["login"])

    def test_navigation_signs_in(self):
        for headers in (NAVIGATE, {}, {"Accept": "text/html"}):
            r = self.get("/helpdesk/tickets", headers=headers)
            self.assertEqual(302, r.status_code)
            self.assertTrue(r.headers["Location"].startswith("https://login.example.test/login?"))

    def test_background_requests_get_401_json(self):
        for what, headers in BACKGROUND.items():
            with self.subTest(what):
                self.assert_401_json(self.get("/helpdesk/tickets?since=5", headers=headers),
                                     "/helpdesk/tickets?since=5")

    def test_background_request_does_not_touch_a_saml_sign_in(self):
        # A navigation starts the sign-in (its state cookie); a poll from another
        # tab meanwhile gets 401 and sets no cookie, so the sign-in is intact.
        r = self.get("/helpdesk/", headers=NAVIGATE, second=True)
        self.assertEqual(302, r.status_code)
        self.assertIn("_saml", r.headers.get("Set-Cookie", ""))
        state = r.headers["Set-Cookie"].split(";", 1)[0]
        poll = self.get("/helpdesk/api/new", headers=FETCH, cookie=state, second=True)
        self.assert_401_json(poll, "/helpdesk/api/new")

    def test_signed_in_background_request_is_served(self):
        cookie = self.sign_in()
        r = self.get("/helpdesk/tickets", headers=FETCH, cookie=cookie)
        self.assertEqual(200, r.status_code)
        self.assertIn(["X-Remote-User", "kim.reader@example.com"], json.loads(r.text)["headers"])

    def test_401_location_answers_navigations_with_401(self):
        for headers in (NAVIGATE, FETCH, {}):
            self.assert_401_json(self.get("/api/v1/tickets", headers=headers), "/api/v1/tickets")
        cookie = self.sign_in("Api User")
        self.assertEqual(200, self.get("/api/v1/tickets", cookie=cookie).status_code)

    def test_pass_location_serves_anonymously_and_passes_the_identity_when_signed_in(self):
        r = self.get("/kb/article/1", headers={**NAVIGATE, "X-Remote-User": "forged", "Remote-User": "forged"})
        self.assertEqual(200, r.status_code)
        seen = dict((k.lower(), v) for k, v in json.loads(r.text)["headers"])
        self.assertNotIn("x-remote-user", seen)
        self.assertNotIn("remote-user", seen)
        cookie = self.sign_in("Pat Knows")
        seen = dict((k.lower(), v) for k, v in json.loads(self.get("/kb/article/1", cookie=cookie).text)["headers"])
        self.assertEqual("pat.knows@example.com", seen["x-remote-user"])

    def test_unknown_value_refused_by_apachectl(self):
        a = Apache("<Location /x>\n  HelpdeskSSOUnauthenticated sometimes\n</Location>\n")
        try:
            code, out = a.config_test()
        finally:
            a.cleanup()
        self.assertNotEqual(0, code)
        self.assertIn("HelpdeskSSOUnauthenticated: expected auth, 401 or pass", out)


if __name__ == "__main__":
    unittest.main()
