"""An exact second-order backward: the gradient, with respect to D's parameters, of a loss
that depends on D's input gradient g = dD/dx. This is what a gradient penalty needs
(WGAN-GP's lambda (|g| - 1)^2, R1's gamma/2 |g|^2), and it is a derivative of a derivative.

The computation. A forward pass h_l = f_l(h_{l-1}) (h_0 = x), then the first backward
pass d_{l-1} = J_l(h_{l-1})^T d_l from d_L = u (u = 1 per sample: g_n = dD(x_n)/dx_n), give
g = d_0. A loss Phi(g) is a function of everything in both passes, so reverse mode runs
through both, in reverse order of computation, carrying a_l = dPhi/dd_l and b_l = dPhi/dh_l:

  1. through the first backward pass, from layer 1 up to L: d_{l-1} = J_l^T d_l is linear in
     d_l, so a_l = J_l a_{l-1} (a forward-mode product, a "JVP"), starting from a_0 = dPhi/dg;
     and d_{l-1} also depends on h_{l-1} and on the layer's parameters theta_l:
        b_{l-1} += d/dh_{l-1} <a_{l-1}, J_l^T d_l>,     dPhi/dtheta_l += d/dtheta_l <a_{l-1}, J_l^T d_l>
  2. through the forward pass, from layer L down to 1, the ordinary backward:
        b_{l-1} += J_l^T b_l,     dPhi/dtheta_l += (d h_l / d theta_l)^T b_l

Per layer that takes four rules (keyed by layer class, below): forward, vjp (J^T v), jvp
(J v) and second (the two derivatives of <a, J^T d>):

  Dense h W + b:      vjp d W^T;  jvp a W;  <a, d W^T> = sum a_ni W_ij d_nj: dW = a^T d, dh = 0
  elementwise s(h):   vjp s'(h) d;  jvp s'(h) a;  <a, s'(h) d>: dh = s''(h) a d, no params
                      (s'' = 0 for (Leaky)ReLU away from 0; Tanh t: -2 t (1 - t^2);
                       Sigmoid s: s (1 - s)(1 - 2 s))
  Flatten, Reshape:   reshapes both ways; no second-order term
  MaxPieces (maxout): gathers / scatters at each unit's winning piece; no second-order term

The rules use only the layers' public params and attributes, and this module runs its own
forward pass with its own cache, so it does not depend on how the layers cache.
BatchNorm is refused: its batch statistics couple the samples (dD(x_n)/dx_m != 0), so
"the gradient at each sample" is no longer per sample, and it has no rules here. Dropout and
convolutions are refused too (no rules yet).
"""

from __future__ import annotations

import math

import numpy as np

from .functions import sigmoid
from .layers import Dense, Flatten, LeakyReLU, ReLU, Reshape, Sigmoid, Tanh
from .layers.maxpieces import MaxPieces
from .network import Sequential


# ----------------------------------------------------------------------------- the rules
class _Rule:
    """forward(layer, h) -> out; vjp(layer, h, out, d) -> J^T d; jvp(layer, h, out, a) -> J a;
    second(layer, h, out, a, d) -> (d<a, J^T d>/dh or None, {param: d<a, J^T d>/dparam});
    param_vjp(layer, h, out, b) -> {param: (dout/dparam)^T b}."""

    def second(self, layer, h, out, a, d):
        return None, {}

    def param_vjp(self, layer, h, out, b):
        return {}


class _DenseRule(_Rule):
    def forward(self, layer, h):
        return h @ layer.params["W"] + layer.params["b"]

    def vjp(self, layer, h, out, d):
        return d @ layer.params["W"].T

    def jvp(self, layer, h, out, a):
        return a @ layer.params["W"]  # the bias adds a constant: no part in J

    def second(self, layer, h, out, a, d):
        return None, {"W": a.T @ d, "b": np.zeros_like(layer.params["b"])}

    def param_vjp(self, layer, h, out, b):
        return {"W": h.T @ b, "b": b.sum(axis=0)}


class _ElementwiseRule(_Rule):
    """out = s(h) elementwise; subclasses give s'(h) and s''(h) from h and out."""

    def vjp(self, layer, h, out, d):
        return self.slope(layer, h, out) * d

    jvp = vjp  # J is diagonal: J a = J^T a

    def second(self, layer, h, out, a, d):
        curvature = self.curvature(layer, h, out)
        return (None if curvature is None else curvature * a * d), {}


