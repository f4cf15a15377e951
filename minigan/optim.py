"""Optimizers: SGD (with momentum), Adam, RMSProp.

They hold references to the (name, value, grad) parameters of a model and update ``value``
in place in ``step()``. Back-propagation only fills gradients; whether a network is updated
is decided here, by which parameters an optimizer was given. ``step()`` first checks every
gradient: a NaN or inf stops training with the parameter's name, before any value changes.

The updates below are the reference, in NumPy, line by line as the update rules are written.
Each works in the parameter's own precision (float32 in training: the scalars are cast to it
first) and updates the arrays in place, because the layers hold the same arrays. When a fast
backend is on (minigan.kernels), ``step`` calls fused one-pass versions of ``update`` and
``sum_squares`` instead.
"""

from __future__ import annotations

import math

import numpy as np

from . import kernels


def sum_squares(a: np.ndarray) -> float:
    """sum(a**2), accumulated in float64. It is NaN or inf exactly when an entry is, so one
    pass gives both a norm and a finiteness check."""
    a = a.reshape(-1).astype(np.float64, copy=False)
    return float(np.dot(a, a))


class Optimizer:
    def __init__(self, params, lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got no parameters to optimise")
        if not (isinstance(lr, (int, float)) and lr > 0 and np.isfinite(lr)):
            raise ValueError(f"{type(self).__name__}: lr must be a positive number, got {lr!r}")
        for p in self.params:
            # the updates (and the fused kernels) change the arrays in place through flat
            # views; for a strided array those would be copies and the update would be lost
            if not (p.value.flags.c_contiguous and p.grad.flags.c_contiguous):
                raise ValueError(f"{type(self).__name__}: parameter {p.name} must be a contiguous array")
        self.lr = float(lr)
        self.t = 0  # number of steps taken (Adam's bias correction needs the true count)
        self.grad_norm = math.nan  # of the gradients of the last step
        self.slots: dict[str, dict[str, np.ndarray]] = {}  # per-parameter moment buffers

    def _slot(self, kind: str, p) -> np.ndarray:
        buffers = self.slots.setdefault(kind, {})
        if p.name not in buffers:
            buffers[p.name] = np.zeros_like(p.value)
        return buffers[p.name]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad.fill(0)

    def step(self) -> None:
        """Check every gradient, then update every parameter in place.

        The check is a sum of squares per gradient (one pass, float64), which is NaN or inf
        exactly when an entry is; the square root of the total is kept as ``grad_norm``.
        """
        fast = kernels.fast_methods(self, ("update", "sum_squares"))
        update, squares = (self.update, self.sum_squares) if fast is None else (
            lambda p: fast[0](self, p), lambda a: fast[1](self, a))
        total = 0.0
        for p in self.params:
            ss = squares(p.grad)
            if not math.isfinite(ss):
                raise FloatingPointError(
                    f"{type(self).__name__}: gradient of {p.name} contains NaN or inf; "
                    "no parameter was updated")
            total += ss
        self.grad_norm = math.sqrt(total)
        self.t += 1
        for p in self.params:
            if not math.isfinite(update(p)):
                raise FloatingPointError(
                    f"{type(self).__name__}: {p.name} became NaN or inf in step {self.t} "
                    "(the learning rate is probably far too large)")

    def update(self, p) -> float:
        """Update one parameter in place (the layer holds the same array, so it must be
        changed in place, never rebound). Returns the sum of squares of the new values."""
        raise NotImplementedError

    def sum_squares(self, a: np.ndarray) -> float:
        return sum_squares(a)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything needed to resume: the step count and every moment buffer."""
        state = {"t": np.array(self.t)}
        for kind, buffers in self.slots.items():
            state.update({f"{kind}/{name}": value for name, value in buffers.items()})
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        shapes = {p.name: p.value.shape for p in self.params}
        slots: dict[str, dict[str, np.ndarray]] = {}
        for key, value in state.items():
            if key == "t":
                continue
            kind, _, name = key.partition("/")
            if name not in shapes or np.shape(value) != shapes[name]:
                raise ValueError(f"{type(self).__name__}: state entry {key!r} does not match "
                                 "the optimizer's parameters")
            slots.setdefault(kind, {})[name] = np.array(value, copy=True)
        self.t = int(state["t"])
        self.slots = slots


class SGD(Optimizer):
    """Stochastic gradient descent with (heavy-ball) momentum, PyTorch's form:
        v <- momentum * v + g,    p <- p - lr * v      (momentum = 0: plain p <- p - lr * g)
    """

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)

    def update(self, p):
        f = p.value.dtype.type  # compute in the parameter's precision
        lr, momentum = f(self.lr), f(self.momentum)
        if self.momentum == 0:
            p.value[...] -= lr * p.grad  # [...]: in place, the layer holds this array
        else:
            v = self._slot("velocity", p)
            v *= momentum
            v += p.grad
            p.value[...] -= lr * v
        return sum_squares(p.value)


class Adam(Optimizer):
    """Adam (Kingma & Ba), with bias correction by the true step count t:
        m <- b1 m + (1 - b1) g,     v <- b2 v + (1 - b2) g^2
        p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    GANs usually take lr = 2e-4, betas = (0.5, 0.999) (DCGAN).
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, lr)
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"Adam: betas must be in [0, 1), got {betas!r}")
        if not eps > 0:
            raise ValueError(f"Adam: eps must be positive, got {eps!r}")
        self.b1, self.b2, self.eps = float(b1), float(b2), float(eps)

    def update(self, p):
        f = p.value.dtype.type  # compute in the parameter's precision
        lr, b1, b2, eps = f(self.lr), f(self.b1), f(self.b2), f(self.eps)
        g, m, v = p.grad, self._slot("m", p), self._slot("v", p)
        m *= b1
        m += (1 - b1) * g                          # m <- b1 m + (1 - b1) g
        v *= b2
        v += (1 - b2) * g * g                      # v <- b2 v + (1 - b2) g^2
        m_hat = m / f(1 - self.b1 ** self.t)       # bias correction: m and v start at 0
        v_hat = v / f(1 - self.b2 ** self.t)
        p.value[...] -= lr * m_hat / (np.sqrt(v_hat) + eps)
        return sum_squares(p.value)


