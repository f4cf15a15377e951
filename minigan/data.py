"""MNIST from IDX files: the copy shipped in data/mnist/, or a user's full MNIST.

IDX is the format MNIST is distributed in: a 4-byte magic number (two zero bytes, a type
code, the number of dimensions), one big-endian uint32 per dimension, then the values in
C order. Images are uint8 pixels 0..255; labels are uint8 digits.

minigan ships the 10,000-image MNIST test set (see data/README.md for its source, licence
and checksums) and splits it, always the same way, into

    "train"    the first 8,000 images (for training GANs and the quality classifier)
    "heldout"  the last 2,000 images (never trained on; the reference for quality measures)

With ``data_dir`` pointing at the four standard files of the full MNIST (train-images-idx3-
ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, gzipped or
not), "train" is the 60,000 training images and "heldout" the 10,000 test images.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "data" / "mnist"
SHIPPED_SHA256 = {
    "t10k-images-idx3-ubyte.gz": "167310007f03058885c7e95e6c0b19c20de5c7fd3031f4cbdadc9014a523d80b",
    "t10k-labels-idx1-ubyte.gz": "fc607395669ec21321ea83e4b82c0544b7e8e63ff5b34337c06bc0a17cc0da3c",
}
SHIPPED_TRAIN = 8000  # images [0, 8000) train, [8000, 10000) held out
SPLITS = ("train", "heldout", "all")
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DataError(ValueError):
    """A missing, corrupt or unexpected data file (the message is one line)."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzipped if its name ends in .gz) into an array of its shape."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError) as err:
        raise DataError(f"{path}: cannot read ({err})") from None
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


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder}: missing {stem} (or {stem}.gz)")


def _pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{images_path}: expected images of shape (n, 28, 28), got {images.shape}")
    if labels.shape != (images.shape[0],):
        raise DataError(f"{labels_path}: expected {images.shape[0]} labels, got shape {labels.shape}")
    if labels.max(initial=0) > 9:
        raise DataError(f"{labels_path}: labels must be digits 0-9, found {int(labels.max())}")
    return images, labels


def load_mnist(split: str = "train", data_dir: str | Path | None = None,
               verify: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Images as float32 (n, 1, 28, 28) scaled to [-1, 1] (pixel / 127.5 - 1, the range of a
    tanh generator) and labels as int64 (n,).

    Without ``data_dir`` the shipped files are used, after checking their SHA-256 checksums
    (``verify``); a missing or altered file is reported in one line.
    """
    if split not in SPLITS:
        raise DataError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    if data_dir is None:
        folder = SHIPPED_DIR
        for name, expected in SHIPPED_SHA256.items():
            path = folder / name
            if not path.is_file():
                raise DataError(f"{path}: shipped MNIST file missing (restore it from the repository)")
            if verify and sha256(path) != expected:
                raise DataError(f"{path}: checksum mismatch, the file is corrupt or was changed "
                                "(restore it from the repository)")
        images, labels = _pair(folder / "t10k-images-idx3-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz")
        pick = {"train": slice(0, SHIPPED_TRAIN), "heldout": slice(SHIPPED_TRAIN, None),
                "all": slice(None)}[split]
        images, labels = images[pick], labels[pick]
    else:
        folder = Path(data_dir)
        if not folder.is_dir():
            raise DataError(f"{folder}: data directory not found")
        parts = {"train": ["train"], "heldout": ["t10k"], "all": ["train", "t10k"]}[split]
        pairs = [_pair(_find(folder, f"{p}-images-idx3-ubyte"), _find(folder, f"{p}-labels-idx1-ubyte"))
                 for p in parts]
        images = np.concatenate([p[0] for p in pairs])
        labels = np.concatenate([p[1] for p in pairs])
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
