"""A real Request Tracker 5 for the tests: Debian's request-tracker5 and
rt5-db-sqlite, one instance per test run in a directory of its own (inside
the test Apache's temp dir), served by mod_fcgid in that Apache.

Nothing of the system's RT is used but its code: the site configuration is
our own file (RT_SITE_CONFIG) with an empty RT_SiteConfig.d of our own
(RT_SITE_CONFIG_DIR, which replaces both /usr/share/request-tracker5/etc/
RT_SiteConfig.d and /etc/request-tracker5/RT_SiteConfig.d), the database is
an SQLite file made here by rt-setup-database-5, and Mason's caches, RT's
sessions, its log and its outgoing mail ($MailCommand 'mbox') live here too:
a small FastCGI wrapper sets $RT::MasonDataDir, $RT::MasonSessionDir and
$RT::VarPath (paths that RT::Generated fixes and no config option changes)
before it runs Debian's rt-server.fcgi.

RT trusts REMOTE_USER ($WebRemoteUserAuth), creates users it does not know
($WebRemoteUserAutocreate, as privileged staff) and keeps its own login form
as the fallback ($WebFallbackToRTLogin). Queue General lets privileged users
work on tickets and anyone create and reply by mail (the mail gateway).
Ticket 1 exists from the start."""

import os
import sqlite3
import subprocess
import time

RT_BASE = "/usr/share/request-tracker5"
RT_FCGI = RT_BASE + "/libexec/rt-server.fcgi"
RT_SETUP_DATABASE = "/usr/sbin/rt-setup-database-5"
RT_MAILGATE = "/usr/bin/rt-mailgate-5"
PACKAGES = "request-tracker5 rt5-db-sqlite libapache2-mod-fcgid libfcgi-perl"
FCGID_MODULE = "/usr/lib/apache2/modules/mod_fcgid.so"

TICKET_1_SUBJECT = "Printer on the third floor is jammed"
TICKET_1_REQUESTOR = "customer@example.com"

# Rights on queue General: privileged users (staff) work on tickets; anyone
# (the mail gateway's senders) may create a ticket and reply to it.
STAFF_RIGHTS = ("SeeQueue", "ShowTicket", "CreateTicket", "ReplyToTicket", "CommentOnTicket", "ModifyTicket",
                "OwnTicket", "TakeTicket", "ShowTicketComments", "Watch", "ShowOutgoingEmail")
EVERYONE_RIGHTS = ("CreateTicket", "ReplyToTicket")

SITE_CONFIG = """# RT_SiteConfig for one test run (tests/lib/request_tracker.py).
Set($rtname, 'hdsso-test');
Set($Organization, 'example.test');
Set($CorrespondAddress, 'support@example.test');
Set($CommentAddress, 'support-comment@example.test');
Set($Timezone, 'UTC');

Set($DatabaseType, 'SQLite');
Set($DatabaseName, '{db}');

Set($WebDomain, '127.0.0.1');
Set($WebPort, {port});
Set($WebPath, '');
Set($WebBaseURL, 'http://127.0.0.1:{port}');
Set(@ReferrerWhitelist, {referrers});

# Single sign-on in front: RT trusts REMOTE_USER, creates the users it does
# not know as staff, and keeps its own login form as the fallback.
Set($WebRemoteUserAuth, 1);
Set($WebRemoteUserContinuous, 1);
Set($WebRemoteUserAutocreate, 1);
Set($UserAutocreateDefaultsOnLogin, {{ Privileged => 1 }});
Set($WebFallbackToRTLogin, 1);

# A plain textarea for replies (a browser test types into it).
Set($MessageBoxRichText, 0);

# Outgoing mail into an mbox file in $RT::VarPath, never to an MTA.
Set($MailCommand, 'mbox');

Set($LogToSyslog, undef);
Set($LogToSTDERR, 'error');
Set($LogToFile, 'info');
Set($LogDir, '{dir}');
Set($LogToFileNamed, 'rt.log');
1;
"""

# Run by mod_fcgid (as www-data when the tests run as root): RT's own
# rt-server.fcgi, with the paths RT::Generated fixes moved here first.
FCGI_WRAPPER = """#!/usr/bin/perl
use strict;
use warnings;
no warnings 'once';
BEGIN {{
    $ENV{{RT_SITE_CONFIG}} = '{dir}/RT_SiteConfig.pm';
    $ENV{{RT_SITE_CONFIG_DIR}} = '{dir}/RT_SiteConfig.d';
}}
use lib '{base}/lib';
require RT;
$RT::MasonDataDir = '{dir}/mason_data';
$RT::MasonSessionDir = '{dir}/session_data';
$RT::VarPath = '{dir}/var';
$RT::MasonLocalComponentRoot = '{dir}/html';
# Called from here, rt-server.fcgi returns the PSGI app instead of serving.
my $app = do '{fcgi}';
die "rt-server.fcgi: " . ($@ || $! || "no application") . "\\n" unless ref $app eq 'CODE';
require RT::PlackRunner;
my $runner = RT::PlackRunner->new(server => 'FCGI', env => 'deployment', app => $app);
$runner->parse_options();
$runner->run;
"""

