"""nbgrader's cell format, as the assignments use it (a shared contract, see HOUSE_RULES).

- A solution cell has metadata nbgrader.solution = true; in a code cell the answer sits
  between a line with ``### BEGIN SOLUTION`` and one with ``### END SOLUTION`` (a cell without markers
  is an answer as a whole). The student version replaces each region with a stub.
- A graded test cell has nbgrader.grade = true and integer ``points``; it passes when it runs
  without raising. ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` regions are removed
  from the student version and run only when grading the instructor's copy.
- Every nbgrader cell has a unique ``grade_id``.
- nbgrader finds a marker anywhere in a line, in *any* cell: never write the marker texts in
  an assignment's prose, or nbgrader stops with "no end solution statement found".

Only the standard library and plain dicts here: release and grade both read cells this way.
"""

from __future__ import annotations

import re

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = "YOUR ANSWER HERE"


def nbgrader_meta(cell) -> dict:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def is_solution(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution", False))


def is_graded(cell) -> bool:
    return bool(nbgrader_meta(cell).get("grade", False))


def points(cell) -> int:
    return int(nbgrader_meta(cell).get("points", 0))


def validate(cells, where: str) -> None:
    """Unique grade ids, integer points on graded cells, balanced markers; else ValueError."""
    seen = set()
    for i, cell in enumerate(cells):
        meta = nbgrader_meta(cell)
        if not meta:
            continue
        grade_id = meta.get("grade_id")
        if not grade_id:
            raise ValueError(f"{where}, cell {i}: nbgrader metadata without a grade_id")
        if grade_id in seen:
            raise ValueError(f"{where}, cell {i}: grade_id {grade_id!r} is used twice")
        seen.add(grade_id)
        if meta.get("grade"):
            value = meta.get("points")
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{where}, cell {i} ({grade_id}): points must be a non-negative "
                                 f"integer, got {value!r}")
        source = "".join(cell.get("source", ""))
        for begin, end in ((BEGIN_SOLUTION, END_SOLUTION), (BEGIN_HIDDEN, END_HIDDEN)):
            if _count(source, begin) != _count(source, end):
                raise ValueError(f"{where}, cell {i} ({grade_id}): unbalanced {begin!r} / {end!r} lines")


def _count(source: str, marker: str) -> int:
    return sum(1 for line in source.splitlines() if marker in line)


def replace_regions(source: str, begin: str, end: str, stub: tuple[str, ...]) -> str:
    """Replace each region from a line containing ``begin`` to the next line containing ``end``
    (both included) with the stub lines at the begin line's indentation. Lines are matched by
    containing the marker, as nbgrader does, so both tools cut the same regions."""
    out, inside = [], False
    for line in source.splitlines():
        if begin in line and not inside:
            inside = True
            indent = re.match(r"\s*", line).group(0)
            out += [indent + s for s in stub]
        elif end in line and inside:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)

