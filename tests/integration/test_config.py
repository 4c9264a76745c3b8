"""Every bad directive value fails `apache2 -t` (what apachectl -t runs) with
the directive's name and what it expects; good values pass."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from hdsso_test import APACHE_BIN, HDSSO, Apache  # noqa: E402

# Directives that are each valid, in combinations the site check finds wrong.
SITE_ERRORS = """
<VirtualHost 127.0.0.1:{port}>
  ServerName helpdesk.example.com
  HelpdeskSSO On
  HelpdeskSSOSAMLIdPCertFile {dir}/idp.crt
  HelpdeskSSOSAMLIdPEntityID https://idp.example.com
  HelpdeskSSOSAMLIdPSSOURL https://idp.example.com/sso
  HelpdeskSSOIdP customers jwt Customers
  HelpdeskSSODefaultIdP customers
</VirtualHost>
"""

SITE_WARNINGS = """
<VirtualHost 127.0.0.1:{port}>
  ServerName helpdesk.example.com
  HelpdeskSSO On
  HelpdeskSSOSAMLBaseURL http://portal.example.com
  HelpdeskSSOSAMLIdPCertFile {dir}/idp.crt
  HelpdeskSSOSAMLIdPEntityID https://idp.example.com
  HelpdeskSSOSAMLIdPSSOURL https://idp.example.com/sso
  HelpdeskSSOBroker deskpro acme.deskpro.com {dir}/long.secret
</VirtualHost>
"""

# How the SP signs: SHA-1 only with the legacy allowance (the site check).
SIGNING = """
<VirtualHost 127.0.0.1:{port}>
  ServerName helpdesk.example.com
  HelpdeskSSO On
  HelpdeskSSOSAMLBaseURL https://helpdesk.example.com
  HelpdeskSSOSAMLIdPCertFile {dir}/idp.crt
  HelpdeskSSOSAMLIdPEntityID https://idp.example.com
  HelpdeskSSOSAMLIdPSSOURL https://idp.example.com/sso
  HelpdeskSSOSAMLIdPSLOURL https://idp.example.com/slo
  HelpdeskSSOSAMLKeyFile {dir}/idp.key
  HelpdeskSSOSAMLCertFile {dir}/idp.crt
  %s
</VirtualHost>
"""

GOOD = """
HelpdeskSSOCache shmcb
HelpdeskSSOSessionCacheTTL 5
<VirtualHost 127.0.0.1:{port}>
  HelpdeskSSO On
  HelpdeskSSOEndpoint /auth/sso
  HelpdeskSSOCookieName hd_sess
  HelpdeskSSOSessionLifetime 3600
  HelpdeskSSOSessionIdleTimeout 0
  HelpdeskSSOCookieSecure On
  HelpdeskSSOCookieHttpOnly On
  HelpdeskSSOCookieSameSite None
  HelpdeskSSORemoteSecretFile {dir}/secret
  HelpdeskSSORemoteWindow 30 30
  HelpdeskSSORemoteDigest sha256
  HelpdeskSSORemoteLoginURL https://login.example.com/sso
  HelpdeskSSORemoteLogoutURL https://login.example.com/bye
  HelpdeskSSOFallbackLoginURL /login/normal
  HelpdeskSSORedirectAllowHosts helpdesk.example.com portal.example.com:8443
  HelpdeskSSOHeaderPrefix X-Helpdesk-
  HelpdeskSSOSAMLBaseURL https://helpdesk.example.com
  HelpdeskSSOSAMLEntityID https://helpdesk.example.com/sp
  HelpdeskSSOSAMLSignaturePolicy both
  HelpdeskSSOSAMLAllowLegacy sha1 rsa1024
  HelpdeskSSOSAMLAllowUnsolicited Off
  HelpdeskSSOSAMLSkew 60
  HelpdeskSSOSAMLNameIDFormat persistent
  HelpdeskSSOSAMLForceAuthn On
  HelpdeskSSOSAMLAttribute email mail corpMail
  HelpdeskSSOSAMLAttribute groups memberOf
  HelpdeskSSOHelpdesk znuny
  HelpdeskSSOIdP customers remote "Customers" https://app.example.com/sso/start
  HelpdeskSSOIdP partners remote Partners
  HelpdeskSSODiagnostics On
  HelpdeskSSODefaultIdP customers
  HelpdeskSSOBroker zendesk acme.zendesk.com {dir}/long.secret
  HelpdeskSSOBroker freshdesk acme.freshdesk.com {dir}/secret sha256
  HelpdeskSSOBrokerClaim organization company
  HelpdeskSSOBrokerTokenLifetime 120
  HelpdeskSSOUserField email-local-part
  HelpdeskSSOUserHeader X-Sso-Login
  <Location /helpdesk>
    AuthType HelpdeskSSO
    Require valid-user
    HelpdeskSSOHelpdesk RT
    HelpdeskSSOUserHeader None
  </Location>
  <Location /helpdesk/agents>
    HelpdeskSSODeniedText "Ask it@example.com."
    <RequireAll>
      Require helpdesk-sso-group agents "second line"
      Require helpdesk-sso-attribute department ~^(Support|IT)$
      Require helpdesk-sso-attribute email jane@example.com
    </RequireAll>
  </Location>
  <Location /helpdesk/NoAuth>
    HelpdeskSSOBreakGlass On
    HelpdeskSSOBreakGlassQuery noAUTO=1 fallback=yes
  </Location>
