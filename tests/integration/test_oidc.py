"""OpenID Connect sign-in (issue 16, /work's oidc-spec: the directives,
endpoints, named errors and metrics the lead wrote before the module code)
on a real Apache against a real OpenID Provider: panva's oidc-provider
(tests/lib/oidc_provider.py, npm, pinned; TLS from a test CA on loopback,
trusted with ca=), driven by python3-requests like a browser, and a rogue
provider (tests/lib/rogue_oidc.py) whose ID tokens the tests craft.

Covered: sign-in with a client_secret_basic client and with a
private_key_jwt client (the identity reaches the backend), form_post (the
provider lists it, so the module asks for it), a tampered state (400
oidc.state_mismatch), a replayed callback refused, the rogue's alg none,
HS256 "signed" with the RSA public key, wrong aud, expired and wrong-nonce
tokens (401 oidc.bad_id_token, no session cookie) after an honest one from
the same rogue is accepted, key rotation at the provider (the next sign-in
works after one JWKS refetch), back-channel logout ending the session,
RP-initiated logout with id_token_hint, a background request without a
session (401, no redirect), the metrics, the error log naming the errors and
never holding a code, a token or the secret; and in headless Chromium, a
chooser offering SimpleSAMLphp and the OIDC provider side by side, signed in
through the OIDC one by clicking.

Until the module has OIDC, every test here fails (setUpModule says why): no
test is skipped for that."""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import jwt  # noqa: E402  (python3-jwt)
import requests  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from hdsso_test import BASE_MODULES, BUILDDIR, Apache, EchoBackend, access_log_lines, headless_chromium  # noqa: E402
from oidc_provider import OidcProvider  # noqa: E402
from rogue_oidc import RogueOidc  # noqa: E402

SCREENSHOTS = os.path.join(BUILDDIR, "tests", "screenshots")

# Port 1: the secret client (client_secret_basic); port 2: the
# private_key_jwt client (the spec's default kid: the key's RFC 7638
# thumbprint, which is what the provider registered). One provider per
# vhost and no HelpdeskSSOIdP list: a protected page goes straight to it.
CONF = """
ServerLimit 1
StartServers 1
MinSpareThreads 1
MaxSpareThreads 25
ThreadsPerChild 25
MaxRequestWorkers 25
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1:{port}
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSOOIDCProvider op {issuer} {dir}/oidc/op.json ca={ca}
  HelpdeskSSOOIDCClient op {secret_id} secret-file={secret_file} auth=client_secret_basic
  HelpdeskSSOOIDCScopes op openid email profile groups
  HelpdeskSSOOIDCClaims op generic
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/helpdesk
  </Location>
  <Location /sso/metrics>
    HelpdeskSSOMetrics On
    Require ip 127.0.0.1
  </Location>
  <Location /sso/diagnostics>
    HelpdeskSSODiagnostics On
    AuthType HelpdeskSSO
    Require valid-user
  </Location>
  <Location /admin>
    AuthType HelpdeskSSO
    Require helpdesk-sso-group admins
    AuthzSendForbiddenOnFailure On
    ProxyPass http://127.0.0.1:{backend}/admin
  </Location>
  HelpdeskSSOBroker zendesk acme.zendesk.com {dir}/zendesk.secret
</VirtualHost>
<VirtualHost 127.0.0.1:{port2}>
  ServerName 127.0.0.1:{port2}
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSOOIDCProvider opjwt {issuer} {dir}/oidc/opjwt.json ca={ca}
  HelpdeskSSOOIDCClient opjwt {jwt_id} private-key-jwt={jwt_key} alg=RS256
  HelpdeskSSOOIDCScopes opjwt openid email profile groups
  HelpdeskSSOOIDCClaims opjwt generic
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/helpdesk
  </Location>
</VirtualHost>
"""

ROGUE_CONF = """
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1:{port}
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSOOIDCProvider rogue {issuer} {dir}/oidc/rogue.json ca={ca}
  HelpdeskSSOOIDCClient rogue rogue-client secret-file={dir}/rogue.secret
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/helpdesk
  </Location>
</VirtualHost>
"""

ROGUE_SECRET = "rogue-client-secret-" + os.urandom(8).hex()
ZENDESK_SECRET = "zendesk-" + os.urandom(24).hex()


def oidc_dir(apache):
    """{dir}/oidc, where the backing files go, writable by Apache's children."""
    path = os.path.join(apache.dir, "oidc")
    os.makedirs(path, exist_ok=True)
    if os.geteuid() == 0:
        subprocess.run(["chown", "www-data", path], check=True)
    return path