class RMSProp(Optimizer):
    """RMSProp (Hinton's lecture 6e): divide the step by a running root-mean-square of g:
        s <- rho s + (1 - rho) g^2,    p <- p - lr * g / (sqrt(s) + eps)
    WGAN (weight clipping) uses it with lr = 5e-5.
    """

    def __init__(self, params, lr: float = 1e-3, rho: float = 0.9, eps: float = 1e-8) -> None:
        super().__init__(params, lr)
        if not 0 <= rho < 1:
            raise ValueError(f"RMSProp: rho must be in [0, 1), got {rho!r}")
        if not eps > 0:
            raise ValueError(f"RMSProp: eps must be positive, got {eps!r}")
        self.rho, self.eps = float(rho), float(eps)

    def update(self, p):
        f = p.value.dtype.type  # compute in the parameter's precision
        lr, rho, eps = f(self.lr), f(self.rho), f(self.eps)
        g, s = p.grad, self._slot("square_avg", p)
        s *= rho
        s += (1 - rho) * g * g                     # s <- rho s + (1 - rho) g^2
        p.value[...] -= lr * g / (np.sqrt(s) + eps)
        return sum_squares(p.value)


def linear_decay(iteration: int, total: int, fraction: float) -> float:
    """The learning-rate factor of iteration ``iteration`` (0-based) of ``total``: 1 until the
    last ``fraction`` of the run, then falling linearly so that it would reach 0 just after the
    last iteration (which gets 1 / n_decay of the full rate, n_decay = the iterations that decay).

        factor = min(1, (total - iteration) / n_decay),   n_decay = round(fraction * total)

    Why: with a constant rate a GAN's players keep circling around the equilibrium; shrinking
    the steps at the end lets them settle closer to it (as averaging the weights does for G).
    fraction 0 keeps the rate constant.
    """
    n_decay = round(fraction * total)
    if n_decay <= 0:
        return 1.0
    return min(1.0, (total - iteration) / n_decay)


class WeightAverage:
    """An exponential moving average of a model's weights, kept in a second model of the same
    architecture (Polyak averaging with forgetting; Yazici et al., 2019, for GANs).

    After every optimizer step of ``model``, ``update()`` moves each averaged array a little
    towards the current one:

        a <- d a + (1 - d) w,     d = min(decay, (1 + t) / (10 + t))   (t = updates so far)

    The warm-up in d lets the average forget the random initial weights within the first few
    hundred updates instead of ~1/(1 - decay) of them: until d reaches ``decay`` (after about
    9,000 updates for 0.999) the average covers roughly the last tenth of the updates so far.
    BatchNorm's running statistics are averaged the same way.

    Why bother: a GAN's generator does not settle at the equilibrium, it circles around it
    (the game's gradient field rotates), and the average of the circling iterates sits closer
    to the centre than any one of them. The average only ever produces samples; it is never
    trained.
    """

    def __init__(self, model, average, decay: float = 0.999) -> None:
        if not (isinstance(decay, (int, float)) and 0 < decay < 1):
            raise ValueError(f"WeightAverage: decay must be in (0, 1), got {decay!r}")
        self.pairs = [(a.value, p.value) for a, p in zip(average.parameters(), model.parameters(),
                                                        strict=True)]
        states, averaged = model.state_arrays(), average.state_arrays()
        if set(states) != set(averaged):
            raise ValueError("WeightAverage: the two models have different state arrays")
        self.pairs += [(averaged[name], states[name]) for name in states]
        for avg, current in self.pairs:
            if avg.shape != current.shape:
                raise ValueError(f"WeightAverage: shapes differ, {avg.shape} vs {current.shape}")
            avg[...] = current
        self.model, self.average, self.decay, self.t = model, average, float(decay), 0

    def update(self) -> None:
        d = min(self.decay, (1 + self.t) / (10 + self.t))
        for avg, current in self.pairs:
            avg *= d
            avg += (1 - d) * current
        self.t += 1
