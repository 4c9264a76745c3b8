"""SAML end to end: SimpleSAMLphp (Debian's package, its own Apache with
mod_php) is the IdP; the module in a real Apache is the SP. A person signs in
with a user name and password at the IdP; the backend sees the mapped
identity. Unsolicited responses are refused by default."""

import base64
import os
import re
import subprocess
import sys
import zlib
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import requests  # noqa: E402

from hdsso_test import HDSSO, Apache, EchoBackend, free_port  # noqa: E402
from simplesamlphp import SimpleSamlIdp, fetch_idp_metadata, login_at_idp, sp_for_idp  # noqa: E402

SP_CONF = """
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSOSAMLBaseURL http://127.0.0.1:{port}
  HelpdeskSSOSAMLIdPMetadataFile {dir}/idp-metadata.xml
  HelpdeskSSOSAMLKeyFile {dir}/sp.key
  HelpdeskSSOSAMLCertFile {dir}/sp.crt
  HelpdeskSSOFallbackLoginURL /login/normal
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/helpdesk
  </Location>
</VirtualHost>
"""


# The same site with the IdP given field by field (certificate, entity ID,
# SSO and SLO URLs), as an administrator copies them from the IdP's page.
SP_CONF_CERT = SP_CONF.replace(
    "HelpdeskSSOSAMLIdPMetadataFile {dir}/idp-metadata.xml",
    "HelpdeskSSOSAMLIdPCertFile {dir}/idp.crt\n  HelpdeskSSOSAMLIdPEntityID {idp_entity}\n"
    "  HelpdeskSSOSAMLIdPSSOURL {idp_sso}\n  HelpdeskSSOSAMLIdPSLOURL {idp_slo}")


MD = {"md": "urn:oasis:names:tc:SAML:2.0:metadata", "alg": "urn:oasis:names:tc:SAML:metadata:algsupport",
      "ds": "http://www.w3.org/2000/09/xmldsig#"}
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"


def cli_metadata(*args):
    p = subprocess.run([HDSSO, "saml", "metadata", *args], capture_output=True)
    if p.returncode != 0:
        raise AssertionError("hdsso saml metadata %s: %s" % (" ".join(args), p.stderr.decode()))
    return p.stdout


def have_simplesamlphp():
    return os.path.isdir("/usr/share/simplesamlphp") and os.path.exists("/usr/lib/apache2/modules/libphp8.2.so")


