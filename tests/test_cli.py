"""The `minigan` command: the gradcheck report and clear errors."""

import json
import math
import re
import subprocess
import sys
from pathlib import Path

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
    assert_readme_block_matches("gradcheck", out)
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


def assert_readme_block_matches(command: str, out: str) -> None:
    """The README's block for `minigan COMMAND` (docs/update_readme.py writes it) is that
    command's output: every row and the summary line alike, except that the relative errors
    (rounding noise, which moves with the BLAS and kernel backend) need only agree to within
    a factor of 10."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    match = re.search(rf"<!-- output: {command} -->\n```\n(.*?)\n```", readme, re.S)
    assert match, f"README.md has no block for `minigan {command}`"
    number = re.compile(r"\d\.\d\de-\d\d")
    shown, real = match[1].splitlines(), out.rstrip("\n").splitlines()
    assert len(shown) == len(real), "README block and output differ in length: run docs/update_readme.py"
    for a, b in zip(shown, real, strict=True):
        assert number.sub("#", a) == number.sub("#", b), f"README: {a!r}\noutput: {b!r}"
        for x, y in zip(number.findall(a), number.findall(b), strict=True):
            if max(float(x), float(y)) < 1e-14:  # both at the level of exact agreement
                continue
            ratio = float(x) / float(y) if float(y) > 0 else math.inf
            assert 0.1 <= ratio <= 10, f"README: {a!r}\noutput: {b!r}"
