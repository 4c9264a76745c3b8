"""Each header profile (HelpdeskSSOHelpdesk) through a real Apache, in front of
a backend that reads the identity exactly as that helpdesk does
(PROTOCOLS.md D): Request Tracker, Znuny (agent and customer), osTicket,
GLPI (CGI, as under mod_php) and Zammad (proxied). Every request carries
forged identity headers; the backend must see the signed-in user, or nobody,
never the forgery. Sign-in by remote authentication (Python's hmac), and by
a SAML response signed with xmlsec1 (tests/lib/saml_forge.py) for the
attributes GLPI maps."""

import base64
import http.server
import itertools
import json
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import requests  # noqa: E402

from hdsso_test import Apache, remote_query  # noqa: E402
from saml_forge import Forge  # noqa: E402

CONF = """
<VirtualHost 127.0.0.1:{port}>
ServerName 127.0.0.1
HelpdeskSSO On
HelpdeskSSORemoteSecretFile {dir}/secret
HelpdeskSSOCookieSecure Off
HelpdeskSSOSAMLBaseURL http://127.0.0.1:{port}
HelpdeskSSOSAMLIdPCertFile {dir}/idp.crt
HelpdeskSSOSAMLIdPEntityID https://idp.forge.test/metadata
HelpdeskSSOSAMLIdPSSOURL https://idp.forge.test/sso
HelpdeskSSOSAMLAllowUnsolicited On
HelpdeskSSODiagnostics On
<Location /sso/diagnostics>
  AuthType HelpdeskSSO
  Require helpdesk-sso-group admins
</Location>
<Location /open/sso>
  HelpdeskSSOEndpoint /open/sso
</Location>
<Directory {dir}/apps>
  Options +ExecCGI
  AddHandler cgi-script .cgi
  DirectoryIndex index.cgi
  AuthType HelpdeskSSO
  Require valid-user
</Directory>
Alias /rt {dir}/apps/rt
<Location /rt>
  HelpdeskSSOHelpdesk request-tracker
  HelpdeskSSOUserField email
</Location>
<Location /rt/NoAuth/Login.cgi>
  HelpdeskSSOBreakGlass On
</Location>
Alias /znuny {dir}/apps/znuny
<Location /znuny>
  HelpdeskSSOHelpdesk znuny
</Location>
Alias /osticket {dir}/apps/osticket
<Location /osticket>
  HelpdeskSSOHelpdesk osticket
</Location>
Alias /glpi {dir}/apps/glpi
<Location /glpi>
  HelpdeskSSOHelpdesk glpi
  HelpdeskSSOBreakGlassQuery noAUTO=1
</Location>
Alias /agents {dir}/apps/rt
<Location /agents>
  Require helpdesk-sso-group agents admins
</Location>
Alias /support {dir}/apps/rt
<Location /support>
  <RequireAll>
    Require helpdesk-sso-group agents
    Require helpdesk-sso-attribute department ~^(Support|IT)$
  </RequireAll>
</Location>
Alias /either {dir}/apps/rt
<Location /either>
  <RequireAny>
    Require helpdesk-sso-attribute mail boss@example.com
    Require helpdesk-sso-group admins
  </RequireAny>
</Location>
Alias /staff-only {dir}/apps/rt
<Location /staff-only>
  AuthzSendForbiddenOnFailure On
  HelpdeskSSODeniedText "Ask the IT service desk (it@example.com) to add you to the staff group."
  Require helpdesk-sso-group staff
</Location>
<Location /zammad>
  AuthType HelpdeskSSO
  Require valid-user
  HelpdeskSSOHelpdesk zammad
  ProxyPass http://127.0.0.1:{zammad}/
</Location>
</VirtualHost>
"""

FORGED = {
    "Remote-User": "admin",
    "Remote_User": "admin",
    "Auth-User": "admin",
    "X-Forwarded-User": "admin",
    "X_Forwarded_User": "admin",
    "X-Remote-User": "admin",
    "x-remote-email": "admin@example.com",
}

PY = "#!/usr/bin/python3\nimport os, re, json\nprint('Content-Type: application/json')\nprint()\n"

