"""The gradient checker itself: it measures what it claims, it fails on a wrong backward,
and the full report (every layer, the seed models, G's gradient through D) passes."""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from minigan import gradcheck
from minigan.cli import main
from minigan.gradcheck import (
    check_generator_step,
    check_model,
    numerical_gradient,
    rel_error,
)
from minigan.layers import BatchNorm, Dense, LeakyReLU
from minigan.network import Sequential


def test_numerical_gradient_of_a_known_function(rng):
    p = rng.standard_normal((3, 4))
    grad = numerical_gradient(lambda: float(np.sum(np.sin(p))), p)
    np.testing.assert_allclose(grad, np.cos(p).ravel(), rtol=0, atol=1e-10)
    assert np.shares_memory(p, p) and np.isfinite(p).all()  # p restored, not replaced


def test_rel_error_definition():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0
    assert rel_error(np.array([1.0, -2.0]), np.array([1.1, -2.0])) == pytest.approx(0.1 / 4.0)
    assert rel_error(np.zeros(3), np.full(3, 1e-12)) == pytest.approx(1e-4)  # the 1e-8 floor


class BrokenDense(Dense):
    """A Dense whose bias gradient is off by a factor of 2: the checker must notice."""

    def compute_backward(self, dout, x):
        dx = super().compute_backward(dout, x)
        self.grads["b"] += dout.sum(axis=0)
        return dx


def test_checker_catches_a_wrong_backward(rng):
    result = check_model(BrokenDense(4, 3, rng=rng, dtype=np.float64), rng.standard_normal((5, 4)))
    assert not result.passed
    assert result.per_array["b"] > 0.1 and result.per_array["W"] < 1e-9


def test_checker_catches_a_wrong_backward_inside_D_during_the_generator_step(rng):
    """numpy-ml's WGAN generator never trained because nothing checked G through D."""
    f64 = np.float64
    G = Sequential([Dense(2, 4, rng=rng, dtype=f64), LeakyReLU(), Dense(4, 3, rng=rng, dtype=f64)], (2,))

    class WrongDx(Dense):
        def compute_backward(self, dout, x):
            return 0.5 * super().compute_backward(dout, x)

    D = Sequential([WrongDx(3, 5, rng=rng, dtype=f64), LeakyReLU(), Dense(5, 1, rng=rng, dtype=f64)], (3,))
    assert not check_generator_step(G, D, rng.standard_normal((4, 2)), "non_saturating").passed


def test_generator_step_through_batchnorm_D(rng):
    f64 = np.float64
    G = Sequential([Dense(3, 6, rng=rng, dtype=f64), BatchNorm(6, dtype=f64), LeakyReLU(),
                    Dense(6, 4, rng=rng, dtype=f64)], (3,))
    D = Sequential([Dense(4, 6, rng=rng, dtype=f64), BatchNorm(6, dtype=f64), LeakyReLU(),
                    Dense(6, 1, rng=rng, dtype=f64)], (4,))
    z = rng.standard_normal((7, 3))
    for kind in ("saturating", "non_saturating"):
        result = check_generator_step(G, D, z, kind)
        assert result.rel_error < 1e-8, (kind, result.per_array)
        assert result.per_array["dense.W"] < 1e-7
    # G's first bias feeds BatchNorm, which subtracts the batch mean: its true gradient is
    # zero, which is why rel_error normalises by the largest gradient of the whole check
    D.forward(G.forward(z))
    G.backward(D.backward(rng.standard_normal((7, 1))))
    assert np.abs(G.layers[0].grads["b"]).max() < 1e-15 * np.abs(G.layers[0].grads["W"]).max() + 1e-17
    assert np.abs(G.layers[0].grads["W"]).max() > 1e-3


