"""pix2pix and CycleGAN on MNIST: the tasks' inputs, checkpoints that resume bit for bit,
training that moves the networks, the commands and their one-line errors. Tiny runs only."""

import json

import numpy as np
import pytest

from minigan.cli import main
from minigan.experiments.cyclegan import CycleGANConfig, CycleGANRun, dilate
from minigan.experiments.image_to_image import high_frequency_energy, psnr
from minigan.experiments.pix2pix import Pix2PixConfig, Pix2PixRun, make_input
from minigan.image_models import unet_generator
from minigan.models import mnist_classifier

TINY_P2P = dict(train_images=48, batch_size=16, width=4, grid=4)
TINY_CYC = dict(train_images=32, batch_size=8, width=2, blocks=1, grid=4)


def test_task_inputs(rng):
    y = np.tanh(rng.standard_normal((3, 1, 28, 28))).astype(np.float32)
    x = make_input("inpaint", y)
    np.testing.assert_array_equal(x[:, :, :14], y[:, :, :14])
    assert (x[:, :, 14:] == -1).all()
    s = make_input("superres", y)
    assert s.shape == y.shape
    block = s[:, :, 4:8, 8:12]
    assert (block == block[:, :, :1, :1]).all()  # one value per 4x4 block
    np.testing.assert_allclose(block[:, 0, 0, 0], y[:, 0, 4:8, 8:12].mean(axis=(1, 2)), rtol=1e-6)
    with pytest.raises(ValueError, match="task .--task. must be one of inpaint, superres, got 'colour'"):
        make_input("colour", y)


def test_dilation_thickens_strokes():
    img = -np.ones((1, 1, 6, 6), dtype=np.float32)
    img[0, 0, 2, 3] = 1.0
    out = dilate(img)
    assert (out[0, 0, 1:4, 2:5] == 1).all() and (out == 1).sum() == 9
    real = np.tanh(np.random.default_rng(0).standard_normal((2, 1, 8, 8)))
    assert (dilate(real) >= real).all()


def test_measures():
    truth = -np.ones((2, 1, 8, 8))
    truth[:, :, 3:5, 2:6] = 1
    noisy = truth + 0.1
    assert psnr(noisy, truth) == pytest.approx(10 * np.log10(4 / 0.01))
    blurred = (truth + np.roll(truth, 1, axis=3) + np.roll(truth, -1, axis=3)) / 3
    assert high_frequency_energy(blurred) < high_frequency_energy(truth)


def parameters(run):
    return [p.value.copy() for m in run.models.values() for p in m.parameters()]


@pytest.mark.parametrize("Run, Config, options", [
    (Pix2PixRun, Pix2PixConfig, dict(task="superres", **TINY_P2P)),
    (CycleGANRun, CycleGANConfig, TINY_CYC)], ids=["pix2pix", "cyclegan"])
