"""Remote (HMAC) authentication through a real Apache with the module, in
front of a backend that echoes what it received. Signatures are computed with
Python's hmac from the spec (tests/lib/hdsso_test.py), not with our code."""

import json
import os
import re
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import requests  # noqa: E402

from hdsso_test import Apache, EchoBackend, remote_query, sign, SECRET  # noqa: E402

CONF = """
<VirtualHost 127.0.0.1:{port}>
ServerName 127.0.0.1
HelpdeskSSO On
HelpdeskSSORemoteSecretFile {dir}/secret
HelpdeskSSORemoteLoginURL http://login.example.test/remote-login
HelpdeskSSORemoteLogoutURL http://login.example.test/logged-out
HelpdeskSSOFallbackLoginURL /login/normal
HelpdeskSSOCookieSecure Off
HelpdeskSSORedirectAllowHosts helpdesk.example.com
<Location /helpdesk>
  AuthType HelpdeskSSO
  Require valid-user
  ProxyPass http://127.0.0.1:{backend}/helpdesk
</Location>
<Location /public>
  ProxyPass http://127.0.0.1:{backend}/public
</Location>
ScriptAlias /cgi-env {dir}/cgi/env.cgi
Alias /portal {dir}/portal
<Directory {dir}/portal>
  Options +ExecCGI
  AddHandler cgi-script .cgi
  DirectoryIndex env.cgi
  AuthType HelpdeskSSO
  Require valid-user
</Directory>
<Location /cgi-env>
  AuthType HelpdeskSSO
  Require valid-user
</Location>
</VirtualHost>
<VirtualHost 127.0.0.1:{port2}>
  ServerName other.example.test
  HelpdeskSSO On
  HelpdeskSSORemoteSecretFile {dir}/secret-next {dir}/secret
  HelpdeskSSORemoteLoginURL http://login.example.test/remote-login
  HelpdeskSSOCookieName other_session
  HelpdeskSSOCookieSecure On
  HelpdeskSSOCookieSameSite Strict
  HelpdeskSSOSessionLifetime 600
  HelpdeskSSOCookiePersistent On
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/helpdesk
  </Location>
</VirtualHost>
"""

CGI = """#!/bin/sh
echo "Content-Type: text/plain"
echo
echo "REMOTE_USER=$REMOTE_USER"
echo "AUTH_TYPE=$AUTH_TYPE"
echo "HDSSO_EMAIL=$HDSSO_EMAIL"
echo "HDSSO_NAME=$HDSSO_NAME"
echo "HTTP_X_REMOTE_USER=$HTTP_X_REMOTE_USER"
"""

NEXT_SECRET = "the-next-shared-secret"

apache = None
backend = None


def setUpModule():
    global apache, backend
    backend = EchoBackend()
    apache = Apache(CONF)
    apache.fmt = {"backend": backend.port}
    apache.write("secret-next", NEXT_SECRET + "\n", mode=0o600)
    apache.write("cgi/env.cgi", CGI, mode=0o755)
    apache.write("portal/env.cgi", CGI, mode=0o755)
    apache.start()


def tearDownModule():
    apache.cleanup()
    backend.stop()


def get(path, cookie=None, second=False, headers=None, method="GET"):
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = cookie
    return requests.request(method, apache.url(path, second), headers=h, allow_redirects=False, timeout=30)


def session_cookie(resp, name="hdsso_session"):
    """The 'name=value' pair of the session cookie a response sets."""
    for header in resp.raw.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return header.split(";", 1)[0], header
    return None, None


def sign_in(name="Jane Doe", email="jane@example.com", second=False, cookie=None, **extra):
    resp = get("/sso/remote?" + remote_query(name, email, **extra), cookie=cookie, second=second)
    return resp


def echoed(resp):
    data = resp.json()
    return {k.lower(): v for k, v in data["headers"]}, data["headers"]


