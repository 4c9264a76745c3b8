"""mod_helpdesk_sso demo.

Three parts, all on 127.0.0.1:
  * Apache with the module (the build tree's), protecting /helpdesk/;
  * a sample helpdesk behind it, which shows what Apache told it about the user;
  * a sample "remote login page": the customer's side of Freshdesk-style remote
    authentication. It asks for a name and an email (a real one would check a
    password or an existing session), signs them with the shared secret, and
    sends the browser back to Apache's /sso/remote.

  demo.py            run until Ctrl-C and print the URL to open
  demo.py --check    walk through sign-in and sign-out once, as a browser would
"""

import argparse
import hashlib
import hmac
import html
import http.server
import os
import secrets
import signal
import socket
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from hdsso_test import Apache, free_port  # noqa: E402

SITE = """
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSORemoteSecretFile {dir}/secret
  HelpdeskSSORemoteLoginURL http://127.0.0.1:{login_port}/login
  HelpdeskSSORemoteLogoutURL http://127.0.0.1:{login_port}/logged-out
  HelpdeskSSOFallbackLoginURL http://127.0.0.1:{login_port}/login
  # The demo speaks plain HTTP on loopback; a real site keeps the default (On).
  HelpdeskSSOCookieSecure Off
  RedirectMatch ^/$ /helpdesk/
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
    ProxyPass http://127.0.0.1:{helpdesk_port}/helpdesk
  </Location>
</VirtualHost>
"""

STYLE = ("<style>body{font-family:sans-serif;max-width:42em;margin:3em auto;padding:0 1em;color:#222}"
         "table{border-collapse:collapse}td{border:1px solid #ccc;padding:.2em .6em}"
         "input{display:block;margin:.3em 0 1em;padding:.3em;width:20em}</style>")


def page(title, body):
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>%s</title>%s</head>"
            "<body><h1>%s</h1>%s</body></html>" % (html.escape(title), STYLE, html.escape(title), body)).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    def send_page(self, data, status=200, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class HelpdeskHandler(Handler):
    """The sample helpdesk: trusts what Apache passes, as RT or Znuny would."""

    def do_GET(self):
        # http.server reads header bytes as Latin-1; Apache passes UTF-8.
        def utf8(v):
            return v.encode("latin-1", "replace").decode("utf-8", "replace")
        rows = "".join("<tr><td>%s</td><td>%s</td></tr>" % (html.escape(k), html.escape(utf8(v)))
                       for k, v in self.headers.items() if k.lower().startswith("x-remote-"))
        name = utf8(self.headers.get("X-Remote-Name", ""))
        body = ("<p>Signed in as <b>%s</b> (%s).</p><p>Your tickets: none open.</p>"
                "<p>What the helpdesk received from Apache:</p><table>%s</table>"
                "<p><a href=\"/sso/logout\">Sign out</a></p>"
                % (html.escape(name), html.escape(self.headers.get("X-Remote-User", "")), rows))
        self.send_page(page("Acme Helpdesk", body))


class LoginHandler(Handler):
    """The customer's remote login page (Freshdesk: "Remote Login URL")."""

    secret = b""
    apache_host = ""

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        if url.path == "/logged-out":
            body = "<p>You are signed out.</p><p><a href=\"http://%s/helpdesk/\">Sign in again</a></p>" % \
                html.escape(self.apache_host)
            return self.send_page(page("Signed out", body))
        if url.path != "/login":
            return self.send_page(page("Not found", ""), 404)
        redirect_to = q.get("redirect_to", ["/helpdesk/"])[0]
        body = ("<p>This page stands for your own site's login. It signs your name and email "
                "with the shared secret and sends you back to the helpdesk.</p>"
                "<form method=post action=/login>"
                "<label>Full name<input name=name value=\"Jane Doe\" required></label>"
                "<label>Email<input name=email type=email value=\"jane@example.com\" required></label>"
                "<input type=hidden name=redirect_to value=\"%s\">"
                "<button>Sign in to the helpdesk</button></form>" % html.escape(redirect_to))
        self.send_page(page("Example Corp sign-in", body))

    def do_POST(self):
        length = min(int(self.headers.get("Content-Length", "0")), 8192)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8"))
        name = form.get("name", [""])[0].strip()
        email = form.get("email", [""])[0].strip()
        if not name or not email:
            return self.send_page(page("Sign-in", "<p>Name and email are required.</p>"), 400)
        ts = str(int(time.time()))
        digest = hmac.new(self.secret, (name + self.secret.decode() + email + ts).encode(), hashlib.md5).hexdigest()
        query = urllib.parse.urlencode({"name": name, "email": email, "timestamp": ts, "hash": digest,
                                        "redirect_to": form.get("redirect_to", ["/helpdesk/"])[0]},
                                       quote_via=urllib.parse.quote)
        # Only ever back to our own helpdesk: the host is fixed, not taken from the request.
        self.send_page(b"", 302, [("Location", "http://%s/sso/remote?%s" % (self.apache_host, query))])


def serve(handler):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def port_free(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def check(base):
    """One pass through the flow, as a browser would go."""
    import requests
    s = requests.Session()
    r = s.get(base + "/helpdesk/", timeout=30)
    assert "Example Corp sign-in" in r.text, r.text
    r = s.post(r.url, data={"name": "Jane Doe", "email": "jane@example.com", "redirect_to": "/helpdesk/"},
               timeout=30)
    assert "Signed in as <b>Jane Doe</b>" in r.text, r.text
    r = s.get(base + "/sso/logout", timeout=30)
    assert "You are signed out" in r.text, r.text
    r = s.get(base + "/helpdesk/", timeout=30)
    assert "Example Corp sign-in" in r.text, r.text
    print("demo check: signed in as Jane Doe, saw the helpdesk page, signed out")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=int(os.environ.get("HDSSO_DEMO_PORT", "8080")))
    ap.add_argument("--check", action="store_true", help="run the flow once and exit")
    args = ap.parse_args()

    port = args.port if port_free(args.port) else free_port()
    LoginHandler.secret = secrets.token_urlsafe(32).encode()
    LoginHandler.apache_host = "127.0.0.1:%d" % port
    helpdesk = serve(HelpdeskHandler)
    login = serve(LoginHandler)
    apache = Apache(SITE)
    apache.port = port
    apache.write("secret", LoginHandler.secret.decode() + "\n", mode=0o600)
    apache.fmt = {"login_port": login.server_address[1], "helpdesk_port": helpdesk.server_address[1]}
    try:
        apache.start()
        base = "http://127.0.0.1:%d" % port
        if args.check:
            check(base)
            return 0
        print("\nmod_helpdesk_sso demo is running.\n\n  Open %s/helpdesk/ in a browser.\n\n"
              "  Apache's error log: %s/error.log\n  Press Ctrl-C to stop.\n" % (base, apache.dir), flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *a: stop.set())
        signal.signal(signal.SIGTERM, lambda *a: stop.set())
        while not stop.wait(1):
            if apache.proc.poll() is not None:
                print("Apache stopped unexpectedly:\n" + apache.error_log())
                return 1
        print("stopping")
        return 0
    finally:
        apache.cleanup()
        helpdesk.shutdown()
        login.shutdown()


if __name__ == "__main__":
    sys.exit(main())
