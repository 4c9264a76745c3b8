#!/bin/bash
# make bench: plain Apache against Apache with the module and a valid session.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export HDSSO_BUILDDIR=${HDSSO_BUILDDIR:-$top}
exec /usr/bin/python3 "$top/tests/bench/bench.py" "$@"
