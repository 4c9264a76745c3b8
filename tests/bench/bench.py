"""Benchmark: the same static page from plain Apache and from Apache with
mod_helpdesk_sso and a valid session, measured with wrk on loopback in one
run, interleaved and repeated. Reports requests/s, p50/p99 latency and server
CPU time per request (utime+stime of the Apache processes / requests), and
the ratios. Targets (issue 2): throughput >= 0.9x plain, CPU <= +10 us/request.
Issue 13: the metrics' cost (the module with HelpdeskSSOMetricsCollect Off,
"bare"), and the latency while the IdP metadata is refreshed in the
background ("refresh": the same site with a HelpdeskSSOSAMLIdPMetadataURL
whose document changes on every fetch, every 5 s, so each child rebuilds its
SAML SP during the runs) against the same SAML site with the same metadata
from a file ("static").

Not a test: it prints figures and never fails on them."""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import requests  # noqa: E402

from hdsso_test import Apache, remote_query  # noqa: E402
from served import Served, make_ca, openssl  # noqa: E402

PLAIN = """
<Location /helpdesk>
  Require all granted
</Location>
Alias /helpdesk {dir}/htdocs
"""

PROTECTED = """
HelpdeskSSO On
HelpdeskSSORemoteSecretFile {dir}/secret
HelpdeskSSORemoteLoginURL https://login.example.test/
HelpdeskSSOCookieSecure Off
Alias /helpdesk {dir}/htdocs
<Location /helpdesk>
  AuthType HelpdeskSSO
  Require valid-user
</Location>
"""

STATIC = """
HelpdeskSSOSAMLBaseURL http://127.0.0.1:{port}
HelpdeskSSOSAMLIdPMetadataFile {dir}/md/idp.xml
"""

REFRESHING = """
HelpdeskSSOSAMLBaseURL http://127.0.0.1:{port}
HelpdeskSSOSAMLIdPMetadataURL https://127.0.0.1:{tls}/idp.xml {dir}/md/idp.xml refresh=5 ca={dir}/ca.crt
"""

PAGE = "<!DOCTYPE html><title>Helpdesk</title><p>" + "Ticket list. " * 200 + "</p>\n"
TICKS = os.sysconf("SC_CLK_TCK")


