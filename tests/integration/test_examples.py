"""What an administrator reads and copies: every example site passes Apache's
configuration test (with the files it names made up in a temp dir), the
directive reference matches the module's own command table, every hdsso
command answers --help, a usage error is one line and a hint, and the key
generation and broker test commands do what the docs say."""

import base64
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from hdsso_test import APACHE_BIN, APACHE_MODULES, HDSSO, MODULE, TOP_SRCDIR  # noqa: E402

EXAMPLES = os.path.join(TOP_SRCDIR, "apache-conf", "examples")
DOC = os.path.join(TOP_SRCDIR, "doc")
COMPLETION = os.path.join(TOP_SRCDIR, "src", "cli", "hdsso.bash-completion")


def hdsso(*args, **kw):
    p = subprocess.run([HDSSO, *args], capture_output=True, text=True, **kw)
    return p.returncode, p.stdout, p.stderr


def commands():
    """Every 'GROUP SUB' that hdsso --help lists."""
    rc, out, _ = hdsso("--help")
    assert rc == 0, out
    return [tuple(m.split()) for m in re.findall(r"^  hdsso ([a-z-]+ [a-z-]+)$", out, re.M)]


def b64url(data):
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


# What the wrapper config loads for the examples: Debian's a2enmod defaults
# and the modules the examples name in their a2enmod lines.
EXAMPLE_MODULES = [
    "mpm_event", "authn_core", "authz_core", "authz_user", "authz_host", "alias", "dir", "mime", "env",
    "setenvif", "rewrite", "headers", "ssl", "socache_shmcb", "proxy", "proxy_http", "proxy_wstunnel",
    "proxy_fcgi", "fcgid", "cgid",
]
# Directories under which an example names files; the test makes them up
# under a temp dir of its own.
ROOTS = ("/etc/", "/var/", "/opt/", "/srv/", "/run/", "/usr/share/request-tracker5/")

METADATA = """<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{eid}">
 <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
   <ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
  <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/slo"/>
  <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/sso"/>
 </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


def directives(text):
    """(name, [args]) of each directive line of an Apache config (comments and
    section tags left out), with quoted arguments kept whole."""
    import shlex
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("<"):
            continue
        words = shlex.split(line, posix=True)
        out.append((words[0], words[1:]))
    return out


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class ExampleFiles:
    """Makes up every file an example names, under root, with what the
    directive naming it expects."""

    def __init__(self, root, text):
        self.root = root
        self.text = text
        self.made = {}
        self.sp_pair = None

    def local(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def write(self, path, data, mode=0o600):
        local = self.local(path)
        os.makedirs(os.path.dirname(local), exist_ok=True)
        with open(local, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        os.chmod(local, mode)
        self.made[path] = local

    def cert_pair(self, key_path, cert_path):
        for p in (key_path, cert_path):
            os.makedirs(os.path.dirname(self.local(p)), exist_ok=True)
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=example.test",
                "-keyout", self.local(key_path), "-out", self.local(cert_path))
        self.made[key_path] = self.local(key_path)
        self.made[cert_path] = self.local(cert_path)

    def secret(self, path, size=64):
        self.write(path, base64.b64encode(os.urandom(size))[:size].decode() + "\n")

    def private_key(self, path, kind="RSA"):
        os.makedirs(os.path.dirname(self.local(path)), exist_ok=True)
        if kind == "RSA":
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", self.local(path))
        elif kind == "EC":
            openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", self.local(path))
        else:
            openssl("genpkey", "-algorithm", "ED25519", "-out", self.local(path))
        self.made[path] = self.local(path)

    def public_key(self, path, kind):
        priv = path + ".private"
        self.private_key(priv, kind)
        openssl("pkey", "-in", self.local(priv), "-pubout", "-out", self.local(path))
        self.made[path] = self.local(path)

    def make(self):
        d = directives(self.text)
        entity_ids = [a[3] for n, a in d if n == "HelpdeskSSOIdP" and len(a) > 3 and a[1] == "saml"]
        entity_ids += [x for n, a in d if n == "HelpdeskSSOSAMLIdPEntityID" for x in a]
        metadata_files = [a[0] for n, a in d if n == "HelpdeskSSOSAMLIdPMetadataFile"]
        tls = {n: a[0] for n, a in d if n in ("SSLCertificateFile", "SSLCertificateKeyFile")}
        if tls:
            self.cert_pair(tls["SSLCertificateKeyFile"], tls["SSLCertificateFile"])
        for name, args in d:
            if name == "HelpdeskSSORemoteSecretFile":
                self.secret(args[0], 44)
            elif name == "HelpdeskSSOJWTKeyFile":
                algs = args[1:]
                kind = {"R": "RSA", "P": "RSA", "E": "EC"}.get(algs[0][0], "ED") if algs else "RSA"
                if algs and algs[0].startswith("HS"):
                    self.secret(args[0])
                elif algs and algs[0] == "EdDSA":
                    self.public_key(args[0], "ED")
                else:
                    self.public_key(args[0], kind)
            elif name == "HelpdeskSSOOIDCClient":
                for arg in args[2:]:
                    if arg.startswith("secret-file="):
                        self.secret(arg.split("=", 1)[1], 40)
                    elif arg.startswith("private-key-jwt="):
                        self.private_key(arg.split("=", 1)[1])
            elif name == "HelpdeskSSOBroker":
                kind, alg = args[0], (args[3] if len(args) > 3 else "")
                if kind == "freshworks" or alg.startswith("RS"):
                    self.private_key(args[2])
                else:
                    self.secret(args[2])
            elif name in ("HelpdeskSSOSAMLKeyFile", "HelpdeskSSOSAMLCertFile") and not (
                    any(n == "HelpdeskSSOSAMLKeyFile" for n, _ in d) and any(n == "HelpdeskSSOSAMLCertFile" for n, _ in d)
                    and any(n == "HelpdeskSSOSAMLBaseURL" for n, _ in d)):
                # One of the pair alone: an RSA key, or a certificate.
                if name == "HelpdeskSSOSAMLKeyFile":
                    self.private_key(args[0])
                else:
                    self.cert_pair(args[0] + ".key", args[0])
            elif name in ("HelpdeskSSOSAMLKeyFile", "HelpdeskSSOSAMLCertFile"):
                if self.sp_pair is None:
                    key = [a[0] for n, a in d if n == "HelpdeskSSOSAMLKeyFile"][0]
                    cert = [a[0] for n, a in d if n == "HelpdeskSSOSAMLCertFile"][0]
                    for p in (key, cert):
                        os.makedirs(os.path.dirname(self.local(p)), exist_ok=True)
                    base = [a[0] for n, a in d if n == "HelpdeskSSOSAMLBaseURL"][0]
                    rc, _, err = hdsso("saml", "keygen", "--key", self.local(key), "--cert", self.local(cert),
                                       "--base-url", base)
                    assert rc == 0, err
                    self.made[key], self.made[cert] = self.local(key), self.local(cert)
                    self.sp_pair = (key, cert)
            elif name == "HelpdeskSSOSAMLIdPCertFile":
                self.cert_pair(args[0] + ".key", args[0])
            elif name in ("DocumentRoot", "ScriptAlias", "Alias") or name == "Directory":
                target = args[-1]
                if target.startswith(ROOTS):
                    os.makedirs(self.local(target.rstrip("/")) if target.endswith("/") or name == "DocumentRoot"
                                else os.path.dirname(self.local(target)), exist_ok=True)
        for i, path in enumerate(metadata_files):
            eid = entity_ids[i] if i < len(entity_ids) else "https://idp%d.example.test/idp" % i
            key, cert = path + ".idp.key", path + ".idp.crt"
            self.cert_pair(key, cert)
            with open(self.local(cert)) as f:
                pem = "".join(l for l in f.read().splitlines() if "CERTIFICATE" not in l)
            self.write(path, METADATA.format(eid=eid, cert=pem), 0o644)

    def localized(self):
        """The example's text with every path under ROOTS moved under root."""
        return re.sub(r"(?<![\w.:/])(%s)" % "|".join(re.escape(r) for r in ROOTS),
                      lambda m: self.root.rstrip("/") + m.group(1), self.text)


