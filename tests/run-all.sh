#!/bin/bash
# Runs every suite against the build tree and ends with one line
# "N passed, N failed, N skipped" summing them all; exits non-zero on any
# failure. A suite that ends without reporting its counts is one failure.
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export HDSSO_BUILDDIR=${HDSSO_BUILDDIR:-$top}
cd "$top"

passed=0 failed=0 skipped=0
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

run_suite() {
    local label=$1
    shift
    echo
    echo "===== $label ====="
    "$@" 2>&1 | tee "$logdir/$label.log"
    local line
    line=$(grep -a -E "^$label: [0-9]+ passed, [0-9]+ failed" "$logdir/$label.log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "$label: the suite ended without reporting its counts: counted as 1 failed"
        failed=$((failed + 1))
        return
    fi
    local p f s
    p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
    s=0
    grep -qE '[0-9]+ skipped' <<<"$line" && s=$(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<<"$line")
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

run_suite unit "$HDSSO_BUILDDIR/tests/unit/unit_tests"
run_suite integration /usr/bin/python3 tests/integration/run.py
run_suite package tests/package/test-package.sh

# ---- Sanitizers and fuzzing (issue 15; doc/testing-sanitizers.md) ---------
# The core, the unit tests, the CLI, the module and the libFuzzer harnesses
# built with ASan+UBSan (clang++) in build-asan/; the unit tests, the CLI
# suites and the remote-auth, JWT, helpdesk-mode, key-set-URL and metrics
# suites (the module under
# an Apache with the ASan runtime preloaded) run against it, then every
# harness for HDSSO_FUZZ_SECONDS (30) with leak detection. Any sanitizer
# report is a failure. HDSSO_SANITIZERS=0 leaves all of it out (a quick
# local run; CI never sets it).
if [ "${HDSSO_SANITIZERS:-1}" != 0 ]; then
    asan_tree=$top/build-asan/tree
    san=tests/fuzz/sanitized-suite.sh
    echo
    echo "===== asan-build ====="
    if tests/fuzz/asan-build.sh; then
        run_suite asan-unit "$san" asan-unit "$asan_tree/tests/unit/unit_tests"
        run_suite asan-cli env HDSSO_BUILDDIR="$asan_tree" "$san" asan-cli \
            /usr/bin/python3 tests/fuzz/run_suites.py asan-cli \
            test_cli test_jwt_cli test_oidc_cli test_saml_cli test_saml_checks.SamlChecksTest
        run_suite asan-apache env HDSSO_BUILDDIR="$asan_tree" APACHE_BIN="$top/tests/fuzz/apache-asan.sh" "$san" asan-apache \
            /usr/bin/python3 tests/fuzz/run_suites.py asan-apache test_remote_auth test_jwt_login test_helpdesk_modes \
                test_jwks_url test_metrics test_kept_post test_oidc.OidcSignInTest test_oidc.RogueProviderTest test_oidc.OidcConfigCheckTest
        run_suite fuzz env HDSSO_FUZZ_BUILDDIR="$asan_tree" HDSSO_FUZZ_JOBS="${HDSSO_FUZZ_JOBS:-$(nproc)}" \
            tests/fuzz/run-fuzz.sh "${HDSSO_FUZZ_SECONDS:-30}" -seed="${HDSSO_FUZZ_SEED:-1}"
    else
        echo "asan-build: the sanitizer build failed: counted as 1 failed"
        failed=$((failed + 1))
    fi
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