def apache_cpu_seconds(parent_pid):
    """utime+stime of the parent and its live children, plus the parent's
    cutime+cstime (children that have exited)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        if pid == parent_pid:
            total += sum(int(x) for x in fields[11:15])
        elif ppid == parent_pid:
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def to_us(value, unit):
    return float(value) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]


def run_wrk(url, seconds, connections, threads, cookie=None):
    cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds, "--latency", url]
    if cookie:
        cmd[1:1] = ["-H", "Cookie: " + cookie]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    lat = dict((p, to_us(v, u)) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "requests": total, "p50": lat["50"], "p99": lat["99"],
            "bad": int(non2xx.group(1)) if non2xx else 0}


class MetadataServer:
    """IdP metadata over TLS on loopback, different on every fetch (a
    comment with a counter), so every refresh rebuilds the SP."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="hdsso-bench-md-")
        self.ca, crt, key = make_ca(self.tmp.name, "bench")
        idp = os.path.join(self.tmp.name, "idp.crt")
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=bench IdP",
                "-keyout", os.path.join(self.tmp.name, "idp.key"), "-out", idp)
        cert = "".join(line for line in open(idp).read().splitlines() if "-----" not in line)
        self.template = (
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.bench.test/">'
            '<!-- %d --><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>' + cert +
            '</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            'Location="https://idp.bench.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>')
        self.served = Served("application/samlmetadata+xml")
        self.served.docs["/idp.xml"] = (200, lambda: self.template % self.fetches)
        self.port = self.served.start(tls=(crt, key)).server_address[1]

    @property
    def fetches(self):
        return self.served.count("/idp.xml")

    def stop(self):
        self.served.stop()
        self.tmp.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    plain = Apache(PLAIN, load_module=False, access_log=False, extra_files={"htdocs/page.html": PAGE})
    sso = Apache(PROTECTED, access_log=False, extra_files={"htdocs/page.html": PAGE})
    # The same module with its metrics off (issue 13: their cost).
    bare = Apache("HelpdeskSSOMetricsCollect Off\n" + PROTECTED, access_log=False,
                  extra_files={"htdocs/page.html": PAGE})
    md = MetadataServer()
    refresh = Apache(PROTECTED + REFRESHING, access_log=False, extra_files={"htdocs/page.html": PAGE})
    refresh.fmt = {"tls": md.port}
    with open(md.ca) as fh:
        refresh.write("ca.crt", fh.read())
    os.makedirs(os.path.join(refresh.dir, "md"))
    if os.geteuid() == 0:
        subprocess.run(["chown", "www-data", os.path.join(refresh.dir, "md")], check=True)
    static = Apache(PROTECTED + STATIC, access_log=False,
                    extra_files={"htdocs/page.html": PAGE, "md/idp.xml": md.template % 0})
    servers = (plain, sso, bare, static, refresh)
    try:
        for a in servers:
            a.start()
        cookies = {}
        for a in (sso, bare, static, refresh):
            r = requests.get(a.url("/sso/remote?" + remote_query("Bench User", "bench@example.com")),
                             allow_redirects=False, timeout=30)
            cookies[a] = r.headers["Set-Cookie"].split(";", 1)[0]
        cookie = cookies[sso]
        for a, c in ((plain, None), (sso, cookie), (bare, cookies[bare]), (static, cookies[static]),
                     (refresh, cookies[refresh])):
            check = requests.get(a.url("/helpdesk/page.html"), headers={"Cookie": c} if c else {},
                                 allow_redirects=False, timeout=30)
            assert check.status_code == 200 and check.text == PAGE, (check.status_code, a.error_log())
        assert requests.get(sso.url("/helpdesk/page.html"), allow_redirects=False, timeout=30).status_code == 302

        results = {"plain": [], "sso": [], "bare": [], "static": [], "refresh": []}
        runs = [("plain", plain, None), ("sso", sso, cookie), ("bare", bare, cookies[bare]),
                ("static", static, cookies[static]), ("refresh", refresh, cookies[refresh])]
        changed = 0
        for rnd in range(args.rounds):
            order = runs if rnd % 2 == 0 else runs[::-1]
            for name, a, c in order:
                before = apache_cpu_seconds(a.proc.pid)
                log_before = a.error_log().count("HDSSO070")
                res = run_wrk(a.url("/helpdesk/page.html"), args.seconds, args.connections, args.threads, c)
                res["cpu_us"] = (apache_cpu_seconds(a.proc.pid) - before) * 1e6 / max(res["requests"], 1)
                results[name].append(res)
                extra = ""
                if a is refresh:
                    n = a.error_log().count("HDSSO070") - log_before
                    changed += n
                    extra = "  SP rebuilt by %d refreshes" % n
                print("round %d %-7s %9.0f req/s  p50 %7.1f us  p99 %8.1f us  cpu %6.2f us/req  non-2xx %d%s"
                      % (rnd + 1, name, res["rps"], res["p50"], res["p99"], res["cpu_us"], res["bad"], extra),
                      flush=True)
    finally:
        for a in servers:
            a.cleanup()
        md.stop()

    med = {n: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99", "cpu_us")}
           for n, rs in results.items()}
    print("\nmedians over %d rounds of %d s, %d connections:" % (args.rounds, args.seconds, args.connections))
    print("%-28s %12s %12s %10s" % ("", "plain", "module", "ratio"))
    for key, label in (("rps", "requests/s"), ("p50", "p50 latency (us)"), ("p99", "p99 latency (us)"),
                       ("cpu_us", "server CPU per request (us)")):
        print("%-28s %12.1f %12.1f %10.3f" % (label, med["plain"][key], med["sso"][key],
                                              med["sso"][key] / med["plain"][key]))
    print("\nthroughput ratio (module/plain): %.3f   target >= 0.9" % (med["sso"]["rps"] / med["plain"]["rps"]))
    print("server CPU added per request:    %+.2f us   target <= +10 us"
          % (med["sso"]["cpu_us"] - med["plain"]["cpu_us"]))
    print("metrics: server CPU per request %+.2f us over the module without them (bare); target <= +2 us"
          % (med["sso"]["cpu_us"] - med["bare"]["cpu_us"]))
    print("metrics: p99 %.1f us with, %.1f us without" % (med["sso"]["p99"], med["bare"]["p99"]))
    print("background refresh: p99 %.1f us while the metadata is refreshed (%d changed documents applied in the "
          "runs, %d fetches), %.1f us with the same metadata from a file; ratio %.3f (p50 %.1f vs %.1f us)"
          % (med["refresh"]["p99"], changed, md.fetches, med["static"]["p99"],
             med["refresh"]["p99"] / med["static"]["p99"], med["refresh"]["p50"], med["static"]["p50"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
