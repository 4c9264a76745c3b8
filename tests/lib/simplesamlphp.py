"""A real SAML IdP for the tests: SimpleSAMLphp from Debian's package, in an
Apache of its own (prefork MPM + mod_php, as Debian's PHP module needs),
on a free loopback port, with a temporary config dir, its own key pair made
with openssl, and test users (exampleauth:UserPass). Stopped by its PID."""

import os
import re
import subprocess
import urllib.parse

from hdsso_test import HDSSO, Apache

SSP_ROOT = "/usr/share/simplesamlphp"
PHP_MODULE = "/usr/lib/apache2/modules/libphp8.2.so"

USERS = {
    "jane": ("jane-password", {"uid": ["jane"], "email": ["jane@example.com"], "givenName": ["Jane"],
                               "sn": ["Doe"], "displayName": ["Jane Doe"], "groups": ["agents", "admins"]}),
    "bob": ("bob-password", {"uid": ["bob"], "email": ["bob@example.com"], "givenName": ["Bob"], "sn": ["Roe"],
                             "groups": ["customers"]}),
}

# Entra ID style: claim URIs as attribute names.
ENTRA = {
    "email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "givenName": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    "sn": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    "displayName": "http://schemas.microsoft.com/identity/claims/displayname",
    "groups": "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
}

APACHE_CONF = """
LoadModule php_module {php}
<FilesMatch "\\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
DirectoryIndex index.php
Alias /simplesaml {root}/www
<Directory {root}/www>
    Require all granted
    SetEnv SIMPLESAMLPHP_CONFIG_DIR {{dir}}/config
</Directory>
"""