def example_config_test(example_path, tmp, prepare=None):
    """apache2 -t -f on a config that loads what a2enmod would and Includes
    the example with its files made up under tmp (then handed to prepare, if
    given): (exit code, output)."""
    os.makedirs(tmp, exist_ok=True)
    with open(example_path) as f:
        text = f.read()
    files = ExampleFiles(tmp, text)
    files.make()
    if prepare:
        prepare(files)
    site = os.path.join(tmp, "site.conf")
    with open(site, "w") as f:
        f.write(files.localized())
    for m in EXAMPLE_MODULES:
        if not os.path.exists("%s/mod_%s.so" % (APACHE_MODULES, m)):
            raise AssertionError("mod_%s is missing: apt-get install %s" %
                                 (m, "libapache2-mod-fcgid" if m == "fcgid" else "apache2"))
    loads = "\n".join("LoadModule %s_module %s/mod_%s.so" % (m, APACHE_MODULES, m) for m in EXAMPLE_MODULES)
    os.makedirs(os.path.join(tmp, "log"), exist_ok=True)
    conf = os.path.join(tmp, "httpd.conf")
    with open(conf, "w") as f:
        f.write("""ServerRoot {tmp}
Define APACHE_LOG_DIR {tmp}/log
Define APACHE_RUN_DIR {tmp}
Listen 127.0.0.1:1
PidFile {tmp}/httpd.pid
DefaultRuntimeDir {tmp}
ErrorLog {tmp}/error.log
ScriptSock {tmp}/cgid.sock
TypesConfig /dev/null
ServerName localhost
{loads}
LoadModule helpdesk_sso_module {module}
Include {site}
""".format(tmp=tmp, loads=loads, module=MODULE, site=site))
    p = subprocess.run([APACHE_BIN, "-t", "-f", conf], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def example_files():
    return sorted(os.path.join(EXAMPLES, n) for n in os.listdir(EXAMPLES) if n.endswith(".conf"))


class ExamplesTest(unittest.TestCase):
    def test_the_examples_asked_for_exist(self):
        names = {os.path.basename(p) for p in example_files()}
        for want in ("saml-one-idp.conf", "saml-several-idps.conf", "saml-entra-id.conf", "saml-okta.conf",
                     "jwt-sign-in.conf", "remote-auth.conf",
                     "broker-deskpro.conf", "broker-zendesk.conf", "broker-kayako.conf",
                     "broker-freshworks.conf", "broker-freshdesk.conf",
                     "helpdesk-request-tracker.conf", "helpdesk-znuny.conf", "helpdesk-osticket.conf",
                     "helpdesk-glpi.conf", "helpdesk-zammad.conf"):
            self.assertIn(want, names)

    def test_every_example_passes_apache_config_test(self):
        for path in example_files():
            with self.subTest(example=os.path.basename(path)):
                tmp = tempfile.mkdtemp(prefix="hdsso-example-")
                try:
                    rc, out = example_config_test(path, tmp)
                    self.assertEqual(0, rc, out)
                    self.assertIn("Syntax OK", out)
                    self.assertNotIn("HDSSO060", out)
                finally:
                    if not os.environ.get("HDSSO_KEEP_TMP"):
                        shutil.rmtree(tmp, ignore_errors=True)

    def test_readme_walkthrough_site_passes(self):
        """The site of README's SAML walkthrough, as printed there."""
        with open(os.path.join(TOP_SRCDIR, "README.md"), encoding="utf-8") as f:
            blocks = re.findall(r"```apache\n(.*?)```", f.read(), re.S)
        self.assertEqual(1, len(blocks))
        tmp = tempfile.mkdtemp(prefix="hdsso-readme-")
        try:
            path = os.path.join(tmp, "readme.conf")
            with open(path, "w") as f:
                f.write(blocks[0])
            rc, out = example_config_test(path, os.path.join(tmp, "root"))
            self.assertEqual(0, rc, out)
            self.assertNotIn("HDSSO060", out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_every_example_is_https_only(self):
        for path in example_files():
            with open(path) as f:
                text = f.read()
            with self.subTest(example=os.path.basename(path)):
                vhosts = re.findall(r"<VirtualHost ([^>]+)>(.*?)</VirtualHost>", text, re.S)
                self.assertTrue(vhosts)
                for addr, body in vhosts:
                    if addr.endswith(":443"):
                        self.assertRegex(body, r"(?m)^\s*SSLEngine on$")
                    else:
                        # Plain http only redirects to https.
                        lines = [l.strip() for l in body.strip().splitlines() if l.strip()]
                        self.assertEqual(2, len(lines), body)
                        self.assertTrue(lines[1].startswith("Redirect permanent / https://"), body)
                self.assertNotIn("HelpdeskSSOCookieSecure Off", text)

    def test_integration_exemptions_have_no_authtype(self):
        exemptions = {
            "helpdesk-request-tracker.conf": ["/REST/1.0/NoAuth/mail-gateway"],
            "helpdesk-znuny.conf": ["/otrs/nph-genericinterface.pl"],
            "helpdesk-osticket.conf": ["/api/"],
            "helpdesk-glpi.conf": ["/apirest.php", "/front/cron.php"],
            "helpdesk-zammad.conf": ["/api/v1", "/ws"],
        }
        for name, paths in exemptions.items():
            with open(os.path.join(EXAMPLES, name)) as f:
                text = f.read()
            for path in paths:
                with self.subTest(example=name, path=path):
                    m = re.search(r"<Location %s>(.*?)</Location>" % re.escape(path), text, re.S)
                    self.assertIsNotNone(m)
                    self.assertNotIn("AuthType", m.group(1))
                    self.assertRegex(m.group(1), r"Require (all granted|local)")


def reference_entries():
    """The directives doc/directives.md documents: name -> {syntax, context,
    default, example}."""
    with open(os.path.join(DOC, "directives.md"), encoding="utf-8") as f:
        text = f.read()
    entries = {}
    for m in re.finditer(r"^### (HelpdeskSSO\w*)\n(.*?)(?=^#{2,3} |\Z)", text, re.M | re.S):
        body = m.group(2)
        entry = {}
        for key in ("Syntax", "Context", "Default"):
            f = re.search(r"^- \*\*%s:\*\* (.*)$" % key, body, re.M)
            entry[key.lower()] = f.group(1).strip() if f else None
        e = re.search(r"^\*\*Example:\*\* `([^`]+)`$", body, re.M)
        entry["example"] = e.group(1) if e else None
        entries[m.group(1)] = entry
    return entries


def command_table():
    """The module's own command table, as Apache lists it (apache2 -L with
    the module loaded): name -> (description, allowed in <Location>)."""
    tmp = tempfile.mkdtemp(prefix="hdsso-L-")
    try:
        conf = os.path.join(tmp, "httpd.conf")
        loads = "\n".join("LoadModule %s_module %s/mod_%s.so" % (m, APACHE_MODULES, m)
                          for m in ("mpm_event", "authn_core", "authz_core", "socache_shmcb"))
        with open(conf, "w") as f:
            f.write("ServerRoot %s\nPidFile %s/pid\nErrorLog %s/error.log\n%s\nLoadModule helpdesk_sso_module %s\n"
                    % (tmp, tmp, tmp, loads, MODULE))
        out = subprocess.run([APACHE_BIN, "-L", "-f", conf], capture_output=True, text=True, check=True).stdout
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    table = {}
    for m in re.finditer(r"^(HelpdeskSSO\w*) \(mod_helpdesk_sso\.cc\)\n\t(.*)\n\t(.*)$", out, re.M):
        table[m.group(1)] = (m.group(2), "anywhere" in m.group(3))
    return table


class ReferenceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.doc = reference_entries()
        cls.table = command_table()

    def test_every_directive_documented_and_no_other(self):
        self.assertGreater(len(self.table), 50)
        self.assertEqual(set(), set(self.table) - set(self.doc), "directives missing from doc/directives.md")
        self.assertEqual(set(), set(self.doc) - set(self.table), "documented directives the module does not have")

    def test_each_entry_has_syntax_context_default_example(self):
        for name, e in self.doc.items():
            with self.subTest(directive=name):
                self.assertTrue(e["syntax"] and e["syntax"].startswith("`%s" % name), e)
                self.assertTrue(e["context"], e)
                self.assertTrue(e["default"], e)
                self.assertTrue(e["example"] and e["example"].split()[0] == name, e)

    def test_context_matches_the_command_table(self):
        for name, (_, anywhere) in self.table.items():
            context = [c.strip() for c in self.doc[name]["context"].split(",")]
            with self.subTest(directive=name):
                self.assertEqual("server config", context[0])
                self.assertEqual(anywhere, "directory" in context, context)

    def test_server_config_only_directives_refused_in_a_virtual_host(self):
        """What -L cannot show: a directive documented for the main server
        only is refused in <VirtualHost>, and one documented for virtual
        hosts is accepted there (its example line, files made up)."""
        for name, e in self.doc.items():
            context = [c.strip() for c in e["context"].split(",")]
            if "directory" in context:
                continue
            with self.subTest(directive=name):
                tmp = tempfile.mkdtemp(prefix="hdsso-ctx-")
                try:
                    text = "<VirtualHost *:443>\n    ServerName helpdesk.example.com\n    %s\n</VirtualHost>\n" % \
                        e["example"]
                    example = os.path.join(tmp, "example.conf")
                    with open(example, "w") as f:
                        f.write(text)
                    rc, out = example_config_test(example, os.path.join(tmp, "root"))
                    if context == ["server config"]:
                        self.assertNotEqual(0, rc, out)
                        self.assertIn("cannot occur within", out)
                    else:
                        self.assertNotIn("cannot occur within", out)
                        self.assertNotIn("not allowed", out)
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)

    def test_defaults_match_the_command_table(self):
        for name, (description, _) in self.table.items():
            m = re.search(r"\(default:? ([^);]+)", description)
            if not m:
                continue
            with self.subTest(directive=name):
                self.assertIn(m.group(1).strip(), self.doc[name]["default"])

    def test_man_page_has_every_directive(self):
        man = os.path.join(os.environ.get("HDSSO_BUILDDIR", TOP_SRCDIR), "doc", "mod_helpdesk_sso.7")
        with open(man, encoding="utf-8") as f:
            text = f.read()
        sections = set(re.findall(r'^\.SS "(HelpdeskSSO\w*)"$', text, re.M))
        self.assertEqual(set(self.table), sections)
        man1 = os.path.join(os.path.dirname(man), "hdsso.1")
        with open(man1, encoding="utf-8") as f:
            text1 = f.read().replace("\\-", "-")
        for group, sub in commands():
            self.assertIn("hdsso %s %s" % (group, sub), text1)

    def test_man_pages_render_without_warnings(self):
        builddir = os.environ.get("HDSSO_BUILDDIR", TOP_SRCDIR)
        for page in ("hdsso.1", "mod_helpdesk_sso.7"):
            with self.subTest(page=page):
                # What lintian runs on every man page.
                p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z",
                                    os.path.join(builddir, "doc", page)],
                                   capture_output=True, text=True,
                                   env=dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80"))
                self.assertEqual(0, p.returncode)
                self.assertEqual("", p.stderr)


