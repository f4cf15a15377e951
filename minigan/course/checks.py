"""Checks a student can read: layers, losses, and the generator's gradient through D.

Each check runs the student's class or function in float64 on small seeded inputs and
prints one row per array:

- forward values against minigan's reference implementation;
- every gradient against central differences of the student's *own* forward pass
  (minigan.gradcheck: h = 1e-5, a random upstream gradient, never all ones);
- the contract: gradients accumulate (+=), eval mode leaves running statistics alone,
  losses stay finite and silent at |logit| = 1000.

Under a failing row it prints a hint when the numbers match a known mistake
(minigan.course.mistakes). If anything failed it raises ONE AssertionError with a one-line
message; a graded cell fails exactly when its check does.

    check_layer(Dense)                       # kind from the class name: dense, leakyrelu, ...
    check_layer(MyNorm, kind="batchnorm")
    check_loss(bce_with_logits, "bce")       # also "discriminator", "saturating", "non_saturating"
    check_generator_gradient(generator_gradients, "non_saturating")
"""

from __future__ import annotations

import copy
import warnings

import numpy as np

from .. import layers as reference_layers
from ..functions import sigmoid
from ..gradcheck import away_from_kink, input_farthest_from_kinks, numerical_gradient, numerical_gradients
from ..losses import bce_with_logits, discriminator_loss, generator_loss
from ..models import toy_discriminator, toy_generator
from . import mistakes
from .report import StudentCodeError, compare, describe_exception, fail_on_error, finish, matches

TOLERANCE = 1e-7
F64 = np.float64


# ------------------------------------------------------------------------------ plumbing
def call_student(where: str, fn, *args, **kwargs):
    """Run student code; turn any exception into a StudentCodeError with one line and a hint."""
    try:
        return fn(*args, **kwargs)
    except AssertionError:
        raise
    except Exception as err:  # noqa: BLE001 - the student's code may raise anything
        text = str(err)
        hint = ""
        if any(word in text for word in ("shape", "broadcast", "aligned", "matmul")):
            hint = mistakes.SHAPE_HINT if "dense" in where.lower() else mistakes.ANY_SHAPE_HINT
        raise StudentCodeError(describe_exception(where, err), hint) from None


def stable_call(fn, *args):
    """fn(*args) with floating-point warnings recorded instead of printed.
    Returns (result, list of warning messages)."""
    # underflow to 0 is the right answer far in a tail (exp(-1000)), so only overflow, 0/0 and
    # log(0) count as problems
    with warnings.catch_warnings(record=True) as caught, \
            np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
        warnings.simplefilter("always")
        result = fn(*args)
    return result, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def attach_hints(pairs, candidates) -> None:
    """pairs: (row, student array, key); candidates: (hint, {key: array}). A failing row gets
    the hint of the first mistake whose array for its key equals the student's."""
    for row, student, key in pairs:
        if row.passed or row.hint:
            continue
        for hint, arrays in candidates:
            if key in arrays and matches(student, arrays[key]):
                row.hint = hint
                break


# ------------------------------------------------------------------------------ layers
class _LayerSpec:
    """How to build a layer of one kind, its reference twin, an input, and its mistakes."""

    def __init__(self, title, args, kwargs, make_input, modes, mistakes_fn):
        self.title, self.args, self.kwargs = title, args, kwargs
        self.make_input, self.modes, self.mistakes_fn = make_input, modes, mistakes_fn


def _dense_input(rng):
    return rng.standard_normal((4, 6))


def _batchnorm_input(rng):
    return 3 + 2 * rng.standard_normal((8, 3))  # an offset and a scale for BatchNorm to remove


