"""What an administrator reads and copies: every example site passes Apache's
configuration test (with the files it names made up in a temp dir), the
directive reference matches the module's own command table, every hdsso
command answers --help, a usage error is one line and a hint, and the key
generation and broker test commands do what the docs say."""

import base64
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from hdsso_test import APACHE_BIN, APACHE_MODULES, HDSSO, MODULE, TOP_SRCDIR  # noqa: E402

EXAMPLES = os.path.join(TOP_SRCDIR, "apache-conf", "examples")
DOC = os.path.join(TOP_SRCDIR, "doc")
COMPLETION = os.path.join(TOP_SRCDIR, "src", "cli", "hdsso.bash-completion")


def hdsso(*args, **kw):
    p = subprocess.run([HDSSO, *args], capture_output=True, text=True, **kw)
    return p.returncode, p.stdout, p.stderr


def commands():
    """Every 'GROUP SUB' that hdsso --help lists."""
    rc, out, _ = hdsso("--help")
    assert rc == 0, out
    return [tuple(m.split()) for m in re.findall(r"^  hdsso ([a-z-]+ [a-z-]+)$", out, re.M)]


def b64url(data):
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


class CliHelpTest(unittest.TestCase):
    def test_every_command_is_listed(self):
        self.assertEqual(
            {("remote-auth", "sign"), ("remote-auth", "verify"), ("jwt", "verify"), ("jwt", "sign"),
             ("saml", "keygen"), ("saml", "metadata"), ("saml", "verify"), ("saml", "fetch-metadata"),
             ("broker", "test"), ("config", "check"), ("config", "endpoints")},
            set(commands()))

    def test_help_on_every_command_prints_its_usage_only(self):
        cmds = commands()
        for group, sub in cmds:
            for flag in ("--help", "-h"):
                for extra in ([], ["--secret-file"], ["--bogus", "x"]):
                    with self.subTest(cmd=(group, sub, flag, extra)):
                        rc, out, err = hdsso(group, sub, *extra, flag)
                        self.assertEqual(0, rc, err)
                        self.assertEqual("", err)
                        self.assertTrue(out.startswith("usage: hdsso %s %s" % (group, sub)), out)
                        others = [c for c in cmds if c != (group, sub)]
                        for o in others:
                            self.assertNotIn("hdsso %s %s " % o, out)

    def test_help_on_groups_and_top(self):
        for args in (["--help"], ["-h"], ["help"]):
            rc, out, _ = hdsso(*args)
            self.assertEqual(0, rc)
            self.assertIn("hdsso saml keygen", out)
        for group in ("remote-auth", "jwt", "saml", "broker", "config"):
            for flag in ("--help", "-h"):
                rc, out, _ = hdsso(group, flag)
                self.assertEqual(0, rc)
                listed = re.findall(r"^  hdsso ([a-z-]+) ", out, re.M)
                self.assertTrue(listed)
                self.assertEqual({group}, set(listed))

    def test_usage_error_is_one_line_and_a_hint(self):
        cases = [
            ([], "hdsso"),
            (["nonsense"], "hdsso"),
            (["saml"], "hdsso saml"),
            (["saml", "nonsense"], "hdsso saml"),
            (["saml", "verify"], "hdsso saml verify"),
            (["saml", "verify", "--sp-entity-id"], "hdsso saml verify"),
            (["jwt", "verify", "--bogus", "1", "t"], "hdsso jwt verify"),
            (["remote-auth", "sign", "--name", "x"], "hdsso remote-auth sign"),
            (["broker", "test", "nokind", "h", "k"], "hdsso broker test"),
        ]
        for args, who in cases:
            with self.subTest(args=args):
                rc, out, err = hdsso(*args)
                self.assertEqual(2, rc)
                self.assertEqual("", out)
                lines = err.splitlines()
                self.assertEqual(2, len(lines), err)
                self.assertTrue(lines[0].startswith(who + ": "), err)
                self.assertEqual("Try '%s --help' for more information." % who, lines[1])

    def test_completion_knows_every_command_and_option(self):
        with open(COMPLETION) as f:
            text = f.read()
        for group, sub in commands():
            rc, out, _ = hdsso(group, sub, "--help")
            synopsis = out.split("\n\n")[0]
            options = set(re.findall(r"(--[a-z][a-z0-9-]*)", synopsis))
            m = re.search(r'\[%s %s\]="([^"]*)"' % (re.escape(group), re.escape(sub)), text)
            self.assertIsNotNone(m, "%s %s missing from the completion" % (group, sub))
            completed = set(m.group(1).split())
            self.assertEqual(set(), options - completed, "%s %s" % (group, sub))


class KeygenTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hdsso-keygen-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_keygen_writes_0600_rsa3072_pair_and_prints_the_metadata(self):
        key, cert = os.path.join(self.tmp, "sp-key.pem"), os.path.join(self.tmp, "sp-cert.pem")
        old = os.umask(0)
        try:
            rc, out, err = hdsso("saml", "keygen", "--key", key, "--cert", cert,
                                 "--base-url", "https://helpdesk.example.com")
        finally:
            os.umask(old)
        self.assertEqual(0, rc, err)
        for path in (key, cert):
            self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode), path)
        text = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-text"], capture_output=True,
                              text=True, check=True).stdout
        self.assertIn("Public-Key: (3072 bit)", text)
        self.assertIn("CN = helpdesk.example.com", text)
        self.assertIn("sha256WithRSAEncryption", text)
        # The key is the certificate's.
        pub_key = subprocess.run(["openssl", "pkey", "-in", key, "-pubout"], capture_output=True, check=True).stdout
        pub_cert = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-pubkey"], capture_output=True,
                                  check=True).stdout
        self.assertEqual(pub_key, pub_cert)
        # What it printed is what hdsso saml metadata (and so the site) serves.
        rc2, md, _ = hdsso("saml", "metadata", "--base-url", "https://helpdesk.example.com",
                           "--sp-key", key, "--sp-cert", cert)
        self.assertEqual(0, rc2)
        self.assertEqual(md, out)
        self.assertIn('entityID="https://helpdesk.example.com/sso/metadata"', out)
        self.assertIn('AuthnRequestsSigned="true"', out)
        self.assertIn("HelpdeskSSOSAMLKeyFile", err)

    def test_keygen_never_overwrites_without_force(self):
        key, cert = os.path.join(self.tmp, "k.pem"), os.path.join(self.tmp, "c.pem")
        with open(key, "w") as f:
            f.write("keep me")
        rc, _, err = hdsso("saml", "keygen", "--key", key, "--cert", cert, "--base-url", "https://h.example.com")
        self.assertEqual(3, rc)
        self.assertIn("--force", err)
        self.assertFalse(os.path.exists(cert))
        with open(key) as f:
            self.assertEqual("keep me", f.read())
        rc, _, err = hdsso("saml", "keygen", "--key", key, "--cert", cert, "--base-url", "https://h.example.com",
                           "--force", "--days", "30", "--subject", "sp.example.org")
        self.assertEqual(0, rc, err)
        self.assertEqual(0o600, stat.S_IMODE(os.stat(key).st_mode))


class BrokerTestCommandTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hdsso-broker-")
        self.secret = os.path.join(self.tmp, "secret")
        with open(self.secret, "w") as f:
            f.write("zendesk-shared-secret-0123456789abcdef\n")
        os.chmod(self.secret, 0o600)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def lines(self, out):
        return dict(line.split(": ", 1) for line in out.splitlines() if ": " in line and not line.startswith("  "))

    def test_zendesk_form_and_claims(self):
        import jwt  # python3-jwt
        rc, out, err = hdsso("broker", "test", "zendesk", "acme.zendesk.com", self.secret,
                             "--email", "jane@example.com", "--name", "Jane Doe",
                             "--attribute", "department=Support", "--claim", "organization=department",
                             "--query", "return_to=/hc/en-us")
        self.assertEqual(0, rc, err)
        fields = self.lines(out)
        self.assertEqual("an auto-submitting form, POST https://acme.zendesk.com/access/jwt", fields["answer"])
        token = re.search(r"^  jwt = (\S+)$", out, re.M).group(1)
        claims = jwt.decode(token, "zendesk-shared-secret-0123456789abcdef", algorithms=["HS256"])
        self.assertEqual("jane@example.com", claims["email"])
        self.assertEqual("Jane Doe", claims["name"])
        self.assertEqual("Support", claims["organization"])
        self.assertEqual(300, claims["exp"] - claims["iat"])
        self.assertEqual(claims, json.loads(fields["token claims"]))
        self.assertIn("  return_to = /hc/en-us", out)

    def test_freshdesk_link_matches_remote_auth_sign(self):
        rc, out, err = hdsso("broker", "test", "freshdesk", "acme.freshdesk.com", self.secret,
                             "--email", "jane@example.com", "--name", "Jane Doe", "--now", "1700000000")
        self.assertEqual(0, rc, err)
        location = self.lines(out)["answer"].split("Location: ", 1)[1]
        rc, signed, _ = hdsso("remote-auth", "sign", "--secret-file", self.secret, "--name", "Jane Doe",
                              "--email", "jane@example.com", "--timestamp", "1700000000",
                              "--base-url", "https://acme.freshdesk.com")
        self.assertEqual(signed.strip(), location)

    def test_return_url_on_another_host_refused(self):
        rc, _, err = hdsso("broker", "test", "kayako", "acme.kayako.com", self.secret, "--email", "j@example.com",
                           "--query", "returnto=https://evil.example.net/")
        self.assertEqual(1, rc)
        self.assertIn("url.redirect_not_allowed", err)

    def test_deskpro_frame_header_and_default_return(self):
        rc, out, err = hdsso("broker", "test", "deskpro", "support.example.com", self.secret,
                             "--email", "j@example.com")
        self.assertEqual(0, rc, err)
        self.assertIn("header: Content-Security-Policy: frame-ancestors https://support.example.com", out)
        header = json.loads(self.lines(out)["token header"])
        self.assertEqual("HS256", header["alg"])


class SamlVerifyHintTest(unittest.TestCase):
    def test_names_the_request_id_when_only_in_response_to_fails(self):
        saml = os.path.join(TOP_SRCDIR, "tests", "vectors", "python3-saml")
        rc, _, err = hdsso(
            "saml", "verify", "--sp-entity-id", "http://stuff.com/endpoints/metadata.php",
            "--acs-url", "https://pitbulk.no-ip.org/newonelogin/demo1/index.php?acs",
            "--idp-cert", os.path.join(saml, "derived", "idp_cert_afe71c28_settings1.pem"),
            "--now", "2014-02-19T01:38:01Z", "--allow-legacy", "sha1,rsa1024", "--request-id", "guess",
            os.path.join(saml, "tests", "data", "responses", "valid_response.xml.base64"))
        self.assertEqual(1, rc)
        self.assertIn("error: saml.in_response_to:", err.splitlines()[0])
        self.assertIn("hint: the response answers --request-id ONELOGIN_5fe9d6e499b2f0913206aab3f7191729049bb807",
                      err)


if __name__ == "__main__":
    unittest.main()
