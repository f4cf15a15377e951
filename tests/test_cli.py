"""The `minigan` command: clear errors (the gradcheck report is tested in test_gradcheck.py)."""

import subprocess
import sys


def test_python_dash_m_and_bad_arguments():
    ok = subprocess.run([sys.executable, "-m", "minigan", "--help"], capture_output=True, text=True)
    assert ok.returncode == 0 and "gradcheck" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "minigan", "gradcheck", "--entries", "0"],
                         capture_output=True, text=True)
    assert bad.returncode != 0
    assert "expected a positive integer, got '0'" in bad.stderr
    assert "Traceback" not in bad.stderr
