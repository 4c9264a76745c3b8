"""Documents served on loopback for the tests of what the module fetches
(IdP metadata, JWK sets) and for the benchmark: a CA and a TLS certificate
for 127.0.0.1 made with openssl, and an HTTP(S) server that answers each
path with a (status, body) the test sets, and counts its hits."""

import http.server
import os
import ssl
import subprocess
import threading


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


def make_ca(tmp, name):
    """A CA and a certificate for 127.0.0.1 it signs: (ca.crt, tls.crt, tls.key)."""
    ca_key, ca_crt = os.path.join(tmp, name + "-ca.key"), os.path.join(tmp, name + "-ca.crt")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=%s test CA" % name,
            "-keyout", ca_key, "-out", ca_crt)
    key, csr, crt = (os.path.join(tmp, name + n) for n in ("-tls.key", "-tls.csr", "-tls.crt"))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", csr)
    ext = os.path.join(tmp, name + "-san.ext")
    with open(ext, "w") as fh:
        fh.write("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
            "-extfile", ext, "-out", crt)
    return ca_crt, crt, key


class Served:
    """What the server answers, per path: docs[path] = (status, body), the
    body a string or a function called on each hit; and the hits per path."""

    def __init__(self, content_type):
        self.content_type = content_type
        self.docs = {}
        self.hits = {}
        self.lock = threading.Lock()
        self.servers = []

    def count(self, path):
        with self.lock:
            return self.hits.get(path, 0)

    def handler(self):
        served = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with served.lock:
                    served.hits[self.path] = served.hits.get(self.path, 0) + 1
                status, body = served.docs.get(self.path, (404, "not here"))
                data = (body() if callable(body) else body).encode()
                self.send_response(status)
                self.send_header("Content-Type", served.content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass
        return Handler

    def start(self, tls=None):
        """A server on a free loopback port, over TLS with tls=(cert, key)
        (its context is server.ctx, to change the certificate later)."""
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        server.ctx = None
        if tls:
            server.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            server.ctx.load_cert_chain(*tls)
            server.socket = server.ctx.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.servers.append(server)
        return server

    def stop(self):
        for server in self.servers:
            server.shutdown()
            server.server_close()
        self.servers = []
