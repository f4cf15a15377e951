"""Optimizers: SGD (with momentum), Adam, RMSProp.

They hold references to the (name, value, grad) parameters of a model and update ``value``
in place in ``step()``. Back-propagation only fills gradients; whether a network is updated
is decided here, by which parameters an optimizer was given. ``step()`` first checks every
gradient: a NaN or inf stops training with the parameter's name, before any value changes.
"""

from __future__ import annotations

import numpy as np


class Optimizer:
    def __init__(self, params, lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got no parameters to optimise")
        if not (isinstance(lr, (int, float)) and lr > 0 and np.isfinite(lr)):
            raise ValueError(f"{type(self).__name__}: lr must be a positive number, got {lr!r}")
        self.lr = float(lr)
        self.t = 0  # number of steps taken (Adam's bias correction needs the true count)
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
        for p in self.params:
            if not np.isfinite(p.grad).all():
                raise FloatingPointError(
                    f"{type(self).__name__}: gradient of {p.name} contains NaN or inf; "
                    "no parameter was updated")
        self.t += 1
        for p in self.params:
            self.update(p)

    def update(self, p) -> None:
        """Update one parameter in place (``p.value[...] -= ...``: the layer holds the same
        array, so rebinding a name would leave the layer's copy unchanged)."""
        raise NotImplementedError

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
        if self.momentum == 0:
            p.value[...] -= self.lr * p.grad
            return
        v = self._slot("velocity", p)
        v *= self.momentum
        v += p.grad
        p.value[...] -= self.lr * v


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
        m, v = self._slot("m", p), self._slot("v", p)
        m *= self.b1
        m += (1 - self.b1) * p.grad
        v *= self.b2
        v += (1 - self.b2) * p.grad * p.grad
        m_hat = m / (1 - self.b1 ** self.t)
        v_hat = v / (1 - self.b2 ** self.t)
        p.value[...] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


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
        s = self._slot("square_avg", p)
        s *= self.rho
        s += (1 - self.rho) * p.grad * p.grad
        p.value[...] -= self.lr * p.grad / (np.sqrt(s) + self.eps)
