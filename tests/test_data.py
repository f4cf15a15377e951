"""The MNIST loader: the shipped files, the fixed split, checksums and clear errors."""

import gzip
import shutil

import numpy as np
import pytest

from minigan import data
from minigan.data import DataError, load_mnist, read_idx


def test_shipped_split_shapes_range_and_labels():
    x, y = load_mnist("train")
    assert x.shape == (8000, 1, 28, 28) and x.dtype == np.float32 and y.shape == (8000,)
    assert x.min() == -1.0 and x.max() == 1.0
    xh, yh = load_mnist("heldout")
    assert xh.shape == (2000, 1, 28, 28)
    xa, ya = load_mnist("all")
    np.testing.assert_array_equal(xa[:8000], x)
    np.testing.assert_array_equal(ya[8000:], yh)
    # every digit is there, in both parts, in roughly MNIST's proportions
    for labels in (y, yh):
        counts = np.bincount(labels, minlength=10)
        assert counts.min() > 0.07 * labels.size and counts.max() < 0.13 * labels.size
    # the first test image of MNIST is a 7, its label and its ink agree
    assert ya[0] == 7 and (xa[0] > 0).sum() > 50


def test_checksums_of_the_shipped_files():
    for name, expected in data.SHIPPED_SHA256.items():
        assert data.sha256(data.SHIPPED_DIR / name) == expected


def test_corrupted_copy_is_reported_in_one_line(tmp_path, monkeypatch):
    for name in data.SHIPPED_SHA256:
        shutil.copy(data.SHIPPED_DIR / name, tmp_path / name)
    raw = bytearray((tmp_path / "t10k-labels-idx1-ubyte.gz").read_bytes())
    raw[-12] ^= 0xFF
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(bytes(raw))
    monkeypatch.setattr(data, "SHIPPED_DIR", tmp_path)
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz: checksum mismatch") as err:
        load_mnist()
    assert "\n" not in str(err.value)
    (tmp_path / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz: shipped MNIST file missing"):
        load_mnist()


def write_idx(path, array, gz=False):
    codes = {np.dtype(np.uint8): 0x08}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    payload = header + array.tobytes()
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(payload)
    else:
        path.write_bytes(payload)


def test_a_users_full_mnist_folder(tmp_path, rng):
    images = {p: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) for p, n in (("train", 12), ("t10k", 5))}
    labels = {p: rng.integers(0, 10, len(images[p]), dtype=np.uint8) for p in images}
    for p in images:  # one gzipped pair, one raw pair
        write_idx(tmp_path / f"{p}-images-idx3-ubyte{'.gz' if p == 'train' else ''}", images[p], p == "train")
        write_idx(tmp_path / f"{p}-labels-idx1-ubyte{'.gz' if p == 'train' else ''}", labels[p], p == "train")
    x, y = load_mnist("train", data_dir=tmp_path)
    np.testing.assert_array_equal(y, labels["train"])
    np.testing.assert_allclose(x[:, 0], images["train"] / 127.5 - 1, rtol=0, atol=1e-6)
    assert load_mnist("heldout", data_dir=tmp_path)[0].shape == (5, 1, 28, 28)
    assert load_mnist("all", data_dir=tmp_path)[0].shape == (17, 1, 28, 28)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match="missing t10k-labels-idx1-ubyte"):
        load_mnist("heldout", data_dir=tmp_path)


@pytest.mark.parametrize("payload, message", [
    (b"\x00\x00\x08\x01\x00\x00\x00\x05abc", "expected 5 bytes of data for shape \\(5,\\), found 3"),
    (b"PK\x03\x04", "not an IDX file"),
    (b"\x00\x00\x08\x03\x00\x00", "truncated IDX header"),
])
def test_bad_idx_files(tmp_path, payload, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(payload)
    with pytest.raises(DataError, match=message):
        read_idx(path)


def test_bad_arguments(tmp_path):
    with pytest.raises(DataError, match="split must be one of train, heldout, all, got 'test'"):
        load_mnist("test")
    with pytest.raises(DataError, match="data directory not found"):
        load_mnist(data_dir=tmp_path / "nowhere")
