"""Signing a user who is signed in here into a helpdesk with its own SSO
(PROTOCOLS.md A.1, A.3, B.1, C, D.8), through a real Apache. Each redirect
or form is checked by an independent implementation with that helpdesk's
own rules: python3-jwt for the tokens (Deskpro: 900 s leeway, email and id
required; Zendesk: iat within 3 minutes, jti, email, name; Kayako: iat, jti,
email, name; Freshworks: RS256, nonce echoed), Python's hmac for Freshdesk.
A return URL on another host is refused."""

import base64
import hashlib
import hmac
import html.parser
import json
import os
import sys
import time
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import jwt  # noqa: E402  (python3-jwt)
import requests  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from hdsso_test import SECRET, Apache, remote_query  # noqa: E402

DESKPRO = "acme.deskpro.com"
ZENDESK = "acme.zendesk.com"
KAYAKO = "acme.kayako.com"
FRESHWORKS = "acme.myfreshworks.com"
FRESHDESK = "acme.freshdesk.com"
SECRETS = {name: name + "-" + uuid.uuid4().hex * 3 for name in ("deskpro", "zendesk", "kayako", "jwt")}

CONF = """
<VirtualHost 127.0.0.1:{port}>
ServerName 127.0.0.1
HelpdeskSSO On
HelpdeskSSOCookieSecure Off
HelpdeskSSORemoteSecretFile {dir}/secret
HelpdeskSSORemoteLoginURL http://login.example.test/remote-login
HelpdeskSSOBroker deskpro acme.deskpro.com {dir}/deskpro.secret
HelpdeskSSOBroker zendesk acme.zendesk.com {dir}/zendesk.secret
HelpdeskSSOBroker kayako acme.kayako.com {dir}/kayako.secret HS512
HelpdeskSSOBroker freshworks acme.myfreshworks.com {dir}/freshworks.pem
HelpdeskSSOBroker freshdesk acme.freshdesk.com {dir}/secret
</VirtualHost>
<VirtualHost 127.0.0.1:{port2}>
ServerName 127.0.0.1
HelpdeskSSO On
HelpdeskSSOCookieSecure Off
HelpdeskSSOJWTKeyFile {dir}/jwt.secret HS256
HelpdeskSSOJWTAudience helpdesk
HelpdeskSSOBroker deskpro acme.deskpro.com {dir}/freshworks.pem RS256
HelpdeskSSOBrokerNextKeyFile deskpro {dir}/next.pem
HelpdeskSSOBroker zendesk acme.zendesk.com {dir}/zendesk.secret
HelpdeskSSOBrokerNextKeyFile zendesk {dir}/kayako.secret
HelpdeskSSOBrokerClaim organization company
HelpdeskSSOBrokerClaim tags groups
HelpdeskSSOBrokerTokenLifetime 120
</VirtualHost>
"""

apache = None
rsa_key = None
next_key = None


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(members):
    """RFC 7638: SHA-256 of the required members, sorted, no spaces."""
    text = json.dumps(members, sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(text.encode()).digest())