# Request Tracker: RequestENV('REMOTE_USER'), lower-cased (WebCanonicalizeInfo).
RT = PY + """print(json.dumps({"user": os.environ.get("REMOTE_USER", "").lower(),
                  "others": sorted(k for k in os.environ if k.startswith(("HDSSO_", "HTTP_X_REMOTE")))}))
"""
# Znuny Kernel/System/Auth/HTTPBasicAuth.pm: $ENV{REMOTE_USER} || $ENV{HTTP_REMOTE_USER},
# then AuthModule::HTTPBasicAuth::ReplaceRegExp '^(.+?)@.+?$'.
ZNUNY = PY + """u = os.environ.get("REMOTE_USER") or os.environ.get("HTTP_REMOTE_USER") or ""
m = re.match(r"^(.+?)@.+?$", u)
print(json.dumps({"user": m.group(1) if m else u, "panel": os.path.basename(os.environ["SCRIPT_FILENAME"])}))
"""
# osTicket auth-passthru: REMOTE_USER else REDIRECT_REMOTE_USER; user@domain -> user,
# DOMAIN\\user -> user; trimmed, lower-cased.
OSTICKET = PY + """u = os.environ.get("REMOTE_USER") or os.environ.get("REDIRECT_REMOTE_USER") or ""
u = u.split("@")[0].split("\\\\")[-1].strip().lower()
print(json.dumps({"user": u}))
"""
# GLPI Auth.php / User::getFromSSO(): $_SERVER[ssovariable] (here REMOTE_USER) and the
# *_ssofield settings, each naming a $_SERVER key.
GLPI_FIELDS = {"email1_ssofield": "HDSSO_EMAIL", "firstname_ssofield": "HDSSO_GIVEN_NAME",
               "realname_ssofield": "HTTP_X_REMOTE_FAMILY_NAME"}
GLPI = PY + """fields = %r
print(json.dumps({"user": os.environ.get("REMOTE_USER", ""),
                  **{k: os.environ.get(v, "") for k, v in fields.items()}}))
""" % GLPI_FIELDS


class ZammadHandler(http.server.BaseHTTPRequestHandler):
    """sessions_controller.rb#create_sso: env REMOTE_USER (none behind a
    proxy), else HTTP_REMOTE_USER (the Remote-User header), else the
    X-Forwarded-User header; lower-cased, looked up by login."""
    USERS = {"jane@example.com", "bob@example.com"}

    def do_GET(self):
        login = (self.headers.get("Remote-User") or self.headers.get("X-Forwarded-User") or "").lower()
        body = json.dumps({"path": self.path, "login": login,
                           "remote_user_header": self.headers.get("Remote-User")}).encode()
        self.send_response(302 if self.path == "/auth/sso" and login in self.USERS else 401)
        if self.path == "/auth/sso" and login in self.USERS:
            self.send_header("Location", "/#")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


apache = None
zammad = None
forge = None


def setUpModule():
    global apache, zammad, forge
    zammad = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ZammadHandler)
    threading.Thread(target=zammad.serve_forever, daemon=True).start()
    forge = Forge()
    apache = Apache(CONF)
    apache.fmt = {"zammad": zammad.server_address[1]}
    with open(forge.cert) as f:
        apache.write("idp.crt", f.read())
    apache.write("apps/rt/index.cgi", RT, mode=0o755)
    apache.write("apps/rt/NoAuth/Login.cgi", RT, mode=0o755)
    apache.write("apps/znuny/index.cgi", ZNUNY, mode=0o755)
    apache.write("apps/znuny/customer.cgi", ZNUNY, mode=0o755)
    apache.write("apps/osticket/scp/index.cgi", OSTICKET, mode=0o755)
    apache.write("apps/glpi/index.cgi", GLPI, mode=0o755)
    apache.start()


def tearDownModule():
    apache.cleanup()
    zammad.shutdown()
    zammad.server_close()
    forge.cleanup()


def get(path, cookie=None, headers=None):
    h = dict(FORGED)
    h.update(headers or {})
    if cookie:
        h["Cookie"] = cookie
    return requests.get(apache.url(path), headers=h, allow_redirects=False, timeout=30)


def cookie_of(resp):
    for header in resp.raw.headers.getlist("Set-Cookie"):
        if header.startswith("hdsso_session="):
            return header.split(";", 1)[0]
    raise AssertionError("no session cookie: %s %s" % (resp.status_code, resp.text[:300]))


def remote_sign_in(name, email):
    return cookie_of(get("/sso/remote?" + remote_query(name, email)))


_ids = itertools.count(1)


def saml_sign_in(attributes):
    """An IdP-initiated SAML sign-in with these attributes, posted to the ACS."""
    f = forge
    f.NOW = int(time.time())
    f.SP = apache.url("/sso/metadata")
    f.ACS = apache.url("/sso/acs")
    aid = "_a%d" % next(_ids)
    xml = f.sign(f.response(assertions=f.assertion(aid=aid, name_id="jane@example.com", scd_in_response_to="",
                                                   attributes=attributes), in_response_to=""), assertion_id=aid)
    r = requests.post(f.ACS, data={"SAMLResponse": base64.b64encode(xml.encode()).decode()},
                      allow_redirects=False, timeout=30)
    return cookie_of(r)


