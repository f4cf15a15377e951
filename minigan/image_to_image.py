"""The objectives of pix2pix and CycleGAN, written as forward + backward through the networks.

pix2pix (paired: each input x comes with its true output y), conditional GAN + L1:

    D:  minimise  1/2 [ BCE(D(x, y), 1) + BCE(D(x, G(x)), 0) ]
    G:  minimise  BCE(D(x, G(x)), 1) + lambda * mean |G(x) - y|          (lambda = 100)

D(x, .) sees the input and an output stacked as channels, so it judges whether the output
fits *this* input. ``gan=False`` drops D: G then minimises the L1 term alone, which gives
the (blurry) average of the plausible outputs. G's gradient from D reaches G through D's
input gradient: of dL/d[x, G(x)], the channels of G(x).

CycleGAN (unpaired: a from domain A, b from domain B), least-squares GAN losses:

    G_AB, G_BA: minimise  (D_B(G_AB(a)) - 1)^2 + (D_A(G_BA(b)) - 1)^2                 (GAN)
                        + lambda_cyc * ( |G_BA(G_AB(a)) - a| + |G_AB(G_BA(b)) - b| )    (cycle)
                        + lambda_id  * ( |G_AB(b) - b| + |G_BA(a) - a| )                (identity)
    D_A: minimise (D_A(a) - 1)^2 + D_A(G_BA(b))^2,   D_B likewise      (means over pixels)

Each generator is used twice per step (a translation and a reconstruction), but a network
keeps one cache at a time, so the step is ordered to back-propagate each forward before the
same network runs again: G_AB([a, b]) -> G_BA(fake_B) and its backward -> D_B -> G_AB's
backward, then the same with the roles swapped. The gradients are exactly those of the sum
above, and no forward is computed twice. InstanceNorm makes stacking a and b into one
batch harmless: no statistic mixes two samples.

Every function here only fills gradients; the caller's optimizers step the parameters.
"""

from __future__ import annotations

import numpy as np

from .functions import sigmoid
from .image_losses import l1_loss, least_squares_loss
from .layers.composite import concat_channels, split_channels
from .losses import bce_with_logits

PIX2PIX_L1_WEIGHT = 100.0
CYCLE_WEIGHT = 10.0
IDENTITY_WEIGHT = 5.0  # CycleGAN's 0.5 * lambda_cyc


def pix2pix_generator_step(G, D, x, y, l1_weight: float = PIX2PIX_L1_WEIGHT, gan: bool = True,
                           fake: np.ndarray | None = None) -> dict:
    """Fill G's gradients of BCE(D(x, G(x)), 1) + l1_weight * L1(G(x), y). D's are not wanted:
    D skips its products and may still add its cheap ones, so zero them before D's own step.
    ``fake``: G(x) from a forward whose cache G still holds (G.forward(x) was called and not
    back-propagated); None runs that forward. Returns the loss terms."""
    if fake is None:
        fake = G.forward(x)
    l1, d_fake = l1_loss(fake, y)
    d_fake = l1_weight * d_fake
    terms = {"g_l1": l1}
    if gan:
        logits = D.forward(concat_channels(x, fake))
        g_gan, d_logits = bce_with_logits(logits, 1.0)
        _, d_from_D = split_channels(D.backward(d_logits, need_param_grads=False), x.shape[1])
        d_fake = d_fake + d_from_D
        terms["g_gan"] = g_gan
    G.backward(d_fake, need_input_grad=False)
    return terms


def pix2pix_discriminator_step(D, x, y, fake) -> dict:
    """Fill D's gradients of 1/2 [BCE(D(x, y), 1) + BCE(D(x, fake), 0)] (real and fake pairs
    in one batch). Returns the loss and the mean D output on real and fake pairs."""
    m = len(x)
    logits = D.forward(np.concatenate([concat_channels(x, y), concat_channels(x, fake)]))
    real_loss, d_real = bce_with_logits(logits[:m], 1.0)
    fake_loss, d_fake = bce_with_logits(logits[m:], 0.0)
    D.backward(0.5 * np.concatenate([d_real, d_fake]), need_input_grad=False)
    probs = sigmoid(logits)
    return {"d_loss": 0.5 * (real_loss + fake_loss), "d_real": float(probs[:m].mean()),
            "d_fake": float(probs[m:].mean())}


def cyclegan_generator_step(G_AB, G_BA, D_A, D_B, a, b, cycle_weight: float = CYCLE_WEIGHT,
                            identity_weight: float = IDENTITY_WEIGHT):
    """Fill both generators' gradients of the CycleGAN generator objective (the module
    docstring). D_A's and D_B's are not wanted: they skip their products and may still add
    their cheap ones, so zero them before their own step.
    Returns (loss terms, fake_A = G_BA(b), fake_B = G_AB(a))."""
    terms = {}
    fake_A, fake_B = None, None
    # the two halves are mirror images: (G, F, D, x, y) = (G_AB, G_BA, D_B, a, b), then swapped
    for G, F, D, x, y, key in ((G_AB, G_BA, D_B, a, b, "B"), (G_BA, G_AB, D_A, b, a, "A")):
        m = len(x)
        out = G.forward(np.concatenate([x, y]))          # [G(x), G(y)]: translation, identity
        fake, same = out[:m], out[m:]
        rec = F.forward(fake)                              # F(G(x)) should give x back
        cyc, d_rec = l1_loss(rec, x)
        d_fake_cycle = F.backward(cycle_weight * d_rec)
        gan, d_scores = least_squares_loss(D.forward(fake), 1.0)
        d_fake_gan = D.backward(d_scores, need_param_grads=False)  # F's grads above are wanted
        idt, d_same = l1_loss(same, y)
        G.backward(np.concatenate([d_fake_cycle + d_fake_gan, identity_weight * d_same]),
                   need_input_grad=False)
        back = "A" if key == "B" else "B"  # x's domain: the cycle x -> G(x) -> F(G(x)) returns to it
        terms[f"gan_{key}"], terms[f"cycle_{back}"], terms[f"identity_{key}"] = gan, cyc, idt
        if key == "B":
            fake_B = fake
        else:
            fake_A = fake
    terms["g_loss"] = (terms["gan_A"] + terms["gan_B"]
                       + cycle_weight * (terms["cycle_A"] + terms["cycle_B"])
                       + identity_weight * (terms["identity_A"] + terms["identity_B"]))
    return terms, fake_A, fake_B


def least_squares_discriminator_step(D, real, fake) -> dict:
    """Fill D's gradients of mean (D(real) - 1)^2 + mean D(fake)^2 (one batch of both).
    Returns the loss and D's mean score on real and on fake images."""
    m = len(real)
    scores = D.forward(np.concatenate([real, fake]))
    real_loss, d_real = least_squares_loss(scores[:m], 1.0)
    fake_loss, d_fake = least_squares_loss(scores[m:], 0.0)
    D.backward(np.concatenate([d_real, d_fake]), need_input_grad=False)
    return {"d_loss": real_loss + fake_loss, "d_real": float(scores[:m].mean()),
            "d_fake": float(scores[m:].mean())}
