"""Write the instructor versions of the assignments (with solutions) as notebooks.

    python notebooks/assignments/build_assignments.py      # rewrites A*.ipynb beside this file

The notebooks are generated rather than edited by hand so that the nbgrader metadata stays
consistent and LaTeX backslashes survive (nbformat escapes them in the JSON). A test checks
that the committed notebooks are exactly what this script writes. Cells are in nbgrader's
format: solution regions between ``### BEGIN SOLUTION`` and ``### END SOLUTION``, graded test
cells with points (see minigan/course/markers.py); ``minigan course release`` makes the
student versions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent


class Builder:
    def __init__(self, prefix: str):
        self.prefix, self.cells = prefix, []

    def _add(self, cell):
        cell["id"] = f"{self.prefix}-{len(self.cells):02d}"
        self.cells.append(cell)

    def md(self, text: str):
        self._add(nbformat.v4.new_markdown_cell(text.strip("\n")))

    def code(self, text: str):
        self._add(nbformat.v4.new_code_cell(text.strip("\n")))

    def solution(self, grade_id: str, text: str):
        cell = nbformat.v4.new_code_cell(text.strip("\n"))
        cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False,
                                     "grade_id": grade_id, "schema_version": 3}
        self._add(cell)

    def tests(self, grade_id: str, points: int, text: str):
        cell = nbformat.v4.new_code_cell(text.strip("\n"))
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                     "points": points, "grade_id": grade_id, "schema_version": 3}
        self._add(cell)

    def notebook(self):
        nb = nbformat.v4.new_notebook()
        nb.nbformat, nb.nbformat_minor = 4, 5
        nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                       "language_info": {"name": "python"}}
        nb.cells = self.cells
        return nb


HOW_CHECKS_READ = r"""
**How a check reads.** Each test cell calls a check from `minigan.course`. It runs your code in
float64 on a small seeded example and prints one row per array: what was compared with what
(minigan's own layer or loss, or *central differences* of your own forward pass: the
numerical derivative $(f(p + h) - f(p - h)) / 2h$ with $h = 10^{-5}$ and a random upstream
gradient), the relative error $\max|a - b| / \max(|a| + |b|)$, and pass or FAIL at the stated
tolerance. When the wrong numbers match a typical mistake, a hint is printed under the table.
If anything fails, the cell ends with a single `AssertionError` that names what failed: read
the table above it. Run a test cell as often as you like.
"""


# --------------------------------------------------------------------------- A1: layers
def a1_layers():
    b = Builder("a1")
    b.md(r"""
# Assignment 1 · Layers by hand

A GAN is two ordinary networks, and every number that trains them comes out of a backward pass.
In this assignment you write four layers in plain NumPy, each as a forward pass and a backward
pass side by side, exactly the way minigan's own layers are written:

1. `Dense`, the affine map $x W + b$;
2. `LeakyReLU`, the activation of both GAN networks;
3. `Sigmoid`, computed so that it never overflows;
4. `BatchNorm`, in training mode (batch statistics) and in inference mode (running statistics).

Then you stack your own layers in minigan's `Sequential` and train a small classifier with them.

**The contract.** A layer subclasses `minigan.layers.base.Layer` and writes two methods:

* `compute_forward(self, x, training)` returns `(out, cache)`; the cache holds whatever the
  backward pass will need;
* `compute_backward(self, dout, cache)` receives $\partial L / \partial \mathrm{out}$, **adds**
  the parameter gradients to `self.grads` (`+=`, never `=`) and returns
  $\partial L / \partial x$.

The base class does the bookkeeping: it checks shapes, keeps the cache between `forward` and
`backward`, and refuses a backward without a forward. Trainable arrays live in `self.params`,
their gradients (same keys and shapes) in `self.grads`, non-trainable arrays such as running
statistics in `self.state`. A layer never changes its own parameters: that is the optimizer's job.

Write your code where it says `# YOUR CODE HERE`, in place of the `raise NotImplementedError()`
below it. Leave the rest of each cell as it is: the checks build your classes with the
arguments shown.
""")
    b.md(HOW_CHECKS_READ)
    b.code(r"""
import minigan  # noqa: F401, I001  (import minigan before numpy: it tunes the BLAS threads)
import os

import numpy as np

from minigan.course import check_layer
from minigan.layers.base import Layer

