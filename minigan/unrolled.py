"""Unrolled GAN (Metz, Poole, Pfau & Sohl-Dickstein, 2017).

G is trained against the discriminator it *will* face: K steps of D's optimizer, taken on a
copy of D's parameters theta, give theta_K(phi), which depends on G's parameters phi because
D's loss sees G's samples. G descends

    f_K(phi) = L_G(phi, theta_K(phi)),   theta_0 = theta,
    theta_{k+1} = theta_k - eta grad_theta L_D(theta_k, phi)      (SGD steps, learning rate eta)

Its exact gradient (the chain rule through the K updates, in reverse order):

    df/dphi = dL_G/dphi |theta_K fixed                                  (the "direct" term)
              + sum_k  -eta * d/dphi < v_{k+1}, grad_theta L_D(theta_k, phi) >
    v_K = dL_G/dtheta_K,     v_k = v_{k+1} - eta H_k v_{k+1},   H_k = d^2 L_D / dtheta^2 at theta_k

Both second-order quantities are derivatives of the scalar <v, grad_theta L_D>: its gradient
in theta is the Hessian-vector product H v, and its gradient in phi goes through the fake
samples x_f = G(z): d/dx_f <v, grad_theta L_D> = (d^2 L_D / dx dtheta) v (mixed partials
commute), then G's ordinary backward. Both come out of one pass of Pearlmutter's R-operator
("forward over reverse"): push the direction v through D's forward pass (R{a} = R{h} W + h V_W
+ V_b for a Dense layer, R{s(a)} = s'(a) R{a}), then differentiate the backward pass along it:

    R{delta_out} = l''(s) R{s}                        (l: the D loss on one logit, with its 1/N)
    activation:  R{delta_a} = s''(a) R{a} delta_h + s'(a) R{delta_h}   (maxout: the winners' scatter)
    Dense:       R{dW} = R{h}^T delta + h^T R{delta},  R{db} = sum R{delta},
                 R{delta_in} = R{delta} W^T + delta V_W^T
    H v = R{d theta},   (d^2 L_D / dx dtheta) v = R{delta_in} at the input

"approximate" drops the sum: G's gradient is taken through D_{theta_K} as if theta_K did not
depend on phi (the cheaper variant many implementations use). With K = 0 both are the plain
generator step. The exact gradient is implemented for SGD unrolling steps; with Adam steps
(unroll="adam", starting from D's optimizer moments) only the approximation is offered: the
exact one would also differentiate Adam's update m_hat / (sqrt(v_hat) + eps) in theta
(its Jacobian is diagonal in the gradient but the moments carry the history), which is not
written here.

D must be a Sequential of layers with rules in minigan.double_backward (Dense, LeakyReLU,
ReLU, Tanh, Sigmoid, maxout's MaxPieces, Flatten, Reshape; no BatchNorm), the D loss one
whose second derivative in the logit is known: the BCE losses, LSGAN, hinge.
"""

from __future__ import annotations

import numpy as np

from .double_backward import RULES
from .functions import sigmoid
from .layers import Dense
from .losses import bce_with_logits
from .network import Sequential
from .objectives import lsgan_coding
from .trainers import ObjectiveGANTrainer

UNROLL_OPTIMIZERS = ("sgd", "adam")
UNROLLED_LOSSES = ("saturating", "non_saturating", "lsgan", "lsgan_theorem1", "hinge")


# ----------------------------------------------------------------------------- D as a function
def _check_network(D: Sequential) -> None:
    for layer in D.layers:
        if type(layer) not in RULES:
            raise ValueError(f"unrolled GAN: D's layer '{layer.name}' ({type(layer).__name__}) is not "
                             f"supported; D must be built from {', '.join(c.__name__ for c in RULES)}")


def parameters_of(D: Sequential) -> dict[str, np.ndarray]:
    """A copy of D's parameters theta, keyed like D.parameters() ('dense.W', ...)."""
    return {p.name: p.value.copy() for p in D.parameters()}


