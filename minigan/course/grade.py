"""Grade a notebook: ``minigan course grade NOTEBOOK [--json]``.

The notebook runs top to bottom in a fresh kernel (nbclient), with errors allowed, so one
broken exercise does not stop the others. Each graded test cell (nbgrader's ``grade: true``)
is one exercise: full points if it ran without raising, zero otherwise, with exactly one
line saying why (the exception's type and the first line of its message; minigan's checks
put their whole verdict in that line). Tracebacks are never printed.

``in_process=True`` runs the cells with exec() in this Python process instead of a kernel:
no kernel start (used by the tests to grade many variants quickly), but the notebook's code
then runs inside the grader, so use it only for notebooks you trust.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from . import markers

EXTRA_HINT = "the course tools need nbformat and nbclient: pip install 'minigan[course]'"


@dataclass
class Exercise:
    grade_id: str
    points: int
    max_points: int
    passed: bool
    message: str  # empty when passed


@dataclass
class GradeReport:
    notebook: str
    exercises: list[Exercise]
    finished: bool  # False if the run stopped early (timeout, dead kernel)

    @property
    def score(self) -> int:
        return sum(e.points for e in self.exercises)

    @property
    def max_score(self) -> int:
        return sum(e.max_points for e in self.exercises)

    def as_dict(self) -> dict:
        return {"notebook": self.notebook, "score": self.score, "max_score": self.max_score,
                "finished": self.finished, "exercises": [asdict(e) for e in self.exercises]}

    def format(self) -> str:
        width = max([len(e.grade_id) for e in self.exercises] + [8]) + 2
        lines = [f"{self.notebook}: {self.score} / {self.max_score} points"]
        for e in self.exercises:
            result = "pass" if e.passed else "FAIL"
            lines.append(f"  {e.grade_id:<{width}}{e.points:>3} / {e.max_points:<3} {result}"
                         + (f"  {e.message}" if e.message else ""))
        return "\n".join(lines)


def _nbformat():
    try:
        import nbformat
    except ImportError:
        raise ImportError(EXTRA_HINT) from None
    return nbformat


def error_line(cell) -> str | None:
    """'Type: first line of the message' of the cell's error output, or None if it ran."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            value = str(output.get("evalue", "")).strip()
            first = value.splitlines()[0] if value else ""
            return f"{output.get('ename', 'Error')}: {first}" if first else output.get("ename", "Error")
    return None


def collect(nb, name: str, finished: bool = True, stopped: str = "") -> GradeReport:
    """Read the executed cells into a report: one Exercise per graded cell."""
    exercises, earlier_error = [], None
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        error = error_line(cell)
        if not markers.is_graded(cell):
            if error and earlier_error is None:
                earlier_error = error
            continue
        grade_id, top = markers.nbgrader_meta(cell)["grade_id"], markers.points(cell)
        ran = cell.get("execution_count") is not None or cell.get("outputs")
        if error is None and not ran and not finished:
            error = f"not run: the notebook stopped early ({stopped})"
        if error and error.startswith("NameError") and earlier_error:
            error = f"{error} (an earlier cell failed first: {earlier_error})"
        exercises.append(Exercise(grade_id, 0 if error else top, top, error is None, error or ""))
        earlier_error = None  # a later exercise is blamed only on cells after this one
    return GradeReport(name, exercises, finished)


@contextlib.contextmanager
def _environment(fast: bool):
    """MINIGAN_FAST=1 (short runs) and a non-interactive matplotlib for the notebook's code."""
    saved = {k: os.environ.get(k) for k in ("MINIGAN_FAST", "MPLBACKEND")}
    if fast:
        os.environ["MINIGAN_FAST"] = "1"
    os.environ["MPLBACKEND"] = "Agg"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_with_kernel(nb, cwd: Path, timeout: int) -> tuple[bool, str]:
    try:
        from nbclient import NotebookClient
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
    except ImportError:
        raise ImportError(EXTRA_HINT) from None
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute()
    except (CellTimeoutError, DeadKernelError) as err:
        return False, f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"
    return True, ""


def run_in_process(nb, cwd: Path) -> tuple[bool, str]:
    """exec() each code cell in one namespace, recording errors as nbformat error outputs."""
    namespace = {"__name__": "__main__"}
    old_cwd = os.getcwd()
    os.chdir(cwd)
    try:
        for count, cell in enumerate((c for c in nb["cells"] if c["cell_type"] == "code"), start=1):
            source = "\n".join(line for line in "".join(cell["source"]).splitlines()
                               if not line.lstrip().startswith(("%", "!")))  # IPython magics
            out = io.StringIO()
            cell["outputs"], cell["execution_count"] = [], count
            try:
                with contextlib.redirect_stdout(out):
                    exec(compile(source, f"<cell {count}>", "exec"), namespace)  # noqa: S102
            except Exception as err:  # noqa: BLE001 - a student's cell may raise anything
                cell["outputs"].append({"output_type": "error", "ename": type(err).__name__,
                                        "evalue": str(err), "traceback": []})
            if out.getvalue():
                cell["outputs"].insert(0, {"output_type": "stream", "name": "stdout", "text": out.getvalue()})
    finally:
        os.chdir(old_cwd)
    return True, ""


def grade_notebook(nb, name: str = "notebook", cwd: str | Path | None = None, timeout: int = 600,
                   fast: bool = False, in_process: bool = False) -> GradeReport:
    """Execute a notebook (an nbformat NotebookNode, changed in place) and grade it."""
    markers.validate(nb["cells"], name)
    if not any(markers.is_graded(c) for c in nb["cells"]):
        raise ValueError(f"grade: {name} has no graded test cells (nbgrader metadata grade: true)")
    cwd = Path(cwd or ".")
    with _environment(fast):
        runner = run_in_process if in_process else (lambda nb, cwd: run_with_kernel(nb, cwd, timeout))
        finished, stopped = runner(nb, cwd)
    return collect(nb, name, finished, stopped)


def grade(path: str | Path, timeout: int = 600, fast: bool = False, in_process: bool = False,
          cwd: str | Path | None = None) -> GradeReport:
    """Grade the notebook file at ``path``; it runs in its own folder unless ``cwd`` is given.
    The file is not changed."""
    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"grade: NOTEBOOK must be an existing .ipynb file, got {str(path)!r}")
    nbformat = _nbformat()
    try:
        nb = nbformat.read(path, as_version=4)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as err:
        raise ValueError(f"grade: {path} is not a notebook ({err})") from None
    return grade_notebook(nb, path.name, cwd or path.parent, timeout, fast, in_process)