class CliHelpTest(unittest.TestCase):
    def test_every_command_is_listed(self):
        self.assertEqual(
            {("remote-auth", "sign"), ("remote-auth", "verify"), ("jwt", "verify"), ("jwt", "sign"),
             ("saml", "keygen"), ("saml", "metadata"), ("saml", "verify"), ("saml", "fetch-metadata"),
             ("oidc", "discover"), ("oidc", "verify-id-token"),
             ("broker", "test"), ("config", "check"), ("config", "endpoints")},
            set(commands()))

    def test_help_on_every_command_prints_its_usage_only(self):
        cmds = commands()
        for group, sub in cmds:
            for flag in ("--help", "-h"):
                for extra in ([], ["--secret-file"], ["--bogus", "x"]):
                    with self.subTest(cmd=(group, sub, flag, extra)):
                        rc, out, err = hdsso(group, sub, *extra, flag)
                        self.assertEqual(0, rc, err)
                        self.assertEqual("", err)
                        self.assertTrue(out.startswith("usage: hdsso %s %s" % (group, sub)), out)
                        others = [c for c in cmds if c != (group, sub)]
                        for o in others:
                            self.assertNotIn("hdsso %s %s " % o, out)

    def test_help_on_groups_and_top(self):
        for args in (["--help"], ["-h"], ["help"]):
            rc, out, _ = hdsso(*args)
            self.assertEqual(0, rc)
            self.assertIn("hdsso saml keygen", out)
        for group in ("remote-auth", "jwt", "saml", "oidc", "broker", "config"):
            for flag in ("--help", "-h"):
                rc, out, _ = hdsso(group, flag)
                self.assertEqual(0, rc)
                listed = re.findall(r"^  hdsso ([a-z-]+) ", out, re.M)
                self.assertTrue(listed)
                self.assertEqual({group}, set(listed))

    def test_usage_error_is_one_line_and_a_hint(self):
        cases = [
            ([], "hdsso"),
            (["nonsense"], "hdsso"),
            (["saml"], "hdsso saml"),
            (["saml", "nonsense"], "hdsso saml"),
            (["saml", "verify"], "hdsso saml verify"),
            (["saml", "verify", "--sp-entity-id"], "hdsso saml verify"),
            (["jwt", "verify", "--bogus", "1", "t"], "hdsso jwt verify"),
            (["remote-auth", "sign", "--name", "x"], "hdsso remote-auth sign"),
            (["broker", "test", "nokind", "h", "k"], "hdsso broker test"),
        ]
        for args, who in cases:
            with self.subTest(args=args):
                rc, out, err = hdsso(*args)
                self.assertEqual(2, rc)
                self.assertEqual("", out)
                lines = err.splitlines()
                self.assertEqual(2, len(lines), err)
                self.assertTrue(lines[0].startswith(who + ": "), err)
                self.assertEqual("Try '%s --help' for more information." % who, lines[1])

    def test_completion_knows_every_command_and_option(self):
        with open(COMPLETION) as f:
            text = f.read()
        for group, sub in commands():
            rc, out, _ = hdsso(group, sub, "--help")
            synopsis = out.split("\n\n")[0]
            options = set(re.findall(r"(--[a-z][a-z0-9-]*)", synopsis))
            m = re.search(r'\[%s %s\]="([^"]*)"' % (re.escape(group), re.escape(sub)), text)
            self.assertIsNotNone(m, "%s %s missing from the completion" % (group, sub))
            completed = set(m.group(1).split())
            self.assertEqual(set(), options - completed, "%s %s" % (group, sub))


class KeygenTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hdsso-keygen-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_keygen_writes_0600_rsa3072_pair_and_prints_the_metadata(self):
        key, cert = os.path.join(self.tmp, "sp-key.pem"), os.path.join(self.tmp, "sp-cert.pem")
        old = os.umask(0)
        try:
            rc, out, err = hdsso("saml", "keygen", "--key", key, "--cert", cert,
                                 "--base-url", "https://helpdesk.example.com")
        finally:
            os.umask(old)
        self.assertEqual(0, rc, err)
        for path in (key, cert):
            self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode), path)
        text = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-text"], capture_output=True,
                              text=True, check=True).stdout
        self.assertIn("Public-Key: (3072 bit)", text)
        self.assertIn("CN = helpdesk.example.com", text)
        self.assertIn("sha256WithRSAEncryption", text)
        # The key is the certificate's.
        pub_key = subprocess.run(["openssl", "pkey", "-in", key, "-pubout"], capture_output=True, check=True).stdout
        pub_cert = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-pubkey"], capture_output=True,
                                  check=True).stdout
        self.assertEqual(pub_key, pub_cert)
        # What it printed is what hdsso saml metadata (and so the site) serves.
        rc2, md, _ = hdsso("saml", "metadata", "--base-url", "https://helpdesk.example.com",
                           "--sp-key", key, "--sp-cert", cert)
        self.assertEqual(0, rc2)
        self.assertEqual(md, out)
        self.assertIn('entityID="https://helpdesk.example.com/sso/metadata"', out)
        self.assertIn('AuthnRequestsSigned="true"', out)
        self.assertIn("HelpdeskSSOSAMLKeyFile", err)

    def test_keygen_for_a_key_rollover(self):
        # Given the current pair (--sp-key, --sp-cert), the new pair is the
        # next one: the metadata lists both, and the hint names the Next
        # directives.
        base = "https://helpdesk.example.com"
        key, cert = os.path.join(self.tmp, "sp-key.pem"), os.path.join(self.tmp, "sp-cert.pem")
        rc, _, err = hdsso("saml", "keygen", "--key", key, "--cert", cert, "--base-url", base)
        self.assertEqual(0, rc, err)
        key2, cert2 = os.path.join(self.tmp, "sp-key-2.pem"), os.path.join(self.tmp, "sp-cert-2.pem")
        rc, out, err = hdsso("saml", "keygen", "--key", key2, "--cert", cert2, "--sp-key", key, "--sp-cert", cert,
                             "--base-url", base)
        self.assertEqual(0, rc, err)
        self.assertIn("HelpdeskSSOSAMLNextKeyFile  %s" % key2, err)
        self.assertIn("HelpdeskSSOSAMLNextCertFile %s" % cert2, err)
        self.assertEqual(0o600, stat.S_IMODE(os.stat(key2).st_mode))
        rc2, md, err2 = hdsso("saml", "metadata", "--base-url", base, "--sp-key", key, "--sp-cert", cert,
                              "--sp-next-key", key2, "--sp-next-cert", cert2)
        self.assertEqual(0, rc2, err2)
        self.assertEqual(md, out)
        self.assertEqual(4, out.count("<md:KeyDescriptor "))
        # The current pair's files are never the new pair's.
        rc, _, err = hdsso("saml", "keygen", "--key", key, "--cert", cert2 + ".x", "--sp-key", key, "--sp-cert", cert,
                           "--base-url", base, "--force")
        self.assertEqual(2, rc, err)
        self.assertIn("not those of --sp-key and --sp-cert", err)
        # Under another name (a path through "." and a symbolic link) too.
        link = os.path.join(self.tmp, "current-key-link.pem")
        os.symlink(key, link)
        for other in (os.path.join(os.path.dirname(key), ".", os.path.basename(key)), link):
            rc, _, err = hdsso("saml", "keygen", "--key", other, "--cert", cert2 + ".y", "--sp-key", key,
                               "--sp-cert", cert, "--base-url", base, "--force")
            self.assertEqual(2, rc, other + ": " + err)
            self.assertIn("not those of --sp-key and --sp-cert", err)
        rc, _, err = hdsso("saml", "keygen", "--key", key2 + ".x", "--cert", cert2 + ".x", "--sp-key", key,
                           "--base-url", base)
        self.assertEqual(2, rc, err)
        self.assertIn("--sp-key and --sp-cert (the current pair, for a rollover) go together", err)

    def test_keygen_never_overwrites_without_force(self):
        key, cert = os.path.join(self.tmp, "k.pem"), os.path.join(self.tmp, "c.pem")
        with open(key, "w") as f:
            f.write("keep me")
        rc, _, err = hdsso("saml", "keygen", "--key", key, "--cert", cert, "--base-url", "https://h.example.com")
        self.assertEqual(3, rc)
        self.assertIn("--force", err)
        self.assertFalse(os.path.exists(cert))
        with open(key) as f:
            self.assertEqual("keep me", f.read())
        rc, _, err = hdsso("saml", "keygen", "--key", key, "--cert", cert, "--base-url", "https://h.example.com",
                           "--force", "--days", "30", "--subject", "sp.example.org")
        self.assertEqual(0, rc, err)
        self.assertEqual(0o600, stat.S_IMODE(os.stat(key).st_mode))


class BrokerTestCommandTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hdsso-broker-")
        self.secret = os.path.join(self.tmp, "secret")
        with open(self.secret, "w") as f:
            f.write("zendesk-shared-secret-0123456789abcdef\n")
        os.chmod(self.secret, 0o600)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def lines(self, out):
        return dict(line.split(": ", 1) for line in out.splitlines() if ": " in line and not line.startswith("  "))

    def test_zendesk_form_and_claims(self):
        import jwt  # python3-jwt
        rc, out, err = hdsso("broker", "test", "zendesk", "acme.zendesk.com", self.secret,
                             "--email", "jane@example.com", "--name", "Jane Doe",
                             "--attribute", "department=Support", "--claim", "organization=department",
                             "--query", "return_to=/hc/en-us")
        self.assertEqual(0, rc, err)
        fields = self.lines(out)
        self.assertEqual("an auto-submitting form, POST https://acme.zendesk.com/access/jwt", fields["answer"])
        token = re.search(r"^  jwt = (\S+)$", out, re.M).group(1)
        claims = jwt.decode(token, "zendesk-shared-secret-0123456789abcdef", algorithms=["HS256"])
        self.assertEqual("jane@example.com", claims["email"])
        self.assertEqual("Jane Doe", claims["name"])
        self.assertEqual("Support", claims["organization"])
        self.assertEqual(300, claims["exp"] - claims["iat"])
        self.assertEqual(claims, json.loads(fields["token claims"]))
        self.assertIn("  return_to = /hc/en-us", out)

    def test_freshdesk_link_matches_remote_auth_sign(self):
        rc, out, err = hdsso("broker", "test", "freshdesk", "acme.freshdesk.com", self.secret,
                             "--email", "jane@example.com", "--name", "Jane Doe", "--now", "1700000000")
        self.assertEqual(0, rc, err)
        location = self.lines(out)["answer"].split("Location: ", 1)[1]
        rc, signed, _ = hdsso("remote-auth", "sign", "--secret-file", self.secret, "--name", "Jane Doe",
                              "--email", "jane@example.com", "--timestamp", "1700000000",
                              "--base-url", "https://acme.freshdesk.com")
        self.assertEqual(signed.strip(), location)

    def test_return_url_on_another_host_refused(self):
        rc, _, err = hdsso("broker", "test", "kayako", "acme.kayako.com", self.secret, "--email", "j@example.com",
                           "--query", "returnto=https://evil.example.net/")
        self.assertEqual(1, rc)
        self.assertIn("url.redirect_not_allowed", err)

    def test_deskpro_frame_header_and_default_return(self):
        rc, out, err = hdsso("broker", "test", "deskpro", "support.example.com", self.secret,
                             "--email", "j@example.com")
        self.assertEqual(0, rc, err)
        self.assertIn("header: Content-Security-Policy: frame-ancestors https://support.example.com", out)
        header = json.loads(self.lines(out)["token header"])
        self.assertEqual("HS256", header["alg"])


