"""The course tools: assignments, their checks, release and grading.

- Each assignment's instructor version runs in a real kernel (nbclient, MINIGAN_FAST=1), every
  cell without error, and scores full marks; its released version runs there too and scores
  zero, with one "not written yet" line per exercise.
- A planted bug in each exercise fails exactly that exercise, with the hint of its mistake.
  These runs use the grader's in-process path (no kernel start) on the cells up to the last
  graded one (the ungraded demonstrations after it train networks and grade nothing).
- The hint catalogue recognises each typical mistake, on buggy classes and functions here.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

from minigan import BatchNorm, Dense, LeakyReLU, Sigmoid
from minigan.cli import main
from minigan.course import check_generator_gradient, check_layer, check_loss
from minigan.course.game import (
    check_discriminator_step,
    check_generator_step,
    check_training_loop,
    reference_discriminator_step,
    reference_generator_step,
)
from minigan.course.grade import grade, grade_notebook
from minigan.course.release import release, release_notebook
from minigan.course.theory_checks import check_js_divergence, check_optimal_discriminator
from minigan.functions import sigmoid, softplus
from minigan.layers.base import Layer
from minigan.losses import bce_with_logits, discriminator_loss, generator_loss

FOLDER = Path(__file__).resolve().parent.parent / "notebooks" / "assignments"
ASSIGNMENTS = ["A1_layers", "A2_losses", "A3_the_game", "A4_theory"]
EXERCISES = {
    "A1_layers": ["dense_tests", "leaky_relu_tests", "sigmoid_tests", "batchnorm_tests"],
    "A2_losses": ["bce_tests", "discriminator_loss_tests", "generator_loss_tests", "through_d_tests"],
    "A3_the_game": ["discriminator_step_tests", "generator_step_tests", "training_loop_tests"],
    "A4_theory": ["optimal_discriminator_tests", "integrate_tests", "js_divergence_tests"],
}


def _builder():
    spec = importlib.util.spec_from_file_location("build_assignments", FOLDER / "build_assignments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------ the files
def test_committed_assignments_are_what_the_builder_writes():
    builder = _builder()
    assert sorted(builder.ASSIGNMENTS) == ASSIGNMENTS
    for name, make in builder.ASSIGNMENTS.items():
        committed = (FOLDER / f"{name}.ipynb").read_text(encoding="utf-8")
        assert nbformat.writes(make()) + "\n" == committed or nbformat.writes(make()) == committed, (
            f"{name}.ipynb differs from build_assignments.py: rerun it")


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_assignment_is_committed_stripped_and_in_nbgrader_format(name):
    nb = json.loads((FOLDER / f"{name}.ipynb").read_text(encoding="utf-8"))
    graded, ids = [], set()
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        assert not [ch for ch in text if ord(ch) < 32 and ch != "\n"], "control character (a lost backslash?)"
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
        meta = cell["metadata"].get("nbgrader")
        if meta:
            assert meta["schema_version"] == 3 and meta["grade_id"] not in ids
            ids.add(meta["grade_id"])
            if meta["grade"]:
                assert meta == {"grade": True, "solution": False, "locked": True, "points": meta["points"],
                                "grade_id": meta["grade_id"], "schema_version": 3}
                assert isinstance(meta["points"], int) and meta["points"] > 0
                graded.append(meta["grade_id"])
            else:
                assert meta["solution"] and not meta["locked"]
                assert "### BEGIN SOLUTION" in text and "### END SOLUTION" in text
        elif cell["cell_type"] == "markdown":
            # nbgrader finds its markers anywhere, even in prose, and then refuses the notebook
            assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert graded == EXERCISES[name]


# ------------------------------------------------------------------------------ in a kernel
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_instructor_version_scores_full_marks_and_released_version_zero(name, tmp_path):
    nb = nbformat.read(FOLDER / f"{name}.ipynb", as_version=4)
    instructor = grade_notebook(nb, name, tmp_path, fast=True)  # in a kernel
    assert instructor.finished
    assert instructor.score == instructor.max_score > 0, instructor.format()
    # every cell ran, the ungraded demonstrations too (A1's classifier, A2's vanishing gradient,
    # A3's saturating vs non-saturating run, which ends in asserts)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o["output_type"] == "error"]
    assert errors == [], errors
    assert all(c.execution_count is not None for c in nb.cells if c.cell_type == "code")

    (released,) = release(FOLDER / f"{name}.ipynb", tmp_path / "student")
    report = grade(released, fast=True, cwd=tmp_path)
    assert report.finished and report.score == 0 and report.max_score == instructor.max_score
    for exercise in report.exercises:
        assert not exercise.passed
        assert exercise.message.startswith("AssertionError: ") and "not written yet" in exercise.message
        assert "\n" not in exercise.message and "Traceback" not in exercise.message


# ------------------------------------------------------------------------------ planted bugs
PLANTED = [
    ("A1_layers", "dense_solution", 'self.grads["b"] += dout.sum(axis=0)',
     'self.grads["b"] += dout.mean(axis=0)', "SUM of dout"),
    ("A1_layers", "leaky_relu_solution", "dx = dout * np.where(x > 0, 1.0, self.alpha)",
     "dx = dout * np.sign(np.where(x > 0, x, self.alpha * x))", "sign(out)"),
    ("A1_layers", "sigmoid_solution",
     "out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))", "out = 1.0 / (1.0 + np.exp(-x))", "piecewise"),
    ("A1_layers", "batchnorm_solution", " - xhat * (dxhat * xhat).sum(axis=0))", ")", "Σ(dxhat·xhat)"),
    ("A2_losses", "bce_solution",
     "value = float(np.mean(target * softplus(-logits) + (1 - target) * softplus(logits)))",
     "p = 1 / (1 + np.exp(-logits))\n"
     "    value = float(np.mean(-target * np.log(p) - (1 - target) * np.log(1 - p)))",
     "probabilities"),
    ("A2_losses", "discriminator_loss_solution",
     "value = float(np.mean(softplus(-real_logits)) + np.mean(softplus(fake_logits)))",
     "value = float(np.mean(softplus(-real_logits)) + np.mean(softplus(fake_logits))) / 2", "value"),
    ("A2_losses", "generator_loss_solution", 'if kind == "saturating":', 'if kind == "non_saturating":',
     "swapped"),
    ("A2_losses", "through_d_solution", "G.backward(dfake)", "G.backward(dlogits)", "D's input gradient"),
    ("A3_the_game", "discriminator_step_solution", "bce_with_logits(D.forward(x_real), 1.0)",
     "bce_with_logits(D.forward(x_real), 0.0)", "loss (step 1)"),
    ("A3_the_game", "generator_step_solution", "    g_opt.zero_grad()\n", "", "zero_grad()"),
    ("A3_the_game", "training_loop_solution", "for _ in range(k):", "for _ in range(1):", "k is ignored"),
    ("A4_theory", "optimal_discriminator_solution", "d = sigmoid(p_data.logpdf(x) - p_g.logpdf(x))",
     "d = p_data.pdf(x) / (p_data.pdf(x) + p_g.pdf(x))", "log-densities"),
    ("A4_theory", "integrate_solution", "value = float(h / 3 * np.sum(weights * f(x)))",
     "value = float(h / 2 * np.sum(weights * f(x)))", "Simpson"),
    ("A4_theory", "js_divergence_solution", "value = integrate(integrand, lo, hi, 4000)",
     "value = integrate(integrand, lo, hi, 4000) / math.log(2)", "nats"),
]
_NOTEBOOKS = {}


def _graded_part(name):
    """The instructor notebook up to its last graded cell (read once)."""
    if name not in _NOTEBOOKS:
        nb = nbformat.read(FOLDER / f"{name}.ipynb", as_version=4)
        last = max(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade"))
        nb.cells = nb.cells[:last + 1]
        _NOTEBOOKS[name] = nb
    return copy.deepcopy(_NOTEBOOKS[name])


@pytest.mark.parametrize("name, grade_id, old, new, expected", PLANTED, ids=[p[1] for p in PLANTED])
def test_a_planted_bug_fails_exactly_its_exercise(name, grade_id, old, new, expected, tmp_path):
    nb = _graded_part(name)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert old in cell.source
    cell.source = cell.source.replace(old, new)
    report = grade_notebook(nb, name, tmp_path, fast=True, in_process=True)
    failed = [e for e in report.exercises if not e.passed]
    exercise = grade_id.replace("_solution", "_tests")
    assert [e.grade_id for e in failed] == [exercise], report.format()
    assert failed[0].points == 0 and report.score == report.max_score - failed[0].max_points
    message = failed[0].message
    assert message.startswith("AssertionError: ") and expected in message, message
    assert "\n" not in failed[0].message


# ------------------------------------------------------------------------------ the catalogue
def _hint_of(check, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as err:
        check(*args, **kwargs)
    message = str(err.value)
    assert "\n" not in message  # one line: the printed table has the details
    return message


def test_minigans_own_layers_and_losses_pass_every_check(capsys):
    for layer in (Dense, LeakyReLU, Sigmoid, BatchNorm):
        check_layer(layer)
    check_layer(_bn_backward("right"))  # the plain twin used for the mistakes below
    check_loss(bce_with_logits, "bce")
    check_loss(discriminator_loss, "discriminator")
    check_loss(generator_loss, "saturating")
    check_loss(generator_loss, "non_saturating")
    out = capsys.readouterr().out
    assert "FAIL" not in out and out.count("checks pass") == 9


class DenseNoTranspose(Dense):
    def compute_backward(self, dout, x):
        self.grads["W"] += x.T @ dout
        self.grads["b"] += dout.sum(axis=0)
        return dout @ self.params["W"]  # W, not W^T


class DenseBiasMean(Dense):
    def compute_backward(self, dout, x):
        self.grads["W"] += x.T @ dout
        self.grads["b"] += dout.mean(axis=0)
        return dout @ self.params["W"].T


class DenseBiasTotal(Dense):
    def compute_backward(self, dout, x):
        self.grads["W"] += x.T @ dout
        self.grads["b"] += dout.sum()  # one number, broadcast to every bias
        return dout @ self.params["W"].T


class DenseReplacesGrads(Dense):
    def compute_backward(self, dout, x):
        self.grads["W"] = x.T @ dout
        self.grads["b"] = dout.sum(axis=0)
        return dout @ self.params["W"].T


class DenseShapeError(Dense):
    def compute_backward(self, dout, x):
        self.grads["W"] += x @ dout  # (4, 6) @ (4, 6): the shapes do not fit
        return dout @ self.params["W"].T


class LeakySignOfOut(LeakyReLU):
    def compute_backward(self, dout, out):
        return dout * np.sign(out)


class LeakyFixedSlope(LeakyReLU):
    def compute_forward(self, x, training):
        out = np.where(x > 0, x, 0.2 * x)
        return out, x

    def compute_backward(self, dout, x):
        return dout * np.where(x > 0, 1.0, 0.2)


class SigmoidNaive(Sigmoid):
    def compute_forward(self, x, training):
        out = 1.0 / (1.0 + np.exp(-x))
        return out, out


class SigmoidMissingFactor(Sigmoid):
    def compute_backward(self, dout, out):
        return dout * out


class PlainBatchNorm(Layer):
    """The assignment's (N, F) BatchNorm, with a ``variant`` of its training-mode backward."""

    variant = "right"

    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self._add_param("gamma", np.ones(num_features))
        self._add_param("beta", np.zeros(num_features))
        self.state["running_mean"] = np.zeros(num_features)
        self.state["running_var"] = np.ones(num_features)

    def compute_forward(self, x, training):
        if training:
            m, mu, var = x.shape[0], x.mean(axis=0), x.var(axis=0)
            rm, rv, mom = self.state["running_mean"], self.state["running_var"], self.momentum
            rm[...] = (1 - mom) * rm + mom * mu
            rv[...] = (1 - mom) * rv + mom * var * m / (m - 1)
        else:
            mu, var = self.state["running_mean"], self.state["running_var"]
        inv_std = 1 / np.sqrt(var + self.eps)
        xhat = (x - mu) * inv_std
        return self.params["gamma"] * xhat + self.params["beta"], (xhat, inv_std, training)

    def compute_backward(self, dout, cache):
        xhat, inv_std, training = cache
        self.grads["gamma"] += (dout * xhat).sum(axis=0)
        self.grads["beta"] += dout.sum(axis=0)
        dxhat, m = dout * self.params["gamma"], dout.shape[0]
        if not training or self.variant == "constants":
            return dxhat * inv_std
        if self.variant == "no xhat term":
            return inv_std / m * (m * dxhat - dxhat.sum(axis=0))
        if self.variant == "no mean term":
            return inv_std / m * (m * dxhat - xhat * (dxhat * xhat).sum(axis=0))
        return inv_std / m * (m * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))


