"""Runs chosen integration tests (modules, or module.Class) and prints
'LABEL: N passed, N failed, N skipped', as tests/integration/run.py does for
whole modules. Usage: run_suites.py LABEL NAME..."""

import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "integration"))
sys.path.insert(0, os.path.join(here, "..", "lib"))

label, names = sys.argv[1], sys.argv[2:]
suite = unittest.defaultTestLoader.loadTestsFromNames(names)
result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
skipped = len(result.skipped)
print("%s: %d passed, %d failed, %d skipped" % (label, result.testsRun - failed - skipped, failed, skipped))
sys.exit(0 if failed == 0 else 1)
