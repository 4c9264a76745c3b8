"""Metrics on a real Apache (prefork, several children): counters summed over
every process, served at /sso/metrics only where HelpdeskSSOMetrics is on and
only to what that <Location>'s Require admits, parsed by prometheus_client
(python3-prometheus-client, a parser nobody here wrote), kept across a
graceful restart, and shown in mod_status."""

import collections
import concurrent.futures
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import requests  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from hdsso_test import BASE_MODULES, Apache, EchoBackend, graceful_restart, remote_query  # noqa: E402

MODULES = ["mpm_prefork"] + [m for m in BASE_MODULES if m != "mpm_event"] + ["status", "substitute"]

# Port 1: the README layout (everything signed in), and a metrics location
# whose Require admits only an address no test client has. Port 2, first
# vhost: metrics for 127.0.0.1, and mod_status. Port 2, plain.test: no
# HelpdeskSSOMetrics at all.
CONF = """
StartServers 4
MinSpareServers 4
MaxSpareServers 8
ServerLimit 8
MaxRequestWorkers 8
LogLevel mpm_prefork:notice
LogFormat "%P %U %>s" pids
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1
  CustomLog {dir}/pids.log pids
  HelpdeskSSO On
  HelpdeskSSORemoteSecretFile {dir}/secret
  HelpdeskSSORemoteLoginURL http://login.example.test/remote-login
  HelpdeskSSOCookieSecure Off
  <Location />
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/
  </Location>
  <Location /sso/metrics>
    HelpdeskSSOMetrics On
    Require ip 192.0.2.1
  </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:{port2}>
  ServerName metrics.test
  HelpdeskSSO On
  HelpdeskSSORemoteSecretFile {dir}/secret
  HelpdeskSSORemoteLoginURL http://login.example.test/remote-login
  HelpdeskSSOCookieSecure Off
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/helpdesk
  </Location>
  <Location /sso/metrics>
    HelpdeskSSOMetrics On
    Require ip 127.0.0.1
    # A resource filter in the chain: shmcb's status, read for the store
    # figures, must not pass through it into the answer.
    SetOutputFilter SUBSTITUTE
    Substitute "s/hdsso_sign_outs_total/hdsso_sign_outs_total/n"
  </Location>
  <Location /server-status>
    SetHandler server-status
    Require ip 127.0.0.1
  </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:{port2}>
  ServerName plain.test
  HelpdeskSSO On
  HelpdeskSSORemoteSecretFile {dir}/secret
  HelpdeskSSORemoteLoginURL http://login.example.test/remote-login
  <Location />
    AuthType HelpdeskSSO
    Require valid-user
  </Location>
</VirtualHost>
"""

apache = None
backend = None


def setUpModule():
    global apache, backend
    backend = EchoBackend()
    apache = Apache(CONF, modules=MODULES)
    apache.fmt = {"backend": backend.port}
    apache.start()


def tearDownModule():
    apache.cleanup()
    backend.stop()


def get(path, second=False, headers=None, method="GET", host=None):
    h = dict(headers or {})
    if host:
        h["Host"] = host
    return requests.request(method, apache.url(path, second), headers=h, allow_redirects=False, timeout=30)