def php_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(v, list):
        return "[" + ", ".join(php_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "[" + ", ".join("%s => %s" % (php_value(k), php_value(x)) for k, x in v.items()) + "]"
    raise TypeError(type(v))


class SimpleSamlIdp:
    def __init__(self, entra_names=False):
        self.apache = Apache(APACHE_CONF.format(php=PHP_MODULE, root=SSP_ROOT),
                             modules=["mpm_prefork", "authz_core", "alias", "mime", "dir", "env"],
                             load_module=False)
        self.dir = self.apache.dir
        self.base = "http://127.0.0.1:%d/simplesaml/" % self.apache.port
        self.entity_id = self.base + "saml2/idp/metadata.php"
        self.sso_url = self.base + "saml2/idp/SSOService.php"
        self.entra_names = entra_names
        self.sps = {}
        for sub in ("config", "metadata", "cert", "log", "data", "tmp"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
            os.chmod(os.path.join(self.dir, sub), 0o777)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=hdsso-test-idp", "-keyout", os.path.join(self.dir, "cert", "idp.pem"),
                        "-out", os.path.join(self.dir, "cert", "idp.crt")],
                       check=True, capture_output=True)
        os.chmod(os.path.join(self.dir, "cert", "idp.pem"), 0o644)
        with open(os.path.join(self.dir, "cert", "idp.crt")) as f:
            self.cert_pem = f.read()

    def add_sp(self, entity_id, acs_url, slo_url=None, cert_pem=None):
        """An SP the IdP knows; with its certificate, logout messages are
        signed both ways."""
        self.sps[entity_id] = {"AssertionConsumerService": acs_url,
                               "NameIDFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
                               "simplesaml.nameidattribute": ENTRA["email"] if self.entra_names else "email",
                               "simplesaml.attributes": True}
        if slo_url:
            self.sps[entity_id]["SingleLogoutService"] = slo_url
        if cert_pem:
            name = "sp%d.crt" % len(self.sps)
            self.apache.write("cert/" + name, cert_pem)
            self.sps[entity_id].update({"certificate": name, "sign.logout": True, "validate.logout": True,
                                        "validate.authnrequest": True})

    def write_config(self):
        d = self.dir
        overrides = {
            "baseurlpath": self.base, "certdir": d + "/cert/", "loggingdir": d + "/log/", "datadir": d + "/data/",
            "tempdir": d + "/tmp", "metadatadir": d + "/metadata", "secretsalt": "hdsso-test-salt-0123456789",
            "auth.adminpassword": "hdsso-test-admin", "technicalcontact_email": "test@example.com",
            "logging.handler": "file", "logging.logfile": "simplesamlphp.log", "enable.saml20-idp": True,
            "session.cookie.secure": False, "store.type": "phpsession", "timezone": "UTC",
            # A browser drops SameSite=None cookies that are not Secure (plain http on loopback here).
            "session.cookie.samesite": "Lax",
            "module.enable": {"exampleauth": True, "core": True, "saml": True, "admin": True},
        }
        lines = ["<?php", "require '/etc/simplesamlphp/config.php';"]
        lines += ["$config[%s] = %s;" % (php_value(k), php_value(v)) for k, v in overrides.items()]
        self.apache.write("config/config.php", "\n".join(lines) + "\n")
        users = {}
        for name, (password, attrs) in USERS.items():
            if self.entra_names:
                attrs = {ENTRA.get(k, k): v for k, v in attrs.items()}
            users["%s:%s" % (name, password)] = attrs
        self.apache.write("config/authsources.php",
                          "<?php\n$config = %s;\n" % php_value({"admin": ["core:AdminPassword"],
                                                               "example-userpass": dict({0: "exampleauth:UserPass"},
                                                                                        **users)}))
        idp = {"host": "__DEFAULT__", "privatekey": "idp.pem", "certificate": "idp.crt", "auth": "example-userpass",
               "signature.algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
               "saml20.sign.assertion": True, "saml20.sign.response": True, "sign.logout": True}
        self.apache.write("metadata/saml20-idp-hosted.php",
                          "<?php\n$metadata['__DYNAMIC:1__'] = %s;\n" % php_value(idp))
        self.apache.write("metadata/saml20-sp-remote.php",
                          "<?php\n" + "".join("$metadata[%s] = %s;\n" % (php_value(k), php_value(v))
                                              for k, v in self.sps.items()))

    def start(self):
        self.write_config()
        self.apache.start()
        return self

    def metadata(self, session):
        r = session.get(self.entity_id, timeout=30)
        r.raise_for_status()
        return r.text

    def log(self):
        try:
            with open(os.path.join(self.dir, "log", "simplesamlphp.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def cleanup(self):
        self.apache.cleanup()


def sp_for_idp(sp, idp, cn="hdsso-test-sp"):
    """Gives the Apache `sp` (the module's site) a key pair (sp.key, sp.crt in
    its directory) and registers it at `idp`, with its ACS and SLO URLs."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=" + cn, "-keyout", os.path.join(sp.dir, "sp.key"), "-out", os.path.join(sp.dir, "sp.crt")],
                   check=True, capture_output=True)
    with open(os.path.join(sp.dir, "sp.crt")) as f:
        sp_cert = f.read()
    base = "http://127.0.0.1:%d/sso" % sp.port
    idp.add_sp(base + "/metadata", base + "/acs", base + "/slo", cert_pem=sp_cert)
    return base + "/metadata"


def fetch_idp_metadata(sp, idp, name="idp-metadata.xml"):
    """As an administrator would: hdsso saml fetch-metadata into the site's directory."""
    p = subprocess.run([HDSSO, "saml", "fetch-metadata", idp.entity_id, "--out", os.path.join(sp.dir, name)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("hdsso saml fetch-metadata: " + p.stderr)


def login_at_idp(session, url, user, password):
    """Follows the IdP's pages as a browser would, from the SSO URL to the
    auto-submitting form that carries the SAMLResponse; returns (action, fields)."""
    r = session.get(url, timeout=30)
    for _ in range(5):
        form = parse_form(r.text)
        if form and "SAMLResponse" in form[1]:
            return form
        if form and "AuthState" in form[1]:
            fields = dict(form[1])
            fields.update({"username": user, "password": password})
            r = session.post(urllib.parse.urljoin(r.url, form[0] or r.url), data=fields, timeout=30)
            continue
        raise AssertionError("unexpected IdP page %s:\n%s" % (r.url, r.text[:2000]))
    raise AssertionError("no SAMLResponse after logging in")


def parse_form(html):
    m = re.search(r'<form[^>]*action="([^"]*)"', html)
    if not m:
        return None
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = unescape(value.group(1) if value else "")
    return unescape(m.group(1)), fields


def unescape(s):
    import html
    return html.unescape(s)
