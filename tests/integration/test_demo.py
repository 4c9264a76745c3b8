"""README command 1 runs the demo; this walks through it once, headless."""

import os
import subprocess
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
from hdsso_test import free_port  # noqa: E402


class DemoTest(unittest.TestCase):
    def test_demo_sign_in_and_out(self):
        p = subprocess.run([os.path.join(here, "..", "demo", "run-demo.sh"), "--check", "--port", str(free_port())],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(0, p.returncode, p.stdout + p.stderr)
        self.assertIn("demo check: signed in as Jane Doe at SimpleSAMLphp", p.stdout)


if __name__ == "__main__":
    unittest.main()