def _bn_backward(variant):
    return type("BatchNorm", (PlainBatchNorm,), {"variant": variant})


class BatchNormEvalUsesBatch(BatchNorm):
    def compute_forward(self, x, training):
        return super().compute_forward(x, True)


@pytest.mark.parametrize("layer, kind, expected", [
    (DenseNoTranspose, "dense", "dx is missing a transpose"),
    (DenseBiasMean, "dense", "SUM of dout"),
    (DenseBiasTotal, "dense", "sums over the batch only"),
    (DenseReplacesGrads, "dense", "must ADD to self.grads"),
    (DenseShapeError, "dense", "wrong shape"),
    (LeakySignOfOut, "leakyrelu", "sign(out)"),
    (LeakyFixedSlope, "leakyrelu", "hard-coded to 0.2"),
    (SigmoidNaive, "sigmoid", "piecewise"),
    (SigmoidMissingFactor, "sigmoid", "a factor is missing"),
    (_bn_backward("no xhat term"), "batchnorm", "Σ(dxhat·xhat)"),
    (_bn_backward("no mean term"), "batchnorm", "-Σ dxhat"),
    (_bn_backward("constants"), "batchnorm", "not dout·γ/σ"),
    (BatchNormEvalUsesBatch, "batchnorm", "running statistics"),
], ids=lambda v: v if isinstance(v, str) else v.__name__)
def test_the_catalogue_names_each_typical_layer_mistake(layer, kind, expected, capsys):
    message = _hint_of(check_layer, layer, kind=kind)
    assert expected in message, message
    table = capsys.readouterr().out
    assert "FAIL" in table or "raised" in table


