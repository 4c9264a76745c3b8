#!/bin/bash
# Builds the Debian package (source and binary) from a copy of the source
# tree alone (git archive of HEAD: no sibling directories, nothing untracked),
# with its unit tests; runs lintian and fails on any error or warning; checks
# that the man pages, the directive reference and the examples are in the
# .deb; installs it, enables the module, and checks `apachectl -t` with an
# installed example site. Prints "package: N passed, N failed, N skipped".
# Needs root (it installs a package and edits /etc/apache2); without root it
# reports its checks as skipped.
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
checks=9
if [ "$(id -u)" -ne 0 ]; then
    echo "not root: the package checks need to install a package"
    echo "package: 0 passed, 0 failed, $checks skipped"
    exit 0
fi

passed=0 failed=0 skipped=0
check() {  # check NAME COMMAND...
    local name=$1
    shift
    if "$@"; then
        echo "ok: $name"
        passed=$((passed + 1))
    else
        echo "FAILED: $name"
        failed=$((failed + 1))
    fi
}

work=$(mktemp -d)
site=/etc/apache2/sites-available/helpdesk-sso-example.conf
secret_dir=/etc/apache2/helpdesk-sso
created_secret_dir=no
[ -d "$secret_dir" ] || created_secret_dir=yes
ssl_was_enabled=no
[ -L /etc/apache2/mods-enabled/ssl.load ] && ssl_was_enabled=yes
cleanup() {
    a2dissite -q helpdesk-sso-example >/dev/null 2>&1 || true
    [ "$ssl_was_enabled" = yes ] || a2dismod -q ssl >/dev/null 2>&1 || true
    rm -f "$site"
    if [ "$created_secret_dir" = yes ]; then rm -rf "$secret_dir"; fi
    rm -rf "$work"
}
trap cleanup EXIT

deb() { ls "$work"/libapache2-mod-helpdesk-sso_*.deb 2>/dev/null | head -n 1; }