@unittest.skipUnless(have_simplesamlphp(), "simplesamlphp and libapache2-mod-php are not installed")
class SamlEndToEndTest(unittest.TestCase):
    entra = False
    sp_conf = SP_CONF

    @classmethod
    def setUpClass(cls):
        cls.backend = EchoBackend()
        cls.sp = Apache(cls.sp_conf)
        cls.idp = SimpleSamlIdp(entra_names=cls.entra)
        cls.sp_entity_id = sp_for_idp(cls.sp, cls.idp)
        cls.idp.start()
        cls.sp.fmt = {"backend": cls.backend.port, "idp_entity": cls.idp.entity_id, "idp_sso": cls.idp.sso_url,
                      "idp_slo": cls.idp.base + "saml2/idp/SingleLogoutService.php"}
        try:
            cls.sp.write("idp.crt", cls.idp.cert_pem)
            fetch_idp_metadata(cls.sp, cls.idp)
            cls.sp.start()
        except Exception:
            cls.idp.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.sp.cleanup()
        cls.idp.cleanup()
        cls.backend.stop()

    def sign_in(self, session, path="/helpdesk/tickets?id=7", user="jane", password="jane-password"):
        r = session.get(self.sp.url(path), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text + self.sp.error_log())
        self.assertTrue(r.headers["Location"].startswith(self.idp.sso_url + "?SAMLRequest="), r.headers["Location"])
        action, fields = login_at_idp(session, r.headers["Location"], user, password)
        self.assertEqual(self.sp.url("/sso/acs"), action)
        return session.post(action, data=fields, allow_redirects=False, timeout=30)

    def test_sign_in_at_the_idp_and_backend_sees_identity(self):
        s = requests.Session()
        r = self.sign_in(s)
        self.assertEqual(302, r.status_code, r.text + self.sp.error_log() + self.idp.log())
        self.assertEqual("/helpdesk/tickets?id=7", r.headers["Location"])
        r = s.get(self.sp.url("/helpdesk/tickets?id=7"), allow_redirects=False, timeout=30)
        self.assertEqual(200, r.status_code, r.text + self.sp.error_log())
        h = {k.lower(): v for k, v in r.json()["headers"]}
        self.assertEqual("jane@example.com", h["x-remote-user"])
        self.assertEqual("jane@example.com", h["x-remote-email"])
        self.assertEqual("Jane Doe", h["x-remote-name"])
        self.assertEqual("Jane", h["x-remote-given-name"])
        self.assertEqual("Doe", h["x-remote-family-name"])
        self.assertIn("agents", h["x-remote-groups"])
        self.assertEqual(self.idp.entity_id, h["x-remote-issuer"])

    def test_response_cannot_be_used_twice(self):
        s = requests.Session()
        r = s.get(self.sp.url("/helpdesk/"), allow_redirects=False, timeout=30)
        action, fields = login_at_idp(s, r.headers["Location"], "bob", "bob-password")
        saml_cookie = {c.name: c.value for c in s.cookies if "_saml_" in c.name}
        self.assertEqual(1, len(saml_cookie))
        self.assertEqual(302, s.post(action, data=fields, allow_redirects=False, timeout=30).status_code)
        # The same POST again, with the same pre-login cookie.
        r = requests.post(action, data=fields, cookies=saml_cookie, allow_redirects=False, timeout=30)
        self.assertEqual(401, r.status_code)
        self.assertRegex(r.text, r"saml\.(replayed|unsolicited|in_response_to)")

    def test_two_sign_ins_in_flight_each_lands_on_its_page(self):
        # Two tabs open two protected pages; each sign-in ends on its own page,
        # whichever finishes first (each attempt has its own state cookie).
        s = requests.Session()
        a = s.get(self.sp.url("/helpdesk/a?x=1"), allow_redirects=False, timeout=30)
        b = s.get(self.sp.url("/helpdesk/b?y=2"), allow_redirects=False, timeout=30)
        self.assertEqual(2, len([c for c in s.cookies if "_saml_" in c.name]))
        for start, page in ((b, "/helpdesk/b?y=2"), (a, "/helpdesk/a?x=1")):
            action, fields = login_at_idp(s, start.headers["Location"], "jane", "jane-password")
            r = s.post(action, data=fields, allow_redirects=False, timeout=30)
            self.assertEqual(302, r.status_code, r.text + self.sp.error_log())
            self.assertEqual(page, r.headers["Location"])
        self.assertEqual([], [c.name for c in s.cookies if "_saml_" in c.name])

    def test_sign_in_attempts_per_browser_are_bounded(self):
        s = requests.Session()
        for i in range(7):
            r = s.get(self.sp.url("/helpdesk/page%d" % i), allow_redirects=False, timeout=30)
            self.assertEqual(302, r.status_code)
            self.assertLessEqual(len([c for c in s.cookies if "_saml_" in c.name]), 4)
        # The newest attempt still works.
        action, fields = login_at_idp(s, r.headers["Location"], "jane", "jane-password")
        r = s.post(action, data=fields, allow_redirects=False, timeout=30)
        self.assertEqual("/helpdesk/page6", r.headers.get("Location"), r.text)

    def test_unsolicited_response_refused_by_default(self):
        s = requests.Session()
        url = self.idp.sso_url.replace("SSOService.php", "SSOService.php") + "?" + urllib.parse.urlencode(
            {"spentityid": self.sp_entity_id})
        action, fields = login_at_idp(s, url, "jane", "jane-password")
        r = requests.post(action, data=fields, allow_redirects=False, timeout=30)
        self.assertEqual(401, r.status_code, r.text)
        self.assertIn("saml.unsolicited", r.text)
        self.assertIn("HDSSO020: saml.unsolicited:", self.sp.error_log())

    def test_tampered_response_refused(self):
        import base64
        s = requests.Session()
        r = s.get(self.sp.url("/helpdesk/queue?id=3"), allow_redirects=False, timeout=30)
        action, fields = login_at_idp(s, r.headers["Location"], "jane", "jane-password")
        xml = base64.b64decode(fields["SAMLResponse"]).decode()
        self.assertIn("jane@example.com", xml)
        fields["SAMLResponse"] = base64.b64encode(xml.replace("jane@example.com", "boss@example.com").encode()).decode()
        r = s.post(action, data=fields, allow_redirects=False, timeout=30)
        self.assertEqual(401, r.status_code)
        self.assertIn("saml.bad_signature", r.text)
        # The page offers a fresh sign-in to the page wanted, and a reference
        # that the log line carries too.
        self.assertIn('<a href="/sso/login?return=%2Fhelpdesk%2Fqueue%3Fid%3D3">Try again</a>', r.text)
        ref = re.search(r"reference <code>([A-Z2-9]{8})</code>", r.text).group(1)
        self.assertRegex(self.sp.error_log(), r"HDSSO020: saml\.bad_signature: .*\(ref %s\)" % ref)

    def test_single_logout_started_here_ends_the_idp_session(self):
        s = requests.Session()
        self.assertEqual(302, self.sign_in(s, "/helpdesk/").status_code)
        r = s.get(self.sp.url("/sso/logout"), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text + self.sp.error_log())
        self.assertTrue(r.headers["Location"].startswith(self.idp.base + "saml2/idp/SingleLogoutService.php?SAMLRequest="),
                        r.headers["Location"])
        r = s.get(r.headers["Location"], timeout=30)  # the IdP ends its session, answers to /sso/slo
        self.assertEqual(200, r.status_code, r.text + self.sp.error_log() + self.idp.log())
        self.assertTrue(r.url.startswith(self.sp.url("/sso/slo?SAMLResponse=")), r.url)
        self.assertIn("signed out of the helpdesk and of your identity provider", r.text)
        # Both sessions are gone: the IdP asks for the password again.
        r = s.get(self.sp.url("/helpdesk/"), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code)
        r = s.get(r.headers["Location"], timeout=30)
        self.assertIn('name="password"', r.text)

    SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

    def sig_alg(self, url):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        self.assertEqual(1, len(q.get("Signature", [])), url)
        return q["SigAlg"][0]

    def test_sp_signs_with_rsa_sha256(self):
        s = requests.Session()
        r = s.get(self.sp.url("/helpdesk/"), allow_redirects=False, timeout=30)
        self.assertEqual(self.SHA256, self.sig_alg(r.headers["Location"]))
        # The IdP checks the AuthnRequest's signature (validate.authnrequest):
        # a broken one gets no login form.
        broken = r.headers["Location"].replace("&Signature=", "&Signature=AAAA", 1)
        self.assertNotIn('name="password"', requests.get(broken, timeout=30).text)
        # The genuine one signs in; the LogoutRequest is RSA-SHA256 too.
        self.assertEqual(302, self.sign_in(s, "/helpdesk/").status_code)
        r = s.get(self.sp.url("/sso/logout"), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text + self.sp.error_log())
        self.assertIn("SAMLRequest=", r.headers["Location"])
        self.assertEqual(self.SHA256, self.sig_alg(r.headers["Location"]))
        r = s.get(r.headers["Location"], timeout=30)
        self.assertIn("signed out of the helpdesk and of your identity provider", r.text, self.idp.log())

    def test_logout_response_signed_with_rsa_sha256(self):
        s = requests.Session()
        self.assertEqual(302, self.sign_in(s, "/helpdesk/").status_code)
        url = self.idp.base + "saml2/idp/SingleLogoutService.php?" + urllib.parse.urlencode(
            {"ReturnTo": self.idp.base + "module.php/core/welcome"})
        r = s.get(url, timeout=30)
        answers = [h.headers["Location"] for h in r.history
                   if h.url.startswith(self.sp.url("/sso/slo?")) and h.status_code == 302]
        self.assertEqual(1, len(answers), [h.url for h in r.history])
        self.assertIn("SAMLResponse=", answers[0])
        self.assertEqual(self.SHA256, self.sig_alg(answers[0]))

    def test_single_logout_started_at_the_idp_ends_this_session(self):
        s = requests.Session()
        self.assertEqual(302, self.sign_in(s, "/helpdesk/").status_code)
        self.assertEqual(200, s.get(self.sp.url("/helpdesk/"), allow_redirects=False, timeout=30).status_code)
        url = self.idp.base + "saml2/idp/SingleLogoutService.php?" + urllib.parse.urlencode(
            {"ReturnTo": self.idp.base + "module.php/core/welcome"})
        r = s.get(url, timeout=30)
        self.assertIn("HDSSO031: single logout of jane@example.com", self.sp.error_log(), r.url + self.idp.log())
        r = s.get(self.sp.url("/helpdesk/"), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, "the session outlived the IdP's logout")

    def test_unsigned_logout_request_refused(self):
        s = requests.Session()
        self.assertEqual(302, self.sign_in(s, "/helpdesk/").status_code)
        xml = ('<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
               'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_forged" Version="2.0" '
               'IssueInstant="2026-01-01T00:00:00Z" Destination="%s"><saml:Issuer>%s</saml:Issuer>'
               '<saml:NameID>jane@example.com</saml:NameID></samlp:LogoutRequest>'
               % (self.sp.url("/sso/slo"), self.idp.entity_id))
        deflated = zlib.compressobj(9, zlib.DEFLATED, -15)
        data = deflated.compress(xml.encode()) + deflated.flush()
        r = s.get(self.sp.url("/sso/slo?" + urllib.parse.urlencode({"SAMLRequest": base64.b64encode(data).decode()})),
                  allow_redirects=False, timeout=30)
        self.assertEqual(401, r.status_code, r.text)
        self.assertRegex(r.text, r"saml\.(unsigned|bad_signature)")
        # Still signed in.
        self.assertEqual(200, s.get(self.sp.url("/helpdesk/"), allow_redirects=False, timeout=30).status_code)

    def test_fetch_metadata(self):
        code = subprocess.run([HDSSO, "saml", "fetch-metadata", self.idp.entity_id], capture_output=True, text=True)
        self.assertEqual(0, code.returncode, code.stderr)
        self.assertIn('entityID="%s"' % self.idp.entity_id, code.stdout)
        self.assertIn("identity provider: " + self.idp.entity_id, code.stderr)
        # Not metadata: refused, nothing written.
        out = os.path.join(self.sp.dir, "not-metadata.xml")
        p = subprocess.run([HDSSO, "saml", "fetch-metadata", self.sp.url("/"), "--out", out],
                           capture_output=True, text=True)
        self.assertEqual(3, p.returncode, p.stderr)
        self.assertIn("not SAML metadata", p.stderr)
        self.assertFalse(os.path.exists(out))
        # Nobody there.
        p = subprocess.run([HDSSO, "saml", "fetch-metadata", "http://127.0.0.1:%d/metadata" % free_port()],
                           capture_output=True, text=True)
        self.assertEqual(3, p.returncode, p.stderr)
        self.assertIn("error: metadata.fetch_failed:", p.stderr)

    def test_sp_metadata_endpoint(self):
        r = requests.get(self.sp.url("/sso/metadata"), timeout=30)
        self.assertEqual(200, r.status_code)
        self.assertIn('entityID="%s"' % self.sp_entity_id, r.text)
        self.assertIn("application/samlmetadata+xml", r.headers["Content-Type"])
        sp = ET.fromstring(r.content).find("md:SPSSODescriptor", MD)
        self.assertEqual("true", sp.get("AuthnRequestsSigned"))
        self.assertEqual([EMAIL], [e.text for e in sp.findall("md:NameIDFormat", MD)])
        self.assertEqual(self.SHA256, sp.find("md:Extensions/alg:SigningMethod", MD).get("Algorithm"))

    def test_cli_metadata_equals_the_live_metadata(self):
        live = requests.get(self.sp.url("/sso/metadata"), timeout=30).content
        out = cli_metadata("--base-url", "http://127.0.0.1:%d" % self.sp.port,
                           "--sp-key", os.path.join(self.sp.dir, "sp.key"),
                           "--sp-cert", os.path.join(self.sp.dir, "sp.crt"))
        self.assertEqual(live, out)
        # Without the key, the CLI describes a site that signs nothing: not this one.
        out = cli_metadata("--base-url", "http://127.0.0.1:%d" % self.sp.port,
                           "--sp-cert", os.path.join(self.sp.dir, "sp.crt"))
        self.assertNotEqual(live, out)
        self.assertIn(b'AuthnRequestsSigned="false"', out)


