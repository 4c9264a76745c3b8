"""One fresh response per SAML check, built by the tests (templates signed
with xmlsec1, tests/lib/saml_forge.py) and changed to fail exactly that
check; signature wrapping (XSW), signature stripping, a comment inside the
NameID, XXE and entity expansion. Run through `hdsso saml verify`, which is
the ACS's code path."""

import base64
import json
import os
import re
import subprocess
import sys
import time
import unittest
import urllib.parse
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import requests  # noqa: E402

from hdsso_test import HDSSO, Apache  # noqa: E402
from saml_forge import RSA_SHA1, Forge  # noqa: E402


class SamlChecksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.f = Forge()

    @classmethod
    def tearDownClass(cls):
        cls.f.cleanup()

    def verify(self, xml, *extra, request_id=None, now=None):
        f = self.f
        args = [HDSSO, "saml", "verify", "--idp-cert", f.cert, "--idp-entity-id", f.IDP, "--sp-entity-id", f.SP,
                "--acs-url", f.ACS, "--now", str(f.NOW if now is None else now)]
        if request_id != "":
            args += ["--request-id", f.REQUEST if request_id is None else request_id]
        p = subprocess.run(args + list(extra) + [f.write(xml)], capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr

    def assert_ok(self, xml, *extra, **kw):
        code, out, err = self.verify(xml, *extra, **kw)
        self.assertEqual(0, code, err)
        return json.loads(out)

    def assert_error(self, xml, name, *extra, **kw):
        code, _, err = self.verify(xml, *extra, **kw)
        self.assertEqual(1, code, err)
        self.assertIn("error: %s:" % name, err)

    def signed(self, assertion=None, **response_kw):
        return self.f.sign(self.f.response(assertions=assertion, **response_kw))

    # --- the baseline and the signature policy -----------------------------

    def test_valid_responses_signed_three_ways(self):
        f = self.f
        for kw in (dict(assertion=True), dict(assertion=False, response=True), dict(assertion=True, response=True)):
            identity = self.assert_ok(f.sign(f.response(), **kw))
            self.assertEqual("jane@example.com", identity["name_id"])
            self.assertEqual(["agents", "admins"], identity["groups"])
            self.assertEqual("Jane Doe", identity["display_name"])

    def test_signature_policy(self):
        f = self.f
        only_assertion = f.sign(f.response())
        only_response = f.sign(f.response(), assertion=False, response=True)
        both = f.sign(f.response(), assertion=True, response=True)
        self.assert_error(only_assertion, "saml.unsigned", "--policy", "response")
        self.assert_error(only_response, "saml.unsigned", "--policy", "assertion")
        self.assert_error(only_response, "saml.unsigned", "--policy", "both")
        self.assert_ok(both, "--policy", "both")

    def test_unsigned_refused(self):
        self.assert_error(self.f.unsigned(self.f.response()), "saml.unsigned")

    def test_signature_stripped_refused(self):
        xml = self.signed()
        stripped = re.sub(r"<ds:Signature.*?</ds:Signature>", "", xml, flags=re.S)
        self.assertNotIn("Signature", stripped)
        self.assert_error(stripped, "saml.unsigned")

    def test_signed_by_another_key(self):
        self.assert_error(self.f.sign(self.f.response(), key=self.f.other_key), "saml.bad_signature")

    def test_changed_after_signing(self):
        xml = self.signed().replace("jane@example.com", "boss@example.com")
        self.assert_error(xml, "saml.bad_signature")

    def test_sha1_refused_unless_allowed(self):
        xml = self.f.sign(self.f.response(), algs=RSA_SHA1)
        self.assert_error(xml, "saml.legacy_algorithm")
        self.assert_ok(xml, "--allow-legacy", "sha1")

    # --- one check each -------------------------------------------------------

    def test_two_assertions(self):
        f = self.f
        two = f.assertion() + f.assertion(aid="_a2", sign_slot="")
        self.assert_error(f.sign(f.response(assertions=two)), "saml.assertion_count")

    def test_status_not_success(self):
        self.assert_error(self.signed(status="urn:oasis:names:tc:SAML:2.0:status:Responder"), "saml.not_authorized")

    def test_assertion_issuer_differs(self):
        self.assert_error(self.signed(self.f.assertion(issuer="https://other-idp.test/metadata")),
                          "saml.issuer_mismatch")

    def test_unknown_idp(self):
        f = self.f
        xml = f.sign(f.response(assertions=f.assertion(issuer="https://unknown.test/idp"),
                                issuer="https://unknown.test/idp"))
        self.assert_error(xml, "saml.unknown_idp")

    def test_destination(self):
        self.assert_error(self.signed(destination="https://evil.test/acs"), "saml.destination_mismatch")
        self.assert_ok(self.signed(destination=""))  # absent is allowed

    def test_audience(self):
        self.assert_error(self.signed(self.f.assertion(audience="https://other-sp.test/metadata")),
                          "saml.audience_mismatch")
        self.assert_error(self.signed(self.f.assertion(audience=self.f.SP + "x")), "saml.audience_mismatch")
        self.assert_error(self.signed(self.f.assertion(conditions=False)), "saml.audience_mismatch")

    def test_recipient(self):
        self.assert_error(self.signed(self.f.assertion(recipient="https://evil.test/acs")), "saml.recipient_mismatch")

    def test_bearer_subject_confirmation(self):
        self.assert_error(self.signed(self.f.assertion(method="urn:oasis:names:tc:SAML:2.0:cm:holder-of-key")),
                          "saml.subject_confirmation")
        self.assert_error(self.signed(self.f.assertion(scd_not_before=self.f.NOW - 10)), "saml.subject_confirmation")

    def test_time_windows_with_skew(self):
        f = self.f
        self.assert_error(self.signed(f.assertion(cond_not_before=f.NOW + 600)), "saml.too_early")
        self.assert_ok(self.signed(f.assertion(cond_not_before=f.NOW + 100)))  # within the 180 s skew
        self.assert_error(self.signed(f.assertion(cond_not_on_or_after=f.NOW - 600)), "saml.too_late")
        self.assert_error(self.signed(f.assertion(scd_not_on_or_after=f.NOW - 600)), "saml.too_late")
        self.assert_error(self.signed(f.assertion(cond_not_before=f.NOW + 100)), "saml.too_early", "--skew", "0")

    def test_in_response_to(self):
        self.assert_error(self.signed(), "saml.in_response_to", request_id="_another-request")
        self.assert_error(self.signed(self.f.assertion(scd_in_response_to="_another-request")),
                          "saml.in_response_to")

    def test_unsolicited(self):
        f = self.f
        xml = f.sign(f.response(assertions=f.assertion(scd_in_response_to=""), in_response_to=""))
        self.assert_error(xml, "saml.unsolicited", request_id="")
        self.assert_ok(xml, "--allow-unsolicited", request_id="")
        # A solicited response presented without its request.
        self.assert_error(self.signed(), "saml.in_response_to", "--allow-unsolicited", request_id="")

    def test_empty_name_id(self):
        self.assert_error(self.signed(self.f.assertion(name_id="")), "saml.missing_name_id")

    def test_comment_inside_name_id_does_not_truncate(self):
        identity = self.assert_ok(self.signed(self.f.assertion(name_id="jane@exa<!-- evil -->mple.com")))
        self.assertEqual("jane@example.com", identity["name_id"])
        self.assertEqual("jane@example.com", identity["subject"])

    def test_no_authn_statement(self):
        self.assert_error(self.signed(self.f.assertion(authn=False)), "saml.malformed")

    def test_attribute_names_set_by_the_administrator(self):
        f = self.f
        xml = self.signed(f.assertion(name_id="u-42", name_id_format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
                                      attributes={"corpMail": ["jane@corp.test"], "teams": ["red", "blue"],
                                                  "groups": ["default-list"]}))
        plain = self.assert_ok(xml)
        self.assertEqual("", plain["email"])
        self.assertEqual(["default-list"], plain["groups"])
        mapped = self.assert_ok(xml, "--attribute", "email=corpMail", "--attribute", "groups=teams")
        self.assertEqual("jane@corp.test", mapped["email"])
        self.assertEqual(["red", "blue"], mapped["groups"])
        code, _, err = self.verify(xml, "--attribute", "shoeSize=x")
        self.assertEqual(2, code, err)

    def test_aggregate_metadata(self):
        f = self.f
        with open(f.cert) as c:
            body = "".join(l for l in c.read().splitlines() if not l.startswith("-----"))

        def entity(entity_id):
            return ('<md:EntityDescriptor entityID="%s"><md:IDPSSODescriptor '
                    'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing">'
                    '<ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo>'
                    '</md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:'
                    'HTTP-Redirect" Location="https://idp.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>'
                    % (entity_id, body))
        aggregate = ('<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
                     'xmlns:ds="http://www.w3.org/2000/09/xmldsig#">%s<md:EntitiesDescriptor>%s'
                     '</md:EntitiesDescriptor></md:EntitiesDescriptor>'
                     % (entity("https://other-idp.test/metadata"), entity(f.IDP)))
        path = os.path.join(f.tmp.name, "aggregate.xml")
        with open(path, "w") as out:
            out.write(aggregate)
        args = [HDSSO, "saml", "verify", "--idp-metadata", path, "--sp-entity-id", f.SP, "--acs-url", f.ACS,
                "--now", str(f.NOW), "--request-id", f.REQUEST]
        p = subprocess.run(args + ["--idp-entity-id", f.IDP, f.write(self.signed())], capture_output=True, text=True)
        self.assertEqual(0, p.returncode, p.stderr)
        p = subprocess.run(args + [f.write(self.signed())], capture_output=True, text=True)
        self.assertEqual(3, p.returncode, p.stderr)
        self.assertIn("name one", p.stderr)

    def test_encrypted_assertion(self):
        f = self.f
        sp_key, sp_cert = f._pair("sp")
        _, other_cert = f._pair("other-sp")
        signed = self.signed()
        gcm = f.encrypt(signed, sp_cert)
        self.assertNotIn("jane@example.com", gcm)
        identity = self.assert_ok(gcm, "--sp-key", sp_key)
        self.assertEqual("jane@example.com", identity["name_id"])
        self.assert_error(gcm, "saml.decryption_failed")  # no SP key
        self.assert_error(f.encrypt(signed, other_cert), "saml.decryption_failed", "--sp-key", sp_key)
        cbc = f.encrypt(signed, sp_cert, content="http://www.w3.org/2001/04/xmlenc#aes128-cbc")
        self.assert_error(cbc, "saml.legacy_algorithm", "--sp-key", sp_key)
        self.assert_ok(cbc, "--sp-key", sp_key, "--allow-legacy", "xmlenc-cbc")
        rsa15 = f.encrypt(signed, sp_cert, transport="http://www.w3.org/2001/04/xmlenc#rsa-1_5")
        self.assert_error(rsa15, "saml.legacy_algorithm", "--sp-key", sp_key)
        self.assert_ok(rsa15, "--sp-key", sp_key, "--allow-legacy", "rsa1_5")

    def test_encrypted_name_id(self):
        # The EncryptedID's plaintext "saml:NameID" relies on the response's
        # namespace declarations (as xmlsec1 encrypts an element in place), in
        # schema order and, as some IdPs send it, after the SubjectConfirmation.
        f = self.f
        sp_key, sp_cert = f._pair("sp-eid")
        _, other_cert = f._pair("other-sp-eid")
        for after in (False, True):
            for kw in (dict(assertion=True), dict(assertion=False, response=True),
                       dict(assertion=True, response=True)):
                with self.subTest(after_confirmation=after, **kw):
                    xml = f.sign(f.encrypt_name_id(f.response(), sp_cert, after_confirmation=after), **kw)
                    self.assertNotIn("jane@example.com", xml)
                    identity = self.assert_ok(xml, "--sp-key", sp_key)
                    self.assertEqual("jane@example.com", identity["name_id"])
                    self.assertEqual(["agents", "admins"], identity["groups"])
                    self.assert_error(xml, "saml.decryption_failed")  # no SP key
            with self.subTest(after_confirmation=after, check="one check each"):
                plain = f.encrypt_name_id(f.response(), sp_cert, after_confirmation=after)
                self.assert_error(f.unsigned(plain), "saml.unsigned", "--sp-key", sp_key)
                tampered = f.sign(plain).replace("<saml:AttributeValue>admins<", "<saml:AttributeValue>root<")
                self.assertIn(">root<", tampered)
                self.assert_error(tampered, "saml.bad_signature", "--sp-key", sp_key)
                self.assert_error(f.sign(plain, key=f.other_key), "saml.bad_signature", "--sp-key", sp_key)
                wrong_sp = f.sign(f.encrypt_name_id(f.response(), other_cert, after_confirmation=after))
                self.assert_error(wrong_sp, "saml.decryption_failed", "--sp-key", sp_key)
                cbc = f.sign(f.encrypt_name_id(f.response(), sp_cert, after_confirmation=after,
                                               content="http://www.w3.org/2001/04/xmlenc#aes128-cbc"))
                self.assert_error(cbc, "saml.legacy_algorithm", "--sp-key", sp_key)
                self.assert_ok(cbc, "--sp-key", sp_key, "--allow-legacy", "xmlenc-cbc")
                late = f.sign(f.encrypt_name_id(f.response(), sp_cert, after_confirmation=after))
                self.assert_error(late, "saml.too_late", "--sp-key", sp_key, now=f.NOW + 3600)

    def test_encrypted_for_the_next_key(self):
        # Key rollover: the next SP key (HelpdeskSSOSAMLNextKeyFile,
        # --sp-next-key) decrypts what an IdP encrypted for the next
        # certificate, after the current key; a key of neither is refused.
        f = self.f
        sp_key, sp_cert = f._pair("sp-current")
        next_key, next_cert = f._pair("sp-next")
        _, unrelated_cert = f._pair("sp-unrelated")
        both = ("--sp-key", sp_key, "--sp-next-key", next_key)
        signed = self.signed()
        for_next = f.encrypt(signed, next_cert)
        self.assertNotIn("jane@example.com", for_next)
        self.assertEqual("jane@example.com", self.assert_ok(for_next, *both)["name_id"])
        self.assertEqual("jane@example.com", self.assert_ok(f.encrypt(signed, sp_cert), *both)["name_id"])
        self.assert_error(for_next, "saml.decryption_failed", "--sp-key", sp_key)  # without the next key
        self.assert_error(f.encrypt(signed, unrelated_cert), "saml.decryption_failed", *both)
        # The next key alone is no SP key.
        code, _, err = self.verify(for_next, "--sp-next-key", next_key)
        self.assertEqual(3, code, err)
        self.assertIn("error: config.invalid: ", err)
        self.assertIn("(a next SP key needs the current SP key)", err)
        # EncryptedID: in schema order (Lasso decrypts it) and after the
        # SubjectConfirmation (the module decrypts it itself).
        for after in (False, True):
            with self.subTest(after_confirmation=after):
                xml = f.sign(f.encrypt_name_id(f.response(), next_cert, after_confirmation=after))
                self.assertEqual("jane@example.com", self.assert_ok(xml, *both)["name_id"])
                self.assert_error(xml, "saml.decryption_failed", "--sp-key", sp_key)
                unrelated = f.sign(f.encrypt_name_id(f.response(), unrelated_cert, after_confirmation=after))
                self.assert_error(unrelated, "saml.decryption_failed", *both)

    def test_encrypted_name_id_signature_wrapping(self):
        # XSW on the path that reads an out-of-order EncryptedID again: the
        # genuine assertion-signed response (Jane) kept inside the Advice of a
        # forged assertion with the same ID, the signature and an EncryptedID
        # for someone else. Refused, or at most Jane.
        f = self.f
        sp_key, sp_cert = f._pair("sp-xsw")
        good = f.sign(f.encrypt_name_id(f.response(), sp_cert, after_confirmation=True))
        self.assertEqual("jane@example.com", self.assert_ok(good, "--sp-key", sp_key)["name_id"])
        other = f.encrypt_name_id(f.response(assertions=f.assertion(name_id="boss@example.com")), sp_cert,
                                  after_confirmation=True)
        evil_id = re.search(r"<saml:EncryptedID>.*</saml:EncryptedID>", other, re.S).group(0)
        genuine = re.search(r"<saml:Assertion.*</saml:Assertion>", good, re.S).group(0)
        forged = re.sub(r"<saml:EncryptedID>.*</saml:EncryptedID>", lambda m: evil_id, genuine, flags=re.S)
        in_advice = forged.replace("<saml:AuthnStatement", "<saml:Advice>%s</saml:Advice><saml:AuthnStatement"
                                   % genuine, 1)
        nested = forged[:-len("</saml:Assertion>")] + genuine + "</saml:Assertion>"
        for wrapped, name in ((in_advice, "saml.bad_signature"), (nested, "saml.assertion_count")):
            code, out, err = self.verify(good.replace(genuine, wrapped), "--sp-key", sp_key)
            self.assertNotIn("boss@example.com", out)
            self.assertEqual(1, code, out)
            self.assertIn("error: %s:" % name, err)

    def fingerprint(self, cert_path, digest="sha256"):
        import hashlib
        import ssl
        with open(cert_path) as c:
            der = ssl.PEM_cert_to_DER_cert(c.read())
        h = hashlib.new(digest, der).hexdigest().upper()
        return "%s:%s" % (digest.upper(), ":".join(h[i:i + 2] for i in range(0, len(h), 2)))

    def verify_fp(self, xml, fingerprint, *extra):
        f = self.f
        p = subprocess.run([HDSSO, "saml", "verify", "--idp-cert-fingerprint", fingerprint, "--idp-entity-id", f.IDP,
                            "--sp-entity-id", f.SP, "--acs-url", f.ACS, "--now", str(f.NOW), "--request-id", f.REQUEST,
                            *extra, f.write(xml)], capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr

    def test_idp_certificate_by_fingerprint(self):
        f = self.f
        fp = self.fingerprint(f.cert)
        code, out, err = self.verify_fp(self.signed(), fp)
        self.assertEqual(0, code, err)
        self.assertEqual("jane@example.com", json.loads(out)["name_id"])
        # Plain hex, lower case, without colons, is the same fingerprint.
        code, _, err = self.verify_fp(self.signed(), fp.split(":", 1)[1].replace(":", "").lower())
        self.assertEqual(0, code, err)
        # Signed with another key, whose certificate rides along.
        forged = f.sign(f.response(), key=f.other_key)
        code, _, err = self.verify_fp(forged, fp)
        self.assertEqual(1, code)
        self.assertIn("error: saml.bad_signature:", err)
        self.assertIn("fingerprint", err)
        # The genuine certificate put in the KeyInfo of a forged signature.
        with open(f.cert) as c:
            genuine = "".join(l for l in c.read().splitlines() if not l.startswith("-----"))
        swapped = re.sub(r"(<ds:X509Certificate>)[^<]*(</ds:X509Certificate>)", r"\g<1>%s\g<2>" % genuine, forged)
        code, _, err = self.verify_fp(swapped, fp)
        self.assertEqual(1, code)
        self.assertIn("error: saml.bad_signature:", err)
        # SHA-1 fingerprints are a legacy allowance.
        sha1 = self.fingerprint(f.cert, "sha1")
        code, _, err = self.verify_fp(self.signed(), sha1)
        self.assertEqual(1, code)
        self.assertIn("saml.legacy_algorithm", err)
        code, _, err = self.verify_fp(self.signed(), sha1, "--allow-legacy", "sha1")
        self.assertEqual(0, code, err)
        code, _, err = self.verify_fp(self.signed(), "SHA256:12:34")
        self.assertEqual(3, code, err)

    # --- XML attacks -----------------------------------------------------------

    def test_xxe_and_entity_expansion_refused(self):
        xml = self.signed()
        for doctype in ('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
                        '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'):
            self.assert_error(doctype + xml, "saml.malformed")

    # The XSW1-XSW8 catalogue (Somorovsky et al., "On Breaking SAML", 2012; as
    # SAML Raider builds them). Each must be refused, or at most accepted as
    # the genuinely signed user: never as the forged one.

    EVIL = "boss@example.com"

    def parts(self, xml):
        sig = re.search(r"<ds:Signature.*?</ds:Signature>", xml, re.S).group(0)
        assertion = re.search(r"<saml:Assertion.*</saml:Assertion>", xml, re.S).group(0)
        return sig, assertion

    def assert_not_forged(self, xml, refused=True):
        code, out, err = self.verify(xml)
        self.assertNotIn(self.EVIL, out)
        if refused:
            self.assertEqual(1, code, out)
            self.assertRegex(err, r"error: saml\.[a-z_]+:")
        elif code == 0:
            self.assertEqual("jane@example.com", json.loads(out)["name_id"])

    def signed_response(self):
        return self.f.sign(self.f.response(), assertion=False, response=True)

    def test_xsw1_original_response_inside_the_clone_signature(self):
        good = self.signed_response()
        sig, _ = self.parts(good)
        original = good
        evil = good.replace("jane@example.com", self.EVIL).replace('ID="_r1"', 'ID="_r-evil"', 1)
        evil = evil.replace(sig, sig.replace("</ds:Signature>", "<ds:Object>%s</ds:Object></ds:Signature>" % original))
        self.assert_not_forged(evil)

    def test_xsw2_original_response_before_the_clone_signature(self):
        good = self.signed_response()
        sig, _ = self.parts(good)
        evil = good.replace("jane@example.com", self.EVIL).replace('ID="_r1"', 'ID="_r-evil"', 1)
        evil = evil.replace(sig, good + sig)
        self.assert_not_forged(evil)

    def test_xsw3_unsigned_assertion_before_the_signed_one(self):
        good = self.signed()
        _, assertion = self.parts(good)
        sig, _ = self.parts(good)
        evil = assertion.replace(sig, "").replace("jane@example.com", self.EVIL).replace('ID="_a1"', 'ID="_a-evil"')
        self.assert_not_forged(good.replace(assertion, evil + assertion))

    def test_xsw4_signed_assertion_inside_the_unsigned_one(self):
        good = self.signed()
        sig, assertion = self.parts(good)
        evil = assertion.replace(sig, "").replace("jane@example.com", self.EVIL).replace('ID="_a1"', 'ID="_a-evil"')
        evil = evil.replace("</saml:Assertion>", assertion + "</saml:Assertion>")
        self.assert_not_forged(good.replace(assertion, evil))

    def test_xsw5_changed_signed_assertion_and_original_copy_at_the_end(self):
        good = self.signed()
        sig, assertion = self.parts(good)
        changed = assertion.replace("jane@example.com", self.EVIL)
        copy = assertion.replace(sig, "")
        self.assert_not_forged(good.replace(assertion, changed).replace("</samlp:Response>", copy + "</samlp:Response>"))

    def test_xsw6_changed_signed_assertion_and_original_copy_inside_its_signature(self):
        good = self.signed()
        sig, assertion = self.parts(good)
        copy = assertion.replace(sig, "")
        changed = assertion.replace("jane@example.com", self.EVIL).replace(
            sig, sig.replace("</ds:Signature>", "<ds:Object>%s</ds:Object></ds:Signature>" % copy))
        self.assert_not_forged(good.replace(assertion, changed))

    def test_xsw7_unsigned_clone_in_extensions(self):
        good = self.signed()
        sig, assertion = self.parts(good)
        evil = assertion.replace(sig, "").replace("jane@example.com", self.EVIL)
        status = '<samlp:Status>'
        # The forged clone sits in Extensions; the signed assertion stays: at
        # most the genuine user gets in.
        self.assert_not_forged(good.replace(status, "<samlp:Extensions>%s</samlp:Extensions>%s" % (evil, status), 1),
                               refused=False)

    def test_xsw8_changed_signed_assertion_and_original_copy_in_an_object(self):
        good = self.signed()
        sig, assertion = self.parts(good)
        copy = assertion.replace(sig, "")
        changed = assertion.replace("jane@example.com", self.EVIL).replace(
            sig, sig.replace("</ds:Signature>", "<ds:Object>%s</ds:Object></ds:Signature>" % copy))
        changed_id = changed.replace('ID="_a1"', 'ID="_a-evil"', 1)
        self.assert_not_forged(good.replace(assertion, changed_id))

    def test_xsw_signed_assertion_hidden_evil_assertion_in_place(self):
        # XSW: the signed assertion kept (inside the Response's Extensions or
        # Status detail), an unsigned forged one where the SP reads.
        f = self.f
        good = f.sign(f.response())
        signed_assertion = re.search(r"<saml:Assertion.*</saml:Assertion>", good, re.S).group(0)
        evil = f.assertion(aid="_evil", name_id="boss@example.com", sign_slot="")
        status = '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
        for place in ("<samlp:Extensions>%s</samlp:Extensions><samlp:Status>" + status + "</samlp:Status>",
                      "<samlp:Status>" + status + "<samlp:StatusDetail>%s</samlp:StatusDetail></samlp:Status>"):
            wrapped = good.replace(signed_assertion, evil)
            wrapped = wrapped.replace("<samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:"
                                      "Success\"/></samlp:Status>", place % signed_assertion, 1)
            self.assertIn(signed_assertion, wrapped)
            self.assert_error(wrapped, "saml.unsigned")

    def test_xsw_evil_assertion_with_the_signed_id(self):
        # XSW: a forged assertion carrying the signed one's ID, next to it.
        f = self.f
        good = f.sign(f.response())
        signed_assertion = re.search(r"<saml:Assertion.*</saml:Assertion>", good, re.S).group(0)
        evil = f.assertion(aid="_a1", name_id="boss@example.com", sign_slot="")
        for both in (evil + signed_assertion, signed_assertion + evil):
            self.assert_error(good.replace(signed_assertion, both), "saml.assertion_count")

    def test_xsw_signed_response_wrapped_in_evil_response(self):
        # XSW: the whole signed Response inside a forged one's Extensions.
        f = self.f
        good = f.sign(f.response(), assertion=False, response=True)
        evil = f.unsigned(f.response(assertions=f.assertion(aid="_evil", name_id="boss@example.com", sign_slot=""),
                                     rid="_r-evil"))
        wrapped = evil.replace("<samlp:Status>", "<samlp:Extensions>%s</samlp:Extensions><samlp:Status>" % good, 1)
        self.assert_error(wrapped, "saml.unsigned")

    def test_xsw_assertion_signature_referencing_another_element(self):
        # The Signature inside the forged assertion covers a different,
        # genuine element (pysaml2 CVE-2020-5390 style).
        f = self.f
        good = f.sign(f.response())
        sig = re.search(r"<ds:Signature.*</ds:Signature>", good, re.S).group(0)
        signed_assertion = re.search(r"<saml:Assertion.*</saml:Assertion>", good, re.S).group(0)
        evil = f.assertion(aid="_evil", name_id="boss@example.com", sign_slot=sig)
        status = '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        wrapped = good.replace(signed_assertion, evil).replace(
            status, "<samlp:Extensions>%s</samlp:Extensions>%s" % (signed_assertion.replace(sig, ""), status), 1)
        code, out, err = self.verify(wrapped)
        self.assertEqual(1, code, out)
        self.assertRegex(err, r"error: saml\.(bad_signature|malformed):")


ACS_SITE = """
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSOSAMLBaseURL http://127.0.0.1:{port}
  HelpdeskSSOSAMLIdPCertFile {dir}/idp.crt
  HelpdeskSSOSAMLIdPEntityID https://idp.forge.test/metadata
  HelpdeskSSOSAMLIdPSSOURL https://idp.forge.test/sso
  HelpdeskSSOSAMLIdPSLOURL https://idp.forge.test/slo
  HelpdeskSSOSAMLKeyFile {dir}/sp.key
  HelpdeskSSOSAMLCertFile {dir}/sp.crt
  HelpdeskSSOSAMLAllowUnsolicited On
</VirtualHost>
"""


def utf16(text, big_endian=False, bom=True):
    data = text.encode("utf-16-be" if big_endian else "utf-16-le")
    return ((b"\xfe\xff" if big_endian else b"\xff\xfe") if bom else b"") + data


class AcsThroughApacheTest(unittest.TestCase):
    """The same refusals at the module's /sso/acs and /sso/slo, with their
    HTTP status: what a client posted is a 4xx."""

    @classmethod
    def setUpClass(cls):
        cls.f = Forge()
        cls.apache = Apache(ACS_SITE)
        cls.sp_key, cls.sp_cert = cls.f._pair("acs-sp")
        for name, path in (("idp.crt", cls.f.cert), ("sp.key", cls.sp_key), ("sp.crt", cls.sp_cert)):
            with open(path) as src:
                cls.apache.write(name, src.read())
        cls.f.SP = cls.apache.url("/sso/metadata")
        cls.f.ACS = cls.apache.url("/sso/acs")
        cls.apache.start()

    @classmethod
    def tearDownClass(cls):
        cls.apache.cleanup()
        cls.f.cleanup()

    _n = iter(range(1, 10 ** 6))

    def response(self, encrypt_to=None):
        """An IdP-initiated response, signed, fresh (its own assertion ID)."""
        f = self.f
        f.NOW = int(time.time())
        aid = "_acs%d" % next(self._n)
        xml = f.response(assertions=f.assertion(aid=aid, scd_in_response_to=""), in_response_to="")
        xml = f.sign(xml, assertion_id=aid)
        return f.encrypt(xml, encrypt_to) if encrypt_to else xml

    def post(self, raw):
        return requests.post(self.f.ACS, data={"SAMLResponse": base64.b64encode(raw).decode()},
                             allow_redirects=False, timeout=30)

    def assert_refused(self, r, status, name, detail):
        self.assertEqual(status, r.status_code, r.text[:500])
        self.assertIn(name, r.text)
        self.assertNotRegex(r.headers.get("Set-Cookie", ""), r"(^|[ ,])hdsso_session=[^;]")  # no session
        self.assertRegex(self.apache.error_log(), r"HDSSO020: %s: .*%s" % (re.escape(name), detail))

    def test_genuine_response_signs_in(self):
        r = self.post(self.response().encode())
        self.assertEqual(302, r.status_code, r.text + self.apache.error_log())
        self.assertIn("hdsso_session=", r.headers.get("Set-Cookie", ""))
        r = self.post(self.response(encrypt_to=self.sp_cert).encode())
        self.assertEqual(302, r.status_code, r.text + self.apache.error_log())

    def test_utf16_doctype_refused_by_what_the_parser_sees(self):
        xml = self.response()
        doctype = '<!DOCTYPE samlp:Response [<!ENTITY e "boss@example.com">]>'
        forged = xml.replace("jane@example.com", "&e;", 1)
        for label, raw in (
                ("UTF-16LE with BOM", utf16(doctype + forged)),
                ("UTF-16LE with BOM and declaration", utf16('<?xml version="1.0" encoding="UTF-16"?>' + doctype + forged)),
                ("UTF-16LE, declaration, no BOM",
                 utf16('<?xml version="1.0" encoding="UTF-16"?>' + doctype + forged, bom=False)),
                ("UTF-16BE with BOM", utf16(doctype + forged, big_endian=True)),
                ("UTF-16BE, declaration, no BOM",
                 utf16('<?xml version="1.0" encoding="UTF-16"?>' + doctype + forged, big_endian=True, bom=False)),
                ("UTF-8 with BOM", b"\xef\xbb\xbf" + (doctype + forged).encode())):
            with self.subTest(label):
                if label.startswith("UTF-16"):
                    self.assertNotIn(b"<!DOCTYPE", raw)  # no byte search finds it
                self.assert_refused(self.post(raw), 400, "saml.malformed", "DOCTYPE")

    def test_utf16_doctype_logout_request_refused(self):
        xml = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY e "jane@example.com">]>'
               '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
               'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_l1" Version="2.0" '
               'IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>https://idp.forge.test/metadata</saml:Issuer>'
               '<saml:NameID>&e;</saml:NameID></samlp:LogoutRequest>')
        z = zlib.compressobj(9, zlib.DEFLATED, -15)
        deflated = z.compress(utf16(xml)) + z.flush()
        r = requests.get(self.apache.url("/sso/slo?" + urllib.parse.urlencode(
            {"SAMLRequest": base64.b64encode(deflated).decode()})), allow_redirects=False, timeout=30)
        self.assert_refused(r, 400, "saml.malformed", "SAMLRequest: a DOCTYPE")

    def test_response_that_does_not_decrypt_is_a_client_error(self):
        # Encrypted for another SP's certificate: what the client posted, not
        # a fault of this server (needs mod/http.cc to map
        # saml.decryption_failed to 400).
        _, other_cert = self.f._pair("acs-other-sp")
        r = self.post(self.response(encrypt_to=other_cert).encode())
        self.assert_refused(r, 400, "saml.decryption_failed", "")
        self.assertNotIn("Sign-in is unavailable", r.text)


