"""Quality measures for MNIST: the classifier, the Frechet distance, digit coverage, and the
calibration table whose order gives the distance its meaning."""

import shutil

import numpy as np
import pytest

from minigan import metrics
from minigan.cli import main
from minigan.gradcheck import check_function
from minigan.losses import softmax_cross_entropy

SUBSET = 3000  # the tests' classifier trains on the first 3,000 training images (seconds)


@pytest.fixture(scope="module")
def classifier():
    # in the session's MINIGAN_CACHE (tests/conftest.py), which the notebooks' short runs and
    # the train/evaluate tests share, so this classifier is trained once per session; training
    # into an empty cache and rebuilding a damaged one are tested below on a tiny classifier
    first = metrics.get_classifier(train_images=SUBSET, progress=False)   # trains and caches, or loads
    path = metrics.classifier_cache_path(train_images=SUBSET)
    assert path.is_file() and path.with_name(path.name + ".sha256").is_file()
    second = metrics.get_classifier(train_images=SUBSET)                   # the verified cache
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        np.testing.assert_array_equal(a.value, b.value)
    return first


def test_classifier_on_a_subset_reaches_93_percent_on_the_test_split(classifier):
    from minigan.data import load_mnist

    assert metrics.accuracy(classifier, *load_mnist("test")) >= 0.93


def test_calibration_rows_and_the_ordering_logic(classifier):
    rows = metrics.calibration(classifier, n=1000)
    names = [r["images"] for r in rows]
    assert names[0].startswith("training images (the floor)") and names[-1] == "untrained MLP generator"
    d = [r["frechet_distance"] for r in rows]
    # what holds even for this 3,000-image classifier: more noise, a larger distance, and the
    # untrained generator far above everything. The floor against noise 0.1 and 0.2 does not
    # (measured: 3.60 against 3.11 and 3.49): pixel noise moves training images' features
    # toward the test images' (other writers), and only the README's full run can tell
    # whether the 60,000-image classifier orders them.
    assert d[1] < d[2] < d[3] < d[4] and d[0] < d[3] and d[4] > 10 * d[3], d
    assert rows[0]["digits_covered"] == 10 and rows[-1]["digits_covered"] < 10
    # the ordering logic itself
    assert metrics.calibration_ordered([{"frechet_distance": v} for v in (1.0, 2.0, 5.0)])
    assert not metrics.calibration_ordered([{"frechet_distance": v} for v in (2.0, 1.0, 5.0)])
    assert not metrics.calibration_ordered([{"frechet_distance": v} for v in (1.0, 2.0, 2.0)])
    assert metrics.calibration_ordered(rows) == all(a < b for a, b in zip(d, d[1:], strict=False))


# ----------------------------------------------------------------- the classifier's cache
TINY = 640  # ten batches: the cache tests train a rough classifier in a moment


