"""A real Request Tracker behind the module (issue 12, item 6): Debian's RT 5
(request-tracker5, rt5-db-sqlite) with its own SQLite database, served by
mod_fcgid in the test Apache with `HelpdeskSSOHelpdesk request-tracker`,
$WebRemoteUserAuth and autocreate (tests/lib/request_tracker.py), and
SimpleSAMLphp as the IdP (tests/lib/simplesamlphp.py). Driven with
python3-requests and, where a person's browser matters, headless Chromium.

One RT for the whole module (its database takes about 10 s to make, and each
RT process about 3 s to start). Two virtual hosts serve the same RT: the
main one, and one whose sessions expire after 3 idle seconds (the kept-reply
scenario).

RequestTrackerBackgroundTest holds the RT scenarios of item 1 (background
requests get 401), RequestTrackerKeptReplyTest the one of item 3 (a reply
is never lost)."""

import json
import os
import re
import sys
import time
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import requests  # noqa: E402

from hdsso_test import (BASE_MODULES, BUILDDIR, Apache, access_log_lines, headless_chromium,  # noqa: E402
                        raw_request)
import request_tracker  # noqa: E402
from request_tracker import TICKET_1_REQUESTOR, TICKET_1_SUBJECT, RequestTracker, wait_until  # noqa: E402
from simplesamlphp import (PHP_MODULE, SSP_ROOT, SimpleSamlIdp, fetch_idp_metadata, login_at_idp,  # noqa: E402
                           parse_form, sp_for_idp)

SCREENSHOTS = os.path.join(BUILDDIR, "tests", "screenshots")
IDLE_TIMEOUT = 3  # seconds, on the second virtual host

SITE = """
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSOSAMLIdPMetadataFile {dir}/idp-metadata.xml
  HelpdeskSSOSAMLKeyFile {dir}/sp.key
  HelpdeskSSOSAMLCertFile {dir}/sp.crt
  HelpdeskSSOFallbackLoginURL /NoAuth/Login.html
  {rt_conf}
  <Location />
    AuthType HelpdeskSSO
    Require valid-user
    HelpdeskSSOHelpdesk request-tracker
  </Location>
  # RT's own login form: the way in when single sign-on is down.
  <Location /NoAuth/Login.html>
    HelpdeskSSOBreakGlass On
  </Location>
  # RT's mail gateway: rt-mailgate-5, run by the MTA, never a browser.
  <Location /REST/1.0/NoAuth/mail-gateway>
    AuthType None
    Require all granted
  </Location>
"""

CONF = """
{fcgid_conf}
<VirtualHost 127.0.0.1:{port}>
  HelpdeskSSOSAMLBaseURL http://127.0.0.1:{port}
""" + SITE + """
</VirtualHost>
# The same RT, with sessions that expire after %d idle seconds.
<VirtualHost 127.0.0.1:{port2}>
  HelpdeskSSOSAMLBaseURL http://127.0.0.1:{port2}
  HelpdeskSSOCookieName hdsso_short
  HelpdeskSSOSessionIdleTimeout %d
""" % (IDLE_TIMEOUT, IDLE_TIMEOUT) + SITE + """
</VirtualHost>
"""

# Every spelling of an identity header a client could forge; RT's superuser
# and a user RT would create if it ever believed one.
FORGED_NAMES = ("Remote-User", "X-Remote-User", "X-Forwarded-User", "Remote_User", "X_Forwarded_User",
                "Auth-User", "X-Remote-Email")
FORGED_USER = "forged@example.com"

LOGGED_IN = re.compile(r'Logged in as <span class="current-user">([^<]*)</span>')

sp = idp = rt = None
timings = {}


