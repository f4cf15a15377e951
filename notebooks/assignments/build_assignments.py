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


# --------------------------------------------------------------------------- A2: losses
def a2_losses():
    b = Builder("a2")
    b.md(r"""
# Assignment 2 · GAN losses on logits, and the generator's gradient through D

minigan's discriminators end in a plain `Dense(..., 1)`: they return a **logit** $s \in \mathbb{R}$,
and $D(x) = \sigma(s) = 1 / (1 + e^{-s})$ is never formed before a logarithm is taken. In this
assignment you write the three losses of a GAN as functions of logits, each returning its value
*and* its gradient with respect to the logits, and then the one gradient that makes a GAN a
GAN: the generator's, taken *through* the discriminator.

1. binary cross-entropy on logits, stable at $|s| = 1000$;
2. the discriminator's loss;
3. the generator's two losses, saturating and non-saturating;
4. the generator's gradient through D, without stepping D.

Every loss is a **mean** over the batch, so every gradient carries a factor $1/N$. Write your
code where it says `# YOUR CODE HERE`, in place of the `raise NotImplementedError()`.
""")
    b.md(HOW_CHECKS_READ)
    b.code(r"""
import minigan  # noqa: F401, I001  (import minigan before numpy: it tunes the BLAS threads)
import numpy as np

from minigan.course import check_generator_gradient, check_loss
from minigan.course.checks import small_gan
from minigan.functions import sigmoid, softplus  # both computed without overflow
from minigan.losses import generator_loss as minigan_generator_loss
""")
    b.md(r"""
## Why logits

The log of a sigmoid has closed forms that never overflow. With
$\mathrm{softplus}(s) = \log(1 + e^{s})$,

$$
-\log \sigma(s) = \mathrm{softplus}(-s), \qquad
-\log\bigl(1 - \sigma(s)\bigr) = \mathrm{softplus}(s), \qquad
\frac{d}{ds}\,\mathrm{softplus}(s) = \sigma(s).
$$

`minigan.functions.softplus` computes $\max(s, 0) + \log(1 + e^{-|s|})$ and
`minigan.functions.sigmoid` uses the piecewise form of assignment 1, so neither ever
exponentiates a positive number. Use them below. Compare the direct route through a
probability:
""")
    b.code(r"""
s = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
with np.errstate(all="warn"):
    naive = -np.log(1.0 / (1.0 + np.exp(-s)))  # -log D computed from the probability
print("through probabilities:", naive)          # exp(1000) overflows, and log(0) = -inf
print("softplus(-s):         ", softplus(-s))   # the same function, finite everywhere
""")
    b.md(r"""
At $s = -1000$ the true value of $-\log D$ is $1000$, an ordinary number: the discriminator is
very sure and very wrong, and the loss should say so. Through the probability it comes out as
`inf`, and a gradient computed that way is `nan`.

## 1 · Binary cross-entropy on logits

For logits $s_1, \dots, s_N$ and one label $t \in [0, 1]$ for the whole batch,

$$
L = \frac1N \sum_n \Bigl[ t\,\mathrm{softplus}(-s_n) + (1 - t)\,\mathrm{softplus}(s_n) \Bigr],
\qquad
\frac{\partial L}{\partial s_n} = \frac{\sigma(s_n) - t}{N}.
$$

(Differentiate: $\frac{d}{ds}\mathrm{softplus}(-s) = -\sigma(-s) = \sigma(s) - 1$.) Return
`(value, gradient)` with `value` a Python float and the gradient of the logits' shape.
""")
    b.solution("bce_solution", r'''
def bce_with_logits(logits, target):
    """Mean binary cross-entropy of sigmoid(logits) against the label target.
    Returns (value, dvalue/dlogits)."""
    ### BEGIN SOLUTION
    n = logits.size
    value = float(np.mean(target * softplus(-logits) + (1 - target) * softplus(logits)))
    grad = (sigmoid(logits) - target) / n
    ### END SOLUTION
    return value, grad
''')
    b.tests("bce_tests", 3, r"""
check_loss(bce_with_logits, "bce")
### BEGIN HIDDEN TESTS
check_loss(bce_with_logits, "bce", seed=5, quiet=True)
### END HIDDEN TESTS
""")
    b.md(r"""
## 2 · The discriminator's loss

The discriminator maximises $V(G, D) = \mathbb{E}_{x}\log D(x) + \mathbb{E}_z \log(1 - D(G(z)))$.
Written as a loss to *minimise*, with real logits $r$ ($N_r$ of them) and fake logits $f$
($N_f$):

$$
L_D = \frac{1}{N_r}\sum_n \mathrm{softplus}(-r_n) + \frac{1}{N_f}\sum_n \mathrm{softplus}(f_n),
\qquad
\frac{\partial L_D}{\partial r_n} = -\frac{\sigma(-r_n)}{N_r}, \quad
\frac{\partial L_D}{\partial f_n} = \frac{\sigma(f_n)}{N_f}.
$$

It is two cross-entropies, label 1 for real and label 0 for fake, each a mean over its own batch.
Write it out with `softplus` and `sigmoid` (not with your `bce_with_logits`), so that each
exercise stands on its own. Return `(value, d_real, d_fake)`.
""")
    b.solution("discriminator_loss_solution", r'''
def discriminator_loss(real_logits, fake_logits):
    """-[mean log D(x) + mean log(1 - D(G(z)))] on logits. Returns (value, d_real, d_fake)."""
    ### BEGIN SOLUTION
    value = float(np.mean(softplus(-real_logits)) + np.mean(softplus(fake_logits)))
    d_real = -sigmoid(-real_logits) / real_logits.size
    d_fake = sigmoid(fake_logits) / fake_logits.size
    ### END SOLUTION
    return value, d_real, d_fake
''')
    b.tests("discriminator_loss_tests", 2, r"""
check_loss(discriminator_loss, "discriminator")
""")
    b.md(r"""
## 3 · The generator's two losses

For fake logits $s_n$:

| kind | minimise | in logits | $\partial L / \partial s_n$ |
| --- | --- | --- | --- |
| `"saturating"` | $\frac1N\sum\log(1 - D)$ | $-\frac1N\sum\mathrm{softplus}(s_n)$ | $-\sigma(s_n)/N$ |
| `"non_saturating"` | $-\frac1N\sum\log D$ | $\frac1N\sum\mathrm{softplus}(-s_n)$ | $-\sigma(-s_n)/N$ |

The saturating loss is the generator's part of the minimax game itself.

Both push $D(G(z))$ up. Early in training the discriminator rejects the fakes,
$s \ll 0$: then $\sigma(s) \approx 0$ and the saturating gradient vanishes, while
$\sigma(-s) \approx 1$ keeps the non-saturating one alive. Assignment 3 shows what that does to
training.
""")
    b.solution("generator_loss_solution", r'''
def generator_loss(fake_logits, kind):
    """The generator's loss on D's logits for its samples. Returns (value, dvalue/dlogits)."""
    if kind not in ("saturating", "non_saturating"):
        raise ValueError(f"kind must be 'saturating' or 'non_saturating', got {kind!r}")
    n = fake_logits.size
    ### BEGIN SOLUTION
    if kind == "saturating":
        value = float(-np.mean(softplus(fake_logits)))
        grad = -sigmoid(fake_logits) / n
    else:
        value = float(np.mean(softplus(-fake_logits)))
        grad = -sigmoid(-fake_logits) / n
    ### END SOLUTION
    return value, grad
''')
    b.tests("generator_loss_tests", 3, r"""
check_loss(generator_loss, "saturating")
check_loss(generator_loss, "non_saturating")
""")
    b.md(r"""
## 4 · The generator's gradient, through D

The generator never sees a label. Its loss is a function of D's logits on its samples,
$L = \ell\bigl(D(G(z))\bigr)$, so its gradient must travel back through the discriminator:

$$
\frac{\partial L}{\partial \theta_G}
= \frac{\partial L}{\partial s}\cdot\frac{\partial s}{\partial x}\cdot\frac{\partial x}{\partial \theta_G},
\qquad x = G(z),\; s = D(x).
$$

In minigan each factor is one call: the loss gives $\partial L / \partial s$; `D.backward`
turns it into $\partial L / \partial x$, D's *input* gradient, which is exactly the gradient
at G's output; `G.backward` does the rest and fills G's gradients. D's own gradients get filled
along the way, but the generator step does not step D: "not updating D" simply means not calling
D's optimizer, and D stays in training mode.

Write `generator_gradients(G, D, z, kind)`: zero G's gradients, run the forward passes,
back-propagate, and return the loss value. Use `minigan_generator_loss` (minigan's own
`generator_loss`, imported above), so this exercise does not depend on the previous one.
The check compares every gradient of G with central differences of
$\ell(D(G(z)))$ in G's parameters.
""")
    b.solution("through_d_solution", r'''
def generator_gradients(G, D, z, kind):
    """Fill G's gradients of the generator loss through D (D is not stepped); return the loss."""
    ### BEGIN SOLUTION
    G.zero_grad()
    fake = G.forward(z)
    logits = D.forward(fake)
    loss, dlogits = minigan_generator_loss(logits, kind)
    dfake = D.backward(dlogits)  # D's input gradient = the gradient at G's output
    G.backward(dfake)
    ### END SOLUTION
    return loss
''')
    b.tests("through_d_tests", 3, r"""
check_generator_gradient(generator_gradients, "non_saturating")
check_generator_gradient(generator_gradients, "saturating")
""")
    b.md(r"""
## The vanishing gradient, measured

Take the small G and D of the check and make D reject every sample ever more confidently by
lowering its output bias, so that $D(G(z))$ becomes tiny. Then compare the size of G's gradient
under the two losses. (Not graded; it needs exercise 4.)
""")
    b.code(r"""
G, D, z = small_gan()
for shift in (0.0, -4.0, -8.0):
    D.layers[-1].params["b"][...] = shift
    d_fake = float(np.mean(sigmoid(D.predict(G.predict(z, training=True), training=True))))
    norms = {}
    for kind in ("saturating", "non_saturating"):
        generator_gradients(G, D, z, kind)
        norms[kind] = float(np.sqrt(sum(np.sum(p.grad**2) for p in G.parameters())))
        D.zero_grad()
    ratio = norms["non_saturating"] / norms["saturating"]
    print(f"mean D(G(z)) = {d_fake:8.2e}:  |grad G| saturating {norms['saturating']:.2e}, "
          f"non-saturating {norms['non_saturating']:.2e}, ratio {ratio:6.0f}")
assert norms["non_saturating"] > 100 * norms["saturating"]
""")
    b.md(r"""
The ratio is close to $(1 - D)/D$ at the batch's $D(G(z))$: the two gradients differ only in the
factor $\sigma(s)$ against $\sigma(-s)$ that multiplies everything behind the logit.
""")
    return b.notebook()


