"""`minigan train` and `minigan sample` on MNIST: checkpoints resume exactly, training moves
the discriminator, and bad input is one clear line."""

import os

import numpy as np
import pytest

from minigan.cli import main
from minigan.experiments.mnist import MnistRun, TrainConfig

QUICK = dict(train_images=256, batch_size=32, grid=16)


def parameters(run):
    return [p.value.copy() for m in (run.trainer.G, run.trainer.D) for p in m.parameters()]


@pytest.mark.parametrize("model", ["mnist-mlp", "mnist-conv"])
def test_resumed_run_equals_uninterrupted_bit_for_bit(model, tmp_path):
    config = dict(model=model, epochs=2, **QUICK)
    straight = MnistRun(TrainConfig(**config))
    straight.train_epoch()
    straight.train_epoch()

    first = MnistRun(TrainConfig(**config))
    first.train_epoch()
    first.save(tmp_path / "checkpoint.npz")
    resumed = MnistRun.load(tmp_path / "checkpoint.npz")
    assert resumed.epoch == 1 and resumed.trainer.iteration == first.iterations_per_epoch
    resumed.train_epoch()

    for a, b in zip(parameters(straight), parameters(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    for key, values in straight.trainer.history.items():
        np.testing.assert_array_equal(values, resumed.trainer.history[key])
    for a, b in zip(straight.trainer.G.state_arrays().values(), resumed.trainer.G.state_arrays().values(),
                    strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_first_steps_lower_the_discriminator_loss():
    run = MnistRun(TrainConfig(model="mnist-mlp", epochs=1, **QUICK))
    for _ in range(20):
        run.trainer.step()
    d_loss = run.trainer.history["d_loss"]
    assert np.mean(d_loss[-5:]) < np.mean(d_loss[:3]) - 0.1
    assert np.mean(run.trainer.history["d_real"][-5:]) > 0.6


def test_train_and_sample_commands(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "mnist-mlp", "--epochs", "2", "--train-images", "128", "--batch-size", "32",
            "--no-progress", "--out", str(out)]
    assert main(args) == 0
    for name in ("checkpoint.npz", "losses.png", "samples.gif", "samples/epoch_001.png",
                 "samples/epoch_002.png"):
        assert (out / name).stat().st_size > 0, name
    assert not [f for f in os.listdir(out) if f.startswith(".tmp")]
    # resume to a later epoch from the folder
    assert main(["train", "mnist-mlp", "--epochs", "3", "--no-progress", "--resume", str(out)]) == 0
    assert (out / "samples/epoch_003.png").exists()
    assert MnistRun.load(out / "checkpoint.npz").epoch == 3
    grid = tmp_path / "grid.png"
    assert main(["sample", str(out / "checkpoint.npz"), "--n", "9", "--out", str(grid)]) == 0
    assert grid.stat().st_size > 0
    assert "9 samples" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["train", "mnist-gpt"], "model (--model) must be one of mnist-mlp, mnist-conv, got 'mnist-gpt'"),
    (["train", "mnist-mlp", "--batch-size", "0"],
     "batch_size (--batch-size) must be a positive integer, got 0"),
    (["train", "mnist-mlp", "--epochs", "0"], "epochs (--epochs) must be a positive integer, got 0"),
    (["train", "mnist-mlp", "--loss", "hinge"], "generator loss must be one of saturating, non_saturating"),
    (["sample", "no/such/checkpoint.npz"], "no/such/checkpoint.npz: checkpoint not found"),
    (["sample", "no/such/checkpoint.npz", "--n", "0"], "--n must be a positive integer, got 0"),
    (["train", "mnist-mlp", "--data-dir", "/nonexistent"], "/nonexistent: data directory not found"),
])
def test_bad_input_is_one_line(args, message, capsys, tmp_path):
    assert main([*args, *(["--out", str(tmp_path / "o")] if args[0] == "train" else [])]) != 0
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