def setUpModule():
    global sp, idp, rt
    start = time.monotonic()
    problem = request_tracker.missing()
    if not problem and not (os.path.isdir(SSP_ROOT) and os.path.exists(PHP_MODULE)):
        problem = "SimpleSAMLphp is missing: apt-get install simplesamlphp libapache2-mod-php php-xml php-mbstring"
    if problem:
        raise AssertionError(problem)
    sp = Apache(CONF, modules=BASE_MODULES)
    rt = RequestTracker(sp.dir)
    idp = SimpleSamlIdp()
    try:
        sp_for_idp(sp, idp, cn="hdsso-rt-sp")
        with open(os.path.join(sp.dir, "sp.crt")) as f:
            base2 = "http://127.0.0.1:%d/sso" % sp.port2
            idp.add_sp(base2 + "/metadata", base2 + "/acs", base2 + "/slo", cert_pem=f.read())
        idp.start()
        fetch_idp_metadata(sp, idp)
        sp.fmt = {"rt_conf": rt.apache_conf(), "fcgid_conf": rt.fcgid_conf()}
        rt.configure_web(sp.port, other_hosts=["127.0.0.1:%d" % sp.port2])
        t = time.monotonic()
        rt.setup_database()
        timings["rt database"] = time.monotonic() - t
        sp.start()
        # The first request starts RT under mod_fcgid: RT's own login form
        # (break-glass), without a session.
        t = time.monotonic()
        r = requests.get(sp.url("/NoAuth/Login.html"), timeout=120)
        if r.status_code != 200 or 'name="pass"' not in r.text:
            raise AssertionError("RT did not start: %d %s\n%s\n%s" % (
                r.status_code, r.text[:1000], sp.error_log()[-3000:], rt.log()))
        timings["first RT request"] = time.monotonic() - t
    except Exception:
        sp.cleanup()
        idp.cleanup()
        raise
    timings["module set-up"] = time.monotonic() - start
    print("\n[test_request_tracker] set-up: %s" % ", ".join("%s %.1f s" % kv for kv in timings.items()),
          file=sys.stderr)


def tearDownModule():
    if sp:
        sp.cleanup()
    if idp:
        idp.cleanup()


def logged_in_as(html):
    """The user RT's page says is logged in, or None."""
    m = LOGGED_IN.search(html)
    return m.group(1) if m else None


def unique(label):
    return "%s %s" % (label, uuid.uuid4().hex[:10])


class RtCase(unittest.TestCase):
    def diagnostics(self):
        return "\n--- Apache error log ---\n%s\n--- RT log ---\n%s\n--- IdP log ---\n%s" % (
            sp.error_log()[-3000:], rt.log()[-3000:], idp.log()[-1500:])

    def start_sign_in(self, session, path, second=False, headers=None):
        """A protected RT page without a session: the module sends the
        browser to the IdP. Returns the IdP URL."""
        r = session.get(sp.url(path, second), headers=headers, allow_redirects=False, timeout=60)
        self.assertEqual(302, r.status_code, r.text[:500] + self.diagnostics())
        self.assertTrue(r.headers["Location"].startswith(idp.sso_url + "?SAMLRequest="), r.headers["Location"])
        return r.headers["Location"]

    def sign_in(self, session, path="/Ticket/Display.html?id=1", user="jane", password="jane-password",
                second=False):
        """Signs in through SimpleSAMLphp (user name and password at the
        IdP) and returns RT's page for path."""
        action, fields = login_at_idp(session, self.start_sign_in(session, path, second), user, password)
        self.assertEqual(sp.url("/sso/acs", second), action)
        r = session.post(action, data=fields, allow_redirects=False, timeout=60)
        self.assertEqual(302, r.status_code, r.text[:1000] + self.diagnostics())
        self.assertEqual(path, r.headers["Location"])
        r = session.get(sp.url(path, second), allow_redirects=False, timeout=120)
        self.assertEqual(200, r.status_code, r.text[:1000] + self.diagnostics())
        return r

    def browser_sign_in_at_idp(self, d, user="jane", password="jane-password"):
        from selenium.webdriver.common.by import By
        self.wait_for(d, lambda: d.find_elements(By.NAME, "username"), "the IdP's login form")
        self.assertIn("/simplesaml/", d.current_url)
        d.find_element(By.NAME, "username").send_keys(user)
        d.find_element(By.NAME, "password").send_keys(password)
        d.find_element(By.NAME, "password").submit()

    def wait_for(self, d, check, what, deadline_s=60):
        # A bound on waiting for the browser, so a broken flow fails instead
        # of hanging; not a performance check.
        value = wait_until(lambda: _quiet(check), deadline_s)
        if not value:
            raise AssertionError("waited for %s; the browser is at %s:\n%s%s" % (
                what, d.current_url, d.page_source[:2000], self.diagnostics()))
        return value

    def rt_user_in_browser(self, d):
        from selenium.webdriver.common.by import By
        spans = d.find_elements(By.CSS_SELECTOR, "span.current-user")
        return spans[0].get_attribute("textContent") if spans else None