def _loss(value_fn, grad_fn):
    def loss(s, kind_or_target):
        return value_fn(s, kind_or_target), grad_fn(s, kind_or_target)
    return loss


def bce_on_probabilities(s, t):
    with np.errstate(all="warn"):
        p = 1 / (1 + np.exp(-s))
        return float(np.mean(-t * np.log(p) - (1 - t) * np.log(1 - p))), (p - t) / s.size


def bce_summed(s, t):
    value, grad = bce_with_logits(s, t)
    return value * s.size, grad * s.size


def generator_swapped(s, kind):
    return generator_loss(s, "non_saturating" if kind == "saturating" else "saturating")


def generator_wrong_sign(s, kind):
    value, grad = generator_loss(s, kind)
    return -value, -grad


def discriminator_swapped(real, fake):
    value_r, d_r = bce_with_logits(real, 0.0)
    value_f, d_f = bce_with_logits(fake, 1.0)
    return value_r + value_f, d_r, d_f


def generator_on_probabilities(s, kind):
    with np.errstate(all="warn"):
        d = 1 / (1 + np.exp(-s))
        if kind == "saturating":
            return float(np.mean(np.log(1 - d))), -d / s.size
        return float(np.mean(-np.log(d))), -(1 - d) / s.size


@pytest.mark.parametrize("fn, kind, expected", [
    (bce_on_probabilities, "bce", "probabilities"),
    (bce_summed, "bce", "MEAN over the batch"),
    (generator_swapped, "saturating", "swapped"),
    (generator_swapped, "non_saturating", "swapped"),
    (generator_wrong_sign, "non_saturating", "sign is wrong"),
    (generator_on_probabilities, "saturating", "probabilities"),
    (discriminator_swapped, "discriminator", "label 1 and fake ones label 0"),
])
def test_the_catalogue_names_each_typical_loss_mistake(fn, kind, expected):
    assert expected in _hint_of(check_loss, fn, kind)