# --------------------------------------------------------------------------- A3: the game
def a3_the_game():
    b = Builder("a3")
    b.md(r"""
# Assignment 3 · The game: Algorithm 1 on a 1-D Gaussian

Goodfellow et al. (2014) train a GAN by alternating two descents. For each training iteration:

1. repeat $k$ times: draw $m$ noise vectors and $m$ data points and take one descent step on
   the discriminator's loss;
2. draw $m$ noise vectors and take one descent step on the generator's loss, through D.

You write the two steps and the loop, then reproduce the result of the README and of
notebook 03 with your own code: from the same start, a generator trained with the
**non-saturating** loss reaches the data, and one trained with the **saturating** loss never moves.

The data are $p_{\text{data}} = \mathcal{N}(0, 1)$; G is a small MLP $x = G(z)$,
$z \sim \mathcal{N}(0, 1)$, that starts near $x = -8$; D is a small MLP returning a logit.
minigan's losses, optimizers and networks are used throughout. Write your code where it says
`# YOUR CODE HERE`, in place of the `raise NotImplementedError()`.
""")
    b.md(HOW_CHECKS_READ)
    b.code(r"""
import minigan  # noqa: F401, I001  (import minigan before numpy: it tunes the BLAS threads)
import copy
import os

import numpy as np
from IPython.display import display
from matplotlib.figure import Figure

from minigan.course.game import check_discriminator_step, check_generator_step, check_training_loop
from minigan.losses import bce_with_logits, generator_loss
from minigan.metrics import histogram_js_divergence
from minigan.models import toy_discriminator, toy_generator
from minigan.optim import SGD, Adam
from minigan.theory import Gaussian

FAST = os.environ.get("MINIGAN_FAST") == "1"  # a shorter run for automatic testing
""")
    b.md(r"""
## 1 · One discriminator step

Given real samples `x_real` and noise `z` (both of shape $(m, 1)$), take one descent step on

$$
L_D = -\frac1m\sum \log D(x) - \frac1m \sum \log\bigl(1 - D(G(z))\bigr)
$$

in D's parameters only, and return $L_D$:

1. `d_opt.zero_grad()`: gradients *accumulate* in minigan, so clear the last step's;
2. the fake batch, `G.predict(z, training=True)`: a forward pass that keeps no cache, since
   nothing flows back into G here;
3. for each batch, `D.forward`, then `bce_with_logits(logits, label)` (label 1 for real, 0 for
   fake), then `D.backward(gradient)`: D's gradients from the two batches add up;
4. `d_opt.step()`.
""")
    b.solution("discriminator_step_solution", r'''
def discriminator_step(G, D, d_opt, x_real, z):
    """One descent step on D's loss; G is not changed. Returns the loss."""
    ### BEGIN SOLUTION
    d_opt.zero_grad()
    fake = G.predict(z, training=True)
    real_loss, d_real = bce_with_logits(D.forward(x_real), 1.0)
    D.backward(d_real)
    fake_loss, d_fake = bce_with_logits(D.forward(fake), 0.0)
    D.backward(d_fake)
    d_opt.step()
    loss = real_loss + fake_loss
    ### END SOLUTION
    return loss
''')
    b.tests("discriminator_step_tests", 3, r"""
check_discriminator_step(discriminator_step)
""")
    b.md(r"""
## 2 · One generator step

Take one descent step on the generator's loss (`generator_loss(logits, kind)`, saturating or
non-saturating) in G's parameters only, back-propagating through D as in assignment 2:
`g_opt.zero_grad()`, `G.forward`, `D.forward`, the loss, `D.backward`, `G.backward`,
`g_opt.step()`. D's gradients are filled on the way, which is harmless: D's optimizer clears
them before D's next step. Return the loss.
""")
    b.solution("generator_step_solution", r'''
def generator_step(G, D, g_opt, z, kind):
    """One descent step on the generator's loss through D; D is not changed. Returns the loss."""
    ### BEGIN SOLUTION
    g_opt.zero_grad()
    logits = D.forward(G.forward(z))
    loss, dlogits = generator_loss(logits, kind)
    G.backward(D.backward(dlogits))
    g_opt.step()
    ### END SOLUTION
    return loss
''')
    b.tests("generator_step_tests", 3, r"""
check_generator_step(generator_step, "non_saturating")
check_generator_step(generator_step, "saturating")
""")
    b.md(r"""
## 3 · The loop

Write the loop: `steps` iterations, each made of `k` discriminator steps and then one generator
step, every step with **fresh** samples: `sample_data(batch_size, rng)` and
`sample_noise(batch_size, rng)`. Call the steps through the arguments `d_step` and `g_step`
(they default to your functions above; the check passes stand-ins that record the calls). Return
a history `{"d_loss": [...], "g_loss": [...]}` with one entry per iteration: the last
discriminator loss of the iteration and the generator loss.
""")
    b.solution("training_loop_solution", r'''
def train_gan(G, D, g_opt, d_opt, sample_data, sample_noise, kind, steps, k, batch_size, rng,
              d_step=discriminator_step, g_step=generator_step):
    """Algorithm 1 of Goodfellow et al. (2014). Returns the history of the losses."""
    history = {"d_loss": [], "g_loss": []}
    ### BEGIN SOLUTION
    for _ in range(steps):
        for _ in range(k):
            d_loss = d_step(G, D, d_opt, sample_data(batch_size, rng), sample_noise(batch_size, rng))
        g_loss = g_step(G, D, g_opt, sample_noise(batch_size, rng), kind)
        history["d_loss"].append(d_loss)
        history["g_loss"].append(g_loss)
    ### END SOLUTION
    return history
''')
    b.tests("training_loop_tests", 3, r"""
check_training_loop(train_gan)
""")
    b.md(r"""
## 4 · Saturating against non-saturating, with your code

The setting of `minigan compare-losses`, for one seed: the generator's last layer is rescaled so
that it starts as roughly $\mathcal{N}(-8, 0.5^2)$; then D trains alone for 300 steps (your
`discriminator_step`) until it rejects those samples confidently. From **identical** weights and
the **same** random numbers, one GAN is trained with each generator loss ($k = 3$, batches of
64; D with Adam, G with plain SGD so that the size of a gradient is the size of a step).
Nothing is graded from here on, but the last cell asserts the result.
""")
    b.code(r"""
STEPS = 300 if FAST else 1500
p_data = Gaussian(0.0, 1.0)


def sample_data(n, rng):
    return rng.normal(p_data.mean, p_data.std, (n, 1))


def sample_noise(n, rng):
    return rng.standard_normal((n, 1))


G0, D0 = toy_generator(seed=1), toy_discriminator(seed=2)
z_fixed = np.random.default_rng(3).standard_normal((4096, 1))
last = G0.layers[-1]
last.params["W"] *= 0.5 / G0.predict(z_fixed).std()       # std 0.5 ...
last.params["b"] += -8.0 - G0.predict(z_fixed).mean()      # ... around x = -8
pretrain_rng, d_opt0 = np.random.default_rng(4), Adam(D0.parameters(), lr=1e-3, betas=(0.5, 0.999))
for _ in range(300):
    discriminator_step(G0, D0, d_opt0, sample_data(64, pretrain_rng), sample_noise(64, pretrain_rng))

results = {}
for kind in ("saturating", "non_saturating"):
    G, D = copy.deepcopy(G0), copy.deepcopy(D0)
    history = train_gan(G, D, SGD(G.parameters(), lr=0.003, momentum=0.5),
                        Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999)), sample_data, sample_noise,
                        kind, STEPS, 3, 64, np.random.default_rng(6))
    x = G.predict(np.random.default_rng(5).standard_normal((5000, 1))).ravel()
    jsd = histogram_js_divergence(x, p_data.cdf, np.linspace(-12.0, 5.0, 121))
    results[kind] = {"samples": x, "history": history, "mean": x.mean(), "std": x.std(), "jsd": jsd}
    print(f"{kind:>15}: after {STEPS} iterations, samples have mean {x.mean():6.2f} and std "
          f"{x.std():.2f}; JSD(p_data || p_g) = {jsd:.3f} (log 2 = 0.693)")
""")
    b.code(r"""
fig = Figure(figsize=(9, 3.2), layout="constrained")
axes = fig.subplots(1, 2, sharey=True)
grid = np.linspace(-11, 4, 400)
for ax, (kind, r) in zip(axes, results.items(), strict=True):
    ax.hist(r["samples"], bins=np.linspace(-11, 4, 91), density=True, color="tab:green", alpha=0.6,
            label="G(z)")
    ax.plot(grid, p_data.pdf(grid), "k:", label="p_data")
    ax.set_title(f"{kind}, {STEPS} iterations")
    ax.set_xlabel("x")
axes[0].legend()
display(fig)
""")
    b.md(r"""
**What you see.** With the saturating loss the generator has not moved: against a discriminator
that rejects its samples, $D(G(z)) \approx 10^{-3}$ and the gradient $-\sigma(s)$ is a thousand
times too small. The non-saturating loss has the same fixed point but a gradient of about
$-1$ there, and the generator reaches the data. Try `k = 1`, or Adam for G: Adam rescales every
step by a running gradient size, which hides most of the difference.
""")
    b.code(r"""
assert results["saturating"]["mean"] < -6, "the saturating generator should still be near x = -8"
assert results["saturating"]["jsd"] > 0.6, "and its JSD near log 2"
assert abs(results["non_saturating"]["mean"]) < 1, "the non-saturating generator should reach the data"
assert results["non_saturating"]["jsd"] < 0.2, results["non_saturating"]["jsd"]
print("reproduced: the non-saturating loss reaches p_data, the saturating one stays where it started")
""")
    return b.notebook()