INITIAL_DATA = """# Data for rt-setup-database-5 --action insert (tests/lib/request_tracker.py).
$RT::VarPath = '{dir}/var';
@ACL = (
{acl});
@Final = (sub {{
    my $ticket = RT::Ticket->new(RT->SystemUser);
    my ($id, undef, $msg) = $ticket->Create(
        Queue => 'General', Subject => '{subject}', Requestor => ['{requestor}'],
        MIMEObj => MIME::Entity->build(Type => 'text/plain', Charset => 'UTF-8',
                                       Data => ["It prints one line and stops.\\n"]));
    die "ticket 1: $msg\\n" unless $id == 1;
}});
1;
"""

# What RT itself received, one JSON line per request into seen.jsonl: a
# Mason callback before RT's authentication (/autohandler, "Session") and one
# at the start of the mail gateway (which has no autohandler). Only the
# variables that carry an identity are written.
SEEN_CALLBACK = """<%init>
require JSON::PP;
my $env = RT::Interface::Web::RequestENV();
my %seen = map {{ $_ => $env->{{$_}} }}
    grep {{ $_ eq 'REMOTE_USER' || /^HTTP_(?:REMOTE_USER|AUTH_USER|X_REMOTE_|X_FORWARDED_USER)/ }} keys %$env;
if (open my $fh, '>>', '{dir}/seen.jsonl') {{
    print $fh JSON::PP->new->canonical->encode({{ callback => '{name}', method => $env->{{REQUEST_METHOD}},
                                            path => $env->{{PATH_INFO}}, query => $env->{{QUERY_STRING}},
                                            env => \\%seen }}), "\\n";
    close $fh;
}}
</%init>
"""

# Served by mod_fcgid at the root of a virtual host, as RT's
# docs/web_deployment.pod has it. Goes inside the <VirtualHost>.
APACHE_CONF = """
  ScriptAlias / {dir}/rt-server.fcgi/
  <Location />
    Options +ExecCGI
    AddHandler fcgid-script .fcgi
  </Location>
"""

# Server-wide mod_fcgid settings: its sockets and process table here, RT's
# slow start-up allowed for, two RT processes at most.
FCGID_CONF = """
<IfModule fcgid_module>
  FcgidIPCDir {dir}/fcgid
  FcgidProcessTableFile {dir}/fcgid/shm
  FcgidConnectTimeout 20
  FcgidIOTimeout 120
  FcgidMaxRequestLen 16777216
  FcgidMaxProcessesPerClass 2
  FcgidMinProcessesPerClass 0
  FcgidProcessLifeTime 3600
</IfModule>
"""


def missing():
    """What is not installed, as a sentence, or None."""
    for path in (RT_FCGI, RT_SETUP_DATABASE, RT_MAILGATE, FCGID_MODULE):
        if not os.path.exists(path):
            return "%s is missing: apt-get install %s" % (path, PACKAGES)
    return None


def decode_content(content, encoding):
    """An attachment's text as RT stores it: non-ASCII content is kept
    base64 or quoted-printable encoded (Attachments.ContentEncoding)."""
    if content is None:
        return None
    import base64
    import quopri
    raw = content.encode("latin-1", "replace") if isinstance(content, str) else content
    if (encoding or "").lower() == "base64":
        raw = base64.b64decode(raw)
    elif (encoding or "").lower() == "quoted-printable":
        raw = quopri.decodestring(raw)
    return raw.decode("utf-8", "replace")


