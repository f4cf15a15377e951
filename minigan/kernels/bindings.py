"""The fast compute methods, registered for the reference classes they replace.

Each function here has the signature of the method it stands in for (``layer`` or ``opt`` in
place of ``self``) and returns the same values and the same cache layout, computed with the
kernels of this package. Where a kernel brings nothing (BatchNorm in eval mode, say), the
function simply calls the reference method. Loaded by minigan.kernels.fast_methods the first
time a fast backend is used; tests/test_kernels.py compares every one with its reference.
"""

from __future__ import annotations

import numpy as np

from ..layers.activations import LeakyReLU
from ..layers.batchnorm import BatchNorm
from ..layers.conv import Conv2D, ConvTranspose2D
from ..layers.dense import Dense
from ..optim import SGD, Adam, Optimizer, RMSProp
from . import activations, batchnorm, conv, optim, register
from .batchnorm import as_ncm
from .matmul import matmul

# ----------------------------------------------------------------------------- Dense


@register(Dense, "compute_forward")
def dense_forward(layer, x, training):
    out = matmul(x, layer.params["W"])
    out += layer.params["b"]  # in place: no second (N, out_features) temporary
    return out, x


@register(Dense, "compute_backward")
def dense_backward(layer, dout, x):
    if layer.need_param_grads:
        layer.grads["W"] += matmul(x.T, dout)
        layer.grads["b"] += dout.sum(axis=0)
    if not layer.need_dx:
        return None
    return matmul(dout, layer.params["W"].T)


# ----------------------------------------------------------------------------- LeakyReLU


@register(LeakyReLU, "compute_forward")
def leaky_relu_forward(layer, x, training):
    out = activations.leaky_relu_forward(x, layer.alpha)
    return out, out


@register(LeakyReLU, "compute_backward")
def leaky_relu_backward(layer, dout, out):
    return activations.leaky_relu_backward(dout, out, layer.alpha)


# ----------------------------------------------------------------------------- BatchNorm


@register(BatchNorm, "compute_forward")
def batchnorm_forward(layer, x, training):
    if not training:
        return BatchNorm.compute_forward(layer, x, training)
    x3 = as_ncm(x)
    m = layer.check_batch(x3, x.shape)
    out, xhat, mu, var, inv_std = batchnorm.train_forward(
        x3, layer.params["gamma"], layer.params["beta"], layer.eps)
    layer.update_running(mu, var, m)
    return out.reshape(x.shape), (xhat, inv_std, training)


@register(BatchNorm, "compute_backward")
def batchnorm_backward(layer, dout, cache):
    xhat, inv_std, training = cache
    if not training:
        return BatchNorm.compute_backward(layer, dout, cache)
    dx, dgamma, dbeta = batchnorm.train_backward(as_ncm(dout), xhat, layer.params["gamma"], inv_std)
    layer.grads["gamma"] += dgamma
    layer.grads["beta"] += dbeta
    return dx.reshape(dout.shape)


# ----------------------------------------------------------------------------- convolutions


@register(Conv2D, "compute_forward")
def conv2d_forward(layer, x, training):
    N, _, H, W = x.shape
    kh, kw = layer.kernel
    pads = layer.pads(H, W)
    F, OH, OW = layer.output_shape(x.shape[1:])
    cols = conv.im2col(x, kh, kw, layer.stride, pads)
    out2 = matmul(layer.params["W"].reshape(F, -1), cols)
    out2 += layer.params["b"][:, None]
    out = np.ascontiguousarray(out2.reshape(F, N, OH, OW).transpose(1, 0, 2, 3))
    return out, (cols, x.shape, pads)


@register(Conv2D, "compute_backward")
def conv2d_backward(layer, dout, cache):
    cols, x_shape, pads = cache
    F = layer.out_channels
    dout2 = np.ascontiguousarray(dout.transpose(1, 0, 2, 3)).reshape(F, -1)
    Wm = layer.params["W"].reshape(F, -1)
    if layer.need_param_grads:
        layer.grads["W"] += matmul(dout2, cols.T).reshape(layer.params["W"].shape)
        layer.grads["b"] += dout2.sum(axis=1)
    if not layer.need_dx:
        return None
    return conv.col2im(matmul(Wm.T, dout2), x_shape, *layer.kernel, layer.stride, pads)


@register(ConvTranspose2D, "compute_forward")
def conv_transpose_forward(layer, x, training):
    N, _, H, W = x.shape
    _, OH, OW = layer.output_shape(x.shape[1:])
    pads = layer.pads(OH, OW)
    x2 = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(layer.in_channels, N * H * W)
    Wm = layer.params["W"].reshape(layer.in_channels, -1)
    out = conv.col2im(matmul(Wm.T, x2), (N, layer.out_channels, OH, OW), *layer.kernel, layer.stride, pads)
    out += layer.params["b"].reshape(1, -1, 1, 1)
    return out, (x2, x.shape, pads)


@register(ConvTranspose2D, "compute_backward")
def conv_transpose_backward(layer, dout, cache):
    x2, x_shape, pads = cache
    cols = conv.im2col(dout, *layer.kernel, layer.stride, pads)
    Wm = layer.params["W"].reshape(layer.in_channels, -1)
    if layer.need_param_grads:
        layer.grads["W"] += matmul(x2, cols.T).reshape(layer.params["W"].shape)
        layer.grads["b"] += dout.sum(axis=(0, 2, 3))
    if not layer.need_dx:
        return None
    N, C, H, W = x_shape
    return np.ascontiguousarray(matmul(Wm, cols).reshape(C, N, H, W).transpose(1, 0, 2, 3))


# ----------------------------------------------------------------------------- optimizers


@register(Optimizer, "sum_squares")
def sum_squares(opt, a):
    return optim.sum_squares(a)


@register(SGD, "update")
def sgd_update(opt, p):
    v = p.grad if opt.momentum == 0 else opt._slot("velocity", p)
    return optim.sgd_update(p.value, p.grad, v, opt.lr, opt.momentum)


@register(Adam, "update")
def adam_update(opt, p):
    m, v = opt._slot("m", p), opt._slot("v", p)
    return optim.adam_update(p.value, p.grad, m, v, opt.lr, opt.b1, opt.b2, opt.eps, opt.t)


@register(RMSProp, "update")
def rmsprop_update(opt, p):
    s = opt._slot("square_avg", p)
    return optim.rmsprop_update(p.value, p.grad, s, opt.lr, opt.rho, opt.eps)
