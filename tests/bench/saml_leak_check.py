#!/usr/bin/python3
"""Memory kept per SAML response, measured with valgrind on `hdsso saml
verify` (the ACS's code path, in one process).

Responses built like the integration tests build theirs
(tests/lib/saml_forge.py: templates, xmlsec1, openssl):
  valid         a signed response with four xsi:type'd attribute values: a
                successful sign-in (issue 15: Lasso kept a string per value);
  malformed     unsigned, an EncryptedAssertion for the SP's key whose
                ds:KeyInfo carries a wrong dsig namespace URI (issue 15: Lasso
                duplicated the SP key and never freed it, before any
                signature was checked);
  encrypted     the valid one as an EncryptedAssertion (Lasso decrypts);
  encrypted-id  its NameID as an EncryptedID after the SubjectConfirmation
                (decrypted by src/saml/encrypted_id.cc);
  fingerprint   the valid one, the IdP known by its certificate's
                fingerprint (a Lasso server per response);
  next-key      the valid one as an EncryptedAssertion for the next SP key
                of a key rollover (--sp-next-key): Lasso tries the current
                key first;
  next-key-id   its NameID as an EncryptedID for the next SP key, after the
                SubjectConfirmation (encrypted_id.cc tries the current key
                first).
Each runs under valgrind --leak-check=full with --repeat 1 and --repeat N
(the same response N times, each with an empty replay cache); the report
gives valgrind's "definitely lost" bytes (and in brackets "indirectly
lost": what the lost blocks point to) for both runs, and the growth per
response. Memory kept once per process (Lasso's and GLib's type system, the
Lasso server) shows in both runs and cancels out.

  HDSSO_BUILDDIR=/path/to/build /usr/bin/python3 tests/bench/saml_leak_check.py [--repeat N] [--stacks]

Exit status 1 when a response keeps memory (growth > 0), 0 otherwise. A
benchmark-style check, not a test: about two minutes on one core.
"""

import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from saml_forge import Forge  # noqa: E402

BUILD = os.environ.get("HDSSO_BUILDDIR", os.path.join(HERE, "..", ".."))
HDSSO = os.path.join(BUILD, "src", "cli", "hdsso")
LOST = re.compile(r"(definitely|indirectly) lost: ([\d,]+) bytes in ([\d,]+) blocks")


def responses(f):
    # Attribute values typed as most IdPs send them (SimpleSAMLphp, Okta,
    # Entra ID): xsi:type="xs:string", a namespaced attribute.
    typed = f.assertion().replace(
        "<saml:AttributeValue>", '<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">')
    valid = f.sign(f.response(assertions=typed))
    sp_key, sp_cert = f._pair("sp")
    encrypted = f.encrypt(f.unsigned(f.response()), sp_cert)
    marker = 'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"'
    assert encrypted.count(marker) == 1, "the EncryptedData should carry the only ds:KeyInfo"
    malformed = encrypted.replace(marker, 'xmlns:ds="http://www.w3.org/2000/09/xmldsig"')
    fingerprint = subprocess.run(["openssl", "x509", "-in", f.cert, "-noout", "-fingerprint", "-sha256"],
                                 capture_output=True, text=True, check=True).stdout.split("=", 1)[1].strip()
    by_cert = ["--idp-cert", f.cert]
    next_key, next_cert = f._pair("sp-next")
    both_keys = ["--sp-key", sp_key, "--sp-next-key", next_key]
    return [("valid", valid, by_cert, 0),
            ("malformed", malformed, by_cert + ["--sp-key", sp_key], 1),
            ("encrypted", f.encrypt(valid, sp_cert), by_cert + ["--sp-key", sp_key], 0),
            ("encrypted-id", f.sign(f.encrypt_name_id(f.response(assertions=typed), sp_cert, after_confirmation=True)),
             by_cert + ["--sp-key", sp_key], 0),
            ("fingerprint", valid, ["--idp-cert-fingerprint", fingerprint], 0),
            ("next-key", f.encrypt(valid, next_cert), by_cert + both_keys, 0),
            ("next-key-id", f.sign(f.encrypt_name_id(f.response(assertions=typed), next_cert, after_confirmation=True)),
             by_cert + both_keys, 0)]


def run(f, path, extra, repeat, stacks):
    env = dict(os.environ, G_SLICE="always-malloc", G_DEBUG="gc-friendly")
    cmd = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite", "--num-callers=30",
           HDSSO, "saml", "verify", "--idp-entity-id", f.IDP, "--sp-entity-id", f.SP,
           "--acs-url", f.ACS, "--request-id", f.REQUEST, "--now", str(f.NOW), "--repeat", str(repeat)] + extra + [path]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    # valgrind prints no summary lines when nothing leaked at all
    lost = {kind: int(n.replace(",", "")) for kind, n, _ in LOST.findall(p.stderr)}
    if stacks:
        sys.stderr.write(p.stderr)
    return p.returncode, lost, p.stdout + p.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--stacks", action="store_true", help="print valgrind's report (loss records)")
    args = ap.parse_args()
    if not os.access(HDSSO, os.X_OK):
        sys.exit("no %s: build first (or set HDSSO_BUILDDIR)" % HDSSO)
    f = Forge()
    grew = False
    try:
        print("definitely lost (indirectly lost) bytes, valgrind --leak-check=full")
        print("%-13s %20s %20s %20s" % ("response", "N=1", "N=%d" % args.repeat, "per response"))
        for name, xml, extra, want_rc in responses(f):
            path = f.write(xml, name + ".b64")
            results = []
            for n in (1, args.repeat):
                rc, lost, out = run(f, path, extra, n, args.stacks)
                if rc != want_rc:
                    sys.exit("%s: hdsso exited %d, expected %d:\n%s" % (name, rc, want_rc, out[-2000:]))
                results.append(lost)
            cell = lambda d, i: "%d (%d)" % (d, i)
            direct = [r.get("definitely", 0) for r in results]
            indirect = [r.get("indirectly", 0) for r in results]
            steps = max(args.repeat - 1, 1)
            grew = grew or direct[1] + indirect[1] > direct[0] + indirect[0]
            print("%-13s %20s %20s %20s" % (name, cell(direct[0], indirect[0]), cell(direct[1], indirect[1]),
                                            "%.1f (%.1f)" % ((direct[1] - direct[0]) / steps,
                                                             (indirect[1] - indirect[0]) / steps)))
    finally:
        f.cleanup()
    return 1 if grew else 0


if __name__ == "__main__":
    sys.exit(main())
