"""Atomic file writing: write to a temporary file in the target folder, then rename it.

os.replace is atomic on one file system, so a reader (or a run interrupted by Ctrl-C) sees
either the old file or the new one, never half of one.

``load_npz`` is the reading side: it reads every array of an .npz file at once and turns any
damage (a truncated, empty or corrupt file, or not an .npz at all) into one ValueError line
that names the file.
"""

from __future__ import annotations

import io
import json
import os
import tempfile

import numpy as np


def _temp_prefix(path: str) -> str:
    """Temporary files are named .tmp-<target name>-<pid>-<random>: the pid says whose they are."""
    return f".tmp-{os.path.basename(path)}-"


def _remove_stale_temp_files(path: str) -> None:
    """A write killed before its rename (SIGKILL, power loss) leaves its temporary file behind.
    Remove those of earlier writes to the same target whose process is gone (the pid in the
    name no longer runs); a concurrent writer's file is left alone."""
    folder, prefix = os.path.dirname(path), _temp_prefix(path)
    for name in os.listdir(folder):
        if not name.startswith(prefix):
            continue
        pid = name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _running(int(pid)):
            continue
        try:
            os.unlink(os.path.join(folder, name))
        except OSError:
            pass  # removed meanwhile, or not ours to remove


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to someone else
        return True
    return True


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    _remove_stale_temp_files(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f"{_temp_prefix(path)}{os.getpid()}-")
    try:
        # mkstemp creates the file private (0600); give it the permissions open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_save_npz(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """np.savez(path, **arrays), atomically. The name is used as given (no '.npz' added)."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def load_npz(path: str | os.PathLike, what: str = "file") -> dict[str, np.ndarray]:
    """Every array of an .npz file, read eagerly (so a bad CRC shows here, not later).
    ``what`` names the kind of file in the messages ('checkpoint', 'model file')."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"{path}: {what} not found")
    try:
        with np.load(path, allow_pickle=False) as f:
            if not hasattr(f, "files"):  # a single .npy array, not an archive
                raise ValueError("a single .npy array, not an .npz archive")
            return {k: f[k] for k in f.files}
    except Exception as err:  # zipfile.BadZipFile, EOFError, zlib.error, ...: all mean damage
        reason = " ".join(str(err).split()) or type(err).__name__
        raise ValueError(f"{path}: cannot read this {what}, it is damaged or not an .npz file "
                         f"({type(err).__name__}: {reason})") from None


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def save_json(path: str | os.PathLike, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2) + "\n")
