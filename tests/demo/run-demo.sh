#!/bin/bash
# The demo: Apache on 127.0.0.1 protecting a sample helpdesk page, signed in
# through a real SAML IdP (SimpleSAMLphp). Runs until interrupted (Ctrl-C).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export HDSSO_BUILDDIR=${HDSSO_BUILDDIR:-$top}
exec /usr/bin/python3 "$top/tests/demo/demo.py" "$@"
