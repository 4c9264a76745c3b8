"""The module answers only for its own endpoints (issue 10, items 1-4),
checked from the outside on a real Apache with the README's layout: every
site protects `<Location />` with `AuthType HelpdeskSSO` + `Require
valid-user` and proxies it to a backend that records every request.

The spec these tests hold the module to:
- The endpoints are an exact table after Apache's URI normalisation:
  remote (GET), jwt (GET, POST), login (GET), logout (GET, POST), acs (POST),
  slo (GET), metadata (GET, HEAD), diagnostics (GET, needs a session),
  <broker kind> (GET), each served only where the site configures it.
- A known leaf this site does not serve: 404 from the module, every method,
  signed in or not, no error-level log line, never 500.
- Any other path under the prefix is an ordinary protected path: the
  backend never sees it without a session, and sees it with the identity
  header when there is one.
- A method not in an endpoint's list: 405 with an Allow header listing
  exactly its methods (TRACE aside); HEAD signs nobody in, consumes no link
  or token and mints no broker token.
- host_url comes from the configured ServerName and port, never from Host.
- The backend never receives a request without an identity header.

Requests whose path must reach Apache byte for byte are sent with
http.client (hdsso_test.raw_request): requests/urllib3 would normalise them.
"""

import os
import sys
import time
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import jwt  # noqa: E402  (python3-jwt)

from hdsso_test import (Apache, RecordingBackend, allow_set, error_level_lines, free_port,  # noqa: E402
                        is_backend_answer, raw_request, remote_query, self_signed_cert)

JWT_SECRET = "jwt-" + uuid.uuid4().hex + uuid.uuid4().hex
DESKPRO_SECRET = "deskpro-" + uuid.uuid4().hex + uuid.uuid4().hex
DESKPRO_HOST = "support.example.test"
LOGIN = "https://login.example.test/login"
LOGOUT = "https://login.example.test/logout"

PROTECT = """
  <Location />
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{backend}/
  </Location>
"""

CONF = """
LogLevel warn helpdesk_sso:info
Listen 127.0.0.1:{port3}
Listen 127.0.0.1:{port4}
# A: remote authentication with a logout page, the README's layout.
<VirtualHost 127.0.0.1:{port}>
  ServerName helpdesk.example.test:{port}
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSORemoteSecretFile {dir}/secret
  HelpdeskSSORemoteLoginURL %(login)s
  HelpdeskSSORemoteLogoutURL %(logout)s
%(protect)s
</VirtualHost>
# B: nothing but remote authentication.
<VirtualHost 127.0.0.1:{port2}>
  ServerName bare.example.test:{port2}
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSORemoteSecretFile {dir}/secret
  HelpdeskSSORemoteLoginURL %(login)s
%(protect)s
</VirtualHost>
# C: JWT sign-in, a Deskpro broker and the diagnostics page.
<VirtualHost 127.0.0.1:{port3}>
  ServerName jwt.example.test:{port3}
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSOJWTKeyFile {dir}/jwt.secret HS256
  HelpdeskSSOJWTAudience helpdesk
  HelpdeskSSOJWTLoginURL https://login.example.test/jwt-login
  HelpdeskSSOBroker deskpro %(deskpro)s {dir}/deskpro.key HS256
  HelpdeskSSODiagnostics On
%(protect)s
</VirtualHost>
# D: SAML (static IdP) with remote authentication as a second way in.
<VirtualHost 127.0.0.1:{port4}>
  ServerName saml.example.test:{port4}
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSORemoteSecretFile {dir}/secret
  HelpdeskSSOSAMLBaseURL http://saml.example.test:{port4}
  HelpdeskSSOSAMLIdPCertFile {dir}/idp.crt
  HelpdeskSSOSAMLIdPEntityID https://idp.example.test/metadata
  HelpdeskSSOSAMLIdPSSOURL https://idp.example.test/sso
  HelpdeskSSOSAMLIdPSLOURL https://idp.example.test/slo
%(protect)s
</VirtualHost>
""" % {"login": LOGIN, "logout": LOGOUT, "deskpro": DESKPRO_HOST, "protect": PROTECT}

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND"]
BROKER_KINDS = ["deskpro", "zendesk", "kayako", "freshworks", "freshdesk"]
KNOWN_LEAVES = ["remote", "jwt", "login", "logout", "acs", "slo", "metadata", "diagnostics"] + BROKER_KINDS