class SamlVerifyHintTest(unittest.TestCase):
    def test_names_the_request_id_when_only_in_response_to_fails(self):
        saml = os.path.join(TOP_SRCDIR, "tests", "vectors", "python3-saml")
        rc, _, err = hdsso(
            "saml", "verify", "--sp-entity-id", "http://stuff.com/endpoints/metadata.php",
            "--acs-url", "https://pitbulk.no-ip.org/newonelogin/demo1/index.php?acs",
            "--idp-cert", os.path.join(saml, "derived", "idp_cert_afe71c28_settings1.pem"),
            "--now", "2014-02-19T01:38:01Z", "--allow-legacy", "sha1,rsa1024", "--request-id", "guess",
            os.path.join(saml, "tests", "data", "responses", "valid_response.xml.base64"))
        self.assertEqual(1, rc)
        self.assertIn("error: saml.in_response_to:", err.splitlines()[0])
        self.assertIn("hint: the response answers --request-id ONELOGIN_5fe9d6e499b2f0913206aab3f7191729049bb807",
                      err)


class PackagingTest(unittest.TestCase):
    def test_version_is_debian_changelogs(self):
        with open(os.path.join(TOP_SRCDIR, "debian", "changelog")) as f:
            top = f.readline()
        version = re.match(r"^mod-helpdesk-sso \(([^)]+)\)", top).group(1)
        rc, out, _ = hdsso("--version")
        self.assertEqual(0, rc)
        self.assertEqual("hdsso %s\n" % version, out)
        with open(os.path.join(TOP_SRCDIR, "configure.ac")) as f:
            self.assertIn("AC_INIT([mod_helpdesk_sso], [%s]" % version, f.read())

    def test_package_ships_every_example_and_doc_page(self):
        with open(os.path.join(TOP_SRCDIR, "debian", "libapache2-mod-helpdesk-sso.examples")) as f:
            self.assertEqual(["apache-conf/examples/*.conf"], f.read().split())
        with open(os.path.join(TOP_SRCDIR, "debian", "libapache2-mod-helpdesk-sso.docs")) as f:
            docs = f.read().split()
        for want in ("README.md", "doc/directives.md", "doc/hdsso.md", "doc/helpdesks"):
            self.assertIn(want, docs)
        for name in ("request-tracker", "znuny", "osticket", "glpi", "zammad", "deskpro", "zendesk", "kayako",
                     "freshworks", "freshdesk"):
            self.assertTrue(os.path.exists(os.path.join(DOC, "helpdesks", name + ".md")), name)

    def test_readme_links_resolve(self):
        """Every relative link in README and doc/ names a file of the tree."""
        pages = [os.path.join(TOP_SRCDIR, "README.md")] + [
            os.path.join(root, n) for root, _, names in os.walk(DOC) for n in names if n.endswith(".md")]
        for page in pages:
            with open(page, encoding="utf-8") as f:
                text = f.read()
            for target in re.findall(r"\]\(([^)#]+)\)", text):
                if re.match(r"[a-z]+:", target):
                    continue
                with self.subTest(page=os.path.relpath(page, TOP_SRCDIR), link=target):
                    self.assertTrue(os.path.exists(os.path.join(os.path.dirname(page), target)))
            for gone in ("PROTOCOLS.md", "ATTACKS.md", "issue 5"):
                self.assertNotIn(gone, text, page)


