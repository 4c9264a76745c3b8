"""Instructions per request, counted by callgrind (repeatable whatever else
the machine does): the same static page from plain Apache and from Apache
with the module and a valid session, each run as one process (-X) under
valgrind, counting only inside ap_run_process_connection; two runs of different
lengths are subtracted, so start-up, sign-in and warm-up cancel out.

Target (issue 11): the module's authenticated request at most 1.5x plain
Apache's instructions. Not a test: it prints figures and never fails."""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import requests  # noqa: E402

from bench import PAGE, PLAIN, PROTECTED  # noqa: E402
from hdsso_test import APACHE_BIN, BASE_MODULES, Apache, remote_query, wait_for_port  # noqa: E402

# No mod_cgid: its daemon would be a second process under valgrind.
MODULES = [m for m in BASE_MODULES if m != "cgid"]


def count(apache, requests_n):
    """Instructions callgrind counts inside ap_run_process_connection (so not
    Apache's start-up) for a sign-in (module only), 20 warm-up requests and
    then requests_n requests on one keep-alive connection."""
    path = apache.write("httpd.conf", apache.config_text())
    out = os.path.join(apache.dir, "callgrind-%d.out" % requests_n)
    # As root, Apache's worker would switch to www-data and could not write
    # the counts valgrind opened as root: run the whole instance as www-data.
    runas = []
    if os.geteuid() == 0:
        for root, dirs, files in os.walk(apache.dir):
            for name in dirs + files:
                shutil.chown(os.path.join(root, name), "www-data", "www-data")
        shutil.chown(apache.dir, "www-data", "www-data")
        runas = ["runuser", "-u", "www-data", "--"]
    proc = subprocess.Popen(runas + ["valgrind", "--tool=callgrind", "--collect-atstart=no",
                             "--toggle-collect=ap_run_process_connection", "--callgrind-out-file=" + out,
                             APACHE_BIN, "-X", "-f", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_for_port(apache.port, deadline_s=300, proc=proc)
        headers = {}
        with requests.Session() as s:
            if apache.load_module:
                r = s.get(apache.url("/sso/remote?" + remote_query("Bench User", "bench@example.com")),
                          allow_redirects=False, timeout=120)
                headers = {"Cookie": r.headers["Set-Cookie"].split(";", 1)[0]}
            for _ in range(20 + requests_n):
                r = s.get(apache.url("/helpdesk/page.html"), headers=headers, timeout=120)
                assert r.status_code == 200 and r.text == PAGE, r.status_code
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    total = 0
    for dump in glob.glob(out + "*"):
        with open(dump) as f:
            m = re.search(r"^(?:summary|totals):\s+(\d+)", f.read(), re.M)
            total += int(m.group(1)) if m else 0
    return total


def per_request(make, n1, n2):
    """The difference of two runs (each on an Apache of its own) cancels
    start-up, sign-in and warm-up."""
    totals = []
    for n in (n1, n2):
        apache = make()
        try:
            totals.append(count(apache, n))
        finally:
            apache.cleanup()
    return (totals[1] - totals[0]) / (n2 - n1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    def plain():
        return Apache(PLAIN, modules=MODULES, load_module=False, access_log=False,
                      extra_files={"htdocs/page.html": PAGE})

    def sso():
        return Apache(PROTECTED, modules=MODULES, access_log=False, extra_files={"htdocs/page.html": PAGE})

    def sso_without_metrics():
        return Apache("HelpdeskSSOMetricsCollect Off\n" + PROTECTED, modules=MODULES, access_log=False,
                      extra_files={"htdocs/page.html": PAGE})

    base = per_request(plain, 20, 20 + args.requests)
    mine = per_request(sso, 20, 20 + args.requests)
    without = per_request(sso_without_metrics, 20, 20 + args.requests)
    print("\ninstructions per request (callgrind, difference of runs %d requests apart):" % args.requests)
    print("  plain Apache           %10.0f" % base)
    print("  module, signed in      %10.0f   ratio %.2f   target <= 1.5" % (mine, mine / base))
    print("  the same, no metrics   %10.0f   metrics add %+.0f instructions per request" % (without, mine - without))
    return 0


if __name__ == "__main__":
    sys.exit(main())
