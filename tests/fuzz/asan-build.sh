#!/bin/bash
# Builds the sanitizer variant: the core, the unit tests, the CLI, the module
# and the libFuzzer harnesses with ASan+UBSan (clang++, configure
# --enable-sanitizers --enable-fuzzing), in build-asan/ under the source tree
# (gitignored). Incremental and idempotent.
#
# Why a copy: the README build configures the source tree itself, and
# automake refuses a VPATH build from a configured source tree. So the
# tracked (and new, not ignored) files are copied to build-asan/tree with
# their times kept, and that copy is configured and built in place; a second
# run copies again and make rebuilds only what changed.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${HDSSO_ASAN_DIR:-$top/build-asan}
tree=$out/tree
jobs=${HDSSO_ASAN_JOBS:-$(nproc)}
mkdir -p "$tree"
cd "$top"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$top" ls-files -z --cached --others --exclude-standard |
        grep -zv '^build-asan/' |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf - | tar -xf - -C "$tree"
else
    tar --exclude=./build-asan --exclude='*.o' --exclude='*.lo' --exclude='.libs' --exclude=config.status \
        --exclude=./Makefile --exclude=./config.h -cf - . | tar -xf - -C "$tree"
fi
cd "$tree"
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    echo "== build-asan: autoreconf"
    autoreconf -fi >/dev/null
fi
# clang++ is Debian's "clang" package; clang-14 alone installs clang++-14.
cxx=${HDSSO_ASAN_CXX:-$(command -v clang++-14 || command -v clang++ || echo clang++)}
cxx=$(basename "$cxx")
want="--enable-sanitizers --enable-fuzzing"
[ "${CI:-}" = "true" ] && want="$want --enable-werror"
if [ ! -f Makefile ] || [ configure -nt Makefile ] || [ "$(cat .hdsso-configured 2>/dev/null)" != "$cxx $want" ]; then
    echo "== build-asan: configure CXX=$cxx $want"
    rm -f .hdsso-configured
    ./configure CXX="$cxx" $want >configure.out 2>&1 || { tail -30 configure.out; exit 1; }
    echo "$cxx $want" >.hdsso-configured
fi
echo "== build-asan: make (ASan+UBSan, libFuzzer harnesses)"
make -j"$jobs" all-am tests/unit/unit_tests