class SignInTest(unittest.TestCase):
    def test_no_session_redirects_to_remote_login(self):
        r = get("/helpdesk/tickets?id=7")
        self.assertEqual(302, r.status_code)
        loc = urllib.parse.urlsplit(r.headers["Location"])
        self.assertEqual("login.example.test", loc.netloc)
        self.assertEqual("/remote-login", loc.path)
        q = urllib.parse.parse_qs(loc.query)
        self.assertEqual(["127.0.0.1:%d" % apache.port], q["host_url"])
        self.assertEqual(["/helpdesk/tickets?id=7"], q["redirect_to"])

    def test_sign_in_and_backend_sees_identity(self):
        r = sign_in("Jane Doe", "jane@example.com", redirect_to="/helpdesk/tickets")
        self.assertEqual(302, r.status_code, r.text)
        self.assertEqual("/helpdesk/tickets", r.headers["Location"])
        cookie, _ = session_cookie(r)
        self.assertIsNotNone(cookie)
        r = get("/helpdesk/tickets", cookie=cookie)
        self.assertEqual(200, r.status_code)
        h, _ = echoed(r)
        self.assertEqual("jane@example.com", h["x-remote-user"])
        self.assertEqual("jane@example.com", h["x-remote-email"])
        self.assertEqual("Jane Doe", h["x-remote-name"])
        self.assertEqual("remote-auth", h["x-remote-issuer"])

    def test_unicode_name_reaches_backend(self):
        r = sign_in("Zoë Ñúñez", "zoe@example.com")
        self.assertEqual(302, r.status_code, r.text)
        cookie, _ = session_cookie(r)
        h, _ = echoed(get("/helpdesk/", cookie=cookie))
        self.assertEqual("Zoë Ñúñez", h["x-remote-name"].encode("latin-1").decode("utf-8"))

    def test_default_return_is_root(self):
        r = sign_in("Jane Doe", "jane2@example.com")
        self.assertEqual(302, r.status_code)
        self.assertEqual("/", r.headers["Location"])

    def test_cgi_sees_remote_user(self):
        r = sign_in("Cgi User", "cgi@example.com")
        cookie, _ = session_cookie(r)
        r = get("/cgi-env", cookie=cookie, headers={"X-Remote-User": "admin"})
        self.assertEqual(200, r.status_code, r.text)
        self.assertIn("REMOTE_USER=cgi@example.com\n", r.text)
        self.assertIn("AUTH_TYPE=HelpdeskSSO\n", r.text)
        self.assertIn("HDSSO_EMAIL=cgi@example.com\n", r.text)
        self.assertIn("HDSSO_NAME=Cgi User\n", r.text)
        # The client's copy was replaced by ours.
        self.assertIn("HTTP_X_REMOTE_USER=cgi@example.com\n", r.text)


    def test_identity_survives_internal_redirect(self):
        # /portal/ is served by DirectoryIndex, an internal redirect to env.cgi.
        cookie, _ = session_cookie(sign_in("Index User", "index@example.com"))
        r = get("/portal/", cookie=cookie, headers={"X-Remote-User": "admin"})
        self.assertEqual(200, r.status_code, r.text)
        self.assertIn("REMOTE_USER=index@example.com\n", r.text)
        self.assertIn("HDSSO_EMAIL=index@example.com\n", r.text)
        self.assertIn("HTTP_X_REMOTE_USER=index@example.com\n", r.text)
        self.assertEqual(302, get("/portal/", headers={"X-Remote-User": "admin"}).status_code)


