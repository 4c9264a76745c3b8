"""hdsso oidc discover and hdsso oidc verify-id-token against documents and
tokens made independently of our code: a discovery document and a JWK set
served over TLS on loopback from a test CA (tests/lib/served.py), ID tokens
signed by python3-jwt (with python3-cryptography for the keys). Covered:
discover's summary and its --out file (the bytes served), each refusal of a
document (issuer, http endpoint, no jwks_uri, not JSON, HTTP 500, a TLS
certificate of another CA, an http:// issuer never contacted) with --out left
alone; verify-id-token accepting RS256 and ES256 tokens and refusing, by
name, the wrong audience, issuer, expiry, nonce, alg none, HS256 over the RSA
public key's PEM, an unknown kid and a wrong at_hash."""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import jwt  # noqa: E402  (python3-jwt)
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402

from hdsso_test import HDSSO  # noqa: E402
from served import Served, make_ca  # noqa: E402

WELL_KNOWN = "/.well-known/openid-configuration"
CLIENT = "helpdesk-client"
NOW = 1_800_000_000


def hdsso(*args, stdin=None):
    p = subprocess.run([HDSSO, *args], capture_output=True, text=True, input=stdin)
    return p.returncode, p.stdout, p.stderr


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(private_key, kid, alg):
    algorithm = jwt.algorithms.RSAAlgorithm if alg.startswith("RS") else jwt.algorithms.ECAlgorithm
    jwk = json.loads(algorithm.to_jwk(private_key.public_key()))
    jwk.update({"kid": kid, "alg": alg, "use": "sig"})
    return jwk