def _quiet(check):
    try:
        return check()
    except Exception:  # noqa: BLE001  (a page in the middle of loading)
        return None


class RequestTrackerTest(RtCase):
    """What works today."""

    def test_deep_link_lands_in_rt_as_the_signed_in_user(self):
        s = requests.Session()
        self.addCleanup(s.close)
        r = self.sign_in(s, "/Ticket/Display.html?id=1")
        self.assertEqual("jane@example.com", logged_in_as(r.text), r.text[:2000])
        self.assertIn("#1: " + TICKET_1_SUBJECT, r.text)
        # RT received REMOTE_USER and no other identity variable.
        seen = [e for e in rt.seen("/Ticket/Display.html") if e["query"] == "id=1"]
        self.assertTrue(seen, rt.seen())
        self.assertEqual({"REMOTE_USER": "jane@example.com"}, seen[-1]["env"])

    def test_rt_creates_the_user_at_the_first_sign_in(self):
        self.assertIsNone(rt.user("bob@example.com"), "bob is used by this test only")
        s = requests.Session()
        self.addCleanup(s.close)
        r = self.sign_in(s, "/", user="bob", password="bob-password")
        self.assertEqual("bob@example.com", logged_in_as(r.text), r.text[:2000])
        user = rt.user("bob@example.com")
        self.assertIsNotNone(user, rt.log())
        _, name, _, privileged = user
        self.assertEqual("bob@example.com", name)
        self.assertTrue(privileged, "$UserAutocreateDefaultsOnLogin makes staff")
        # A second sign-in finds the same user.
        s2 = requests.Session()
        self.addCleanup(s2.close)
        self.assertEqual("bob@example.com", logged_in_as(self.sign_in(s2, "/", user="bob",
                                                                      password="bob-password").text))
        self.assertEqual(user[0], rt.user("bob@example.com")[0])

    def test_deep_link_in_a_browser(self):
        """As a person: the link from a notification mail, the IdP's login
        form, and RT's ticket page."""
        d = headless_chromium(self)
        d.get(sp.url("/Ticket/Display.html?id=1"))
        self.browser_sign_in_at_idp(d)
        self.wait_for(d, lambda: "/Ticket/Display.html?id=1" in d.current_url and self.rt_user_in_browser(d),
                      "RT's ticket page")
        self.assertEqual("jane@example.com", self.rt_user_in_browser(d))
        self.assertIn("#1: " + TICKET_1_SUBJECT, d.title)
        os.makedirs(SCREENSHOTS, exist_ok=True)
        d.save_screenshot(os.path.join(SCREENSHOTS, "request-tracker-ticket.png"))

    def test_navigation_without_a_session_goes_to_the_idp(self):
        # What a browser sends for a link it follows: a sign-in, as today.
        headers = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "none",
                   "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        s = requests.Session()
        self.addCleanup(s.close)
        self.start_sign_in(s, "/Ticket/Display.html?id=1", headers=headers)

    def test_forged_identity_headers_never_log_into_rt(self):
        for name in FORGED_NAMES:
            for value in ("root", FORGED_USER):
                with self.subTest(header=name, value=value):
                    probe = uuid.uuid4().hex
                    headers = {name: value}
                    # A protected page: to the IdP, RT never asked.
                    r = requests.get(sp.url("/Ticket/Display.html?id=1&probe=" + probe), headers=headers,
                                     allow_redirects=False, timeout=60)
                    self.assertEqual(302, r.status_code, r.text[:500])
                    self.assertTrue(r.headers["Location"].startswith(idp.sso_url), r.headers["Location"])
                    self.assertNotIn("RT_SID", r.headers.get("Set-Cookie", ""))
                    # RT's login form (break-glass) reaches RT: not logged in,
                    # and RT received no identity at all.
                    r = requests.get(sp.url("/NoAuth/Login.html?probe=" + probe), headers=headers, timeout=60)
                    self.assertEqual(200, r.status_code, r.text[:500])
                    self.assertIn('name="pass"', r.text)
                    self.assertIsNone(logged_in_as(r.text))
                    seen = [e for e in rt.seen() if "probe=" + probe in (e["query"] or "")]
                    self.assertEqual(["/NoAuth/Login.html"], [e["path"] for e in seen])
                    self.assertEqual({}, {k: v for k, v in seen[0]["env"].items() if v}, seen)
        self.assertIsNone(rt.user(FORGED_USER))

    def test_forged_identity_headers_do_not_change_the_signed_in_user(self):
        s = requests.Session()
        self.addCleanup(s.close)
        self.sign_in(s, "/")
        forged = {name: "root" for name in FORGED_NAMES}
        r = s.get(sp.url("/Ticket/Display.html?id=1&forged=1"), headers=forged, timeout=60)
        self.assertEqual(200, r.status_code)
        self.assertEqual("jane@example.com", logged_in_as(r.text))
        seen = [e for e in rt.seen("/Ticket/Display.html") if e["query"] == "id=1&forged=1"]
        self.assertEqual({"REMOTE_USER": "jane@example.com"}, seen[-1]["env"])

    def test_after_signing_out_rts_own_cookie_opens_nothing(self):
        s = requests.Session()
        self.addCleanup(s.close)
        self.sign_in(s, "/")
        self.assertTrue(any(c.name.startswith("RT_SID_") for c in s.cookies), s.cookies)
        r = s.get(sp.url("/sso/logout"), timeout=60)  # through the IdP's single logout and back
        self.assertIn("signed out", r.text, r.url + self.diagnostics())
        self.assertTrue(any(c.name.startswith("RT_SID_") for c in s.cookies), "the browser keeps RT's cookie")
        # RT's session still names jane, but no page of RT shows it: the
        # module sends every request to the IdP, and RT's login form (which
        # needs no sign-in here) sends a logged-in user on to "/", which is
        # protected again.
        for path in ("/Ticket/Display.html?id=1", "/", "/NoAuth/Login.html"):
            with self.subTest(path=path):
                r = s.get(sp.url(path), timeout=60)
                self.assertTrue(r.url.startswith(idp.base), r.url)
                self.assertIn('name="password"', r.text)
                for step in r.history:
                    self.assertIsNone(logged_in_as(step.text))

    def test_mail_gateway_through_its_exemption(self):
        subject = unique("Monitor flickers")
        sender = "new-customer-%s@example.com" % uuid.uuid4().hex[:8]
        message = ("From: Pat Customer <%s>\nTo: support@example.test\nSubject: %s\n"
                   "Message-ID: <%s@example.com>\n\nThe monitor on desk 12 flickers.\n"
                   % (sender, subject, uuid.uuid4().hex))
        code, out = rt.mailgate(sp.url(""), message)
        self.assertEqual(0, code, out + self.diagnostics())
        created = [t for t in rt.tickets() if t[1] == subject]
        self.assertEqual(1, len(created), rt.tickets())
        self.assertEqual(sender, created[0][2])  # created by the sender, whom RT created
        self.assertFalse(rt.user(sender)[3], "a mail sender is not staff")
        # A reply by mail to ticket 1 lands on ticket 1.
        reply = unique("The paper tray was empty")
        message = ("From: %s\nTo: support@example.test\nSubject: [hdsso-test #1] Re: %s\n"
                   "Message-ID: <%s@example.com>\n\n%s\n" % (TICKET_1_REQUESTOR, TICKET_1_SUBJECT,
                                                              uuid.uuid4().hex, reply))
        code, out = rt.mailgate(sp.url(""), message)
        self.assertEqual(0, code, out + self.diagnostics())
        replies = [t for t in rt.transactions(1) if t[0] == "Correspond" and reply in (t[2] or "")]
        self.assertEqual([TICKET_1_REQUESTOR], [t[1] for t in replies], rt.transactions(1))
        # Both reached RT without a session and without a sign-in.
        posts = [l for l in access_log_lines(sp) if '"POST /REST/1.0/NoAuth/mail-gateway ' in l]
        self.assertGreaterEqual(len(posts), 2, posts)
        self.assertTrue(all(l.split()[1] == "-" and l.endswith(" 200") for l in posts), posts)

    def test_mail_gateway_still_removes_forged_identity_headers(self):
        subject = unique("Keyboard missing keys")
        message = ("From: %s\nTo: support@example.test\nSubject: %s\n\nThe Q key is gone.\n"
                   % (TICKET_1_REQUESTOR, subject))
        before = len(rt.seen("/REST/1.0/NoAuth/mail-gateway"))
        # What rt-mailgate-5 posts, plus every forged identity header.
        forged = {name: "root" for name in FORGED_NAMES}
        r = requests.post(sp.url("/REST/1.0/NoAuth/mail-gateway"), headers=forged,
                          files={"message": (None, message), "queue": (None, "General"),
                                 "action": (None, "correspond")}, allow_redirects=False, timeout=120)
        self.assertEqual(200, r.status_code, r.text + self.diagnostics())
        self.assertTrue(r.text.startswith("ok"), r.text)
        seen = rt.seen("/REST/1.0/NoAuth/mail-gateway")[before:]
        self.assertEqual(1, len(seen), seen)
        self.assertEqual({}, {k: v for k, v in seen[0]["env"].items() if v}, seen)
        self.assertEqual([TICKET_1_REQUESTOR], [t[2] for t in rt.tickets() if t[1] == subject])

    def test_only_the_mail_gateway_is_exempt(self):
        before = len(rt.seen())
        for method, path in (("GET", "/REST/1.0/"), ("GET", "/REST/1.0/ticket/1/show"),
                             ("POST", "/REST/1.0/ticket/1/comment"), ("GET", "/REST/1.0/NoAuth/"),
                             ("POST", "/REST/1.0/NoAuth/mail-gatewayx"), ("GET", "/REST/2.0/ticket/1"),
                             ("GET", "/REST/1.0/NoAuth/mail-gateway/../../ticket/1/show")):
            with self.subTest(method=method, path=path):
                r = raw_request(sp.port, method, path, headers={"Remote-User": "root"}, timeout=60)
                self.assertEqual(302, r.status, r)
                self.assertTrue(r.headers["Location"].startswith(idp.sso_url), r.headers["Location"])
        self.assertEqual([], rt.seen()[before:])


