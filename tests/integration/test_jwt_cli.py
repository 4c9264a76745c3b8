"""hdsso jwt verify/sign against an independent library: python3-jwt (with
python3-cryptography for the keys) signs, hdsso verifies, and the other way
round, for every algorithm both support."""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import jwt  # noqa: E402  (python3-jwt)
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa  # noqa: E402

from hdsso_test import HDSSO  # noqa: E402

ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
        "ES256", "ES384", "ES512", "EdDSA"]
ISS = "https://idp.example.com"
AUD = "helpdesk"


def hdsso(*args, stdin=None):
    p = subprocess.run([HDSSO, *args], capture_output=True, text=True, input=stdin)
    return p.returncode, p.stdout, p.stderr


class JwtInteropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.keys = {}
        for alg in ALGS:
            if alg.startswith("HS"):
                secret = os.urandom(64).hex()[: {"HS256": 32, "HS384": 48, "HS512": 64}[alg] * 2]
                path = cls.write(alg + ".secret", secret + "\n")
                cls.keys[alg] = (secret.encode(), secret.encode(), path, path)
                continue
            if alg.startswith(("RS", "PS")):
                priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            elif alg == "EdDSA":
                priv = ed25519.Ed25519PrivateKey.generate()
            else:
                curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg]
                priv = ec.generate_private_key(curve)
            priv_pem = priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
            pub_pem = priv.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
            cls.keys[alg] = (priv_pem, pub_pem, cls.write(alg + ".key", priv_pem.decode()),
                             cls.write(alg + ".pub", pub_pem.decode()))

    @classmethod
    def write(cls, name, text):
        path = os.path.join(cls.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def claims(self, **extra):
        now = int(time.time())
        c = {"sub": "jane", "email": "jane@example.com", "iss": ISS, "aud": AUD, "iat": now, "exp": now + 300}
        c.update(extra)
        return c

    def verify(self, alg, token, *extra):
        return hdsso("jwt", "verify", "--key", self.keys[alg][3], "--alg", alg, "--iss", ISS, "--aud", AUD,
                     *extra, token)

    def test_tokens_from_python_jwt_verify(self):
        for alg in ALGS:
            with self.subTest(alg=alg):
                token = jwt.encode(self.claims(), self.keys[alg][0], algorithm=alg, headers={"kid": "k1"})
                rc, out, err = self.verify(alg, token)
                self.assertEqual(0, rc, err)
                self.assertEqual("jane@example.com", json.loads(out)["email"])

    def test_tokens_from_hdsso_verify_in_python_jwt(self):
        for alg in ALGS:
            with self.subTest(alg=alg):
                rc, out, err = hdsso("jwt", "sign", "--key", self.keys[alg][2], "--alg", alg, "--kid", "k1",
                                     "--claims", json.dumps({"sub": "jane", "iss": ISS, "aud": AUD}))
                self.assertEqual(0, rc, err)
                token = out.strip()
                claims = jwt.decode(token, self.keys[alg][1], algorithms=[alg], audience=AUD, issuer=ISS)
                self.assertEqual("jane", claims["sub"])
                self.assertLessEqual(claims["exp"] - claims["iat"], 300)
                self.assertTrue(claims["jti"])
                self.assertEqual("k1", jwt.get_unverified_header(token)["kid"])

    def test_named_errors(self):
        hs = "HS256"
        key = self.keys[hs][0]
        cases = [
            (jwt.encode(self.claims(exp=int(time.time()) - 120), key, algorithm=hs), "jwt.expired"),
            (jwt.encode(self.claims(aud="other"), key, algorithm=hs), "jwt.audience_mismatch"),
            (jwt.encode(self.claims(iss="https://evil.example"), key, algorithm=hs), "jwt.issuer_mismatch"),
            (jwt.encode(self.claims(), b"another secret of at least 32 bytes!!", algorithm=hs), "jwt.bad_signature"),
            (jwt.encode(self.claims(), None, algorithm="none"), "jwt.alg_not_allowed"),
            (jwt.encode(self.claims(), self.keys["HS512"][0], algorithm="HS512"), "jwt.alg_not_allowed"),
            (jwt.encode({k: v for k, v in self.claims().items() if k != "exp"}, key, algorithm=hs),
             "jwt.missing_claim"),
            ("not.a.token", "jwt.malformed"),
        ]
        for token, name in cases:
            with self.subTest(name=name):
                rc, out, err = self.verify(hs, token)
                self.assertEqual(1, rc, out)
                self.assertTrue(err.startswith("error: %s: " % name), err)

    def test_token_from_stdin_and_raw_mode(self):
        token = jwt.encode({"not": "claims"}, self.keys["ES256"][0], algorithm="ES256")
        rc, out, _ = hdsso("jwt", "verify", "--key", self.keys["ES256"][3], "--alg", "ES256", "--raw", "-",
                           stdin=token + "\n")
        self.assertEqual(0, rc)
        self.assertEqual({"not": "claims"}, json.loads(out))

    def test_key_errors_exit_3(self):
        rc, _, err = hdsso("jwt", "verify", "--key", self.keys["ES256"][3], "--alg", "RS256", "x.y.z")
        self.assertEqual(3, rc)
        self.assertTrue(err.startswith("error: jwt.key_invalid: "), err)


if __name__ == "__main__":
    unittest.main()