class HeaderProfilesTest(unittest.TestCase):
    def test_nobody_without_a_session(self):
        for path in ("/rt/", "/znuny/index.cgi", "/znuny/customer.cgi", "/osticket/scp/", "/glpi/", "/zammad/auth/sso"):
            with self.subTest(path=path):
                r = get(path)
                self.assertEqual(302, r.status_code, r.text[:300])
                self.assertNotIn("admin", r.text)

    def test_request_tracker(self):
        cookie = remote_sign_in("Jane Doe", "Jane@Example.com")
        r = get("/rt/", cookie=cookie)
        self.assertEqual(200, r.status_code, r.text)
        # REMOTE_USER only (the email, as HelpdeskSSOUserField email asks), nothing else.
        self.assertEqual({"user": "jane@example.com", "others": []}, r.json())

    def test_request_tracker_fallback_login_is_break_glass(self):
        r = get("/rt/NoAuth/Login.cgi")
        self.assertEqual(200, r.status_code, r.text)
        self.assertEqual("", r.json()["user"])
        self.assertEqual(302, get("/rt/").status_code)

    def test_znuny_agent_and_customer(self):
        cookie = remote_sign_in("Jane Doe", "jane@example.com")
        for panel in ("index.cgi", "customer.cgi"):
            with self.subTest(panel=panel):
                r = get("/znuny/" + panel, cookie=cookie)
                self.assertEqual(200, r.status_code, r.text)
                self.assertEqual({"user": "jane", "panel": panel}, r.json())

    def test_znuny_reads_our_remote_user_header_not_the_clients(self):
        # HTTP_REMOTE_USER is the fallback Znuny reads: ours, the client's is gone.
        cookie = remote_sign_in("Jane Doe", "jane.z@example.com")
        r = get("/znuny/index.cgi", cookie=cookie, headers={"Remote-User": "root@example.com"})
        self.assertEqual("jane.z", r.json()["user"])

    def test_osticket_after_internal_redirect(self):
        # /osticket/scp/ is served through DirectoryIndex: an internal redirect.
        cookie = remote_sign_in("Bob Smith", "Bob@Example.com")
        r = get("/osticket/scp/", cookie=cookie)
        self.assertEqual(200, r.status_code, r.text)
        self.assertEqual({"user": "bob"}, r.json())

    def test_glpi_attribute_fields(self):
        cookie = saml_sign_in({"givenName": ["Jane"], "sn": ["Doe"], "mail": ["jane.doe@example.com"]})
        r = get("/glpi/", cookie=cookie, headers={"X-Remote-Family-Name": "Forged"})
        self.assertEqual(200, r.status_code, r.text)
        self.assertEqual({"user": "jane@example.com", "email1_ssofield": "jane@example.com",
                          "firstname_ssofield": "Jane", "realname_ssofield": "Doe"}, r.json())

    def test_glpi_no_auto_is_break_glass(self):
        r = get("/glpi/index.cgi?noAUTO=1")
        self.assertEqual(200, r.status_code, r.text)
        self.assertEqual("", r.json()["user"])
        self.assertEqual(302, get("/glpi/index.cgi?noAUTO=0").status_code)

    def test_zammad_auth_sso(self):
        cookie = remote_sign_in("Jane Doe", "Jane@example.com")
        r = get("/zammad/auth/sso", cookie=cookie)
        self.assertEqual(302, r.status_code, r.text)
        self.assertEqual("/#", r.headers["Location"])
        data = r.json()
        self.assertEqual("jane@example.com", data["login"])
        self.assertIsNone(data["remote_user_header"])

    def test_control_character_in_an_exported_value_is_refused(self):
        cookie = saml_sign_in({"givenName": ["Jane\r\nX-Injected: yes"], "sn": ["Doe"]})
        r = get("/glpi/", cookie=cookie)
        self.assertEqual(403, r.status_code, r.text)
        self.assertIn("identity.unsafe_value", r.text)
        self.assertNotIn("X-Injected", r.text)
        self.assertRegex(apache.error_log(), r"HDSSO\d+: identity\.unsafe_value: (Name|Given-Name): a control")
        # A profile that does not export the given name is not affected.
        self.assertEqual(200, get("/rt/", cookie=cookie).status_code)


