"""Benchmark of the session and replay stores: the same authenticated page and
the same sign-in through Apache with the module on shmcb (the default),
memcached and Redis (both started here, on loopback), against plain Apache
serving the page, in one run, interleaved and repeated. Also measures what
one session and one replay record cost in each store.

- Authenticated request: wrk with a session cookie, HelpdeskSSOSessionCacheTTL
  0 so that every request reads the store (the worst case; the default 10 s
  process cache hides the store after the first read).
- Sign-in: sequential remote-auth sign-ins (one-time record + session write)
  from one client; the baseline is a plain GET of the same Apache.
- Bytes: Redis INFO used_memory and memcached `stats` bytes before and after N
  sign-ins; for shmcb, the encoded session record and the replay table's slot.

Not a test: it prints figures and never fails on them."""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import requests  # noqa: E402

from bench import PAGE, PLAIN, apache_cpu_seconds, run_wrk  # noqa: E402
from hdsso_test import Apache, free_port, remote_query, wait_for_port  # noqa: E402

PROTECTED = """
{cache}
HelpdeskSSOSessionCacheTTL 0
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


def start_memcached(port):
    cmd = ["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "256", "-M"]
    if os.geteuid() == 0:
        cmd += ["-u", "nobody"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, proc=proc)
    return proc


def start_redis(port, tmp):
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", tmp, "--maxmemory-policy", "noeviction"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, proc=proc)
    return proc


def memcached_bytes(port):
    import socket
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"stats\r\n")
        data = b""
        while not data.endswith(b"END\r\n"):
            data += s.recv(65536)
    return int(re.search(rb"STAT bytes (\d+)", data).group(1))


def redis_bytes(port):
    out = subprocess.run(["redis-cli", "-p", str(port), "info", "memory"], capture_output=True, text=True).stdout
    return int(re.search(r"used_memory:(\d+)", out).group(1))


def sign_in(apache, i, session):
    r = session.get(apache.url("/sso/remote?" + remote_query("User %d" % i, "user%d@example.com" % i)),
                    allow_redirects=False, timeout=30)
    assert r.status_code == 302 and "Set-Cookie" in r.headers, (r.status_code, r.text[:200])
    return r.headers["Set-Cookie"].split(";", 1)[0]


def time_sign_ins(apache, start, n):
    with requests.Session() as s:
        t0 = time.perf_counter()
        for i in range(start, start + n):
            sign_in(apache, i, s)
        return (time.perf_counter() - t0) / n * 1e6


def time_plain_gets(apache, n):
    with requests.Session() as s:
        t0 = time.perf_counter()
        for _ in range(n):
            assert s.get(apache.url("/helpdesk/page.html"), timeout=30).status_code == 200
        return (time.perf_counter() - t0) / n * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--sign-ins", type=int, default=300)
    ap.add_argument("--bytes-sample", type=int, default=2000)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="hdsso-store-bench-")
    mc_port, redis_port = free_port(), free_port()
    procs = [start_memcached(mc_port), start_redis(redis_port, tmp)]
    caches = {"shmcb": "", "memcached": "HelpdeskSSOCache memcache:127.0.0.1:%d" % mc_port,
              "redis": "HelpdeskSSOCache redis:127.0.0.1:%d" % redis_port}
    servers = {"plain": Apache(PLAIN, load_module=False, access_log=False, extra_files={"htdocs/page.html": PAGE})}
    for name, line in caches.items():
        servers[name] = Apache(PROTECTED, access_log=False, extra_files={"htdocs/page.html": PAGE})
        servers[name].fmt = {"cache": line}
    try:
        for a in servers.values():
            a.start()
        cookies = {}
        counter = 0
        for name in caches:
            with requests.Session() as s:
                cookies[name] = sign_in(servers[name], counter, s)
                counter += 1
            r = requests.get(servers[name].url("/helpdesk/page.html"), headers={"Cookie": cookies[name]},
                             allow_redirects=False, timeout=30)
            assert r.status_code == 200, (name, r.status_code, servers[name].error_log()[-2000:])

        # Bytes per session + replay record, from the stores' own counters.
        sizes = {}
        before = {"memcached": memcached_bytes(mc_port), "redis": redis_bytes(redis_port)}
        for name in ("memcached", "redis"):
            time_sign_ins(servers[name], counter, args.bytes_sample)
            counter += args.bytes_sample
        sizes["memcached"] = (memcached_bytes(mc_port) - before["memcached"]) / args.bytes_sample
        sizes["redis"] = (redis_bytes(redis_port) - before["redis"]) / args.bytes_sample

        results = {n: [] for n in servers}
        signin = {n: [] for n in servers}
        order = list(servers.items())
        for rnd in range(args.rounds):
            for name, a in (order if rnd % 2 == 0 else order[::-1]):
                cpu0 = apache_cpu_seconds(a.proc.pid)
                res = run_wrk(a.url("/helpdesk/page.html"), args.seconds, args.connections, 1, cookies.get(name))
                res["cpu_us"] = (apache_cpu_seconds(a.proc.pid) - cpu0) * 1e6 / max(res["requests"], 1)
                results[name].append(res)
                if name == "plain":
                    signin[name].append(time_plain_gets(a, args.sign_ins))
                else:
                    signin[name].append(time_sign_ins(a, counter, args.sign_ins))
                    counter += args.sign_ins
                print("round %d %-9s %9.0f req/s  p99 %8.1f us  cpu %6.2f us/req  non-2xx %d  sign-in %7.1f us"
                      % (rnd + 1, name, res["rps"], res["p99"], res["cpu_us"], res["bad"], signin[name][-1]),
                      flush=True)
    finally:
        for a in servers.values():
            a.cleanup()
        for p in procs:
            p.terminate()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    med = {n: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p99", "cpu_us")} for n, rs in results.items()}
    print("\nmedians over %d rounds; authenticated page with HelpdeskSSOSessionCacheTTL 0 (every request reads "
          "the store); sign-in: sequential, one client" % args.rounds)
    print("%-10s %11s %9s %12s %12s %14s %10s" % ("", "requests/s", "ratio", "cpu us/req", "+cpu us/req",
                                                  "sign-in us", "ratio"))
    base = med["plain"]
    base_signin = statistics.median(signin["plain"])
    for name in servers:
        m = med[name]
        si = statistics.median(signin[name])
        print("%-10s %11.0f %9.3f %12.2f %+12.2f %14.1f %10.2f" % (name, m["rps"], m["rps"] / base["rps"], m["cpu_us"],
                                                              m["cpu_us"] - base["cpu_us"], si, si / base_signin))
    print("\nbytes per session + its replay record (store's own counters, %d sign-ins):" % args.bytes_sample)
    for name, b in sizes.items():
        print("  %-10s %8.0f bytes" % (name, b))
    return 0


if __name__ == "__main__":
    sys.exit(main())