# --------------------------------------------------------------------------- A4: theory
def a4_theory():
    b = Builder("a4")
    b.md(r"""
# Assignment 4 · The theory by quadrature: D* and the Jensen–Shannon divergence

For a fixed generator, the discriminator that maximises $V(G, D)$ is

$$
D^*(x) = \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)},
$$

and against it the value function becomes
$V(G, D^*) = -\log 4 + 2\,\mathrm{JSD}(p_{\text{data}}\,\|\,p_g)$ (notebooks 01 and 02 derive both).
In 1-D these are integrals you can compute to ten digits, which turns the theorems into numbers
you can check. You write:

1. $D^*$, computed so that it stays right far in the tails;
2. a quadrature rule (composite Simpson);
3. the Jensen–Shannon divergence, in nats.

The distributions are `minigan.theory` objects: `p.pdf(x)`, `p.logpdf(x)`, `p.mean`, `p.std`.
Write your code where it says `# YOUR CODE HERE`, in place of the `raise NotImplementedError()`.
""")
    b.md(HOW_CHECKS_READ)
    b.code(r"""
import minigan  # noqa: F401, I001  (import minigan before numpy: it tunes the BLAS threads)
import math

import numpy as np

from minigan import theory
from minigan.course.theory_checks import check_integrate, check_js_divergence, check_optimal_discriminator
from minigan.functions import sigmoid, softplus
""")
    b.md(r"""
## 1 · The optimal discriminator

Dividing through by $p_{\text{data}}$ gives
$D^* = 1 / (1 + p_g / p_{\text{data}}) = \sigma\bigl(\log p_{\text{data}}(x) - \log p_g(x)\bigr)$.
Use that form. The direct ratio fails in the tails: at $x = 45$ both Gaussian densities are
below $10^{-300}$, underflow to 0, and $0 / (0 + 0)$ is `nan`, while the log-densities are
ordinary numbers and $D^*$ is simply 0 or 1 there. `sigmoid` is imported from
`minigan.functions` (the stable one).
""")
    b.solution("optimal_discriminator_solution", r'''
def optimal_discriminator(p_data, p_g, x):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), from log-densities."""
    ### BEGIN SOLUTION
    d = sigmoid(p_data.logpdf(x) - p_g.logpdf(x))
    ### END SOLUTION
    return d
''')
    b.tests("optimal_discriminator_tests", 2, r"""
check_optimal_discriminator(optimal_discriminator)
""")
    b.md(r"""
## 2 · Composite Simpson's rule

Split $[a, b]$ into $n$ panels ($n$ even) of width $h = (b - a)/n$, with nodes
$x_i = a + i h$. Simpson's rule fits a parabola through each pair of panels:

$$
\int_a^b f(x)\,dx \approx \frac{h}{3}\Bigl(f(x_0) + 4 f(x_1) + 2 f(x_2) + 4 f(x_3) + \dots + 2 f(x_{n-2})
+ 4 f(x_{n-1}) + f(x_n)\Bigr).
$$

Its error falls like $h^4$, so 2000 panels give about ten correct digits for the smooth
integrands here. `f` takes an array of nodes and returns an array; evaluate it once.
""")
    b.solution("integrate_solution", r'''
def integrate(f, a, b, n=2000):
    """Composite Simpson's rule on n panels (n is rounded up to even)."""
    n += n % 2
    ### BEGIN SOLUTION
    x = np.linspace(a, b, n + 1)
    h = (b - a) / n
    weights = np.ones(n + 1)
    weights[1:-1:2] = 4.0
    weights[2:-1:2] = 2.0
    value = float(h / 3 * np.sum(weights * f(x)))
    ### END SOLUTION
    return value
''')
    b.tests("integrate_tests", 2, r"""
check_integrate(integrate)
""")
    b.md(r"""
## 3 · The Jensen–Shannon divergence

With the mixture $m = \tfrac12(p + q)$,

$$
\mathrm{JSD}(p\,\|\,q) = \tfrac12 \int p \log\frac{p}{m}\,dx + \tfrac12 \int q \log\frac{q}{m}\,dx ,
\qquad 0 \le \mathrm{JSD} \le \log 2 .
$$

Integrate with 4000 panels from the lower of $\mu_p - 12\sigma_p$ and $\mu_q - 12\sigma_q$ to the
higher of $\mu_p + 12\sigma_p$ and $\mu_q + 12\sigma_q$: that holds all of both distributions'
mass to double precision. Work with
log-densities: $\log m = \mathrm{logaddexp}(\log p, \log q) - \log 2$, and each term is
$p\,(\log p - \log m)$ with $p = e^{\log p}$, which is simply 0 where $p$ underflows. Integrate
with the `integrate` argument (your rule by default; the check passes an exact one, so this
exercise does not depend on the previous).
""")
    b.solution("js_divergence_solution", r'''
def js_divergence(p, q, integrate=integrate):
    """JSD(p || q) in nats, by quadrature."""
    lo = min(p.mean - 12 * p.std, q.mean - 12 * q.std)
    hi = max(p.mean + 12 * p.std, q.mean + 12 * q.std)
    ### BEGIN SOLUTION
    def integrand(x):
        log_p, log_q = p.logpdf(x), q.logpdf(x)
        log_m = np.logaddexp(log_p, log_q) - math.log(2)
        return 0.5 * np.exp(log_p) * (log_p - log_m) + 0.5 * np.exp(log_q) * (log_q - log_m)

    value = integrate(integrand, lo, hi, 4000)
    ### END SOLUTION
    return value
''')
    b.tests("js_divergence_tests", 3, r"""
check_js_divergence(js_divergence)
""")
    b.md(r"""
## The theorem, as numbers

For $p_{\text{data}} = \mathcal{N}(0, 1)$ and $p_g = \mathcal{N}(\mu, 1)$, compute
$V(G, D^*) = \int p_{\text{data}} \log D^* + \int p_g \log(1 - D^*)$ with your quadrature,
writing $\log D^* = -\mathrm{softplus}(-s)$ and $\log(1 - D^*) = -\mathrm{softplus}(s)$ for the
logit $s = \log p_{\text{data}} - \log p_g$, and compare it with $-\log 4 + 2\,\mathrm{JSD}$.
(Not graded; it needs exercises 2 and 3.)
""")
    b.code(r"""
p_data = theory.Gaussian(0.0, 1.0)
worst = 0.0
for mu in (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 20.0):
    p_g = theory.Gaussian(mu, 1.0)

    def value_integrand(x, p_g=p_g):
        s = p_data.logpdf(x) - p_g.logpdf(x)
        return -p_data.pdf(x) * softplus(-s) - p_g.pdf(x) * softplus(s)

    v = integrate(value_integrand, -12.0, mu + 12.0, 4000)
    jsd = js_divergence(p_data, p_g)
    worst = max(worst, abs(v - (-math.log(4) + 2 * jsd)))
    print(f"mu = {mu:5.1f}:  V(G, D*) = {v:+.10f}   -log 4 + 2 JSD = {-math.log(4) + 2 * jsd:+.10f}"
          f"   JSD = {jsd:.6f}")
print(f"largest difference: {worst:.1e}   (log 2 = {math.log(2):.6f})")
assert worst < 1e-8
""")
    b.md(r"""
At $\mu = 0$ the generator is perfect: JSD = 0 and $V = -\log 4$, the value of the game at its
equilibrium, where $D^* = \tfrac12$ everywhere. As $\mu$ grows the JSD climbs to $\log 2$ and
stays there: once the two distributions barely overlap, moving the generator changes almost
nothing, which is the vanishing gradient of the saturating loss seen from the value function.
""")
    return b.notebook()


ASSIGNMENTS = {"A1_layers": a1_layers, "A2_losses": a2_losses, "A3_the_game": a3_the_game,
               "A4_theory": a4_theory}


def main(names=None) -> int:
    for name, make in ASSIGNMENTS.items():
        if names and name not in names:
            continue
        nbformat.write(make(), HERE / f"{name}.ipynb")
        print(f"wrote {HERE / f'{name}.ipynb'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
