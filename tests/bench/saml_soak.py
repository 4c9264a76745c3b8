#!/usr/bin/python3
"""No growth from hostile input or from use (issue 15, item 3), on a real
Apache: a one-child Apache (event MPM, ServerLimit 1) with a SAML site whose
SP has a decryption key receives N malformed and N valid responses at
/sso/acs, then N anonymous requests that start a signed sign-in and N
forged single-logout messages at /sso/slo; the child's memory is read from
/proc before, after a warm-up, and after each phase.

  malformed  unsigned, an EncryptedAssertion whose ds:KeyInfo carries a
             wrong dsig namespace URI (Lasso duplicated the SP key and never
             freed it, before any signature check);
  valid      signed, unsolicited, four xsi:type'd attribute values, each
             with its own assertion ID (a sign-in each; Lasso kept a string
             per attribute value);
  sign-in    GET /helpdesk/ without a session: an AuthnRequest signed with
             the SP key (xmlsec leaked a BIO per signed message);
  slo        GET /sso/slo with a LogoutRequest naming the IdP and a
             6,000-character bogus Signature (Lasso leaked the decoded
             signature).

What is compared is the child's anonymous memory (Anonymous in
/proc/PID/smaps_rollup: the heap), not its RSS: the session store and the
replay table are shared memory, whose pages count in RSS as the child
touches them, by design. RSS is printed too. Exit status 1 when anonymous
memory grew by more than --bound KiB over a phase after the warm-up.

  HDSSO_BUILDDIR=/path/to/build /usr/bin/python3 tests/bench/saml_soak.py [-n 20000] [--jobs 2]

A soak, not a test: signing the valid responses (xmlsec1, one process each)
takes most of the time, about 15 ms each per core.
"""

import argparse
import base64
import concurrent.futures
import os
import queue
import shutil
import sys
import time
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import requests  # noqa: E402

from hdsso_test import BASE_MODULES, Apache  # noqa: E402
from saml_forge import Forge  # noqa: E402

CONF = """
StartServers 1
ServerLimit 1
ThreadsPerChild 4
MaxRequestWorkers 4
MinSpareThreads 1
MaxSpareThreads 4
MaxConnectionsPerChild 0
HelpdeskSSOSessionCacheTTL 0
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSOSAMLBaseURL http://127.0.0.1:{port}
  HelpdeskSSOSAMLIdPCertFile {dir}/idp.crt
  HelpdeskSSOSAMLIdPEntityID https://idp.forge.test/metadata
  HelpdeskSSOSAMLIdPSSOURL https://idp.forge.test/sso
  HelpdeskSSOSAMLIdPSLOURL https://idp.forge.test/slo
  HelpdeskSSOSAMLAllowUnsolicited On
  HelpdeskSSOSAMLKeyFile {dir}/sp.key
  HelpdeskSSOSAMLCertFile {dir}/sp.crt
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
  </Location>
</VirtualHost>
"""

TYPED = ('<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" '
         'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">')


def forge_for(port, base=None):
    f = Forge()
    f.NOW = int(time.time())
    f.SP = "http://127.0.0.1:%d/sso/metadata" % port
    f.ACS = "http://127.0.0.1:%d/sso/acs" % port
    if base:  # the same IdP key, another scratch directory (xmlsec1 runs in parallel)
        f.key, f.cert = base.key, base.cert
    return f


def valid_response(f, i):
    aid, rid = "_a%08d" % i, "_r%08d" % i
    # Valid for two hours: signing all of them takes minutes.
    assertion = f.assertion(aid=aid, scd_in_response_to="", name_id="user%d@example.com" % i,
                            scd_not_on_or_after=f.NOW + 7200, cond_not_on_or_after=f.NOW + 7200)
    assertion = assertion.replace("<saml:AttributeValue>", TYPED)
    return f.sign(f.response(assertions=assertion, rid=rid, in_response_to=""), assertion_id=aid)


def child_pid(parent):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as s:
                fields = s.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                return int(pid)
        except OSError:
            continue
    return None


def memory(pid):
    out = {}
    with open("/proc/%d/smaps_rollup" % pid) as s:
        for line in s:
            key, _, rest = line.partition(":")
            if key in ("Rss", "Anonymous"):
                out[key] = int(rest.split()[0])
    return out


