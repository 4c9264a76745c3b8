#!/bin/bash
# The two README commands:
#   tests/quickstart.sh demo   install what is missing, build, run the demo
#   tests/quickstart.sh test   install what is missing, build, run every test
# Idempotent: packages already installed are not touched, and the build is
# incremental. Needs root (or sudo) only when a Debian package is missing.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-}
case "$mode" in
demo | test) ;;
*)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac

# What the build, the tests and the demo use, all from Debian 12.
packages=(
    build-essential autoconf automake libtool pkg-config
    apache2 apache2-dev libapr1-dev libaprutil1-dev
    libssl-dev libxml2-dev liblasso3-dev libxmlsec1-dev libglib2.0-dev zlib1g-dev libsimdjson-dev libcppunit-dev libjwt-dev libcurl4-openssl-dev libhiredis-dev libmemcached-dev
    python3 python3-requests python3-jwt python3-prometheus-client
    simplesamlphp php-xml php-mbstring libapache2-mod-php xmlsec1
    debhelper dpkg-dev fakeroot git lintian man-db groff-base openssl libapache2-mod-fcgid
    memcached redis-server wrk
    chromium chromium-driver python3-selenium
    request-tracker5 rt5-db-sqlite libapache2-mod-fcgid libfcgi-perl
    clang-14 libfuzzer-14-dev libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
# Node.js and npm run the test OpenID Provider (tests/lib/oidc_provider/,
# oidc-provider 8.8.1: Node 18, Debian 12's, or newer LTS). Checked by
# command, not by package: a nodejs build that carries its own npm is left
# alone (Debian's npm package would conflict with it). The npm packages go
# into the build tree (tests/oidc-provider-npm/) from the lockfile when the
# tests first need them, never globally.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

cd "$top"
want_flags=""
[ "${CI:-}" = "true" ] && want_flags="--enable-werror"
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
    echo "== autoreconf"
    autoreconf -fi
fi
if [ ! -f Makefile ] || [ configure -nt Makefile ] || ! grep -q -- "ac_cs_config=.*${want_flags}" config.status 2>/dev/null; then
    echo "== configure $want_flags"
    ./configure $want_flags
fi
echo "== build"
# all-am, not all: automake's "all" runs "all-am" in a sub-make, which would
# build the core a second time beside this make's unit-test graph.
make -j"$(nproc)" all-am tests/unit/unit_tests

case "$mode" in
demo) exec tests/demo/run-demo.sh ;;
test) exec tests/run-all.sh ;;
esac
