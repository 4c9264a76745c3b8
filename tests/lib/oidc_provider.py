"""A real OpenID Provider for the tests: panva's oidc-provider (npm, the exact
versions of tests/lib/oidc_provider/package-lock.json) run by Node.js
(Debian's nodejs) over HTTPS on 127.0.0.1, with a certificate of a test CA
made by served.make_ca. Nobody here wrote the provider; the server script
tests/lib/oidc_provider/server.mjs only configures it.

The npm packages are installed with `npm ci --omit=dev` into a directory of
the tests' own ($HDSSO_NPM_CACHE, else tests/oidc-provider-npm/ in the build
tree), one subdirectory per lockfile, only when missing; nothing global.

OidcProvider(workdir, rp=..., jwt_rp=...) registers two clients:
  secret client          client_secret_basic, id/secret in .secret_client_id,
                         .secret_client_secret (and .secret_file for secret-file=)
  private_key_jwt client public key in its registered jwks; the PEM private
                         key in .jwt_key_file, its kid (RFC 7638 thumbprint)
                         in .jwt_kid
each with redirect_uri <rp>/sso/oidc, post_logout_redirect_uri
<rp>/sso/logout, backchannel_logout_uri <rp>/sso/oidc-backchannel
(backchannel_logout_session_required). PKCE (S256) is required. Accounts:
any username, any password; claims from the username (alice ->
alice@example.com, name Alice, groups ["staff"] unless groups= says).
Started by start(), stopped by PID in stop()."""

import base64
import fcntl
import hashlib
import html.parser
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
import urllib.parse

import jwt  # python3-jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from hdsso_test import BUILDDIR, TOP_SRCDIR, free_port, require_binary
from served import make_ca

SOURCE = os.path.join(TOP_SRCDIR, "tests", "lib", "oidc_provider")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_pair():
    """(code_verifier, code_challenge) for S256."""
    verifier = b64url(secrets.token_bytes(32))
    return verifier, b64url(hashlib.sha256(verifier.encode()).digest())


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_jwk(key, kid):
    k = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key))
    # python3-jwt adds key_ops ["sign"]: oidc-provider would then not use
    # the key to verify (an id_token_hint at end_session).
    k.pop("key_ops", None)
    k.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return k


def public_jwk(key, kid=None):
    k = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    k.pop("key_ops", None)
    if kid:
        k["kid"] = kid
    return k


