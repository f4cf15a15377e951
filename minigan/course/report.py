"""How a check speaks to a student: one table row per array, hints, one AssertionError.

A check compares each array the student's code produces (an output, a gradient, a parameter
after a step) with a trusted number: minigan's reference, or central differences of the
student's own forward pass. Each comparison is a Row; the table prints every row with its
relative error and pass/FAIL, then a hint under each failing row whose numbers match a known
mistake (see minigan.course.mistakes). If anything failed, ``finish`` raises a single
AssertionError whose message fits on one line: the table above already has the details.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..gradcheck import rel_error


@dataclass
class Row:
    """One comparison: ``what`` was checked against ``against``."""

    what: str
    against: str
    error: float  # relative error, or inf when the arrays could not be compared
    tolerance: float
    hint: str = ""
    note: str = ""  # shown instead of the error when it is not a number (e.g. a shape)

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.error) and self.error <= self.tolerance)


def compare(what: str, against: str, student, reference, tolerance: float) -> Row:
    """A Row for student vs reference arrays; a shape mismatch or a NaN fails with a note."""
    s, r = np.asarray(student, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    if s.shape != r.shape:
        return Row(what, against, np.inf, tolerance, note=f"shape {s.shape}, expected {r.shape}")
    if not np.isfinite(s).all():
        return Row(what, against, np.inf, tolerance, note="contains NaN or inf")
    return Row(what, against, rel_error(s, r), tolerance)


def matches(student, candidate, tolerance: float = 1e-6) -> bool:
    """Does the student's array equal a mistake's array (same shape, rel error <= 1e-6)?"""
    if candidate is None:
        return False
    s, c = np.asarray(student, dtype=np.float64), np.asarray(candidate, dtype=np.float64)
    if s.shape != c.shape and not (c.size == 1 or s.size == 1):
        return False
    s, c = np.broadcast_arrays(s, c)
    return bool(np.isfinite(s).all() and np.isfinite(c).all() and rel_error(s, c) <= tolerance)


class StudentCodeError(Exception):
    """The student's code raised; carries a one-line description and an optional hint."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def describe_exception(where: str, err: BaseException) -> str:
    """'Dense.compute_backward is not written yet' or 'Dense.compute_backward raised
    ValueError: <first line>', never a traceback."""
    if isinstance(err, NotImplementedError):
        return f"{where} is not written yet (it raises NotImplementedError): fill in its solution cell"
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{where} raised {type(err).__name__}" + (f": {first}" if first else "")


def format_table(title: str, rows: list[Row]) -> str:
    width = max([len(r.what) for r in rows] + [5]) + 2
    against = max([len(r.against) for r in rows] + [13]) + 2
    values = [r.note if r.note else f"{r.error:.2e}" for r in rows]
    value_width = max([len(v) for v in values] + [9])
    lines = [title, f"{'array':<{width}}{'compared with':<{against}}{'rel error':>{value_width}}  result",
             "-" * (width + against + value_width + 8)]
    for r, value in zip(rows, values, strict=True):
        lines.append(f"{r.what:<{width}}{r.against:<{against}}{value:>{value_width}}  "
                     f"{'pass' if r.passed else 'FAIL'}")
    hints: dict[str, list[str]] = {}  # one line per distinct hint, naming the rows it explains
    for r in rows:
        if not r.passed and r.hint:
            hints.setdefault(r.hint, []).append(r.what)
    if hints:
        lines.append("")
        lines += [f"hint ({', '.join(whats)}): {hint}" for hint, whats in hints.items()]
    return "\n".join(lines)


def finish(name: str, title: str, rows: list[Row], quiet: bool = False) -> None:
    """Print the table; if a row failed, raise one AssertionError naming the failed arrays and
    the first hint. Returns None, so a test cell ending in a check shows no value (nbgrader
    would read a returned value as partial credit)."""
    if not quiet:
        print(format_table(title, rows))
    failed = [r for r in rows if not r.passed]
    if not failed:
        if not quiet:
            print(f"{name}: all {len(rows)} checks pass.")
        return None
    names = ", ".join(r.what for r in failed)
    hint = next((r.hint for r in failed if r.hint), "")
    message = f"{name}: {len(failed)} of {len(rows)} checks failed ({names})"
    raise AssertionError(message + (f". Hint: {hint}" if hint else "; see the table above"))


def fail_on_error(name: str, err: StudentCodeError) -> None:
    """The student's code raised before anything could be compared: print and raise one line."""
    text = err.message if err.message.startswith(name) else f"{name}: {err.message}"
    print(text)
    if err.hint:
        print(f"hint: {err.hint}")
    raise AssertionError(text + (f". Hint: {err.hint}" if err.hint else "")) from None