def test_checks_leave_models_unchanged(rng):
    f64 = np.float64
    net = Sequential([Dense(3, 4, rng=rng, dtype=f64), BatchNorm(4, dtype=f64)], (3,))
    before = {k: v.copy() for k, v in net.state_arrays().items()}
    weights = [p.value.copy() for p in net.parameters()]
    check_model(net, rng.standard_normal((5, 3)))
    for k, v in net.state_arrays().items():
        np.testing.assert_array_equal(v, before[k])
    for p, w in zip(net.parameters(), weights, strict=True):
        np.testing.assert_array_equal(p.value, w)
        assert not p.grad.any()


def test_checks_refuse_float32(rng):
    with pytest.raises(TypeError, match="float64"):
        check_model(Dense(2, 2, rng=rng), rng.standard_normal((3, 2)))


def test_standard_report_passes_well_below_tolerance():
    # through the module: tests/conftest.py computes the report once per session (test_cli's
    # `minigan gradcheck` runs share it)
    rows = gradcheck.standard_checks(seed=0)
    names = [r.name for r in rows]
    for expected in ("Dense", "LeakyReLU", "ReLU", "Sigmoid", "Tanh", "BatchNorm (N, F) [train]",
                     "BatchNorm (N, C, H, W) [eval]", "Dropout", "Flatten", "Reshape",
                     "Conv2D", "ConvTranspose2D", "UpSampling2D",
                     "seed MLP discriminator", "seed MLP generator (574,608) [train]",
                     "seed conv discriminator", "seed conv generator (260,737) [eval]",
                     "G step through seed MLP D, saturating", "G step through seed MLP D, non_saturating",
                     "G step through seed conv D, non_saturating",
                     "G step through a BatchNorm D, saturating",
                     "G step through a clipped WGAN critic", "G step through the conditional D (cGAN)"):
        assert any(n.startswith(expected) for n in names), expected
    for r in rows:
        assert r.passed and r.rel_error < 1e-8, (r.name, r.rel_error)
        assert r.checked > 0


# ------------------------------------------------------------------ the command
# here rather than in test_cli.py: under `make test` (pytest-xdist, one file per worker) the
# report computed once by tests/conftest.py is then shared with the test above, not recomputed
def test_gradcheck_json(capsys):
    assert main(["gradcheck", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["all_passed"] is True and report["tolerance"] == 1e-7
    assert len(report["rows"]) >= 20
    for row in report["rows"]:
        assert set(row) >= {"name", "rel_error", "passed", "tolerance", "checked_entries"}
        assert row["passed"] and row["rel_error"] < 1e-7


def test_gradcheck_table_and_failure_exit_code(capsys):
    assert main(["gradcheck"]) == 0
    out = capsys.readouterr().out
    assert "rows pass" in out and "FAIL" not in out
    assert_readme_block_matches("gradcheck", out)
    # an impossible tolerance makes rows fail and the exit code non-zero
    assert main(["gradcheck", "--tol", "1e-30"]) == 1
    assert "FAIL" in capsys.readouterr().out


def assert_readme_block_matches(command: str, out: str) -> None:
    """The README's block for `minigan COMMAND` (docs/update_readme.py writes it) is that
    command's output: every row and the summary line alike, except that the relative errors
    (rounding noise, which moves with the BLAS and kernel backend) need only agree to within
    a factor of 10."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    match = re.search(rf"<!-- output: {command} -->\n```\n(.*?)\n```", readme, re.S)
    assert match, f"README.md has no block for `minigan {command}`"
    number = re.compile(r"\d\.\d\de-\d\d")
    shown, real = match[1].splitlines(), out.rstrip("\n").splitlines()
    assert len(shown) == len(real), "README block and output differ in length: run docs/update_readme.py"
    for a, b in zip(shown, real, strict=True):
        assert number.sub("#", a) == number.sub("#", b), f"README: {a!r}\noutput: {b!r}"
        for x, y in zip(number.findall(a), number.findall(b), strict=True):
            if max(float(x), float(y)) < 1e-14:  # both at the level of exact agreement
                continue
            ratio = float(x) / float(y) if float(y) > 0 else math.inf
            assert 0.1 <= ratio <= 10, f"README: {a!r}\noutput: {b!r}"