class _LeakyReLURule(_ElementwiseRule):
    def forward(self, layer, h):
        return np.where(h > 0, h, layer.alpha * h)

    def slope(self, layer, h, out):
        return np.where(h > 0, 1.0, layer.alpha).astype(h.dtype)

    def curvature(self, layer, h, out):
        return None  # piecewise linear: s'' = 0 wherever it exists


class _TanhRule(_ElementwiseRule):
    def forward(self, layer, h):
        return np.tanh(h)

    def slope(self, layer, h, out):
        return 1 - out * out

    def curvature(self, layer, h, out):
        return -2 * out * (1 - out * out)


class _SigmoidRule(_ElementwiseRule):
    def forward(self, layer, h):
        return sigmoid(h)

    def slope(self, layer, h, out):
        return out * (1 - out)

    def curvature(self, layer, h, out):
        return out * (1 - out) * (1 - 2 * out)


class _ReshapeRule(_Rule):
    def forward(self, layer, h):
        shape = (-1,) if isinstance(layer, Flatten) else tuple(layer.target_shape)
        return h.reshape(h.shape[0], *shape)

    def vjp(self, layer, h, out, d):
        return d.reshape(h.shape)

    def jvp(self, layer, h, out, a):
        return a.reshape(out.shape)


class _MaxPiecesRule(_Rule):
    """Maxout's max over pieces: a selection (the winning piece of each unit), so J^T scatters
    d to the winners and J a gathers a at them; piecewise linear, no second-order term."""

    def forward(self, layer, h):
        return MaxPieces.compute_forward(layer, h, True)[0]

    def _winner(self, layer, h):
        return h.reshape(h.shape[0], -1, layer.pieces).argmax(axis=2)

    def vjp(self, layer, h, out, d):
        return MaxPieces.compute_backward(layer, d, self._winner(layer, h))

    def jvp(self, layer, h, out, a):
        pieces = a.reshape(a.shape[0], -1, layer.pieces)
        return np.take_along_axis(pieces, self._winner(layer, h)[:, :, None], axis=2)[:, :, 0]


RULES = {Dense: _DenseRule(), MaxPieces: _MaxPiecesRule(), LeakyReLU: _LeakyReLURule(),
         ReLU: _LeakyReLURule(), Tanh: _TanhRule(), Sigmoid: _SigmoidRule(), Flatten: _ReshapeRule(),
         Reshape: _ReshapeRule()}


def _rules_for(model: Sequential, what: str) -> list[_Rule]:
    if not isinstance(model, Sequential):
        raise TypeError(f"{what}: expected a minigan Sequential, got {type(model).__name__}")
    rules = []
    for layer in model.layers:
        rule = RULES.get(type(layer))
        if rule is None:
            why = (" (its batch statistics couple the samples, so the gradient at a sample is not its "
                   "own; use a critic without BatchNorm, as Gulrajani et al. do for WGAN-GP)"
                   if type(layer).__name__ == "BatchNorm" else "")
            raise ValueError(f"{what}: layer '{layer.name}' ({type(layer).__name__}) has no second-order "
                             f"rule{why}; supported: {', '.join(c.__name__ for c in RULES)}")
        rules.append(rule)
    return rules


