"""A catalogue of typical mistakes, each computed from the reference formulas.

A wrong answer is usually wrong in a recognisable way: a missing transpose, a sum that
should be a mean, a term of the BatchNorm backward left out. Each Mistake below computes,
from the same inputs the check uses, the arrays that such a buggy implementation would
return. If a student's failing array equals one of them (to 1e-6), the check prints the
mistake's hint next to the table row. The arrays are computed here with plain NumPy from
the formulas, so a hint never depends on minigan's own implementation being used.

Each ``*_mistakes(ctx)`` function takes the check's inputs as a dict and returns a list of
(hint, {row label: array}) pairs; row labels are the ones the checks print ("out", "dx",
"dW", "running_var", "value", "dlogits", ...).
"""

from __future__ import annotations

import numpy as np

from ..functions import sigmoid, softplus

# Hints for failures that are recognised by their symptom rather than by their numbers.
OVERFLOW_HINT = ("NaN, inf or a floating-point warning at |logit| = 1000: the formula works on "
                 "probabilities (exp overflows, log(0) = -inf). Stay in logit space: "
                 "-log σ(s) = softplus(-s), -log(1 - σ(s)) = softplus(s), and compute σ piecewise")
SIGMOID_OVERFLOW_HINT = ("NaN, inf or a warning at |x| = 1000: 1/(1 + exp(-x)) overflows for x = -1000. "
                         "Compute it piecewise: 1/(1 + e^-x) for x >= 0, e^x/(1 + e^x) for x < 0 "
                         "(minigan.functions.sigmoid does)")
ACCUMULATE_HINT = ("backward must ADD to self.grads (self.grads['W'] += ...), not replace them: "
                   "the optimizer's zero_grad resets them, and a network can back-propagate "
                   "twice (real and fake batches) before one step")
SHAPE_HINT = ("a product or a sum has the wrong shape: dW = xᵀ·dout is (in, out), dx = dout·Wᵀ "
              "is (N, in) and db = Σ_n dout is (out,)")
ANY_SHAPE_HINT = ("an array has the wrong shape: print x.shape, dout.shape and your result's shape; "
                  "every gradient has the shape of what it is the gradient of")
THROUGH_D_HINT = ("G.backward needs dL/d(G's output), which is D's input gradient: "
                  "dx = D.backward(dlogits); dlogits is the gradient at D's output")
D_CHANGED_HINT = ("the generator step changed D's parameters: back-propagate through D "
                  "(D.backward) but step only G's optimizer")
G_CHANGED_HINT = ("the discriminator step changed G's parameters: use G.predict(z, training=True) "
                  "for the fake batch, and step only D's optimizer")
EVAL_STATE_HINT = "eval mode (training=False) must use the running statistics and leave them unchanged"
SWAPPED_HINT = ("saturating and non-saturating are swapped: saturating = mean log(1 - D) = "
                "-mean softplus(s); non-saturating = -mean log D = mean softplus(-s)")
ZERO_GRAD_HINT = ("a second step differs from a fresh one: call the optimizer's zero_grad() at "
                  "the start of every step, or the last step's gradients are added again")


def _batchnorm_parts(x, gamma, eps):
    mu, var = x.mean(axis=0), x.var(axis=0)
    std = np.sqrt(var + eps)
    return mu, var, std, (x - mu) / std


def dense_mistakes(ctx):
    x, W, b, g = ctx["x"], ctx["W"], ctx["b"], ctx["upstream"]
    out = [
        ("the forward pass forgot the bias: out = x·W + b", {"out": x @ W}),
        ("the forward pass uses Wᵀ: W has shape (in, out), so out = x·W + b", {"out": x @ W.T + b}),
        ("the bias gradient is the SUM of dout over the batch (b is added to every row), not the mean",
         {"db": g.mean(axis=0)}),
        ("the bias gradient sums over the batch only: db = dout.sum(axis=0), one number per output",
         {"db": np.full(b.shape, g.sum())}),
    ]
    if W.shape[0] == W.shape[1]:  # square W: a missing transpose still has the right shape
        out += [("dx is missing a transpose: dx = dout·Wᵀ", {"dx": g @ W}),
                ("dW is transposed: dW = xᵀ·dout has W's shape (in, out)", {"dW": g.T @ x})]
    return out