FAST = os.environ.get("MINIGAN_FAST") == "1"  # a shorter run for automatic testing
""")
    b.md(r"""
## 1 · Dense

For a batch $x$ of shape $(N, \text{in})$, weights $W$ of shape $(\text{in}, \text{out})$ and a
bias $b$ of shape $(\text{out},)$:

$$
\mathrm{out}_{nj} = \sum_i x_{ni} W_{ij} + b_j .
$$

Write $\delta = \partial L / \partial \mathrm{out}$, shape $(N, \text{out})$. Each output depends on
$W_{ij}$ through one term for every sample, on $b_j$ once for every sample, and on $x_{ni}$ through
every output of the same sample, so the chain rule gives

$$
\frac{\partial L}{\partial W} = x^\top \delta, \qquad
\frac{\partial L}{\partial b} = \sum_n \delta_{n}, \qquad
\frac{\partial L}{\partial x} = \delta\, W^\top .
$$

A quick way to get the transposes right: each gradient has the shape of the thing it is the
gradient of. $x^\top \delta$ is $(\text{in}, \text{out})$ like $W$; $\delta W^\top$ is
$(N, \text{in})$ like $x$.
""")
    b.solution("dense_solution", r'''
class Dense(Layer):
    """out = x @ W + b.  x (N, in), W (in, out), b (out,), out (N, out).
    Backward: dW = x^T dout, db = sum over the batch of dout, dx = dout W^T."""

    def __init__(self, in_features, out_features, rng=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        rng = np.random.default_rng(rng)
        limit = np.sqrt(6.0 / (in_features + out_features))  # Glorot's uniform initialisation
        self._add_param("W", rng.uniform(-limit, limit, (in_features, out_features)))
        self._add_param("b", np.zeros(out_features))

    def output_shape(self, input_shape):
        if tuple(input_shape) != (self.in_features,):
            raise ValueError(f"Dense expects (batch, {self.in_features}), got (batch, *{input_shape})")
        return (self.out_features,)

    def compute_forward(self, x, training):
        ### BEGIN SOLUTION
        out = x @ self.params["W"] + self.params["b"]
        cache = x
        ### END SOLUTION
        return out, cache

    def compute_backward(self, dout, cache):
        ### BEGIN SOLUTION
        x = cache
        self.grads["W"] += x.T @ dout
        self.grads["b"] += dout.sum(axis=0)
        dx = dout @ self.params["W"].T
        ### END SOLUTION
        return dx
''')
    b.tests("dense_tests", 3, r"""
check_layer(Dense)
### BEGIN HIDDEN TESTS
check_layer(Dense, seed=7, quiet=True)
### END HIDDEN TESTS
""")
    b.md(r"""
## 2 · LeakyReLU

$$
f(x) = \begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}, \qquad
f'(x) = \begin{cases} 1 & x > 0 \\ \alpha & x \le 0 \end{cases}
$$

elementwise, so $\partial L / \partial x = \delta \odot f'(x)$. GANs use $\alpha = 0.2$ so that
a unit that is "off" still passes a little gradient. At the kink $x = 0$ take the slope
$\alpha$; the check keeps its inputs away from 0, where a central difference would straddle the
kink. Use `self.alpha`: the check builds `LeakyReLU(alpha=0.1)`.
""")
    b.solution("leaky_relu_solution", r'''
class LeakyReLU(Layer):
    """f(x) = x if x > 0 else alpha * x;  dx = dout * (1 if x > 0 else alpha)."""

    def __init__(self, alpha=0.2):
        super().__init__()
        self.alpha = float(alpha)

    def compute_forward(self, x, training):
        ### BEGIN SOLUTION
        out = np.where(x > 0, x, self.alpha * x)
        cache = x
        ### END SOLUTION
        return out, cache

    def compute_backward(self, dout, cache):
        ### BEGIN SOLUTION
        x = cache
        dx = dout * np.where(x > 0, 1.0, self.alpha)
        ### END SOLUTION
        return dx
''')
    b.tests("leaky_relu_tests", 2, r"""
check_layer(LeakyReLU)
""")
    b.md(r"""
## 3 · Sigmoid, without overflow

$\sigma(x) = 1 / (1 + e^{-x})$ and $\sigma'(x) = \sigma(x)\,(1 - \sigma(x))$, so the output is all
the backward pass needs: cache it.