def discovery(issuer, **changes):
    doc = {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/authorize",
        "token_endpoint": issuer + "/token",
        "jwks_uri": issuer + "/jwks",
        "userinfo_endpoint": issuer + "/userinfo",
        "end_session_endpoint": issuer + "/logout",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "code_challenge_methods_supported": ["S256"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    }
    for k, v in changes.items():
        if v is None:
            doc.pop(k)
        else:
            doc[k] = v
    # Indented: --out must be the bytes served, not a re-serialisation.
    return json.dumps(doc, indent=2) + "\n"


class OidcCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.ca, tls_crt, tls_key = make_ca(cls.tmp.name, "provider")
        _, other_crt, other_key = make_ca(cls.tmp.name, "other")
        cls.served = Served("application/json")
        port = cls.served.start(tls=(tls_crt, tls_key)).server_address[1]
        other_port = cls.served.start(tls=(other_crt, other_key)).server_address[1]
        plain_port = cls.served.start().server_address[1]
        cls.issuer = "https://127.0.0.1:%d" % port
        cls.other_issuer = "https://127.0.0.1:%d" % other_port
        cls.plain_issuer = "http://127.0.0.1:%d" % plain_port
        cls.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.ec = ec.generate_private_key(ec.SECP256R1())
        cls.jwks_text = json.dumps({"keys": [public_jwk(cls.rsa, "r1", "RS256"), public_jwk(cls.ec, "e1", "ES256")]})
        cls.jwks = cls.write("jwks.json", cls.jwks_text)
        cls.doc = discovery(cls.issuer)
        docs = cls.served.docs
        docs[WELL_KNOWN] = (200, cls.doc)
        docs["/jwks"] = (200, cls.jwks_text)
        # One issuer per refusal, each its own path on the same server.
        cls.bad = {
            "wrong-iss": (200, discovery("https://evil.example.com")),
            "http-endpoint": (200, discovery(cls.issuer + "/http-endpoint",
                                             token_endpoint="http://127.0.0.1:%d/token" % plain_port)),
            "no-jwks": (200, discovery(cls.issuer + "/no-jwks", jwks_uri=None)),
            "not-json": (200, "<html><body>Sign in</body></html>\n"),
            "status-500": (500, discovery(cls.issuer + "/status-500")),
        }
        docs["/other" + WELL_KNOWN] = (200, discovery(cls.other_issuer + "/other"))
        for name, answer in cls.bad.items():
            docs["/" + name + WELL_KNOWN] = answer

    @classmethod
    def tearDownClass(cls):
        cls.served.stop()
        cls.tmp.cleanup()

    @classmethod
    def write(cls, name, text):
        path = os.path.join(cls.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    # ---- discover ---------------------------------------------------------

    def discover(self, issuer, *extra):
        return hdsso("oidc", "discover", issuer, "--ca", self.ca, "--timeout", "20", *extra)

    def test_discover_prints_the_summary_and_writes_the_document(self):
        out_dir = tempfile.mkdtemp(dir=self.tmp.name)
        out = os.path.join(out_dir, "provider.json")
        with open(out, "w") as f:
            f.write("an older copy\n")
        rc, stdout, err = self.discover(self.issuer, "--out", out)
        self.assertEqual(0, rc, err)
        summary = dict(line.split(": ", 1) for line in stdout.splitlines())
        self.assertEqual(self.issuer, summary["issuer"])
        self.assertEqual(self.issuer + "/authorize", summary["authorization_endpoint"])
        self.assertEqual(self.issuer + "/token", summary["token_endpoint"])
        self.assertEqual(self.issuer + "/jwks", summary["jwks_uri"])
        self.assertEqual(self.issuer + "/userinfo", summary["userinfo_endpoint"])
        self.assertEqual(self.issuer + "/logout", summary["end_session_endpoint"])
        self.assertEqual("RS256 ES256", summary["id_token_algs"])
        self.assertEqual("yes", summary["form_post"])
        self.assertTrue(summary["pkce"].startswith("S256 (listed"), summary["pkce"])
        with open(out, "rb") as f:
            self.assertEqual(self.doc.encode(), f.read())
        self.assertEqual(["provider.json"], os.listdir(out_dir))  # no temporary file left

    def test_discover_without_out_writes_nothing(self):
        rc, stdout, err = self.discover(self.issuer)
        self.assertEqual(0, rc, err)
        self.assertIn("issuer: %s\n" % self.issuer, stdout)
        self.assertNotIn('"authorization_endpoint"', stdout)  # the summary, not the document

    def assert_discovery_refused(self, issuer, detail, *extra):
        out_dir = tempfile.mkdtemp(dir=self.tmp.name)
        out = os.path.join(out_dir, "provider.json")
        with open(out, "w") as f:
            f.write("the last good copy\n")
        rc, stdout, err = self.discover(issuer, "--out", out, *extra)
        self.assertEqual(1, rc, stdout + err)
        self.assertEqual("", stdout)
        self.assertTrue(err.startswith("error: oidc.discovery: "), err)
        self.assertIn(detail, err)
        with open(out) as f:
            self.assertEqual("the last good copy\n", f.read())
        self.assertEqual(["provider.json"], os.listdir(out_dir))
        return err

    def test_discover_refusals(self):
        cases = {
            "wrong-iss": "is not the configured issuer",
            "http-endpoint": "token_endpoint is not an https URL",
            "no-jwks": "has no jwks_uri",
            "not-json": "(JSON: ",
            "status-500": "(metadata.fetch_failed: ",
        }
        for name, detail in cases.items():
            with self.subTest(name=name):
                before = self.served.count("/" + name + WELL_KNOWN)
                self.assert_discovery_refused(self.issuer + "/" + name, detail)
                self.assertEqual(before + 1, self.served.count("/" + name + WELL_KNOWN))

    def test_discover_refuses_a_certificate_of_another_ca(self):
        issuer = self.other_issuer + "/other"
        err = self.assert_discovery_refused(issuer, "(metadata.fetch_failed: ")
        self.assertIn("certificate", err)
        # The same document from the same server, to a client that trusts its CA.
        rc, _, err = hdsso("oidc", "discover", issuer, "--ca", os.path.join(self.tmp.name, "other-ca.crt"))
        self.assertEqual(0, rc, err)

    def test_discover_refuses_an_http_issuer_before_connecting(self):
        before = self.served.count(WELL_KNOWN)
        self.assert_discovery_refused(self.plain_issuer, "(the issuer is not an https URL")
        self.assertEqual(before, self.served.count(WELL_KNOWN))

    def test_discover_usage_and_configuration_errors(self):
        self.assertEqual(2, hdsso("oidc", "discover")[0])
        self.assertEqual(2, hdsso("oidc", "discover", self.issuer, "--timeout", "0")[0])
        rc, _, err = hdsso("oidc", "discover", self.issuer, "--ca", os.path.join(self.tmp.name, "missing.crt"))
        self.assertEqual(3, rc)
        self.assertTrue(err.startswith("error: config.io: "), err)

    # ---- verify-id-token ----------------------------------------------------

    def claims(self, **changes):
        c = {"iss": self.issuer, "aud": CLIENT, "sub": "u-1", "email": "jane@example.com", "nonce": "n-1",
             "iat": NOW - 5, "exp": NOW + 300}
        for k, v in changes.items():
            if v is None:
                c.pop(k)
            else:
                c[k] = v
        return c

    def token(self, alg="RS256", kid=None, **changes):
        key = self.rsa if alg.startswith("RS") else self.ec
        return jwt.encode(self.claims(**changes), key, algorithm=alg,
                          headers={"kid": kid or ("r1" if alg.startswith("RS") else "e1")})

    def verify(self, token, *extra, nonce="n-1"):
        args = ["oidc", "verify-id-token", "--jwks", self.jwks, "--issuer", self.issuer, "--client-id", CLIENT,
                "--alg", "RS256", "--alg", "ES256", "--now", str(NOW)]
        if nonce is not None:
            args += ["--nonce", nonce]
        return hdsso(*args, *extra, token)

    def test_good_tokens_accepted_with_their_claims(self):
        for alg in ("RS256", "ES256"):
            with self.subTest(alg=alg):
                rc, out, err = self.verify(self.token(alg))
                self.assertEqual(0, rc, err)
                self.assertEqual("", err)
                claims = json.loads(out)
                self.assertEqual(self.claims(), claims)

    def test_access_token_matching_at_hash_accepted(self):
        at = "access-token-1"
        at_hash = b64url(hashlib.sha256(at.encode()).digest()[:16])
        rc, out, err = self.verify(self.token(at_hash=at_hash), "--access-token", at)
        self.assertEqual(0, rc, err)
        self.assertEqual(at_hash, json.loads(out)["at_hash"])

    def hs256_over_the_public_pem(self):
        pem = self.rsa.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        signing_input = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "r1"}).encode()) + "." + \
            b64url(json.dumps(self.claims()).encode())
        return signing_input + "." + b64url(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest())

    def test_refused_tokens_named(self):
        other_at_hash = b64url(hashlib.sha256(b"another access token").digest()[:16])
        cases = [
            ("wrong aud", self.token(aud="another-client"), [], "jwt.audience_mismatch"),
            ("wrong iss", self.token(iss=self.issuer + "/"), [], "jwt.issuer_mismatch"),
            ("expired", self.token(exp=NOW - 61, iat=NOW - 600), [], "jwt.expired"),
            ("wrong nonce", self.token(nonce="n-2"), [], "jwt.invalid_claim: the nonce"),
            ("alg none", jwt.encode(self.claims(), None, algorithm="none", headers={"kid": "r1"}), [],
             "jwt.alg_not_allowed"),
            ("HS256 over the RSA public key's PEM", self.hs256_over_the_public_pem(), [], "jwt.alg_not_allowed"),
            ("unknown kid", self.token(kid="r2"), [], "jwt.unknown_kid"),
            ("at_hash mismatch", self.token(at_hash=other_at_hash), ["--access-token", "access-token-1"],
             "jwt.invalid_claim: at_hash"),
        ]
        for what, token, extra, name in cases:
            with self.subTest(what=what):
                rc, out, err = self.verify(token, *extra)
                self.assertEqual(1, rc, out + err)
                self.assertEqual("", out)
                self.assertTrue(err.startswith("error: oidc.bad_id_token: "), err)
                self.assertIn("(" + name, err)

    def test_without_nonce_the_claim_is_still_required(self):
        for nonce in ("n-1", "any other nonce"):
            rc, out, err = self.verify(self.token(nonce=nonce), nonce=None)
            self.assertEqual(0, rc, err)
            self.assertEqual(nonce, json.loads(out)["nonce"])
            self.assertIn("warning: the nonce was not compared", err)
        for what, token, name in (("no nonce", self.token(nonce=None), "jwt.missing_claim"),
                                  ("empty nonce", self.token(nonce=""), "jwt.invalid_claim"),
                                  ("number", self.token(nonce=7), "jwt.missing_claim")):
            with self.subTest(what=what):
                rc, out, err = self.verify(token, nonce=None)
                self.assertEqual(1, rc, out + err)
                self.assertTrue(err.startswith("error: oidc.bad_id_token: "), err)
                self.assertIn("(" + name, err)

    def test_discovery_document_gives_issuer_and_algorithms(self):
        doc = self.write("discovery-es-only.json",
                         discovery(self.issuer, id_token_signing_alg_values_supported=["ES256"]))
        base = ["oidc", "verify-id-token", "--jwks", self.jwks, "--client-id", CLIENT, "--nonce", "n-1",
                "--now", str(NOW), "--discovery", doc]
        rc, out, err = hdsso(*base, self.token("ES256"))
        self.assertEqual(0, rc, err)
        self.assertEqual("u-1", json.loads(out)["sub"])
        # The provider lists ES256 only: its RS256 key is passed over when the
        # set loads, so an RS256 token names a kid no usable key has.
        rc, _, err = hdsso(*base, self.token("RS256"))
        self.assertEqual(1, rc, err)
        self.assertIn("(jwt.unknown_kid", err)
        # A document for another issuer than --issuer is a configuration error.
        rc, _, err = hdsso(*base, "--issuer", "https://other.example.com", self.token("ES256"))
        self.assertEqual(3, rc, err)
        self.assertTrue(err.startswith("error: oidc.discovery: "), err)

    def test_token_from_stdin(self):
        rc, out, err = hdsso("oidc", "verify-id-token", "--jwks", self.jwks, "--issuer", self.issuer,
                             "--client-id", CLIENT, "--nonce", "n-1", "--now", str(NOW), "-",
                             stdin=self.token() + "\n")
        self.assertEqual(0, rc, err)
        self.assertEqual("jane@example.com", json.loads(out)["email"])

    def test_verify_usage_errors(self):
        token = self.token()
        base = ["oidc", "verify-id-token", "--jwks", self.jwks, "--issuer", self.issuer, "--client-id", CLIENT]
        for extra in (["--alg", "HS256"], ["--alg", "none"], ["--nonce", ""], ["--leeway", "x"], ["--bogus", "1"]):
            with self.subTest(extra=extra):
                self.assertEqual(2, hdsso(*base, *extra, token)[0])
        self.assertEqual(2, hdsso("oidc", "verify-id-token", "--jwks", self.jwks, "--issuer", self.issuer, token)[0])
        self.assertEqual(2, hdsso("oidc", "verify-id-token", "--jwks", self.jwks, "--client-id", CLIENT, token)[0])


if __name__ == "__main__":
    unittest.main()