class RejectionTest(unittest.TestCase):
    def assertNamedError(self, resp, status, name):
        self.assertEqual(status, resp.status_code, resp.text)
        self.assertIn(name, resp.text)
        self.assertIn("text/html", resp.headers["Content-Type"])
        self.assertTrue(resp.text.startswith("<!DOCTYPE html>"), resp.text[:40])
        self.assertEqual("no-store", resp.headers.get("Cache-Control"))
        self.assertIn('href="/login/normal"', resp.text)
        self.assertIsNone(session_cookie(resp)[0])
        deadline = time.monotonic() + 10
        while name not in apache.error_log() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn("HDSSO020: " + name, apache.error_log())

    def test_replayed_url_rejected(self):
        q = remote_query("Jane Doe", "replay@example.com")
        self.assertEqual(302, get("/sso/remote?" + q).status_code)
        self.assertNamedError(get("/sso/remote?" + q), 401, "remote.replayed")

    def test_stale_timestamp_rejected(self):
        r = sign_in("Jane Doe", "old@example.com", timestamp=int(time.time()) - 1800 - 120)
        self.assertNamedError(r, 401, "remote.expired")

    def test_future_timestamp_rejected(self):
        r = sign_in("Jane Doe", "future@example.com", timestamp=int(time.time()) + 600)
        self.assertNamedError(r, 401, "remote.not_yet_valid")

    def test_wrong_hash_rejected(self):
        ts = int(time.time())
        q = urllib.parse.urlencode({"name": "Jane Doe", "email": "jane@example.com", "timestamp": ts,
                                    "hash": sign("Jane Doe", "jane@example.com", ts, secret="wrong")})
        self.assertNamedError(get("/sso/remote?" + q), 401, "remote.bad_signature")

    def test_rotated_secrets_each_verify(self):
        # The second site has HelpdeskSSORemoteSecretFile NEXT CURRENT: links
        # made with either sign in there; the first site has CURRENT only.
        for secret in (NEXT_SECRET, SECRET):
            with self.subTest(secret=secret[:8]):
                r = sign_in("Jane Doe", "rotate-%s@example.com" % secret[:4], second=True, secret=secret)
                self.assertEqual(302, r.status_code, r.text)
                self.assertIsNotNone(session_cookie(r, "other_session")[0])
        self.assertNamedError(sign_in("Jane Doe", "next@example.com", secret=NEXT_SECRET), 401,
                              "remote.bad_signature")
        r = sign_in("Jane Doe", "neither@example.com", second=True, secret="neither-of-them")
        self.assertEqual(401, r.status_code)
        self.assertIn("remote.bad_signature", r.text)

    def test_tampered_email_rejected(self):
        q = remote_query("Jane Doe", "jane@example.com").replace("jane%40example.com", "admin%40example.com")
        self.assertNamedError(get("/sso/remote?" + q), 401, "remote.bad_signature")

    def test_bad_redirect_to_rejected(self):
        for target in ("//evil.example", "https://evil.example/", "/\\evil.example", "https:evil.example",
                       "https://helpdesk.example.com@evil.example/"):
            with self.subTest(target=target):
                r = sign_in("Jane Doe", "redir@example.com", redirect_to=target)
                self.assertNamedError(r, 400, "url.redirect_not_allowed")

    def test_allowed_absolute_redirect(self):
        r = sign_in("Jane Doe", "abs@example.com", redirect_to="https://helpdesk.example.com/tickets")
        self.assertEqual(302, r.status_code)
        self.assertEqual("https://helpdesk.example.com/tickets", r.headers["Location"])

    def test_missing_parameter_rejected(self):
        self.assertNamedError(get("/sso/remote?name=Jane&email=j%40example.com"), 400,
                              "remote.missing_parameter")

    def test_control_characters_rejected(self):
        r = sign_in("Jane\r\nX-Remote-User: admin", "crlf@example.com")
        self.assertNamedError(r, 400, "remote.malformed_parameter")

    def test_post_not_allowed(self):
        r = get("/sso/remote?" + remote_query("Jane", "post@example.com"), method="POST")
        self.assertEqual(405, r.status_code)

    def test_no_secret_or_hash_in_log(self):
        q = remote_query("Jane Doe", "log@example.com")
        get("/sso/remote?" + q)
        get("/sso/remote?" + q)
        h = urllib.parse.parse_qs(q)["hash"][0]
        log = apache.error_log()
        self.assertNotIn(h, log)
        self.assertNotIn(SECRET, log)


class HeaderSpoofingTest(unittest.TestCase):
    FORGED = {
        "X-Remote-User": "admin",
        "X_Remote_User": "admin",
        "x-remote-email": "admin@example.com",
        "X-REMOTE-GROUPS": "admins",
        "Remote-User": "admin",
        "X-Remote-Anything": "forged",
    }

    def check(self, resp, expect_user=None):
        self.assertEqual(200, resp.status_code, resp.text)
        h, raw = echoed(resp)
        for name, value in raw:
            norm = name.lower().replace("_", "-")
            if norm.startswith("x-remote-") or norm == "remote-user":
                self.assertNotIn(value, ("admin", "admin@example.com", "admins", "forged"), name)
        if expect_user:
            self.assertEqual(expect_user, h["x-remote-user"])
        else:
            self.assertNotIn("x-remote-user", h)

    def test_forged_headers_never_reach_public_backend(self):
        self.check(get("/public/page", headers=self.FORGED))

    def test_forged_headers_replaced_for_signed_in_user(self):
        cookie, _ = session_cookie(sign_in("Jane Doe", "spoof@example.com"))
        self.check(get("/helpdesk/", cookie=cookie, headers=self.FORGED), expect_user="spoof@example.com")

    def test_forged_headers_do_not_authenticate(self):
        r = get("/helpdesk/", headers=self.FORGED)
        self.assertEqual(302, r.status_code)