LAYER_SPECS = {
    "dense": _LayerSpec("Dense(6, 6)", (6, 6), {}, _dense_input, (True,), mistakes.dense_mistakes),
    "leakyrelu": _LayerSpec("LeakyReLU(alpha=0.1)", (), {"alpha": 0.1},
                            lambda rng: away_from_kink(rng, (4, 5)), (True,), mistakes.leaky_relu_mistakes),
    "sigmoid": _LayerSpec("Sigmoid()", (), {}, lambda rng: 3 * rng.standard_normal((4, 5)), (True,),
                          mistakes.sigmoid_mistakes),
    "batchnorm": _LayerSpec("BatchNorm(3)", (3,), {"momentum": 0.1, "eps": 1e-5}, _batchnorm_input,
                            (True, False), mistakes.batchnorm_mistakes),
}
_REFERENCE = {"dense": reference_layers.Dense, "leakyrelu": reference_layers.LeakyReLU,
              "sigmoid": reference_layers.Sigmoid, "batchnorm": reference_layers.BatchNorm}


def _reference_layer(kind, spec, rng):
    if kind == "dense":
        layer = reference_layers.Dense(*spec.args, rng=rng, dtype=F64)
        layer.params["b"][...] = rng.standard_normal(layer.params["b"].shape)
    elif kind == "batchnorm":
        layer = reference_layers.BatchNorm(*spec.args, dtype=F64, **spec.kwargs)
        n = spec.args[0]
        layer.params["gamma"][...] = 1 + 0.5 * rng.standard_normal(n)
        layer.params["beta"][...] = rng.standard_normal(n)
        layer.state["running_mean"][...] = rng.standard_normal(n)
        layer.state["running_var"][...] = 0.5 + rng.random(n)
    else:
        layer = _REFERENCE[kind](*spec.args, **spec.kwargs)
    return layer


def _student_layer(layer_class, kind, spec, reference):
    """Build the student's layer with the spec's arguments and the reference's numbers."""
    name = layer_class.__name__
    layer = call_student(f"{name}.__init__", layer_class, *spec.args, **spec.kwargs)
    for attr, ref in (("params", reference.params), ("state", reference.state)):
        mine = getattr(layer, attr, None)
        if not isinstance(mine, dict) or sorted(mine) != sorted(ref):
            got = sorted(mine) if isinstance(mine, dict) else mine
            raise StudentCodeError(f"{name}.{attr} should have the keys {sorted(ref)}, got {got}",
                                   "create them in __init__ (self._add_param(key, array) for params)")
        for key, value in ref.items():
            mine[key] = value.copy()
    layer.grads = {key: np.zeros_like(value) for key, value in reference.params.items()}
    return layer


def check_layer(layer_class, kind: str | None = None, seed: int = 0, tolerance: float = TOLERANCE,
                quiet: bool = False) -> None:
    """Check a student's Layer subclass (forward, backward, contract) against minigan's.

    ``kind`` is one of dense, leakyrelu, sigmoid, batchnorm (default: the class name in
    lower case). Prints a table; raises one AssertionError if anything is wrong."""
    kind = (kind or layer_class.__name__).lower().replace("_", "")
    if kind not in LAYER_SPECS:
        raise ValueError(f"check_layer: kind must be one of {', '.join(LAYER_SPECS)}, got {kind!r}")
    spec, name = LAYER_SPECS[kind], layer_class.__name__
    try:
        rows = []
        for training in spec.modes:
            rows += _layer_rows(layer_class, kind, spec, training, np.random.default_rng(seed), tolerance)
        if kind == "sigmoid":
            rows.append(_sigmoid_stability_row(layer_class, tolerance))
    except StudentCodeError as err:
        fail_on_error(name, err)
    title = (f"check_layer({name}) as {spec.title}: float64, random upstream gradient, "
             f"tolerance {tolerance:g}")
    return finish(name, title, rows, quiet)


