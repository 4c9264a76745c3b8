"""A rogue OpenID Provider for the tests of what the module refuses: on
served.py's loopback TLS server (a CA of its own from make_ca), it serves
discovery and a JWKS like an honest provider, an /authorize that sends the
browser straight back with code and state (no login page; it keeps the
request's nonce, client_id, redirect_uri, code_challenge by code), and a
/token that answers the code with an ID token the test crafts: `mint` is
called with (the authorization request's parameters, the token request) and
returns the token. The default mint is an honest RS256 token, so a test can
show the rogue works before it turns it against the module.

Helpers craft the bad ones: alg none, HS256 "signed" with the RSA public key
PEM (made by hand with hmac: python3-jwt refuses that key), wrong aud,
expired, wrong nonce."""

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import uuid

import jwt  # python3-jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from served import Served, make_ca


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(header, claims, signature=b""):
    return "%s.%s.%s" % (b64url(json.dumps(header)), b64url(json.dumps(claims)), b64url(signature))


class RogueOidc(Served):
    KID = "rogue-key-1"

    def __init__(self, tmp, name="rogue-op"):
        super().__init__("application/json")
        self.ca_file, self.tls_cert, self.tls_key = make_ca(tmp, name)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.authorizations = []   # the /authorize requests' parameters, in order
        self.token_requests = []   # {"headers": {...}, "form": {...}}
        self.codes = {}
        self.mint = lambda auth, req: self.sign(self.claims(auth))
        self.user = "rita"
        self.server = None

    # --- tokens ------------------------------------------------------------

    def claims(self, auth, **over):
        """Honest claims for the authorization request `auth`; keyword
        arguments replace them (None removes one)."""
        now = int(time.time())
        c = {"iss": self.issuer, "aud": auth.get("client_id"), "sub": self.user, "email": self.user + "@example.com",
             "name": self.user.capitalize(), "nonce": auth.get("nonce"), "iat": now, "exp": now + 300,
             "auth_time": now}
        c.update(over)
        return {k: v for k, v in c.items() if v is not None}

    def sign(self, claims, alg="RS256", headers=None):
        h = {"kid": self.KID}
        h.update(headers or {})
        return jwt.encode(claims, self.key, algorithm=alg, headers=h)

    def unsigned(self, claims):
        """alg none, empty signature."""
        return compact({"alg": "none", "typ": "JWT", "kid": self.KID}, claims)

    def hs256_with_public_key(self, claims):
        """HS256 whose HMAC key is the PEM of the RSA public key the JWKS
        publishes (the algorithm-confusion attack)."""
        header = {"alg": "HS256", "typ": "JWT", "kid": self.KID}
        signing_input = "%s.%s" % (b64url(json.dumps(header)), b64url(json.dumps(claims)))
        sig = hmac.new(self.public_pem, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + b64url(sig)

    # --- server ------------------------------------------------------------

    def jwks(self):
        k = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        k.update({"kid": self.KID, "alg": "RS256", "use": "sig"})
        return {"keys": [k]}

    def handler(self):
        rogue = self
        base = super().handler()

        class Handler(base):
            def do_GET(self):
                path, _, query = self.path.partition("?")
                if path != "/authorize":
                    return base.do_GET(self)
                with rogue.lock:
                    rogue.hits[path] = rogue.hits.get(path, 0) + 1
                auth = dict(urllib.parse.parse_qsl(query))
                code = uuid.uuid4().hex
                with rogue.lock:
                    rogue.authorizations.append(auth)
                    rogue.codes[code] = auth
                back = {"code": code}
                if "state" in auth:
                    back["state"] = auth["state"]
                uri = auth.get("redirect_uri", "")
                self.send_response(302)
                self.send_header("Location", uri + ("&" if "?" in uri else "?") + urllib.parse.urlencode(back))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):
                path = self.path.partition("?")[0]
                n = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
                req = {"headers": {k.lower(): v for k, v in self.headers.items()}, "form": form}
                with rogue.lock:
                    rogue.hits[path] = rogue.hits.get(path, 0) + 1
                    rogue.token_requests.append(req)
                    auth = rogue.codes.pop(form.get("code", ""), None)
                if path != "/token" or auth is None:
                    status, body = 400, {"error": "invalid_grant"}
                else:
                    status, body = 200, {"access_token": uuid.uuid4().hex, "token_type": "Bearer",
                                         "expires_in": 300, "id_token": rogue.mint(auth, req)}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
        return Handler

    def start(self):
        self.server = super().start(tls=(self.tls_cert, self.tls_key))
        self.port = self.server.server_address[1]
        self.issuer = "https://127.0.0.1:%d" % self.port
        self.discovery = {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile"],
        }
        self.docs["/.well-known/openid-configuration"] = (200, lambda: json.dumps(self.discovery))
        self.docs["/jwks"] = (200, lambda: json.dumps(self.jwks()))
        return self

