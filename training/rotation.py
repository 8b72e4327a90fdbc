"""A self-supervised rotation task for D and G (SS-GAN, Chen et al. 2019): no labels, only quarter turns.

D alone forgets what it learned about the data as G moves (the paper's "discriminator forgetting"), and on
animal-mnist it was measured unable to tell a blend of two animals from a clear one (README). Here D's trunk
also learns to say by how many quarter turns a real image was rotated, a task that needs shapes (which way a
giraffe's neck points, where legs are) and never changes while G trains; G is asked to draw images whose turn
that trunk can read. It uses no label, so it cannot teach G what a classifier likes rather than what the
data looks like (the reason `training.frechet_spaces` exists).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

TURNS = 4  # 0, 90, 180 and 270 degrees
D_WEIGHT = 1.0  # beta in the paper; G's weight (alpha) is the recipe's `rotation`


def quarter_turns(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Image i of [N, C, H, W] turned by (i mod 4) quarter turns, and those turns [N]: as many images as given
    (not four copies of each, which would double D's cost); the batch is already shuffled."""
    turns = torch.arange(len(images), device=images.device) % TURNS
    turned = torch.empty_like(images)
    for k in range(TURNS):
        turned[turns == k] = torch.rot90(images[turns == k], k, dims=(2, 3))
    return turned, turns


class RotationHead(nn.Module):
    """`head(trunk, images) -> cross-entropy` of predicting each image's quarter turn from D's trunk features."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.classify = spectral_norm(nn.Linear(features, TURNS))  # [N, features] -> [N, 4] logits

    def forward(self, trunk: nn.Module, images: torch.Tensor) -> torch.Tensor:
        turned, turns = quarter_turns(images)
        return F.cross_entropy(self.classify(trunk(turned)), turns)
