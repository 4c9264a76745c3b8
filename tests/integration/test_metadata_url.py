"""IdP metadata from a URL (HelpdeskSSOSAMLIdPMetadataURL) on a real Apache:
fetched at start when the backing file is missing, fetched again in the
background (refresh=5), an IdP key rollover used for the next response
without a reload, every failure logged with the previous metadata kept,
Apache started from the backing file while the URL is down, and a required
signature (made by xmlsec1) checked. The metadata is served over TLS by
Python's ssl with a test CA (ca=), and over plain http only with signer=.
Responses are forged by tests/lib/saml_forge.py (xmlsec1)."""

import base64
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import requests  # noqa: E402

from hdsso_test import Apache  # noqa: E402
from served import Served, make_ca  # noqa: E402
from saml_forge import Forge  # noqa: E402

# One child, so that "the child has refreshed" is one log line.
CONF = """
ServerLimit 1
StartServers 1
MinSpareThreads 1
MaxSpareThreads 25
ThreadsPerChild 25
MaxRequestWorkers 25
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSOSAMLBaseURL http://127.0.0.1:{port}
  HelpdeskSSOSAMLAllowUnsolicited On
  HelpdeskSSOSAMLIdPMetadataURL https://127.0.0.1:{tls}/idp.xml {dir}/md/idp.xml refresh=5 ca={dir}/ca.crt
</VirtualHost>
<VirtualHost 127.0.0.1:{port2}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSOSAMLBaseURL http://127.0.0.1:{port2}
  HelpdeskSSOSAMLAllowUnsolicited On
  HelpdeskSSOSAMLIdPMetadataURL http://127.0.0.1:{plain}/signed.xml {dir}/md/signed.xml refresh=5 signer={dir}/signer.crt
</VirtualHost>
"""


def metadata(certs, valid_until=None):
    keys = "".join(
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s'
        '</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
        % "".join(l for l in open(c).read().splitlines() if "-----" not in l) for c in certs)
    return ('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="_md" entityID="%s"%s>{SIG}'
            '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">%s'
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            'Location="https://idp.forge.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>'
            % (Forge.IDP, ' validUntil="%s"' % valid_until if valid_until else "", keys))


SIG = ('<ds:Signature><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
       '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#_md">'
       '<ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
       '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
       '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>'
       '</ds:SignedInfo><ds:SignatureValue/></ds:Signature>')


class MetadataUrlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.f = Forge()
        tmp = cls.f.tmp.name
        cls.ca_crt, crt, key = make_ca(tmp, "metadata")
        cls.signer_key, cls.signer_crt = cls.f._pair("metadata-signer")
        cls.served = Served("application/samlmetadata+xml")
        cls.served.docs["/idp.xml"] = (200, metadata([cls.f.cert]).replace("{SIG}", ""))
        cls.served.docs["/signed.xml"] = (200, cls.sign(metadata([cls.f.cert])))
        cls.tls = cls.served.start(tls=(crt, key))
        cls.plain = cls.served.start()
        cls.apache = cls.make_apache()
        cls.start(cls.apache)

    @classmethod
    def make_apache(cls, conf=CONF):
        a = Apache(conf)
        a.fmt = {"tls": cls.tls.server_address[1], "plain": cls.plain.server_address[1]}
        os.makedirs(os.path.join(a.dir, "md"))
        if os.geteuid() == 0:
            subprocess.run(["chown", "www-data", os.path.join(a.dir, "md")], check=True)
        for name, path in (("ca.crt", cls.ca_crt), ("signer.crt", cls.signer_crt)):
            with open(path) as src:
                a.write(name, src.read())
        return a

    @staticmethod
    def start(apache, deadline_s=60):
        """Starts Apache and waits (bounded) until it has finished starting:
        its ports are bound before the module's post_config (which may fetch)
        has run."""
        before = apache.error_log().count("resuming normal operations")
        apache.start()
        end = time.monotonic() + deadline_s
        while apache.error_log().count("resuming normal operations") == before:
            if apache.proc.poll() is not None:
                output = apache.proc.stdout.read().decode(errors="replace")
                apache.stop()
                raise RuntimeError("Apache did not start:\n" + output + apache.error_log())
            if time.monotonic() > end:
                raise RuntimeError("Apache did not finish starting:\n" + apache.error_log())
            time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        cls.apache.cleanup()
        cls.served.stop()
        cls.f.cleanup()

    @classmethod
    def sign(cls, xml, key=None, cert=None):
        """Signs metadata with xmlsec1: by the configured signer, or by `key`."""
        src, out = os.path.join(cls.f.tmp.name, "md-in.xml"), os.path.join(cls.f.tmp.name, "md-out.xml")
        with open(src, "w") as fh:
            fh.write(xml.replace("{SIG}", SIG))
        subprocess.run(["xmlsec1", "--sign", "--privkey-pem", "%s,%s" % (key or cls.signer_key, cert or cls.signer_crt),
                        "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor", "--output", out, src],
                       check=True, capture_output=True)
        with open(out) as fh:
            return fh.read()

    _n = iter(range(1, 10 ** 6))

    def post(self, key=None, second=False):
        """An IdP-initiated response signed with `key` (the forge's IdP key by
        default) to this site's ACS; the HTTP status."""
        return self.post_response(key, second).status_code

    def post_response(self, key=None, second=False):
        f = self.f
        f.NOW = int(time.time())
        f.SP = self.apache.url("/sso/metadata", second)
        f.ACS = self.apache.url("/sso/acs", second)
        aid = "_mdurl%d" % next(self._n)
        xml = f.response(assertions=f.assertion(aid=aid, scd_in_response_to=""), in_response_to="")
        xml = f.sign(xml, assertion_id=aid, key=key)
        return requests.post(f.ACS, data={"SAMLResponse": base64.b64encode(xml.encode()).decode()},
                             allow_redirects=False, timeout=30)

    def wait_for_log(self, pattern, after, apache=None, deadline_s=90):
        """Waits (bounded) until the error log has a line matching `pattern`
        beyond offset `after`; returns that line."""
        apache = apache or self.apache
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            m = re.search(pattern, apache.error_log()[after:])
            if m:
                return m.group(0)
            time.sleep(0.25)
        self.fail("no log line %r within %d s:\n%s" % (pattern, deadline_s, apache.error_log()[after:]))

    def backing(self, name="idp.xml"):
        with open(os.path.join(self.apache.dir, "md", name)) as fh:
            return fh.read()

    def test_a_fetched_at_start_and_kept_in_the_backing_file(self):
        self.assertIn("HDSSO073", self.apache.error_log())
        self.assertEqual(self.served.docs["/idp.xml"][1], self.backing())
        self.assertEqual(302, self.post())
        self.assertEqual(401, self.post(key=self.f.other_key))

    def test_b_key_rollover_without_a_reload(self):
        parent = self.apache.proc.pid
        # The IdP publishes its next key beside the current one, then drops the old.
        mark = len(self.apache.error_log())
        self.served.docs["/idp.xml"] = (200, metadata([self.f.cert, self.f.other_cert]).replace("{SIG}", ""))
        self.wait_for_log(r"HDSSO070: IdP metadata https://127\.0\.0\.1:\d+/idp\.xml: changed[^\n]*", mark)
        self.assertEqual(302, self.post())
        self.assertEqual(302, self.post(key=self.f.other_key))
        mark = len(self.apache.error_log())
        self.served.docs["/idp.xml"] = (200, metadata([self.f.other_cert]).replace("{SIG}", ""))
        self.wait_for_log(r"HDSSO070: [^\n]*changed", mark)
        self.assertEqual(302, self.post(key=self.f.other_key))
        self.assertEqual(401, self.post())
        self.assertEqual(self.served.docs["/idp.xml"][1], self.backing())
        self.assertEqual(parent, self.apache.proc.pid)
        self.assertEqual(1, self.apache.error_log().count("resuming normal operations"))  # its one start
        # Nothing new: one "unchanged" line per refresh.
        mark = len(self.apache.error_log())
        self.wait_for_log(r"HDSSO071: IdP metadata [^\n]*: unchanged", mark)

    def test_c_failures_keep_the_metadata_in_use(self):
        # After test_b the IdP's key in use is the forge's "other" key.
        good = self.served.docs["/idp.xml"]
        in_use = self.backing()
        try:
            for label, answer, reason in (
                    ("down", (503, "maintenance"), r"metadata\.fetch_failed: [^\n]*503"),
                    ("not metadata", (200, "<html><body>Sign in</body></html>"), r"config\.invalid"),
                    ("expired", (200, metadata([self.f.cert], valid_until="2001-01-01T00:00:00Z").replace(
                        "{SIG}", "")), r"metadata\.expired")):
                with self.subTest(label):
                    mark = len(self.apache.error_log())
                    self.served.docs["/idp.xml"] = answer
                    line = self.wait_for_log(r"HDSSO072: [^\n]*refresh failed, the metadata in use is kept: [^\n]*",
                                             mark)
                    self.assertRegex(line, reason)
                    self.assertEqual(in_use, self.backing())
                    self.assertEqual(302, self.post(key=self.f.other_key))
                    self.assertEqual(401, self.post())
        finally:
            self.served.docs["/idp.xml"] = good

    def test_d_restart_from_the_backing_file_while_the_url_is_down(self):
        in_use = self.backing()
        good = self.served.docs["/idp.xml"]
        self.served.docs["/idp.xml"] = (503, "down")
        try:
            self.apache.stop()
            self.start(self.apache)
            self.assertEqual(in_use, self.backing())
            self.assertEqual(302, self.post(key=self.f.other_key))
            self.assertEqual(401, self.post())
        finally:
            self.served.docs["/idp.xml"] = good

    def test_e_no_backing_file_and_url_down_fails_start_naming_both(self):
        conf = CONF.replace("/idp.xml {dir}/md/idp.xml", "/missing.xml {dir}/md/missing.xml")
        a = self.make_apache(conf)
        try:
            with self.assertRaises(RuntimeError) as ctx:
                self.start(a)
            text = str(ctx.exception)
            self.assertRegex(text, r"HDSSO012: [^\n]*HelpdeskSSOSAMLIdPMetadataURL https://127\.0\.0\.1:\d+/missing\.xml: "
                                   r"the backing file is not usable \([^\n]*missing\.xml[^\n]*\) and fetching failed "
                                   r"\(metadata\.fetch_failed: [^\n]*404")
        finally:
            a.cleanup()

    def test_f_required_signature(self):
        self.assertEqual(302, self.post(second=True))
        good = self.served.docs["/signed.xml"]
        signed = good[1]
        try:
            for label, body, reason in (
                    ("unsigned", metadata([self.f.other_cert]).replace("{SIG}", ""), r"metadata\.unsigned"),
                    ("tampered", signed.replace(open(self.f.cert).read().splitlines()[1][:40], "MIIB" * 10),
                     r"metadata\.bad_signature"),
                    ("signed by another key", self.sign(metadata([self.f.other_cert]), self.f.other_key, self.f.other_cert),
                     r"metadata\.bad_signature")):
                with self.subTest(label):
                    mark = len(self.apache.error_log())
                    self.served.docs["/signed.xml"] = (200, body)
                    line = self.wait_for_log(r"HDSSO072: IdP metadata http://[^\n]*", mark)
                    self.assertRegex(line, reason)
                    self.assertEqual(signed, self.backing("signed.xml"))
                    self.assertEqual(302, self.post(second=True))
                    self.assertEqual(401, self.post(key=self.f.other_key, second=True))
            # Signed by the signer: used.
            mark = len(self.apache.error_log())
            self.served.docs["/signed.xml"] = (200, self.sign(metadata([self.f.other_cert])))
            self.wait_for_log(r"HDSSO070: IdP metadata http://[^\n]*changed", mark)
            self.assertEqual(302, self.post(key=self.f.other_key, second=True))
        finally:
            self.served.docs["/signed.xml"] = good

    def test_g_plain_http_without_signer_refused_by_apachectl(self):
        conf = CONF.replace("https://127.0.0.1:{tls}/idp.xml", "http://127.0.0.1:{plain}/idp.xml")
        a = self.make_apache(conf)
        try:
            rc, out = a.config_test()
            self.assertNotEqual(0, rc)
            self.assertIn("metadata over plain http needs signer=CERT-FILE", out)
        finally:
            a.cleanup()

    def test_h_an_untrusted_tls_certificate_is_a_failed_fetch(self):
        conf = CONF.replace(" ca={dir}/ca.crt", "").replace("/idp.xml {dir}/md/idp.xml", "/idp.xml {dir}/md/x.xml")
        a = self.make_apache(conf)
        try:
            with self.assertRaises(RuntimeError) as ctx:
                self.start(a)
            self.assertRegex(str(ctx.exception), r"fetching failed \(metadata\.fetch_failed: [^\n]*certificate")
        finally:
            a.cleanup()

    def test_i_metadata_in_use_past_its_valid_until_is_not_trusted(self):
        # After test_b the IdP's key in use is the forge's "other" key.
        good = self.served.docs["/idp.xml"]
        until = int(time.time()) + 12
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(until))
        try:
            mark = len(self.apache.error_log())
            self.served.docs["/idp.xml"] = (200, metadata([self.f.other_cert], valid_until=stamp).replace("{SIG}", ""))
            self.wait_for_log(r"HDSSO070: IdP metadata https://[^\n]*changed", mark)
            self.assertEqual(302, self.post(key=self.f.other_key))
            # The IdP's URL goes down; the copy in use reaches its validUntil.
            self.served.docs["/idp.xml"] = (503, "down")
            while time.time() < until + 1:
                time.sleep(0.25)
            mark = len(self.apache.error_log())
            self.wait_for_log(r"HDSSO076: [^\n]*past its validUntil[^\n]*refused", mark)
            r = self.post_response(key=self.f.other_key)
            self.assertEqual(503, r.status_code, r.text[:300])
            self.assertIn("metadata.expired", r.text)
            self.assertRegex(self.apache.error_log()[mark:], r"HDSSO0\d\d: [^\n]*metadata\.expired: [^\n]*validUntil")
            # A newer copy: trusted again, without a reload.
            mark = len(self.apache.error_log())
            self.served.docs["/idp.xml"] = good
            self.wait_for_log(r"HDSSO070: IdP metadata https://[^\n]*changed", mark)
            self.assertEqual(302, self.post(key=self.f.other_key))
        finally:
            self.served.docs["/idp.xml"] = good


if __name__ == "__main__":
    unittest.main()