</VirtualHost>
"""

BAD = [
    ("HelpdeskSSOIdP okta openid Okta", "HelpdeskSSOIdP", "saml, jwt, remote or oidc"),
    ("HelpdeskSSOIdP okta oidc Okta https://x.test/", "HelpdeskSSOIdP", "takes no fourth argument"),
    ("HelpdeskSSOOIDCClient okta client secret-file=/etc/hostname", "HelpdeskSSOOIDCClient", "no HelpdeskSSOOIDCProvider named"),
    ("HelpdeskSSOOIDCProvider okta http://op.example.test /tmp/x.json", "HelpdeskSSOOIDCProvider", "https issuer"),
    ("HelpdeskSSOIdP 'bad name' jwt Okta", "HelpdeskSSOIdP", "a short name"),
    ("HelpdeskSSOIdP okta jwt", "HelpdeskSSOIdP", "expected NAME saml|jwt|remote"),
    ("HelpdeskSSOIdP staff saml Staff \"https://idp.example.com/ x\"", "HelpdeskSSOIdP", "an IdP entity ID"),
    ("HelpdeskSSOIdP app jwt App javascript:alert(1)", "HelpdeskSSOIdP", "http(s) URL"),
    ("HelpdeskSSOIdP app jwt App\nHelpdeskSSOIdP app remote Other", "HelpdeskSSOIdP", "named twice"),
    ("HelpdeskSSOIdP app jwt App\nHelpdeskSSODefaultIdP okta", "HelpdeskSSODefaultIdP", "no HelpdeskSSOIdP named"),
    ("HelpdeskSSOBroker jira acme.atlassian.net {dir}/secret", "HelpdeskSSOBroker",
     "deskpro, zendesk, kayako, freshworks or freshdesk"),
    ("HelpdeskSSOBroker zendesk acme.zendesk.com", "HelpdeskSSOBroker", "expected KIND HOST KEYFILE [ALG]"),
    ("HelpdeskSSOBroker zendesk acme.zendesk.com/access {dir}/long.secret", "HelpdeskSSOBroker",
     "the helpdesk's host name"),
    ("HelpdeskSSOBroker zendesk acme.zendesk.com {dir}/long.secret RS256", "HelpdeskSSOBroker",
     "an algorithm zendesk accepts: HS256"),
    ("HelpdeskSSOBroker kayako acme.kayako.com {dir}/secret", "HelpdeskSSOBroker", "at least 32 bytes"),
    ("HelpdeskSSOBroker freshworks acme.myfreshworks.com {dir}/long.secret", "HelpdeskSSOBroker",
     "a shared secret cannot serve RS256"),
    ("HelpdeskSSOBroker deskpro acme.deskpro.com {dir}/no-such-file", "HelpdeskSSOBroker", "cannot open"),
    ("HelpdeskSSOBroker freshdesk acme.freshdesk.com {dir}/secret sha1", "HelpdeskSSOBroker", "md5 or sha256"),
    ("HelpdeskSSOBroker zendesk a.zendesk.com {dir}/long.secret\nHelpdeskSSOBroker zendesk b.zendesk.com "
     "{dir}/long.secret", "HelpdeskSSOBroker", "configured twice"),
    ("HelpdeskSSOBrokerClaim email mail", "HelpdeskSSOBrokerClaim", "set by the module itself"),
    ("HelpdeskSSOBrokerNextKeyFile zendesk {dir}/long.secret", "HelpdeskSSOBrokerNextKeyFile",
     "no 'HelpdeskSSOBroker zendesk' line before this one"),
    ("HelpdeskSSOBroker zendesk acme.zendesk.com {dir}/long.secret\n"
     "HelpdeskSSOBrokerNextKeyFile zendesk {dir}/long.secret", "HelpdeskSSOBrokerNextKeyFile", "the same key"),
    ("HelpdeskSSOBroker zendesk acme.zendesk.com {dir}/long.secret\n"
     "HelpdeskSSOBrokerNextKeyFile zendesk {dir}/secret", "HelpdeskSSOBrokerNextKeyFile", "at least 32 bytes"),
    ("HelpdeskSSOBroker zendesk acme.zendesk.com {dir}/long.secret\nHelpdeskSSOBrokerNextKeyFile zendesk",
     "HelpdeskSSOBrokerNextKeyFile", "expected KIND and one to 3 key files"),
    ("HelpdeskSSOBrokerTokenLifetime 3600", "HelpdeskSSOBrokerTokenLifetime", "from 30 to 900"),
    ("<Location /x>\nRequire helpdesk-sso-attribute department\n</Location>", "helpdesk-sso-attribute",
     "expected NAME VALUE or NAME ~REGEX"),
    ("<Location /x>\nRequire helpdesk-sso-attribute department ~(unclosed\n</Location>", "helpdesk-sso-attribute",
     "not a valid regular expression"),
    ("<Location /x>\nRequire helpdesk-sso-group\n</Location>", "helpdesk-sso-group", "one or more group names"),
    ("HelpdeskSSODeniedText " + "x" * 1100, "HelpdeskSSODeniedText", "a sentence of up to 1024 characters"),
    ("HelpdeskSSOHelpdesk freescout", "HelpdeskSSOHelpdesk", "generic, request-tracker, znuny, osticket, glpi or zammad"),
    ("HelpdeskSSOUserField mail", "HelpdeskSSOUserField", "subject, email or email-local-part"),
    ("HelpdeskSSOUserHeader X_Forwarded:User", "HelpdeskSSOUserHeader", "letters, digits and '-', or None"),
    ("HelpdeskSSOBreakGlass sometimes", "HelpdeskSSOBreakGlass", "On or Off"),
    ("HelpdeskSSOBreakGlassQuery noAUTO", "HelpdeskSSOBreakGlassQuery", "NAME=VALUE"),
    ("HelpdeskSSOEndpoint sso", "HelpdeskSSOEndpoint", "a path"),
    ("HelpdeskSSOEndpoint /sso/", "HelpdeskSSOEndpoint", "a path"),
    ("HelpdeskSSOCookieName 'bad name'", "HelpdeskSSOCookieName", "token characters"),
    ("HelpdeskSSOCookieName a;b", "HelpdeskSSOCookieName", "token characters"),
    ("HelpdeskSSOSessionLifetime soon", "HelpdeskSSOSessionLifetime", "number of seconds"),
    ("HelpdeskSSOSessionLifetime 10", "HelpdeskSSOSessionLifetime", "number of seconds"),
    ("HelpdeskSSOSessionIdleTimeout -5", "HelpdeskSSOSessionIdleTimeout", "number of seconds"),
    ("HelpdeskSSOCookieSecure maybe", "HelpdeskSSOCookieSecure", "On or Off"),
    ("HelpdeskSSOCookieSameSite Sometimes", "HelpdeskSSOCookieSameSite", "Lax, Strict or None"),
    ("HelpdeskSSORemoteSecretFile {dir}/no-such-file", "HelpdeskSSORemoteSecretFile", "cannot open"),
    ("HelpdeskSSORemoteSecretFile {dir}/empty", "HelpdeskSSORemoteSecretFile", "is empty"),
    ("HelpdeskSSORemoteWindow 0", "HelpdeskSSORemoteWindow", "number of seconds"),
    ("HelpdeskSSORemoteWindow 1800 ahead", "HelpdeskSSORemoteWindow", "number of seconds"),
    ("HelpdeskSSORemoteDigest sha1", "HelpdeskSSORemoteDigest", "md5 or sha256"),
    ("HelpdeskSSORemoteLoginURL login.example.com", "HelpdeskSSORemoteLoginURL", "http(s) URL"),
    ("HelpdeskSSORemoteLogoutURL //evil.example", "HelpdeskSSORemoteLogoutURL", "http(s) URL"),
    ("HelpdeskSSOFallbackLoginURL javascript:alert(1)", "HelpdeskSSOFallbackLoginURL", "http(s) URL"),
    ("HelpdeskSSORedirectAllowHosts evil.example/x", "HelpdeskSSORedirectAllowHosts", "host names"),
    ("HelpdeskSSOHeaderPrefix X_Bad:", "HelpdeskSSOHeaderPrefix", "letters, digits"),
    ("HelpdeskSSOSessionCacheTTL 301", "HelpdeskSSOSessionCacheTTL", "from 0 to 300"),
    ("<VirtualHost 127.0.0.1:{port}>\nHelpdeskSSOSessionCacheTTL 5\n</VirtualHost>", "HelpdeskSSOSessionCacheTTL",
     "cannot occur within <VirtualHost>"),
    ("HelpdeskSSOCache nosuchcache", "HelpdeskSSOCache", "expected shmcb[:PATH(SIZE)], redis:HOST:PORT or memcache"),
    ("HelpdeskSSOCache memcache:127.0.0.1:0", "HelpdeskSSOCache", "memcache:HOST:PORT"),
    ("HelpdeskSSOReplayCapacity 63", "HelpdeskSSOReplayCapacity", "from 64 to"),
    ("HelpdeskSSOCache redis:127.0.0.1:6379\nHelpdeskSSOReplayCapacity 1000", "HelpdeskSSOReplayCapacity",
     "shared-memory store"),
    ("HelpdeskSSOCacheDatabase 1\nHelpdeskSSOCache memcache:127.0.0.1:11211", "HelpdeskSSOCache",
     "redis:HOST:PORT only"),
    ("HelpdeskSSOCacheAuth {dir}/empty", "HelpdeskSSOCacheAuth", "is empty"),
    ("HelpdeskSSOCacheTimeout 100 0", "HelpdeskSSOCacheTimeout", "milliseconds from 1 to 60000"),
    ("HelpdeskSSOSAMLBaseURL helpdesk.example.com", "HelpdeskSSOSAMLBaseURL", "http(s) URL"),
    ("HelpdeskSSOSAMLBaseURL https://helpdesk.example.com/", "HelpdeskSSOSAMLBaseURL", "trailing '/'"),
    ("HelpdeskSSOSAMLIdPMetadataFile {dir}/no-such-file", "HelpdeskSSOSAMLIdPMetadataFile", "cannot open"),
    ("HelpdeskSSOSAMLIdPCertFile {dir}/empty", "HelpdeskSSOSAMLIdPCertFile", "is empty"),
    ("HelpdeskSSOSAMLKeyFile {dir}/secret", "HelpdeskSSOSAMLKeyFile", "not a PEM private key"),
    ("HelpdeskSSOSAMLIdPSSOURL idp.example.com/sso", "HelpdeskSSOSAMLIdPSSOURL", "http(s) URL"),
    ("HelpdeskSSOSAMLIdPSLOURL idp.example.com/slo", "HelpdeskSSOSAMLIdPSLOURL", "http(s) URL"),
    ("HelpdeskSSOSAMLIdPCertFingerprint SHA256:12:34", "HelpdeskSSOSAMLIdPCertFingerprint", "64 hex digits"),
    ("HelpdeskSSOSAMLSignaturePolicy none", "HelpdeskSSOSAMLSignaturePolicy", "assertion, response, both or either"),
    ("HelpdeskSSOSAMLAllowLegacy md5", "HelpdeskSSOSAMLAllowLegacy", "sha1, rsa1024"),
    ("HelpdeskSSOSAMLSignatureAlgorithm sha256", "HelpdeskSSOSAMLSignatureAlgorithm",
     "rsa-sha256, rsa-sha384, rsa-sha512 or rsa-sha1"),
    ("HelpdeskSSOSAMLSignatureAlgorithm RSA-SHA256", "HelpdeskSSOSAMLSignatureAlgorithm", "rsa-sha256"),
    ("HelpdeskSSOSAMLSignatureAlgorithm dsa-sha1", "HelpdeskSSOSAMLSignatureAlgorithm", "rsa-sha256"),
    ("HelpdeskSSOSAMLSkew 7200", "HelpdeskSSOSAMLSkew", "from 0 to 3600"),
    ("HelpdeskSSOSAMLNameIDFormat emailish", "HelpdeskSSOSAMLNameIDFormat", "email, persistent"),
    ("HelpdeskSSOSAMLAttribute shoeSize x", "HelpdeskSSOSAMLAttribute", "expected a role"),
    ("HelpdeskSSOSAMLAttribute email", "HelpdeskSSOSAMLAttribute", "expected a role"),
    ("HelpdeskSSOSAMLAllowUnsolicited perhaps", "HelpdeskSSOSAMLAllowUnsolicited", "On or Off"),
    ("<Location /x>\nHelpdeskSSOSAMLBaseURL https://a.example\n</Location>", "HelpdeskSSOSAMLBaseURL",
     "not allowed in <Location> context"),
    ("<VirtualHost 127.0.0.1:{port}>\nHelpdeskSSOCache shmcb\n</VirtualHost>", "HelpdeskSSOCache",
     "cannot occur within <VirtualHost>"),
    ("<VirtualHost 127.0.0.1:{port}>\nHelpdeskSSOReplayCapacity 1000\n</VirtualHost>", "HelpdeskSSOReplayCapacity",
     "cannot occur within <VirtualHost>"),
]


class ConfigTest(unittest.TestCase):
    def run_t(self, body):
        a = Apache(body)
        a.write("empty", "")
        a.write("long.secret", "z" * 64 + "\n", mode=0o600)
        try:
            return a.config_test()
        finally:
            a.cleanup()

    def test_good_config_passes(self):
        rc, out = self.run_t(GOOD)
        self.assertEqual(0, rc, out)
        self.assertIn("Syntax OK", out)

    def test_bad_values_fail_with_directive_name(self):
        for line, directive, expected in BAD:
            with self.subTest(line=line):
                rc, out = self.run_t(line + "\n")
                self.assertNotEqual(0, rc, out)
                self.assertIn(directive, out)
                self.assertIn(expected, out)

    def config_check(self, body, apachectl=False):
        """hdsso config check (or apache2 -t) on this config: (exit code, output)."""
        a = Apache(body)
        a.write("long.secret", "z" * 64 + "\n", mode=0o600)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=idp",
                        "-keyout", os.path.join(a.dir, "idp.key"), "-out", os.path.join(a.dir, "idp.crt")],
                       check=True, capture_output=True)
        try:
            if apachectl:
                return a.config_test()
            path = a.write("httpd.conf", a.config_text())
            p = subprocess.run([HDSSO, "config", "check", "--config", path, "--apache-bin", APACHE_BIN],
                               capture_output=True, text=True)
            return p.returncode, p.stdout + p.stderr
        finally:
            a.cleanup()

    def test_config_check_clean(self):
        rc, out = self.config_check(GOOD)
        self.assertEqual(0, rc, out)
        self.assertIn("0 errors, ", out)

    def test_config_check_errors(self):
        rc, out = self.config_check(SITE_ERRORS)
        self.assertEqual(1, rc, out)
        for code in ("error: saml.base_url: HelpdeskSSOSAMLBaseURL is required",
                     "error: idp.login_url: HelpdeskSSOIdP customers has no login URL",
                     "error: idp.jwt_key: HelpdeskSSOIdP customers is jwt but neither HelpdeskSSOJWTKeyFile nor HelpdeskSSOJWTKeysURL is set"):
            self.assertRegex(out, r"helpdesk\.example\.com:\d+: " + code)  # each line names the site
        self.assertIn("3 errors", out)
        # apachectl -t itself fails on them, naming each.
        rc, out = self.config_check(SITE_ERRORS, apachectl=True)
        self.assertNotEqual(0, rc, out)
        self.assertEqual(3, out.count("HDSSO060: "), out)
        self.assertNotIn("Syntax OK", out)

    def test_config_check_warnings(self):
        rc, out = self.config_check(SITE_WARNINGS)
        self.assertEqual(0, rc, out)
        for code in ("warning: saml.base_url_scheme:", "warning: saml.base_url_host: HelpdeskSSOSAMLBaseURL names host "
                     "'portal.example.com'", "warning: saml.no_slo:", "warning: broker.deskpro_iframe:"):
            self.assertIn(code, out)
        self.assertIn("0 errors, 4 warnings", out)

    def test_sp_signature_algorithm(self):
        for lines in ("", "HelpdeskSSOSAMLSignatureAlgorithm rsa-sha384", "HelpdeskSSOSAMLSignatureAlgorithm rsa-sha512",
                      "HelpdeskSSOSAMLSignatureAlgorithm rsa-sha1\n  HelpdeskSSOSAMLAllowLegacy sha1"):
            with self.subTest(lines=lines):
                rc, out = self.config_check(SIGNING % lines, apachectl=True)
                self.assertEqual(0, rc, out)
                self.assertIn("Syntax OK", out)
        rc, out = self.config_check(SIGNING % "HelpdeskSSOSAMLSignatureAlgorithm rsa-sha1\n"
                                    "  HelpdeskSSOSAMLAllowLegacy rsa1024", apachectl=True)
        self.assertNotEqual(0, rc, out)
        self.assertRegex(out, r"HDSSO060: helpdesk\.example\.com:\d+: error: saml\.idp: HelpdeskSSOSAMLSignatureAlgorithm "
                              r"rsa-sha1 needs HelpdeskSSOSAMLAllowLegacy sha1")
        self.assertNotIn("Syntax OK", out)

    def test_secret_never_inline(self):
        rc, out = self.run_t("HelpdeskSSORemoteSecret s3cr3t\n")
        self.assertNotEqual(0, rc)
        self.assertIn("HelpdeskSSORemoteSecret", out)


if __name__ == "__main__":
    unittest.main()