def leaky_relu_mistakes(ctx):
    x, g, alpha = ctx["x"], ctx["upstream"], ctx["alpha"]
    out = np.where(x > 0, x, alpha * x)
    return [
        ("the backward uses sign(out), which is -1 for negative inputs: the slope there is alpha",
         {"dx": g * np.sign(out)}),
        ("that is ReLU's backward: for negative inputs the slope is alpha, not 0",
         {"dx": g * (x > 0)}),
        ("the slopes are swapped: 1 for positive inputs, alpha for negative ones",
         {"dx": g * np.where(x > 0, alpha, 1.0)}),
        ("the backward multiplies by the output; it should multiply by the slope (1 or alpha)",
         {"dx": g * out}),
        ("alpha is hard-coded to 0.2: use self.alpha (the check builds LeakyReLU(alpha=0.1))",
         {"out": np.where(x > 0, x, 0.2 * x), "dx": g * np.where(x > 0, 1.0, 0.2)}),
        ("that is ReLU: for negative inputs the output is alpha * x", {"out": np.maximum(x, 0)}),
    ]


def sigmoid_mistakes(ctx):
    x, g = ctx["x"], ctx["upstream"]
    s = sigmoid(x)
    return [
        ("σ'(x) = σ(x)(1 - σ(x)): a factor is missing", {"dx": g * s}),
        ("σ'(x) = σ(x)(1 - σ(x)): a factor is missing", {"dx": g * (1 - s)}),
        ("the derivative is written with x instead of σ(x): σ'(x) = σ(x)(1 - σ(x))",
         {"dx": g * x * (1 - x)}),
    ]


def batchnorm_mistakes(ctx):
    x, g, gamma, beta, eps = ctx["x"], ctx["upstream"], ctx["gamma"], ctx["beta"], ctx["eps"]
    mom, rm, rv = ctx["momentum"], ctx["running_mean"], ctx["running_var"]
    m = x.shape[0]
    mu, var, std, xhat = _batchnorm_parts(x, gamma, eps)
    if not ctx["training"]:
        eval_std = np.sqrt(rv + eps)
        return [
            ("in eval mode normalise with the running statistics, not the batch's",
             {"out": gamma * xhat + beta}),
            ("in eval mode the statistics are constants, so dx = dout·γ/sqrt(running_var + eps)",
             {"dx": gamma / (m * std) * (m * g - g.sum(axis=0) - xhat * (g * xhat).sum(axis=0))}),
            ("dx = dout·γ/sqrt(running_var + eps): the factor γ is missing", {"dx": g / eval_std}),
        ]
    dxhat = g * gamma
    unbiased = var * m / (m - 1)
    return [
        ("normalise with the biased batch variance (divide by m, np.var's default); the unbiased "
         "one is only for the running estimate", {"out": gamma * (x - mu) / np.sqrt(unbiased + eps) + beta}),
        ("eps goes inside the square root: xhat = (x - mu)/sqrt(var + eps)",
         {"out": gamma * (x - mu) / (np.sqrt(var) + eps) + beta}),
        ("eps is missing: xhat = (x - mu)/sqrt(var + eps)",
         {"out": gamma * (x - mu) / np.sqrt(var) + beta}),
        ("the running variance is updated with the UNBIASED batch variance, var·m/(m - 1)",
         {"running_var": (1 - mom) * rv + mom * var}),
        ("momentum is the weight of the NEW batch statistic: running = (1 - momentum)·running + "
         "momentum·batch", {"running_mean": mom * rm + (1 - mom) * mu,
                            "running_var": mom * rv + (1 - mom) * unbiased}),
        ("dx misses the term -xhat·Σ(dxhat·xhat): the variance depends on every x too",
         {"dx": (m * dxhat - dxhat.sum(axis=0)) / (m * std)}),
        ("dx misses the term -Σ dxhat: the mean depends on every x",
         {"dx": (m * dxhat - xhat * (dxhat * xhat).sum(axis=0)) / (m * std)}),
        ("in training mode mu and var depend on x: dx = (m·dxhat - Σdxhat - xhat·Σ(dxhat·xhat))/(m·σ), "
         "not dout·γ/σ", {"dx": dxhat / std}),
        ("dxhat = dout·γ: the factor γ is missing from dx",
         {"dx": (m * g - g.sum(axis=0) - xhat * (g * xhat).sum(axis=0)) / (m * std)}),
        ("dgamma and dbeta are swapped: dgamma = Σ dout·xhat, dbeta = Σ dout",
         {"dgamma": g.sum(axis=0), "dbeta": (g * xhat).sum(axis=0)}),
        ("dgamma = Σ dout·xhat uses the normalised input xhat, not x", {"dgamma": (g * x).sum(axis=0)}),
    ]