def test_a_loss_on_probabilities_is_caught_even_with_right_gradients_elsewhere():
    # exact for moderate logits, so only the |s| = 1000 row can catch it
    def softplus_by_log(s, t):
        with np.errstate(all="warn"):
            value = float(np.mean(t * np.log1p(np.exp(-s)) + (1 - t) * np.log1p(np.exp(s))))
        return value, (sigmoid(s) - t) / s.size

    assert "probabilities" in _hint_of(check_loss, softplus_by_log, "bce")
    def stable(s, t):
        return float(np.mean(t * softplus(-s) + (1 - t) * softplus(s))), (sigmoid(s) - t) / s.size

    check_loss(stable, "bce", quiet=True)


def _through_d(variant):
    def generator_gradients(G, D, z, kind):
        if variant != "no zero_grad":
            G.zero_grad()
        logits = D.forward(G.forward(z))
        loss, dlogits = generator_loss(logits, kind if variant != "swapped" else
                                       ("saturating" if kind == "non_saturating" else "non_saturating"))
        dfake = D.backward(dlogits)
        if variant == "dlogits to G":
            G.backward(dlogits)
        else:
            G.backward(dfake)
        if variant == "steps D":
            for p in D.parameters():
                p.value[...] -= 0.01 * p.grad
        return loss
    return generator_gradients


