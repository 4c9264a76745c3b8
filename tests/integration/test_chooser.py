"""Two identity providers on one site, SAML (SimpleSAMLphp, Debian's package)
and JWT (a small application that mints tokens with python3-jwt), behind the
chooser page, driven in headless Chromium (Debian's chromium and
chromium-driver, through python3-selenium): by keyboard and by mouse, a
remembered choice, ?idp= to skip the page, and authorization allowed and
denied. Screenshots of the chooser and of the denied page are saved under
tests/screenshots/ in the build tree."""

import http.server
import os
import shutil
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import jwt  # noqa: E402  (python3-jwt)
import requests  # noqa: E402

from hdsso_test import BUILDDIR, Apache, EchoBackend  # noqa: E402
from saml_forge import Forge  # noqa: E402
from simplesamlphp import SimpleSamlIdp, fetch_idp_metadata, sp_for_idp  # noqa: E402

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait
    HAVE_SELENIUM = True
except ImportError:
    HAVE_SELENIUM = False

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = os.path.join(BUILDDIR, "tests", "screenshots")
JWT_SECRET = "chooser-" + uuid.uuid4().hex * 2

SP_CONF = """
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSOSAMLBaseURL http://127.0.0.1:{port}
  HelpdeskSSOSAMLIdPMetadataFile {dir}/idp-metadata.xml
  HelpdeskSSOSAMLIdPMetadataFile {dir}/partners-metadata.xml
  HelpdeskSSOSAMLKeyFile {dir}/sp.key
  HelpdeskSSOSAMLCertFile {dir}/sp.crt
  HelpdeskSSOJWTKeyFile {dir}/jwt.secret HS256
  HelpdeskSSOJWTAudience helpdesk
  HelpdeskSSOJWTLoginURL http://127.0.0.1:{jwtapp}/login
  HelpdeskSSOIdP staff saml "Staff: sign in with SimpleSAMLphp" {idp_entity}
  HelpdeskSSOIdP customers jwt "Customers: sign in with the Company app"
  HelpdeskSSOIdP partners saml "Partners: sign in with your company" https://idp.forge.test/metadata
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/helpdesk
  </Location>
  # Customers: their own IdP list (one, so no chooser) and another mode.
  <Location /customers>
    AuthType HelpdeskSSO
    Require valid-user
    HelpdeskSSOEndpoint /customers/sso
    HelpdeskSSOIdP app jwt "Company app"
    HelpdeskSSOHelpdesk zammad
    ProxyPass http://127.0.0.1:{backend}/customers
  </Location>
  <Location /helpdesk/agents>
    AuthzSendForbiddenOnFailure On
    HelpdeskSSODeniedText "Ask the helpdesk team (helpdesk-admins@example.com) to add you to the agents group."
    Require helpdesk-sso-group agents
  </Location>
</VirtualHost>
"""


