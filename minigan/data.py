"""MNIST from IDX files: the full MNIST shipped in data/mnist/, or a user's own copy.

IDX is the format MNIST is distributed in: a 4-byte magic number (two zero bytes, a type
code, the number of dimensions), one big-endian uint32 per dimension, then the values in
C order. Images are uint8 pixels 0..255; labels are uint8 digits.

minigan ships all four files of MNIST (see data/README.md for their source, licence and
checksums) and uses its standard split:

    "train"        the 60,000 training images (GANs and the quality classifier train here)
    "test"         the 10,000 test images (never trained on; the reference for every measure)
    "validation"   the last 10,000 training images, for a protocol that must choose something
                   (the Parzen window's width) on data that is neither trained on nor tested
    "train50k"     the first 50,000 training images: "train" without "validation"
    "heldout"      an older name of "test"

With ``data_dir`` pointing at a folder holding the same four files (Fashion-MNIST, KMNIST,
or your own copy of MNIST; gzipped or not) the same splits are taken from them; the
validation split is then the last sixth of the training images (10,000 of 60,000).
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "data" / "mnist"
# small trained networks shipped for the lessons (data/README.md lists each with its SHA-256)
CHECKPOINT_DIR = SHIPPED_DIR.parent / "checkpoints"
# SHA-256 of each shipped .gz file, and of its decompressed IDX content. The two training
# files were recompressed (their .gz bytes differ from the original distribution's, their
# IDX content does not), so a copy is accepted when either checksum matches.
SHIPPED_SHA256 = {
    "train-images-idx3-ubyte.gz": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
    "train-labels-idx1-ubyte.gz": "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
    "t10k-images-idx3-ubyte.gz": "167310007f03058885c7e95e6c0b19c20de5c7fd3031f4cbdadc9014a523d80b",
    "t10k-labels-idx1-ubyte.gz": "fc607395669ec21321ea83e4b82c0544b7e8e63ff5b34337c06bc0a17cc0da3c",
}
SHIPPED_IDX_SHA256 = {
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
SPLITS = ("train", "test", "validation", "train50k", "heldout", "all")
VALIDATION_FRACTION = 6  # the validation split is the last 1/6 of "train": 10,000 of 60,000
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DataError(ValueError):
    """A missing, corrupt or unexpected data file (the message is one line)."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        return gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError) as err:
        raise DataError(f"{path}: cannot read ({err})") from None


def parse_idx(raw: bytes, path: str | Path = "IDX data") -> np.ndarray:
    """The array held by the bytes of an IDX file (already decompressed)."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"{path}: expected {expected} bytes of data for shape {shape}, "
                        f"found {len(raw) - header}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzipped if its name ends in .gz) into an array of its shape."""
    path = Path(path)
    return parse_idx(_read_bytes(path), path)


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder}: missing {stem} (or {stem}.gz)")


def check_images(images: np.ndarray, path) -> None:
    """Structure of an image file: integers 0..255 of shape (n, 28, 28)."""
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{path}: expected images of shape (n, 28, 28), got {images.shape}")
    if not np.issubdtype(images.dtype, np.integer):
        raise DataError(f"{path}: pixels must be integers 0-255, found type {images.dtype}")
    if images.size and (images.min() < 0 or images.max() > 255):
        raise DataError(f"{path}: pixels must be integers 0-255, found values from "
                        f"{int(images.min())} to {int(images.max())}")


def check_labels(labels: np.ndarray, n: int, path) -> None:
    """Structure of a label file: n integers 0..9."""
    if labels.shape != (n,):
        raise DataError(f"{path}: expected {n} labels, got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{path}: labels must be digits 0-9, found type {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        bad = int(labels.min()) if labels.min() < 0 else int(labels.max())
        raise DataError(f"{path}: labels must be digits 0-9, found {bad}")


_RAW_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def _verified_shipped(path: Path) -> bytes:
    """The decompressed bytes of a shipped file, after checking its checksum: the .gz
    checksum, or failing that the checksum of its content (a recompressed but intact copy)."""
    if not path.is_file():
        raise DataError(f"{path}: shipped MNIST file missing (restore it from the repository)")
    gz_ok = sha256(path) == SHIPPED_SHA256[path.name]
    try:
        raw = gzip.open(path).read()
    except (OSError, EOFError):
        raw = None
    if not gz_ok and (raw is None or hashlib.sha256(raw).hexdigest() != SHIPPED_IDX_SHA256[path.name]):
        raise DataError(f"{path}: checksum mismatch, the file is corrupt or was changed "
                        "(restore it from the repository)")
    if raw is None:
        raise DataError(f"{path}: cannot decompress")
    return raw


def _load_pair(folder: Path, part: str, shipped: bool, verify: bool) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (n, 28, 28), labels uint8 (n,)) of "train" or "t10k", checked.

    The shipped files are checked against their checksums; a user's folder cannot match
    MNIST's checksums (it may hold Fashion-MNIST), so its files are checked for structure
    only: integer pixels 0-255 of shape (n, 28, 28) and n labels 0-9. Checked arrays are kept
    in memory, keyed by the files' paths, sizes and modification times."""
    if shipped:
        paths = [folder / f"{part}-images-idx3-ubyte.gz", folder / f"{part}-labels-idx1-ubyte.gz"]
    else:
        paths = [_find(folder, f"{part}-images-idx3-ubyte"), _find(folder, f"{part}-labels-idx1-ubyte")]
    stats = []
    for p in paths:
        if shipped and not p.is_file():
            raise DataError(f"{p}: shipped MNIST file missing (restore it from the repository)")
        s = p.stat()
        stats.append((str(p.resolve()), s.st_size, s.st_mtime_ns))
    key = (tuple(stats), shipped and verify)
    if key in _RAW_CACHE:
        return _RAW_CACHE[key]
    if shipped and verify:
        images, labels = (parse_idx(_verified_shipped(p), p) for p in paths)
    else:
        images, labels = (read_idx(p) for p in paths)
    check_images(images, paths[0])
    check_labels(labels, images.shape[0], paths[1])
    if len(_RAW_CACHE) >= 4:  # a few files at most (the training images are 47 MB)
        del _RAW_CACHE[next(iter(_RAW_CACHE))]
    _RAW_CACHE[key] = images, labels
    return images, labels


