"""One GAN training step for any generator/discriminator pair (plain modules or DDP-wrapped). Prints nothing."""

from __future__ import annotations

import torch

from training.losses import d_loss, g_loss


def train_step(
    G: torch.nn.Module,
    D: torch.nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
    z: torch.Tensor,
    labels: torch.Tensor | None = None,
    step: int = 0,
) -> dict:
    """Update D once, then G once (non-saturating loss). Returns {step, d_loss, g_loss, d_real, d_fake}.

    `labels` (conditional models) are the real batch's labels and are reused for the fake batch, so D sees
    the same class mix on both sides. d_real / d_fake are mean sigmoid(D) on the real and fake batch.
    """
    fake = G(z, labels)  # one G forward per step, reused (detached) by the D update

    # D: push real logits up, fake logits down. Real and fake go through D separately so BatchNorm
    # statistics are never mixed across the two (the pytorch/examples DCGAN recipe).
    opt_d.zero_grad(set_to_none=True)
    real_logits = D(real, labels)
    fake_logits = D(fake.detach(), labels)
    loss_d = d_loss(real_logits, fake_logits)
    loss_d.backward()
    opt_d.step()

    # G: make the (just updated) D call the same fakes real. D's grads from this pass are discarded by the
    # next zero_grad; under DDP they are still all-reduced, which keeps every rank's reducer in step.
    opt_g.zero_grad(set_to_none=True)
    gen_logits = D(fake, labels)
    loss_g = g_loss(gen_logits)
    loss_g.backward()
    opt_g.step()

    return {
        "step": step,
        "d_loss": float(loss_d.detach()),
        "g_loss": float(loss_g.detach()),
        "d_real": float(torch.sigmoid(real_logits.detach()).mean()),
        "d_fake": float(torch.sigmoid(fake_logits.detach()).mean()),
    }