def rsa_thumbprint(key):
    n = key.public_key().public_numbers()
    return thumbprint({"kty": "RSA", "n": b64url(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")),
                       "e": b64url(n.e.to_bytes((n.e.bit_length() + 7) // 8, "big"))})


def setUpModule():
    global apache, rsa_key, next_key
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    next_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    apache = Apache(CONF)
    for name in ("deskpro", "zendesk", "kayako", "jwt"):
        apache.write(name + ".secret", SECRETS[name] + "\n", mode=0o600)
    apache.write("freshworks.pem", rsa_key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()).decode(), mode=0o600)
    apache.write("next.pem", next_key.private_bytes(serialization.Encoding.PEM,
                                                    serialization.PrivateFormat.TraditionalOpenSSL,
                                                    serialization.NoEncryption()).decode(), mode=0o600)
    apache.start()


def tearDownModule():
    apache.cleanup()


def get(path, cookie=None, second=False):
    return requests.get(apache.url(path, second), headers={"Cookie": cookie} if cookie else {},
                        allow_redirects=False, timeout=30)


def cookie_of(resp):
    for header in resp.raw.headers.getlist("Set-Cookie"):
        if header.startswith("hdsso_session="):
            return header.split(";", 1)[0]
    raise AssertionError("no session cookie: %s %s" % (resp.status_code, resp.text[:300]))


_n = iter(range(1, 10 ** 6))


def signed_in(name="Jane Doe", email=None):
    email = email or "jane%d@example.com" % next(_n)
    return cookie_of(get("/sso/remote?" + remote_query(name, email))), email


def query(**params):
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def split(location):
    u = urllib.parse.urlsplit(location)
    return u, dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))


class Form(html.parser.HTMLParser):
    def __init__(self, text):
        super().__init__()
        self.action, self.method, self.fields = None, None, {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.action, self.method = a.get("action"), a.get("method")
        elif tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a["value"]


class BrokerTest(unittest.TestCase):
    def assert_refused(self, r, status, name):
        self.assertEqual(status, r.status_code, r.text[:400])
        self.assertIn(name, r.text)

    def test_deskpro(self):
        cookie, email = signed_in("Jane Doe")
        back = "https://%s/agent/login/authenticate-callback/3?x=1" % DESKPRO
        r = get("/sso/deskpro?" + query(**{"return": back}), cookie)
        self.assertEqual(302, r.status_code, r.text)
        self.assertEqual("frame-ancestors https://" + DESKPRO, r.headers["Content-Security-Policy"])
        loc, q = split(r.headers["Location"])
        self.assertEqual(back, r.headers["Location"].split("&jwt=")[0])
        # Deskpro's Usersource/Auth/Jwt.php: configured algorithm, 900 s leeway,
        # email required, the user's id in "id".
        claims = jwt.decode(q["jwt"], SECRETS["deskpro"], algorithms=["HS256"], leeway=900,
                            options={"require": ["email"], "verify_aud": False})
        self.assertEqual(email, claims["email"])
        self.assertEqual(email, claims["id"])  # remote authentication: the email is the user name
        self.assertEqual("Jane Doe", claims["name"])
        self.assertLessEqual(claims["exp"] - claims["iat"], 300)

    def test_deskpro_rs256_and_mapped_claims(self):
        now = int(time.time())
        token = jwt.encode({"sub": "u-42", "email": "bob@example.com", "name": "Bob Smith", "company": "Acme",
                            "groups": ["agents", "vip"], "aud": "helpdesk", "iat": now, "exp": now + 60,
                            "jti": uuid.uuid4().hex}, SECRETS["jwt"], algorithm="HS256")
        cookie = cookie_of(get("/sso/jwt?" + query(jwt=token), second=True))
        # Zendesk on this site has a next secret: the first still signs, under
        # the thumbprint of its JWK ({"k", "kty":"oct"}).
        r = get("/sso/zendesk?" + query(return_to="https://%s/hc" % ZENDESK), cookie, second=True)
        zd = Form(r.text).fields["jwt"]
        jwt.decode(zd, SECRETS["zendesk"], algorithms=["HS256"], options={"require": ["jti"]})
        self.assertEqual(thumbprint({"kty": "oct", "k": b64url(SECRETS["zendesk"].encode())}),
                         jwt.get_unverified_header(zd)["kid"])
        with self.assertRaises(jwt.InvalidSignatureError):
            jwt.decode(zd, SECRETS["kayako"], algorithms=["HS256"])
        back = "https://%s/login/authenticate-callback/1" % DESKPRO
        r = get("/sso/deskpro?" + query(**{"return": back}), cookie, second=True)
        self.assertEqual(302, r.status_code, r.text)
        _, q = split(r.headers["Location"])
        self.assertTrue(r.headers["Location"].startswith(back + "?jwt="))
        claims = jwt.decode(q["jwt"], rsa_key.public_key(), algorithms=["RS256"], leeway=900,
                            options={"require": ["email"]})
        self.assertEqual("u-42", claims["id"])
        self.assertEqual("Acme", claims["organization"])
        self.assertEqual(["agents", "vip"], claims["tags"])
        self.assertEqual(120, claims["exp"] - claims["iat"])
        self.assertEqual("RS256", jwt.get_unverified_header(q["jwt"])["alg"])
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with self.assertRaises(jwt.InvalidSignatureError):
            jwt.decode(q["jwt"], other.public_key(), algorithms=["RS256"])
        # Key rollover: the HelpdeskSSOBroker key signs, named by its RFC 7638
        # thumbprint; the HelpdeskSSOBrokerNextKeyFile key is loaded, not used.
        self.assertEqual(rsa_thumbprint(rsa_key), jwt.get_unverified_header(q["jwt"])["kid"])
        self.assertNotEqual(rsa_thumbprint(next_key), rsa_thumbprint(rsa_key))
        with self.assertRaises(jwt.InvalidSignatureError):
            jwt.decode(q["jwt"], next_key.public_key(), algorithms=["RS256"])

    def test_zendesk_form(self):
        cookie, email = signed_in("Jane Doe")
        back = "https://%s/hc/en-us/requests" % ZENDESK
        r = get("/sso/zendesk?" + query(return_to=back, brand_id="360001"), cookie)
        self.assertEqual(200, r.status_code, r.text)
        form = Form(r.text)
        self.assertEqual("https://%s/access/jwt" % ZENDESK, form.action)
        self.assertEqual("post", form.method)
        self.assertEqual(back, form.fields["return_to"])
        # Zendesk: HS256 only, iat within three minutes, jti, email and name required.
        claims = jwt.decode(form.fields["jwt"], SECRETS["zendesk"], algorithms=["HS256"],
                            options={"require": ["iat", "jti", "email", "name"]})
        self.assertEqual("HS256", jwt.get_unverified_header(form.fields["jwt"])["alg"])
        self.assertEqual(thumbprint({"kty": "oct", "k": b64url(SECRETS["zendesk"].encode())}),
                         jwt.get_unverified_header(form.fields["jwt"])["kid"])
        self.assertLessEqual(abs(time.time() - claims["iat"]), 180)
        self.assertEqual(email, claims["email"])
        self.assertEqual("Jane Doe", claims["name"])
        # A relative return_to is a Help Center path, passed on as it is.
        r = get("/sso/zendesk?" + query(return_to="/hc/en-us"), cookie)
        self.assertEqual("/hc/en-us", Form(r.text).fields["return_to"])

    def test_kayako(self):
        cookie, email = signed_in("Jane Doe")
        back = "https://%s/agent/Base/SSO/JWT/?type=agent&action=/agent/" % KAYAKO
        r = get("/sso/kayako?" + query(returnto=back), cookie)
        self.assertEqual(302, r.status_code, r.text)
        location = r.headers["Location"]
        self.assertTrue(location.startswith(back + "&jwt="), location)
        token = location[len(back + "&jwt="):]
        self.assertEqual("HS512", jwt.get_unverified_header(token)["alg"])
        claims = jwt.decode(token, SECRETS["kayako"], algorithms=["HS256", "HS384", "HS512"],
                            options={"require": ["iat", "jti", "email", "name"]})
        self.assertEqual(email, claims["email"])

    def test_freshworks(self):
        cookie, email = signed_in("Jane Doe")
        back = "https://%s/sp/OIDC/302836020429100183/implicit" % FRESHWORKS
        r = get("/sso/freshworks?" + query(response_type="id_token", client_id="302836020429100183",
                                           scope="openid email profile", state="st-123", redirect_uri=back,
                                           nonce="n-456"), cookie)
        self.assertEqual(302, r.status_code, r.text)
        loc, q = split(r.headers["Location"])
        self.assertEqual(back, "%s://%s%s" % (loc.scheme, loc.netloc, loc.path))
        self.assertEqual("st-123", q["state"])
        claims = jwt.decode(q["id_token"], rsa_key.public_key(), algorithms=["RS256"],
                            options={"require": ["sub", "email", "iat", "nonce"]})
        self.assertEqual("n-456", claims["nonce"])
        self.assertEqual(email, claims["email"])
        # No nonce: refused.
        r = get("/sso/freshworks?" + query(state="s", redirect_uri=back), cookie)
        self.assert_refused(r, 400, "broker.bad_request")

    def test_freshdesk(self):
        cookie, email = signed_in("Jane Doe")
        r = get("/sso/freshdesk?" + query(host_url=FRESHDESK, redirect_to="/support/tickets"), cookie)
        self.assertEqual(302, r.status_code, r.text)
        loc, q = split(r.headers["Location"])
        self.assertEqual(("https", FRESHDESK, "/login/sso"), (loc.scheme, loc.netloc, loc.path))
        # PROTOCOLS.md A.1, from the spec: HMAC-MD5(secret, name + secret + email + timestamp).
        message = (q["name"] + SECRET + q["email"] + q["timestamp"]).encode()
        self.assertEqual(hmac.new(SECRET.encode(), message, hashlib.md5).hexdigest(), q["hash"])
        self.assertEqual((email, "Jane Doe", "/support/tickets"), (q["email"], q["name"], q["redirect_to"]))
        self.assertLessEqual(abs(time.time() - int(q["timestamp"])), 30)
        r = get("/sso/freshdesk?" + query(host_url="evil.example.com"), cookie)
        self.assert_refused(r, 400, "url.redirect_not_allowed")

    # The open-redirect payloads of tests/unit/redirect_test.cc, as Freshdesk's
    # redirect_to (sent percent-encoded, as a browser would).
    REDIRECT_PAYLOADS = [
        "//evil.test", "//evil.test/", "///evil.test", "////evil.test", "/\\evil.test", "\\\\evil.test",
        "\\/evil.test", "/\\/evil.test", "https://evil.test", "https://evil.test/support",
        "http://acme.freshdesk.com/support", "https://acme.freshdesk.com.evil.test/",
        "https://acme.freshdesk.com@evil.test/", "https://evil.test@acme.freshdesk.com/",
        "https://evil.test\\@acme.freshdesk.com/", "https://evil.test#@acme.freshdesk.com", "https:evil.test",
        "https:/evil.test", "https:///evil.test", "javascript:alert(1)", "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>", "evil.test", "ftp://acme.freshdesk.com/",
        "%2f%2fevil.test", "%2F%2Fevil.test", "/%2f%2fevil.test", "/%2F%2Fevil.test", "/%5cevil.test",
        "/%09/evil.test", "/\tevil.test", "/\r\nSet-Cookie: x=y", "/%0d%0aSet-Cookie:x=y",
        "/\nLocation: https://evil.test", " //evil.test", "\t//evil.test", "/%00", "/%", "/%zz", "/%E2%80%A8",
        "/\u00e9",
    ]

    def test_freshdesk_redirect_to_goes_through_the_validator(self):
        cookie, _ = signed_in("Jane Doe")
        for target in self.REDIRECT_PAYLOADS:
            with self.subTest(redirect_to=target):
                r = get("/sso/freshdesk?" + query(host_url=FRESHDESK, redirect_to=target), cookie)
                self.assert_refused(r, 400, "url.redirect_not_allowed")
                self.assertNotIn("Location", r.headers)
                self.assertNotIn("hash=", r.text)
        self.assertIn("HDSSO020: url.redirect_not_allowed: redirect_to: scheme-relative target", apache.error_log())
        # A URL on the helpdesk passes, unchanged, inside the signed link.
        back = "https://%s/support/tickets/42" % FRESHDESK
        r = get("/sso/freshdesk?" + query(host_url=FRESHDESK, redirect_to=back), cookie)
        self.assertEqual(302, r.status_code, r.text)
        self.assertEqual(back, split(r.headers["Location"])[1]["redirect_to"])

    def test_return_url_on_another_host_refused(self):
        cookie, _ = signed_in()
        cases = {
            "deskpro": {"return": "https://evil.example.com/login/authenticate-callback/3"},
            "zendesk": {"return_to": "https://acme.zendesk.com.evil.example/hc"},
            "kayako": {"returnto": "https://evil.example.com/?x=" + KAYAKO},
            "freshworks": {"redirect_uri": "https://user@evil.example.com/sp/OIDC/1/implicit", "nonce": "n"},
        }
        for kind, params in cases.items():
            with self.subTest(kind=kind):
                r = get("/sso/%s?%s" % (kind, query(**params)), cookie)
                self.assert_refused(r, 400, "url.redirect_not_allowed")
                self.assertNotIn("jwt=", r.headers.get("Location", ""))
        # Plain http to the right host: refused too.
        r = get("/sso/deskpro?" + query(**{"return": "http://%s/login/authenticate-callback/3" % DESKPRO}), cookie)
        self.assert_refused(r, 400, "url.redirect_not_allowed")

    def test_missing_return_refused(self):
        cookie, _ = signed_in()
        self.assert_refused(get("/sso/deskpro", cookie), 400, "broker.bad_request")
        self.assert_refused(get("/sso/kayako?returnto=", cookie), 400, "broker.bad_request")
        r = get("/sso/deskpro?" + query(**{"return": "https://%s/a" % DESKPRO}) + "&return=x", cookie)
        self.assert_refused(r, 400, "broker.bad_request")

    def test_not_signed_in_signs_in_first_and_comes_back(self):
        path = "/sso/kayako?" + query(returnto="https://%s/agent/Base/SSO/JWT/?type=agent" % KAYAKO)
        r = get(path)
        self.assertEqual(302, r.status_code, r.text)
        loc, q = split(r.headers["Location"])
        self.assertEqual("login.example.test", loc.netloc)
        self.assertEqual(path, q["redirect_to"])
        self.assertNotIn("jwt=", r.headers["Location"])

    def test_unconfigured_helpdesk_is_not_an_endpoint(self):
        cookie, _ = signed_in()
        self.assertEqual(404, get("/sso/kayako?returnto=https://%s/" % KAYAKO, cookie, second=True).status_code)


if __name__ == "__main__":
    unittest.main()