def _layer_rows(layer_class, kind, spec, training, rng, tolerance):
    name = layer_class.__name__
    mode = "" if len(spec.modes) == 1 else (" [train]" if training else " [eval]")
    reference = _reference_layer(kind, spec, rng)
    student = _student_layer(layer_class, kind, spec, reference)
    x = spec.make_input(rng)
    ctx = {"x": x, "training": training, **{k: v.copy() for k, v in reference.params.items()},
           **{k: v.copy() for k, v in reference.state.items()}, **spec.kwargs}
    state_before = {k: v.copy() for k, v in reference.state.items()}

    out = call_student(f"{name}.compute_forward", student.forward, x.copy(), training)
    ref_out = reference.forward(x.copy(), training)
    upstream = rng.standard_normal(ref_out.shape)
    ctx["upstream"] = upstream
    candidates = spec.mistakes_fn(ctx)
    rows, pairs = [], []

    row = compare("out" + mode, f"minigan {type(reference).__name__}", out, ref_out, tolerance)
    rows.append(row)
    pairs.append((row, out, "out"))
    for key in reference.state:  # running statistics: moved in training mode, kept in eval
        expected = reference.state[key] if training else state_before[key]
        row = compare(key + mode, "minigan" if training else "unchanged", student.state[key],
                      expected, tolerance)
        if not training and not row.passed:
            row.hint = mistakes.EVAL_STATE_HINT
        rows.append(row)
        pairs.append((row, student.state[key].copy(), key))

    dx = call_student(f"{name}.compute_backward", student.backward, upstream)
    grads = {key: g.copy() for key, g in student.grads.items()}
    for key in reference.state:  # replay the forward from the same statistics
        student.state[key][...] = state_before[key]
    numeric = numerical_gradients(student, x, upstream, training)
    row = compare("dx" + mode, "central differences", _as_array(dx), numeric["input"], tolerance)
    rows.append(row)
    pairs.append((row, dx, "dx"))
    for key in reference.params:
        row = compare(f"d{key}{mode}", "central differences", grads[key], numeric[key], tolerance)
        rows.append(row)
        pairs.append((row, grads[key], "d" + key))
    attach_hints(pairs, candidates)

    if reference.params:  # a second backward must add to the gradients, not replace them
        call_student(f"{name}.forward", student.forward, x.copy(), training)
        call_student(f"{name}.backward", student.backward, upstream)
        doubled = np.concatenate([student.grads[k].ravel() for k in grads])
        once = np.concatenate([g.ravel() for g in grads.values()])
        row = compare("grads accumulate" + mode, "2 x one backward", doubled, 2 * once, tolerance)
        row.hint = "" if row.passed else mistakes.ACCUMULATE_HINT
        rows.append(row)
    return rows


def _as_array(value):
    return np.full((1,), np.nan) if value is None else value


def _sigmoid_stability_row(layer_class, tolerance):
    x = np.array([[-1000.0, -30.0, 0.0, 30.0, 1000.0]])
    layer = call_student(f"{layer_class.__name__}.__init__", layer_class)
    out, problems = stable_call(lambda: call_student(f"{layer_class.__name__}.compute_forward",
                                                     layer.forward, x, True, False))
    row = compare("out at |x| = 1000", "minigan Sigmoid", out, sigmoid(x), tolerance)
    if problems:
        row.error, row.note = np.inf, "warning"
    if not row.passed:
        row.hint = mistakes.SIGMOID_OVERFLOW_HINT
    return row


# ------------------------------------------------------------------------------ losses
LOSS_KINDS = ("bce", "discriminator", "saturating", "non_saturating")


def check_loss(fn, kind: str, seed: int = 0, tolerance: float = TOLERANCE, quiet: bool = False) -> None:
    """Check a student's loss on logits against minigan.losses and central differences.

    kind "bce":            fn(logits, target) -> (value, dvalue/dlogits), for targets 1 and 0
    kind "discriminator":  fn(real_logits, fake_logits) -> (value, d/d real, d/d fake)
    kind "saturating" / "non_saturating":  fn(fake_logits, kind) -> (value, dvalue/dlogits)

    Also runs the loss at |logit| = 1000, where it must give finite numbers and no warning."""
    kind = str(kind).replace("-", "_")
    if kind not in LOSS_KINDS:
        raise ValueError(f"check_loss: kind must be one of {', '.join(LOSS_KINDS)}, got {kind!r}")
    name = getattr(fn, "__name__", "loss")
    rng = np.random.default_rng(seed)
    try:
        if kind == "bce":
            rows = []
            for target in (1.0, 0.0):
                rows += _loss_rows(fn, name, kind, rng, tolerance, target)
        else:
            rows = _loss_rows(fn, name, kind, rng, tolerance)
    except StudentCodeError as err:
        fail_on_error(name, err)
    title = f"check_loss({name}, {kind!r}): float64, 6 logits per batch, tolerance {tolerance:g}"
    return finish(f"{name} ({kind})", title, rows, quiet)