class CookieAndSessionTest(unittest.TestCase):
    def test_cookie_attributes(self):
        _, header = session_cookie(sign_in("Jane Doe", "c1@example.com"))
        attrs = [a.strip() for a in header.split(";")]
        self.assertIn("HttpOnly", attrs)
        self.assertIn("SameSite=Lax", attrs)
        self.assertIn("Path=/", attrs)
        # A browser-session cookie by default: the server enforces lifetime and idle time.
        self.assertFalse([a for a in attrs if a.lower().startswith(("max-age", "expires"))], attrs)
        self.assertNotIn("Secure", attrs)
        self.assertRegex(attrs[0], r"^hdsso_session=[A-Za-z0-9_-]{43}$")

    def test_cookie_attributes_per_vhost(self):
        r = sign_in("Jane Doe", "c2@example.com", second=True)
        self.assertEqual(302, r.status_code, r.text)
        _, header = session_cookie(r, "other_session")
        attrs = [a.strip() for a in header.split(";")]
        self.assertIn("Secure", attrs)
        self.assertIn("SameSite=Strict", attrs)
        self.assertIn("Max-Age=600", attrs)  # HelpdeskSSOCookiePersistent On

    def test_cookie_of_other_vhost_not_accepted(self):
        cookie, _ = session_cookie(sign_in("Jane Doe", "c3@example.com"))
        value = cookie.split("=", 1)[1]
        self.assertEqual(200, get("/helpdesk/", cookie=cookie).status_code)
        self.assertEqual(302, get("/helpdesk/", cookie="other_session=" + value, second=True).status_code)

    def test_tampered_cookie_not_accepted(self):
        cookie, _ = session_cookie(sign_in("Jane Doe", "c4@example.com"))
        name, value = cookie.split("=", 1)
        for bad in (value[:-1], value[:-1] + ("A" if value[-1] != "A" else "B"), value + "A", "", "x" * 43):
            with self.subTest(bad=bad):
                self.assertEqual(302, get("/helpdesk/", cookie=name + "=" + bad).status_code)

    def test_login_replaces_existing_session(self):
        # An attacker's session id planted in the victim's browser is not kept.
        planted, _ = session_cookie(sign_in("Mallory", "mallory@example.com"))
        r = sign_in("Victim", "victim@example.com", cookie=planted)
        fresh, _ = session_cookie(r)
        self.assertNotEqual(planted, fresh)
        self.assertEqual(302, get("/helpdesk/", cookie=planted).status_code)
        h, _ = echoed(get("/helpdesk/", cookie=fresh))
        self.assertEqual("victim@example.com", h["x-remote-user"])

    def test_logout(self):
        cookie, _ = session_cookie(sign_in("Jane Doe", "out@example.com"))
        # Several requests, so that several Apache processes hold the session
        # in their read caches; the logout must end it in all of them.
        for _ in range(20):
            self.assertEqual(200, get("/helpdesk/", cookie=cookie).status_code)
        r = get("/sso/logout", cookie=cookie)
        self.assertEqual(302, r.status_code)
        loc = urllib.parse.urlsplit(r.headers["Location"])
        self.assertEqual("login.example.test", loc.netloc)
        self.assertEqual(["127.0.0.1:%d" % apache.port], urllib.parse.parse_qs(loc.query)["host_url"])
        _, cleared = session_cookie(r)
        self.assertIn("Max-Age=0", cleared)
        for _ in range(20):
            self.assertEqual(302, get("/helpdesk/", cookie=cookie).status_code)
        self.assertIn("HDSSO034: signed out out@example.com", apache.error_log())

    def test_logout_without_remote_logout_url_shows_page(self):
        cookie, _ = session_cookie(sign_in("Jane Doe", "out2@example.com", second=True), "other_session")
        r = get("/sso/logout", cookie=cookie, second=True)
        self.assertEqual(200, r.status_code)
        self.assertIn("signed out", r.text)
        self.assertEqual(302, get("/helpdesk/", cookie=cookie, second=True).status_code)


if __name__ == "__main__":
    unittest.main()
