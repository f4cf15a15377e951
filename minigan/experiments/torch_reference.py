"""The same GAN in PyTorch, for `minigan bench` only (minigan itself never needs torch).

``to_torch(model)`` builds an equivalent torch.nn.Sequential from a minigan Sequential and
copies its weights, so both frameworks start from identical numbers; ``TorchGAN`` runs the
plain PyTorch training loop of one GAN iteration (D on a real and a fake batch, then G with
the non-saturating loss, Adam), the loop a PyTorch user would write.
"""

from __future__ import annotations

import numpy as np

from ..layers import BatchNorm, Dense, Dropout, Flatten, LeakyReLU, ReLU, Reshape, Sigmoid, Tanh


def available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _same_padding(size: int, stride: int, kernel: int) -> tuple[int, int]:
    """TensorFlow 'same' padding (top, bottom) of a convolution over ``size`` pixels."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def to_torch(model):
    """An equivalent torch.nn.Sequential with copies of the model's weights (float32)."""
    import torch
    from torch import nn

    class Window(nn.Module):
        """Rows top..top+h and columns left..left+w of the input, zero where that window
        runs past its end (F.pad crops for negative amounts and pads for positive ones)."""

        def __init__(self, top, left, h, w):
            super().__init__()
            self.top, self.left, self.h, self.w = top, left, h, w

        def forward(self, x):
            H, W = x.shape[2:]
            return torch.nn.functional.pad(x, (-self.left, self.w + self.left - W,
                                               -self.top, self.h + self.top - H))

    def t(a):
        return torch.tensor(np.asarray(a, dtype=np.float32))

    modules = []
    shape = model.input_shape
    for layer, out_shape in zip(model.layers, model.output_shapes, strict=True):
        kind = type(layer).__name__
        if isinstance(layer, Dense):
            m = nn.Linear(layer.in_features, layer.out_features)
            m.weight.data = t(layer.params["W"].T)
            m.bias.data = t(layer.params["b"])
            modules.append(m)
        elif isinstance(layer, LeakyReLU) and not isinstance(layer, ReLU):
            modules.append(nn.LeakyReLU(layer.alpha))
        elif isinstance(layer, ReLU):
            modules.append(nn.ReLU())
        elif isinstance(layer, Tanh):
            modules.append(nn.Tanh())
        elif isinstance(layer, Sigmoid):
            modules.append(nn.Sigmoid())
        elif isinstance(layer, Flatten):
            modules.append(nn.Flatten())
        elif isinstance(layer, Reshape):
            modules.append(nn.Unflatten(1, layer.target_shape))
        elif isinstance(layer, Dropout):
            modules.append(nn.Dropout(layer.rate))
        elif isinstance(layer, BatchNorm):
            bn = (nn.BatchNorm1d if len(shape) == 1 else nn.BatchNorm2d)(
                layer.num_features, eps=layer.eps, momentum=layer.momentum)
            bn.weight.data, bn.bias.data = t(layer.params["gamma"]), t(layer.params["beta"])
            bn.running_mean.data = t(layer.state["running_mean"])
            bn.running_var.data = t(layer.state["running_var"])
            modules.append(bn)
        elif kind == "Conv2D":
            kh, kw = layer.params["W"].shape[2:]
            pads = (0, 0, 0, 0)
            if layer.padding == "same":
                top, bottom = _same_padding(shape[1], layer.stride, kh)
                left, right = _same_padding(shape[2], layer.stride, kw)
                pads = (left, right, top, bottom)
            elif isinstance(layer.padding, int):
                pads = (layer.padding,) * 4
            if any(pads):
                modules.append(nn.ZeroPad2d(pads))
            m = nn.Conv2d(layer.in_channels, layer.out_channels, (kh, kw), stride=layer.stride)
            m.weight.data, m.bias.data = t(layer.params["W"]), t(layer.params["b"])
            modules.append(m)
        elif kind == "ConvTranspose2D":
            kh, kw = layer.params["W"].shape[2:]
            pad = layer.padding if isinstance(layer.padding, int) else 0
            m = nn.ConvTranspose2d(layer.in_channels, layer.out_channels, (kh, kw),
                                   stride=layer.stride, padding=pad,
                                   output_padding=layer.output_padding)
            m.weight.data, m.bias.data = t(layer.params["W"]), t(layer.params["b"])
            modules.append(m)
            if layer.padding == "same":
                # minigan's 'same' transposed convolution is the adjoint of the 'same' Conv2D
                # from out_shape down to shape: the full transposed output, cropped by that
                # convolution's (possibly asymmetric) padding. torch's symmetric padding can't
                # say that, so take the full output and cut the window explicitly.
                top, _, left, _ = layer.pads(out_shape[1], out_shape[2])
                modules.append(Window(top, left, out_shape[1], out_shape[2]))
        elif kind == "UpSampling2D":
            modules.append(nn.Upsample(scale_factor=layer.size, mode="nearest"))
        else:
            raise ValueError(f"to_torch: no PyTorch equivalent for {kind}")
        shape = out_shape
    return nn.Sequential(*modules)


class TorchGAN:
    """One GAN iteration written as a PyTorch user would write it."""

    def __init__(self, G, D, real: np.ndarray, latent_dim: int, lr=2e-4, betas=(0.5, 0.999),
                 threads: int | None = None, seed: int = 0):
        import torch

        if threads:
            torch.set_num_threads(threads)
        self.torch = torch
        torch.manual_seed(seed)
        self.G, self.D = to_torch(G), to_torch(D)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=lr, betas=betas)
        self.bce = torch.nn.BCEWithLogitsLoss()
        self.real = torch.tensor(real)
        self.batch, self.latent_dim = real.shape[0], latent_dim
        self.ones = torch.ones(self.batch, 1)
        self.zeros = torch.zeros(self.batch, 1)

    def losses(self, x: np.ndarray, z: np.ndarray) -> tuple[float, float]:
        """(D loss, non-saturating G loss) on given data and noise, no update: G in training
        mode (batch statistics), D in eval mode (no dropout, whose masks cannot match)."""
        torch = self.torch
        with torch.no_grad():
            fake = self.G(torch.tensor(z))
            self.D.eval()
            real_logits, fake_logits = self.D(torch.tensor(x)), self.D(fake)
            self.D.train()
            d_loss = self.bce(real_logits, self.ones) + self.bce(fake_logits, self.zeros)
            g_loss = self.bce(fake_logits, self.ones)
        return float(d_loss), float(g_loss)

    def step(self) -> None:
        torch = self.torch
        self.opt_d.zero_grad()
        with torch.no_grad():
            fake = self.G(torch.randn(self.batch, self.latent_dim))
        d_loss = self.bce(self.D(self.real), self.ones) + self.bce(self.D(fake), self.zeros)
        d_loss.backward()
        self.opt_d.step()
        self.opt_g.zero_grad()
        # D's parameter gradients are not needed for G's step; minigan's GANTrainer skips
        # them too (need_param_grads=False), so both do the same work
        self.D.requires_grad_(False)
        g_loss = self.bce(self.D(self.G(torch.randn(self.batch, self.latent_dim))), self.ones)
        g_loss.backward()
        self.D.requires_grad_(True)
        self.opt_g.step()