class ConfigMistakesTest(unittest.TestCase):
    """apachectl -t (and hdsso config check) on four common mistakes: each
    finding names the directive, the file and the fix, and the site as
    configured (its ServerName and port, its <VirtualHost> file and line)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hdsso-mistakes-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check(self, body):
        """apache2 -t on a vhost with this body, its files made up as for the
        examples, then the file modes the test sets: (exit code, output)."""
        conf = os.path.join(self.tmp, "site.example")
        with open(conf, "w") as f:
            f.write("<VirtualHost *:443>\n    ServerName helpdesk.example.com\n    HelpdeskSSO On\n%s\n</VirtualHost>\n"
                    % body)
        return example_config_test(conf, os.path.join(self.tmp, "root"))

    def test_sp_key_and_certificate_that_do_not_match(self):
        keys = os.path.join(self.tmp, "other")
        os.makedirs(keys)
        rc, _, err = hdsso("saml", "keygen", "--key", os.path.join(keys, "k.pem"), "--cert", os.path.join(keys, "c.pem"),
                           "--base-url", "https://helpdesk.example.com")
        self.assertEqual(0, rc, err)
        body = """    HelpdeskSSOSAMLBaseURL https://helpdesk.example.com
    HelpdeskSSOSAMLIdPMetadataFile /etc/apache2/helpdesk-sso/idp-metadata.xml
    HelpdeskSSOSAMLKeyFile /etc/apache2/helpdesk-sso/sp-key.pem
    HelpdeskSSOSAMLCertFile %s/c.pem
    <Location />
        AuthType HelpdeskSSO
        Require valid-user
    </Location>""" % keys
        rc, out = self.check(body)
        self.assertNotEqual(0, rc, out)
        self.assertNotIn("Syntax OK", out)
        line = [l for l in out.splitlines() if "HDSSO060" in l]
        self.assertEqual(1, len(line), out)
        self.assertIn("helpdesk.example.com:443: error: saml.idp: HelpdeskSSOSAMLCertFile %s/c.pem is not the "
                      "certificate of HelpdeskSSOSAMLKeyFile " % keys, line[0])
        self.assertIn("hdsso saml keygen", line[0])
        self.assertRegex(line[0], r"\(in <VirtualHost \*:443> at .*/site\.conf:1\)$")

    def test_secret_or_key_file_every_user_can_read(self):
        body = """    HelpdeskSSORemoteSecretFile /etc/apache2/helpdesk-sso/remote-secret
    HelpdeskSSORemoteLoginURL https://www.example.com/login
    HelpdeskSSOJWTKeyFile /etc/apache2/helpdesk-sso/jwt-secret HS256
    HelpdeskSSOJWTKeyFile /etc/apache2/helpdesk-sso/broker-public.pem RS256
    HelpdeskSSOJWTAudience https://helpdesk.example.com
    HelpdeskSSOBroker zendesk acme.zendesk.com /etc/apache2/helpdesk-sso/zendesk-secret
    <Location />
        AuthType HelpdeskSSO
        Require valid-user
    </Location>"""
        root = os.path.join(self.tmp, "root")
        # Make the files as the examples' helper would, then open them up.
        conf = os.path.join(self.tmp, "site.example")
        with open(conf, "w") as f:
            f.write("<VirtualHost *:443>\n    ServerName helpdesk.example.com\n    HelpdeskSSO On\n%s\n</VirtualHost>\n"
                    % body)
        files = ExampleFiles(root, "")

        def open_up(made):
            for name in ("remote-secret", "jwt-secret", "broker-public.pem", "zendesk-secret"):
                os.chmod(made.local("/etc/apache2/helpdesk-sso/" + name), 0o644)
        rc, out = example_config_test(conf, root, open_up)
        self.assertEqual(0, rc, out)
        warnings = [l for l in out.splitlines() if "file.world_readable" in l]
        for directive, name in (("HelpdeskSSORemoteSecretFile", "remote-secret"),
                                ("HelpdeskSSOJWTKeyFile", "jwt-secret"),
                                ("HelpdeskSSOBroker zendesk", "zendesk-secret")):
            path = files.local("/etc/apache2/helpdesk-sso/" + name)
            found = [l for l in warnings if "%s %s (" % (directive, path) in l]
            self.assertEqual(1, len(found), out)
            self.assertIn("mode 0644", found[0])
            self.assertIn("chmod o-rwx %s" % path, found[0])
            self.assertRegex(found[0], r"helpdesk\.example\.com:443: warning: file\.world_readable: .*\(.*/site\.conf:\d+\)")
        # A public key may be read by anyone.
        self.assertNotIn("broker-public.pem (", "\n".join(warnings))
        self.assertEqual(3, len(warnings), out)
        # hdsso config check lists them too.
        p = subprocess.run([HDSSO, "config", "check", "--config", os.path.join(root, "httpd.conf"),
                            "--apache-bin", APACHE_BIN], capture_output=True, text=True)
        self.assertEqual(0, p.returncode, p.stdout + p.stderr)
        self.assertEqual(3, p.stdout.count("warning: file.world_readable:"), p.stdout)

    def test_require_where_no_authtype_helpdesksso_applies(self):
        body = """    HelpdeskSSORemoteSecretFile /etc/apache2/helpdesk-sso/remote-secret
    HelpdeskSSORemoteLoginURL https://www.example.com/login
    <Location />
        AuthType HelpdeskSSO
        Require valid-user
    </Location>
    <Location /agents>
        Require helpdesk-sso-group agents
    </Location>
    <Location /reports>
        AuthType Basic
        AuthName reports
        Require helpdesk-sso-group managers
    </Location>
    <Location /rt/NoAuth/mail-gateway>
        Require local
    </Location>"""
        conf = os.path.join(self.tmp, "site.example")
        with open(conf, "w") as f:
            f.write("<Location /status>\n    <RequireAll>\n        Require helpdesk-sso-attribute department IT\n"
                    "    </RequireAll>\n</Location>\n"
                    "<VirtualHost *:443>\n    ServerName helpdesk.example.com\n    HelpdeskSSO On\n%s\n</VirtualHost>\n"
                    % body)
        rc, out = example_config_test(conf, os.path.join(self.tmp, "root"))
        self.assertEqual(0, rc, out)
        found = [l for l in out.splitlines() if "authz.no_auth_type" in l]
        self.assertEqual(2, len(found), out)
        # Under <Location /> with AuthType HelpdeskSSO: fine. With AuthType Basic: named.
        self.assertIn("Require helpdesk-sso-group managers (", found[0] + found[1])
        self.assertNotIn("Require helpdesk-sso-group agents", out)
        reports = [l for l in found if "managers" in l][0]
        self.assertIn("is in <Location /reports>", reports)
        self.assertIn('add "AuthType HelpdeskSSO"', reports)
        self.assertIn("fail with 500", reports)
        self.assertRegex(reports, r"site\.conf:\d+\) is in")
        self.assertRegex(reports, r"\(in <VirtualHost \*:443> at .*/site\.conf:6\)$")
        status = [l for l in found if "department IT" in l][0]
        self.assertIn("(in the main server configuration)", status)
        self.assertIn("is in <Location /status>", status)

    def test_site_lines_name_the_vhost_as_configured(self):
        body = """    HelpdeskSSODiagnostics On
    HelpdeskSSORemoteSecretFile /etc/apache2/helpdesk-sso/remote-secret
    HelpdeskSSORemoteLoginURL https://www.example.com/login"""
        rc, out = self.check(body)
        self.assertEqual(0, rc, out)
        line = [l for l in out.splitlines() if "diagnostics.on" in l][0]
        self.assertIn("HDSSO061: helpdesk.example.com:443: warning: diagnostics.on:", line)
        self.assertNotIn(":0:", line)
        self.assertRegex(line, r"\(in <VirtualHost \*:443> at .*/site\.conf:1\)$")


