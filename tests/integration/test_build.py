"""Properties of the build the design depends on."""

import glob
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from hdsso_test import MODULE, TOP_SRCDIR  # noqa: E402


class BuildTest(unittest.TestCase):
    def test_module_exports_only_its_module_record(self):
        out = subprocess.run(["nm", "-D", "--defined-only", MODULE], capture_output=True, text=True, check=True).stdout
        symbols = sorted(line.split()[-1] for line in out.splitlines() if line.strip())
        self.assertEqual(["helpdesk_sso_module"], symbols)

    def test_core_includes_no_apache_or_apr_header(self):
        pattern = re.compile(r'^\s*#\s*include\s*[<"](httpd\.h|http_\w+\.h|ap_\w+\.h|apr\w*\.h|util_\w+\.h)', re.M)
        offenders = []
        for path in glob.glob(os.path.join(TOP_SRCDIR, "src", "**", "*.[ch]*"), recursive=True):
            with open(path, encoding="utf-8") as f:
                if pattern.search(f.read()):
                    offenders.append(os.path.relpath(path, TOP_SRCDIR))
        self.assertEqual([], offenders)


if __name__ == "__main__":
    unittest.main()