def d_loss_terms(loss: str, real_label: float = 1.0):
    """(real term, fake term) of D's loss, each s -> (value, l'(s), l''(s)) with the 1/N."""
    if loss in ("saturating", "non_saturating"):
        def bce(t):
            def term(s):
                value, d1 = bce_with_logits(s, t)
                return value, d1, sigmoid(s) * sigmoid(-s) / s.size
            return term
        return bce(real_label), bce(0.0)
    if loss.startswith("lsgan"):
        a, b, _ = lsgan_coding("theorem1" if loss == "lsgan_theorem1" else "zero_one")

        def ls(target):
            def term(s):
                e = s - target
                return float(0.5 * np.mean(e * e)), e / s.size, np.full_like(s, 1.0 / s.size)
            return term
        return ls(b), ls(a)
    if loss == "hinge":
        def real(s):
            return float(np.mean(np.maximum(1 - s, 0))), -(s < 1).astype(s.dtype) / s.size, np.zeros_like(s)

        def fake(s):
            return float(np.mean(np.maximum(1 + s, 0))), (s > -1).astype(s.dtype) / s.size, np.zeros_like(s)
        return real, fake
    raise ValueError(f"unrolled GAN: loss must be one of {', '.join(UNROLLED_LOSSES)}, got {loss!r}")


def _forward(D: Sequential, theta: dict, x: np.ndarray):
    """h_0 = x, ..., h_L = logits, with D's layers evaluated at parameters theta."""
    hs = [x]
    for layer in D.layers:
        h = hs[-1]
        if isinstance(layer, Dense):
            hs.append(h @ theta[f"{layer.name}.W"] + theta[f"{layer.name}.b"])
        else:
            hs.append(RULES[type(layer)].forward(layer, h))
    return hs


def loss_grad(D: Sequential, theta: dict, x: np.ndarray, term, direction: dict | None = None):
    """One term of D's loss at parameters theta on batch x: returns (value, grad_theta,
    grad_x, H v, (d^2 / dx dtheta) v), the last two only with ``direction`` = v (else None):
    Pearlmutter's R-operator through the forward and backward passes (see the module)."""
    hs = _forward(D, theta, x)
    layers = D.layers
    value, delta, d2 = term(hs[-1])
    Rh = None
    if direction is not None:  # R-forward: the change of every h along theta + t v
        Rh = [np.zeros_like(x)]
        for i, layer in enumerate(layers):
            h, r = hs[i], Rh[-1]
            if isinstance(layer, Dense):
                Rh.append(r @ theta[f"{layer.name}.W"] + h @ direction[f"{layer.name}.W"]
                          + direction[f"{layer.name}.b"])
            else:  # J r: slope * r for an activation, a gather for maxout, a reshape
                Rh.append(RULES[type(layer)].jvp(layer, h, hs[i + 1], r))
        Rdelta = d2 * Rh[-1]
    grads, Rgrads = {}, {}
    for i in range(len(layers) - 1, -1, -1):
        layer, h = layers[i], hs[i]
        if isinstance(layer, Dense):
            W, name = theta[f"{layer.name}.W"], layer.name
            grads[f"{name}.W"], grads[f"{name}.b"] = h.T @ delta, delta.sum(axis=0)
            if Rh is not None:
                Rgrads[f"{name}.W"] = Rh[i].T @ delta + h.T @ Rdelta
                Rgrads[f"{name}.b"] = Rdelta.sum(axis=0)
                Rdelta = Rdelta @ W.T + delta @ direction[f"{name}.W"].T
            delta = delta @ W.T
        else:
            rule, out = RULES[type(layer)], hs[i + 1]
            if Rh is not None:
                curvature = rule.curvature(layer, h, out) if hasattr(rule, "curvature") else None
                Rdelta = rule.vjp(layer, h, out, Rdelta) + (0 if curvature is None
                                                            else curvature * Rh[i] * delta)
            delta = rule.vjp(layer, h, out, delta)
    if Rh is None:
        return value, grads, delta, None, None
    return value, grads, delta, Rgrads, Rdelta