class RequestTracker:
    """An RT instance in <parent>/rt, for the Apache whose directory is
    parent. The constructor writes its files; setup_database() makes the SQLite
    database (about 10 s); configure_web(port) writes the site config for the
    port RT is reached on. Apache serves it with apache_conf() inside the
    virtual host and fcgid_conf() outside."""

    def __init__(self, parent):
        self.dir = os.path.join(parent, "rt")
        self.db = os.path.join(self.dir, "rt5.db")
        self.port = None
        for sub in ("RT_SiteConfig.d", "mason_data", "session_data", "var", "fcgid"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        for page, name in (("autohandler", "Session"), ("REST/1.0/NoAuth/mail-gateway", "Pre")):
            rel = "html/Callbacks/hdsso-test/%s/%s" % (page, name)
            os.makedirs(os.path.dirname(os.path.join(self.dir, rel)), exist_ok=True)
            self._write(rel, SEEN_CALLBACK.format(dir=self.dir, name="/%s %s" % (page, name)))
        self._write("rt-server.fcgi", FCGI_WRAPPER.format(dir=self.dir, base=RT_BASE, fcgi=RT_FCGI), 0o755)
        acl = "".join("    { GroupDomain => 'SystemInternal', GroupType => '%s', Queue => 'General', "
                      "Right => '%s' },\n" % (group, right)
                      for group, rights in (("Privileged", STAFF_RIGHTS), ("Everyone", EVERYONE_RIGHTS))
                      for right in rights)
        self._write("initialdata", INITIAL_DATA.format(dir=self.dir, acl=acl, subject=TICKET_1_SUBJECT,
                                                       requestor=TICKET_1_REQUESTOR))

    def _write(self, rel, text, mode=0o644):
        path = os.path.join(self.dir, rel)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def env(self):
        e = dict(os.environ)
        e.update(RT_SITE_CONFIG=os.path.join(self.dir, "RT_SiteConfig.pm"),
                 RT_SITE_CONFIG_DIR=os.path.join(self.dir, "RT_SiteConfig.d"))
        return e

    def configure_web(self, port, other_hosts=()):
        """The site config for RT reached at http://127.0.0.1:port; other
        host:port pairs that serve the same RT are accepted as referrers (RT's
        CSRF check). Before the first request: RT reads it when it starts."""
        self.port = port
        referrers = "(" + ", ".join("'%s'" % h for h in other_hosts) + ")"
        self._write("RT_SiteConfig.pm", SITE_CONFIG.format(db=self.db, port=port, dir=self.dir,
                                                           referrers=referrers))

    def setup_database(self):
        """rt-setup-database-5: schema, core data, RT's initial data, then ours."""
        steps = [["--action", "init", "--skip-create"],
                 ["--action", "insert", "--datafile", os.path.join(self.dir, "initialdata")]]
        for args in steps:
            p = subprocess.run([RT_SETUP_DATABASE, *args], env=self.env(), capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, timeout=300)
            if p.returncode != 0:
                raise RuntimeError("rt-setup-database-5 %s failed (%d):\n%s%s" % (
                    " ".join(args), p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
        self._give_to_web_server()

    def _give_to_web_server(self):
        # mod_fcgid runs RT as Apache's User (www-data when the tests run as
        # root): RT writes its database, caches, sessions, log and mail here.
        if os.geteuid() != 0:
            return
        import pwd
        pw = pwd.getpwnam("www-data")
        for root, dirs, files in os.walk(self.dir):
            for name in [root] + [os.path.join(root, f) for f in files]:
                os.chown(name, pw.pw_uid, pw.pw_gid)

    def apache_conf(self):
        return APACHE_CONF.format(dir=self.dir)

    def fcgid_conf(self):
        return "LoadModule fcgid_module %s\n" % FCGID_MODULE + FCGID_CONF.format(dir=self.dir)

    # -- looking into RT ---------------------------------------------------

    def query(self, sql, args=()):
        """Rows of a read-only query on RT's database."""
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=30)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def user(self, name):
        """(id, Name, EmailAddress, privileged) of an RT user, or None."""
        rows = self.query("SELECT u.id, u.Name, u.EmailAddress FROM Users u WHERE lower(u.Name) = lower(?)", (name,))
        if not rows:
            return None
        uid, uname, email = rows[0]
        privileged = bool(self.query(
            "SELECT 1 FROM GroupMembers m JOIN Groups g ON g.id = m.GroupId "
            "WHERE g.Domain = 'SystemInternal' AND g.Name = 'Privileged' AND m.MemberId = ?", (uid,)))
        return uid, uname, email, privileged

    def transactions(self, ticket):
        """[(type, creator name, content)] of a ticket's correspondence and
        comments, oldest first."""
        rows = self.query(
            "SELECT t.Type, u.Name, a.Content, a.ContentEncoding FROM Transactions t JOIN Users u ON u.id = t.Creator "
            "LEFT JOIN Attachments a ON a.TransactionId = t.id AND a.ContentType = 'text/plain' "
            "WHERE t.ObjectType = 'RT::Ticket' AND t.ObjectId = ? AND t.Type IN ('Create', 'Correspond', 'Comment') "
            "ORDER BY t.id", (ticket,))
        return [(kind, name, decode_content(content, encoding)) for kind, name, content, encoding in rows]

    def tickets(self):
        """[(id, subject, creator name)] of every ticket."""
        return self.query("SELECT t.id, t.Subject, u.Name FROM Tickets t JOIN Users u ON u.id = t.Creator "
                          "WHERE t.id = t.EffectiveId ORDER BY t.id")

    def seen(self, path=None):
        """What RT received, per request (see SEEN_CALLBACK): dicts with
        callback, method, path, query and env (the identity variables)."""
        import json
        try:
            with open(os.path.join(self.dir, "seen.jsonl")) as f:
                rows = [json.loads(line) for line in f if line.strip()]
        except OSError:
            return []
        return [r for r in rows if path is None or r["path"] == path]

    def log(self):
        try:
            with open(os.path.join(self.dir, "rt.log"), errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    def mailgate(self, url, message, queue="General", action="correspond", extra_args=()):
        """rt-mailgate-5 as an MTA runs it: the message on standard input,
        posted to <url>/REST/1.0/NoAuth/mail-gateway. (exit code, output)."""
        p = subprocess.run([RT_MAILGATE, "--url", url, "--queue", queue, "--action", action, *extra_args],
                           input=message, capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout + p.stderr


def wait_until(check, deadline_s=30.0, interval=0.2):
    """Polls check() until it returns something true; bounded (a broken
    flow fails instead of hanging), not a performance check."""
    end = time.monotonic() + deadline_s
    while True:
        value = check()
        if value or time.monotonic() > end:
            return value
        time.sleep(interval)
