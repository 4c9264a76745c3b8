#!/bin/bash
# Builds the Debian package from the tracked sources, installs it, enables
# the module, and checks `apachectl -t` with the example site from
# apache-conf/. Prints "package: N passed, N failed, N skipped".
# Needs root (it installs a package and edits /etc/apache2); without root it
# reports its checks as skipped.
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
checks=5
if [ "$(id -u)" -ne 0 ]; then
    echo "not root: the package checks need to install a package"
    echo "package: 0 passed, 0 failed, $checks skipped"
    exit 0
fi

passed=0 failed=0
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
cleanup() {
    a2dissite -q helpdesk-sso-example >/dev/null 2>&1 || true
    rm -f "$site"
    if [ "$created_secret_dir" = yes ]; then rm -rf "$secret_dir"; fi
    rm -rf "$work"
}
trap cleanup EXIT

build() {
    mkdir -p "$work/src" &&
        (cd "$top" && git ls-files -z | xargs -0 tar -cf - ) | tar -xf - -C "$work/src" &&
        (cd "$work/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
            dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) ||
        { tail -n 40 "$work/build.log"; return 1; }
    ls "$work"/libapache2-mod-helpdesk-sso_*.deb >/dev/null
}
install_pkg() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y --allow-downgrades --reinstall \
        "$work"/libapache2-mod-helpdesk-sso_*.deb >"$work/install.log" 2>&1 ||
        { tail -n 20 "$work/install.log"; return 1; }
    dpkg -L libapache2-mod-helpdesk-sso | grep -qx /usr/lib/apache2/modules/mod_helpdesk_sso.so &&
        dpkg -L libapache2-mod-helpdesk-sso | grep -qx /usr/bin/hdsso
}
enable_module() {
    a2enmod -q helpdesk_sso && [ -L /etc/apache2/mods-enabled/helpdesk_sso.load ] &&
        [ -L /etc/apache2/mods-enabled/socache_shmcb.load ]
}
example_site_passes() {
    # The installed remote-authentication example, as README says to use it,
    # with a throw-away TLS certificate in place of the site's own.
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

check "dpkg-buildpackage -us -uc -b builds libapache2-mod-helpdesk-sso" build
check "the package installs the module and hdsso" install_pkg
check "a2enmod helpdesk_sso enables it and socache_shmcb" enable_module
check "apachectl -t passes with the example site" example_site_passes
check "the installed hdsso prints the PROTOCOLS.md A.1 vector" cli_vector

echo "package: $passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
