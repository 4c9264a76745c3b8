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
    # A module whose set-up fails counts one error and no test run.
    passed = max(0, result.testsRun - failed - skipped)
    print("%s: %d passed, %d failed, %d skipped" % (label, passed, failed, skipped))
    return 0 if failed == 0 else 1


# ---------------------------------------------------------------------------
# Additions for the route and store suites (test_routes.py, test_store.py).

class RecordingHandler(http.server.BaseHTTPRequestHandler):
    """Records every request that reaches it, whatever its method, and
    answers 200 with a body and a header that name the recorder, so a test
    can tell a backend answer from one Apache gave itself."""

    protocol_version = "HTTP/1.1"
    # Keep-alive with the proxy: no Nagle delay between headers and body.
    disable_nagle_algorithm = True
    recorder = None  # set on the subclass each RecordingBackend makes

    def __getattr__(self, name):
        # BaseHTTPRequestHandler looks up do_<METHOD>: every method is recorded.
        if name.startswith("do_"):
            return self._record
        raise AttributeError(name)

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _record(self):
        body = self._read_body()
        entry = {"method": self.command, "path": self.path,
                 "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
        self.recorder._add(entry)
        out = json.dumps({"recorder": RecordingBackend.MARKER, "method": self.command, "path": self.path,
                          "headers": [[k, v] for k, v in self.headers.items()]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Recording-Backend", RecordingBackend.MARKER)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    def log_message(self, *args):
        pass


class RecordingBackend:
    """A backend that keeps every request it received (method, path as sent
    by the proxy, headers lower-cased). mark()/since(mark) scope a test."""

    MARKER = "hdsso-recording-backend"

    def __init__(self):
        self._lock = threading.Lock()
        self._requests = []
        handler = type("BoundRecordingHandler", (RecordingHandler,), {"recorder": self})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _add(self, entry):
        with self._lock:
            self._requests.append(entry)

    def mark(self):
        with self._lock:
            return len(self._requests)

    def since(self, mark=0):
        with self._lock:
            return list(self._requests[mark:])

    def without_identity(self, mark=0, header="x-remote-user"):
        """The requests since mark that came without a non-empty identity header."""
        return [e for e in self.since(mark) if not e["headers"].get(header, "").strip()]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def is_backend_answer(headers, body=b""):
    """True when a response came from a RecordingBackend (through the proxy)."""
    if headers.get("X-Recording-Backend") == RecordingBackend.MARKER:
        return True
    if isinstance(body, str):
        body = body.encode("utf-8", "replace")
    return RecordingBackend.MARKER.encode() in (body or b"")


class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # http.client.HTTPMessage: get(), get_all()
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def cookies(self):
        return self.headers.get_all("Set-Cookie") or []

    def __repr__(self):
        return "<%d %s %r>" % (self.status, dict(self.headers.items()), self.body[:300])


def raw_request(port, method, target, headers=None, body=None, host=None, timeout=30):
    """One request with the target sent exactly as given (no client-side
    normalisation of '..', '//' or escapes, unlike requests/urllib3), on a
    fresh connection to 127.0.0.1:port."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else "127.0.0.1:%d" % port)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        data = body.encode() if isinstance(body, str) else body
        if data is not None:
            conn.putheader("Content-Length", str(len(data)))
        elif method in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", "0")
        conn.endheaders(data)
        resp = conn.getresponse()
        out = resp.read()
        return RawResponse(resp.status, resp.headers, out)
    finally:
        conn.close()


def allow_set(value):
    """The methods an Allow header names, upper-cased, TRACE left out."""
    return {m.strip().upper() for m in (value or "").split(",") if m.strip() and m.strip().upper() != "TRACE"}


def error_level_lines(log_text, marker="HDSSO"):
    """Error-log lines at error level or above (emerg, alert, crit, error)
    that contain marker."""
    import re
    pattern = re.compile(r"\[[^\]\s]*:(emerg|alert|crit|error)\]")
    return [line for line in log_text.splitlines() if marker in line and pattern.search(line)]


def self_signed_cert(directory, name="idp"):
    """A fresh RSA-2048 key and self-signed certificate made with openssl:
    (key path, cert path)."""
    if not shutil.which("openssl"):
        raise AssertionError("openssl is missing: apt-get install openssl")
    key = os.path.join(directory, name + ".key")
    crt = os.path.join(directory, name + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=%s.example.test" % name, "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    os.chmod(key, 0o644)
    os.chmod(crt, 0o644)
    return key, crt


def graceful_restart(apache, deadline_s=60.0):
    """A graceful restart of the Apache apache.proc runs (SIGUSR1 to its
    parent, which is what `apachectl graceful` sends), then waits, bounded,
    until the new generation has logged that it is up and the port answers.
    Needs `LogLevel ... mpm_event:notice` in the config."""
    marker = "resuming normal operations"
    before = apache.error_log().count(marker)
    os.kill(apache.proc.pid, signal.SIGUSR1)
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if apache.proc.poll() is not None:
            raise AssertionError("Apache exited during a graceful restart:\n" + apache.error_log())
        if apache.error_log().count(marker) > before:
            wait_for_port(apache.port, deadline_s=max(1.0, end - time.monotonic()), proc=apache.proc)
            return
        time.sleep(0.05)
    raise AssertionError("Apache did not come back from a graceful restart:\n" + apache.error_log())


def require_binary(name, package):
    """The path of a program the test needs; fails (never skips) naming the
    Debian package that provides it."""
    path = shutil.which(name)
    if not path:
        raise AssertionError("%s is missing: apt-get install %s" % (name, package))
    return path


# ---------------------------------------------------------------------------
# Additions for the Request Tracker suite (test_request_tracker.py).

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def headless_chromium(testcase, window_size="1200,900", extra_args=()):
    """A fresh headless Chromium (Debian's chromium and chromium-driver,
    through python3-selenium) with a profile of its own, loopback only,
    quit and removed when testcase ends. Fails (never skips) naming what is
    missing. extra_args: more command-line switches (e.g. trusting one test
    TLS key with --ignore-certificate-errors-spki-list=...)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise AssertionError("python3-selenium is missing: apt-get install python3-selenium")
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.path.exists(path):
            raise AssertionError("%s is missing: apt-get install %s" % (path, package))
    profile = tempfile.mkdtemp(prefix="hdsso-chromium-")
    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile, "--window-size=" + window_size, "--no-proxy-server",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-features=Translate,MediaRouter") + tuple(extra_args):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(90)

    def close():
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    testcase.addCleanup(close)
    return driver


def access_log_lines(apache):
    """The lines of an Apache's access log (LogFormat common: '%h %u "%r" %>s')."""
    try:
        with open(os.path.join(apache.dir, "access.log")) as f:
            return f.read().splitlines()
    except OSError:
        return []