def scrape(apache):
    from prometheus_client.parser import text_string_to_metric_families
    r = requests.get(apache.url("/sso/metrics"), allow_redirects=False, timeout=30)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    values = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            values[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return values


def total(values, name, **labels):
    """The sum of the samples of `name` whose labels include `labels`."""
    return sum(v for (n, ls), v in values.items()
               if n == name and all(dict(ls).get(k) == w for k, w in labels.items()))


class OidcSignInTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hdsso-oidc-")
        os.chmod(cls.tmp.name, 0o755)
        cls.backend = EchoBackend()
        cls.apache = Apache(CONF)
        oidc_dir(cls.apache)
        cls.apache.write("zendesk.secret", ZENDESK_SECRET + "\n", mode=0o600)
        cls.op = OidcProvider(cls.tmp.name, rp="http://127.0.0.1:%d" % cls.apache.port,
                              jwt_rp="http://127.0.0.1:%d" % cls.apache.port2, groups={"bob": ["agents", "admins"]})
        cls.op.start()
        cls.apache.fmt = {"issuer": cls.op.issuer, "ca": cls.op.ca_file, "backend": cls.backend.port,
                          "secret_id": cls.op.secret_client_id, "secret_file": cls.op.secret_file,
                          "jwt_id": cls.op.jwt_client_id, "jwt_key": cls.op.jwt_key_file}
        cls.seen = []  # codes and tokens met in the tests, for the log check
        try:
            cls.apache.start()
        except Exception:
            cls.op.stop()
            cls.backend.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.apache.cleanup()
        cls.op.stop()
        cls.backend.stop()
        cls.tmp.cleanup()

    # --- helpers -----------------------------------------------------------

    def identity(self, session, path="/helpdesk/", second=False):
        r = session.get(self.apache.url(path, second), allow_redirects=False, timeout=30)
        self.assertEqual(200, r.status_code, r.text[:500] + self.apache.error_log()[-2000:])
        return {k.lower(): v for k, v in r.json()["headers"]}

    def remember(self, r):
        """Keeps the code (and what else the callback carried) for the log check."""
        req = r.request
        fields = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(req.url).query))
        if req.body:
            body = req.body.decode() if isinstance(req.body, bytes) else req.body
            fields.update(urllib.parse.parse_qsl(body))
        if fields.get("code"):
            self.seen.append(fields["code"])
        return fields

    def signed_in(self, session, start, user, second=False):
        r = self.op.sign_in(session, self.apache.url(start, second), user)
        self.remember(r)
        self.assertEqual(302, r.status_code, r.text[:500] + self.apache.error_log()[-3000:])
        self.assertIn("hdsso_session=", r.headers.get("Set-Cookie", ""))
        return r

    def to_provider(self, session, start):
        """Follows Apache to the provider's authorization endpoint; returns its URL."""
        r = session.get(self.apache.url(start), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text)
        url = r.headers["Location"]
        self.assertTrue(url.startswith(self.op.discovery["authorization_endpoint"] + "?"), url)
        return url

    def answer(self, session, start, user):
        """Signs `user` in at the provider from `start`, stopping at the
        provider's redirect back to Apache: that URL (split) and its query
        fields (the code kept for the log check)."""
        step = self.op.drive(session, self.to_provider(session, start), user)
        self.assertEqual("redirect", step[0])
        url = urllib.parse.urlsplit(step[1])
        fields = dict(urllib.parse.parse_qsl(url.query))
        self.seen.append(fields["code"])
        return url, fields

    def assert_log_names(self, name):
        self.assertRegex(self.apache.error_log(), r"HDSSO0\d\d: %s: " % re.escape(name))

    # --- sign-in -----------------------------------------------------------

    def test_sign_in_with_the_secret_client(self):
        s = requests.Session()
        r = self.signed_in(s, "/helpdesk/tickets?id=7", "alice")
        # The cookies are not Secure here (plain http), so the provider's
        # cross-site form_post would come without the attempt's cookie: the
        # module asks for the answer in the query string, and it came back
        # in a GET.
        self.assertEqual("GET", r.request.method)
        self.assertEqual("/helpdesk/tickets?id=7", r.headers["Location"])
        auth = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.op.last_authorization).query))
        self.assertEqual("code", auth["response_type"])
        self.assertEqual(self.op.secret_client_id, auth["client_id"])
        self.assertEqual(self.apache.url("/sso/oidc"), auth["redirect_uri"])
        self.assertEqual({"openid", "email", "profile", "groups"}, set(auth["scope"].split()))
        self.assertRegex(auth["state"], r"^[0-9a-f]{64}$")
        self.assertTrue(auth["nonce"])
        self.assertEqual("S256", auth["code_challenge_method"])
        self.assertNotIn("response_mode", auth)
        h = self.identity(s, "/helpdesk/tickets?id=7")
        self.assertEqual("alice", h["x-remote-user"])
        self.assertEqual("alice@example.com", h["x-remote-email"])
        self.assertEqual("Alice", h["x-remote-name"])
        self.assertEqual("staff", h["x-remote-groups"])

    def test_an_answer_posted_as_a_form_signs_in(self):
        # What a provider sends with response_mode=form_post (the Chromium
        # test below has the provider itself do it, on https): the same
        # fields in a POST form.
        s = requests.Session()
        url, fields = self.answer(s, "/helpdesk/posted", "alice")
        r = s.post(urllib.parse.urlunsplit(url._replace(query="")), data=fields, allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text[:500])
        self.assertEqual("/helpdesk/posted", r.headers["Location"])
        self.assertEqual("alice", self.identity(s, "/helpdesk/posted")["x-remote-user"])

    def test_sign_in_with_the_private_key_jwt_client(self):
        s = requests.Session()
        before = scrape(self.apache)
        r = self.signed_in(s, "/sso/login?idp=opjwt&return=/helpdesk/queue", "bob", second=True)
        self.assertEqual("/helpdesk/queue", r.headers["Location"])
        h = self.identity(s, "/helpdesk/queue", second=True)
        self.assertEqual("bob", h["x-remote-user"])
        self.assertEqual("agents,admins", h["x-remote-groups"])
        after = scrape(self.apache)
        self.assertEqual(1, total(after, "hdsso_oidc_token_requests_total", idp="opjwt", result="ok")
                         - total(before, "hdsso_oidc_token_requests_total", idp="opjwt", result="ok"))
        self.assertEqual(1, total(after, "hdsso_sign_ins_total", method="oidc")
                         - total(before, "hdsso_sign_ins_total", method="oidc"))

    def test_two_sign_ins_in_flight_in_one_browser(self):
        # Two tabs start a sign-in each; the second finishes first: each
        # comes back to its own page (its own state, nonce and verifier).
        s = requests.Session()
        first = self.to_provider(s, "/helpdesk/tab-one")
        second = self.to_provider(s, "/helpdesk/tab-two")
        step2 = self.op.drive(s, second, "alice")
        step1 = self.op.drive(s, first, "alice")
        self.assertEqual(("redirect", "redirect"), (step1[0], step2[0]))
        r2 = s.get(step2[1], allow_redirects=False, timeout=30)
        self.assertEqual(302, r2.status_code, r2.text[:300])
        self.assertEqual("/helpdesk/tab-two", r2.headers["Location"])
        r1 = s.get(step1[1], allow_redirects=False, timeout=30)
        self.assertEqual(302, r1.status_code, r1.text[:300])
        self.assertEqual("/helpdesk/tab-one", r1.headers["Location"])
        for r in (r1, r2):
            self.remember(r)
        self.assertEqual("alice", self.identity(s, "/helpdesk/tab-one")["x-remote-user"])

    def test_a_reply_posted_without_a_session_is_kept_through_the_sign_in(self):
        # A reply posted after the session ended: kept while the user signs
        # in at the provider, then sent on to the helpdesk as the user.
        s = requests.Session()
        origin = "http://127.0.0.1:%d" % self.apache.port
        r = s.post(self.apache.url("/helpdesk/ticket/9/reply"), data="text=Long+reply&id=9",
                   headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": origin,
                            "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate",
                            "Sec-Fetch-Dest": "document", "Accept": "text/html"},
                   allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text[:300])
        self.assertTrue(r.headers["Location"].startswith(self.op.discovery["authorization_endpoint"]))
        step = self.op.drive(s, r.headers["Location"], "alice")
        page = s.get(step[1], allow_redirects=False, timeout=30)
        self.remember(page)
        self.assertEqual(200, page.status_code, page.text[:500])
        form = re.search(r'<form id="hdsso-replay" method="post" action="([^"]*)"', page.text)
        self.assertTrue(form, page.text[:500])
        self.assertEqual("/helpdesk/ticket/9/reply", form.group(1).replace("&amp;", "&"))
        secret = re.search(r'name="hdsso_replay" value="([0-9a-f]{32})"', page.text).group(1)
        sent = s.post(self.apache.url(form.group(1).replace("&amp;", "&")), data={"hdsso_replay": secret},
                      headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"}, allow_redirects=False, timeout=30)
        self.assertEqual(200, sent.status_code, sent.text[:300])
        got = sent.json()
        self.assertEqual("/helpdesk/ticket/9/reply", got["path"])
        self.assertEqual("alice", {k.lower(): v for k, v in got["headers"]}["x-remote-user"])

    def test_diagnostics_show_the_claims_and_their_mapping(self):
        s = requests.Session()
        self.signed_in(s, "/helpdesk/diag", "alice")
        r = s.get(self.apache.url("/sso/diagnostics"), allow_redirects=False, timeout=30)
        self.assertEqual(200, r.status_code, r.text[:500])
        for text in ("OpenID Connect", self.op.issuer, self.op.secret_client_id, "client_secret_basic",
                     "User name from claim", "email (when email_verified is true)", "Provider session (sid)",
                     "alice@example.com", "Keys in use (kid)"):
            self.assertIn(text, r.text)
        with open(self.op.secret_file) as f:
            self.assertNotIn(f.read().strip(), r.text)

    def test_groups_from_the_provider_decide_require(self):
        # bob is in "admins" at the provider, alice is not.
        bob, alice = requests.Session(), requests.Session()
        self.signed_in(bob, "/sso/login?return=/admin/", "bob")
        self.signed_in(alice, "/sso/login?return=/admin/", "alice")
        r = bob.get(self.apache.url("/admin/"), allow_redirects=False, timeout=30)
        self.assertEqual(200, r.status_code, r.text[:300])
        self.assertEqual("bob", {k.lower(): v for k, v in r.json()["headers"]}["x-remote-user"])
        r = alice.get(self.apache.url("/admin/"), allow_redirects=False, timeout=30)
        self.assertEqual(403, r.status_code, r.text[:300])
        self.assertIn("not allowed", r.text)

    def test_a_hosted_helpdesk_broker_signs_the_oidc_user_in(self):
        s = requests.Session()
        self.signed_in(s, "/helpdesk/zd", "alice")
        back = "https://acme.zendesk.com/hc/en-us/requests"
        r = s.get(self.apache.url("/sso/zendesk?" + urllib.parse.urlencode({"return_to": back})),
                  allow_redirects=False, timeout=30)
        self.assertEqual(200, r.status_code, r.text[:500])
        token = re.search(r'name="jwt" value="([^"]+)"', r.text).group(1)
        claims = jwt.decode(token, ZENDESK_SECRET, algorithms=["HS256"], options={"require": ["iat", "jti"]})
        self.assertEqual("alice@example.com", claims["email"])
        self.assertEqual("Alice", claims["name"])

    # --- refused callbacks -------------------------------------------------

    def test_tampered_state_is_refused(self):
        s = requests.Session()
        url, fields = self.answer(s, "/helpdesk/t", "alice")
        state = fields["state"]
        fields["state"] = ("0" if state[0] != "0" else "1") + state[1:]
        r = s.get(urllib.parse.urlunsplit(url._replace(query=urllib.parse.urlencode(fields))),
                  allow_redirects=False, timeout=30)
        self.assertEqual(400, r.status_code, r.text)
        self.assertIn("oidc.state_mismatch", r.text)
        self.assertNotIn("hdsso_session=", r.headers.get("Set-Cookie", ""))
        self.assert_log_names("oidc.state_mismatch")
        # Without it the page stays closed.
        r = s.get(self.apache.url("/helpdesk/t"), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code)

    def test_replayed_callback_is_refused(self):
        s = requests.Session()
        r = self.signed_in(s, "/helpdesk/once", "alice")
        # The very same request again (its cookies too), from the same
        # browser and from another one: no second session.
        for sender in (s, requests.Session()):
            again = sender.send(r.request.copy(), allow_redirects=False, timeout=30)
            self.assertIn(again.status_code, (400, 502), again.text)
            self.assertRegex(again.text, r"oidc\.(state_mismatch|token_endpoint)")
            self.assertNotIn("hdsso_session=", again.headers.get("Set-Cookie", ""))

    def test_background_request_without_session_gets_401(self):
        r = requests.get(self.apache.url("/helpdesk/api/poll"), allow_redirects=False, timeout=30,
                         headers={"X-Requested-With": "XMLHttpRequest", "Accept": "application/json"})
        self.assertEqual(401, r.status_code, r.text)
        self.assertNotIn("Location", r.headers)
        self.assertIsNone(r.headers.get("Set-Cookie"))
        self.assertEqual("session.required", r.json()["error"])

    # --- keys --------------------------------------------------------------

    def test_key_rotation_at_the_provider(self):
        s = requests.Session()
        self.signed_in(s, "/helpdesk/before", "dave")
        before = scrape(self.apache)
        self.assertEqual(["op-key-2"], self.op.rotate())
        s2 = requests.Session()
        self.signed_in(s2, "/helpdesk/after", "erin")
        self.assertEqual("erin", self.identity(s2)["x-remote-user"])
        after = scrape(self.apache)
        refetch = dict(idp="op", document="jwks", result="changed", reason="kid")
        self.assertEqual(1, total(after, "hdsso_oidc_refreshes_total", **refetch)
                         - total(before, "hdsso_oidc_refreshes_total", **refetch))
        # Another sign-in with the new key: no further fetch.
        self.signed_in(requests.Session(), "/helpdesk/again", "erin")
        self.assertEqual(total(after, "hdsso_oidc_refreshes_total", idp="op", document="jwks"),
                         total(scrape(self.apache), "hdsso_oidc_refreshes_total", idp="op", document="jwks"))
        with open(os.path.join(self.apache.dir, "oidc", "op.json.jwks")) as f:
            self.assertEqual(["op-key-2"], [k["kid"] for k in json.load(f)["keys"]])

    # --- logout ------------------------------------------------------------

    def test_backchannel_logout_ends_the_session(self):
        s = requests.Session()
        self.signed_in(s, "/helpdesk/bc", "frank")
        self.assertEqual("frank", self.identity(s, "/helpdesk/bc")["x-remote-user"])
        before = scrape(self.apache)
        events = len(self.op.events("backchannel.success"))
        # Signing out at the provider: it POSTs a logout token to
        # /sso/oidc-backchannel before it answers.
        how, _ = self.op.end_session(s)
        self.assertEqual("page", how)
        self.assertEqual(events + 1, len(self.op.events("backchannel.success")), self.op.log()[-2000:])
        r = s.get(self.apache.url("/helpdesk/bc"), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text[:300])
        self.assertTrue(r.headers["Location"].startswith(self.op.discovery["authorization_endpoint"]),
                        r.headers["Location"])
        after = scrape(self.apache)
        self.assertEqual(1, total(after, "hdsso_oidc_backchannel_logouts_total", result="ok")
                         - total(before, "hdsso_oidc_backchannel_logouts_total", result="ok"))
        # A logout token that is not one: 400, counted as refused.
        r = requests.post(self.apache.url("/sso/oidc-backchannel"), data={"logout_token": "not.a.token"}, timeout=30)
        self.assertEqual(400, r.status_code, r.text)
        self.assertIn("oidc.bad_logout_token", r.text)
        self.assertEqual(1, total(scrape(self.apache), "hdsso_oidc_backchannel_logouts_total", result="refused")
                         - total(after, "hdsso_oidc_backchannel_logouts_total", result="refused"))
        self.assert_log_names("oidc.bad_logout_token")

    def test_rp_initiated_logout_goes_to_end_session_with_id_token_hint(self):
        s = requests.Session()
        self.signed_in(s, "/helpdesk/rp", "grace")
        r = s.get(self.apache.url("/sso/logout"), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text)
        loc = r.headers["Location"]
        self.assertTrue(loc.startswith(self.op.discovery["end_session_endpoint"] + "?"), loc)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        self.assertEqual(self.apache.url("/sso/logout"), q["post_logout_redirect_uri"])
        self.assertTrue(q["state"])
        hint = q["id_token_hint"]
        self.seen.append(hint)
        claims = self.op.verify_id_token(hint, self.op.secret_client_id)
        self.assertEqual("grace", claims["sub"])
        # The local session is over already.
        r = s.get(self.apache.url("/helpdesk/rp"), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code)
        # The provider accepts the hint and sends the browser back with the state.
        how, back = self.op.end_session(s, url=loc)
        self.assertEqual("redirect", how)
        self.assertEqual(self.apache.url("/sso/logout") + "?state=" + urllib.parse.quote(q["state"]), back)
        r = s.get(back, allow_redirects=False, timeout=30)
        self.assertEqual(200, r.status_code, r.text)
        self.assertIn("You are signed out", r.text)

    # --- the log -----------------------------------------------------------

    def test_zz_error_log_holds_no_code_token_or_secret(self):
        # Runs last (name): the codes and tokens the other tests met.
        self.signed_in(requests.Session(), "/helpdesk/log", "heidi")
        log = self.apache.error_log()
        self.assertTrue(self.seen)
        for value in self.seen + [self.op.secret_client_secret]:
            self.assertNotIn(value, log)
        with open(self.op.jwt_key_file) as f:
            body = "".join(line for line in f.read().splitlines() if "PRIVATE KEY" not in line)
        self.assertNotIn(body[:64], log)


class RogueProviderTest(unittest.TestCase):
    """ID tokens from a provider that lies. The rogue's discovery lists RS256
    only and query responses only."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hdsso-rogue-")
        cls.backend = EchoBackend()
        cls.rogue = RogueOidc(cls.tmp.name).start()
        cls.apache = Apache(ROGUE_CONF)
        oidc_dir(cls.apache)
        cls.apache.write("rogue.secret", ROGUE_SECRET + "\n", mode=0o600)
        with open(cls.rogue.ca_file) as f:
            ca = cls.apache.write("rogue-ca.crt", f.read())
        cls.apache.fmt = {"issuer": cls.rogue.issuer, "ca": ca, "backend": cls.backend.port}
        try:
            cls.apache.start()
        except Exception:
            cls.rogue.stop()
            cls.backend.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.apache.cleanup()
        cls.rogue.stop()
        cls.backend.stop()
        cls.tmp.cleanup()

    def callback(self, mint=None):
        """A sign-in through the rogue, its ID token made by `mint`; returns
        (Apache's answer to the callback, the token minted)."""
        minted = []

        def wrapped(auth, req):
            tok = (mint or (lambda a, q: self.rogue.sign(self.rogue.claims(a))))(auth, req)
            minted.append(tok)
            return tok
        self.rogue.mint = wrapped
        s = self.last_session = requests.Session()
        r = s.get(self.apache.url("/helpdesk/x"), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text + self.apache.error_log()[-2000:])
        self.assertTrue(r.headers["Location"].startswith(self.rogue.issuer + "/authorize?"), r.headers["Location"])
        r = s.get(r.headers["Location"], allow_redirects=False, verify=self.rogue.ca_file, timeout=30)
        self.assertEqual(302, r.status_code)
        r = s.get(r.headers["Location"], allow_redirects=False, timeout=30)
        self.assertEqual(1, len(minted), "the module did not redeem the code: %d %s\n%s" % (
            r.status_code, r.text[:300], self.apache.error_log()[-2000:]))
        return r, minted[0]

    def test_an_honest_token_from_the_rogue_signs_in(self):
        # The control: the same rogue, its token well made, is accepted, so
        # the refusals below are about the token.
        r, _ = self.callback()
        self.assertEqual(302, r.status_code, r.text + self.apache.error_log()[-2000:])
        self.assertIn("hdsso_session=", r.headers.get("Set-Cookie", ""))
        auth = self.rogue.authorizations[-1]
        token_req = self.rogue.token_requests[-1]
        self.assertNotIn("response_mode", auth)  # query only in the rogue's discovery
        verifier = token_req["form"]["code_verifier"]
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        self.assertEqual(auth["code_challenge"], challenge)
        self.assertEqual(auth["redirect_uri"], token_req["form"]["redirect_uri"])
        basic = base64.b64encode(("rogue-client:" + ROGUE_SECRET).encode()).decode()
        self.assertEqual("Basic " + basic, token_req["headers"]["authorization"])

    def headers_seen(self, session):
        r = session.get(self.apache.url("/helpdesk/x"), allow_redirects=False, timeout=30)
        self.assertEqual(200, r.status_code, r.text[:300])
        return {k.lower(): v for k, v in r.json()["headers"]}

    def test_an_unverified_email_is_not_handed_on(self):
        # Anyone may claim any address at a provider with self-service
        # sign-up: without email_verified true the address is not the
        # user's (a helpdesk naming users by email would give them that
        # account); with it, it is.
        r, _ = self.callback(lambda a, q: self.rogue.sign(self.rogue.claims(a, email="ceo@victim.example")))
        self.assertEqual(302, r.status_code, r.text + self.apache.error_log()[-2000:])
        h = self.headers_seen(self.last_session)
        self.assertEqual("rita", h["x-remote-user"])
        self.assertNotEqual("ceo@victim.example", h.get("x-remote-email", ""))
        for unverified in (False, "true"):
            r, _ = self.callback(lambda a, q: self.rogue.sign(
                self.rogue.claims(a, email="ceo@victim.example", email_verified=unverified)))
            self.assertEqual(302, r.status_code)
            self.assertNotEqual("ceo@victim.example", self.headers_seen(self.last_session).get("x-remote-email", ""))
        r, _ = self.callback(lambda a, q: self.rogue.sign(
            self.rogue.claims(a, email="rita@example.com", email_verified=True)))
        self.assertEqual(302, r.status_code)
        self.assertEqual("rita@example.com", self.headers_seen(self.last_session)["x-remote-email"])

    def test_an_access_token_is_not_taken_for_an_id_token(self):
        # Claims that would pass (aud this client, this sign-in's nonce),
        # but the header says it is an access token (RFC 9068).
        self.assert_refused(lambda a, q: self.rogue.sign(self.rogue.claims(a), headers={"typ": "at+jwt"}), "at\\+jwt")

    def assert_refused(self, mint, detail=None):
        r, token = self.callback(mint)
        self.assertEqual(401, r.status_code, r.text + self.apache.error_log()[-2000:])
        self.assertIn("oidc.bad_id_token", r.text)
        self.assertNotIn("hdsso_session=", r.headers.get("Set-Cookie", ""))
        log = self.apache.error_log()
        self.assertRegex(log, r"HDSSO0\d\d: oidc\.bad_id_token: jwt\.")
        if detail:
            self.assertRegex(log, r"HDSSO0\d\d: oidc\.bad_id_token: [^\n]*" + detail)
        self.assertNotIn(token, log)
        self.assertNotIn(ROGUE_SECRET, log)

    def test_alg_none_refused(self):
        self.assert_refused(lambda a, q: self.rogue.unsigned(self.rogue.claims(a)), "alg")

    def test_hs256_signed_with_the_rsa_public_key_refused(self):
        self.assert_refused(lambda a, q: self.rogue.hs256_with_public_key(self.rogue.claims(a)), "alg")

    def test_wrong_audience_refused(self):
        self.assert_refused(lambda a, q: self.rogue.sign(self.rogue.claims(a, aud="someone-else")), "aud")

    def test_expired_token_refused(self):
        def mint(a, q):
            c = self.rogue.claims(a)
            c.update(iat=c["iat"] - 7200, exp=c["iat"] - 3600, auth_time=c["iat"] - 7200)
            return self.rogue.sign(c)
        self.assert_refused(mint, "exp")

    def test_wrong_nonce_refused(self):
        self.assert_refused(lambda a, q: self.rogue.sign(self.rogue.claims(a, nonce=a["nonce"] + "x")), "nonce")
        self.assert_refused(lambda a, q: self.rogue.sign(self.rogue.claims(a, nonce=None)), "nonce")


CHOOSER_CONF = """
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1:{port}
  SSLEngine on
  SSLCertificateFile {tls_cert}
  SSLCertificateKeyFile {tls_key}
  HelpdeskSSO On
  HelpdeskSSOSAMLBaseURL https://127.0.0.1:{port}
  HelpdeskSSOSAMLIdPMetadataFile {dir}/idp-metadata.xml
  HelpdeskSSOSAMLKeyFile {dir}/sp.key
  HelpdeskSSOSAMLCertFile {dir}/sp.crt
  HelpdeskSSOOIDCProvider company {issuer} {dir}/oidc/company.json ca={ca}
  HelpdeskSSOOIDCClient company {secret_id} secret-file={secret_file}
  HelpdeskSSOOIDCScopes company openid email profile groups
  HelpdeskSSOIdP staff saml "Staff: sign in with SimpleSAMLphp" {idp_entity}
  HelpdeskSSOIdP company oidc "Company account (OpenID Connect)"
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/helpdesk
  </Location>
</VirtualHost>
"""


def spki_hash(cert):
    """base64 SHA-256 of a certificate's public key (Chromium's
    --ignore-certificate-errors-spki-list): the browser trusts that key only."""
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-pubkey"], check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub, check=True,
                         capture_output=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


class ChooserInChromiumTest(unittest.TestCase):
    """Apache over https here (the provider's certificate, same key): the
    provider's form_post then comes from the same site, as in production
    where both are https."""

    @classmethod
    def setUpClass(cls):
        from simplesamlphp import SimpleSamlIdp, fetch_idp_metadata
        cls.tmp = tempfile.TemporaryDirectory(prefix="hdsso-oidc-chooser-")
        os.chmod(cls.tmp.name, 0o755)
        cls.backend = EchoBackend()
        cls.sp = Apache(CHOOSER_CONF, modules=BASE_MODULES + ["ssl"])
        oidc_dir(cls.sp)
        base = "https://127.0.0.1:%d" % cls.sp.port
        cls.op = OidcProvider(cls.tmp.name, rp=base)
        cls.idp = SimpleSamlIdp()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        "/CN=hdsso-oidc-chooser-sp", "-keyout", os.path.join(cls.sp.dir, "sp.key"),
                        "-out", os.path.join(cls.sp.dir, "sp.crt")], check=True, capture_output=True)
        with open(os.path.join(cls.sp.dir, "sp.crt")) as f:
            cls.idp.add_sp(base + "/sso/metadata", base + "/sso/acs", base + "/sso/slo", cert_pem=f.read())
        cls.sp.fmt = {"issuer": cls.op.issuer, "ca": cls.op.ca_file, "secret_id": cls.op.secret_client_id,
                      "secret_file": cls.op.secret_file, "tls_cert": cls.op.tls_cert, "tls_key": cls.op.tls_key,
                      "idp_entity": cls.idp.entity_id, "backend": cls.backend.port}
        try:
            cls.op.start()
            cls.idp.start()
            fetch_idp_metadata(cls.sp, cls.idp)
            cls.sp.start()
        except Exception:
            cls.op.stop()
            cls.idp.cleanup()
            cls.backend.stop()
            raise
        os.makedirs(SCREENSHOTS, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.sp.cleanup()
        cls.idp.cleanup()
        cls.op.stop()
        cls.backend.stop()
        cls.tmp.cleanup()

    def test_chooser_offers_saml_and_oidc_and_oidc_signs_in_by_clicking(self):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait
        d = headless_chromium(self, extra_args=["--ignore-certificate-errors-spki-list=" + spki_hash(self.op.tls_cert)])

        def wait(cond, what):
            # Bounded so that a broken flow fails instead of hanging; not a performance check.
            try:
                WebDriverWait(d, 60).until(cond)
            except Exception:
                raise AssertionError("%s: at %s\n%s\n%s\n%s" % (what, d.current_url, d.page_source[:1500],
                                                              self.sp.error_log()[-2000:], self.op.log()[-1500:]))
        d.get(self.sp.url("/helpdesk/tickets?id=9").replace("http://", "https://"))
        wait(ec.url_contains("/sso/login?"), "no chooser")
        labels = [e.text for e in d.find_elements(By.TAG_NAME, "label")]
        self.assertIn("Staff: sign in with SimpleSAMLphp", labels)
        self.assertIn("Company account (OpenID Connect)", labels)
        d.save_screenshot(os.path.join(SCREENSHOTS, "chooser-oidc.png"))
        d.find_element(By.XPATH, "//label[text()='Company account (OpenID Connect)']").click()
        d.find_element(By.TAG_NAME, "button").click()
        wait(ec.presence_of_element_located((By.NAME, "login")), "no login page at the provider")
        self.assertTrue(d.current_url.startswith(self.op.issuer + "/"), d.current_url)
        d.find_element(By.NAME, "login").send_keys("alice")
        d.find_element(By.NAME, "password").send_keys("any-password")
        d.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        # The consent page, then form_post back to Apache.
        wait(lambda drv: "/helpdesk/tickets?id=9" in drv.current_url or drv.find_elements(
            By.XPATH, "//input[@name='prompt' and @value='consent']"), "no consent page")
        if "/helpdesk/tickets" not in d.current_url:
            d.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait(ec.url_contains("/helpdesk/tickets?id=9"), "not back at the page")
        body = json.loads(d.find_element(By.TAG_NAME, "body").text)
        h = {k.lower(): v for k, v in body["headers"]}
        self.assertEqual("alice", h["x-remote-user"])
        self.assertEqual("alice@example.com", h["x-remote-email"])
        # On https the cookies are Secure, so the module asked for form_post
        # and the provider's page POSTed the answer (query mode would GET).
        self.assertTrue(any('"POST /sso/oidc HTTP' in line for line in access_log_lines(self.sp)),
                        access_log_lines(self.sp)[-10:])
        self.assertFalse(any('"GET /sso/oidc?' in line for line in access_log_lines(self.sp)))



CHECK_SITE = """
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1:{port}
  HelpdeskSSO On
  {lines}
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
  </Location>
</VirtualHost>
"""


class OidcConfigCheckTest(unittest.TestCase):
    """What apachectl -t and a start say of an OpenID provider's
    configuration, without a provider running: each mistake named."""

    ISSUER = "https://op.example.test"

    def site(self, lines, files=None):
        a = Apache(CHECK_SITE.replace("{lines}", "\n  ".join(lines)))
        self.addCleanup(a.cleanup)
        a.write("op.secret", "s3cret\n", mode=0o600)
        for rel, text in (files or {}).items():
            a.write(rel, text)
        return a

    def backing(self, issuer=None, jwks=True):
        pub = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(pub))
        jwk.update(kid="k1", use="sig", alg="RS256")
        base = "https://login.microsoftonline.com/organizations/v2.0" if issuer == "tenant" else self.ISSUER
        doc = {"issuer": "https://login.microsoftonline.com/{tenantid}/v2.0" if issuer == "tenant" else self.ISSUER,
               "authorization_endpoint": base + "/authorize", "token_endpoint": base + "/token",
               "jwks_uri": base + "/jwks", "response_types_supported": ["code"],
               "id_token_signing_alg_values_supported": ["RS256"]}
        files = {"op.json": json.dumps(doc)}
        if jwks:
            files["op.json.jwks"] = json.dumps({"keys": [jwk]})
        return base, files

    def test_a_provider_from_its_backing_files_passes(self):
        issuer, files = self.backing()
        a = self.site(["HelpdeskSSOOIDCProvider op %s {dir}/op.json" % issuer,
                       "HelpdeskSSOOIDCClient op helpdesk secret-file={dir}/op.secret"], files)
        rc, out = a.config_test()
        self.assertEqual(0, rc, out)
        self.assertIn("Syntax OK", out)
        self.assertNotIn("oidc.", out)

    def test_no_backing_file_is_a_warning_under_t_and_a_failed_start(self):
        # Nothing listens at the issuer: -t never asks (it says so); a start
        # asks, fails, and names both reasons.
        a = self.site(["HelpdeskSSOOIDCProvider op https://127.0.0.1:9/op {dir}/op.json",
                       "HelpdeskSSOOIDCClient op helpdesk secret-file={dir}/op.secret"])
        rc, out = a.config_test()
        self.assertEqual(0, rc, out)
        self.assertIn("HDSSO104", out)
        self.assertIn("fetched when Apache starts", out)
        self.assertIn("oidc.not_loaded", out)
        with self.assertRaises(RuntimeError) as failed:
            a.start()
        text = str(failed.exception)
        self.assertIn("HelpdeskSSOOIDCProvider", text)
        self.assertIn("the backing file is not usable", text)
        self.assertIn("fetching failed", text)

    def test_each_mistake_is_named(self):
        issuer, files = self.backing()
        provider = "HelpdeskSSOOIDCProvider op %s {dir}/op.json" % issuer
        client = "HelpdeskSSOOIDCClient op helpdesk secret-file={dir}/op.secret"
        cases = [
            ([provider], "oidc.client", True),
            ([provider, "HelpdeskSSOOIDCClient op helpdesk secret-file={dir}/missing.secret"],
             "HelpdeskSSOOIDCClient", True),
            ([provider, "HelpdeskSSOOIDCClient op helpdesk secret-file={dir}/op.secret private-key-jwt={dir}/k.pem"],
             "exactly one of secret-file", True),
            ([provider, client, "HelpdeskSSOIdP other oidc \"Other\""], "idp.oidc", True),
            ([provider, client, "HelpdeskSSOOIDCClaims op google"], "oidc.any_google_account", False),
            ([provider, client, "HelpdeskSSOOIDCClaims op azure"], "generic, entra, okta or google", True),
            ([provider, client, "HelpdeskSSOOIDCUserInfo op maybe"], "On or Off", True),
            (["HelpdeskSSOOIDCProvider op %s {dir}/op.json refresh=1" % issuer, client], "from 5 to 86400", True),
        ]
        for lines, name, fatal in cases:
            with self.subTest(name=name):
                a = self.site(lines, files)
                rc, out = a.config_test()
                self.assertIn(name, out)
                if fatal:
                    self.assertNotEqual(0, rc, out)
                else:
                    self.assertEqual(0, rc, out)
                    self.assertIn("HDSSO061", out)

    def test_a_multi_tenant_issuer_needs_its_tenants(self):
        issuer, files = self.backing("tenant")
        lines = ["HelpdeskSSOOIDCProvider entra %s {dir}/op.json" % issuer,
                 "HelpdeskSSOOIDCClient entra helpdesk secret-file={dir}/op.secret"]
        rc, out = self.site(lines, files).config_test()
        self.assertNotEqual(0, rc, out)
        self.assertIn("oidc.tenant", out)
        rc, out = self.site(lines + ["HelpdeskSSOOIDCAllowTenant entra 72f988bf-86f1-41af-91ab-2d7cd011db47"],
                            files).config_test()
        self.assertEqual(0, rc, out)


if __name__ == "__main__":
    unittest.main()
