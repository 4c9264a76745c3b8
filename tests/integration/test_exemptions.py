"""The integrations each helpdesk needs (issue 12, item 5), through a real
Apache: what must never meet a browser sign-in (RT's mail gateway, Znuny's
generic interface, osTicket's API, GLPI's API and cron, Zammad's API and
websocket) is exempted with a <Location> that needs no user, under a site
protected everywhere else. An exempt path is served without a session, a
forged identity header sent to it is still removed, and its neighbours stay
protected."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import requests  # noqa: E402

from hdsso_test import Apache, EchoBackend  # noqa: E402

# (profile, exempt path prefix, a request under it, a protected neighbour)
EXEMPTIONS = [
    ("request-tracker", "/REST/1.0/NoAuth/mail-gateway", "/REST/1.0/NoAuth/mail-gateway", "/REST/1.0/ticket/1"),
    ("znuny", "/otrs/nph-genericinterface.pl", "/otrs/nph-genericinterface.pl/Webservice/Tickets/1",
     "/otrs/index.pl"),
    ("osticket", "/api/", "/api/tickets.json", "/scp/tickets.php"),
    ("glpi", "/apirest.php", "/apirest.php/initSession", "/front/ticket.php"),
    ("glpi", "/front/cron.php", "/front/cron.php", "/front/central.php"),
    ("zammad", "/api/v1/", "/api/v1/tickets", "/#ticket/zoom/1"),
    ("zammad", "/ws", "/ws", "/ticket/view/1"),
]

FORGED = {"Remote-User": "root", "X-Remote-User": "root", "X-Forwarded-User": "root", "Auth-User": "root",
          "REMOTE_USER": "root", "X-Remote-Groups": "admins"}


def conf():
    blocks = []
    for profile, prefix, _, _ in EXEMPTIONS:
        blocks.append("""
  <Location {prefix}>
    HelpdeskSSOHelpdesk {profile}
    Require all granted
  </Location>""".format(prefix=prefix, profile=profile))
    return """
<VirtualHost 127.0.0.1:{{port}}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSORemoteSecretFile {{dir}}/secret
  HelpdeskSSORemoteLoginURL https://login.example.test/login
  HelpdeskSSOCookieSecure Off
  <Location />
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{{backend}}/
  </Location>{blocks}
</VirtualHost>
""".format(blocks="".join(blocks))


class ExemptionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.backend = EchoBackend()
        cls.apache = Apache(conf())
        cls.apache.fmt = {"backend": cls.backend.port}
        cls.apache.start()

    @classmethod
    def tearDownClass(cls):
        cls.apache.cleanup()
        cls.backend.stop()

    def test_exempt_paths_are_served_without_a_session_and_without_forged_identity(self):
        for profile, _, path, _ in EXEMPTIONS:
            for method in ("GET", "POST"):
                with self.subTest(profile=profile, path=path, method=method):
                    r = requests.request(method, self.apache.url(path), headers=FORGED, data=b"message body",
                                         allow_redirects=False, timeout=30)
                    self.assertEqual(200, r.status_code, r.text[:300])
                    seen = {k.lower(): v for k, v in json.loads(r.text)["headers"]}
                    for name in FORGED:
                        self.assertNotIn(name.lower(), seen, "%s reached the %s backend" % (name, profile))

    def test_neighbours_stay_protected(self):
        for profile, _, _, neighbour in EXEMPTIONS:
            with self.subTest(profile=profile, path=neighbour):
                r = requests.get(self.apache.url(neighbour), headers=FORGED, allow_redirects=False, timeout=30)
                self.assertEqual(302, r.status_code)
                self.assertTrue(r.headers["Location"].startswith("https://login.example.test/login?"))


if __name__ == "__main__":
    unittest.main()
