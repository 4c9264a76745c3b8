#!/bin/sh
# Apache with the ASan runtime preloaded, for a module built with
# --enable-sanitizers (clang): the module's ASan/UBSan references resolve to
# that runtime. The integration tests start it through APACHE_BIN
# (doc/testing-sanitizers.md). Leak detection is off for Apache itself: its
# parent and children exit leaving pools and modules' allocations to the
# kernel, which LSan would report by the thousand.
cxx=$(command -v clang++-14 || command -v clang++)
rt=${HDSSO_ASAN_RUNTIME:-$("$cxx" -print-file-name=libclang_rt.asan-x86_64.so)}
if [ ! -f "$rt" ]; then
    echo "apache-asan.sh: no ASan runtime at '$rt' (apt-get install libclang-rt-14-dev)" >&2
    exit 1
fi
logs=${HDSSO_SAN_LOG_DIR:+log_path=$HDSSO_SAN_LOG_DIR/report:}
export LD_PRELOAD="$rt${LD_PRELOAD:+ $LD_PRELOAD}"
export ASAN_OPTIONS="${logs}detect_leaks=0:abort_on_error=0:print_stacktrace=1"
export UBSAN_OPTIONS="${logs}halt_on_error=1:print_stacktrace=1"
exec "${HDSSO_REAL_APACHE_BIN:-/usr/sbin/apache2}" "$@"
