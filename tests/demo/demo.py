"""mod_helpdesk_sso demo.

Three parts, all on 127.0.0.1:
  * Apache with the module (the build tree's), protecting /helpdesk/ as a SAML
    service provider;
  * a sample helpdesk behind it, which shows what Apache told it about the user;
  * a real SAML identity provider: SimpleSAMLphp from Debian's package, in an
    Apache of its own, with two test users (jane / jane-password,
    bob / bob-password).

  demo.py            run until Ctrl-C and print the URL to open
  demo.py --check    walk through sign-in and sign-out once, as a browser would
"""

import argparse
import html
import http.server
import os
import signal
import socket
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from hdsso_test import Apache, free_port  # noqa: E402
from simplesamlphp import SimpleSamlIdp, login_at_idp  # noqa: E402

SITE = """
<VirtualHost 127.0.0.1:{port}>
  ServerName 127.0.0.1
  HelpdeskSSO On
  HelpdeskSSOSAMLBaseURL http://127.0.0.1:{port}
  HelpdeskSSOSAMLIdPMetadataFile {dir}/idp-metadata.xml
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


def serve(handler):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def port_free(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def check(base, idp):
    """One pass through the flow, as a browser would go."""
    import requests
    s = requests.Session()
    r = s.get(base + "/helpdesk/", allow_redirects=False, timeout=30)
    assert r.status_code == 302 and r.headers["Location"].startswith(idp.sso_url), r.text
    action, fields = login_at_idp(s, r.headers["Location"], "jane", "jane-password")
    r = s.post(action, data=fields, timeout=30)
    assert "Signed in as <b>Jane Doe</b>" in r.text, r.text
    r = s.get(base + "/sso/logout", timeout=30)
    assert "You are signed out" in r.text, r.text
    r = s.get(base + "/helpdesk/", allow_redirects=False, timeout=30)
    assert r.status_code == 302 and r.headers["Location"].startswith(idp.sso_url), r.text
    print("demo check: signed in as Jane Doe at SimpleSAMLphp, saw the helpdesk page, signed out")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=int(os.environ.get("HDSSO_DEMO_PORT", "8080")))
    ap.add_argument("--check", action="store_true", help="run the flow once and exit")
    args = ap.parse_args()

    port = args.port if port_free(args.port) else free_port()
    helpdesk = serve(HelpdeskHandler)
    apache = Apache(SITE)
    apache.port = port
    apache.fmt = {"helpdesk_port": helpdesk.server_address[1]}
    base = "http://127.0.0.1:%d" % port
    idp = SimpleSamlIdp()
    idp.add_sp(base + "/sso/metadata", base + "/sso/acs", base + "/sso/slo")
    try:
        idp.start()
        import requests
        apache.write("idp-metadata.xml", idp.metadata(requests.Session()))
        apache.start()
        if args.check:
            check(base, idp)
            return 0
        print("\nmod_helpdesk_sso demo is running.\n\n  Open %s/helpdesk/ in a browser and sign in at the\n"
              "  identity provider (SimpleSAMLphp) as jane / jane-password or bob / bob-password.\n\n"
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
        idp.cleanup()
        helpdesk.shutdown()


if __name__ == "__main__":
    sys.exit(main())
