"""SAML responses built by the tests, independently of the product: XML text
from templates, signed with xmlsec1 (Debian's xmlsec1 package) and a test key
pair made with openssl. Each field can be set to break exactly one check."""

import base64
import os
import subprocess
import tempfile
import time

NS = ('xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
      'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"')

SIG_TEMPLATE = """<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>\
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>\
<ds:SignatureMethod Algorithm="{sig_alg}"/>\
<ds:Reference URI="#{ref}"><ds:Transforms>\
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>\
<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>\
<ds:DigestMethod Algorithm="{digest_alg}"/><ds:DigestValue></ds:DigestValue></ds:Reference>\
</ds:SignedInfo><ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\
</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>"""

RSA_SHA256 = ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmlenc#sha256")
RSA_SHA1 = ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1")


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Forge:
    IDP = "https://idp.forge.test/metadata"
    SP = "https://helpdesk.example.test/sso/metadata"
    ACS = "https://helpdesk.example.test/sso/acs"
    REQUEST = "_req-4d1c2a9e7f"
    NOW = 1_800_000_000

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="hdsso-forge-")
        self.key, self.cert = self._pair("idp")
        self.other_key, self.other_cert = self._pair("attacker")

    def _pair(self, name):
        key = os.path.join(self.tmp.name, name + ".key")
        cert = os.path.join(self.tmp.name, name + ".crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        "/CN=%s" % name, "-keyout", key, "-out", cert], check=True, capture_output=True)
        return key, cert

    def assertion(self, aid="_a1", issuer=None, name_id="jane@example.com",
                  name_id_format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", recipient=None,
                  scd_in_response_to=None, scd_not_on_or_after=None, scd_not_before=None,
                  method="urn:oasis:names:tc:SAML:2.0:cm:bearer", cond_not_before=None, cond_not_on_or_after=None,
                  audience=None, conditions=True, authn=True, attributes=None, sign_slot="{SIG}"):
        n = self.NOW
        issuer = self.IDP if issuer is None else issuer
        recipient = self.ACS if recipient is None else recipient
        scd_irt = self.REQUEST if scd_in_response_to is None else scd_in_response_to
        scd = ('<saml:SubjectConfirmationData%s NotOnOrAfter="%s" Recipient="%s"%s/>'
               % (' InResponseTo="%s"' % scd_irt if scd_irt else "",
                  iso(n + 300 if scd_not_on_or_after is None else scd_not_on_or_after), recipient,
                  ' NotBefore="%s"' % iso(scd_not_before) if scd_not_before else ""))
        cond = ('<saml:Conditions NotBefore="%s" NotOnOrAfter="%s"><saml:AudienceRestriction>'
                '<saml:Audience>%s</saml:Audience></saml:AudienceRestriction></saml:Conditions>'
                % (iso(n - 30 if cond_not_before is None else cond_not_before),
                   iso(n + 300 if cond_not_on_or_after is None else cond_not_on_or_after),
                   self.SP if audience is None else audience)) if conditions else ""
        authn_xml = ('<saml:AuthnStatement AuthnInstant="%s" SessionIndex="_s1"><saml:AuthnContext>'
                     '<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password'
                     '</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>' % iso(n - 10)) \
            if authn else ""
        attrs = attributes if attributes is not None else {"givenName": ["Jane"], "sn": ["Doe"],
                                                           "groups": ["agents", "admins"]}
        attr_xml = ("<saml:AttributeStatement>" + "".join(
            '<saml:Attribute Name="%s">%s</saml:Attribute>' % (k, "".join(
                "<saml:AttributeValue>%s</saml:AttributeValue>" % v for v in vs)) for k, vs in attrs.items())
            + "</saml:AttributeStatement>") if attrs else ""
        return ('<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" '
                'IssueInstant="%s"><saml:Issuer>%s</saml:Issuer>%s'
                '<saml:Subject><saml:NameID Format="%s">%s</saml:NameID><saml:SubjectConfirmation Method="%s">%s'
                '</saml:SubjectConfirmation></saml:Subject>%s%s%s</saml:Assertion>'
                % (aid, iso(n - 10), issuer, sign_slot, name_id_format, name_id, method, scd, cond, authn_xml,
                   attr_xml))

    def response(self, assertions=None, rid="_r1", issuer=None, destination=None, in_response_to=None,
                 status="urn:oasis:names:tc:SAML:2.0:status:Success", sign_slot="{RSIG}"):
        irt = self.REQUEST if in_response_to is None else in_response_to
        body = self.assertion() if assertions is None else assertions
        return ('<samlp:Response %s ID="%s" Version="2.0" IssueInstant="%s"%s%s><saml:Issuer>%s</saml:Issuer>%s'
                '<samlp:Status><samlp:StatusCode Value="%s"/></samlp:Status>%s</samlp:Response>'
                % (NS, rid, iso(self.NOW - 5), ' Destination="%s"' % (self.ACS if destination is None else destination)
                   if destination != "" else "", ' InResponseTo="%s"' % irt if irt else "",
                   self.IDP if issuer is None else issuer, sign_slot, status, body))

    def sign(self, xml, assertion=True, response=False, key=None, algs=RSA_SHA256, assertion_id="_a1",
             response_id="_r1"):
        """Signs the assertion and/or the response (assertion first)."""
        key = key or self.key
        cert = self.cert if key == self.key else self.other_cert
        if assertion:
            xml = xml.replace("{SIG}", SIG_TEMPLATE.format(sig_alg=algs[0], digest_alg=algs[1], ref=assertion_id), 1)
            xml = self._xmlsec(xml.replace("{RSIG}", ""), key, cert) if not response else \
                self._xmlsec(xml.replace("{RSIG}", "{RSIG-LATER}"), key, cert)
        xml = xml.replace("{SIG}", "")
        if response:
            marker = "{RSIG-LATER}" if "{RSIG-LATER}" in xml else "{RSIG}"
            xml = self._xmlsec(xml.replace(marker, SIG_TEMPLATE.format(sig_alg=algs[0], digest_alg=algs[1],
                                                                       ref=response_id), 1), key, cert)
        return xml.replace("{RSIG}", "").replace("{RSIG-LATER}", "")

    def encrypt(self, xml, cert, content="http://www.w3.org/2009/xmlenc11#aes128-gcm",
                transport="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p", session_key="aes-128",
                element="Assertion", wrapper="EncryptedAssertion"):
        """Replaces the Assertion (or the first `element`) by an EncryptedAssertion
        (or `wrapper`) for the SP's certificate. xmlsec1 encrypts the element as it
        stands: its plaintext relies on the namespace declarations around it."""
        tmpl = ('<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" '
                'Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="%s"/>'
                '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey>'
                '<xenc:EncryptionMethod Algorithm="%s"/><xenc:CipherData><xenc:CipherValue/></xenc:CipherData>'
                '</xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue/></xenc:CipherData>'
                '</xenc:EncryptedData>' % (content, transport))
        data = os.path.join(self.tmp.name, "plain.xml")
        template = os.path.join(self.tmp.name, "enc-template.xml")
        out = os.path.join(self.tmp.name, "encrypted.xml")
        with open(data, "w") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n' + xml)
        with open(template, "w") as f:
            f.write(tmpl)
        p = subprocess.run(["xmlsec1", "encrypt", "--pubkey-cert-pem", cert, "--session-key", session_key,
                            "--xml-data", data, "--node-name", "urn:oasis:names:tc:SAML:2.0:assertion:" + element,
                            "--output", out, template], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("xmlsec1 encrypt: " + p.stderr)
        with open(out) as f:
            encrypted = f.read()
        encrypted = encrypted.split("?>", 1)[1].lstrip() if encrypted.startswith("<?xml") else encrypted
        start = encrypted.index("<xenc:EncryptedData")
        end = encrypted.index("</xenc:EncryptedData>") + len("</xenc:EncryptedData>")
        return (encrypted[:start] + "<saml:%s>" % wrapper + encrypted[start:end] + "</saml:%s>" % wrapper
                + encrypted[end:])

    def encrypt_name_id(self, xml, cert, after_confirmation=False, **kw):
        """The NameID as an EncryptedID, in schema order or (as some IdPs send it)
        after the SubjectConfirmation; sign afterwards."""
        xml = self.encrypt(xml, cert, element="NameID", wrapper="EncryptedID", **kw)
        if after_confirmation:
            start = xml.index("<saml:EncryptedID>")
            end = xml.index("</saml:EncryptedID>") + len("</saml:EncryptedID>")
            eid, xml = xml[start:end], xml[:start] + xml[end:]
            at = xml.index("</saml:Subject>")
            xml = xml[:at] + eid + xml[at:]
        return xml

    def unsigned(self, xml):
        return xml.replace("{SIG}", "").replace("{RSIG}", "")

    def _xmlsec(self, xml, key, cert):
        src = os.path.join(self.tmp.name, "in.xml")
        out = os.path.join(self.tmp.name, "out.xml")
        with open(src, "w") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n' + xml.replace("{RSIG-LATER}", ""))
        p = subprocess.run(["xmlsec1", "--sign", "--privkey-pem", "%s,%s" % (key, cert),
                            "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
                            "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
                            "--output", out, src], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("xmlsec1: " + p.stderr)
        with open(out) as f:
            signed = f.read()
        signed = signed.split("?>", 1)[1].lstrip() if signed.startswith("<?xml") else signed
        if "{RSIG-LATER}" in xml:
            # Put the response's signature slot back where it was.
            head, _, _ = xml.partition("{RSIG-LATER}")
            issuer_end = signed.find("</saml:Issuer>") + len("</saml:Issuer>")
            signed = signed[:issuer_end] + "{RSIG-LATER}" + signed[issuer_end:]
        return signed

    def write(self, xml, name="response.xml"):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(base64.b64encode(xml.encode()).decode())
        return path

    def cleanup(self):
        self.tmp.cleanup()