# What each site serves: leaf -> its documented methods.
SERVED = {
    "A": {"remote": {"GET"}, "login": {"GET"}, "logout": {"GET", "POST"}},
    "B": {"remote": {"GET"}, "login": {"GET"}, "logout": {"GET", "POST"}},
    "C": {"jwt": {"GET", "POST"}, "login": {"GET"}, "logout": {"GET", "POST"}, "diagnostics": {"GET"},
          "deskpro": {"GET"}},
    "D": {"remote": {"GET"}, "login": {"GET"}, "logout": {"GET", "POST"}, "acs": {"POST"}, "slo": {"GET"},
          "metadata": {"GET", "HEAD"}},
}
# Endpoints that need a session before anything else (their method rules
# are checked signed in).
NEEDS_SESSION = {"diagnostics", "deskpro"}

# Paths under (or next to) the prefix that are no endpoint, even after
# Apache's normalisation: ordinary protected paths.
PROTECTED_PATHS = [
    "/sso", "/sso/", "/sso/anything", "/sso/remote/", "/sso/REMOTE", "/sso/Remote", "/sso/remote;x",
    "/sso/remote%3bx", "/sso/remote%3Bx", "/sso/admin/x", "/sso/remote/../remote2", "/sso/./remote/x",
    "/sso/sso/remote", "/sso/remote/x", "/sso/remote.php", "/sso/remote%20", "/sso/remote%2e", "/sso/jwt/",
    "/sso/JWT", "/sso/Jwt;x", "/sso/login/", "/sso/login/x", "/sso/LOGIN", "/sso/logout/", "/sso/Logout",
    "/sso/logout;x", "/sso/acs/", "/sso/ACS", "/sso/slo/x", "/sso/metadata/", "/sso/Metadata", "/sso/metadata;x",
    "/sso/diagnostics/", "/sso/Diagnostics", "/sso/deskpro/", "/sso/DESKPRO", "/sso/deskpro/x",
    "/sso/zendesk/", "/sso/%2e%2e/x", "/sso/x/%2e%2e/y", "/SSO/remote", "/Sso/jwt", "/ssoremote", "/sso-remote",
    "/sso.remote", "/sso/?x=/sso/remote", "/sso/x?/sso/remote", "/sso/remote%09", "/sso/%20remote",
    "/sso/remote%25", "/sso/remote%3f", "/sso/remote%23x", "/sso/remote/.", "/sso/remote/./", "/sso/sso",
    "/sso/deskpro%3bx", "/sso/diagnostics%3b",
]
# Paths that Apache's own normalisation turns into an exact endpoint
# (merged slashes, dot segments, decoded unreserved characters): the module
# answers them as that endpoint (or 404 where the site does not serve it);
# the backend never sees them.
NORMALISED_TO_REMOTE = ["/sso//remote", "/sso/./remote", "/sso/x/../remote", "/sso/%72emote", "/sso///remote"]
# Paths Apache itself refuses before any module runs (encoded slash with
# AllowEncodedSlashes Off, NUL, a bad escape, above the root).
REFUSED_BY_APACHE = ["/sso/remote%2fx", "/sso%2fremote", "/sso/remote%00", "/sso/remote%", "/sso/%zz",
                     "/sso/../../remote", "/sso/remote%2f", "/sso/logout%2f", "/sso/remote/..%2fremote"]

backend = None
apache = None
SITES = {}


def setUpModule():
    global backend, apache
    backend = RecordingBackend()
    apache = Apache(CONF, extra_files={"jwt.secret": JWT_SECRET + "\n", "deskpro.key": DESKPRO_SECRET + "\n"})
    self_signed_cert(apache.dir, "idp")
    apache.fmt = {"backend": backend.port, "port3": free_port(), "port4": free_port()}
    apache.start()
    SITES.update({"A": (apache.port, "helpdesk.example.test"), "B": (apache.port2, "bare.example.test"),
                  "C": (apache.fmt["port3"], "jwt.example.test"), "D": (apache.fmt["port4"], "saml.example.test")})


def tearDownModule():
    apache.cleanup()
    backend.stop()


def port_of(site):
    return SITES[site][0]


def cookie_pair(resp, name="hdsso_session"):
    for header in resp.cookies():
        if header.startswith(name + "="):
            return header.split(";", 1)[0]
    return None


