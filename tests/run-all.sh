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
    line=$(grep -E "^$label: [0-9]+ passed, [0-9]+ failed" "$logdir/$label.log" | tail -n 1)
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

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
