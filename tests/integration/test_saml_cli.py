"""hdsso saml verify / metadata on the python3-saml fixtures (responses signed
by OneLogin's toolkit, an implementation nobody here wrote)."""

import json
import os
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from hdsso_test import HDSSO, TOP_SRCDIR  # noqa: E402

VECTORS = os.environ.get("HDSSO_VECTORS", os.path.join(TOP_SRCDIR, "tests", "vectors"))
SAML = os.path.join(VECTORS, "python3-saml")
RESPONSES = os.path.join(SAML, "tests", "data", "responses")

VALID = [
    "--sp-entity-id", "http://stuff.com/endpoints/metadata.php",
    "--acs-url", "https://pitbulk.no-ip.org/newonelogin/demo1/index.php?acs",
    "--idp-cert", os.path.join(SAML, "derived", "idp_cert_afe71c28_settings1.pem"),
    "--now", "2014-02-19T01:38:01Z",
    "--request-id", "ONELOGIN_5fe9d6e499b2f0913206aab3f7191729049bb807",
]


def hdsso(*args):
    p = subprocess.run([HDSSO, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


class SamlCliTest(unittest.TestCase):
    def test_valid_response_with_its_allowances(self):
        code, out, err = hdsso("saml", "verify", *VALID, "--allow-legacy", "sha1,rsa1024",
                               os.path.join(RESPONSES, "valid_response.xml.base64"))
        self.assertEqual(0, code, err)
        identity = json.loads(out)
        self.assertEqual("492882615acf31c8096b627245d76ae53036c090", identity["name_id"])
        self.assertEqual("http://idp.example.com/", identity["issuer"])
        self.assertTrue(identity["session_index"])

    def test_sha1_refused_without_allowance(self):
        code, _, err = hdsso("saml", "verify", *VALID, "--allow-legacy", "rsa1024",
                             os.path.join(RESPONSES, "valid_response.xml.base64"))
        self.assertEqual(1, code)
        self.assertIn("error: saml.legacy_algorithm:", err)

    def test_1024_bit_key_refused_without_allowance(self):
        code, _, err = hdsso("saml", "verify", *VALID, "--allow-legacy", "sha1",
                             os.path.join(RESPONSES, "valid_response.xml.base64"))
        self.assertEqual(1, code)
        self.assertIn("saml.legacy_algorithm", err)
        self.assertIn("1024 bits", err)

    def test_wrong_request_id(self):
        args = [a if a != "ONELOGIN_5fe9d6e499b2f0913206aab3f7191729049bb807" else "ONELOGIN_other" for a in VALID]
        code, _, err = hdsso("saml", "verify", *args, "--allow-legacy", "sha1,rsa1024",
                             os.path.join(RESPONSES, "valid_response.xml.base64"))
        self.assertEqual(1, code)
        self.assertIn("saml.in_response_to", err)

    def test_wrong_audience(self):
        args = list(VALID)
        args[1] = "https://other.example.com/sp"
        code, _, err = hdsso("saml", "verify", *args, "--allow-legacy", "sha1,rsa1024",
                             os.path.join(RESPONSES, "valid_response.xml.base64"))
        self.assertEqual(1, code)
        self.assertIn("saml.audience_mismatch", err)

    def test_signature_wrapping_refused(self):
        code, _, err = hdsso("saml", "verify", "--sp-entity-id", "https://pitbulk.no-ip.org/newonelogin/demo1/metadata.php",
                             "--acs-url", "https://pitbulk.no-ip.org/newonelogin/demo1/index.php?acs",
                             "--idp-cert", os.path.join(SAML, "derived", "idp_cert_afe71c28_settings1.pem"),
                             "--now", "2014-03-21T13:42:09Z", "--request-id", "ONELOGIN_5d9e319c1b8a67da48227964c28d280e7860f804",
                             "--allow-legacy", "sha1,rsa1024",
                             os.path.join(RESPONSES, "invalids", "signature_wrapping_attack.xml.base64"))
        self.assertEqual(1, code)
        self.assertRegex(err, r"error: saml\.[a-z_]+:")

    def test_unsigned_response_refused(self):
        code, _, err = hdsso("saml", "verify", *VALID, "--allow-legacy", "sha1,rsa1024",
                             os.path.join(RESPONSES, "valid_unsigned_response.xml.base64"))
        self.assertEqual(1, code)
        self.assertRegex(err, r"error: saml\.(unsigned|unknown_idp|issuer_mismatch):")

    def test_doctype_refused(self):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "hdsso-doctype-%d.xml" % os.getpid())
        with open(path, "w") as f:
            f.write('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]>'
                    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&e;</samlp:Response>')
        try:
            code, _, err = hdsso("saml", "verify", *VALID, "--allow-legacy", "sha1,rsa1024", path)
        finally:
            os.unlink(path)
        self.assertEqual(1, code)
        self.assertIn("saml.malformed", err)
        self.assertIn("DOCTYPE", err)

    def test_metadata(self):
        code, out, err = hdsso("saml", "metadata", "--sp-entity-id", "https://helpdesk.example.com/sso/metadata",
                               "--acs-url", "https://helpdesk.example.com/sso/acs",
                               "--slo-url", "https://helpdesk.example.com/sso/slo")
        self.assertEqual(0, code, err)
        md = ET.fromstring(out)
        ns = {"md": "urn:oasis:names:tc:SAML:2.0:metadata"}
        self.assertEqual("https://helpdesk.example.com/sso/metadata", md.get("entityID"))
        acs = md.find("md:SPSSODescriptor/md:AssertionConsumerService", ns)
        self.assertEqual("https://helpdesk.example.com/sso/acs", acs.get("Location"))
        self.assertEqual("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", acs.get("Binding"))


if __name__ == "__main__":
    unittest.main()