# ------------------------------------------------------------------------------ losses
def _bce(s, t):
    n = s.size
    return float(np.mean(t * softplus(-s) + (1 - t) * softplus(s))), (sigmoid(s) - t) / n


def _generator(s, kind):
    n = s.size
    if kind == "saturating":
        return float(-np.mean(softplus(s))), -sigmoid(s) / n
    return float(np.mean(softplus(-s))), -sigmoid(-s) / n


def _scaled(value_and_grads, value_factor, grad_factor):
    value, *grads = value_and_grads
    return (value * value_factor, *(g * grad_factor for g in grads))


def _as_rows(value_and_grads, labels):
    value, *grads = value_and_grads
    return {"value": np.float64(value), **dict(zip(labels, grads, strict=True))}


def loss_mistakes(ctx):
    """ctx: kind ("bce", "discriminator", "saturating", "non_saturating") and its inputs."""
    kind = ctx["kind"]
    if kind == "bce":
        s, t = ctx["logits"], ctx["target"]
        ref, labels = _bce(s, t), ("dlogits",)
        wrong_label = [("the label is used the wrong way round: target t weighs -log σ(s) = softplus(-s)",
                        _bce(s, 1 - t))]
    elif kind == "discriminator":
        r, f = ctx["real_logits"], ctx["fake_logits"]
        (vr, gr), (vf, gf) = _bce(r, 1.0), _bce(f, 0.0)
        ref, labels = (vr + vf, gr, gf), ("d_real", "d_fake")
        (sr, hr), (sf, hf) = _bce(r, 0.0), _bce(f, 1.0)
        wrong_label = [("real samples have label 1 and fake ones label 0; yours are swapped",
                        (sr + sf, hr, hf)),
                       ("the loss is the SUM of two means, one over the real and one over the fake "
                        "batch; one mean over both halves it", (0.5 * (vr + vf), 0.5 * gr, 0.5 * gf))]
    else:
        s = ctx["logits"]
        other = "non_saturating" if kind == "saturating" else "saturating"
        ref, labels = _generator(s, kind), ("dlogits",)
        wrong_label = [(SWAPPED_HINT, _generator(s, other))]
    n = ctx["n"]
    candidates = wrong_label + [
        ("the loss is a MEAN over the batch: divide the sum (and so every gradient) by N",
         _scaled(ref, n, n)),
        ("the value is a mean, so each gradient carries a factor 1/N", _scaled(ref, 1, n)),
        ("the sign is wrong: both value and gradient are negated", _scaled(ref, -1, -1)),
        ("the gradient has the wrong sign", _scaled(ref, 1, -1)),
    ]
    return [(hint, _as_rows(values, labels)) for hint, values in candidates]
