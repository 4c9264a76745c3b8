"""hdsso remote-auth sign/verify: the PROTOCOLS.md A.1 vector, agreement with
Python's hmac both ways, and the output and exit-code contract."""

import json
import os
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from hdsso_test import HDSSO, sign  # noqa: E402

VECTOR_URL = ("https://acme.freshdesk.com/login/sso?name=Jane%20Doe&email=jane%40example.com"
              "&timestamp=1700000000&hash=87fe1dc525f5047d180232ada64c1dc4")


def hdsso(*args):
    p = subprocess.run([HDSSO, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.secret = os.path.join(cls.tmp.name, "secret")
        with open(cls.secret, "w") as f:
            f.write("s3cr3t\n")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_sign_vector(self):
        rc, out, _ = hdsso("remote-auth", "sign", "--secret-file", self.secret, "--name", "Jane Doe",
                           "--email", "jane@example.com", "--timestamp", "1700000000",
                           "--base-url", "https://acme.freshdesk.com")
        self.assertEqual(0, rc)
        self.assertEqual(VECTOR_URL + "\n", out)

    def test_verify_vector(self):
        rc, out, _ = hdsso("remote-auth", "verify", "--secret-file", self.secret, "--now", "1700000100", VECTOR_URL)
        self.assertEqual(0, rc)
        ident = json.loads(out)
        self.assertEqual("jane@example.com", ident["subject"])
        self.assertEqual("Jane Doe", ident["display_name"])

    def test_sign_agrees_with_python_hmac(self):
        for digest, name in (("md5", "Zoë Ñúñez"), ("sha256", "Jane Doe")):
            rc, out, _ = hdsso("remote-auth", "sign", "--secret-file", self.secret, "--name", name, "--email",
                               "zoe@example.com", "--timestamp", "1700000123", "--digest", digest,
                               "--redirect-to", "/tickets?id=1")
            self.assertEqual(0, rc)
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(out.strip()).query)
            import hashlib
            self.assertEqual(sign(name, "zoe@example.com", 1700000123, "s3cr3t", getattr(hashlib, digest)),
                             q["hash"][0])
            self.assertEqual(["/tickets?id=1"], q["redirect_to"])

    def test_verify_python_signed_query(self):
        q = urllib.parse.urlencode({"name": "Ana Li", "email": "ana@example.com", "timestamp": "1700000000",
                                    "hash": sign("Ana Li", "ana@example.com", 1700000000, "s3cr3t"),
                                    "redirect_to": "/x"})
        rc, out, _ = hdsso("remote-auth", "verify", "--secret-file", self.secret, "--now", "1700000000", q)
        self.assertEqual(0, rc)
        self.assertEqual("/x", json.loads(out)["redirect_to"])

    def test_verify_failures_exit_1_with_named_error(self):
        cases = [
            (["--now", "1700001801"], VECTOR_URL, "remote.expired"),
            (["--now", "1700000100", "--window", "30"], VECTOR_URL, "remote.expired"),
            (["--now", "1699999900"], VECTOR_URL, "remote.not_yet_valid"),
            (["--now", "1700000000"], VECTOR_URL.replace("Jane", "John"), "remote.bad_signature"),
            (["--now", "1700000000", "--digest", "sha256"], VECTOR_URL, "remote.malformed_parameter"),
            (["--now", "1700000000"], VECTOR_URL + "&redirect_to=%2F%2Fevil", "url.redirect_not_allowed"),
            (["--now", "1700000000"], "name=Jane", "remote.missing_parameter"),
        ]
        for opts, query, name in cases:
            with self.subTest(name=name, opts=opts):
                rc, out, err = hdsso("remote-auth", "verify", "--secret-file", self.secret, *opts, query)
                self.assertEqual(1, rc, err)
                self.assertEqual("", out)
                self.assertTrue(err.startswith("error: %s: " % name), err)

    def test_usage_errors_exit_2(self):
        for args in (["remote-auth"], ["remote-auth", "verify"], ["remote-auth", "sign", "--name", "x"],
                     ["remote-auth", "verify", "--secret-file", self.secret, "--bogus", "1", "q"],
                     ["remote-auth", "verify", "--secret-file", self.secret, "--window", "x", "q"],
                     ["nonsense", "cmd"], []):
            with self.subTest(args=args):
                self.assertEqual(2, hdsso(*args)[0])

    def test_config_errors_exit_3(self):
        empty = os.path.join(self.tmp.name, "empty")
        open(empty, "w").close()
        for path, name in ((os.path.join(self.tmp.name, "missing"), "config.io"), (empty, "config.invalid")):
            with self.subTest(path=path):
                rc, _, err = hdsso("remote-auth", "verify", "--secret-file", path, VECTOR_URL)
                self.assertEqual(3, rc)
                self.assertTrue(err.startswith("error: %s: " % name), err)

    def test_secret_not_printed(self):
        rc, out, err = hdsso("remote-auth", "verify", "--secret-file", self.secret, "--now", "1700000000",
                             VECTOR_URL.replace("Jane", "John"))
        self.assertNotIn("s3cr3t", out + err)


if __name__ == "__main__":
    unittest.main()
