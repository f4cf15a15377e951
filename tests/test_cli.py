"""The `minigan` command: the gradcheck report and clear errors."""

import json
import subprocess
import sys

from minigan.cli import main


def test_gradcheck_json(capsys):
    assert main(["gradcheck", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["all_passed"] is True and report["tolerance"] == 1e-7
    assert len(report["rows"]) >= 20
    for row in report["rows"]:
        assert set(row) >= {"name", "rel_error", "passed", "tolerance", "checked_entries"}
        assert row["passed"] and row["rel_error"] < 1e-7


def test_gradcheck_table_and_failure_exit_code(capsys):
    assert main(["gradcheck"]) == 0
    out = capsys.readouterr().out
    assert "rows pass" in out and "FAIL" not in out
    # an impossible tolerance makes rows fail and the exit code non-zero
    assert main(["gradcheck", "--tol", "1e-30"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_python_dash_m_and_bad_arguments():
    ok = subprocess.run([sys.executable, "-m", "minigan", "--help"], capture_output=True, text=True)
    assert ok.returncode == 0 and "gradcheck" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "minigan", "gradcheck", "--entries", "0"],
                         capture_output=True, text=True)
    assert bad.returncode != 0
    assert "expected a positive integer, got '0'" in bad.stderr
    assert "Traceback" not in bad.stderr