@pytest.mark.parametrize("variant, expected", [
    ("swapped", "swapped"), ("dlogits to G", "D's input gradient"), ("steps D", "step only G"),
    ("no zero_grad", "G.zero_grad()"),
])
def test_the_generator_gradient_check_names_each_mistake(variant, expected):
    check_generator_gradient(_through_d(None), "non_saturating", quiet=True)
    assert expected in _hint_of(check_generator_gradient, _through_d(variant), "non_saturating")


def test_the_game_checks_pass_the_reference_and_name_mistakes():
    check_discriminator_step(reference_discriminator_step, quiet=True)
    check_generator_step(reference_generator_step, "saturating", quiet=True)

    def d_step_swapped(G, D, opt, x, z):
        return reference_discriminator_step(G, D, opt, x, z, real_label=0.0, fake_label=1.0)

    def d_step_moves_g(G, D, opt, x, z):
        G.layers[-1].params["b"] += 0.1
        return reference_discriminator_step(G, D, opt, x, z)

    def g_step_uphill(G, D, opt, z, kind):
        return reference_generator_step(G, D, opt, z, kind, sign=-1.0)

    assert "swapped" in _hint_of(check_discriminator_step, d_step_swapped)
    assert "G.predict" in _hint_of(check_discriminator_step, d_step_moves_g)
    assert "uphill" in _hint_of(check_generator_step, g_step_uphill, "non_saturating")


def _loop(variant):
    def train_gan(G, D, g_opt, d_opt, sample_data, sample_noise, kind, steps, k, batch_size, rng,
                  d_step=None, g_step=None):
        history = {"d_loss": [], "g_loss": []}
        x, z = sample_data(batch_size, rng), sample_noise(batch_size, rng)
        for _ in range(steps):
            for _ in range(k):
                if variant != "reused batch":
                    x, z = sample_data(batch_size, rng), sample_noise(batch_size, rng)
                d_loss = d_step(G, D, d_opt, x, z)
                if variant == "G inside":
                    g_step(G, D, g_opt, sample_noise(batch_size, rng), kind)
            if variant != "G inside":
                g_loss = g_step(G, D, g_opt, sample_noise(batch_size, rng), kind)
            history["d_loss"].append(d_loss)
            history["g_loss"].append(g_loss if variant != "G inside" else 0.0)
        return history
    return train_gan


def test_the_loop_check_reads_the_order_of_the_steps():
    check_training_loop(_loop("right"), quiet=True)
    assert "inside the k loop" in _hint_of(check_training_loop, _loop("G inside"))
    assert "new data and noise" in _hint_of(check_training_loop, _loop("reused batch"))


def test_a_check_of_unwritten_code_says_so_in_one_line(capsys):
    class Empty(Dense):
        def compute_forward(self, x, training):
            raise NotImplementedError()

    message = _hint_of(check_layer, Empty, kind="dense")
    assert message == ("Empty.compute_forward is not written yet (it raises NotImplementedError): "
                       "fill in its solution cell")


# ------------------------------------------------------------------------------ release, grade
def _toy_notebook():
    nb = nbformat.v4.new_notebook()
    solution = nbformat.v4.new_code_cell(
        "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    y = 2 * x\n    ### END SOLUTION\n    return y")
    solution.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": "f",
                                     "schema_version": 3}
    test = nbformat.v4.new_code_cell(
        "assert f(2) == 4, 'f(2) should be 4'\n"
        "### BEGIN HIDDEN TESTS\nassert f(3) == 6\n### END HIDDEN TESTS")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 2,
                                 "grade_id": "f_tests", "schema_version": 3}
    broken = nbformat.v4.new_code_cell("g = undefined_name")
    uses = nbformat.v4.new_code_cell("assert g == 1")
    uses.metadata["nbgrader"] = dict(test.metadata["nbgrader"], grade_id="g_tests", points=1)
    answer = nbformat.v4.new_markdown_cell("The answer is 42.")
    answer.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": "words",
                                   "schema_version": 3}
    nb.cells = [solution, test, broken, uses, answer]
    solution.outputs = [nbformat.v4.new_output("stream", text="old output")]
    solution.execution_count = 3
    return nb


