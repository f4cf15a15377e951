"""Writes tests/data/old_checkpoint_*.npz: a small model and an Adam state saved by minigan at
commit 3634c1b (before the layers became the plain NumPy reference), with the outputs that
code computed, so tests/test_network.py can check that old files still load and give the
same numbers. Run once, from a checkout of that commit:

    MINIGAN_KERNELS=numpy PYTHONPATH=<checkout> python tests/data/make_old_checkpoint.py tests/data
"""

import sys

import numpy as np

from minigan.files import atomic_save_npz
from minigan.layers import BatchNorm, Conv2D, Dense, Flatten, LeakyReLU
from minigan.network import Sequential
from minigan.optim import Adam


def build():
    return Sequential([Conv2D(1, 2, 3, 2, "same", rng=0), BatchNorm(2), LeakyReLU(0.2), Flatten(),
                       Dense(32, 3, rng=1)], input_shape=(1, 8, 8), name="fixture")


def main(folder):
    rng = np.random.default_rng(7)
    model = build()
    opt = Adam(model.parameters(), 1e-2, (0.5, 0.999))
    x = rng.standard_normal((4, 1, 8, 8)).astype(np.float32)
    for _ in range(2):  # two steps: moment buffers and running statistics away from their start
        opt.zero_grad()
        out = model.forward(x, training=True)
        model.backward(rng.standard_normal(out.shape).astype(np.float32))
        opt.step()
    model.save(f"{folder}/old_checkpoint_model.npz")
    atomic_save_npz(f"{folder}/old_checkpoint_adam.npz", opt.state_dict())
    # what that code computed from the saved state: eval and training outputs, a third step
    expected = {"x": x, "eval_out": model.predict(x, training=False)}
    opt.zero_grad()
    expected["train_out"] = model.forward(x, training=True)
    dout = rng.standard_normal(expected["train_out"].shape).astype(np.float32)
    model.backward(dout)
    expected["dout"] = dout
    opt.step()
    expected.update({f"after_step/{p.name}": p.value for p in model.parameters()})
    atomic_save_npz(f"{folder}/old_checkpoint_expected.npz", expected)


if __name__ == "__main__":
    main(sys.argv[1])