@pytest.fixture(scope="module")
def tiny_trained(tmp_path_factory):
    """The tiny classifier trained into an empty cache, once per module: (its cache file, model)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MINIGAN_CACHE", str(tmp_path_factory.mktemp("tiny-cache")))
        mp.setattr(metrics, "CLASSIFIER_FLOOR", 0.5)  # the tiny classifier gets ~80%
        model = metrics.get_classifier(train_images=TINY, progress=False)
        path = metrics.classifier_cache_path(train_images=TINY)
    assert path.is_file() and path.with_name(path.name + ".sha256").is_file()
    return path, model


@pytest.fixture
def tiny_cache(tiny_trained, tmp_path, monkeypatch):
    """A private copy of that cache for each test to damage: (its path, the trained model)."""
    source, model = tiny_trained
    monkeypatch.setenv("MINIGAN_CACHE", str(tmp_path))
    monkeypatch.setattr(metrics, "CLASSIFIER_FLOOR", 0.5)
    path = tmp_path / source.name  # the cache's file name does not depend on its folder
    for suffix in ("", ".sha256"):
        shutil.copyfile(source.with_name(source.name + suffix), path.with_name(path.name + suffix))
    return path, model


def same_weights(a, b):
    return all(np.array_equal(p.value, q.value) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_a_truncated_cache_is_rebuilt(tiny_cache, capsys):
    path, model = tiny_cache
    path.write_bytes(path.read_bytes()[:1000])
    rebuilt = metrics.get_classifier(train_images=TINY, progress=False)
    assert same_weights(rebuilt, model)  # training is deterministic
    assert "rebuilding the quality classifier cache" in capsys.readouterr().err
    assert same_weights(metrics._load_cached_classifier(path, 0, None)[0], model)  # repaired


def test_untrained_weights_with_a_valid_checksum_fail_the_floor_and_are_rebuilt(tiny_cache, capsys):
    from minigan.data import sha256
    from minigan.models import mnist_classifier

    path, model = tiny_cache
    mnist_classifier(seed=7).save(path)  # right shapes, untrained; the checksum made to match
    path.with_name(path.name + ".sha256").write_text(sha256(path) + "\n")
    assert metrics._load_cached_classifier(path, 0, None)[0] is None
    rebuilt = metrics.get_classifier(train_images=TINY, progress=False)
    assert same_weights(rebuilt, model)
    assert "test images (floor 50%)" in capsys.readouterr().err


def test_a_replaced_file_fails_its_checksum(tiny_cache):
    from minigan.models import mnist_classifier

    path, _ = tiny_cache
    mnist_classifier(seed=7).save(path)
    model, why = metrics._load_cached_classifier(path, 0, None)
    assert model is None and "checksum does not match" in why


def test_the_cache_key_follows_the_data_content_and_the_recipe(tmp_path, monkeypatch, rng):
    import gzip

    key = metrics.classifier_key(train_images=TINY)
    assert key == metrics.classifier_key(train_images=TINY)
    assert key != metrics.classifier_key(train_images=TINY + 1)
    assert key != metrics.classifier_key(seed=1, train_images=TINY)
    # a user's folder in MNIST's format: 12 images and labels
    pixels = rng.integers(0, 256, 12 * 784).astype(np.uint8).tobytes()
    images = bytes([0, 0, 8, 3, 0, 0, 0, 12, 0, 0, 0, 28, 0, 0, 0, 28]) + pixels
    digits = rng.integers(0, 10, 12).astype(np.uint8).tobytes()
    labels = bytearray([0, 0, 8, 1, 0, 0, 0, 12]) + bytearray(digits)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(images))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(bytes(labels))
    folder_key = metrics.classifier_key(data_dir=tmp_path)
    labels[-1] = (labels[-1] + 1) % 10  # one label changed: another classifier
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(bytes(labels))
    assert metrics.classifier_key(data_dir=tmp_path) != folder_key
    monkeypatch.setitem(metrics.CLASSIFIER_RECIPE, "batch", 32)
    assert metrics.classifier_key(train_images=TINY) != key


def test_training_shows_progress_on_stderr(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIGAN_CACHE", str(tmp_path))
    metrics.train_classifier(train_images=128, progress=True, test_images=100)
    captured = capsys.readouterr()
    assert "training the quality classifier" in captured.err and captured.out == ""


def test_a_classifier_below_the_floor_is_used_but_not_cached(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIGAN_CACHE", str(tmp_path))
    monkeypatch.setattr(metrics, "CLASSIFIER_FLOOR", 0.99)  # one batch of 64 images: far below
    model, score = metrics.train_classifier(train_images=64, test_images=metrics.CHECK_IMAGES)
    used = metrics.get_classifier(train_images=64, progress=False)
    assert same_weights(used, model)  # the same deterministic training
    assert list(tmp_path.iterdir()) == []  # nothing cached
    err = capsys.readouterr().err
    assert f"reached only {score:.1%} on {metrics.CHECK_IMAGES} test images (floor 99%)" in err
    assert "not cached" in err and len(err.strip().splitlines()) == 1


def test_frechet_distance_on_synthetic_features(rng):
    a = rng.standard_normal((4000, 5))
    assert abs(metrics.frechet_distance(a, a)) < 1e-9
    # N(0, I) against N(m, 4 I): |m|^2 + tr(I + 4I - 2 * 2I) = |m|^2 + 5
    m = np.array([1.0, -2.0, 0.0, 0.5, 3.0])
    b = m + 2 * rng.standard_normal((200_000, 5))
    c = rng.standard_normal((200_000, 5))
    assert metrics.frechet_distance(c, b) == pytest.approx(np.sum(m ** 2) + 5, rel=0.02)
    assert metrics.frechet_distance(c, b) == pytest.approx(metrics.frechet_distance(b, c), rel=1e-6)


def test_digit_report_detects_a_collapsed_generator(classifier):
    from minigan.data import load_mnist

    x, y = load_mnist("test")
    one = np.repeat(x[:1], 500, axis=0)                 # a single image, repeated
    report = metrics.digit_report(metrics.classify(classifier, one)[1])
    assert report["digits_covered"] == 1 and max(report["digit_shares"]) == 1.0
    diverse = metrics.digit_report(metrics.classify(classifier, x)[1])
    assert diverse["digits_covered"] == 10 and diverse["mean_confidence"] > 0.9
    logits = np.zeros((10, 10))
    assert metrics.digit_report(logits)["mean_confidence"] == pytest.approx(0.1)


def test_softmax_cross_entropy(rng):
    logits = 3 * rng.standard_normal((6, 10))
    labels = rng.integers(0, 10, 6)
    value, _ = softmax_cross_entropy(logits, labels)
    direct = np.mean(np.log(np.exp(logits).sum(axis=1)) - logits[np.arange(6), labels])
    assert value == pytest.approx(direct, rel=1e-13)
    assert check_function(lambda s: softmax_cross_entropy(s, labels), logits, "ce").rel_error < 1e-9
    with np.errstate(all="raise"):
        assert np.isfinite(softmax_cross_entropy(np.array([[1000.0, -1000.0]]), np.array([1]))[0])
    with pytest.raises(ValueError, match="labels must be in"):
        softmax_cross_entropy(logits, np.full(6, 10))


@pytest.mark.parametrize("args, message", [
    (["evaluate", "no/such.npz"], "no/such.npz: checkpoint not found"),
    (["evaluate"], "give a CHECKPOINT to evaluate, or --calibrate"),
    (["evaluate", "--calibrate", "--n", "1"], "--n must be an integer >= 2, got 1"),
])
def test_evaluate_bad_input_is_one_line(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(message) and "\n" not in err


def test_evaluate_a_checkpoint_as_json(classifier, tmp_path, capsys):
    import json

    from minigan.experiments.mnist import MnistRun, TrainConfig

    run = MnistRun(TrainConfig(model="mnist-mlp", epochs=1, train_images=256, batch_size=32, grid=4))
    run.train_epoch()
    run.save(tmp_path / "checkpoint.npz")
    assert main(["evaluate", str(tmp_path / "checkpoint.npz"), "--n", "200", "--json", "--parzen",
                 "--train-images", str(SUBSET)]) == 0
    report = json.loads(capsys.readouterr().out)
    c = report["checkpoint"]
    assert c["epoch"] == 1 and c["model"] == "mnist-mlp"
    assert c["frechet_distance"] > 0 and 1 <= c["digits_covered"] <= 10
    assert len(c["digit_shares"]) == 10 and abs(sum(c["digit_shares"]) - 1) < 1e-9
    assert report["classifier_test_accuracy"] >= 0.93
    p = report["parzen"]
    assert p["n_samples"] == 200 and p["n_validation"] == 10000 and p["n_test"] == 10000
    assert p["sigma"] in [pytest.approx(s) for s in metrics.PARZEN_SIGMAS]
    assert np.isfinite(p["log_likelihood"]) and 0 < p["standard_error"] < 50
    # the last iterate's estimate beside the averaged generator's (the paper kept no average)
    last = report["last_iterate"]["parzen"]
    assert last["n_samples"] == 200 and last["log_likelihood"] != p["log_likelihood"]