def _loss_call(fn, name, kind, logits, target):
    """Run the student's loss on one batch (two for the discriminator) -> (value, [grads])."""
    if kind == "bce":
        result = call_student(name, fn, logits[0], target)
    elif kind == "discriminator":
        result = call_student(name, fn, logits[0], logits[1])
    else:
        result = call_student(name, fn, logits[0], kind)
    expected = 3 if kind == "discriminator" else 2
    if not isinstance(result, tuple) or len(result) != expected:
        what = "value, gradients" if expected == 3 else "value, gradient"
        raise StudentCodeError(f"{name} should return a tuple of {expected} items ({what}), "
                               f"got {type(result).__name__}")
    value, *grads = result
    return float(np.asarray(value)), list(grads)


def _reference_loss(kind, logits, target):
    if kind == "bce":
        value, grad = bce_with_logits(logits[0], target)
        return value, [grad]
    if kind == "discriminator":
        value, d_real, d_fake = discriminator_loss(logits[0], logits[1])
        return value, [d_real, d_fake]
    value, grad = generator_loss(logits[0], kind)
    return value, [grad]


def _loss_rows(fn, name, kind, rng, tolerance, target=None):
    suffix = "" if target is None else f" (t = {target:g})"
    n_batches = 2 if kind == "discriminator" else 1
    logits = [3 * rng.standard_normal((6, 1)) for _ in range(n_batches)]
    grad_labels = ["d_real", "d_fake"] if kind == "discriminator" else ["dlogits"]
    value, grads = _loss_call(fn, name, kind, logits, target)
    ref_value, _ = _reference_loss(kind, logits, target)
    ctx = {"kind": kind, "target": target, "n": 6, "logits": logits[0],
           "real_logits": logits[0], "fake_logits": logits[-1]}
    candidates = mistakes.loss_mistakes(ctx)

    rows, pairs = [], []
    row = compare("value" + suffix, "minigan.losses", value, ref_value, tolerance)
    rows.append(row)
    pairs.append((row, value, "value"))
    for i, (label, grad) in enumerate(zip(grad_labels, grads, strict=True)):
        work = [a.copy() for a in logits]

        def value_of(work=work):
            return _loss_call(fn, name, kind, work, target)[0]

        numeric = numerical_gradient(value_of, work[i]).reshape(work[i].shape)
        row = compare(label + suffix, "central differences", grad, numeric, tolerance)
        rows.append(row)
        pairs.append((row, grad, label))
    attach_hints(pairs, candidates)

    # |logit| = 1000: a loss written on probabilities overflows here
    big = [np.array([[-1000.0], [-30.0], [0.0], [30.0], [1000.0]]) * (1 if i == 0 else -1)
           for i in range(n_batches)]
    (value, grads), problems = stable_call(lambda: _loss_call(fn, name, kind, big, target))
    ref_value, ref_grads = _reference_loss(kind, big, target)
    student = np.concatenate([[value], *(np.ravel(g) for g in grads)])
    expected = np.concatenate([[ref_value], *(np.ravel(g) for g in ref_grads)])
    row = compare("value and gradient at |s| = 1000" + suffix, "minigan.losses", student, expected, tolerance)
    if problems:
        row.error, row.note = np.inf, "warning"
    if not row.passed and (problems or row.note):
        row.hint = mistakes.OVERFLOW_HINT
    rows.append(row)
    return rows


