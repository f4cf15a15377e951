"""Issue 13, "nothing lost, nothing silently wrong": each test here failed before its fix.

Damaged files, flags that were silently ignored, output folders that were overwritten or
left empty, and promises (a checkpoint "kept") that were not true. Runs are tiny (64-128
training images, one epoch) so the whole file stays fast.
"""

import numpy as np
import pytest

from minigan.functions import sigmoid, softplus
from minigan.losses import bce_with_logits, generator_loss
from minigan.theory import GaussianMixture


# ------------------------------------------------------------------------------ numerics
def test_integer_logits_are_computed_in_float():
    logits = np.array([[-7], [0]])
    value, grad = generator_loss(logits, "saturating")
    exact_value, exact_grad = generator_loss(logits.astype(np.float64), "saturating")
    assert value == exact_value == pytest.approx(-np.mean(np.log1p(np.exp([-7.0, 0.0]))), rel=1e-15)
    assert grad.dtype == np.float64
    np.testing.assert_array_equal(grad, exact_grad)
    assert grad[1, 0] == -0.25  # -sigmoid(0) / 2, not 0
    # unsigned logits: -s must not wrap around
    value, _ = generator_loss(np.array([3], dtype=np.uint8), "non_saturating")
    assert value == pytest.approx(np.log1p(np.exp(-3.0)), rel=1e-15)
    assert bce_with_logits(np.array([0, 0]), 1.0)[0] == pytest.approx(np.log(2), rel=1e-15)
    assert sigmoid(np.array([0])).tolist() == [0.5] and softplus(0) == pytest.approx(np.log(2))
    assert sigmoid(np.float32(1)).dtype == np.float32  # floats keep their dtype


def test_complex_logits_are_refused():
    with pytest.raises(TypeError, match="logits must be real numbers, got dtype complex128"):
        generator_loss(np.array([1 + 1j]))
    with pytest.raises(TypeError, match="expected real numbers"):
        sigmoid(np.array([1j]))


def test_mixture_std_does_not_cancel():
    mixture = GaussianMixture([0.5, 0.5], [1e4, 1e4], [1e-4, 1e-4])
    assert mixture.std == pytest.approx(1e-4, rel=1e-12)
    two = GaussianMixture([0.25, 0.75], [1e4 - 1, 1e4 + 1], [0.5, 2.0])
    # total variance: 0.25 * 0.25 + 0.75 * 4 + (the means' spread) 0.25 * 1.5^2 + 0.75 * 0.5^2
    assert two.std == pytest.approx(np.sqrt(0.0625 + 3 + 0.5625 + 0.1875), rel=1e-12)


# ------------------------------------------------------------------------------ damaged files
TINY = dict(model="mnist-mlp", epochs=1, train_images=64, batch_size=32, grid=4)


@pytest.fixture(scope="module")
def checkpoint_arrays(tmp_path_factory):
    """The arrays of a freshly saved (epoch 0) tiny MLP checkpoint, and its path."""
    from minigan.experiments.mnist import MnistRun, TrainConfig

    path = tmp_path_factory.mktemp("ckpt") / "checkpoint.npz"
    MnistRun(TrainConfig(**TINY)).save(path)
    with np.load(path) as f:
        return {k: f[k] for k in f.files}, path


def write_npz(path, arrays):
    np.savez(path, **arrays)
    return path


def with_meta(arrays, change):
    import json

    meta = json.loads(str(arrays["meta"]))
    change(meta)
    return {**arrays, "meta": np.array(json.dumps(meta))}