# ----------------------------------------------------------------------------- the two passes
class InputGradient:
    """g = d(sum_n u_n D(x_n))/dx for a Sequential D at x, with what the second-order backward
    needs kept in this object (not in the layers). With the default u = 1 and a network that
    treats samples independently, row n of g is dD(x_n)/dx_n.

        ig = InputGradient(D, x)          # ig.value: g, shaped like x; ig.output: D(x)
        grads, dx = ig.backward(g_bar)    # g_bar = dPhi/dg -> dPhi/dtheta (by parameter name), dPhi/dx
    """

    def __init__(self, model: Sequential, x: np.ndarray, upstream: np.ndarray | None = None):
        self.model = model
        self.rules = _rules_for(model, "InputGradient")
        if not isinstance(x, np.ndarray) or x.ndim < 1 or tuple(x.shape[1:]) != model.input_shape:
            raise ValueError(f"InputGradient: expected x of shape (batch, "
                             f"{', '.join(map(str, model.input_shape))}), got "
                             f"{getattr(x, 'shape', type(x).__name__)}")
        self.h = [x]
        for layer, rule in zip(model.layers, self.rules, strict=True):
            self.h.append(rule.forward(layer, self.h[-1]))
        self.output = self.h[-1]
        u = np.ones_like(self.output) if upstream is None else np.asarray(upstream, dtype=x.dtype)
        if u.shape != self.output.shape:
            raise ValueError(f"InputGradient: upstream must have D's output shape {self.output.shape}, "
                             f"got {u.shape}")
        self.d = [None] * len(self.h)
        self.d[-1] = u
        for i in range(len(model.layers), 0, -1):
            layer, rule = model.layers[i - 1], self.rules[i - 1]
            self.d[i - 1] = rule.vjp(layer, self.h[i - 1], self.h[i], self.d[i])
        self.value = self.d[0]

    def backward(self, g_bar: np.ndarray, output_bar: np.ndarray | None = None
                 ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """dPhi/dtheta for every parameter (keys as in model.parameters(): 'dense.W', ...) and
        dPhi/dx, given g_bar = dPhi/dg (shaped like x). ``output_bar`` = dPhi/dD(x) (shaped
        like D's output) when Phi also uses D's value (Roth et al.'s weights); default 0."""
        if np.shape(g_bar) != self.value.shape:
            raise ValueError(f"InputGradient.backward: g_bar must be shaped like x {self.value.shape}, "
                             f"got {np.shape(g_bar)}")
        layers, rules, h, d = self.model.layers, self.rules, self.h, self.d
        grads = {f"{layer.name}.{k}": np.zeros_like(v) for layer in layers for k, v in layer.params.items()}
        b = [np.zeros_like(t) for t in h]
        a = np.asarray(g_bar, dtype=h[0].dtype)
        # 1. through the first backward pass, bottom to top
        for i in range(1, len(h)):
            layer, rule = layers[i - 1], rules[i - 1]
            dh, dparams = rule.second(layer, h[i - 1], h[i], a, d[i])
            if dh is not None:
                b[i - 1] += dh
            for k, v in dparams.items():
                grads[f"{layer.name}.{k}"] += v
            a = rule.jvp(layer, h[i - 1], h[i], a)
        # 2. through the forward pass, top to bottom (b[L] = dPhi/dD(x), 0 unless Phi uses D(x))
        if output_bar is not None:
            if np.shape(output_bar) != self.output.shape:
                raise ValueError(f"InputGradient.backward: output_bar must be shaped like D's output "
                                 f"{self.output.shape}, got {np.shape(output_bar)}")
            b[-1] = b[-1] + np.asarray(output_bar, dtype=h[0].dtype)
        for i in range(len(h) - 1, 0, -1):
            layer, rule = layers[i - 1], rules[i - 1]
            for k, v in rule.param_vjp(layer, h[i - 1], h[i], b[i]).items():
                grads[f"{layer.name}.{k}"] += v
            b[i - 1] += rule.vjp(layer, h[i - 1], h[i], b[i])
        return grads, b[0]


# ----------------------------------------------------------------------------- penalties
def _weight(value, name: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{what}: {name} must be a non-negative finite number, got {value!r}")
    return float(value)


def _per_sample_norms(g: np.ndarray) -> np.ndarray:
    return np.sqrt(np.sum(g.reshape(g.shape[0], -1) ** 2, axis=1))


def _add_into_grads(model: Sequential, grads: dict[str, np.ndarray]) -> None:
    """Add a penalty's parameter gradients into the model's grads, as a second loss term
    would: the optimizer steps the sum."""
    for p in model.parameters():
        p.grad[...] += grads[p.name].astype(p.grad.dtype, copy=False)  # in place: optimizers hold p.grad


def penalty_of_gradient_norm(critic: Sequential, x: np.ndarray, weight: float, target: float | None,
                             accumulate: bool = False):
    """Phi = weight * mean_n (|g_n| - target)^2 (target None: weight/2 * mean |g_n|^2, R1's form).

        dPhi/dg_n = 2 weight (|g_n| - target) / N * g_n / |g_n|     (or weight g_n / N)

    Returns (Phi, {param: dPhi/dparam}, dPhi/dx, norms). At |g_n| = 0 the direction g_n / |g_n|
    is undefined; 0 is used there (a measure-zero event for a real critic).
    """
    ig = InputGradient(critic, x)
    g, n = ig.value, x.shape[0]
    norms = _per_sample_norms(g)
    shape = (n,) + (1,) * (g.ndim - 1)
    if target is None:
        value = 0.5 * weight * float(np.mean(norms ** 2))
        g_bar = weight * g / n
    else:
        value = weight * float(np.mean((norms - target) ** 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            unit = np.where(norms.reshape(shape) > 0, g / norms.reshape(shape), 0.0)
        g_bar = (2 * weight / n) * (norms - target).reshape(shape) * unit
    grads, dx = ig.backward(g_bar)
    if accumulate:
        _add_into_grads(critic, grads)
    return value, grads, dx, norms


def interpolates(x_real: np.ndarray, x_fake: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """x_hat = e x_real + (1 - e) x_fake with one e ~ U[0, 1] per sample (Gulrajani et al. 2017):
    points on the segments between real and generated samples, where the WGAN-GP critic's
    slope is held at 1."""
    if x_real.shape != x_fake.shape:
        raise ValueError(f"interpolates: x_real and x_fake must have one shape, got {x_real.shape} "
                         f"and {x_fake.shape}")
    e = rng.random((x_real.shape[0],) + (1,) * (x_real.ndim - 1)).astype(x_real.dtype)
    return e * x_real + (1 - e) * x_fake


def gradient_penalty(critic: Sequential, x_real: np.ndarray, x_fake: np.ndarray, lam: float = 10.0, *,
                     rng: np.random.Generator | int, accumulate: bool = True):
    """WGAN-GP's penalty lam * mean (|grad_x D(x_hat)| - 1)^2 on random interpolates x_hat.
    With ``accumulate`` its parameter gradients are added into the critic's grads (call it
    after the critic loss's backward and before the optimizer's step). ``rng`` has no default
    on purpose: a training loop passes its own Generator, so each step draws new interpolates
    (a fixed seed would reuse the same mixing weights at every step).

    Returns (penalty, {param: dpenalty/dparam}, x_hat, per-sample norms |grad D(x_hat)|).
    """
    lam = _weight(lam, "lam (the penalty weight lambda)", "gradient_penalty")
    _rules_for(critic, "gradient_penalty")
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    x_hat = interpolates(x_real, x_fake, rng)
    value, grads, _, norms = penalty_of_gradient_norm(critic, x_hat, lam, 1.0, accumulate)
    return value, grads, x_hat, norms


def r1_penalty(critic: Sequential, x_real: np.ndarray, gamma: float = 10.0, accumulate: bool = True):
    """R1 (Mescheder, Geiger & Nowozin 2018): gamma/2 * mean |grad_x D(x)|^2 on real data only,
    which pushes D's slope to 0 where the data are (their result: with it, simultaneous
    gradient descent on a GAN converges locally). Returns (penalty, {param: grad}, norms)."""
    gamma = _weight(gamma, "gamma (the R1 weight)", "r1_penalty")
    _rules_for(critic, "r1_penalty")
    value, grads, _, norms = penalty_of_gradient_norm(critic, x_real, gamma, None, accumulate)
    return value, grads, norms


def roth_penalty(critic: Sequential, x_real: np.ndarray, x_fake: np.ndarray, gamma: float = 2.0,
                 accumulate: bool = True):
    """Roth, Lucchi, Nowozin & Hofmann (2017)'s regulariser for the original GAN, written on D's
    logit phi (D = sigmoid(phi)), with the gamma/2 of Mescheder et al. (2018):

        Omega = gamma/2 [ mean_real (1 - D(x))^2 |grad_x phi(x)|^2 + mean_fake D(x)^2 |grad_x phi(x)|^2 ]

    It is a noise-convolution (instance noise) approximation: the slope of phi is penalised where
    D is still wrong (real points it rejects, fakes it accepts). The weight depends on phi, so
    Phi uses both D's value and its input gradient g:

        dOmega/dg_n   = gamma w(phi_n) g_n / N
        dOmega/dphi_n = gamma/2 w'(phi_n) |g_n|^2 / N,
        w_real = sigmoid(-phi)^2, w_real' = -2 sigmoid(-phi)^2 sigmoid(phi);
        w_fake = sigmoid(phi)^2,  w_fake' =  2 sigmoid(phi)^2 sigmoid(-phi)

    Returns (Omega, {param: dOmega/dparam})."""
    gamma = _weight(gamma, "gamma (the Roth et al. weight)", "roth_penalty")
    _rules_for(critic, "roth_penalty")
    total, grads = 0.0, None
    for x, sign in ((x_real, -1.0), (x_fake, 1.0)):
        ig = InputGradient(critic, x)
        phi, g, n = ig.output, ig.value, x.shape[0]
        sq = (_per_sample_norms(g) ** 2).reshape(phi.shape)
        s = sigmoid(sign * phi)                       # 1 - D on real (sign -1), D on fake
        w = s * s
        dw = sign * 2 * w * sigmoid(-sign * phi)      # d w / d phi
        total += 0.5 * gamma * float(np.mean(w * sq))
        shape = (n,) + (1,) * (g.ndim - 1)
        part, _ = ig.backward(gamma * w.reshape(shape) * g / n, 0.5 * gamma * dw * sq / n)
        grads = part if grads is None else {k: grads[k] + v for k, v in part.items()}
    if accumulate:
        _add_into_grads(critic, grads)
    return total, grads