PARTNERS_METADATA = """<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
 xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.forge.test/metadata">
 <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate>
  </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
  <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
   Location="https://idp.forge.test/sso"/>
 </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


class JwtApp(http.server.BaseHTTPRequestHandler):
    """The customers' application: it knows its user (Bob) and sends him
    back to the helpdesk with a token minted by python3-jwt."""
    helpdesk = None

    def do_GET(self):
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        now = int(time.time())
        token = jwt.encode({"sub": "bob@example.com", "email": "bob@example.com", "name": "Bob Roe",
                            "aud": "helpdesk", "iat": now, "exp": now + 120, "jti": uuid.uuid4().hex},
                           JWT_SECRET, algorithm="HS256")
        self.send_response(302)
        self.send_header("Location", self.helpdesk + "/sso/jwt?" + urllib.parse.urlencode(
            {"jwt": token, "redirect_to": q.get("redirect_to", "/")}))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def have_everything():
    return (HAVE_SELENIUM and os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)
            and os.path.isdir("/usr/share/simplesamlphp"))


@unittest.skipUnless(have_everything(), "chromium, chromium-driver, python3-selenium or simplesamlphp missing")
class ChooserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.backend = EchoBackend()
        cls.jwtapp = http.server.ThreadingHTTPServer(("127.0.0.1", 0), JwtApp)
        threading.Thread(target=cls.jwtapp.serve_forever, daemon=True).start()
        cls.sp = Apache(SP_CONF)
        cls.sp.write("jwt.secret", JWT_SECRET + "\n", mode=0o600)
        cls.idp = SimpleSamlIdp()
        sp_for_idp(cls.sp, cls.idp, cn="hdsso-chooser-sp")
        cls.idp.start()
        cls.sp.fmt = {"backend": cls.backend.port, "jwtapp": cls.jwtapp.server_address[1],
                      "idp_entity": cls.idp.entity_id}
        # A second SAML IdP on the same site: the partners' IdP, whose
        # responses the test signs with xmlsec1 (tests/lib/saml_forge.py).
        cls.forge = Forge()
        with open(cls.forge.cert) as f:
            pem = "".join(l for l in f.read().splitlines() if "CERTIFICATE" not in l)
        cls.sp.write("partners-metadata.xml", PARTNERS_METADATA % pem)
        JwtApp.helpdesk = "http://127.0.0.1:%d" % cls.sp.port
        try:
            fetch_idp_metadata(cls.sp, cls.idp)
            cls.sp.start()
        except Exception:
            cls.idp.cleanup()
            raise
        os.makedirs(SCREENSHOTS, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.sp.cleanup()
        cls.idp.cleanup()
        cls.forge.cleanup()
        cls.backend.stop()
        cls.jwtapp.shutdown()
        cls.jwtapp.server_close()

    def browser(self):
        """A fresh headless Chromium with a profile of its own, loopback only."""
        profile = tempfile.mkdtemp(prefix="hdsso-chromium-")
        opts = Options()
        opts.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--user-data-dir=" + profile, "--window-size=1000,800", "--no-proxy-server",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-features=Translate,MediaRouter"):
            opts.add_argument(arg)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        driver.set_page_load_timeout(60)

        def close():
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)
        self.addCleanup(close)
        return driver

    def wait_for_url(self, driver, fragment):
        # A bound on waiting for the browser, so a broken flow fails instead
        # of hanging; not a performance check.
        try:
            WebDriverWait(driver, 60).until(expected_conditions.url_contains(fragment))
        except Exception:
            raise AssertionError("not at %s but %s:\n%s\n%s" % (fragment, driver.current_url,
                                                              driver.page_source[:1500], self.sp.error_log()[-2000:]))

    def echoed_user(self, driver):
        body = driver.find_element(By.TAG_NAME, "body").text
        self.assertIn('"path": "/helpdesk/', body)
        for name, value in __import__("json").loads(body)["headers"]:
            if name.lower() == "x-remote-user":
                return value
        return None

    def test_chooser_by_keyboard_then_remembered(self):
        d = self.browser()
        d.get(self.sp.url("/helpdesk/tickets?id=7"))
        self.wait_for_url(d, "/sso/login?")
        self.assertEqual("Sign in to the helpdesk", d.title)
        labels = [e.text for e in d.find_elements(By.TAG_NAME, "label")]
        self.assertEqual(["Staff: sign in with SimpleSAMLphp", "Customers: sign in with the Company app",
                          "Partners: sign in with your company", "Remember my choice on this browser"], labels)
        self.assertEqual([], d.find_elements(By.TAG_NAME, "script"))
        d.save_screenshot(os.path.join(SCREENSHOTS, "chooser.png"))
        # Keyboard only: Tab to the selected radio, arrow to the second one,
        # Tab to "remember", Space to tick it, Tab to the button, Enter.
        page = d.find_element(By.TAG_NAME, "body")
        page.send_keys(Keys.TAB)
        self.assertEqual("idp-staff", d.switch_to.active_element.get_attribute("id"))
        d.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
        self.assertEqual("idp-customers", d.switch_to.active_element.get_attribute("id"))
        self.assertTrue(d.find_element(By.ID, "idp-customers").is_selected())
        d.switch_to.active_element.send_keys(Keys.TAB)
        self.assertEqual("remember", d.switch_to.active_element.get_attribute("id"))
        d.switch_to.active_element.send_keys(Keys.SPACE)
        d.switch_to.active_element.send_keys(Keys.TAB)
        self.assertEqual("button", d.switch_to.active_element.tag_name)
        d.switch_to.active_element.send_keys(Keys.ENTER)
        self.wait_for_url(d, "/helpdesk/tickets?id=7")
        self.assertEqual("bob@example.com", self.echoed_user(d))
        self.assertEqual("customers", d.get_cookie("hdsso_session_idp")["value"])
        # Signed out, the remembered choice skips the chooser.
        d.get(self.sp.url("/sso/logout"))
        d.get(self.sp.url("/helpdesk/again"))
        self.wait_for_url(d, "/helpdesk/again")
        self.assertEqual("bob@example.com", self.echoed_user(d))
        # Bob (no agents group) is denied the agents' area, with the page that says so.
        d.get(self.sp.url("/helpdesk/agents/queue"))
        self.assertEqual("Access denied", d.title)
        text = d.find_element(By.TAG_NAME, "body").text
        self.assertIn("You are signed in as Bob Roe (bob@example.com)", text)
        self.assertIn("helpdesk-admins@example.com", text)
        d.save_screenshot(os.path.join(SCREENSHOTS, "denied.png"))

    def test_chooser_by_mouse_through_simplesamlphp(self):
        d = self.browser()
        d.get(self.sp.url("/helpdesk/agents/queue"))
        self.wait_for_url(d, "/sso/login?")
        d.find_element(By.XPATH, "//label[text()='Staff: sign in with SimpleSAMLphp']").click()
        d.find_element(By.TAG_NAME, "button").click()
        try:
            WebDriverWait(d, 60).until(expected_conditions.presence_of_element_located((By.NAME, "username")))
        except Exception:
            raise AssertionError("no login form at %s:\n%s\n%s" % (d.current_url, d.page_source[:1500],
                                                                   self.idp.log()))
        self.assertIn("/simplesaml/", d.current_url)
        d.find_element(By.NAME, "username").send_keys("jane")
        d.find_element(By.NAME, "password").send_keys("jane-password")
        d.find_element(By.NAME, "password").submit()
        self.wait_for_url(d, "/helpdesk/agents/queue")
        self.assertEqual("jane@example.com", self.echoed_user(d))
        self.assertIsNone(d.get_cookie("hdsso_session_idp"))  # not asked to remember

    def test_idp_parameter_skips_the_chooser(self):
        r = requests.get(self.sp.url("/sso/login?idp=customers&return=/helpdesk/x"), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text)
        self.assertTrue(r.headers["Location"].startswith("http://127.0.0.1:%d/login?" % self.jwtapp.server_address[1]))
        r = requests.get(self.sp.url("/sso/login?idp=staff&return=/helpdesk/x"), allow_redirects=False, timeout=30)
        self.assertTrue(r.headers["Location"].startswith(self.idp.sso_url + "?SAMLRequest="))

    def test_second_saml_idp_on_the_same_site(self):
        import base64
        import zlib
        s = requests.Session()
        self.addCleanup(s.close)
        r = s.get(self.sp.url("/sso/login?idp=partners&return=/helpdesk/partners"), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text)
        loc = urllib.parse.urlsplit(r.headers["Location"])
        self.assertEqual("https://idp.forge.test/sso", "%s://%s%s" % (loc.scheme, loc.netloc, loc.path))
        q = dict(urllib.parse.parse_qsl(loc.query))
        request = zlib.decompress(base64.b64decode(q["SAMLRequest"]), -15).decode()
        request_id = __import__("re").search(r' ID="([^"]+)"', request).group(1)
        # The partners' IdP answers that request.
        f = self.forge
        f.NOW, f.SP, f.ACS, f.REQUEST = int(time.time()), self.sp.url("/sso/metadata"), self.sp.url("/sso/acs"), request_id
        xml = f.sign(f.response(assertions=f.assertion(name_id="pat@partner.example")))
        r = s.post(f.ACS, data={"SAMLResponse": base64.b64encode(xml.encode()).decode(), "RelayState": q["RelayState"]},
                   allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text + self.sp.error_log()[-1500:])
        self.assertEqual("/helpdesk/partners", r.headers["Location"])
        h = {k.lower(): v for k, v in s.get(self.sp.url("/helpdesk/partners"), timeout=30).json()["headers"]}
        self.assertEqual("pat@partner.example", h["x-remote-user"])
        self.assertEqual("https://idp.forge.test/metadata", h["x-remote-issuer"])

    def test_customers_location_has_its_own_idps_and_mode(self):
        s = requests.Session()
        self.addCleanup(s.close)
        r = s.get(self.sp.url("/customers/portal"), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text)
        self.assertEqual("/customers/sso/login?return=%2Fcustomers%2Fportal", r.headers["Location"])
        r = s.get(self.sp.url(r.headers["Location"]), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code, r.text)  # one IdP here: no chooser
        self.assertTrue(r.headers["Location"].startswith("http://127.0.0.1:%d/login?" % self.jwtapp.server_address[1]))
        r = s.get(r.headers["Location"], timeout=30)  # the app, /sso/jwt, back to the portal
        self.assertEqual(self.sp.url("/customers/portal"), r.url)
        h = {k.lower(): v for k, v in r.json()["headers"]}
        self.assertEqual("bob@example.com", h["x-forwarded-user"])  # the zammad profile's header
        self.assertNotIn("x-remote-user", h)

    def test_unknown_idp_and_bad_return_refused(self):
        r = requests.get(self.sp.url("/sso/login?idp=okta"), allow_redirects=False, timeout=30)
        self.assertEqual(400, r.status_code)
        self.assertIn("idp.unknown", r.text)
        r = requests.get(self.sp.url("/sso/login?idp=customers&return=https://evil.example/"),
                         allow_redirects=False, timeout=30)
        self.assertEqual(400, r.status_code)
        self.assertIn("url.redirect_not_allowed", r.text)

    def test_chooser_works_without_javascript(self):
        r = requests.get(self.sp.url("/helpdesk/"), allow_redirects=False, timeout=30)
        self.assertEqual(302, r.status_code)
        self.assertEqual("/sso/login?return=%2Fhelpdesk%2F", r.headers["Location"])
        r = requests.get(self.sp.url(r.headers["Location"]), timeout=30)
        self.assertEqual(200, r.status_code)
        self.assertIn('<form method="get" action="/sso/login">', r.text)
        self.assertIn('<input type="hidden" name="return" value="/helpdesk/">', r.text)
        self.assertNotIn("<script", r.text)
        # The form's GET is the ?idp= link.
        r = requests.get(self.sp.url("/sso/login?return=%2Fhelpdesk%2F&idp=customers&remember=1"),
                         allow_redirects=False, timeout=30)
        self.assertIn("hdsso_session_idp=customers", r.headers["Set-Cookie"])


if __name__ == "__main__":
    unittest.main()
