"""Several Apache servers behind one name share sessions and replay state
through memcached or Redis (mod_socache_memcache / mod_socache_redis), both
started here on loopback; and the module fails closed when the cache is gone."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import requests  # noqa: E402

from hdsso_test import Apache, EchoBackend, free_port, remote_query, wait_for_port  # noqa: E402

CONF = """
HelpdeskSSOCache {cache}
HelpdeskSSOSessionCacheTTL 0
<VirtualHost 127.0.0.1:{port}>
  ServerName helpdesk.example.test
  HelpdeskSSO On
  HelpdeskSSORemoteSecretFile {dir}/secret
  HelpdeskSSORemoteLoginURL https://login.example.test/
  HelpdeskSSOCookieSecure Off
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/helpdesk
  </Location>
  <Location /sso/metrics>
    HelpdeskSSOMetrics On
    Require ip 127.0.0.1
  </Location>
</VirtualHost>
"""


def start_memcached(port):
    cmd = ["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0"]
    if os.geteuid() == 0:
        cmd += ["-u", "nobody"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_redis(port, tmp):
    return subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", tmp],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class SharedCacheBase:
    kind = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hdsso-cache-")
        self.cache_port = free_port()
        self.cache = start_memcached(self.cache_port) if self.kind == "memcache" else \
            start_redis(self.cache_port, self.tmp)
        wait_for_port(self.cache_port, proc=self.cache)
        self.backend = EchoBackend()
        self.servers = []
        for _ in range(2):
            a = Apache(CONF)
            a.fmt = {"backend": self.backend.port, "cache": "%s:127.0.0.1:%d" % (self.kind, self.cache_port)}
            self.servers.append(a.start())

    def tearDown(self):
        for a in self.servers:
            a.cleanup()
        self.backend.stop()
        stop(self.cache)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def get(self, server, path, cookie=None):
        return requests.get(server.url(path), headers={"Cookie": cookie} if cookie else {},
                            allow_redirects=False, timeout=30)

    def test_session_from_one_server_valid_on_the_other(self):
        a, b = self.servers
        r = self.get(a, "/sso/remote?" + remote_query("Jane Doe", "jane@example.com"))
        self.assertEqual(302, r.status_code, r.text + a.error_log())
        cookie = r.headers["Set-Cookie"].split(";", 1)[0]
        r = self.get(b, "/helpdesk/", cookie)
        self.assertEqual(200, r.status_code, b.error_log())
        self.assertEqual("jane@example.com", {k.lower(): v for k, v in r.json()["headers"]}["x-remote-user"])

    def test_replay_across_servers_rejected(self):
        a, b = self.servers
        q = remote_query("Jane Doe", "replay@example.com")
        self.assertEqual(302, self.get(a, "/sso/remote?" + q).status_code)
        r = self.get(b, "/sso/remote?" + q)
        self.assertEqual(401, r.status_code)
        self.assertIn("remote.replayed", r.text)

    def test_logout_on_one_server_ends_session_on_both(self):
        a, b = self.servers
        r = self.get(a, "/sso/remote?" + remote_query("Jane Doe", "out@example.com"))
        cookie = r.headers["Set-Cookie"].split(";", 1)[0]
        self.assertEqual(200, self.get(b, "/helpdesk/", cookie).status_code)
        self.assertEqual(200, self.get(a, "/helpdesk/", cookie).status_code)
        self.get(b, "/sso/logout", cookie)
        self.assertEqual(302, self.get(a, "/helpdesk/", cookie).status_code)
        self.assertEqual(302, self.get(b, "/helpdesk/", cookie).status_code)

    def metric(self, server, name):
        r = self.get(server, "/sso/metrics")
        self.assertEqual(200, r.status_code, r.text[:300])
        m = re.search(r'(?m)^%s\{engine="%s",store="shared"\} (\d+)$' % (name, self.kind), r.text)
        self.assertIsNotNone(m, "%s not in:\n%s" % (name, r.text))
        return int(m.group(1))

    def test_store_figures_from_the_server(self):
        # The store's own count of what it holds (sessions, one-time records
        # and the sealing key of both servers): it grows by at least the
        # session and the replay record of each sign-in, whichever server
        # is asked; nothing evicted.
        a, b = self.servers
        before = self.metric(a, "hdsso_store_entries")
        for i in range(5):
            self.assertEqual(302, self.get(b, "/sso/remote?" + remote_query("U", "u%d@example.com" % i)).status_code)
        self.assertGreaterEqual(self.metric(a, "hdsso_store_entries") - before, 10)
        self.assertEqual(self.metric(a, "hdsso_store_entries"), self.metric(b, "hdsso_store_entries"))
        self.assertEqual(0, self.metric(a, "hdsso_store_evictions_total"))

    def test_cache_down_fails_closed(self):
        a, _ = self.servers
        stop(self.cache)
        # The metrics leave the store's figures out, and say why in the log.
        r = self.get(a, "/sso/metrics")
        self.assertEqual(200, r.status_code)
        self.assertNotIn("hdsso_store_entries", r.text)
        self.assertRegex(a.error_log(), r"HDSSO062: the %s store's figures are left out of the metrics: "
                                        r"store\.unavailable" % self.kind)
        r = self.get(a, "/sso/remote?" + remote_query("Jane Doe", "down@example.com"))
        self.assertEqual(503, r.status_code)
        self.assertIn("store.unavailable", r.text)
        self.assertIsNone(r.headers.get("Set-Cookie"))


class MemcacheTest(SharedCacheBase, unittest.TestCase):
    kind = "memcache"


class RedisTest(SharedCacheBase, unittest.TestCase):
    kind = "redis"


if __name__ == "__main__":
    unittest.main()