def thumbprint(key):
    """RFC 7638 JWK thumbprint (SHA-256) of an RSA key's public part."""
    k = public_jwk(key)
    canonical = json.dumps({"e": k["e"], "kty": "RSA", "n": k["n"]}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def npm_modules():
    """The directory whose node_modules holds the pinned packages: installed
    from the lockfile with `npm ci --omit=dev` when missing (under a lock, so
    that parallel runs install once)."""
    with open(os.path.join(SOURCE, "package-lock.json"), "rb") as f:
        lock = f.read()
    with open(os.path.join(SOURCE, "package.json"), "rb") as f:
        pkg = f.read()
    digest = hashlib.sha256(lock + b"\0" + pkg).hexdigest()[:16]
    base = os.environ.get("HDSSO_NPM_CACHE") or os.path.join(BUILDDIR, "tests", "oidc-provider-npm")
    target = os.path.join(base, digest)
    stamp = os.path.join(target, ".installed")
    os.makedirs(base, exist_ok=True)
    with open(os.path.join(base, ".lock"), "w") as lockfile:
        fcntl.flock(lockfile, fcntl.LOCK_EX)
        if not os.path.exists(stamp):
            npm = require_binary("npm", "npm (Debian 12: apt-get install nodejs npm)")
            shutil.rmtree(target, ignore_errors=True)
            os.makedirs(target)
            for name in ("package.json", "package-lock.json"):
                shutil.copy(os.path.join(SOURCE, name), target)
            p = subprocess.run([npm, "ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund",
                                "--cache", os.path.join(base, ".npm-cache")],
                               cwd=target, capture_output=True, text=True)
            if p.returncode != 0:
                raise AssertionError("npm ci for the test OpenID Provider failed:\n" + p.stdout + p.stderr)
            with open(stamp, "w") as f:
                f.write(digest + "\n")
    # The script beside its node_modules, so that Node resolves the import.
    shutil.copy(os.path.join(SOURCE, "server.mjs"), os.path.join(target, "server.mjs"))
    return target


class Form:
    def __init__(self, action, method):
        self.action, self.method = action, (method or "get").lower()
        self.fields = []   # (name, value, type)
        self.buttons = []  # (name, value)

    def data(self, **fill):
        out = {n: v for n, v, t in self.fields if n}
        out.update(fill)
        return out

    def names(self):
        return {n for n, v, t in self.fields}


class FormParser(html.parser.HTMLParser):
    """The forms of a page: action, method, inputs, named buttons."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method")))
        elif tag == "input" and self.forms:
            self.forms[-1].fields.append((a.get("name"), a.get("value") or "", a.get("type", "text")))
        elif tag == "button" and self.forms and a.get("name"):
            self.forms[-1].buttons.append((a["name"], a.get("value", "")))
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def forms_of(text):
    p = FormParser()
    p.feed(text)
    return p


class OidcProvider:
    def __init__(self, workdir, rp="http://127.0.0.1:1", jwt_rp=None, prefix="/sso", id_token_ttl=3600,
                 groups=None, default_groups=None):
        self.dir = os.path.join(workdir, "oidc-provider")
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.node = require_binary("node", "nodejs")
        self.port = free_port()
        self.issuer = "https://127.0.0.1:%d" % self.port
        self.netloc = "127.0.0.1:%d" % self.port
        self.ca_file, self.tls_cert, self.tls_key = make_ca(self.dir, "op")
        for f in (self.ca_file, self.tls_cert, self.tls_key):
            os.chmod(f, 0o644)
        self.admin_token = secrets.token_hex(16)
        self.signing_keys = [rsa_key(), rsa_key()]
        self.kids = ["op-key-1", "op-key-2"]
        self.secret_client_id = "hdsso-secret"
        self.secret_client_secret = secrets.token_urlsafe(32)
        self.secret_file = self.write("client.secret", self.secret_client_secret + "\n")
        self.jwt_client_id = "hdsso-jwt"
        self.jwt_key = rsa_key()
        self.jwt_kid = thumbprint(self.jwt_key)
        self.jwt_key_file = self.write("client-jwt.key", pem(self.jwt_key))
        self.rp, self.jwt_rp, self.prefix = rp, jwt_rp or rp, prefix
        self.id_token_ttl = id_token_ttl
        self.groups = groups or {}
        self.default_groups = default_groups or ["staff"]
        self.proc = None
        self.log_path = os.path.join(self.dir, "provider.log")

    def write(self, rel, text, mode=0o644):
        path = os.path.join(self.dir, rel)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def client_metadata(self, rp, **extra):
        meta = {
            "redirect_uris": [rp + self.prefix + "/oidc"],
            "post_logout_redirect_uris": [rp + self.prefix + "/logout"],
            "backchannel_logout_uri": rp + self.prefix + "/oidc-backchannel",
            "backchannel_logout_session_required": True,
            "response_types": ["code"],
            "grant_types": ["authorization_code"],
            "application_type": "web",
        }
        meta.update(extra)
        return meta

    def config(self):
        return {
            "issuer": self.issuer,
            "port": self.port,
            "tls": {"key": self.tls_key, "cert": self.tls_cert},
            "admin_token": self.admin_token,
            "cookie_keys": [secrets.token_hex(16)],
            "id_token_ttl": self.id_token_ttl,
            "groups": self.groups,
            "default_groups": self.default_groups,
            "jwks": {"keys": [private_jwk(self.signing_keys[0], self.kids[0])]},
            "rotated_jwks": {"keys": [private_jwk(self.signing_keys[1], self.kids[1])]},
            "clients": [
                self.client_metadata(self.rp, client_id=self.secret_client_id,
                                     client_secret=self.secret_client_secret,
                                     token_endpoint_auth_method="client_secret_basic"),
                self.client_metadata(self.jwt_rp, client_id=self.jwt_client_id,
                                     token_endpoint_auth_method="private_key_jwt",
                                     jwks={"keys": [dict(public_jwk(self.jwt_key, self.jwt_kid),
                                                         alg="RS256", use="sig")]}),
            ],
        }

    # --- process -----------------------------------------------------------

    def start(self, deadline_s=120.0):
        modules = npm_modules()
        path = self.write("config.json", json.dumps(self.config(), indent=1), mode=0o600)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.node, os.path.join(modules, "server.mjs"), path], cwd=modules,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        # Bounded, so that a broken start fails the test instead of hanging.
        end = time.monotonic() + deadline_s
        last = None
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError("the test OpenID Provider exited (%s):\n%s" % (self.proc.returncode, self.log()))
            try:
                r = requests.get(self.issuer + "/.well-known/openid-configuration", verify=self.ca_file, timeout=10)
                if r.status_code == 200:
                    self.discovery = r.json()
                    return self
                last = r.status_code
            except requests.RequestException as e:
                last = e
            time.sleep(0.1)
        self.stop()
        raise AssertionError("the test OpenID Provider did not answer discovery (%s):\n%s" % (last, self.log()))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def events(self, name=None):
        """The JSON event lines server.mjs wrote (backchannel.success ...)."""
        out = []
        for line in self.log().splitlines():
            if line.startswith("{"):
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if name is None or e.get("event") == name:
                    out.append(e)
        return out

    # --- keys --------------------------------------------------------------

    def jwks(self):
        r = requests.get(self.discovery["jwks_uri"], verify=self.ca_file, timeout=30)
        r.raise_for_status()
        return r.json()

    def rotate(self, jwks=None):
        """Swaps the provider's signing keys while it runs (default: to the
        second key, kid op-key-2, the first one no longer published).
        Sessions and grants survive."""
        body = json.dumps({"jwks": jwks}) if jwks else ""
        r = requests.post(self.issuer + "/_test/rotate", data=body, verify=self.ca_file, timeout=30,
                          headers={"Authorization": "Bearer " + self.admin_token})
        if r.status_code != 200:
            raise AssertionError("rotation refused: %s %s" % (r.status_code, r.text))
        return r.json()["kids"]

    def verify_id_token(self, token, client_id, nonce=None):
        """The ID token's claims, verified with python3-jwt against the
        provider's JWKS as served now (RS256, iss, aud)."""
        kid = jwt.get_unverified_header(token).get("kid")
        keys = [k for k in self.jwks()["keys"] if k.get("kid") == kid]
        if not keys:
            raise AssertionError("no key %r in the provider's JWKS" % kid)
        key = jwt.PyJWK(keys[0]).key
        claims = jwt.decode(token, key, algorithms=["RS256"], audience=client_id, issuer=self.issuer)
        if nonce is not None and claims.get("nonce") != nonce:
            raise AssertionError("nonce %r, expected %r" % (claims.get("nonce"), nonce))
        return claims

    def client_assertion(self, client_id=None, key=None, kid=None, audience=None, lifetime=60):
        """A private_key_jwt client assertion made with python3-jwt, shaped
        as the spec says the module makes it."""
        now = int(time.time())
        cid = client_id or self.jwt_client_id
        claims = {"iss": cid, "sub": cid, "aud": audience or self.discovery["token_endpoint"],
                  "jti": secrets.token_hex(16), "iat": now, "exp": now + lifetime}
        return jwt.encode(claims, key or self.jwt_key, algorithm="RS256", headers={"kid": kid or self.jwt_kid})

    # --- browser-like driving ----------------------------------------------

    def is_mine(self, url):
        return urllib.parse.urlsplit(url).netloc == self.netloc

    def drive(self, session, url, user, password="any-password", max_steps=20):
        """Follows `url` (at the provider) through the provider's pages like
        a browser: redirects, the login form (any username, any password),
        the consent form, and the logout confirmation. Stops at the first
        step that leaves the provider and returns it without sending it:
        ("redirect", location) or ("form_post", action, fields)."""
        method, data = "GET", None
        for _ in range(max_steps):
            r = session.request(method, url, data=data, allow_redirects=False, verify=self.ca_file, timeout=60)
            if r.is_redirect:
                url = urllib.parse.urljoin(url, r.headers["Location"])
                method, data = "GET", None
                if not self.is_mine(url):
                    return ("redirect", url)
                continue
            page = forms_of(r.text)
            if r.status_code != 200 or not page.forms:
                raise AssertionError("the provider answered %d at %s:\n%s\n%s" % (
                    r.status_code, url, r.text[:2000], self.log()[-2000:]))
            form = page.forms[0]
            target = urllib.parse.urljoin(url, form.action)
            if "login" in form.names() and "password" in form.names():
                fields = form.data(login=user, password=password)
            elif form.method == "post" and not self.is_mine(target):
                return ("form_post", target, form.data())
            else:
                fields = form.data(**dict(form.buttons))
            url, method, data = target, form.method.upper(), fields
            if method == "GET":
                url = url + ("&" if "?" in url else "?") + urllib.parse.urlencode(fields)
                data = None
        raise AssertionError("no way out of the provider after %d steps (at %s)" % (max_steps, url))

    def sign_in(self, session, start_url, user, password="any-password"):
        """Signs `user` in at Apache through this provider with a
        python3-requests session: GET start_url (Apache's /sso/login?idp=...
        or a protected page) without following redirects, through the
        provider's pages, then back to Apache as a browser would (GET the
        redirect, or POST the auto-submitted form of response_mode=form_post).
        Returns Apache's answer to that callback (not followed further); its
        .request can be sent again to replay the callback."""
        r = session.get(start_url, allow_redirects=False, timeout=60)
        url = start_url
        while r.is_redirect:
            url = urllib.parse.urljoin(url, r.headers["Location"])
            if self.is_mine(url):
                break
            r = session.get(url, allow_redirects=False, timeout=60)
        else:
            raise AssertionError("Apache did not send the browser to the provider: %d %s\n%s" % (
                r.status_code, r.headers, r.text[:1000]))
        self.last_authorization = url
        step = self.drive(session, url, user, password)
        if step[0] == "redirect":
            return session.get(step[1], allow_redirects=False, timeout=60)
        return session.post(step[1], data=step[2], allow_redirects=False, timeout=60)

    def end_session(self, session, url=None, **params):
        """RP-initiated logout at the provider's end_session endpoint, the
        confirmation form submitted ("Yes, sign me out": the whole provider
        session ends, and the provider sends a back-channel logout token to
        every client of the session that registered a backchannel_logout_uri,
        before it answers). `url` is where Apache's /sso/logout sent the
        browser; without it, the end_session endpoint with `params`
        (id_token_hint, post_logout_redirect_uri, state, client_id).
        Returns ("redirect", location) when the provider sends the browser
        back to the RP, else ("page", text) of the provider's own page."""
        if url is None:
            url = self.discovery["end_session_endpoint"]
            if params:
                url += "?" + urllib.parse.urlencode(params)
        r = session.get(url, allow_redirects=False, verify=self.ca_file, timeout=60)
        page = forms_of(r.text)
        if r.status_code != 200 or not page.forms:
            raise AssertionError("no logout confirmation at %s: %d\n%s\n%s" % (url, r.status_code, r.text[:2000],
                                                                               self.log()[-2000:]))
        form = page.forms[0]
        r = session.post(urllib.parse.urljoin(url, form.action), data=form.data(**dict(form.buttons)),
                         allow_redirects=False, verify=self.ca_file, timeout=60)
        while r.is_redirect:
            location = urllib.parse.urljoin(r.url, r.headers["Location"])
            if not self.is_mine(location):
                return ("redirect", location)
            r = session.get(location, allow_redirects=False, verify=self.ca_file, timeout=60)
        return ("page", r.text)

    logout_everywhere = end_session