def test_resume_is_bit_for_bit(Run, Config, options, tmp_path):
    straight = Run(Config(epochs=2, **options))
    start = parameters(straight)
    straight.train_epoch()
    straight.train_epoch()
    assert all(not np.array_equal(a, b) for a, b in zip(start, parameters(straight), strict=True))

    first = Run(Config(epochs=2, **options))
    first.train_epoch()
    first.save(tmp_path / "checkpoint.npz")
    resumed = Run.load(tmp_path / "checkpoint.npz")
    assert resumed.epoch == 1 and resumed.iteration == first.iterations_per_epoch
    resumed.train_epoch()
    for a, b in zip(parameters(straight), parameters(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    assert straight.history.keys() == resumed.history.keys()
    for key, values in straight.history.items():
        np.testing.assert_array_equal(values, resumed.history[key])


def test_l1_alone_has_no_discriminator_and_learns():
    run = Pix2PixRun(Pix2PixConfig(gan=False, epochs=1, lr_g=2e-3, **TINY_P2P))
    assert set(run.models) == {"G"} and set(run.history) == set()
    run.train_epoch()
    run.train_epoch()
    losses = run.history["g_l1"]
    assert set(run.history) == {"g_l1"} and losses[-1] < losses[0]


def test_wrong_checkpoints_and_bad_config(tmp_path):
    run = CycleGANRun(CycleGANConfig(epochs=1, **TINY_CYC))
    run.save(tmp_path / "cyc.npz")
    with pytest.raises(ValueError, match="not a pix2pix checkpoint .it holds minigan-cyclegan-checkpoint-1"):
        Pix2PixRun.load(tmp_path / "cyc.npz")
    with pytest.raises(ValueError, match="checkpoint not found"):
        Pix2PixRun.load(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a minigan cyclegan checkpoint"):
        CycleGANRun.load(tmp_path / "junk.npz")
    with pytest.raises(ValueError, match="image_size 28 cannot be halved 3 times by the U-Net"):
        unet_generator(depth=3)
    with pytest.raises(ValueError, match=r"epochs \(--epochs\) must be a positive integer, got 0"):
        Pix2PixConfig(epochs=0).validate()
    with pytest.raises(ValueError, match="batch_size .16. is larger than the 8 images of each domain"):
        CycleGANRun(CycleGANConfig(train_images=16, batch_size=16))


def test_command_short_run_and_resume(tmp_path, monkeypatch, capsys):
    # an untrained classifier stands in for the quality classifier (which trains for seconds)
    monkeypatch.setattr("minigan.metrics.get_classifier", lambda data_dir=None: mnist_classifier(seed=0))
    out = tmp_path / "run"
    argv = ["train", "pix2pix", "--task", "inpaint", "--train-images", "32", "--batch-size", "16",
            "--epochs", "1", "--no-progress", "--out", str(out), "--json", "--test-images", "200"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["epoch"] == 1 and report["task"] == "inpaint" and report["objective"] == "L1 + GAN"
    assert report["test_images"] == 200
    assert {"l1", "psnr_db", "classifier_accuracy", "high_frequency_ratio"} <= set(report["output"])
    assert (out / "checkpoint.npz").is_file() and (out / "samples" / "epoch_001.png").is_file()
    assert json.loads((out / "results.json").read_text())["epoch"] == 1
    # continuing a run of the other model is refused in one line
    assert main(["train", "cyclegan", "--resume", str(out), "--no-progress"]) == 2
    assert "not a cyclegan checkpoint" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["train", "pix2pix", "--task", "colour"], "(--task) must be one of inpaint, superres, got 'colour'"),
    (["train", "pix2pix", "--depth", "3"], "image_size 28 cannot be halved 3 times"),
    (["train", "cyclegan", "--no-gan"], "--no-gan: not used by minigan train cyclegan"),
    (["train", "pix2pix", "--no-cycle"], "--no-cycle: not used by minigan train pix2pix"),
    (["train", "mnist-mlp", "--task", "inpaint"], "--task: only for minigan train pix2pix or cyclegan"),
    (["train", "ring", "--test-images", "5", "--task", "inpaint"],
     "--task, --test-images: only for minigan train pix2pix or cyclegan"),
    (["train", "cyclegan", "--test-images", "-1"], "--test-images must be a non-negative integer, got -1"),
    (["train", "pix2pix", "--resume", "/nonexistent/checkpoint.npz"], "checkpoint not found"),
])
def test_command_errors(argv, message, capsys):
    assert main([*argv, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_sample_grids_say_what_they_show():
    from minigan.experiments.cyclegan import CycleGANConfig
    from minigan.experiments.pix2pix import Pix2PixConfig

    assert Pix2PixConfig(task="superres", gan=False).title == "pix2pix superres, L1 alone"
    assert Pix2PixConfig(task="inpaint").title == "pix2pix inpaint, L1 + GAN"
    assert CycleGANConfig().title == "CycleGAN, LSGAN + cycle + identity"
    assert CycleGANConfig(cycle=False, identity_weight=0.0).title == "CycleGAN, LSGAN"
