"""GAN losses on discriminator logits (binary cross-entropy written with softplus, which is stable)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-[log D(x) + log(1 - D(G(z)))], batch mean; 2 ln 2 = 1.386 when D outputs 0.5 everywhere."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss -log D(G(z)); ln 2 = 0.693 at equilibrium."""
    return F.softplus(-fake_logits).mean()


def d_hinge(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Hinge loss for D (Lim & Ye 2017, used by SN-GAN and BigGAN): mean relu(1 - D(x)) + relu(1 + D(G(z)))."""
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def g_hinge(fake_logits: torch.Tensor) -> torch.Tensor:
    """Hinge-GAN generator loss: -D(G(z)), batch mean."""
    return -fake_logits.mean()


LOSSES = {"bce": (d_loss, g_loss), "hinge": (d_hinge, g_hinge)}
