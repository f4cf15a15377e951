"""Every notebook runs top to bottom (shortened by MINIGAN_FAST=1) and is committed without
outputs. The notebooks end with their own assert checks, so running them tests the lessons."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
EXPECTED = ["01_optimal_discriminator", "02_value_function_and_jsd", "03_saturating_vs_non_saturating",
            "04_mnist_gans", "05_failure_modes_and_fixes"]


def test_the_course_notebooks_are_there():
    names = [p.stem for p in NOTEBOOKS]
    for name in EXPECTED:
        assert name in names


def test_kernels_and_figures_keep_out_of_the_home_folder(tmp_path):
    """A process started by the suite (a notebook's kernel) finds MPLCONFIGDIR and IPYTHONDIR
    set (tests/conftest.py): with HOME pointing at an empty folder, building matplotlib's font
    list and IPython's profile writes nothing there."""
    home = tmp_path / "home"
    home.mkdir()
    code = ("import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot; "
            "from IPython.core.profiledir import ProfileDir; from IPython.paths import get_ipython_dir; "
            "ProfileDir.create_profile_dir_by_name(get_ipython_dir(), 'default'); "
            "print(matplotlib.get_cachedir()); print(get_ipython_dir())")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "HOME": str(home)},
                         capture_output=True, text=True, check=True).stdout.split()
    assert sorted(home.iterdir()) == []
    assert out == [os.environ["MPLCONFIGDIR"], os.environ["IPYTHONDIR"]]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs", []) == [], f"{path.name}: a cell has outputs"
            assert cell.get("execution_count") is None, f"{path.name}: a cell has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_text_has_no_control_characters(path):
    # a LaTeX command written into the JSON with one backslash (\bar, \theta) is read back as
    # a backspace or a tab, and the formula renders as garbage
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        text = "".join(cell["source"])
        bad = sorted({repr(ch) for ch in text if ord(ch) < 32 and ch != "\n"})
        assert not bad, f"{path.name}, cell {i}: control characters {', '.join(bad)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGAN_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    # run in a scratch folder so nothing a notebook writes lands in the repository
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    # the last code cell holds the lesson's assertions; reaching here means they all held
    assert any(c.cell_type == "code" and "assert" in c.source for c in nb.cells)
    assert os.environ["MINIGAN_FAST"] == "1"
