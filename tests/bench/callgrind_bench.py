"""Instructions per request, counted by callgrind (repeatable whatever else
the machine does): the same static page from plain Apache and from Apache
with the module and a valid session, each run as one process (-X) under
valgrind. Counts are zeroed after a warm-up and dumped after N requests.

Target (issue 11): the module's authenticated request at most 1.5x plain
Apache's instructions. Not a test: it prints figures and never fails."""

import argparse
import glob
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import requests  # noqa: E402

from bench import PAGE, PLAIN, PROTECTED  # noqa: E402
from hdsso_test import APACHE_BIN, Apache, remote_query, wait_for_port  # noqa: E402


def count(apache, requests_n, cookie):
    path = apache.write("httpd.conf", apache.config_text())
    out = os.path.join(apache.dir, "cg.out")
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out + ".%p",
                             APACHE_BIN, "-X", "-f", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_for_port(apache.port, deadline_s=300, proc=proc)
        headers = {"Cookie": cookie} if cookie else {}
        with requests.Session() as s:
            if cookie is None and apache.load_module:
                r = s.get(apache.url("/sso/remote?" + remote_query("Bench User", "bench@example.com")),
                          allow_redirects=False, timeout=120)
                headers = {"Cookie": r.headers["Set-Cookie"].split(";", 1)[0]}
            for _ in range(20):
                assert s.get(apache.url("/helpdesk/page.html"), headers=headers, timeout=120).text == PAGE
            subprocess.run(["callgrind_control", "-z", str(proc.pid)], check=True, capture_output=True, timeout=120)
            for _ in range(requests_n):
                assert s.get(apache.url("/helpdesk/page.html"), headers=headers, timeout=120).status_code == 200
            subprocess.run(["callgrind_control", "-d", str(proc.pid)], check=True, capture_output=True, timeout=120)
        total = 0
        for dump in glob.glob(out + ".%d.*" % proc.pid):
            with open(dump) as f:
                m = re.search(r"^(?:summary|totals):\s+(\d+)", f.read(), re.M)
                total += int(m.group(1)) if m else 0
        return total / requests_n
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    plain = Apache(PLAIN, load_module=False, access_log=False, extra_files={"htdocs/page.html": PAGE})
    sso = Apache(PROTECTED, access_log=False, extra_files={"htdocs/page.html": PAGE})
    try:
        base = count(plain, args.requests, None)
        mine = count(sso, args.requests, None)
    finally:
        plain.cleanup()
        sso.cleanup()
    print("\ninstructions per request (callgrind, %d requests after a warm-up):" % args.requests)
    print("  plain Apache           %10.0f" % base)
    print("  module, signed in      %10.0f   ratio %.2f   target <= 1.5" % (mine, mine / base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
