"""`minigan train` and `minigan sample` on MNIST: checkpoints resume exactly, training moves
the discriminator, and bad input is one clear line."""

import json
import os

import numpy as np
import pytest

from minigan.cli import main
from minigan.experiments.mnist import MnistRun, TrainConfig

QUICK = dict(train_images=256, batch_size=32, grid=16)


def parameters(run):
    models = (run.trainer.G, run.trainer.D, run.G_average)
    return [p.value.copy() for m in models for p in m.parameters()]


@pytest.mark.slow
@pytest.mark.parametrize("model, kernels", [("mnist-mlp", "numpy"), ("mnist-conv", "numba")])
def test_resumed_run_equals_uninterrupted_bit_for_bit(model, kernels, tmp_path):
    """On the reference layers and, for the conv GAN, on the fast kernels the command uses."""
    from minigan.kernels import backend

    with backend(kernels):
        check_resume(model, tmp_path)


def check_resume(model, tmp_path):
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
    for G in ("G", "G_average"):
        for a, b in zip(dict(straight._models())[G].state_arrays().values(),
                        dict(resumed._models())[G].state_arrays().values(), strict=True):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(straight.samples(), resumed.samples())


def test_samples_come_from_the_weight_average():
    run = MnistRun(TrainConfig(model="mnist-mlp", epochs=1, **QUICK))
    run.train_epoch()
    averaged, last = run.samples(), run.samples(averaged=False)
    assert not np.array_equal(averaged, last)
    np.testing.assert_array_equal(averaged, run.G_average.predict(run.fixed_z))
    np.testing.assert_array_equal(last, run.trainer.G.predict(run.fixed_z))
    off = MnistRun(TrainConfig(model="mnist-mlp", epochs=1, average=0, **QUICK))
    assert off.G_average is None and off.sampler is off.trainer.G


def test_model_defaults_fill_only_what_is_not_given():
    conv = TrainConfig(model="mnist-conv").validate()
    assert (conv.lr_d, conv.lr_decay, conv.d_dropout) == (1e-4, 0.5, 0.3)
    mlp = TrainConfig(model="mnist-mlp").validate()
    assert (mlp.lr_d, mlp.lr_decay, mlp.d_dropout) == (2e-4, 0.0, 0.5)
    mine = TrainConfig(model="mnist-conv", lr_d=3e-4, lr_decay=0.0, d_dropout=0.0).validate()
    assert (mine.lr_d, mine.lr_decay, mine.d_dropout) == (3e-4, 0.0, 0.0)


def test_learning_rates_decay_linearly_over_the_last_fraction():
    # 256 images / batch 32 = 8 iterations per epoch, 4 epochs = 32; the last half decays
    run = MnistRun(TrainConfig(model="mnist-mlp", epochs=4, lr_decay=0.5, lr_d=1e-4, **QUICK))
    rates = []
    for _ in range(4):
        run.train_epoch()
        rates.append((run.trainer.g_opt.lr, run.trainer.d_opt.lr))
    # the rate of the last iteration of each epoch: 1 for the first half, then (32 - i) / 16
    for (lr_g, lr_d), factor in zip(rates, [1, 1, 9 / 16, 1 / 16], strict=True):
        assert lr_g == pytest.approx(2e-4 * factor, rel=1e-12)
        assert lr_d == pytest.approx(1e-4 * factor, rel=1e-12)


def test_the_first_steps_lower_the_discriminator_loss():
    run = MnistRun(TrainConfig(model="mnist-mlp", epochs=1, **QUICK))
    for _ in range(20):
        run.trainer.step()
    d_loss = run.trainer.history["d_loss"]
    assert np.mean(d_loss[-5:]) < np.mean(d_loss[:3]) - 0.1
    assert np.mean(run.trainer.history["d_real"][-5:]) > 0.6


@pytest.mark.slow
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
    # an unconditional model cannot be asked for a digit
    assert main(["sample", str(out / "checkpoint.npz"), "--digit", "7", "--out", str(grid)]) == 2
    assert "--digit needs a conditional model (mnist-cgan)" in capsys.readouterr().err


@pytest.mark.slow
def test_conditional_train_sample_and_evaluate(tmp_path, capsys):
    out = tmp_path / "cgan"
    assert main(["train", "mnist-cgan", "--epochs", "1", "--train-images", "128", "--batch-size", "32",
                 "--no-progress", "--out", str(out)]) == 0
    run = MnistRun.load(out / "checkpoint.npz")
    assert run.conditional and run.fixed_z.shape == (100, 32)
    np.testing.assert_array_equal(run.fixed_labels[:12], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    grid = tmp_path / "sevens.png"
    assert main(["sample", str(out / "checkpoint.npz"), "--digit", "7", "--n", "8", "--out", str(grid)]) == 0
    assert "8 samples of the digit 7" in capsys.readouterr().out and grid.stat().st_size > 0
    # a classifier on the first 3,000 training images: seconds, not the full recipe's minutes
    assert main(["evaluate", str(out / "checkpoint.npz"), "--n", "200", "--json", "--train-images", "3000",
                 "--no-progress"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert 0 <= report["checkpoint"]["label_agreement"] <= 1
    assert "label_agreement" in report["last_iterate"]


@pytest.mark.parametrize("args, message", [
    (["train", "mnist-gpt"],
     "model (--model) must be one of mnist-mlp, mnist-conv, mnist-cgan, mnist-goodfellow2014, "
     "got 'mnist-gpt'"),
    (["train", "mnist-mlp", "--batch-size", "0"],
     "batch_size (--batch-size) must be a positive integer, got 0"),
    (["train", "mnist-mlp", "--epochs", "0"], "epochs (--epochs) must be a positive integer, got 0"),
    (["train", "mnist-mlp", "--loss", "hinge"], "generator loss must be one of saturating, non_saturating"),
    (["sample", "no/such/checkpoint.npz"], "no/such/checkpoint.npz: checkpoint not found"),
    (["sample", "no/such/checkpoint.npz", "--n", "0"], "--n must be an integer from 1 to 10,000, got 0"),
    (["sample", "no/such/checkpoint.npz", "--digit", "12"], "--digit must be one of 0-9, got 12"),
    (["train", "mnist-mlp", "--pack", "2"], "--pack applies to the ring only"),
    (["train", "ring", "--pack", "0"], "pack must be a positive integer, got 0"),
    (["train", "ring", "--epochs", "3"], "--epochs: not used by the ring"),
    (["train", "mnist-mlp", "--data-dir", "/nonexistent"], "/nonexistent: data directory not found"),
    (["train", "mnist-mlp", "--d-dropout", "1"], "d_dropout (--d-dropout) must be in [0, 1), got 1.0"),
    (["train", "mnist-mlp", "--average", "1.5"],
     "average (--average) must be 0 (off) or in (0, 1), got 1.5"),
    (["train", "mnist-conv", "--lr-decay", "-0.1"],
     "lr_decay (--lr-decay) must be in [0, 1] (0: constant learning rates), got -0.1"),
])
def test_bad_input_is_one_line(args, message, capsys, tmp_path):
    assert main([*args, *(["--out", str(tmp_path / "o")] if args[0] == "train" else [])]) != 0
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
