"""Benchmark: the same static page from plain Apache and from Apache with
mod_helpdesk_sso and a valid session, measured with wrk on loopback in one
run, interleaved and repeated. Reports requests/s, p50/p99 latency and server
CPU time per request (utime+stime of the Apache processes / requests), and
the ratios. Targets (issue 2): throughput >= 0.9x plain, CPU <= +10 us/request.

Not a test: it prints figures and never fails on them."""

import argparse
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import requests  # noqa: E402

from hdsso_test import Apache, remote_query  # noqa: E402

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
    try:
        plain.start()
        sso.start()
        bare.start()
        cookies = {}
        for a in (sso, bare):
            r = requests.get(a.url("/sso/remote?" + remote_query("Bench User", "bench@example.com")),
                             allow_redirects=False, timeout=30)
            cookies[a] = r.headers["Set-Cookie"].split(";", 1)[0]
        cookie = cookies[sso]
        for a, c in ((plain, None), (sso, cookie), (bare, cookies[bare])):
            check = requests.get(a.url("/helpdesk/page.html"), headers={"Cookie": c} if c else {},
                                 allow_redirects=False, timeout=30)
            assert check.status_code == 200 and check.text == PAGE, (check.status_code, a.error_log())
        assert requests.get(sso.url("/helpdesk/page.html"), allow_redirects=False, timeout=30).status_code == 302

        results = {"plain": [], "sso": [], "bare": []}
        runs = [("plain", plain, None), ("sso", sso, cookie), ("bare", bare, cookies[bare])]
        for rnd in range(args.rounds):
            order = runs if rnd % 2 == 0 else runs[::-1]
            for name, a, c in order:
                before = apache_cpu_seconds(a.proc.pid)
                res = run_wrk(a.url("/helpdesk/page.html"), args.seconds, args.connections, args.threads, c)
                res["cpu_us"] = (apache_cpu_seconds(a.proc.pid) - before) * 1e6 / max(res["requests"], 1)
                results[name].append(res)
                print("round %d %-5s %9.0f req/s  p50 %7.1f us  p99 %8.1f us  cpu %6.2f us/req  non-2xx %d"
                      % (rnd + 1, name, res["rps"], res["p50"], res["p99"], res["cpu_us"], res["bad"]), flush=True)
    finally:
        plain.cleanup()
        sso.cleanup()
        bare.cleanup()

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