# ----------------------------------------------------------------------------- the trainer
class UnrolledGANTrainer(ObjectiveGANTrainer):
    """ObjectiveGANTrainer whose generator step looks ``unroll_steps`` = K steps of D ahead.

    D's own steps are unchanged (k per iteration, its optimizer). For G's step, K unrolling
    steps are taken on a copy of D's parameters, each on a fresh real batch and fresh fake
    samples (kept for the backward pass): SGD with learning rate ``unroll_lr`` (default: D's
    optimizer's lr), or "adam" (D's optimizer's moments, step count and lr, copied). ``exact``
    adds the gradient through the unrolled updates (SGD only); otherwise theta_K is treated as
    fixed. The history adds "unrolled_d_loss" (D's loss at the last unrolling step)."""

    RECORDED = ObjectiveGANTrainer.RECORDED + ("unrolled_d_loss",)

    def __init__(self, *args, unroll_steps: int = 5, unroll: str = "sgd", exact: bool = True,
                 unroll_lr: float | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.objective.name not in UNROLLED_LOSSES:
            raise ValueError(f"unrolled GAN: loss must be one of {', '.join(UNROLLED_LOSSES)}, "
                             f"got {self.objective.name!r}")
        if self.penalty is not None:
            raise ValueError(f"unrolled GAN: penalty {self.penalty!r} is not supported with unrolling")
        if isinstance(unroll_steps, bool) or not isinstance(unroll_steps, (int, np.integer)) \
                or unroll_steps < 0:
            raise ValueError(f"unroll_steps must be a non-negative integer, got {unroll_steps!r}")
        if unroll not in UNROLL_OPTIMIZERS:
            raise ValueError(f"unroll must be one of {', '.join(UNROLL_OPTIMIZERS)}, got {unroll!r}")
        if unroll == "adam" and exact:
            raise ValueError("unrolled GAN: the exact gradient through Adam's unrolling steps is not "
                             "implemented; use unroll='sgd' or exact=False")
        if unroll == "adam" and not hasattr(self.d_opt, "b1"):
            raise ValueError("unroll='adam' copies D's Adam moments: D's optimizer must be Adam, "
                             f"got {type(self.d_opt).__name__}")
        lr = self.d_opt.lr if unroll_lr is None else unroll_lr
        if not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
            raise ValueError(f"unroll_lr must be a positive number, got {unroll_lr!r}")
        _check_network(self.D)
        self.unroll_steps, self.unroll = int(unroll_steps), unroll
        self.exact, self.unroll_lr = bool(exact), float(lr)
        self.terms = d_loss_terms(self.objective.name, self.real_label)
        self.last_unrolled_loss = 0.0

    def _unroll(self, theta: dict, batches: list) -> tuple[list[dict], float]:
        """theta_0 .. theta_K along the batches; returns the list and the last D loss."""
        thetas, value = [theta], 0.0
        if self.unroll == "adam":
            opt = self.d_opt
            m = {k: opt.slots.get("m", {}).get(k, np.zeros_like(v)).copy() for k, v in theta.items()}
            v2 = {k: opt.slots.get("v", {}).get(k, np.zeros_like(v)).copy() for k, v in theta.items()}
            t = opt.t
        for x_real, x_fake in batches:
            th = thetas[-1]
            vr, gr, *_ = loss_grad(self.D, th, x_real, self.terms[0])
            vf, gf, *_ = loss_grad(self.D, th, x_fake, self.terms[1])
            value = vr + vf
            if self.unroll == "sgd":
                thetas.append({k: th[k] - self.unroll_lr * (gr[k] + gf[k]) for k in th})
            else:
                t += 1
                new = {}
                for k in th:
                    g = gr[k] + gf[k]
                    m[k] = opt.b1 * m[k] + (1 - opt.b1) * g
                    v2[k] = opt.b2 * v2[k] + (1 - opt.b2) * g * g
                    step = (m[k] / (1 - opt.b1 ** t)) / (np.sqrt(v2[k] / (1 - opt.b2 ** t)) + opt.eps)
                    new[k] = th[k] - opt.lr * step
                thetas.append(new)
        return thetas, value

    def generator_step(self) -> tuple[float, float]:
        """One descent step on f_K(phi) (exact or approximate gradient). Returns (loss, mean
        D_{theta_K}(G(z)) or score)."""
        m = self.batch_size * self.pack
        # the batches of the unrolling steps: real data and noise, drawn now and kept
        noises, batches = [], []
        for _ in range(self.unroll_steps):
            x_real = self.packed(self.sample_data(m, self.rng))
            z = self.sample_noise(m, self.rng)
            noises.append(z)
            batches.append((x_real, self.packed(self.G.forward(z, training=True, remember=False))))
        z_g = self.sample_noise(m, self.rng)
        self.g_opt.zero_grad()
        loss, logits = unrolled_generator_backward(self, parameters_of(self.D), batches, noises, z_g)
        self.g_opt.step()
        return loss, self._summary(logits)

    def iterate(self) -> dict[str, float]:
        record = super().iterate()
        record["unrolled_d_loss"] = float(self.last_unrolled_loss)
        return record


def unrolled_generator_backward(trainer: UnrolledGANTrainer, theta: dict, batches: list, noises: list,
                                z_g: np.ndarray) -> tuple[float, np.ndarray]:
    """Accumulate df_K/dphi into G's grads for fixed batches (the unrolling steps' real
    batches and fake samples with their noises, and G's own noise z_g). Returns (f_K, logits)."""
    t, G, D = trainer, trainer.G, trainer.D
    thetas, t.last_unrolled_loss = t._unroll(theta, batches)
    fake = G.forward(z_g, training=True)
    hs = _forward(D, thetas[-1], t.packed(fake))
    logits = hs[-1]
    loss, dlogits = t.objective.g_loss(logits)
    # the direct term, and v_K = dL_G/dtheta_K: one backward through D_{theta_K}
    _, v, dx, _, _ = loss_grad(D, thetas[-1], t.packed(fake), lambda s: (loss, dlogits, None))
    G.backward(t.unpacked(dx), need_input_grad=False)
    if t.exact and t.unroll_steps:
        eta = t.unroll_lr
        for k in range(t.unroll_steps - 1, -1, -1):
            x_real, x_fake = batches[k]
            _, _, _, hv_real, _ = loss_grad(D, thetas[k], x_real, t.terms[0], v)
            _, _, _, hv_fake, mixed = loss_grad(D, thetas[k], x_fake, t.terms[1], v)
            G.forward(noises[k], training=True)  # G's caches for this batch's backward
            G.backward(t.unpacked(-eta * mixed), need_input_grad=False)
            v = {key: v[key] - eta * (hv_real[key] + hv_fake[key]) for key in v}
    return loss, logits


def unrolled_loss(trainer: UnrolledGANTrainer, theta: dict, batches_noise: list, noises: list,
                  z_g: np.ndarray) -> float:
    """f_K(phi) for fixed real batches and noises, recomputing the fake samples from G's current
    parameters (what a finite-difference check of the exact gradient perturbs)."""
    t = trainer
    batches = [(x_real, t.packed(t.G.forward(z, training=True, remember=False)))
               for (x_real, _), z in zip(batches_noise, noises, strict=True)]
    thetas, _ = t._unroll(theta, batches)
    logits = _forward(t.D, thetas[-1], t.packed(t.G.forward(z_g, training=True, remember=False)))[-1]
    return t.objective.g_loss(logits)[0]