def damaged_files(arrays, good, tmp_path):
    """(name, path, expected message part) for every kind of damage."""
    data = good.read_bytes()
    cases = []

    def add(name, content, expected):
        path = tmp_path / f"{name}.npz"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            write_npz(path, content)
        cases.append((name, path, expected))

    add("truncated", data[: len(data) // 2], "BadZipFile")
    add("empty", b"", "EOFError")
    crc = bytearray(data)
    where = data.index(arrays["G/param/dense_1.W"].tobytes()[4000:4032])  # inside stored weights
    crc[where] ^= 0xFF  # the member still parses, but its CRC no longer fits
    add("crc", bytes(crc), "Bad CRC-32")
    add("no-meta", {k: v for k, v in arrays.items() if k != "meta"}, "no metadata record")
    add("no-random-states", with_meta(arrays, lambda m: m.pop("random_states")),
        "metadata 'random_states' missing")
    add("no-config-model-rng", with_meta(arrays, lambda m: m["random_states"].pop("trainer")),
        "missing entry 'trainer'")
    add("deep", {**arrays, "meta": np.array("[" * 100_000 + "]" * 100_000)}, "not valid JSON")
    add("bad-epochs", with_meta(arrays, lambda m: m["config"].update(epochs="ten")),
        "invalid configuration: epochs (--epochs) must be a positive integer, got 'ten'")
    nan = {k: v.copy() for k, v in arrays.items()}
    nan["G/param/dense.W"][0, 0] = np.nan
    add("nan-weight", nan, "array 'G/param/dense.W' holds NaN or inf")
    inf = {k: v.copy() for k, v in arrays.items()}
    inf["D_state_missing_ok"] = np.zeros(1)
    inf["D/param/dense.b"][0] = np.inf
    add("inf-weight", inf, "array 'D/param/dense.b' holds NaN or inf")
    add("complex-weight", {**arrays, "G/param/dense.W": arrays["G/param/dense.W"] + 1j},
        "must be real floating point, got dtype complex")
    add("no-opt-step", {k: v for k, v in arrays.items() if k != "g_opt/t"}, "missing entry 't'")
    add("nan-opt", {**arrays, "d_opt/m/dense.W": np.full_like(arrays["D/param/dense.W"], np.nan)},
        "optimizer state d_opt/m/dense.W is not finite")
    add("short-history", {**arrays, "history/d_loss": np.zeros(3)}, "history/d_loss has shape (3,)")
    return cases


def test_every_damaged_checkpoint_is_one_line_naming_the_file(checkpoint_arrays, tmp_path, capsys):
    from minigan.cli import main
    from minigan.experiments.mnist import MnistRun

    arrays, good = checkpoint_arrays
    MnistRun.load(good, data=False)  # the undamaged file loads
    for name, path, expected in damaged_files(arrays, good, tmp_path):
        with pytest.raises(ValueError) as info:
            MnistRun.load(path, data=False)
        message = str(info.value)
        assert message.startswith(str(path)) and expected in message, (name, message)
        assert "\n" not in message, name
    # through the command: exit code 2, one line, no traceback
    for name, path, _ in damaged_files(arrays, good, tmp_path)[:3]:
        assert main(["sample", str(path), "--out", str(tmp_path / "g.png")]) == 2
        err = capsys.readouterr().err.strip()
        assert str(path) in err and "\n" not in err and "Traceback" not in err, name
    assert not (tmp_path / "g.png").exists()


def test_model_files_refuse_damage_and_non_finite_weights(tmp_path):
    from minigan.models import mlp_discriminator

    D = mlp_discriminator(seed=1)
    good = tmp_path / "d.npz"
    D.save(good)
    (tmp_path / "cut.npz").write_bytes(good.read_bytes()[:1000])
    with pytest.raises(ValueError, match=r"cut.npz: cannot read this model file.*BadZipFile"):
        mlp_discriminator().load(tmp_path / "cut.npz")
    with np.load(good) as f:
        arrays = {k: f[k] for k in f.files}
    before = [p.value.copy() for p in D.parameters()]
    for bad, expected in ((np.nan, "holds NaN or inf"), (1j, "must be real floating point")):
        changed = {**arrays, "param/dense_2.b": arrays["param/dense_2.b"] + bad}
        write_npz(tmp_path / "bad.npz", changed)
        with pytest.raises(ValueError, match=expected):
            D.load(tmp_path / "bad.npz")
        for p, b in zip(D.parameters(), before, strict=True):  # nothing was copied
            np.testing.assert_array_equal(p.value, b)
    with pytest.raises(ValueError, match=r"^\S+: saved architecture does not match model 'mlp_generator' "
                                         r"\(saved: .*; this model: .*\)$"):
        from minigan.models import mlp_generator

        mlp_generator().load(good)


# ------------------------------------------------------------------------------ data folders
def test_sample_and_evaluate_do_not_need_the_training_data_folder(tmp_path, capsys):
    from minigan.cli import main
    from minigan.experiments.mnist import MnistRun, TrainConfig

    run = MnistRun(TrainConfig(**TINY))
    run.config.data_dir = str(tmp_path / "moved-away")  # as if trained on a folder now gone
    run.save(tmp_path / "checkpoint.npz")
    grid = tmp_path / "grid.png"
    assert main(["sample", str(tmp_path / "checkpoint.npz"), "--n", "4", "--out", str(grid)]) == 0
    assert grid.stat().st_size > 0
    loaded = MnistRun.load(tmp_path / "checkpoint.npz", data=False)
    assert loaded.images is None and loaded.samples().shape == (4, 1, 28, 28)
    np.testing.assert_array_equal(loaded.samples(), run.samples())
    # training from it still needs data: the missing folder is named, and --data-dir replaces it
    with pytest.raises(ValueError, match="moved-away: data directory not found"):
        MnistRun.load(tmp_path / "checkpoint.npz")


# ------------------------------------------------------------------------------ run folders
def quick_train(out, *extra, model="mnist-mlp"):
    from minigan.cli import main

    return main(["train", model, "--epochs", "1", "--train-images", "64", "--batch-size", "32",
                 "--no-progress", "--out", str(out), *extra])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A folder holding a finished one-epoch MLP run."""
    out = tmp_path_factory.mktemp("trained") / "mix"
    assert quick_train(out) == 0
    return out


def one_line_error(capsys):
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    return err


def test_train_refuses_an_out_folder_that_holds_a_run(trained, capsys, tmp_path):
    before = (trained / "checkpoint.npz").read_bytes()
    frames = sorted(p.name for p in (trained / "samples").iterdir())
    assert quick_train(trained, model="mnist-conv") == 2
    assert (f"--out {trained} already holds a run: continue it with minigan train mnist-conv --resume "
            f"{trained}, or give a new --out folder") in one_line_error(capsys)
    assert (trained / "checkpoint.npz").read_bytes() == before  # nothing overwritten or added
    assert sorted(p.name for p in (trained / "samples").iterdir()) == frames
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep me")
    assert quick_train(tmp_path / "notes") == 2
    assert "is not empty: give a new or empty folder" in one_line_error(capsys)
    (tmp_path / "file").write_text("x")
    assert quick_train(tmp_path / "file" / "run") == 2
    assert "is not a folder" in one_line_error(capsys)


@pytest.mark.parametrize("flags", [["--lr-g", "1e-3"], ["--batch-size", "16"], ["--seed", "3"],
                                   ["--batch-size", "-5"], ["--loss", "saturating", "--k", "2"],
                                   ["--train-images", "128"], ["--average", "0"]])
def test_resume_refuses_settings_it_cannot_apply_exactly(flags, trained, capsys):
    from minigan.cli import main

    assert main(["train", "mnist-mlp", "--resume", str(trained), "--no-progress", *flags]) == 2
    err = one_line_error(capsys)
    assert err.startswith(f"minigan train: error: {flags[0]}")
    assert "a resumed run keeps the settings of its checkpoint" in err


def test_resume_refuses_another_out_and_fewer_epochs(trained, capsys, tmp_path):
    from minigan.cli import main

    resume = ["train", "mnist-mlp", "--resume", str(trained), "--no-progress"]
    assert main([*resume, "--out", str(tmp_path / "elsewhere")]) == 2
    assert f"a resumed run writes into its own folder {trained}" in one_line_error(capsys)
    assert not (tmp_path / "elsewhere").exists()
    assert main([*resume, "--epochs", "0"]) == 2
    assert "--epochs must be at least the 1 epochs" in one_line_error(capsys)
    # the same folder given as --out is fine: nothing left to train at --epochs 1
    assert main([*resume, "--out", str(trained)]) == 0


@pytest.mark.parametrize("flag, value", [("--lr-g", "1e-3"), ("--batch-size", "32"),
                                         ("--train-images", "64"), ("--average", "0"), ("--d-dropout", "0.1"),
                                         ("--data-dir", "x"), ("--resume", "x"), ("--epochs", "2")])
def test_ring_refuses_mnist_flags(flag, value, capsys, tmp_path):
    from minigan.cli import main

    assert main(["train", "ring", flag, value, "--out", str(tmp_path / "ring")]) == 2
    assert f"{flag}: not used by the ring" in one_line_error(capsys)
    assert not (tmp_path / "ring").exists()


def test_ring_refuses_an_mnist_loss(capsys, tmp_path):
    """The ring takes --loss, but only its own objectives: an MNIST-only loss is one line."""
    from minigan.cli import main

    assert main(["train", "ring", "--loss", "saturating", "--out", str(tmp_path / "ring")]) == 2
    assert "--loss for the ring must be one of vanilla," in one_line_error(capsys)
    assert not (tmp_path / "ring").exists()


def test_pack_is_bounded(capsys, tmp_path):
    from minigan.cli import MAX_PACK, main

    assert main(["train", "ring", "--pack", "100000", "--out", str(tmp_path / "ring")]) == 2
    assert f"--pack must be at most {MAX_PACK}, got 100000" in one_line_error(capsys)


def test_stopped_in_epoch_1_promises_no_checkpoint_and_leaves_no_folder(monkeypatch, capsys, tmp_path):
    from minigan.cli import main
    from minigan.experiments.mnist import MnistRun
    from minigan.gan import TrainingDiverged

    def stop(error):
        def train_epoch(self, progress=None):
            raise error
        return train_epoch

    monkeypatch.setattr(MnistRun, "train_epoch", stop(KeyboardInterrupt()))
    assert quick_train(tmp_path / "run") == 130
    err = one_line_error(capsys)
    assert "before the first checkpoint: nothing was kept" in err and "--resume" not in err
    assert not (tmp_path / "run").exists()
    # the same without --out: the fresh folder under runs/ goes again
    monkeypatch.chdir(tmp_path)
    assert main(["train", "mnist-mlp", "--epochs", "1", "--train-images", "64", "--no-progress"]) == 130
    assert "nothing was kept" in one_line_error(capsys)
    assert list((tmp_path / "runs").iterdir()) == []
    # a NaN (in the data, or anywhere) in epoch 1: the same, with exit code 1
    monkeypatch.setattr(MnistRun, "train_epoch", stop(TrainingDiverged("training diverged at iteration 1")))
    (tmp_path / "empty").mkdir()
    assert quick_train(tmp_path / "empty") == 1
    err = one_line_error(capsys)
    assert "diverged at iteration 1. It stopped in epoch 1, before the first checkpoint" in err
    assert "checkpoint of epoch" not in err
    assert list((tmp_path / "empty").iterdir()) == []  # emptied again, not removed: it was the user's


def test_stopped_after_a_checkpoint_names_it(monkeypatch, capsys, trained):
    from minigan.cli import main
    from minigan.experiments.mnist import MnistRun

    def train_epoch(self, progress=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(MnistRun, "train_epoch", train_epoch)
    before = (trained / "checkpoint.npz").read_bytes()
    assert main(["train", "mnist-mlp", "--resume", str(trained), "--epochs", "2", "--no-progress"]) == 130
    err = one_line_error(capsys)
    assert (f"the checkpoint of epoch 1 is intact: continue with minigan train mnist-mlp --resume "
            f"{trained}") in err
    assert (trained / "checkpoint.npz").read_bytes() == before


# ------------------------------------------------------------------------------ Ctrl-C
def interrupt(args, cwd, ready_stream="stderr", ready=rb"\| *[1-9]\d*/", timeout=60):
    """Run `python -m minigan ARGS` in cwd, send SIGINT once it shows it is working (output on
    ``ready_stream`` matching ``ready``: by default a progress bar past its first iteration),
    and return (exit code, stderr)."""
    import os
    import re
    import selectors
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.getcwd()}
    # SIGINT's default action in the child even if this process was started with it ignored
    # (a background job): Python then installs its KeyboardInterrupt handler
    proc = subprocess.Popen([sys.executable, "-m", "minigan", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    stream = getattr(proc, ready_stream)
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    try:
        first, end = b"", time.monotonic() + timeout
        while not re.search(ready, first):
            assert selector.select(end - time.monotonic()), f"not ready within {timeout} s: {first!r}"
            chunk = os.read(stream.fileno(), 4096)
            assert chunk, f"ended before it was ready: {first!r}"
            first += chunk
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = (first if ready_stream == "stderr" else b"").decode() + err.decode()
    return proc.returncode, text


def test_ctrl_c_in_compare_losses_is_one_line_and_leaves_no_folder(tmp_path):
    code, err = interrupt(["compare-losses", "--steps", "100000", "--seeds", "1"], cwd=tmp_path)
    assert code == 130, err
    assert err.strip().splitlines()[-1] == "minigan compare-losses: interrupted"
    assert "Traceback" not in err
    assert not (tmp_path / "runs").exists()  # the output folder is made only after the work


def test_ctrl_c_in_epoch_1_of_train(tmp_path):
    code, err = interrupt(["train", "mnist-mlp", "--train-images", "4096", "--epochs", "1",
                           "--no-progress", "--out", "run"], cwd=tmp_path, ready_stream="stdout",
                           ready=b"training mnist-mlp")
    assert code == 130, err
    assert "Traceback" not in err and "before the first checkpoint: nothing was kept" in err
    assert not (tmp_path / "run").exists()


def test_unwritable_output_is_found_before_the_work(tmp_path, capsys):
    from minigan.cli import main

    (tmp_path / "file").write_text("x")
    for args in (["compare-losses", "--out", str(tmp_path / "file" / "out")],
                 ["wgan-critic", "--out", str(tmp_path / "file" / "out")],
                 ["train", "ring", "--out", str(tmp_path / "file" / "out")],
                 ["sample", "missing.npz", "--out", str(tmp_path / "file" / "grid.png")]):
        assert main(args) == 2
        err = one_line_error(capsys)
        assert f"{tmp_path / 'file'} is not a folder" in err, err


def test_sample_refuses_a_suffix_it_would_not_write(capsys, tmp_path):
    from minigan.cli import main

    for name in ("grid.jpg", "grid", "grid.PDF"):
        assert main(["sample", "missing.npz", "--out", str(tmp_path / name)]) == 2
        assert f"--out must name a .png file, got '{tmp_path / name}'" in one_line_error(capsys)


def test_evaluate_n_is_bounded_by_the_held_out_images(capsys):
    from minigan.cli import main

    assert main(["evaluate", "--calibrate", "--n", "10001"]) == 2
    assert "--n must be at most the 10,000 test images the samples are compared with, got 10,001" \
        in one_line_error(capsys)


# ------------------------------------------------------------------------------ temp files
def test_stale_temp_files_of_killed_writes_are_cleaned_on_the_next_write(tmp_path):
    import subprocess
    import sys

    from minigan.files import atomic_write_bytes

    target = tmp_path / "checkpoint.npz"
    # a finished process (its pid no longer runs) that left a temporary file behind
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    stale = tmp_path / f".tmp-checkpoint.npz-{int(dead.stdout)}-abc123"
    stale.write_bytes(b"half a checkpoint")
    alive = tmp_path / f".tmp-checkpoint.npz-{1}-xyz"  # pid 1 runs: a concurrent writer, kept
    alive.write_bytes(b"in progress")
    other = tmp_path / f".tmp-losses.png-{int(dead.stdout)}-abc"  # another target: not this write's
    other.write_bytes(b"x")
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert not stale.exists() and alive.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, alive.name, other.name])


# ------------------------------------------------------------------------------ other flags
@pytest.mark.parametrize("args, message", [
    (["train", "mnist-mlp", "--seed", "-1"], "seed (--seed) must be a non-negative integer, got -1"),
    (["train", "mnist-mlp", "--train-images", "60001"],
     "train_images (--train-images) must be at most the 60,000 training images, got 60,001"),
    (["sample", "missing.npz", "--n", "100000000"], "--n must be an integer from 1 to 10,000, got 100000000"),
])
def test_other_bad_values_are_one_line(args, message, capsys, tmp_path):
    from minigan.cli import main

    out = ["--out", str(tmp_path / ("run" if args[0] == "train" else "g.png"))]
    assert main([*args, *out]) == 2
    assert message in one_line_error(capsys)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command", [["sample", "x.npz"], ["evaluate", "--calibrate"], ["gradcheck"]])
def test_negative_seeds_are_refused_by_the_parser(command, capsys):
    from minigan.cli import main

    with pytest.raises(SystemExit) as info:
        main([*command, "--seed", "-1"])
    assert info.value.code == 2
    assert "--seed: expected a non-negative integer, got '-1'" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["compare-losses"], ["wgan-critic"], ["train", "ring"]])
def test_results_in_an_out_folder_are_not_overwritten(command, capsys, tmp_path):
    from minigan.cli import main

    (tmp_path / "summary.json").write_text("{}")
    assert main([*command, "--out", str(tmp_path)]) == 2
    assert f"--out {tmp_path} already holds results (summary.json)" in one_line_error(capsys)
    assert (tmp_path / "summary.json").read_text() == "{}"


def test_resume_refuses_other_training_data(trained, tmp_path):
    from minigan.experiments.mnist import MnistRun

    with np.load(trained / "checkpoint.npz") as f:
        arrays = {k: f[k] for k in f.files}
    # as if the data folder now held other images: 128 instead of the 64 it trained on
    changed = with_meta(arrays, lambda m: m["config"].update(train_images=128))
    write_npz(tmp_path / "checkpoint.npz", changed)
    with pytest.raises(ValueError, match=r"the run did 2 iterations in 1 epochs, but its training data "
                                         r"now give 4 per epoch \(128 images\)"):
        MnistRun.load(tmp_path / "checkpoint.npz")
    assert MnistRun.load(tmp_path / "checkpoint.npz", data=False).epoch == 1  # sampling is fine
