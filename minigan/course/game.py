"""Checks for the game itself (assignment A3): one discriminator step, one generator step, and
the loop of Algorithm 1 (k discriminator steps per generator step).

The step checks run the student's step and minigan's reference step from identical small
networks, data and noise, with plain SGD (so a parameter after a step is exactly
before - lr * gradient), twice in a row: the second step shows whether the gradients were
zeroed first. The loop check hands the student's loop recording stand-ins for the two steps
and reads back the order of the calls, the batch sizes and whether each step drew fresh
samples, so it does not depend on the student's steps being right.

    check_discriminator_step(discriminator_step)   # fn(G, D, d_opt, x_real, z) -> loss
    check_generator_step(generator_step)           # fn(G, D, g_opt, z, kind) -> loss
    check_training_loop(train_gan)                 # see check_training_loop's docstring
"""

from __future__ import annotations

import copy

import numpy as np

from ..losses import bce_with_logits, generator_loss
from ..models import toy_discriminator, toy_generator
from ..optim import SGD
from . import mistakes
from .checks import TOLERANCE, attach_hints, call_student
from .report import Row, StudentCodeError, compare, fail_on_error, finish

LR = 0.05


def _models(seed):
    return toy_generator(seed=seed + 1), toy_discriminator(seed=seed + 2)


def _flat(model):
    return np.concatenate([p.value.ravel() for p in model.parameters()])


def reference_discriminator_step(G, D, d_opt, x_real, z, real_label=1.0, fake_label=0.0,
                                 zero_grad=True):
    """One descent step on D's loss -[mean log D(x) + mean log(1 - D(G(z)))]."""
    if zero_grad:
        d_opt.zero_grad()
    fake = G.predict(z, training=True)
    real_loss, d_real = bce_with_logits(D.forward(x_real), real_label)
    D.backward(d_real)
    fake_loss, d_fake = bce_with_logits(D.forward(fake), fake_label)
    D.backward(d_fake)
    d_opt.step()
    return real_loss + fake_loss


def reference_generator_step(G, D, g_opt, z, kind, zero_grad=True, sign=1.0):
    """One descent step on the generator loss, back-propagated through D (D is not stepped)."""
    if zero_grad:
        g_opt.zero_grad()
    logits = D.forward(G.forward(z))
    loss, dlogits = generator_loss(logits, kind)
    G.backward(D.backward(sign * dlogits))
    g_opt.step()
    return loss


def _two_steps(step, models, make_opt, batches):
    """Run step twice on copies of the models; return (losses, each step's parameter changes)."""
    G, D = copy.deepcopy(models[0]), copy.deepcopy(models[1])
    opt = make_opt(G, D)
    losses, after = [], []
    for batch in batches:
        before = (_flat(G), _flat(D))
        losses.append(step(G, D, opt, *[b.copy() if isinstance(b, np.ndarray) else b for b in batch]))
        after.append((_flat(G) - before[0], _flat(D) - before[1]))  # what the step changed
    return losses, after


def _step_check(name, fn, models, make_opt, batches, reference, variants, which, tolerance, quiet,
                title) -> None:
    """Shared by both step checks. which: index of the player that should move (0 G, 1 D)."""
    try:
        losses, after = _two_steps(lambda *a: call_student(name, fn, *a), models, make_opt, batches)
    except StudentCodeError as err:
        fail_on_error(name, err)
    ref_losses, ref_after = _two_steps(reference, models, make_opt, batches)
    player, other = ("G", "D") if which == 0 else ("D", "G")
    rows, pairs = [], []
    row = compare("loss (step 1)", "minigan.losses", np.asarray(losses[0], dtype=float), ref_losses[0],
                  tolerance)
    rows.append(row)
    for i in (0, 1):
        row = compare(f"step {i + 1}: change of {player}'s parameters", "reference step", after[i][which],
                      ref_after[i][which], tolerance)
        rows.append(row)
        pairs.append((row, after[i][which], f"step{i + 1}"))
    row = compare(f"{other}'s parameters unchanged", "before the steps",
                  np.concatenate([after[0][1 - which], after[1][1 - which]]),
                  np.zeros(2 * after[0][1 - which].size), 0.0)
    row.hint = "" if row.passed else (mistakes.D_CHANGED_HINT if which == 0 else mistakes.G_CHANGED_HINT)
    rows.append(row)
    candidates = []
    for hint, step in variants:
        _, alt = _two_steps(step, models, make_opt, batches)
        candidates.append((hint, {"step1": alt[0][which], "step2": alt[1][which]}))
    candidates.append((mistakes.ZERO_GRAD_HINT, {"step2": _two_steps(
        lambda *a: reference(*a, zero_grad=False), models, make_opt, batches)[1][1][which]}))
    attach_hints(pairs, candidates)
    return finish(name, title, rows, quiet)


def check_discriminator_step(fn, seed: int = 0, tolerance: float = TOLERANCE, quiet: bool = False) -> None:
    """Check fn(G, D, d_opt, x_real, z) -> loss: one descent step on D's loss (labels 1 for
    real, 0 for fake), stepping only D. Two steps with SGD(lr=0.05) on two batches."""
    name = getattr(fn, "__name__", "discriminator_step")
    rng = np.random.default_rng(seed)
    batches = [(rng.normal(0, 1, (16, 1)), rng.standard_normal((16, 1))) for _ in range(2)]
    variants = [("real samples have label 1 and fake ones label 0; yours are swapped",
                 lambda *a: reference_discriminator_step(*a, real_label=0.0, fake_label=1.0))]
    title = f"check_discriminator_step({name}): toy G and D, SGD lr {LR:g}, two batches of 16"
    return _step_check(name, fn, _models(seed), lambda G, D: SGD(D.parameters(), lr=LR), batches,
                       reference_discriminator_step, variants, 1, tolerance, quiet, title)


