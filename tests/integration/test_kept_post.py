"""A reply is never lost (issue 12, item 3), through a real Apache: a
same-origin form POST to a protected path without a session is kept while
its sender signs in, then posted again, byte for byte, to the same URL
(urlencoded and multipart compared byte for byte at the backend). What must
never happen: a cross-site POST kept or replayed, a kept form replayed twice
or to another URL, a form over the size limit silently dropped, a
background POST or a non-form body kept, the spool growing past its
per-client budget."""

import os
import re
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import requests  # noqa: E402

from hdsso_test import Apache, RecordingBackend, remote_query  # noqa: E402

CONF = """
HelpdeskSSOPostReplayCount 50 {per_client}
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSORemoteSecretFile {dir}/secret
  HelpdeskSSORemoteLoginURL https://login.example.test/login
  HelpdeskSSOCookieSecure Off
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/helpdesk
  </Location>
  <Location /small>
    AuthType HelpdeskSSO
    Require valid-user
    HelpdeskSSOPostReplayMaxSize 1000
    ProxyPass http://127.0.0.1:{backend}/small
  </Location>
  <Location /off>
    AuthType HelpdeskSSO
    Require valid-user
    HelpdeskSSOPostReplayMaxSize 0
    ProxyPass http://127.0.0.1:{backend}/off
  </Location>
</VirtualHost>
"""

NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document",
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
URLENCODED = "application/x-www-form-urlencoded"

BOUNDARY = "----hdssoBoundary7MA4YWxkTrZu0gW"
MULTIPART_BODY = (
    ("--%s\r\nContent-Disposition: form-data; name=\"UpdateContent\"\r\n\r\n"
     "Dear customer,\r\nthe printer is fixed. Caf\u00e9 & cr\u00e8me.\r\n"
     "--%s\r\nContent-Disposition: form-data; name=\"Attach\"; filename=\"log.bin\"\r\n"
     "Content-Type: application/octet-stream\r\n\r\n" % (BOUNDARY, BOUNDARY)).encode("utf-8")
    + bytes(range(256)) + b"\r\n--" + BOUNDARY.encode() + b"--\r\n")


class KeptPostBase(unittest.TestCase):
    per_client = 8

    @classmethod
    def setUpClass(cls):
        cls.backend = RecordingBackend()
        cls.apache = Apache(CONF)
        cls.apache.fmt = {"backend": cls.backend.port, "per_client": cls.per_client}
        cls.apache.start()
        cls.origin = "http://127.0.0.1:%d" % cls.apache.port

    @classmethod
    def tearDownClass(cls):
        cls.apache.cleanup()
        cls.backend.stop()

    def post(self, path, body, content_type=URLENCODED, site="same-origin", origin=True, cookies=None, extra=None):
        h = dict(NAVIGATE)
        if content_type:
            h["Content-Type"] = content_type
        if site:
            h["Sec-Fetch-Site"] = site
        if origin is True:
            h["Origin"] = self.origin
        elif origin:
            h["Origin"] = origin
        h.update(extra or {})
        return requests.post(self.apache.url(path), data=body, headers=h, cookies=cookies or {},
                             allow_redirects=False, timeout=60)

    def kept_cookie(self, r):
        c = r.cookies.get("hdsso_session_post")
        return {"hdsso_session_post": c} if c else {}

    signed_in = 0

    def sign_in(self, back, cookies):
        # A fresh link each time (a link is used once).
        KeptPostBase.signed_in += 1
        n = KeptPostBase.signed_in
        r = requests.get(self.apache.url("/sso/remote?" + remote_query("Kim Reader %d" % n, "kim%d@example.com" % n,
                                                                      redirect_to=back)),
                         headers=NAVIGATE, cookies=cookies, allow_redirects=False, timeout=60)
        return r, {"hdsso_session": r.cookies.get("hdsso_session")}