def session_cookies(resp):
    """Set-Cookie headers that carry a non-empty session (not a deletion).
    The SAML sign-in state cookie (hdsso_session_saml) is not a session: a
    protected path that sends the browser to the IdP sets it."""
    out = []
    for header in resp.cookies():
        pair = header.split(";", 1)[0]
        name, _, value = pair.partition("=")
        if name.strip() == "hdsso_session" and value.strip() and "max-age=0" not in header.lower():
            out.append(header)
    return out


def fresh_user():
    return "u-%s@example.test" % uuid.uuid4().hex[:12]


def jwt_token(sub=None, **over):
    now = int(time.time())
    claims = {"sub": sub or fresh_user(), "email": sub or fresh_user(), "name": "Jane Doe", "aud": "helpdesk",
              "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex}
    claims.update(over)
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


def form_body(**fields):
    return urllib.parse.urlencode(fields)


class RoutesBase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.mark = backend.mark()
        self.log_offset = len(apache.error_log())

    def request(self, site, method, target, cookie=None, headers=None, body=None, host=None):
        h = dict(headers or {})
        if cookie:
            h["Cookie"] = cookie
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = "x=1"
            h.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return raw_request(port_of(site), method, target, headers=h, body=body, host=host)

    def sign_in(self, site):
        """A fresh session on site: (cookie pair, user name the backend sees)."""
        if site == "C":
            user = fresh_user()
            r = self.request("C", "GET", "/sso/jwt?jwt=" + jwt_token(sub=user))
        else:
            user = fresh_user()
            r = self.request(site, "GET", "/sso/remote?" + remote_query("Jane Doe", user))
        self.assertEqual(302, r.status, "sign-in on %s: %r\n%s" % (site, r, apache.error_log()[-3000:]))
        cookie = cookie_pair(r)
        self.assertIsNotNone(cookie, r)
        # The session works: the backend sees the user.
        mark = backend.mark()
        seen = self.request(site, "GET", "/helpdesk/check", cookie=cookie)
        self.assertTrue(is_backend_answer(seen.headers, seen.body), seen)
        self.assertEqual(1, len(backend.since(mark)))
        got = backend.since(mark)[0]
        self.assertEqual(user, got["headers"].get("x-remote-user"), got)
        return cookie, user

    def new_log(self):
        return apache.error_log()[self.log_offset:]

    def assert_backend_never_anonymous(self):
        """The backend got nothing without an identity header during this test."""
        bad = backend.without_identity(self.mark)
        self.assertEqual([], [(e["method"], e["path"]) for e in bad],
                         "the backend received requests without X-Remote-User")

    def assert_no_problems(self, problems, what):
        if problems:
            limit = len(problems) if os.environ.get("HDSSO_SHOW_ALL") else 60
            shown = "\n".join(problems[:limit])
            more = "" if len(problems) <= limit else "\n... and %d more (HDSSO_SHOW_ALL=1 lists all)" % (
                len(problems) - limit)
            self.fail("%d %s:\n%s%s" % (len(problems), what, shown, more))


class UnservedEndpointsTest(RoutesBase):
    """A known endpoint leaf this site does not serve: 404 from the module,
    for every method, signed in or not; no error-level line, never 500."""

    def test_unserved_leaves_are_404_for_every_method(self):
        problems = []
        sessions = {site: self.sign_in(site)[0] for site in SITES}
        mark = backend.mark()
        for site in sorted(SITES):
            for leaf in KNOWN_LEAVES:
                if leaf in SERVED[site]:
                    continue
                for method in METHODS:
                    for cookie in (None, sessions[site]):
                        who = "signed in" if cookie else "anonymous"
                        r = self.request(site, method, "/sso/" + leaf, cookie=cookie)
                        if r.status != 404 or is_backend_answer(r.headers, r.body):
                            problems.append("%s %s /sso/%s (%s): %d %s" % (site, method, leaf, who, r.status,
                                                                          r.text[:120].replace("\n", " ")))
                        if session_cookies(r):
                            problems.append("%s %s /sso/%s (%s): sets a session cookie" % (site, method, leaf, who))
        problems += ["backend saw %s %s" % (e["method"], e["path"]) for e in backend.since(mark)]
        self.assert_no_problems(problems, "unserved endpoint answers that are not the module's 404")
        self.assertEqual([], error_level_lines(self.new_log()),
                         "unserved endpoints must not log at error level")
        self.assert_backend_never_anonymous()

    def test_unserved_leaves_never_500_and_log_nothing_at_error_level(self):
        # What a scanner does: every known leaf on every site, anonymous.
        fives = []
        for site in sorted(SITES):
            for leaf in KNOWN_LEAVES:
                if leaf in SERVED[site]:
                    continue
                for method in ("GET", "POST", "HEAD"):
                    r = self.request(site, method, "/sso/" + leaf)
                    if r.status >= 500:
                        fives.append("%s %s /sso/%s: %d" % (site, method, leaf, r.status))
        self.assert_no_problems(fives, "server errors for endpoints the site does not serve")
        self.assertEqual([], error_level_lines(self.new_log()),
                         "an endpoint the site does not serve must not log at error level")
        self.assert_backend_never_anonymous()

    def test_unserved_leaf_with_a_valid_link_or_token_signs_nobody_in(self):
        # /sso/remote on the JWT-only site, /sso/jwt on the remote-only sites,
        # with material that would be valid elsewhere.
        mark = backend.mark()
        cases = [("C", "/sso/remote?" + remote_query("Jane Doe", fresh_user())),
                 ("A", "/sso/jwt?jwt=" + jwt_token()), ("B", "/sso/jwt?jwt=" + jwt_token()),
                 ("D", "/sso/jwt?id_token=" + jwt_token()),
                 ("A", "/sso/deskpro?return=" + urllib.parse.quote("https://%s/agent" % DESKPRO_HOST))]
        for site, target in cases:
            for method in ("GET", "HEAD", "POST"):
                r = self.request(site, method, target)
                self.assertEqual(404, r.status, "%s %s %s: %r" % (site, method, target[:40], r))
                self.assertEqual([], session_cookies(r))
                self.assertNotIn("jwt=", r.headers.get("Location", ""))
        self.assertEqual([], backend.since(mark))
        self.assertEqual([], error_level_lines(self.new_log()))
        self.assert_backend_never_anonymous()


class PrefixPathsTest(RoutesBase):
    """Every other path under the prefix is an ordinary protected path."""

    def test_no_session_never_reaches_the_backend(self):
        problems = []
        for site in sorted(SITES):
            for path in PROTECTED_PATHS + NORMALISED_TO_REMOTE + REFUSED_BY_APACHE:
                for method in METHODS:
                    mark = backend.mark()
                    r = self.request(site, method, path)
                    seen = backend.since(mark)
                    if seen or is_backend_answer(r.headers, r.body):
                        problems.append("%s %s %s without a session reached the backend (%d, backend saw %s)"
                                        % (site, method, path, r.status, [e["path"] for e in seen]))
                    elif 200 <= r.status < 300 or r.status >= 500:
                        problems.append("%s %s %s without a session: %d" % (site, method, path, r.status))
                    elif session_cookies(r):
                        problems.append("%s %s %s without a session: sets a session cookie" % (site, method, path))
        self.assert_no_problems(problems, "paths under the prefix that let anonymous requests through")
        self.assert_backend_never_anonymous()

    def test_no_session_is_sent_to_sign_in(self):
        # The README's layout: a protected path without a session is sent
        # to the site's sign-in (remote login page, JWT login page, IdP).
        starts = {"A": LOGIN + "?", "B": LOGIN + "?", "C": "https://login.example.test/jwt-login?",
                  "D": "https://idp.example.test/sso?"}
        problems = []
        for site in sorted(SITES):
            for path in ["/sso", "/sso/", "/sso/anything", "/sso/remote/", "/sso/REMOTE", "/sso/remote;x",
                         "/sso/admin/x", "/sso/sso/remote"]:
                r = self.request(site, "GET", path)
                location = r.headers.get("Location", "")
                if r.status != 302 or not location.startswith(starts[site]):
                    problems.append("%s GET %s: %d Location %r" % (site, path, r.status, location[:100]))
        self.assert_no_problems(problems, "protected paths under the prefix not sent to sign in")
        self.assert_backend_never_anonymous()

    def test_with_a_session_proxied_with_the_identity(self):
        problems = []
        for site in sorted(SITES):
            cookie, user = self.sign_in(site)
            for path in PROTECTED_PATHS:
                for method in ("GET", "POST"):
                    mark = backend.mark()
                    r = self.request(site, method, path, cookie=cookie)
                    seen = backend.since(mark)
                    if r.status != 200 or not is_backend_answer(r.headers, r.body):
                        problems.append("%s %s %s signed in: %d, not the backend's answer (%s)"
                                        % (site, method, path, r.status, r.text[:80].replace("\n", " ")))
                    elif len(seen) != 1 or seen[0]["headers"].get("x-remote-user") != user:
                        problems.append("%s %s %s signed in: backend saw %r" % (
                            site, method, path, [(e["path"], e["headers"].get("x-remote-user")) for e in seen]))
            for path in NORMALISED_TO_REMOTE:
                mark = backend.mark()
                r = self.request(site, "GET", path, cookie=cookie)
                expected = 400 if "remote" in SERVED[site] else 404  # the endpoint, without its parameters
                if backend.since(mark) or r.status != expected:
                    problems.append("%s GET %s signed in: %d (want %d, the endpoint's own answer), backend saw %d"
                                    % (site, path, r.status, expected, len(backend.since(mark))))
            for path in REFUSED_BY_APACHE:
                mark = backend.mark()
                r = self.request(site, "GET", path, cookie=cookie)
                if backend.since(mark) or not 400 <= r.status < 500:
                    problems.append("%s GET %s signed in: %d, backend saw %d" % (site, path, r.status,
                                                                                len(backend.since(mark))))
        self.assert_no_problems(problems, "paths under the prefix not handled as protected paths")
        self.assert_backend_never_anonymous()

    def test_normalised_paths_run_the_endpoint(self):
        # /sso//remote and friends are /sso/remote after normalisation: a
        # valid link signs in there, once.
        for path in ["/sso//remote", "/sso/./remote", "/sso/x/../remote", "/sso/%72emote"]:
            user = fresh_user()
            q = remote_query("Jane Doe", user)
            r = self.request("A", "GET", path + "?" + q)
            self.assertEqual(302, r.status, "%s: %r" % (path, r))
            self.assertTrue(session_cookies(r), r)
            again = self.request("A", "GET", "/sso/remote?" + q)
            self.assertEqual(401, again.status, again)
            self.assertIn("remote.replayed", again.text)
        self.assert_backend_never_anonymous()


class MethodRulesTest(RoutesBase):
    """Each served endpoint takes exactly its documented methods; any other
    is 405 with an Allow header that lists them (TRACE aside)."""

    def check_endpoint(self, site, leaf, allowed, cookie, problems):
        for method in METHODS:
            mark = backend.mark()
            r = self.request(site, method, "/sso/" + leaf, cookie=cookie)
            where = "%s %s /sso/%s (%s)" % (site, method, leaf, "signed in" if cookie else "anonymous")
            if backend.since(mark) or is_backend_answer(r.headers, r.body):
                problems.append(where + ": reached the backend")
                continue
            if method in allowed:
                if r.status == 405 or r.status >= 500:
                    problems.append("%s: %d for a documented method" % (where, r.status))
            else:
                if r.status != 405:
                    problems.append("%s: %d, want 405" % (where, r.status))
                elif allow_set(r.headers.get("Allow")) != allowed:
                    problems.append("%s: Allow %r, want %s" % (where, r.headers.get("Allow"), sorted(allowed)))
                if session_cookies(r):
                    problems.append(where + ": a refused method sets a session or sign-in cookie")

    def test_every_served_endpoint_every_method(self):
        problems = []
        for site in sorted(SITES):
            cookie, _ = self.sign_in(site)
            for leaf, allowed in sorted(SERVED[site].items()):
                if leaf not in NEEDS_SESSION:
                    self.check_endpoint(site, leaf, allowed, None, problems)
                if leaf != "logout":  # logout would end the session used below
                    self.check_endpoint(site, leaf, allowed, cookie, problems)
        self.assert_no_problems(problems, "method answers that break the endpoint table")
        self.assert_backend_never_anonymous()

    def test_logout_methods_signed_in(self):
        problems = []
        for site in ("A", "D"):
            for method in METHODS:
                cookie, _ = self.sign_in(site)
                r = self.request(site, method, "/sso/logout", cookie=cookie)
                if method in ("GET", "POST"):
                    if r.status in (405,) or r.status >= 500:
                        problems.append("%s %s /sso/logout: %d" % (site, method, r.status))
                elif r.status != 405 or allow_set(r.headers.get("Allow")) != {"GET", "POST"}:
                    problems.append("%s %s /sso/logout: %d Allow %r" % (site, method, r.status, r.headers.get("Allow")))
                else:
                    # A refused method ends nothing: the session still works.
                    mark = backend.mark()
                    seen = self.request(site, "GET", "/helpdesk/", cookie=cookie)
                    if not is_backend_answer(seen.headers, seen.body) or len(backend.since(mark)) != 1:
                        problems.append("%s %s /sso/logout: the session ended" % (site, method))
        self.assert_no_problems(problems, "logout method answers")
        self.assert_backend_never_anonymous()

    def test_diagnostics_needs_a_session(self):
        r = self.request("C", "GET", "/sso/diagnostics")
        self.assertEqual(302, r.status, r)
        self.assertTrue(r.headers.get("Location", "").startswith("https://login.example.test/jwt-login?"), r)
        cookie, user = self.sign_in("C")
        r = self.request("C", "GET", "/sso/diagnostics", cookie=cookie)
        self.assertEqual(200, r.status, r)
        self.assertFalse(is_backend_answer(r.headers, r.body))
        self.assertIn(user, r.text)
        self.assert_backend_never_anonymous()


class HeadSignsNobodyInTest(RoutesBase):
    """HEAD (link scanners, mail security) and other methods never sign in,
    never use up the one-time link or token, never mint a broker token."""

    def test_remote_link_not_consumed(self):
        for site in ("A", "B", "D"):
            for method in ("HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND", "POST"):
                user = fresh_user()
                q = remote_query("Jane Doe", user)
                r = self.request(site, method, "/sso/remote?" + q)
                self.assertEqual(405, r.status, "%s %s: %r" % (site, method, r))
                self.assertEqual({"GET"}, allow_set(r.headers.get("Allow")), r)
                self.assertEqual([], r.cookies(), "%s %s must set no cookie" % (site, method))
                # The same link still signs in with GET, once.
                r = self.request(site, "GET", "/sso/remote?" + q)
                self.assertEqual(302, r.status, "%s: the link was used up by %s: %r" % (site, method, r))
                cookie = cookie_pair(r)
                self.assertIsNotNone(cookie, r)
                mark = backend.mark()
                self.request(site, "GET", "/helpdesk/", cookie=cookie)
                self.assertEqual(user, backend.since(mark)[0]["headers"].get("x-remote-user"))
        self.assert_backend_never_anonymous()

    def test_jwt_not_consumed(self):
        for param in ("jwt", "id_token"):
            for method in ("HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND"):
                user = fresh_user()
                token = jwt_token(sub=user)
                r = self.request("C", method, "/sso/jwt?%s=%s" % (param, token))
                self.assertEqual(405, r.status, "%s %s: %r" % (method, param, r))
                self.assertEqual({"GET", "POST"}, allow_set(r.headers.get("Allow")), r)
                self.assertEqual([], r.cookies(), "%s must set no cookie" % method)
                r = self.request("C", "GET", "/sso/jwt?%s=%s" % (param, token))
                self.assertEqual(302, r.status, "the token was used up by %s: %r" % (method, r))
                cookie = cookie_pair(r)
                mark = backend.mark()
                self.request("C", "GET", "/helpdesk/", cookie=cookie)
                self.assertEqual(user, backend.since(mark)[0]["headers"].get("x-remote-user"))
        # A POST form is a documented way in (and uses the token once).
        token = jwt_token()
        r = self.request("C", "POST", "/sso/jwt", body=form_body(jwt=token),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(302, r.status, r)
        r = self.request("C", "GET", "/sso/jwt?jwt=" + token)
        self.assertEqual(401, r.status, r)
        self.assertIn("jwt.replayed", r.text)
        self.assert_backend_never_anonymous()

    def test_broker_mints_nothing_on_head(self):
        cookie, _ = self.sign_in("C")
        target = "/sso/deskpro?return=" + urllib.parse.quote("https://%s/login/authenticate-callback/1" % DESKPRO_HOST,
                                                              safe="")
        for method in ("HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND"):
            r = self.request("C", method, target, cookie=cookie)
            self.assertEqual(405, r.status, "%s: %r" % (method, r))
            self.assertEqual({"GET"}, allow_set(r.headers.get("Allow")), r)
            self.assertNotIn("jwt=", r.headers.get("Location", ""), method)
            self.assertNotIn("jwt=", r.text, method)
        # GET is the way in: a token for Deskpro.
        r = self.request("C", "GET", target, cookie=cookie)
        self.assertEqual(302, r.status, r)
        self.assertIn("jwt=", r.headers.get("Location", ""))
        self.assertTrue(r.headers["Location"].startswith("https://%s/" % DESKPRO_HOST))
        self.assert_backend_never_anonymous()


class HostHeaderTest(RoutesBase):
    """host_url is the configured ServerName and port, never the client's Host."""

    FORGED = ["evil.test", "evil.test:%(port)d", "evil.test:443", "evil.test:80", "127.0.0.1:%(port)d",
              "EVIL.test", "evil.test."]

    def host_url_of(self, location):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
        return q.get("host_url", [None])

    def test_login_redirect(self):
        for site in ("A", "B"):
            port, name = SITES[site]
            expected = "%s:%d" % (name, port)
            for forged in self.FORGED:
                host = forged % {"port": port}
                for path in ("/", "/helpdesk/tickets?id=1", "/sso/login"):
                    for extra in ({}, {"X-Forwarded-Host": "evil.test", "Forwarded": "host=evil.test"}):
                        r = self.request(site, "GET", path, host=host, headers=extra)
                        self.assertEqual(302, r.status, "%s Host %s %s: %r" % (site, host, path, r))
                        location = r.headers["Location"]
                        self.assertTrue(location.startswith(LOGIN + "?"), location)
                        self.assertEqual([expected], self.host_url_of(location), "Host: %s -> %s" % (host, location))
                        self.assertNotIn("evil", location.lower())
        self.assert_backend_never_anonymous()

    def test_logout_redirect(self):
        port, name = SITES["A"]
        expected = "%s:%d" % (name, port)
        for forged in self.FORGED:
            host = forged % {"port": port}
            for cookie in (None, self.sign_in("A")[0]):
                r = self.request("A", "GET", "/sso/logout", host=host, cookie=cookie)
                self.assertEqual(302, r.status, "Host %s: %r" % (host, r))
                location = r.headers["Location"]
                self.assertTrue(location.startswith(LOGOUT), location)
                self.assertEqual([expected], self.host_url_of(location), "Host: %s -> %s" % (host, location))
                self.assertNotIn("evil", location.lower())
        self.assert_backend_never_anonymous()


class SingleLogoutMessagesTest(RoutesBase):
    """Anonymous GETs to PATH/slo with messages Lasso 2.8 would log at
    G_LOG_LEVEL_ERROR (always fatal in GLib: the Apache child aborted):
    a LogoutRequest without NameID sent as an unsigned SAMLResponse, a
    SAMLRequest whose root is not a LogoutRequest, an ECP element. Each
    gets 400 saml.malformed, and no child dies."""

    IDP = "https://idp.example.test/metadata"

    @staticmethod
    def redirect_value(xml):
        import base64
        import zlib
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        raw = c.compress(xml.encode()) + c.flush()
        return urllib.parse.quote(base64.b64encode(raw).decode(), safe="")

    def test_messages_that_aborted_lasso_get_400(self):
        ns = ('xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
              'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"')
        issuer = "<saml:Issuer>%s</saml:Issuer>" % self.IDP
        no_name_id = '<samlp:LogoutRequest %s ID="_x">%s</samlp:LogoutRequest>' % (ns, issuer)
        authn = '<samlp:AuthnRequest %s ID="_y">%s</samlp:AuthnRequest>' % (ns, issuer)
        ecp = ('<samlp:LogoutResponse %s ID="_z">%s<samlp:Extensions><ecp:Request '
               'xmlns:ecp="urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp"/></samlp:Extensions><samlp:Status>'
               '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
               '</samlp:LogoutResponse>' % (ns, issuer))
        for what, query in (("LogoutRequest as SAMLResponse", "SAMLResponse=" + self.redirect_value(no_name_id)),
                            ("LogoutRequest without NameID", "SAMLRequest=" + self.redirect_value(no_name_id)),
                            ("AuthnRequest as SAMLRequest", "SAMLRequest=" + self.redirect_value(authn)),
                            ("ECP element", "SAMLResponse=" + self.redirect_value(ecp))):
            with self.subTest(what):
                r = self.request("D", "GET", "/sso/slo?" + query)
                self.assertEqual(400, r.status, "%s: %r" % (what, r))
                self.assertIn("saml.malformed", r.text)
        log = self.new_log()
        self.assertNotIn("exit signal", log)
        self.assertNotIn("Trace/breakpoint", log)
        self.assertEqual(4, log.count("saml.malformed"), log[-3000:])


if __name__ == "__main__":
    unittest.main()