def test_release_stubs_solutions_removes_hidden_tests_and_clears_outputs():
    student = release_notebook(json.loads(nbformat.writes(_toy_notebook())))
    cells = student["cells"]
    assert cells[0]["source"] == ("def f(x):\n    y = 1\n    # YOUR CODE HERE\n"
                                  "    raise NotImplementedError()\n    return y")
    assert cells[0]["outputs"] == [] and cells[0]["execution_count"] is None
    assert cells[1]["source"] == "assert f(2) == 4, 'f(2) should be 4'"
    assert cells[4]["source"] == "YOUR ANSWER HERE"
    assert cells[1]["metadata"]["nbgrader"]["points"] == 2  # metadata kept for grading


def test_release_rejects_broken_metadata_and_its_own_folder(tmp_path):
    nb = json.loads(nbformat.writes(_toy_notebook()))
    nb["cells"][3]["metadata"]["nbgrader"]["grade_id"] = "f_tests"
    with pytest.raises(ValueError, match="grade_id 'f_tests' is used twice"):
        release_notebook(nb)
    path = tmp_path / "toy.ipynb"
    nbformat.write(_toy_notebook(), path)
    with pytest.raises(ValueError, match="own folder"):
        release(path, tmp_path)


def test_grading_gives_points_per_exercise_and_one_line_per_failure(tmp_path):
    nb = _toy_notebook()
    report = grade_notebook(nb, "toy", tmp_path, in_process=True)
    assert [(e.grade_id, e.points) for e in report.exercises] == [("f_tests", 2), ("g_tests", 0)]
    assert report.exercises[1].message == ("NameError: name 'g' is not defined (an earlier cell failed "
                                           "first: NameError: name 'undefined_name' is not defined)")
    student = nbformat.from_dict(release_notebook(json.loads(nbformat.writes(_toy_notebook()))))
    report = grade_notebook(student, "toy", tmp_path, in_process=True)
    assert report.score == 0 and report.exercises[0].message == "NotImplementedError"


def test_the_course_command_releases_and_grades(tmp_path, capsys):
    path = tmp_path / "toy.ipynb"
    nbformat.write(_toy_notebook(), path)
    assert main(["course", "release", str(path), str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "toy.ipynb").exists()
    capsys.readouterr()
    assert main(["course", "grade", str(path), "--in-process", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["score"], report["max_score"]) == (2, 3)
    assert main(["course", "grade", str(tmp_path / "missing.ipynb")]) == 2
    assert "NOTEBOOK must be an existing .ipynb file" in capsys.readouterr().err


def test_without_nbformat_the_grade_command_names_the_extra(tmp_path, capsys, monkeypatch):
    path = tmp_path / "toy.ipynb"
    nbformat.write(_toy_notebook(), path)
    monkeypatch.setitem(__import__("sys").modules, "nbformat", None)  # as if not installed
    assert main(["course", "grade", str(path)]) == 2
    assert "pip install 'minigan[course]'" in capsys.readouterr().err


def test_the_theory_checks_name_their_mistakes():
    def by_ratio(p, q, x):
        return p.pdf(x) / (p.pdf(x) + q.pdf(x))

    def jsd(p, q, integrate, scale=1.0):
        lo, hi = min(p.mean - 12 * p.std, q.mean - 12 * q.std), max(p.mean + 12 * p.std, q.mean + 12 * q.std)

        def integrand(x):
            lp, lq = p.logpdf(x), q.logpdf(x)
            lm = np.logaddexp(lp, lq) - np.log(2)
            return 0.5 * np.exp(lp) * (lp - lm) + 0.5 * np.exp(lq) * (lq - lm)

        return scale * integrate(integrand, lo, hi, 4000)

    check_js_divergence(jsd, quiet=True)
    assert "log-densities" in _hint_of(check_optimal_discriminator, by_ratio)
    def in_bits(p, q, integrate):
        return jsd(p, q, integrate, 1 / np.log(2))

    def without_halves(p, q, integrate):
        return jsd(p, q, integrate, 2.0)

    assert "nats" in _hint_of(check_js_divergence, in_bits)
    assert "factors ½ are missing" in _hint_of(check_js_divergence, without_halves)
