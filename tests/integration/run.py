"""Runs every integration suite (test_*.py beside this file) and prints
'integration: N passed, N failed, N skipped'."""

import glob
import importlib
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "lib"))
from hdsso_test import run_suites  # noqa: E402

names = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(here, "test_*.py")))
if len(sys.argv) > 1:
    names = [n for n in names if n in sys.argv[1:]]
sys.exit(run_suites("integration", [importlib.import_module(n) for n in names]))