build() {
    # git archive: what is committed, and nothing from outside the tree.
    mkdir -p "$work/src" &&
        git -C "$top" archive --format=tar HEAD | tar -xf - -C "$work/src" &&
        (cd "$work/src" && DEB_BUILD_OPTIONS="parallel=$(nproc)" \
            dpkg-buildpackage -us -uc >"$work/build.log" 2>&1) ||
        { tail -n 60 "$work/build.log"; return 1; }
    # The unit tests ran (dh_auto_test), and passed.
    grep -qE '^# PASS: +1$|^PASS: tests/unit/unit_tests$' "$work/build.log" ||
        { echo "the unit tests did not run in the package build"; return 1; }
    [ -n "$(deb)" ]
}
lintian_clean() {
    local changes
    changes=$(ls "$work"/mod-helpdesk-sso_*.changes | head -n 1)
    # Errors and warnings fail; info, pedantic and overridden tags are shown.
    lintian --info --display-info --fail-on error,warning "$changes" >"$work/lintian.log" 2>&1
    local rc=$?
    sed 's/^/    lintian: /' "$work/lintian.log"
    [ $rc -eq 0 ] && ! grep -qE '^[EW]: ' "$work/lintian.log"
}
contents_complete() {
    local listing missing=0 f
    listing=$(dpkg -c "$(deb)" | awk '{print $6}')
    for f in ./usr/share/man/man1/hdsso.1.gz \
        ./usr/share/man/man7/mod_helpdesk_sso.7.gz \
        ./usr/share/doc/libapache2-mod-helpdesk-sso/README.md.gz \
        ./usr/share/doc/libapache2-mod-helpdesk-sso/directives.md.gz \
        ./usr/share/doc/libapache2-mod-helpdesk-sso/hdsso.md.gz \
        ./usr/share/doc/libapache2-mod-helpdesk-sso/helpdesks/request-tracker.md \
        ./usr/share/doc/libapache2-mod-helpdesk-sso/examples/saml-one-idp.conf \
        ./usr/share/doc/libapache2-mod-helpdesk-sso/examples/helpdesk-glpi.conf \
        ./usr/share/bash-completion/completions/hdsso \
        ./usr/lib/apache2/modules/mod_helpdesk_sso.so \
        ./usr/bin/hdsso; do
        if ! grep -qxF "$f" <<<"$listing"; then
            echo "not in the package: $f"
            missing=1
        fi
    done
    # Every example of the tree is shipped.
    for f in "$top"/apache-conf/examples/*.conf; do
        grep -qE "^\./usr/share/doc/libapache2-mod-helpdesk-sso/examples/$(basename "$f")(\.gz)?$" <<<"$listing" ||
            { echo "example not in the package: $(basename "$f")"; missing=1; }
    done
    [ $missing -eq 0 ]
}
install_pkg() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y --allow-downgrades --reinstall "$(deb)" \
        >"$work/install.log" 2>&1 ||
        { tail -n 20 "$work/install.log"; return 1; }
    dpkg -L libapache2-mod-helpdesk-sso | grep -qx /usr/lib/apache2/modules/mod_helpdesk_sso.so &&
        dpkg -L libapache2-mod-helpdesk-sso | grep -qx /usr/bin/hdsso
}
version_matches() {
    local v
    v=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
    [ "$(hdsso --version)" = "hdsso $v" ] &&
        [ "$(dpkg-query -W -f='${Version}' libapache2-mod-helpdesk-sso)" = "$v" ] &&
        man -w hdsso >/dev/null && man -w 7 mod_helpdesk_sso >/dev/null
}
cache_dir_for_backing_files() {
    # HelpdeskSSOSAMLIdPMetadataURL's backing files: written by Apache's user.
    [ "$(stat -c '%U:%G %a' /var/cache/apache2/mod_helpdesk_sso)" = "www-data:www-data 700" ]
}
enable_module() {
    a2enmod -q helpdesk_sso && [ -L /etc/apache2/mods-enabled/helpdesk_sso.load ] &&
        [ -L /etc/apache2/mods-enabled/socache_shmcb.load ]
}
example_site_passes() {
    # The installed remote-authentication example, as its comments say to
    # use it, with a throw-away TLS certificate in place of the site's own.
    install -d -m 0750 -g www-data "$secret_dir" &&
        { [ -f "$secret_dir/remote-secret" ] || (umask 077; head -c 32 /dev/urandom | base64 >"$secret_dir/remote-secret"); } &&
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=helpdesk.example.com \
            -keyout "$work/tls.key" -out "$work/tls.pem" >/dev/null 2>&1 &&
        zcat -f /usr/share/doc/libapache2-mod-helpdesk-sso/examples/remote-auth.conf* |
        sed -e "s|/etc/ssl/certs/helpdesk.example.com.pem|$work/tls.pem|" \
            -e "s|/etc/ssl/private/helpdesk.example.com.key|$work/tls.key|" >"$site" &&
        a2enmod -q ssl && a2ensite -q helpdesk-sso-example && apachectl -t
}
cli_vector() {
    printf 's3cr3t\n' >"$work/secret"
    [ "$(hdsso remote-auth sign --secret-file "$work/secret" --name 'Jane Doe' --email jane@example.com \
        --timestamp 1700000000 --base-url https://acme.freshdesk.com)" = \
        "https://acme.freshdesk.com/login/sso?name=Jane%20Doe&email=jane%40example.com&timestamp=1700000000&hash=87fe1dc525f5047d180232ada64c1dc4" ]
}

if check "dpkg-buildpackage -us -uc builds from git archive alone, unit tests included" build; then
    check "lintian: no error or warning" lintian_clean
    check "dpkg -c: man pages, directive reference, helpdesk pages, examples, completion" contents_complete
    check "the package installs the module and hdsso" install_pkg
    check "the installed version is debian/changelog's; man finds both pages" version_matches
    check "the cache directory for fetched metadata belongs to www-data, mode 0700" cache_dir_for_backing_files
    check "a2enmod helpdesk_sso enables it and socache_shmcb" enable_module
    check "apachectl -t passes with the installed remote-auth example" example_site_passes
    check "the installed hdsso prints the remote-authentication test vector" cli_vector
else
    skipped=$((checks - 1))
    echo "the other $skipped checks need the package: skipped"
fi

echo "package: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
