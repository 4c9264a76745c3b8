#!/bin/bash
# Runs one suite of the test command against the sanitizer build and turns
# every sanitizer report into a failure:
#   sanitized-suite.sh LABEL COMMAND...
# COMMAND prints "<any label>: N passed, N failed[, N skipped]"; this prints
# the same counts as "LABEL: ..." (tests/run-all.sh sums them), plus one
# failure per ASan/UBSan/LSan report any process of the suite wrote
# (reports go to files, so that those of a CLI run whose output a test
# captured, or of an Apache child, are not lost), and one when COMMAND
# exits non-zero without counting a failure (LeakSanitizer's exit at the end
# of a passing run).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
label=$1
shift
reports=$(mktemp -d "${TMPDIR:-/tmp}/hdsso-san-$label.XXXXXX")
# Apache children run as www-data when the tests run as root.
chmod 1777 "$reports"
out=$(mktemp)
trap 'rm -rf "$reports" "$out"' EXIT
export HDSSO_SAN_LOG_DIR=$reports
common="log_path=$reports/report:print_stacktrace=1"
# HDSSO_SAN_FULL_STACKS=1: allocation stacks through libraries built
# without frame pointers (GLib, Lasso, OpenSSL), which the fast unwinder
# stops at; many times slower (the SAML unit tests take minutes), so for
# looking into a report, not the default.
if [ "${HDSSO_SAN_FULL_STACKS:-0}" = 1 ]; then
    export ASAN_OPTIONS="fast_unwind_on_malloc=0:malloc_context_size=40${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
fi
export ASAN_OPTIONS="$common:detect_leaks=1:abort_on_error=0:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="$common:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

"$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
line=$(grep -a -E '^[A-Za-z0-9_-]+: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
n=0
for r in "$reports"/report*; do
    [ -e "$r" ] || continue
    n=$((n + 1))
    echo "---- sanitizer report $n ($(basename "$r")):"
    head -n 120 "$r"
done
if [ -z "$line" ]; then
    p=0 f=1 s=0
    echo "$label: the suite ended without reporting its counts (exit $rc)"
else
    p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
    s=0
    grep -qE '[0-9]+ skipped' <<<"$line" && s=$(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<<"$line")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && [ "$n" -eq 0 ]; then
        echo "$label: the suite exited $rc after counting no failure: counted as 1 failed"
        f=$((f + 1))
    fi
fi
if [ "$n" -gt 0 ]; then
    echo "$label: $n sanitizer report(s): each counted as 1 failed"
    f=$((f + n))
fi
echo "$label: $p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