def redirect_value(xml):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return urllib.parse.quote(base64.b64encode(c.compress(xml.encode()) + c.flush()).decode(), safe="")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=20000, help="requests per phase (default 20000)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="xmlsec1 processes signing at once")
    ap.add_argument("--bound", type=int, default=1024, help="KiB of anonymous growth allowed per phase")
    args = ap.parse_args()
    # Without mod_cgid, whose daemon would be a second child.
    apache = Apache(CONF, modules=[m for m in BASE_MODULES if m != "cgid"])
    base = forge_for(apache.port)
    forges = [base] + [forge_for(apache.port, base) for _ in range(max(args.jobs, 1) - 1)]
    try:
        shutil.copy(base.cert, os.path.join(apache.dir, "idp.crt"))
        sp_key, sp_cert = base._pair("sp")
        shutil.copy(sp_key, os.path.join(apache.dir, "sp.key"))
        shutil.copy(sp_cert, os.path.join(apache.dir, "sp.crt"))
        t0 = time.time()
        warm = 200
        # Each Forge signs in a scratch directory of its own: one thread at a time.
        idle = queue.Queue()
        for f in forges:
            idle.put(f)

        def sign(i):
            f = idle.get()
            try:
                return valid_response(f, i)
            finally:
                idle.put(f)

        with concurrent.futures.ThreadPoolExecutor(len(forges)) as pool:
            valid = list(pool.map(sign, range(args.n + warm)))
        print("signed %d valid responses in %.0f s" % (len(valid), time.time() - t0))
        encrypted = base.encrypt(base.unsigned(base.response(in_response_to="")), sp_cert)
        marker = 'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"'
        malformed = encrypted.replace(marker, 'xmlns:ds="http://www.w3.org/2000/09/xmldsig"')
        logout = ('<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
                  'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_l1" Version="2.0" '
                  'IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>%s</saml:Issuer><saml:NameID>x@example.com'
                  '</saml:NameID></samlp:LogoutRequest>' % base.IDP)
        slo_query = ("SAMLRequest=" + redirect_value(logout) + "&SigAlg=" +
                     urllib.parse.quote("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", safe="") +
                     "&Signature=" + "A" * 6000)
        apache.start()
        child = None
        for _ in range(200):
            child = child_pid(apache.proc.pid)
            if child:
                break
            time.sleep(0.05)
        if not child:
            sys.exit("no Apache child found")
        s = requests.Session()
        acs = apache.url("/sso/acs")

        def post(xml, want):
            r = s.post(acs, data={"SAMLResponse": base64.b64encode(xml.encode()).decode()}, allow_redirects=False,
                       timeout=60)
            if r.status_code not in want:
                sys.exit("ACS answered %d, expected %s: %s" % (r.status_code, want, r.text[-700:]))
            s.cookies.clear()

        def signin(_):
            r = s.get(apache.url("/helpdesk/"), allow_redirects=False, timeout=60)
            if r.status_code != 302:
                sys.exit("sign-in start answered %d" % r.status_code)
            s.cookies.clear()

        def slo(_):
            r = s.get(apache.url("/sso/slo?" + slo_query), allow_redirects=False, timeout=60)
            if r.status_code not in (400, 401):
                sys.exit("slo answered %d" % r.status_code)

        phases = [("malformed", lambda i: post(malformed, (400, 401))),
                  ("valid", lambda i: post(valid[warm + i], (302,))),
                  ("sign-in", signin),
                  ("slo", slo)]
        before = memory(child)
        # Warm-up: first-use allocations (Lasso's types, caches, pools).
        for i in range(warm):
            post(malformed, (400, 401))
            post(valid[i], (302,))
            signin(i)
            slo(i)
        after_warm = memory(child)
        print("%-10s %8s %12s %12s %14s" % ("phase", "requests", "RSS KiB", "anon KiB", "anon growth"))
        print("%-10s %8s %12d %12d %14s" % ("start", "", before["Rss"], before["Anonymous"], ""))
        print("%-10s %8d %12d %12d %14s" % ("warm-up", 4 * warm, after_warm["Rss"], after_warm["Anonymous"], ""))
        grew = False
        last = after_warm
        for name, fn in phases:
            t = time.time()
            for i in range(args.n):
                fn(i)
            now = memory(child)
            growth = now["Anonymous"] - last["Anonymous"]
            grew = grew or growth > args.bound
            print("%-10s %8d %12d %12d %+13d   (%.0f s)" % (name, args.n, now["Rss"], now["Anonymous"], growth,
                                                          time.time() - t))
            last = now
        if child_pid(apache.proc.pid) != child:
            sys.exit("the Apache child changed during the soak")
        return 1 if grew else 0
    finally:
        apache.cleanup()
        for f in forges:
            f.cleanup()


if __name__ == "__main__":
    sys.exit(main())
