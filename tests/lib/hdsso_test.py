"""Shared pieces of the integration tests: a real Apache (Debian's binary, its
own config in a temp dir, a free loopback port, the module from the build
tree), a backend that echoes what it received, and Freshdesk-style signing
done independently of our code (Python's hmac)."""

import hashlib
import hmac
import http.server
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

TOP_SRCDIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILDDIR = os.environ.get("HDSSO_BUILDDIR", TOP_SRCDIR)
MODULE = os.path.join(BUILDDIR, "mod", ".libs", "mod_helpdesk_sso.so")
HDSSO = os.path.join(BUILDDIR, "src", "cli", "hdsso")
APACHE_BIN = os.environ.get("APACHE_BIN", "/usr/sbin/apache2")
APACHE_MODULES = os.environ.get("APACHE_MODULES_DIR", "/usr/lib/apache2/modules")
SECRET = "s3cr3t-integration"


_handed_out = set()


def free_port():
    """A loopback port nobody listens on, below the kernel's ephemeral range
    (32768-60999 on Linux) so that no outgoing connection of the test run can
    take it between this check and the server's bind, and never the same port
    twice in one run."""
    rng = random.Random()
    for _ in range(1000):
        port = rng.randrange(20000, 32700)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free loopback port found")


def wait_for_port(port, deadline_s=60.0, proc=None):
    """Polls until something listens. Bounded, so a broken start fails the
    test instead of hanging the run; it is not a performance check."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("process exited with %s" % proc.returncode)
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("nothing listens on 127.0.0.1:%d" % port)


def sign(name, email, timestamp, secret=SECRET, digest=hashlib.md5):
    """PROTOCOLS.md A.1, written from the spec, not from our code."""
    message = (name + secret + email + str(timestamp)).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, digest).hexdigest()


def remote_query(name, email, timestamp=None, secret=SECRET, **extra):
    ts = int(time.time()) if timestamp is None else timestamp
    params = {"name": name, "email": email, "timestamp": str(ts), "hash": sign(name, email, ts, secret)}
    params.update(extra)
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


class EchoHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request with a JSON of what reached it."""

    def do_GET(self):
        body = json.dumps({"path": self.path, "headers": [[k, v] for k, v in self.headers.items()]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


class EchoBackend:
    def __init__(self):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


BASE_MODULES = [
    "mpm_event", "authn_core", "authz_core", "authz_user", "authz_host", "mime", "dir", "alias",
    "proxy", "proxy_http", "socache_shmcb", "socache_memcache", "socache_redis", "cgid", "env", "headers",
]


class Apache:
    """One Apache instance with a config of the test's own. Stopped by its PID."""

    def __init__(self, body, modules=BASE_MODULES, extra_files=None, load_module=True, access_log=True):
        self.load_module = load_module
        self.access_log = access_log
        self.dir = tempfile.mkdtemp(prefix="hdsso-apache-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.port2 = free_port()
        os.makedirs(os.path.join(self.dir, "htdocs"))
        self.write("secret", SECRET + "\n", mode=0o600)
        self.write("htdocs/index.html", "<p>public start page</p>\n")
        for path, text in (extra_files or {}).items():
            self.write(path, text)
        self.body = body
        self.modules = modules
        self.proc = None

    def write(self, rel, text, mode=0o644):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def config_text(self):
        loads = "\n".join(
            "LoadModule %s_module %s/mod_%s.so" % (m, APACHE_MODULES, m) for m in self.modules)
        user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
        head = f"""
ServerRoot {self.dir}
Listen 127.0.0.1:{self.port}
Listen 127.0.0.1:{self.port2}
ServerName 127.0.0.1
PidFile {self.dir}/httpd.pid
DefaultRuntimeDir {self.dir}
ErrorLog {self.dir}/error.log
LogLevel warn{" helpdesk_sso:info" if self.load_module else ""}
LogFormat "%h %u \\"%r\\" %>s" common
{"CustomLog " + self.dir + "/access.log common" if self.access_log else ""}
<IfModule cgid_module>
ScriptSock {self.dir}/cgid.sock
</IfModule>
TypesConfig /dev/null
{loads}
{"LoadModule helpdesk_sso_module " + MODULE if self.load_module else ""}
{user}
DocumentRoot {self.dir}/htdocs
<Directory {self.dir}/htdocs>
  Require all granted
</Directory>
"""
        return head + self.body.format(dir=self.dir, port=self.port, port2=self.port2, **self.fmt)

    fmt = {}

    def config_test(self):
        """apachectl -t on this config: (exit code, output)."""
        path = self.write("httpd.conf", self.config_text())
        p = subprocess.run([APACHE_BIN, "-t", "-f", path], capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr

    def start(self):
        """Starts Apache; if another process took one of its ports in the
        meantime (bind fails), tries again on fresh ports, a bounded number of
        times."""
        for attempt in range(3):
            path = self.write("httpd.conf", self.config_text())
            # A session of its own: prefork's shutdown signals its whole
            # process group, which must not include the test runner.
            self.proc = subprocess.Popen([APACHE_BIN, "-f", path, "-DFOREGROUND"],
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                wait_for_port(self.port, proc=self.proc)
                wait_for_port(self.port2, proc=self.proc)
                return self
            except RuntimeError:
                output = self.proc.stdout.read().decode(errors="replace") if self.proc.poll() is not None else ""
                self.stop()
                if "could not bind" in output and attempt < 2:
                    self.port, self.port2 = free_port(), free_port()
                    continue
                raise RuntimeError("Apache did not start:\n" + output + self.error_log())
        raise AssertionError("unreachable")

    def url(self, path, second=False):
        return "http://127.0.0.1:%d%s" % (self.port2 if second else self.port, path)

    def error_log(self):
        try:
            with open(os.path.join(self.dir, "error.log")) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def cleanup(self):
        self.stop()
        if not os.environ.get("HDSSO_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)


def run_suites(label, modules):
    """Runs test modules and prints '<label>: N passed, N failed, N skipped'."""
    import sys
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromModule(m) for m in modules)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print("%s: %d passed, %d failed, %d skipped" % (label, passed, failed, skipped))
    return 0 if failed == 0 else 1