class AuthorizationTest(unittest.TestCase):
    """Require helpdesk-sso-group / helpdesk-sso-attribute, alone and in
    <RequireAll>/<RequireAny>."""

    def user(self, groups, department="Support", email="jane@example.com"):
        return saml_sign_in({"groups": groups, "department": [department], "mail": [email]})

    def assert_denied(self, r, status=401):
        self.assertEqual(status, r.status_code, r.text[:500])
        self.assertIn("signed in as", r.text)
        self.assertIn("not allowed", r.text)
        self.assertIn("authz.denied", r.text)

    def test_no_session_goes_to_sign_in(self):
        for path in ("/agents/", "/support/", "/either/", "/staff-only/"):
            self.assertEqual(302, get(path).status_code, path)

    def test_group(self):
        agent = self.user(["agents"])
        r = get("/agents/", cookie=agent)
        self.assertEqual(200, r.status_code, r.text)
        self.assertEqual("jane@example.com", r.json()["user"])
        self.assertEqual(200, get("/agents/", cookie=self.user(["admins", "x"])).status_code)
        self.assert_denied(get("/agents/", cookie=self.user(["customers"])))
        self.assert_denied(get("/agents/", cookie=self.user([])))
        # Group names are compared exactly.
        self.assert_denied(get("/agents/", cookie=self.user(["Agents", "agent"])))

    def test_require_all_with_an_attribute_regex(self):
        self.assertEqual(200, get("/support/", cookie=self.user(["agents"], "IT")).status_code)
        self.assert_denied(get("/support/", cookie=self.user(["agents"], "Sales")))
        self.assert_denied(get("/support/", cookie=self.user(["agents"], "IT Support")))  # anchored
        self.assert_denied(get("/support/", cookie=self.user(["customers"], "Support")))

    def test_require_any(self):
        self.assertEqual(200, get("/either/", cookie=self.user([], email="boss@example.com")).status_code)
        self.assertEqual(200, get("/either/", cookie=self.user(["admins"])).status_code)
        self.assert_denied(get("/either/", cookie=self.user(["agents"])))

    def test_forbidden_with_the_configured_text(self):
        r = get("/staff-only/", cookie=self.user(["agents"]))
        self.assert_denied(r, 403)
        self.assertIn("Ask the IT service desk (it@example.com) to add you to the staff group.", r.text)
        self.assertIn("/sso/logout", r.text)
        self.assertRegex(apache.error_log(), r"HDSSO050: authz\.denied: jane@example\.com: not in group\(s\) staff")


class DiagnosticsTest(unittest.TestCase):
    """<prefix>/diagnostics behind its own Require line."""

    def test_needs_a_session_and_its_require(self):
        r = get("/sso/diagnostics")
        self.assertEqual(302, r.status_code)
        self.assertTrue(r.headers["Location"].startswith("https://idp.forge.test/sso?SAMLRequest="))
        r = get("/sso/diagnostics", cookie=saml_sign_in({"groups": ["agents"]}))
        self.assertEqual(401, r.status_code)
        self.assertIn("authz.denied", r.text)

    def test_refused_where_not_protected(self):
        r = get("/open/sso/diagnostics", cookie=remote_sign_in("Jane Doe", "open@example.com"))
        self.assertEqual(500, r.status_code, r.text)
        self.assertIn("config.invalid", r.text)
        self.assertRegex(apache.error_log(), r"config\.invalid: protect /open/sso/diagnostics with AuthType HelpdeskSSO")

    def test_shows_identity_attributes_mapping_session_and_check(self):
        cookie = saml_sign_in({"givenName": ["Jane"], "sn": ["Doe"], "groups": ["admins", "agents"],
                               "department": ["&lt;b&gt;Support&lt;/b&gt;"]})  # XML-escaped: "<b>Support</b>"
        r = get("/sso/diagnostics", cookie=cookie)
        self.assertEqual(200, r.status_code, r.text)
        page = r.text
        self.assertIn("<title>Single sign-on diagnostics</title>", page)
        self.assertIn("<th scope=\"row\">User name (subject)</th><td>jane@example.com</td>", page)
        self.assertIn("<th scope=\"row\">Issuer</th><td>https://idp.forge.test/metadata</td>", page)
        # Every attribute, escaped, with what it became.
        self.assertIn("<tr><td>givenName</td><td>Jane</td><td>given name</td></tr>", page)
        self.assertIn("<tr><td>sn</td><td>Doe</td><td>family name</td></tr>", page)
        self.assertIn("<tr><td>groups</td><td>admins, agents</td><td>groups</td></tr>", page)
        self.assertIn("<tr><td>department</td><td>&lt;b&gt;Support&lt;/b&gt;</td><td>-</td></tr>", page)
        # What the helpdesk behind this location receives.
        self.assertIn("Profile: <code>generic</code>", page)
        self.assertIn("<th scope=\"row\">Header X-Remote-Given-Name</th><td>Jane</td>", page)
        # The session's times, and the site's configuration check.
        self.assertRegex(page, r"<th scope=\"row\">Session started</th><td>20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC")
        self.assertIn("<code>diagnostics.on</code>", page)
        self.assertIn("<code>saml.no_slo</code>", page)
        self.assertNotIn("Error:", page)


if __name__ == "__main__":
    unittest.main()