NEXT_KEY_SITE = ACS_SITE.replace("  HelpdeskSSOSAMLAllowUnsolicited On\n", """  HelpdeskSSOSAMLAllowUnsolicited On
  HelpdeskSSOSAMLNextKeyFile {dir}/sp-next.key
  HelpdeskSSOSAMLNextCertFile {dir}/sp-next.crt
  <Location /private>
    AuthType HelpdeskSSO
    Require valid-user
  </Location>
  HelpdeskSSODiagnostics On
  <Location /sso/diagnostics>
    AuthType HelpdeskSSO
    Require valid-user
  </Location>
""")


def pem_body(path):
    with open(path) as f:
        return "".join(line.strip() for line in f if not line.startswith("-----"))


class NextKeyThroughApacheTest(unittest.TestCase):
    """Key rollover at the module: HelpdeskSSOSAMLNextKeyFile and
    HelpdeskSSOSAMLNextCertFile. The metadata lists both certificates,
    current first; an assertion encrypted for either signs in; requests are
    signed with the current key; misconfigurations fail apachectl -t."""

    @classmethod
    def setUpClass(cls):
        cls.f = Forge()
        cls.apache = Apache(NEXT_KEY_SITE)
        cls.sp_key, cls.sp_cert = cls.f._pair("next-site-sp")
        cls.next_key, cls.next_cert = cls.f._pair("next-site-sp-next")
        for name, path in (("idp.crt", cls.f.cert), ("sp.key", cls.sp_key), ("sp.crt", cls.sp_cert),
                           ("sp-next.key", cls.next_key), ("sp-next.crt", cls.next_cert)):
            with open(path) as src:
                cls.apache.write(name, src.read(), mode=0o600 if name.endswith(".key") else 0o644)
        cls.f.SP = cls.apache.url("/sso/metadata")
        cls.f.ACS = cls.apache.url("/sso/acs")
        cls.apache.start()

    @classmethod
    def tearDownClass(cls):
        cls.apache.cleanup()
        cls.f.cleanup()

    _n = iter(range(1, 10 ** 6))

    def response(self, encrypt_to):
        f = self.f
        f.NOW = int(time.time())
        aid = "_next%d" % next(self._n)
        xml = f.response(assertions=f.assertion(aid=aid, scd_in_response_to=""), in_response_to="")
        return f.encrypt(f.sign(xml, assertion_id=aid), encrypt_to)

    def post(self, raw):
        return requests.post(self.f.ACS, data={"SAMLResponse": base64.b64encode(raw).decode()},
                             allow_redirects=False, timeout=30)

    def test_assertion_encrypted_for_either_key_signs_in(self):
        for cert in (self.next_cert, self.sp_cert):
            with self.subTest(cert=os.path.basename(cert)):
                r = self.post(self.response(cert).encode())
                self.assertEqual(302, r.status_code, r.text + self.apache.error_log())
                self.assertIn("hdsso_session=", r.headers.get("Set-Cookie", ""))

    def test_diagnostics_page_shows_both_fingerprints(self):
        r = self.post(self.response(self.next_cert).encode())
        self.assertEqual(302, r.status_code, r.text + self.apache.error_log())
        page = requests.get(self.apache.url("/sso/diagnostics"), cookies=r.cookies, allow_redirects=False,
                            timeout=30)
        self.assertEqual(200, page.status_code, page.text[:500])
        shown = []
        for cert in (self.sp_cert, self.next_cert):
            out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert],
                                 capture_output=True, text=True, check=True).stdout
            fp = "SHA256:" + out.strip().split("=", 1)[1].upper()
            self.assertIn(fp, page.text)
            shown.append(page.text.index(fp))
        self.assertLess(shown[0], shown[1])  # current first
        # The startup line says a rollover is under way, with the next certificate.
        self.assertRegex(self.apache.error_log(), r"HDSSO013: .*; key rollover: next SP certificate %s published"
                         % re.escape(fp))
        self.assertIn("SP certificate (current: signs, decrypts)", page.text)
        self.assertIn("SP certificate (next: decrypts, published)", page.text)

    def test_assertion_for_an_unrelated_key_refused(self):
        _, unrelated_cert = self.f._pair("next-site-unrelated")
        r = self.post(self.response(unrelated_cert).encode())
        self.assertEqual(400, r.status_code, r.text[:500])
        self.assertIn("saml.decryption_failed", r.text)
        self.assertNotRegex(r.headers.get("Set-Cookie", ""), r"(^|[ ,])hdsso_session=[^;]")
        self.assertRegex(self.apache.error_log(), r"HDSSO020: saml\.decryption_failed: ")

    def test_metadata_lists_both_certificates_current_first(self):
        r = requests.get(self.apache.url("/sso/metadata"), timeout=30)
        self.assertEqual(200, r.status_code, r.text[:500])
        keys = re.findall(r'<md:KeyDescriptor use="(\w+)">.*?<ds:X509Certificate>([^<]*)</ds:X509Certificate>',
                          r.text, re.S)
        keys = [(use, re.sub(r"\s", "", cert)) for use, cert in keys]
        current, upcoming = pem_body(self.sp_cert), pem_body(self.next_cert)
        self.assertEqual([("signing", current), ("encryption", current), ("signing", upcoming),
                          ("encryption", upcoming)], keys)
        # The same bytes as hdsso saml metadata with the four files.
        p = subprocess.run([HDSSO, "saml", "metadata", "--base-url", self.apache.url(""), "--sp-key", self.sp_key,
                            "--sp-cert", self.sp_cert, "--sp-next-key", self.next_key, "--sp-next-cert",
                            self.next_cert], capture_output=True, text=True)
        self.assertEqual(0, p.returncode, p.stderr)
        self.assertEqual(r.text, p.stdout)

    def test_authn_request_signed_with_the_current_key(self):
        r = requests.get(self.apache.url("/private/"), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text[:500])
        query = r.headers["Location"].split("?", 1)[1]
        signed, signature = query.split("&Signature=")
        sig_path = self.apache.write("authn.sig", "")
        with open(sig_path, "wb") as out:
            out.write(base64.b64decode(urllib.parse.unquote(signature)))
        data_path = self.apache.write("authn.txt", signed)
        for cert, verified in ((self.sp_cert, True), (self.next_cert, False)):
            pub = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in", cert], capture_output=True,
                                 text=True, check=True).stdout
            pub_path = self.apache.write("pub.pem", pub)
            p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub_path, "-signature", sig_path, data_path],
                               capture_output=True, text=True)
            self.assertEqual(verified, p.returncode == 0, (cert, p.stdout, p.stderr))

    def test_misconfigurations_fail_apachectl_t(self):
        f = self.f
        unrelated_key, unrelated_cert = f._pair("next-site-mismatch")
        # The next key encrypted with a passphrase: refused, never prompted for.
        locked = os.path.join(f.tmp.name, "locked.key")
        subprocess.run(["openssl", "pkey", "-in", self.next_key, "-aes256", "-passout", "pass:secret", "-out", locked],
                       check=True, capture_output=True)
        files = {"sp.key": self.sp_key, "sp.crt": self.sp_cert, "idp.crt": f.cert, "sp-next.key": self.next_key,
                 "sp-next.crt": self.next_cert, "unrelated.crt": unrelated_cert, "locked.key": locked}
        cases = [
            ("next key without next cert", "  HelpdeskSSOSAMLNextCertFile {dir}/sp-next.crt\n", "",
             "HelpdeskSSOSAMLNextKeyFile .*sp-next.key has no HelpdeskSSOSAMLNextCertFile beside it"),
            ("next cert without next key", "  HelpdeskSSOSAMLNextKeyFile {dir}/sp-next.key\n", "",
             "HelpdeskSSOSAMLNextCertFile .*sp-next.crt has no HelpdeskSSOSAMLNextKeyFile beside it"),
            ("next cert of another key", "{dir}/sp-next.crt", "{dir}/unrelated.crt",
             "HelpdeskSSOSAMLNextCertFile .*unrelated.crt is not the certificate of HelpdeskSSOSAMLNextKeyFile "
             ".*sp-next.key"),
            ("next equal to current", "{dir}/sp-next.", "{dir}/sp.",
             "HelpdeskSSOSAMLNextKeyFile .*sp.key is the same key as HelpdeskSSOSAMLKeyFile .*sp.key: a rollover "
             "needs a new key pair"),
            ("next key encrypted", "{dir}/sp-next.key", "{dir}/locked.key",
             "SAML: config\\.invalid: the next SP key is not an unencrypted PEM private key"),
            ("next without the current pair", "  HelpdeskSSOSAMLKeyFile {dir}/sp.key\n", "",
             "HelpdeskSSOSAMLNextKeyFile and HelpdeskSSOSAMLNextCertFile need HelpdeskSSOSAMLKeyFile and "
             "HelpdeskSSOSAMLCertFile"),
        ]
        for label, old, new, message in cases:
            with self.subTest(label):
                self.assertIn(old, NEXT_KEY_SITE)
                a = Apache(NEXT_KEY_SITE.replace(old, new))
                try:
                    for name, path in files.items():
                        with open(path) as src:
                            a.write(name, src.read(), mode=0o600 if name.endswith(".key") else 0o644)
                    rc, out = a.config_test()
                finally:
                    a.cleanup()
                self.assertNotEqual(0, rc, out)
                self.assertRegex(out, r"HDSSO060: .*error: saml\.idp: .*" + message)
        a = Apache(NEXT_KEY_SITE)
        try:
            for name, path in files.items():
                with open(path) as src:
                    a.write(name, src.read(), mode=0o600 if name.endswith(".key") else 0o644)
            rc, out = a.config_test()
            self.assertEqual(0, rc, out)
            self.assertNotIn("file.world_readable", out)
            # A next key every user can read: warned about like the current one.
            os.chmod(os.path.join(a.dir, "sp-next.key"), 0o644)
            rc, out = a.config_test()
            self.assertEqual(0, rc, out)
            self.assertRegex(out, r"HDSSO061: .*warning: file\.world_readable: HelpdeskSSOSAMLNextKeyFile "
                                  r"\S*sp-next\.key .*mode 0644")
        finally:
            a.cleanup()


if __name__ == "__main__":
    unittest.main()