Written as it stands, the formula computes $e^{1000}$ for $x = -1000$, which overflows to
`inf` with a warning. Two forms of the same function avoid it: for $x \ge 0$ use
$1 / (1 + e^{-x})$, for $x < 0$ use $e^{x} / (1 + e^{x})$. In both the exponent is
$-|x| \le 0$, so $e^{-|x|} \in (0, 1]$ can only underflow, harmlessly, to 0. The check runs your
layer at $|x| = 1000$ too. (A discriminator should not end in a sigmoid at all: assignment 2
works with logits. But a sigmoid is still how you turn a logit into a probability.)
""")
    b.solution("sigmoid_solution", r'''
class Sigmoid(Layer):
    """f(x) = 1 / (1 + exp(-x)), computed piecewise;  dx = dout * f(x) * (1 - f(x))."""

    def compute_forward(self, x, training):
        ### BEGIN SOLUTION
        e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
        out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        ### END SOLUTION
        return out, out

    def compute_backward(self, dout, cache):
        out = cache
        ### BEGIN SOLUTION
        dx = dout * out * (1.0 - out)
        ### END SOLUTION
        return dx
''')
    b.tests("sigmoid_tests", 2, r"""
check_layer(Sigmoid)
""")
    b.md(r"""
## 4 · BatchNorm

For input $(N, F)$, per feature and over the batch ($m = N$ values):

$$
\hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad \mathrm{out} = \gamma \hat x + \beta .
$$

* **Training mode** (`training=True`): $\mu$ and $\sigma^2$ are the batch's mean and *biased*
  variance (divide by $m$, `x.var(axis=0)`). The running estimates move towards them,
  $r \leftarrow (1 - \text{momentum})\, r + \text{momentum} \cdot \text{batch}$, with the
  *unbiased* variance $\sigma^2 m / (m - 1)$ for `running_var` (PyTorch's convention;
  momentum 0.1, $\epsilon = 10^{-5}$).
* **Inference mode** (`training=False`): $\mu$ and $\sigma^2$ are `running_mean` and
  `running_var`, which stay unchanged. The layer is then a fixed affine map.

**Backward.** In both modes $\partial L/\partial\gamma = \sum_n \delta_n \hat x_n$ and
$\partial L/\partial\beta = \sum_n \delta_n$. Let $\hat\delta = \delta\,\gamma$ be the gradient
with respect to $\hat x$. In inference mode $\mu$ and $\sigma$ are constants:
$\partial L / \partial x = \hat\delta / \sqrt{\sigma^2 + \epsilon}$. In training mode they are
functions of the whole batch, and

$$
\frac{\partial \hat x_i}{\partial x_j}
= \frac{1}{\sqrt{\sigma^2 + \epsilon}}\Bigl(\delta_{ij} - \frac1m - \frac{\hat x_i \hat x_j}{m}\Bigr)
\quad\Longrightarrow\quad
\frac{\partial L}{\partial x} = \frac{1}{m\sqrt{\sigma^2 + \epsilon}}
\Bigl(m\,\hat\delta - \sum_n \hat\delta_n - \hat x \sum_n \hat\delta_n \hat x_n\Bigr).
$$