def scrape(server=None):
    """The metrics (of `server`, default the module's Apache) as
    prometheus_client parses them: {(name, labels): value} and {family: type}."""
    r = requests.get((server or apache).url("/sso/metrics", True), allow_redirects=False, timeout=30)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
    values, types = {}, {}
    for family in text_string_to_metric_families(r.text):
        types[family.name] = family.type
        for s in family.samples:
            values[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return values, types


def value(values, name, **labels):
    return values.get((name, tuple(sorted(labels.items()))), 0)


def sign_in(i):
    r = get("/sso/remote?" + remote_query("User %d" % i, "user%d@example.com" % i))
    assert r.status_code == 302 and "hdsso_session=" in r.headers.get("Set-Cookie", ""), (r.status_code, r.text)
    return r.headers["Set-Cookie"].split(";")[0]


class MetricsTest(unittest.TestCase):
    def test_sign_ins_summed_over_every_process(self):
        before, _ = scrape()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            cookies = list(pool.map(sign_in, range(60)))
        self.assertEqual(60, len(set(cookies)))
        pids = collections.Counter(
            line.split()[0] for line in open(os.path.join(apache.dir, "pids.log")) if " /sso/remote " in line)
        self.assertGreater(len(pids), 1, "every sign-in was served by one process: %s" % pids)
        after, types = scrape()
        for name, labels in (("hdsso_sign_ins_total", {"method": "remote", "idp": "remote"}),
                             ("hdsso_sessions_created_total", {})):
            self.assertEqual(60, value(after, name, **labels) - value(before, name, **labels), name)
        self.assertEqual("counter", types["hdsso_sign_ins"])
        self.assertEqual("histogram", types["hdsso_request_duration_seconds"])
        count = value(after, "hdsso_request_duration_seconds_count", phase="remote") - \
            value(before, "hdsso_request_duration_seconds_count", phase="remote")
        self.assertEqual(60, count)

    def test_failures_replays_and_sign_outs(self):
        before, _ = scrape()
        q = remote_query("Replay", "replay@example.com")
        self.assertEqual(302, get("/sso/remote?" + q).status_code)
        self.assertEqual(401, get("/sso/remote?" + q).status_code)
        forged = remote_query("Forged", "forged@example.com").replace("forged%40", "admin%40")
        self.assertEqual(401, get("/sso/remote?" + forged).status_code)
        cookie = sign_in(1000)
        self.assertEqual(200, get("/sso/logout", headers={"Cookie": cookie}).status_code)
        self.assertEqual(200, get("/sso/logout").status_code)  # no session: nobody signs out
        after, _ = scrape()

        def delta(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)
        self.assertEqual(1, delta("hdsso_failures_total", error="remote.replayed"))
        self.assertEqual(1, delta("hdsso_replays_refused_total", method="remote"))
        self.assertEqual(1, delta("hdsso_failures_total", error="remote.bad_signature"))
        self.assertEqual(1, delta("hdsso_sign_outs_total"))
        self.assertEqual(0, delta("hdsso_store_errors_total", error="store.unavailable"))

    def test_authentication_hook_timed(self):
        before, _ = scrape()
        cookie = sign_in(2000)
        for _ in range(5):
            self.assertEqual(200, get("/ticket", headers={"Cookie": cookie}).status_code)
        after, _ = scrape()
        n = value(after, "hdsso_request_duration_seconds_count", phase="authn") - \
            value(before, "hdsso_request_duration_seconds_count", phase="authn")
        self.assertGreaterEqual(n, 5)
        inf = value(after, "hdsso_request_duration_seconds_bucket", phase="authn", le="+Inf")
        self.assertEqual(inf, value(after, "hdsso_request_duration_seconds_count", phase="authn"))
        self.assertGreater(value(after, "hdsso_request_duration_seconds_sum", phase="authn"), 0)

    def test_refused_where_require_does_not_admit(self):
        # Port 1 admits 192.0.2.1 only. Apache's Require needs no user to
        # refuse: 403 before any sign-in, with or without a session; never
        # the counters.
        for headers in ({}, {"Accept": "application/json"}, {"Cookie": sign_in(3000)}):
            r = get("/sso/metrics", headers=headers)
            self.assertEqual(403, r.status_code, headers)
            self.assertNotIn("hdsso_sign_ins_total", r.text)

    def test_not_served_without_the_directive(self):
        r = get("/sso/metrics", second=True, host="plain.test")
        self.assertEqual(404, r.status_code)
        self.assertNotIn("hdsso_", r.text)

    def test_other_methods_refused(self):
        for method in ("POST", "HEAD", "PUT"):
            r = get("/sso/metrics", second=True, method=method)
            self.assertEqual(405, r.status_code, method)
            self.assertIn("GET", r.headers.get("Allow", ""))

    def test_kept_across_a_graceful_restart(self):
        sign_in(4000)
        before, _ = scrape()
        graceful_restart(apache)
        after, _ = scrape()
        for name, labels in (("hdsso_sign_ins_total", {"method": "remote", "idp": "remote"}),
                             ("hdsso_sessions_created_total", {})):
            self.assertGreaterEqual(value(after, name, **labels), value(before, name, **labels))
            self.assertGreater(value(after, name, **labels), 0)

    def test_mod_status_shows_the_counters(self):
        sign_in(5000)
        auto = get("/server-status?auto", second=True)
        self.assertEqual(200, auto.status_code)
        self.assertRegex(auto.text, r'(?m)^hdsso_sign_ins_total\{method="remote",idp="remote"\}: [1-9]')
        self.assertNotIn("# HELP", auto.text)
        page = get("/server-status", second=True)
        self.assertIn("<h2>mod_helpdesk_sso</h2>", page.text)
        self.assertRegex(page.text, r"hdsso_sign_ins_total\{method=&quot;remote&quot;")

    def test_store_figures(self):
        for i in range(10):
            sign_in(6000 + i)
        after, types = scrape()
        self.assertEqual("gauge", types["hdsso_store_entries"])
        self.assertEqual("gauge", types["hdsso_store_capacity"])
        self.assertEqual("counter", types["hdsso_store_evictions"])
        # Sessions in shmcb (read from its own status), replay records in
        # the module's table: at least the ten just made, nothing evicted.
        self.assertGreaterEqual(value(after, "hdsso_store_entries", engine="shmcb", store="sessions"), 10)
        self.assertGreaterEqual(value(after, "hdsso_store_entries", engine="table", store="replay"), 10)
        self.assertGreaterEqual(value(after, "hdsso_store_capacity", engine="table", store="replay"), 65536)
        raw = get("/sso/metrics", second=True).text
        self.assertNotIn("CacheType", raw)  # shmcb's own status stays out of the answer
        self.assertNotIn("SHMCB", raw)
        self.assertIn(("hdsso_store_evictions_total", (("engine", "shmcb"), ("store", "sessions"))), after)
        self.assertEqual(0, value(after, "hdsso_store_evictions_total", engine="shmcb", store="sessions"))
        # mod_status shows the table's figures too (not shmcb's: its page has begun).
        auto = get("/server-status?auto", second=True)
        self.assertRegex(auto.text, r'(?m)^hdsso_store_entries\{engine="table",store="replay"\}: [1-9]')

    def test_store_evictions_counted_when_the_session_cache_is_full(self):
        conf = CONF.replace("StartServers 4", "HelpdeskSSOCache shmcb:{dir}/tiny.cache(16384)\nStartServers 4")
        tiny = Apache(conf, modules=MODULES)
        tiny.fmt = {"backend": backend.port}
        try:
            tiny.start()
            for i in range(60):
                r = requests.get(tiny.url("/sso/remote?" + remote_query("Tiny %d" % i, "tiny%d@example.com" % i)),
                                 allow_redirects=False, timeout=30)
                self.assertEqual(302, r.status_code, r.text[:300])
            got, _ = scrape(tiny)
            evicted = value(got, "hdsso_store_evictions_total", engine="shmcb", store="sessions")
            held = value(got, "hdsso_store_entries", engine="shmcb", store="sessions")
            self.assertGreater(evicted, 0, got)
            self.assertLess(held, 60)
            self.assertGreater(held, 0)
        finally:
            tiny.cleanup()

    def test_collect_off_counts_nothing_and_serves_nothing(self):
        conf = CONF.replace("StartServers 4", "HelpdeskSSOMetricsCollect Off\nStartServers 4")
        off = Apache(conf, modules=MODULES)
        off.fmt = {"backend": backend.port}
        try:
            off.start()
            r = requests.get(off.url("/sso/remote?" + remote_query("Off", "off@example.com")),
                             allow_redirects=False, timeout=30)
            self.assertEqual(302, r.status_code)
            r = requests.get(off.url("/sso/metrics", second=True), allow_redirects=False, timeout=30)
            self.assertEqual(404, r.status_code)
            self.assertNotIn("hdsso_", r.text)
        finally:
            off.cleanup()

    def test_directive_outside_a_location_refused_by_apachectl(self):
        for conf in ("HelpdeskSSO On\nHelpdeskSSOMetrics On\n",
                     "HelpdeskSSO On\n<Location />\n  HelpdeskSSOMetrics On\n  Require all granted\n</Location>\n"):
            bad = Apache(conf, modules=MODULES)
            try:
                rc, out = bad.config_test()
                self.assertNotEqual(0, rc, conf)
                self.assertIn("HelpdeskSSOMetrics belongs in the <Location PREFIX/metrics>", out)
            finally:
                bad.cleanup()


if __name__ == "__main__":
    unittest.main()
