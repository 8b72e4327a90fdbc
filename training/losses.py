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