class RequestTrackerBackgroundTest(RtCase):
    """Issue 12 item 1 as RT scenarios: a request RT's pages make in the
    background while the user signs in gets 401 and does not break the
    sign-in. (Item 3, a reply posted after the session expired reaching RT,
    is not built yet: its test waits with it.)"""

    def assert_session_required(self, r):
        self.assertEqual(401, r.status_code, "%s %s" % (r.headers, r.text[:500]))
        self.assertIn("application/json", r.headers.get("Content-Type", ""))
        body = r.json()
        self.assertEqual("session.required", body.get("error"), body)
        self.assertTrue(body.get("login"), body)
        self.assertNotIn("Location", r.headers)
        self.assertIsNone(r.headers.get("Set-Cookie"), "a background request must not touch the sign-in")

    def background_request_during_sign_in(self, headers):
        s = requests.Session()
        self.addCleanup(s.close)
        # The user opens a ticket and is at the IdP's login form...
        page = s.get(self.start_sign_in(s, "/Ticket/Display.html?id=1"), timeout=60)
        form = parse_form(page.text)
        self.assertTrue(form and "AuthState" in form[1], page.text[:1000])
        # ...while an RT tab polls in the background.
        jar = dict(s.cookies.items())
        r = s.get(sp.url("/Helpers/TicketHistory?id=1"), headers=headers, allow_redirects=False, timeout=60)
        self.assert_session_required(r)
        self.assertEqual(jar, dict(s.cookies.items()))
        # The sign-in ends on the ticket.
        fields = dict(form[1], username="jane", password="jane-password")
        r = s.post(urllib.parse.urljoin(page.url, form[0] or page.url), data=fields, timeout=60)
        saml = parse_form(r.text)
        self.assertTrue(saml and "SAMLResponse" in saml[1], r.text[:1000])
        r = s.post(saml[0], data=saml[1], allow_redirects=False, timeout=60)
        self.assertEqual(302, r.status_code, r.text[:1000] + self.diagnostics())
        self.assertEqual("/Ticket/Display.html?id=1", r.headers["Location"])
        r = s.get(sp.url(r.headers["Location"]), timeout=120)
        self.assertEqual("jane@example.com", logged_in_as(r.text))

    def test_background_fetch_during_sign_in_gets_401_and_the_sign_in_completes(self):
        self.background_request_during_sign_in({"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty",
                                                "Sec-Fetch-Site": "same-origin", "Accept": "*/*"})

    def test_xhr_without_fetch_metadata_during_sign_in_gets_401_and_the_sign_in_completes(self):
        self.background_request_during_sign_in({"X-Requested-With": "XMLHttpRequest",
                                                "Accept": "application/json, text/javascript, */*; q=0.01"})

    def test_background_fetch_from_a_second_tab_does_not_break_the_sign_in(self):
        """The issue's reproduction in a browser: a ticket link opens the
        IdP's login form; meanwhile another RT tab fetch()es in the
        background; then the user signs in."""
        d = headless_chromium(self)
        d.get(sp.url("/Ticket/Display.html?id=1"))
        from selenium.webdriver.common.by import By
        self.wait_for(d, lambda: d.find_elements(By.NAME, "username"), "the IdP's login form")
        first = d.current_window_handle
        d.switch_to.new_window("tab")
        d.get(sp.url("/NoAuth/Login.html"))  # an RT page that needs no session
        d.set_script_timeout(60)
        status = d.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch('/Helpers/TicketHistory?id=1', {credentials: 'same-origin'})
              .then(r => r.text().then(t => done([r.status, r.headers.get('content-type'), t])))
              .catch(e => done(['failed', String(e), '']));""")
        self.assertEqual(401, status[0], status)
        self.assertEqual("session.required", json.loads(status[2])["error"], status)
        d.close()
        d.switch_to.window(first)
        self.browser_sign_in_at_idp(d)
        self.wait_for(d, lambda: "/Ticket/Display.html?id=1" in d.current_url and self.rt_user_in_browser(d),
                      "RT's ticket page after signing in")
        self.assertEqual("jane@example.com", self.rt_user_in_browser(d))


class RequestTrackerKeptReplyTest(RtCase):
    """Issue 12 item 3 behind RT: a reply is never lost."""

    def test_reply_posted_after_the_session_expired_reaches_rt(self):
        """An agent writes a reply, the session expires meanwhile (3 idle
        seconds on this virtual host), the agent presses "Update Ticket":
        after signing in again (the IdP still knows the agent) RT has the
        reply, as typed."""
        from selenium.webdriver.common.by import By
        d = headless_chromium(self)
        d.get(sp.url("/Ticket/Update.html?id=1&Action=Respond", second=True))
        self.browser_sign_in_at_idp(d)
        self.wait_for(d, lambda: d.find_elements(By.NAME, "UpdateContent") and self.rt_user_in_browser(d),
                      "RT's reply form")
        reply = "Grüße from the helpdesk: the toner is replaced ✓ %s" % uuid.uuid4().hex
        d.find_element(By.NAME, "UpdateContent").send_keys(reply)
        # Longer than the idle timeout after the last request RT made while
        # the reply was typed (its PreviewScrips XHR follows the typing).
        time.sleep(2 * IDLE_TIMEOUT + 2)
        mark = len(access_log_lines(sp))
        d.find_element(By.NAME, "SubmitTicket").click()
        # The post met an expired session (the module answered it, with no
        # user), and the user signed in again without typing anything.
        posts = wait_until(lambda: [l for l in access_log_lines(sp)[mark:] if '"POST /Ticket/Update.html ' in l])
        self.assertTrue(posts and posts[0].split()[1] == "-", posts)
        found = wait_until(lambda: [t for t in rt.transactions(1) if t[0] == "Correspond" and reply in (t[2] or "")],
                           deadline_s=30)
        self.assertTrue(found, "the reply did not reach RT; the browser is at %s:\n%s%s" % (
            d.current_url, d.page_source[:2000], self.diagnostics()))
        self.assertEqual("jane@example.com", found[0][1])
        self.wait_for(d, lambda: "/Ticket/Display.html" in d.current_url and reply in d.page_source,
                      "the ticket with the reply")


if __name__ == "__main__":
    unittest.main()
