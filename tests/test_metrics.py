"""Quality measures for MNIST: the classifier, the Frechet distance, digit coverage, and the
calibration table whose order gives the distance its meaning."""

import numpy as np
import pytest

from minigan import metrics
from minigan.cli import main
from minigan.gradcheck import check_function
from minigan.losses import softmax_cross_entropy


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MINIGAN_CACHE", str(tmp_path_factory.mktemp("cache")))
        first = metrics.get_classifier()          # trains (about 5 s) and caches
        assert metrics.classifier_cache_path().is_file()
        second = metrics.get_classifier()         # loads the cache: the same numbers
        for a, b in zip(first.parameters(), second.parameters(), strict=True):
            np.testing.assert_array_equal(a.value, b.value)
        yield first


def test_classifier_reaches_97_percent_on_the_heldout_split(classifier):
    from minigan.data import load_mnist

    assert metrics.accuracy(classifier, *load_mnist("heldout")) >= 0.97


def test_calibration_rises_strictly_along_the_list(classifier):
    rows = metrics.calibration(classifier, n=1000)
    distances = [r["frechet_distance"] for r in rows]
    assert [r["images"] for r in rows][0].startswith("training images (the floor)")
    assert all(a < b for a, b in zip(distances, distances[1:], strict=False)), distances
    assert rows[0]["digits_covered"] == 10 and rows[-1]["digits_covered"] < 10


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

    x, y = load_mnist("heldout")
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
    assert main(["evaluate", str(tmp_path / "checkpoint.npz"), "--n", "200", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    c = report["checkpoint"]
    assert c["epoch"] == 1 and c["model"] == "mnist-mlp"
    assert c["frechet_distance"] > 0 and 1 <= c["digits_covered"] <= 10
    assert len(c["digit_shares"]) == 10 and abs(sum(c["digit_shares"]) - 1) < 1e-9
    assert report["classifier_heldout_accuracy"] >= 0.97