# Two sites whose SP settings differ from the defaults in every way the
# metadata shows; no IdP needs to run (the IdP is given by certificate).
METADATA_CONF = """
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSOEndpoint /auth/sso
  HelpdeskSSOSAMLBaseURL https://helpdesk.example.com
  HelpdeskSSOSAMLEntityID urn:example:helpdesk
  HelpdeskSSOSAMLIdPCertFile {dir}/idp.crt
  HelpdeskSSOSAMLIdPEntityID https://idp.example.com
  HelpdeskSSOSAMLIdPSSOURL https://idp.example.com/sso
  HelpdeskSSOSAMLKeyFile {dir}/sp.key
  HelpdeskSSOSAMLCertFile {dir}/sp.crt
  HelpdeskSSOSAMLNameIDFormat persistent
  HelpdeskSSOSAMLSignatureAlgorithm rsa-sha512
  HelpdeskSSOSAMLSignaturePolicy both
</VirtualHost>
<VirtualHost 127.0.0.1:{port2}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSOSAMLBaseURL http://127.0.0.1:{port2}
  HelpdeskSSOSAMLIdPCertFile {dir}/idp.crt
  HelpdeskSSOSAMLIdPEntityID https://idp.example.com
  HelpdeskSSOSAMLIdPSSOURL https://idp.example.com/sso
  HelpdeskSSOSAMLCertFile {dir}/sp.crt
  HelpdeskSSOSAMLNameIDFormat urn:example:nameid:employee-number
</VirtualHost>
"""