class ExemptionsAtRunTimeTest(unittest.TestCase):
    """The examples' integration exemptions, served: a <Location> without
    AuthType whose Require replaces the site's reaches the backend without a
    sign-in (and without forged identity headers), while the rest of the
    site still sends people to sign in."""

    def test_exempt_locations_reach_the_backend_without_sign_in(self):
        import requests
        from hdsso_test import Apache, RecordingBackend
        backend = RecordingBackend()
        apache = Apache("""
<VirtualHost 127.0.0.1:{port}>
  ServerName helpdesk.example.com
  HelpdeskSSO On
  HelpdeskSSOCookieSecure Off
  HelpdeskSSORemoteSecretFile {dir}/secret
  HelpdeskSSORemoteLoginURL https://www.example.com/login
  ProxyPass / http://127.0.0.1:%d/
  <Location />
    AuthType HelpdeskSSO
    Require valid-user
    HelpdeskSSOHelpdesk zammad
  </Location>
  <Location /REST/1.0/NoAuth/mail-gateway>
    Require local
  </Location>
  <Location /api/v1>
    Require all granted
  </Location>
</VirtualHost>
""" % backend.port)
        try:
            apache.start()
            forged = {"X-Forwarded-User": "root", "Remote-User": "root"}
            r = requests.get(apache.url("/tickets"), headers=forged, allow_redirects=False, timeout=30)
            self.assertEqual(302, r.status_code)
            self.assertTrue(r.headers["Location"].startswith("https://www.example.com/login"), r.headers)
            for path in ("/REST/1.0/NoAuth/mail-gateway", "/api/v1/tickets"):
                with self.subTest(path=path):
                    mark = backend.mark()
                    r = requests.post(apache.url(path), data="mail", headers=forged, allow_redirects=False,
                                      timeout=30)
                    self.assertEqual(200, r.status_code, r.text[:300])
                    got = backend.since(mark)
                    self.assertEqual(1, len(got))
                    self.assertNotIn("x-forwarded-user", got[0]["headers"])
                    self.assertNotIn("remote-user", got[0]["headers"])
            self.assertNotIn("HDSSO090", apache.error_log())
        finally:
            apache.cleanup()
            backend.stop()


if __name__ == "__main__":
    unittest.main()
