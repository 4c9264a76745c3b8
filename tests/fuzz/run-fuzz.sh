#!/bin/bash
# Runs libFuzzer harnesses one after the other, each for SECONDS, with
# ASan, UBSan and leak detection on, and prints one line per harness
# (executions, coverage cov/ft from libFuzzer's final stats) and
# "fuzz: N passed, N failed" (tests/run-all.sh adds it up).
#   run-fuzz.sh SECONDS [LIBFUZZER-FLAGS...] -- HARNESS...
# The build tree is $HDSSO_FUZZ_BUILDDIR (default: build-asan/tree). Each
# harness grows its corpus in BUILDDIR/tests/fuzz/corpus/NAME (kept between
# runs), read together with the hand-written seeds (tests/fuzz/seeds/NAME)
# and those made from tests/vectors (make_seeds.py). A crash, a sanitizer
# report, a leak, a timeout or a broken invariant fails the harness; its
# input is kept as BUILDDIR/tests/fuzz/artifacts/NAME-crash-... and the
# report as .../logs/NAME.log.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${HDSSO_FUZZ_BUILDDIR:-$top/build-asan/tree}
seconds=$1
shift
flags=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do flags+=("$1"); shift; done
[ $# -gt 0 ] && shift
harnesses=("$@")
# No harness named: every tests/fuzz/fuzz_*.cc.
if [ ${#harnesses[@]} -eq 0 ]; then
    for f in "$here"/fuzz_*.cc; do harnesses+=("$(basename "$f" .cc)"); done
fi

work=$build/tests/fuzz
mkdir -p "$work/corpus" "$work/vector-seeds" "$work/artifacts" "$work/logs"
# Leaks outside our control only, each with its upstream reason (the file).
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export HDSSO_VECTORS=${HDSSO_VECTORS:-$top/tests/vectors}

# One harness: its report in logs/NAME.out, its verdict in logs/NAME.status.
run_one() {
    local name=$1 out=$work/logs/$1.out
    local bin=$work/$name log=$work/logs/$name.log
    exec >"$out" 2>&1
    if [ ! -x "$bin" ]; then
        echo "fuzz $name: $bin is not built (configure --enable-fuzzing)"
        printf '%-20s not built\n' "$name"
        echo failed >"$work/logs/$name.status"
        return
    fi
    local short=${name#fuzz_}
    mkdir -p "$work/corpus/$short" "$work/vector-seeds/$short"
    /usr/bin/python3 "$here/make_seeds.py" "$short" "$work/vector-seeds/$short"
    local seeds=()
    [ -d "$here/seeds/$short" ] && seeds+=("$here/seeds/$short")
    seeds+=("$work/vector-seeds/$short")
    echo "== fuzz $name: ${seconds}s"
    # HDSSO_SAN_FULL_STACKS=1: allocation stacks through Lasso, GLib and
    # OpenSSL (built without frame pointers); slower, for looking into a leak
    # (or rerun the kept input: ASAN_OPTIONS=fast_unwind_on_malloc=0 NAME INPUT).
    local unwind=""
    [ "${HDSSO_SAN_FULL_STACKS:-0}" = 1 ] && unwind="fast_unwind_on_malloc=0:malloc_context_size=40:"
    local start rc took execs last cov ft corpus verdict status=passed
    start=$(date +%s)
    # -timeout: one input taking 25 s is a finding (a hang); -rss_limit_mb:
    # so is growing past 2 GB; -max_len: room for the SAML seeds.
    ASAN_OPTIONS="$unwind$ASAN_OPTIONS" "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=25 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$work/artifacts/$name-" "${flags[@]}" "$work/corpus/$short" "${seeds[@]}" >"$log" 2>&1
    rc=$?
    took=$(($(date +%s) - start))
    execs=$(LC_ALL=C sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    last=$(grep -a -E '^#[0-9]+' "$log" | grep -a -E 'cov: [0-9]+' | tail -n 1)
    cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<<"$last")
    corpus=$(sed -nE 's/.*corp: ([0-9]+\/[0-9]+[a-zA-Z]*).*/\1/p' <<<"$last")
    if [ $rc -eq 0 ] && ! grep -a -qE '^(==[0-9]+==ERROR|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer)|runtime error:|\*\*\* invariant broken' "$log"; then
        verdict=ok
    else
        status=failed
        verdict="FAILED (exit $rc)"
        echo "---- $name: the end of $log:"
        tail -n 60 "$log" | LC_ALL=C tr -c '[:print:]\t\n' '?'
        ls -1 "$work/artifacts/$name-"* 2>/dev/null | sed 's/^/     input kept: /'
    fi
    printf '%-20s %-18s execs=%-10s cov=%-6s ft=%-7s corpus=%-12s %ss\n' "$name" "$verdict" "${execs:-?}" \
        "${cov:-?}" "${ft:-?}" "${corpus:-?}" "$took"
    echo "$status" >"$work/logs/$name.status"
}

# HDSSO_FUZZ_JOBS harnesses at a time (default 1; the test command uses
# the machine's cores).
jobs=${HDSSO_FUZZ_JOBS:-1}
running=0
for name in "${harnesses[@]}"; do
    rm -f "$work/logs/$name.status"
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
    echo "== fuzz $name: ${seconds}s"
    run_one "$name" &
    running=$((running + 1))
done
wait

passed=0 failed=0
summary=()
for name in "${harnesses[@]}"; do
    cat "$work/logs/$name.out"
    summary+=("$(tail -n 1 "$work/logs/$name.out")")
    if [ "$(cat "$work/logs/$name.status" 2>/dev/null)" = passed ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
echo
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
