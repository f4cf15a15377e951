"""The MNIST loader: the shipped full MNIST, the standard split, checksums, a user's folder
checked for structure, and clear one-line errors."""

import gzip
import shutil

import numpy as np
import pytest

from minigan import data
from minigan.data import DataError, load_mnist, load_mnist_uint8, read_idx


def test_standard_split_shapes_range_and_labels():
    # the uint8 arrays for the 60,000 (cheap), the float conversion on the test split
    x, y = load_mnist_uint8("train")
    assert x.shape == (60000, 28, 28) and x.dtype == np.uint8 and y.shape == (60000,)
    xt, yt = load_mnist("test")
    assert xt.shape == (10000, 1, 28, 28) and xt.dtype == np.float32 and yt.dtype == np.int64
    assert xt.min() == -1.0 and xt.max() == 1.0
    np.testing.assert_array_equal(xt[:, 0], load_mnist_uint8("test")[0] / np.float32(127.5) - 1)
    xv, yv = load_mnist_uint8("validation")
    np.testing.assert_array_equal(xv, x[50000:])
    np.testing.assert_array_equal(load_mnist_uint8("train50k")[1], y[:50000])
    np.testing.assert_array_equal(load_mnist_uint8("heldout")[1], yt)  # the older name of "test"
    # the sanity figures of the distribution (SOURCE.md): label counts, pixel mean and std
    counts = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    np.testing.assert_array_equal(np.bincount(y), counts)
    assert x.mean() / 255 == pytest.approx(0.1307, abs=5e-5)
    assert x[:10000].std() / 255 == pytest.approx(0.3081, abs=3e-3)
    # the first test image of MNIST is a 7, the first training image a 5
    assert yt[0] == 7 and y[0] == 5 and (xt[0] > 0).sum() > 50
    # limit: the first images only, the same numbers
    xs, ys = load_mnist("test", limit=300)
    assert xs.shape == (300, 1, 28, 28)
    np.testing.assert_array_equal(xs, xt[:300])
    np.testing.assert_array_equal(ys, yt[:300])
    assert len(load_mnist("validation", limit=20_000)[0]) == 10_000  # all there are


def test_checksums_of_the_shipped_files():
    for name, expected in data.SHIPPED_SHA256.items():
        assert data.sha256(data.SHIPPED_DIR / name) == expected
    for name in ("t10k-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        import hashlib

        content = gzip.open(data.SHIPPED_DIR / name).read()
        assert hashlib.sha256(content).hexdigest() == data.SHIPPED_IDX_SHA256[name]


def copy_shipped(tmp_path, monkeypatch):
    for name in data.SHIPPED_SHA256:
        shutil.copy(data.SHIPPED_DIR / name, tmp_path / name)
    monkeypatch.setattr(data, "SHIPPED_DIR", tmp_path)


def test_corrupted_or_missing_file_is_reported_in_one_line(tmp_path, monkeypatch):
    copy_shipped(tmp_path, monkeypatch)
    raw = bytearray((tmp_path / "t10k-labels-idx1-ubyte.gz").read_bytes())
    raw[-12] ^= 0xFF
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(bytes(raw))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz: checksum mismatch") as err:
        load_mnist("test")
    assert "\n" not in str(err.value)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz: shipped MNIST file missing"):
        load_mnist("validation")


def test_a_recompressed_but_intact_copy_is_accepted_an_altered_one_is_not(tmp_path, monkeypatch):
    copy_shipped(tmp_path, monkeypatch)
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    content = gzip.open(path).read()
    path.write_bytes(gzip.compress(content, compresslevel=1))  # other .gz bytes, same IDX content
    assert data.sha256(path) != data.SHIPPED_SHA256[path.name]
    assert load_mnist("test")[1][0] == 7
    altered = bytearray(content)
    altered[8] = (altered[8] + 1) % 10  # another valid digit: only the checksum can tell
    path.write_bytes(gzip.compress(bytes(altered)))
    with pytest.raises(DataError, match="checksum mismatch"):
        load_mnist("test")


def write_idx(path, array, gz=False, code=0x08):
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    payload = header + array.tobytes()
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(payload)
    else:
        path.write_bytes(payload)


def write_folder(folder, rng, n_train=12, n_test=5):
    """A small synthetic dataset in MNIST's format (a stand-in for Fashion-MNIST or KMNIST)."""
    sizes = (("train", n_train), ("t10k", n_test))
    images = {p: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) for p, n in sizes}
    labels = {p: rng.integers(0, 10, len(images[p]), dtype=np.uint8) for p in images}
    for p in images:  # one gzipped pair, one raw pair
        gz = ".gz" if p == "train" else ""
        write_idx(folder / f"{p}-images-idx3-ubyte{gz}", images[p], p == "train")
        write_idx(folder / f"{p}-labels-idx1-ubyte{gz}", labels[p], p == "train")
    return images, labels


def test_a_users_folder_is_checked_for_structure_not_checksums(tmp_path, rng):
    images, labels = write_folder(tmp_path, rng)
    x, y = load_mnist("train", data_dir=tmp_path)
    np.testing.assert_array_equal(y, labels["train"])
    np.testing.assert_allclose(x[:, 0], images["train"] / 127.5 - 1, rtol=0, atol=1e-6)
    assert load_mnist("test", data_dir=tmp_path)[0].shape == (5, 1, 28, 28)
    # validation: the last sixth of the training images (10,000 of MNIST's 60,000)
    np.testing.assert_array_equal(load_mnist("validation", data_dir=tmp_path)[1], labels["train"][10:])
    assert load_mnist("train50k", data_dir=tmp_path)[0].shape == (10, 1, 28, 28)
    assert load_mnist("all", data_dir=tmp_path)[0].shape == (17, 1, 28, 28)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match="missing t10k-labels-idx1-ubyte"):
        load_mnist("test", data_dir=tmp_path)


@pytest.mark.parametrize("part, array, code, message", [
    ("labels", np.array([3, -2, 1, 0, 5], np.int8), 0x09, "labels must be digits 0-9, found -2"),
    ("labels", np.array([3, 12, 1, 0, 5], np.uint8), 0x08, "labels must be digits 0-9, found 12"),
    ("images", np.full((5, 28, 28), 300, ">i2"), 0x0B, "pixels must be integers 0-255, found values from 30"),
    ("images", np.zeros((5, 28, 28), ">f4"), 0x0D, "pixels must be integers 0-255, found type"),
    ("images", np.zeros((5, 27, 28), np.uint8), 0x08, r"expected images of shape \(n, 28, 28\)"),
    ("labels", np.zeros(4, np.uint8), 0x08, "expected 5 labels"),
])
def test_out_of_range_or_misshapen_idx_contents_are_refused(tmp_path, rng, part, array, code, message):
    write_folder(tmp_path, rng)
    write_idx(tmp_path / f"t10k-{part}-idx{3 if part == 'images' else 1}-ubyte", array, code=code)
    with pytest.raises(DataError, match=message) as err:
        load_mnist("test", data_dir=tmp_path)
    assert "\n" not in str(err.value)


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
    with pytest.raises(DataError, match="split must be one of train, test, validation, .*, got 'dev'"):
        load_mnist("dev")
    with pytest.raises(DataError, match="data directory not found"):
        load_mnist(data_dir=tmp_path / "nowhere")
    for limit in (-1, 2.5, True):
        with pytest.raises(ValueError, match=rf"limit must be a non-negative integer \(0: every image\), "
                                             rf"got {limit!r}"):
            load_mnist("test", limit=limit)
