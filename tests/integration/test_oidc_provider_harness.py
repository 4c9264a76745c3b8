"""The OIDC test harness on its own, no Apache: the real OpenID Provider
(tests/lib/oidc_provider.py: panva's oidc-provider under Node.js, TLS from a
test CA on loopback) and the rogue one (tests/lib/rogue_oidc.py), driven by
python3-requests acting as the relying party, with python3-jwt checking
what comes back. It proves the harness that tests/integration/test_oidc.py
stands on: discovery over the test CA only, the code flow with PKCE (and
PKCE required), both client authentications (client_secret_basic,
private_key_jwt with an assertion made by python3-jwt), form_post, a code
refused the second time, the ID token's claims and configured lifetime, key
rotation while running, and a back-channel logout token delivered to an
http loopback URI on RP-initiated logout."""

import http.server
import json
import os
import sys
import tempfile
import threading
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import jwt  # noqa: E402  (python3-jwt)
import requests  # noqa: E402

from hdsso_test import free_port  # noqa: E402
from oidc_provider import OidcProvider, pkce_pair  # noqa: E402
from rogue_oidc import RogueOidc  # noqa: E402

TTL = 777


class BackchannelReceiver(http.server.BaseHTTPRequestHandler):
    """The RP's /sso/oidc-backchannel stand-in: keeps what is POSTed."""
    received = []

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.received.append({"path": self.path, "type": self.headers.get("Content-Type", ""),
                              "form": dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class OidcProviderHarnessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hdsso-op-harness-")
        cls.rp_port = free_port()
        cls.rp = "http://127.0.0.1:%d" % cls.rp_port
        cls.receiver = http.server.ThreadingHTTPServer(("127.0.0.1", cls.rp_port), BackchannelReceiver)
        threading.Thread(target=cls.receiver.serve_forever, daemon=True).start()
        cls.op = OidcProvider(cls.tmp.name, rp=cls.rp, id_token_ttl=TTL, groups={"bob": ["agents", "admins"]})
        try:
            cls.op.start()
        except Exception:
            cls.receiver.shutdown()
            cls.receiver.server_close()
            raise
        cls.d = cls.op.discovery

    @classmethod
    def tearDownClass(cls):
        cls.op.stop()
        cls.receiver.shutdown()
        cls.receiver.server_close()
        cls.tmp.cleanup()

    # --- helpers -----------------------------------------------------------

    def authorize(self, session, client_id, user, challenge=True, **extra):
        """An authorization request as the module makes it; returns
        (code, callback parameters, nonce, verifier, how it came back)."""
        verifier, code_challenge = pkce_pair()
        nonce, state = os.urandom(8).hex(), os.urandom(32).hex()
        params = {"response_type": "code", "client_id": client_id, "redirect_uri": self.rp + "/sso/oidc",
                  "scope": "openid email profile groups", "state": state, "nonce": nonce}
        if challenge:
            params.update(code_challenge=code_challenge, code_challenge_method="S256")
        params.update(extra)
        step = self.op.drive(session, self.d["authorization_endpoint"] + "?" + urllib.parse.urlencode(params), user)
        if step[0] == "redirect":
            loc = urllib.parse.urlsplit(step[1])
            self.assertEqual(self.rp + "/sso/oidc", "%s://%s%s" % (loc.scheme, loc.netloc, loc.path))
            back = dict(urllib.parse.parse_qsl(loc.query))
        else:
            self.assertEqual(self.rp + "/sso/oidc", step[1])
            back = step[2]
        if "code" in back:
            self.assertEqual(state, back["state"])
            self.assertEqual(self.op.issuer, back["iss"])  # RFC 9207, authorization_response_iss_parameter_supported
        return back.get("code"), back, nonce, verifier, step[0]

    def token(self, code, verifier, client="secret", **over):
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.rp + "/sso/oidc",
                "code_verifier": verifier}
        auth = None
        if client == "secret":
            auth = (self.op.secret_client_id, self.op.secret_client_secret)
        else:
            data.update(client_id=self.op.jwt_client_id,
                        client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        client_assertion=self.op.client_assertion())
        auth = over.pop("auth", auth)
        data.update(over)
        return requests.post(self.d["token_endpoint"], data=data, auth=auth, verify=self.op.ca_file, timeout=30)

    # --- tests -------------------------------------------------------------

    def test_discovery_over_the_test_ca_only(self):
        r = requests.get(self.op.issuer + "/.well-known/openid-configuration", verify=self.op.ca_file, timeout=30)
        self.assertEqual(200, r.status_code)
        d = r.json()
        self.assertEqual(self.op.issuer, d["issuer"])
        self.assertTrue(d["issuer"].startswith("https://127.0.0.1:"))
        self.assertIn("form_post", d["response_modes_supported"])
        self.assertEqual(["S256"], d["code_challenge_methods_supported"])
        self.assertEqual(["code"], d["response_types_supported"])
        for method in ("client_secret_basic", "private_key_jwt"):
            self.assertIn(method, d["token_endpoint_auth_methods_supported"])
        self.assertTrue(d["backchannel_logout_supported"])
        self.assertTrue(d["backchannel_logout_session_supported"])
        self.assertIn("end_session_endpoint", d)
        self.assertIn("groups", d["scopes_supported"])
        with self.assertRaises(requests.exceptions.SSLError):
            requests.get(self.op.issuer + "/.well-known/openid-configuration", timeout=30)  # system CAs

    def test_code_flow_with_pkce_and_the_secret_client(self):
        s = requests.Session()
        code, _, nonce, verifier, how = self.authorize(s, self.op.secret_client_id, "alice")
        self.assertEqual("redirect", how)
        # A wrong secret, then a wrong verifier, are refused (and do not use the code up).
        r = self.token(code, verifier, auth=(self.op.secret_client_id, "not-the-secret"))
        self.assertEqual(401, r.status_code, r.text)
        self.assertEqual("invalid_client", r.json()["error"])
        r = self.token(code, verifier + "x")
        self.assertEqual(400, r.status_code, r.text)
        self.assertEqual("invalid_grant", r.json()["error"])
        # Another authorization, the right verifier.
        code, _, nonce, verifier, _ = self.authorize(s, self.op.secret_client_id, "alice")
        r = self.token(code, verifier)
        self.assertEqual(200, r.status_code, r.text)
        claims = self.op.verify_id_token(r.json()["id_token"], self.op.secret_client_id, nonce)
        self.assertEqual("alice", claims["sub"])
        self.assertEqual("alice@example.com", claims["email"])
        self.assertEqual("Alice", claims["name"])
        self.assertEqual(["staff"], claims["groups"])
        self.assertTrue(claims["sid"])  # backchannel_logout_session_required
        self.assertEqual(TTL, claims["exp"] - claims["iat"])
        self.assertEqual("op-key-1", jwt.get_unverified_header(r.json()["id_token"])["kid"])
        # The same code again: invalid_grant.
        again = self.token(code, verifier)
        self.assertEqual(400, again.status_code, again.text)
        self.assertEqual("invalid_grant", again.json()["error"])

    def test_pkce_is_required(self):
        s = requests.Session()
        code, back, _, _, _ = self.authorize(s, self.op.secret_client_id, "alice", challenge=False)
        self.assertIsNone(code)
        self.assertEqual("invalid_request", back["error"])
        self.assertIn("PKCE", back.get("error_description", ""))

    def test_private_key_jwt_client_and_form_post(self):
        s = requests.Session()
        code, back, nonce, verifier, how = self.authorize(s, self.op.jwt_client_id, "bob", response_mode="form_post")
        self.assertEqual("form_post", how)
        self.assertEqual({"code", "state", "iss"}, set(back))
        # An assertion signed by another key is refused.
        from oidc_provider import rsa_key
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.rp + "/sso/oidc",
                "code_verifier": verifier, "client_id": self.op.jwt_client_id,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": self.op.client_assertion(key=rsa_key())}
        r = requests.post(self.d["token_endpoint"], data=data, verify=self.op.ca_file, timeout=30)
        self.assertEqual(401, r.status_code, r.text)
        r = self.token(code, verifier, client="jwt")
        self.assertEqual(200, r.status_code, r.text)
        claims = self.op.verify_id_token(r.json()["id_token"], self.op.jwt_client_id, nonce)
        self.assertEqual("bob", claims["sub"])
        self.assertEqual(["agents", "admins"], claims["groups"])

    def test_rotation_then_backchannel_logout(self):
        s = requests.Session()
        code, _, nonce, verifier, _ = self.authorize(s, self.op.secret_client_id, "carol")
        first = self.token(code, verifier).json()["id_token"]
        self.assertEqual(["op-key-2"], self.op.rotate())
        try:
            self.assertEqual(["op-key-2"], [k["kid"] for k in self.op.jwks()["keys"]])
            # The provider session survived the swap: no login page this time.
            code, _, nonce, verifier, _ = self.authorize(s, self.op.secret_client_id, "ignored-name")
            r = self.token(code, verifier)
            self.assertEqual(200, r.status_code, r.text)
            second = r.json()["id_token"]
            self.assertEqual("op-key-2", jwt.get_unverified_header(second)["kid"])
            claims = self.op.verify_id_token(second, self.op.secret_client_id, nonce)
            self.assertEqual("carol", claims["sub"])
            with self.assertRaises(AssertionError):
                self.op.verify_id_token(first, self.op.secret_client_id)  # op-key-1 is gone
            # RP-initiated logout with id_token_hint: the provider POSTs a
            # logout token to the client's backchannel_logout_uri, then sends
            # the browser back to post_logout_redirect_uri with the state.
            BackchannelReceiver.received.clear()
            how, where = self.op.end_session(s, id_token_hint=second, state="bye",
                                             post_logout_redirect_uri=self.rp + "/sso/logout")
            self.assertEqual("redirect", how)
            self.assertEqual(self.rp + "/sso/logout?state=bye", where)
            self.assertEqual(1, len(BackchannelReceiver.received), self.op.log()[-2000:])
            got = BackchannelReceiver.received[0]
            self.assertEqual("/sso/oidc-backchannel", got["path"])
            self.assertEqual("application/x-www-form-urlencoded", got["type"].split(";")[0])
            token = got["form"]["logout_token"]
            key = jwt.PyJWK(self.op.jwks()["keys"][0]).key
            lt = jwt.decode(token, key, algorithms=["RS256"], audience=self.op.secret_client_id,
                            issuer=self.op.issuer)
            self.assertIn("http://schemas.openid.net/event/backchannel-logout", lt["events"])
            self.assertEqual("carol", lt["sub"])
            self.assertEqual(claims["sid"], lt["sid"])
            self.assertNotIn("nonce", lt)
            self.assertTrue(self.op.events("backchannel.success"))
        finally:
            self.op.rotate({"keys": [self.op.config()["jwks"]["keys"][0]]})

    def test_rogue_provider_mints_what_the_test_asks(self):
        rogue = RogueOidc(self.tmp.name).start()
        self.addCleanup(rogue.stop)
        d = requests.get(rogue.issuer + "/.well-known/openid-configuration", verify=rogue.ca_file, timeout=30).json()
        self.assertEqual(rogue.issuer, d["issuer"])
        params = {"response_type": "code", "client_id": "c1", "redirect_uri": self.rp + "/sso/oidc",
                  "state": "s1", "nonce": "n1", "code_challenge": "x", "code_challenge_method": "S256"}
        r = requests.get(d["authorization_endpoint"], params=params, verify=rogue.ca_file,
                         allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code)
        back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.headers["Location"]).query))
        self.assertEqual("s1", back["state"])
        self.assertEqual("n1", rogue.authorizations[-1]["nonce"])
        r = requests.post(d["token_endpoint"], data={"grant_type": "authorization_code", "code": back["code"]},
                          verify=rogue.ca_file, timeout=30)
        self.assertEqual(200, r.status_code, r.text)
        key = jwt.PyJWK(requests.get(d["jwks_uri"], verify=rogue.ca_file, timeout=30).json()["keys"][0]).key
        honest = jwt.decode(r.json()["id_token"], key, algorithms=["RS256"], audience="c1", issuer=rogue.issuer)
        self.assertEqual("n1", honest["nonce"])
        # The code is single use; the crafted tokens are what they say.
        again = requests.post(d["token_endpoint"], data={"code": back["code"]}, verify=rogue.ca_file, timeout=30)
        self.assertEqual(400, again.status_code)
        c = rogue.claims({"client_id": "c1", "nonce": "n1"})
        self.assertEqual("none", jwt.get_unverified_header(rogue.unsigned(c))["alg"])
        forged = rogue.hs256_with_public_key(c)
        self.assertEqual("HS256", jwt.get_unverified_header(forged)["alg"])
        import base64
        import hashlib
        import hmac
        head, body, sig = forged.split(".")
        self.assertEqual(hmac.new(rogue.public_pem, (head + "." + body).encode(), hashlib.sha256).digest(),
                         base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
        self.assertEqual(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))), c)


if __name__ == "__main__":
    unittest.main()