def check_generator_step(fn, kind: str = "non_saturating", seed: int = 0, tolerance: float = TOLERANCE,
                         quiet: bool = False) -> None:
    """Check fn(G, D, g_opt, z, kind) -> loss: one descent step on the generator loss through D,
    stepping only G. Two steps with SGD(lr=0.05)."""
    name = getattr(fn, "__name__", "generator_step")
    rng = np.random.default_rng(seed)
    batches = [(rng.standard_normal((16, 1)), kind) for _ in range(2)]
    other = "saturating" if kind == "non_saturating" else "non_saturating"

    def swapped(G, D, opt, z, kind):
        return reference_generator_step(G, D, opt, z, other)

    def uphill(G, D, opt, z, kind):
        return reference_generator_step(G, D, opt, z, kind, sign=-1.0)

    variants = [(mistakes.SWAPPED_HINT, swapped),
                ("the step goes uphill: the generator descends its loss", uphill)]
    title = f"check_generator_step({name}, {kind!r}): toy G and D, SGD lr {LR:g}, two batches of 16"
    return _step_check(name, fn, _models(seed), lambda G, D: SGD(G.parameters(), lr=LR), batches,
                       reference_generator_step, variants, 0, tolerance, quiet, title)


def check_training_loop(fn, quiet: bool = False) -> None:
    """Check the loop of Algorithm 1:

        fn(G, D, g_opt, d_opt, sample_data, sample_noise, kind, steps, k, batch_size, rng,
           d_step, g_step) -> history with lists "d_loss" and "g_loss" (one entry per iteration)

    with stand-ins for d_step(G, D, d_opt, x_real, z) and g_step(G, D, g_opt, z, kind) that
    only record their calls. Expected, for steps = 4, k = 3: D D D G four times, every step
    with fresh batches of batch_size samples drawn from rng, and the kind passed on."""
    name = getattr(fn, "__name__", "train_gan")
    calls = []

    def d_step(G, D, d_opt, x_real, z):
        calls.append(("D", np.array(x_real, copy=True), np.array(z, copy=True)))
        return 0.5 + len(calls)

    def g_step(G, D, g_opt, z, kind):
        calls.append(("G", np.array(z, copy=True), kind))
        return -float(len(calls))

    G, D = _models(0)
    steps, k, batch = 4, 3, 5
    try:
        history = call_student(name, fn, G, D, SGD(G.parameters(), lr=LR), SGD(D.parameters(), lr=LR),
                               lambda n, rng: rng.normal(0.0, 1.0, (n, 1)),
                               lambda n, rng: rng.standard_normal((n, 1)), "saturating", steps, k, batch,
                               np.random.default_rng(0), d_step=d_step, g_step=g_step)
    except StudentCodeError as err:
        fail_on_error(name, err)
    order = "".join(c[0] for c in calls)
    expected = ("D" * k + "G") * steps
    rows = [_flag("order of the steps", f"({'D' * k}G) x {steps}", order == expected,
                  order if len(order) <= 24 else order[:21] + "...", _order_hint(order, steps, k))]
    sizes = [c[1].shape[0] for c in calls] + [c[2].shape[0] for c in calls if c[0] == "D"]
    rows.append(_flag("batch sizes", f"{batch} samples", bool(calls) and all(s == batch for s in sizes),
                      f"{sorted(set(sizes))}", "draw batch_size samples for each batch"))
    drawn = [c[1] for c in calls] + [c[2] for c in calls if c[0] == "D"]
    fresh = len({a.tobytes() for a in drawn}) == len(drawn)
    rows.append(_flag("fresh samples every step", "all batches differ", bool(drawn) and fresh,
                      "" if fresh else "repeated",
                      "draw new data and noise inside the loops, for every step "
                      "(sample_data(batch_size, rng))"))
    kinds = {c[2] for c in calls if c[0] == "G"}
    rows.append(_flag("kind passed to g_step", "'saturating'", kinds == {"saturating"}, str(sorted(kinds)),
                      "pass the loop's kind on to g_step"))
    ok = isinstance(history, dict) and all(len(history.get(key, [])) == steps for key in ("d_loss", "g_loss"))
    rows.append(_flag("history", f"{steps} d_loss and g_loss", ok, "" if ok else "wrong",
                      "return {'d_loss': [...], 'g_loss': [...]} with one entry per iteration (the last "
                      "discriminator loss of the iteration, and the generator loss)"))
    title = f"check_training_loop({name}): steps = {steps}, k = {k}, batch_size = {batch}, recorded calls"
    return finish(name, title, rows, quiet)


def _flag(what, against, ok, note, hint):
    return Row(what, against, 0.0 if ok else np.inf, 0.0, hint="" if ok else hint, note=note or "ok")


def _order_hint(order, steps, k):
    if order == "DG" * steps:
        return "k is ignored: each iteration takes k discriminator steps, then one generator step"
    if order == ("D" + "G") * (steps * k) or order == "DG" * (steps * k):
        return "the generator step is inside the k loop: it belongs after the k discriminator steps"
    if order == "D" * (steps * k) + "G" * steps or order == "D" * (steps * k) + "G":
        return "all the discriminator steps come first: alternate, k D steps then one G step per iteration"
    if order == ("G" + "D" * k) * steps:
        return "the generator step comes first; Algorithm 1 trains D k times, then G once"
    return "each of the `steps` iterations: k calls of d_step, then one call of g_step"