# ------------------------------------------------------------------------------ through D
def small_gan(seed: int = 0):
    """A small G (2 -> 8 -> 8 -> 2, tanh) and D (2 -> 8 -> 8 -> 1, LeakyReLU), float64, and a
    batch of noise z whose pre-activations in D stay away from LeakyReLU's kink."""
    G = toy_generator(noise_dim=2, out_dim=2, hidden=8, seed=seed + 1)
    D = toy_discriminator(in_dim=2, hidden=8, seed=seed + 2)
    z, _ = input_farthest_from_kinks([G, D], lambda r: r.standard_normal((6, 2)), tries=20)
    return G, D, z


def _reference_generator_grads(G, D, z, kind):
    G, D = copy.deepcopy(G), copy.deepcopy(D)
    G.zero_grad()
    logits = D.forward(G.forward(z))
    value, dlogits = generator_loss(logits, kind)
    G.backward(D.backward(dlogits))
    return value, [p.grad.copy() for p in G.parameters()]


def check_generator_gradient(fn, kind: str = "non_saturating", seed: int = 0,
                             tolerance: float = TOLERANCE, quiet: bool = False) -> None:
    """Check a student's fn(G, D, z, kind) -> loss value, which must fill G's gradients of
    the generator loss taken *through* D (back-propagating through D without stepping it).

    Each of G's gradients is compared with central differences of
    L(G) = generator_loss(D(G(z)), kind); D's parameters must be unchanged, and a second call
    must give the same gradients (G's gradients zeroed first)."""
    name = getattr(fn, "__name__", "generator_gradients")
    G, D, z = small_gan(seed)
    d_before = [p.value.copy() for p in D.parameters()]
    try:
        value = call_student(name, fn, G, D, z.copy(), kind)
        grads = [p.grad.copy() for p in G.parameters()]
        call_student(name, fn, G, D, z.copy(), kind)
        again = [p.grad.copy() for p in G.parameters()]
    except StudentCodeError as err:
        if "backward expects dout" in err.message:  # dlogits handed to G.backward
            err.hint = mistakes.THROUGH_D_HINT
        fail_on_error(name, err)
    # the student may have stepped D: measure with D as it was
    D_ref = copy.deepcopy(D)
    for p, v in zip(D_ref.parameters(), d_before, strict=True):
        p.value[...] = v
    ref_value, _ = _reference_generator_grads(G, D_ref, z, kind)

    def loss():
        return generator_loss(D_ref.predict(G.predict(z, training=True), training=True), kind)[0]

    rows, pairs = [], []
    row = compare("loss value", "minigan.losses", np.asarray(value, dtype=F64), ref_value, tolerance)
    rows.append(row)
    other = "saturating" if kind != "saturating" else "non_saturating"
    _, other_grads = _reference_generator_grads(G, D_ref, z, other)
    _, own_grads = _reference_generator_grads(G, D_ref, z, kind)
    for p, grad, alt, own in zip(G.parameters(), grads, other_grads, own_grads, strict=True):
        numeric = numerical_gradient(loss, p.value).reshape(p.value.shape)
        row = compare("G " + p.name, "central differences", grad, numeric, tolerance)
        rows.append(row)
        pairs.append((row, grad, p.name))
        candidates = [(mistakes.SWAPPED_HINT, {p.name: alt}),
                      ("the gradient has the wrong sign: descend the generator loss", {p.name: -own})]
        attach_hints([pairs[-1]], candidates)
    row = compare("D's parameters unchanged", "before the call",
                  np.concatenate([p.value.ravel() for p in D.parameters()]),
                  np.concatenate([v.ravel() for v in d_before]), 0.0)
    row.hint = "" if row.passed else mistakes.D_CHANGED_HINT
    rows.append(row)
    row = compare("second call, same gradients", "first call", np.concatenate([g.ravel() for g in again]),
                  np.concatenate([g.ravel() for g in grads]), tolerance)
    row.hint = "" if row.passed else "set G's gradients to zero first (G.zero_grad()): backward adds to them"
    rows.append(row)
    title = (f"check_generator_gradient({name}, {kind!r}): G 2-8-8-2 (tanh), D 2-8-8-1 (LeakyReLU), "
             f"float64, tolerance {tolerance:g}")
    return finish(name, title, rows, quiet)