class KeptPostTest(KeptPostBase):
    def replay(self, path, body, content_type):
        """Posts without a session, signs in, follows the replay page: what
        the backend then received."""
        r = self.post(path, body, content_type)
        self.assertEqual(302, r.status_code, r.text)
        self.assertTrue(r.headers["Location"].startswith("https://login.example.test/login?"))
        kept = self.kept_cookie(r)
        self.assertTrue(kept, r.headers)
        page, session = self.sign_in(path, kept)
        self.assertEqual(200, page.status_code, page.text)
        self.assertTrue(session["hdsso_session"])
        form = re.search(r'<form id="hdsso-replay" method="post" action="([^"]*)"', page.text)
        self.assertTrue(form, page.text)
        action = form.group(1).replace("&amp;", "&")
        self.assertEqual(path, action)
        self.assertIn("Send the form again", page.text)  # works without scripts too
        secret = re.search(r'<input type="hidden" name="hdsso_replay" value="([0-9a-f]{32})">', page.text)
        self.assertTrue(secret, page.text)
        replay_body = b"hdsso_replay=" + secret.group(1).encode()
        # The cookie alone (as a sibling site could set it) replays nothing.
        mark = self.backend.mark()
        own = self.post(action, b"own=0", URLENCODED, cookies=dict(session, **kept))
        self.assertEqual(200, own.status_code)
        self.assertEqual(b"own=0", self.backend.since(mark)[0]["body"])
        # A wrong secret of the right length is the request's own body.
        mark = self.backend.mark()
        wrong = b"hdsso_replay=" + b"0" * 32
        self.post(action, wrong, URLENCODED, cookies=dict(session, **kept))
        self.assertEqual(wrong, self.backend.since(mark)[0]["body"])
        mark = self.backend.mark()
        # What the browser does with the page: the form, same origin.
        again = self.post(action, replay_body, URLENCODED, cookies=dict(session, **kept))
        self.assertEqual(200, again.status_code, again.text)
        self.assertIn("hdsso_session_post=;", again.headers.get("Set-Cookie", ""))
        got = self.backend.since(mark)
        self.assertEqual(1, len(got))
        self.assertEqual("POST", got[0]["method"])
        self.assertEqual(path, got[0]["path"])
        self.assertEqual("kim%d@example.com" % KeptPostBase.signed_in, got[0]["headers"].get("x-remote-user"))
        # Posted once: the same page's post again is only itself.
        mark = self.backend.mark()
        twice = self.post(action, replay_body, URLENCODED, cookies=dict(session, **kept))
        self.assertEqual(200, twice.status_code)
        self.assertEqual(replay_body, self.backend.since(mark)[0]["body"])
        return got[0]

    def test_urlencoded_reply_reaches_the_helpdesk_byte_for_byte(self):
        body = b"id=7&UpdateContent=Caf%C3%A9+%26+cr%C3%A8me%0D%0Aline+2&a=1&a=2&empty=&x=%2B"
        got = self.replay("/helpdesk/Ticket/Update.html?id=7&Action=Respond", body, URLENCODED)
        self.assertEqual(body, got["body"])
        self.assertEqual(URLENCODED, got["headers"]["content-type"])
        self.assertEqual(str(len(body)), got["headers"]["content-length"])

    def test_multipart_reply_with_attachment_reaches_the_helpdesk_byte_for_byte(self):
        content_type = "multipart/form-data; boundary=" + BOUNDARY
        got = self.replay("/helpdesk/Ticket/Update.html", MULTIPART_BODY, content_type)
        self.assertEqual(MULTIPART_BODY, got["body"])
        self.assertEqual(content_type, got["headers"]["content-type"])

    def test_a_long_reply_up_to_the_limit_is_kept(self):
        body = b"UpdateContent=" + b"x" * (1024 * 1024 - 14)
        self.assertEqual(1024 * 1024, len(body))
        got = self.replay("/helpdesk/Ticket/Update.html?id=9", body, URLENCODED)
        self.assertEqual(body, got["body"])

    def test_cross_site_post_is_never_kept(self):
        for what, site, origin in (("Sec-Fetch-Site cross-site", "cross-site", "https://evil.example"),
                                   ("Sec-Fetch-Site same-site", "same-site", True),
                                   ("another Origin", None, "https://evil.example"),
                                   ("a null Origin", None, "null"),
                                   ("neither header", None, None)):
            with self.subTest(what):
                r = self.post("/helpdesk/Ticket/Update.html", b"UpdateContent=forged", site=site, origin=origin)
                self.assertEqual(302, r.status_code)
                self.assertFalse(self.kept_cookie(r), r.headers)
        self.assertIn("HDSSO036", self.apache.error_log())

    def test_kept_form_is_not_replayed_cross_site(self):
        path = "/helpdesk/Ticket/Update.html?id=11"
        r = self.post(path, b"UpdateContent=mine")
        kept = self.kept_cookie(r)
        self.assertTrue(kept)
        page, session = self.sign_in(path, kept)
        replay_body = b"hdsso_replay=" + re.search(r'name="hdsso_replay" value="([0-9a-f]{32})"',
                                                   page.text).group(1).encode()
        mark = self.backend.mark()
        cross = self.post(path, replay_body, site="cross-site", origin="https://evil.example",
                          cookies=dict(session, **kept))
        self.assertEqual(200, cross.status_code)
        self.assertEqual(replay_body, self.backend.since(mark)[0]["body"])
        # Still kept for its sender's own same-origin post.
        mark = self.backend.mark()
        self.post(path, replay_body, cookies=dict(session, **kept))
        self.assertEqual(b"UpdateContent=mine", self.backend.since(mark)[0]["body"])

    def test_kept_form_goes_only_to_its_own_url(self):
        path = "/helpdesk/Ticket/Update.html?id=12"
        kept = self.kept_cookie(self.post(path, b"UpdateContent=twelve"))
        self.assertTrue(kept)
        # Signed in to go elsewhere: a plain redirect, no replay page.
        r, session = self.sign_in("/helpdesk/Search.html", kept)
        self.assertEqual(302, r.status_code)
        self.assertEqual("/helpdesk/Search.html", r.headers["Location"])
        # A POST to another URL with the cookie gets its own body.
        mark = self.backend.mark()
        self.post("/helpdesk/Ticket/Update.html?id=13", b"own=13", cookies=dict(session, **kept))
        self.assertEqual(b"own=13", self.backend.since(mark)[0]["body"])

    def test_forged_kept_cookie_changes_nothing(self):
        _, session = self.sign_in("/helpdesk/", {})
        for forged in ("0" * 8 + "." + "0" * 32, "../../etc/passwd", "x" * 41):
            with self.subTest(forged):
                mark = self.backend.mark()
                r = self.post("/helpdesk/Ticket/Update.html", b"own=1",
                              cookies=dict(session, hdsso_session_post=forged))
                self.assertEqual(200, r.status_code)
                self.assertEqual(b"own=1", self.backend.since(mark)[0]["body"])

    def test_form_over_the_limit_is_refused_before_signing_in(self):
        for what, extra in (("Content-Length", {}), ("chunked", {"Transfer-Encoding": "chunked"})):
            with self.subTest(what):
                body = b"UpdateContent=" + b"y" * 2000
                data = iter([body[:700], body[700:]]) if extra else body
                h = dict(NAVIGATE, **{"Content-Type": URLENCODED, "Sec-Fetch-Site": "same-origin",
                                      "Origin": self.origin})
                r = requests.post(self.apache.url("/small/Ticket/Update.html"), data=data, headers=h,
                                  allow_redirects=False, timeout=60)
                self.assertEqual(413, r.status_code, r.text)
                self.assertIn("too large", r.text)
                self.assertIn("post.too_large", r.text)
                self.assertIn("/sso/login?return=", r.text)  # a way to sign in first
                self.assertNotIn("Location", r.headers)
                self.assertFalse(self.kept_cookie(r))
        self.assertIn("HDSSO038", self.apache.error_log())

    def test_replay_off_signs_in_as_before(self):
        r = self.post("/off/Ticket/Update.html", b"UpdateContent=z")
        self.assertEqual(302, r.status_code)
        self.assertFalse(self.kept_cookie(r))

    def test_background_and_non_form_posts_are_not_kept(self):
        fetch = self.post("/helpdesk/api/reply", b"x=1",
                          extra={"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty", "Accept": "*/*"})
        self.assertEqual(401, fetch.status_code)
        self.assertNotIn("Set-Cookie", fetch.headers)
        js = self.post("/helpdesk/api/reply", b'{"a":1}', content_type="application/json")
        self.assertEqual(302, js.status_code)
        self.assertFalse(self.kept_cookie(js))


class KeptPostBudgetTest(KeptPostBase):
    """HelpdeskSSOPostReplayCount 50 2: a third form from one client is not
    kept, and the user is told so before signing in."""

    per_client = 2

    def test_per_client_budget(self):
        for i in range(2):
            r = self.post("/helpdesk/Ticket/Update.html?id=%d" % i, b"n=%d" % i)
            self.assertEqual(302, r.status_code)
            self.assertTrue(self.kept_cookie(r))
        third = self.post("/helpdesk/Ticket/Update.html?id=3", b"n=3")
        self.assertEqual(503, third.status_code, third.text)
        self.assertIn("store.full", third.text)
        self.assertIn("/sso/login?return=" + urllib.parse.quote("/helpdesk/Ticket/Update.html?id=3", safe=""),
                      third.text)
        self.assertFalse(self.kept_cookie(third))
        self.assertIn("HDSSO039", self.apache.error_log())


if __name__ == "__main__":
    unittest.main()