def load_mnist_uint8(split: str = "train", data_dir: str | Path | None = None,
                     verify: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The images of ``split`` as uint8 (n, 28, 28) and their labels (n,), checked (see
    _load_pair). ``data_dir`` None: the shipped full MNIST."""
    if split not in SPLITS:
        raise DataError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    if data_dir is None:
        folder, shipped = SHIPPED_DIR, True
    else:
        folder, shipped = Path(data_dir), False
        if not folder.is_dir():
            raise DataError(f"{folder}: data directory not found")
    parts = []
    if split in ("train", "validation", "train50k", "all"):
        images, labels = _load_pair(folder, "train", shipped, verify)
        cut = len(images) - len(images) // VALIDATION_FRACTION
        pick = {"train": slice(None), "all": slice(None), "validation": slice(cut, None),
                "train50k": slice(0, cut)}[split]
        parts.append((images[pick], labels[pick]))
    if split in ("test", "heldout", "all"):
        parts.append(_load_pair(folder, "t10k", shipped, verify))
    if len(parts) == 1:
        return parts[0]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def load_mnist(split: str = "train", data_dir: str | Path | None = None,
               verify: bool = True, limit: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Images as float32 (n, 1, 28, 28) scaled to [-1, 1] (pixel / 127.5 - 1, the range of a
    tanh generator) and labels as int64 (n,). ``limit`` > 0: only the first ``limit`` of them
    (a short run need not convert all 60,000 training images; that took 0.13 s a call).

    Without ``data_dir`` the shipped files are used, after checking their SHA-256 checksums
    (``verify``); a missing or altered file is reported in one line. A user's ``data_dir``
    is checked for structure (see _load_pair).
    """
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 0:
        raise ValueError(f"limit must be a non-negative integer (0: every image), got {limit!r}")
    images, labels = load_mnist_uint8(split, data_dir, verify)
    if limit:
        images, labels = images[:limit], labels[:limit]
    x = images.astype(np.float32)[:, None, :, :] / np.float32(127.5) - np.float32(1.0)
    return x, labels.astype(np.int64)


# ------------------------------------------------------------------------- 2-D toy: the ring
class Ring:
    """A mixture of ``n_modes`` equally likely Gaussians in 2-D, the standard mode-collapse
    test (Metz et al. 2017, Lin et al. 2018): centre j at radius r and angle 2 pi j / n_modes,

        c_j = r (cos(2 pi j / n), sin(2 pi j / n)),     x ~ N(c_j, std^2 I), j uniform.

    The modes are far apart compared with their width (neighbours are 2 r sin(pi / n) = 1.53
    apart for the defaults, 77 std), so a generator either puts mass on a mode or visibly
    misses it.
    """

    def __init__(self, n_modes: int = 8, radius: float = 2.0, std: float = 0.02) -> None:
        if isinstance(n_modes, bool) or not isinstance(n_modes, (int, np.integer)) or n_modes < 2:
            raise ValueError(f"Ring: n_modes must be an integer >= 2, got {n_modes!r}")
        for name, value in (("radius", radius), ("std", std)):
            if not (isinstance(value, (int, float, np.integer, np.floating)) and np.isfinite(value)
                    and value > 0):
                raise ValueError(f"Ring: {name} must be a positive number, got {value!r}")
        self.n_modes, self.radius, self.std = int(n_modes), float(radius), float(std)

    @property
    def centres(self) -> np.ndarray:
        """(n_modes, 2): the mode centres, counter-clockwise from (radius, 0)."""
        angles = 2 * np.pi * np.arange(self.n_modes) / self.n_modes
        return self.radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, 2) float64 samples: a uniformly chosen centre plus N(0, std^2 I) noise."""
        modes = rng.integers(0, self.n_modes, size=n)
        return self.centres[modes] + self.std * rng.standard_normal((n, 2))

    def __repr__(self) -> str:
        return f"Ring(n_modes={self.n_modes}, radius={self.radius:g}, std={self.std:g})"