The $-1/m$ comes from the mean, the $-\hat x_i \hat x_j / m$ from the variance; forgetting either
is the classic mistake, and the check recognises both.
""")
    b.solution("batchnorm_solution", r'''
class BatchNorm(Layer):
    """Per-feature batch normalisation of (N, F) input; see the formulas above."""

    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        super().__init__()
        self.num_features, self.momentum, self.eps = num_features, momentum, eps
        self._add_param("gamma", np.ones(num_features))
        self._add_param("beta", np.zeros(num_features))
        self.state["running_mean"] = np.zeros(num_features)
        self.state["running_var"] = np.ones(num_features)

    def output_shape(self, input_shape):
        if tuple(input_shape) != (self.num_features,):
            raise ValueError(f"BatchNorm expects (batch, {self.num_features}), got (batch, *{input_shape})")
        return tuple(input_shape)

    def compute_forward(self, x, training):
        gamma, beta = self.params["gamma"], self.params["beta"]
        ### BEGIN SOLUTION
        if training:
            m = x.shape[0]
            mu, var = x.mean(axis=0), x.var(axis=0)
            running_mean, running_var = self.state["running_mean"], self.state["running_var"]
            running_mean[...] = (1 - self.momentum) * running_mean + self.momentum * mu
            running_var[...] = (1 - self.momentum) * running_var + self.momentum * var * m / (m - 1)
        else:
            mu, var = self.state["running_mean"], self.state["running_var"]
        inv_std = 1.0 / np.sqrt(var + self.eps)
        xhat = (x - mu) * inv_std
        out = gamma * xhat + beta
        cache = (xhat, inv_std, training)
        ### END SOLUTION
        return out, cache

    def compute_backward(self, dout, cache):
        gamma = self.params["gamma"]
        ### BEGIN SOLUTION
        xhat, inv_std, training = cache
        self.grads["gamma"] += (dout * xhat).sum(axis=0)
        self.grads["beta"] += dout.sum(axis=0)
        dxhat = dout * gamma
        if not training:
            return dxhat * inv_std
        m = dout.shape[0]
        dx = inv_std / m * (m * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
        ### END SOLUTION
        return dx
''')
    b.tests("batchnorm_tests", 4, r"""
check_layer(BatchNorm)
### BEGIN HIDDEN TESTS
check_layer(BatchNorm, seed=3, quiet=True)
### END HIDDEN TESTS
""")
    b.md(r"""
## 5 · Your layers inside minigan

Because your classes follow minigan's contract, minigan's `Sequential`, losses and optimizers
work with them unchanged. Below, a network built **only from your layers** learns to tell
whether a 2-D point lies inside a circle (the circle holds half of the standard normal
distribution's mass, so the classes are balanced). It trains on logits with minigan's
`bce_with_logits` and Adam; your `Sigmoid` turns the final logits into probabilities, and
`predict` runs your BatchNorm in inference mode with the running statistics it collected.
This cell is not graded; it works once the four layers above pass their checks.
""")
    b.code(r"""
from minigan import Adam, Sequential
from minigan.losses import bce_with_logits

rng = np.random.default_rng(0)
radius = np.sqrt(2 * np.log(2))  # P(|x| < radius) = 1/2 for x ~ N(0, I_2)


def circle_batch(n):
    x = rng.standard_normal((n, 2))
    return x, (np.linalg.norm(x, axis=1) < radius).astype(float)[:, None]


net = Sequential([Dense(2, 32, rng=1), BatchNorm(32), LeakyReLU(0.2),
                  Dense(32, 32, rng=2), LeakyReLU(0.2), Dense(32, 1, rng=3)],
                 input_shape=(2,), name="classifier")
net.summary()
optimizer = Adam(net.parameters(), lr=0.01)
for _ in range(150 if FAST else 600):
    x, y = circle_batch(128)
    optimizer.zero_grad()
    logits = net.forward(x)
    # bce_with_logits takes one label for the whole batch, so the two classes go separately
    loss_in, grad_in = bce_with_logits(logits[y[:, 0] == 1], 1.0)
    loss_out, grad_out = bce_with_logits(logits[y[:, 0] == 0], 0.0)
    dlogits = np.zeros_like(logits)
    dlogits[y[:, 0] == 1], dlogits[y[:, 0] == 0] = grad_in, grad_out
    net.backward(dlogits)
    optimizer.step()

x_test, y_test = circle_batch(4000)
probability = Sigmoid().forward(net.predict(x_test), remember=False)  # inference mode
accuracy = float(np.mean((probability > 0.5) == (y_test == 1)))
print(f"accuracy on 4,000 new points: {accuracy:.1%}")
assert accuracy > 0.9, f"your network reached only {accuracy:.1%}; check the layers above"
""")
    b.md(r"""
**Things to try.** Remove the BatchNorm layer, or set `alpha=0` (a ReLU), and compare how fast
the loss falls. Then look at `minigan/layers/`: your four layers are what minigan runs, with a
few additions (image-shaped input for BatchNorm, optional compiled kernels).
""")
    return b.notebook()


ASSIGNMENTS = {"A1_layers": a1_layers}


def main(names=None) -> int:
    for name, make in ASSIGNMENTS.items():
        if names and name not in names:
            continue
        nbformat.write(make(), HERE / f"{name}.ipynb")
        print(f"wrote {HERE / f'{name}.ipynb'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
