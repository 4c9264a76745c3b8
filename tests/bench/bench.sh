#!/bin/bash
# make bench: plain Apache against Apache with the module and a valid session,
# then the session and replay stores (shmcb, memcached, Redis) against it,
# then instructions per request counted by callgrind.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export HDSSO_BUILDDIR=${HDSSO_BUILDDIR:-$top}
/usr/bin/python3 "$top/tests/bench/bench.py" "$@"
/usr/bin/python3 "$top/tests/bench/store_bench.py"
exec /usr/bin/python3 "$top/tests/bench/callgrind_bench.py"