class SpMetadataTest(unittest.TestCase):
    """/sso/metadata says what the site does, and hdsso saml metadata with
    the same settings prints the same bytes."""

    @classmethod
    def setUpClass(cls):
        cls.sp = Apache(METADATA_CONF)
        for name in ("sp", "idp"):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                            "/CN=" + name, "-keyout", os.path.join(cls.sp.dir, name + ".key"),
                            "-out", os.path.join(cls.sp.dir, name + ".crt")], check=True, capture_output=True)
        cls.sp.start()

    @classmethod
    def tearDownClass(cls):
        cls.sp.cleanup()

    def live(self, path, second=False):
        r = requests.get(self.sp.url(path, second), timeout=30)
        self.assertEqual(200, r.status_code, r.text + self.sp.error_log())
        return r.content

    def test_configured_settings(self):
        live = self.live("/auth/sso/metadata")
        ed = ET.fromstring(live)
        self.assertEqual("urn:example:helpdesk", ed.get("entityID"))
        sp = ed.find("md:SPSSODescriptor", MD)
        self.assertEqual(("true", "true"), (sp.get("AuthnRequestsSigned"), sp.get("WantAssertionsSigned")))
        self.assertEqual(["urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"],
                         [e.text for e in sp.findall("md:NameIDFormat", MD)])
        self.assertEqual("http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
                         sp.find("md:Extensions/alg:SigningMethod", MD).get("Algorithm"))
        self.assertEqual(["signing", "encryption"], [k.get("use") for k in sp.findall("md:KeyDescriptor", MD)])
        self.assertEqual("https://helpdesk.example.com/auth/sso/acs",
                         sp.find("md:AssertionConsumerService", MD).get("Location"))
        self.assertEqual("https://helpdesk.example.com/auth/sso/slo",
                         sp.find("md:SingleLogoutService", MD).get("Location"))
        out = cli_metadata("--base-url", "https://helpdesk.example.com", "--endpoint", "/auth/sso",
                           "--sp-entity-id", "urn:example:helpdesk", "--sp-key", os.path.join(self.sp.dir, "sp.key"),
                           "--sp-cert", os.path.join(self.sp.dir, "sp.crt"), "--name-id-format", "persistent",
                           "--signature-algorithm", "rsa-sha512", "--policy", "both")
        self.assertEqual(live, out)

    def test_site_without_a_key(self):
        live = self.live("/sso/metadata", second=True)
        sp = ET.fromstring(live).find("md:SPSSODescriptor", MD)
        self.assertEqual(("false", "false"), (sp.get("AuthnRequestsSigned"), sp.get("WantAssertionsSigned")))
        self.assertEqual(["urn:example:nameid:employee-number"], [e.text for e in sp.findall("md:NameIDFormat", MD)])
        # It can neither sign nor decrypt: no certificate, no signing method.
        self.assertIsNone(sp.find("md:KeyDescriptor", MD))
        self.assertIsNone(sp.find("md:Extensions", MD))
        out = cli_metadata("--base-url", "http://127.0.0.1:%d" % self.sp.port2,
                           "--sp-cert", os.path.join(self.sp.dir, "sp.crt"),
                           "--name-id-format", "urn:example:nameid:employee-number")
        self.assertEqual(live, out)

    def test_cli_refusals(self):
        def run(*args):
            p = subprocess.run([HDSSO, "saml", "metadata", *args], capture_output=True, text=True)
            return p.returncode, p.stderr
        key, crt = os.path.join(self.sp.dir, "sp.key"), os.path.join(self.sp.dir, "sp.crt")
        other = os.path.join(self.sp.dir, "idp.crt")
        base = ("--base-url", "https://helpdesk.example.com")
        for args, code, text in [
            (base + ("--sp-key", key, "--sp-cert", other), 3, "config.invalid: "),
            (base + ("--sp-key", crt), 3, "the SP key is not an unencrypted PEM private key"),
            (base + ("--sp-key", key, "--signature-algorithm", "rsa-sha1"), 3, "sha1 legacy allowance"),
            (base + ("--signature-algorithm", "rsa-md5"), 2, "--signature-algorithm takes"),
            (base + ("--name-id-format", "mail"), 2, "--name-id-format takes"),
            (base + ("--acs-url", "https://x.example/acs"), 2, "give one or the other"),
            (("--base-url", "https://helpdesk.example.com/"), 2, "without a trailing '/'"),
            (base + ("--endpoint", "sso"), 2, "--endpoint takes a path"),
            (("--endpoint", "/sso"), 2, "--endpoint goes with --base-url"),
            ((), 2, "give --base-url"),
            (base + ("--sp-key", os.path.join(self.sp.dir, "no-such.key")), 3, "config.io"),
        ]:
            with self.subTest(args=args):
                rc, err = run(*args)
                self.assertEqual(code, rc, err)
                self.assertIn(text, err)
        rc, err = run(*base, "--sp-key", key, "--signature-algorithm", "rsa-sha1", "--allow-legacy", "sha1")
        self.assertEqual(0, rc, err)


class EntraStyleClaimsTest(SamlEndToEndTest):
    """The same IdP sending Entra ID's claim URIs as attribute names."""
    entra = True


class CertificateConfiguredTest(SamlEndToEndTest):
    """The IdP configured by certificate, entity ID, SSO and SLO URLs."""
    sp_conf = SP_CONF_CERT


if __name__ == "__main__":
    unittest.main()
