"""Make the student version of an assignment: ``minigan course release SRC DEST``.

What nbgrader's ``generate_assignment`` does to the cells, without its database or course
folder: every solution region becomes a stub (``# YOUR CODE HERE`` and
``raise NotImplementedError()`` in code, ``YOUR ANSWER HERE`` in Markdown), hidden-test
regions are removed, and all outputs and execution counts are cleared. The nbgrader
metadata stays, so the released notebook can still be graded by nbgrader or by
``minigan course grade``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..files import atomic_write_text
from . import markers


def student_source(cell) -> str:
    """The source a student sees for one cell."""
    source = "".join(cell.get("source", ""))
    if markers.is_solution(cell):
        if cell["cell_type"] == "code":
            if markers.BEGIN_SOLUTION in source:
                return markers.replace_regions(source, markers.BEGIN_SOLUTION, markers.END_SOLUTION,
                                               markers.CODE_STUB)
            return "\n".join(markers.CODE_STUB)  # no markers: the whole cell is the answer
        if markers.BEGIN_SOLUTION in source:
            return markers.replace_regions(source, markers.BEGIN_SOLUTION, markers.END_SOLUTION,
                                           (markers.MARKDOWN_STUB,))
        return markers.MARKDOWN_STUB
    if markers.is_graded(cell) and markers.BEGIN_HIDDEN in source:
        return markers.replace_regions(source, markers.BEGIN_HIDDEN, markers.END_HIDDEN, ())
    return source


def release_notebook(nb: dict, where: str = "notebook") -> dict:
    """The student version of a notebook given as a dict (the JSON of an .ipynb)."""
    markers.validate(nb["cells"], where)
    out = json.loads(json.dumps(nb))  # a deep copy
    for cell in out["cells"]:
        cell["source"] = student_source(cell)
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return out


def notebooks_in(src: str | Path) -> list[Path]:
    """SRC is one .ipynb file or a folder of them (not searched recursively)."""
    src = Path(src)
    if src.is_file() and src.suffix == ".ipynb":
        return [src]
    if src.is_dir():
        found = sorted(p for p in src.glob("*.ipynb") if not p.name.startswith("."))
        if found:
            return found
        raise ValueError(f"release: no .ipynb files in the folder {str(src)!r}")
    raise ValueError(f"release: SRC must be an .ipynb file or a folder of them, got {str(src)!r}")


def release(src: str | Path, dest: str | Path) -> list[Path]:
    """Write the student version of each notebook of SRC into the folder DEST (created if
    needed; it must not be SRC's own folder). Returns the written paths."""
    sources, dest = notebooks_in(src), Path(dest)
    if dest.suffix == ".ipynb":
        raise ValueError(f"release: DEST must be a folder, got the notebook name {str(dest)!r}")
    if dest.exists() and dest.resolve() == sources[0].parent.resolve():
        raise ValueError(f"release: DEST {str(dest)!r} is the instructor notebooks' own folder; "
                         "choose another, or the solutions would be overwritten")
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sources:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ValueError(f"release: {path} is not a notebook (invalid JSON: {err})") from None
        target = dest / path.name
        atomic_write_text(target, json.dumps(release_notebook(nb, path.name), indent=1,
                                             ensure_ascii=False) + "\n")
        written.append(target)
    return written
