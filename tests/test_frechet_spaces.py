"""The cross-check spaces (training.frechet_spaces): real images score about 1x their floor, others far more."""

from __future__ import annotations

import torch

from training.data import load_dataset, to_float
from training.frechet_spaces import CHECKPOINTS, SHIPPED_VAE, mlp_space, pixel_space, ratios, references, vae_space


def test_held_out_real_images_sit_at_the_floor_and_blurred_or_shuffled_ones_far_above_it() -> None:
    train, test = load_dataset("digits", "train"), load_dataset("digits", "test")
    spaces = {"mlp": mlp_space(train, epochs=3), "pixels": pixel_space(train),
              "vae": vae_space(CHECKPOINTS / SHIPPED_VAE["digits"])}
    real = to_float(train.images)
    g = torch.Generator().manual_seed(0)
    shuffled = real.flatten(1)[:, torch.randperm(real[0].numel(), generator=g)].view_as(real)  # same pixels, no digit
    blurred = torch.nn.functional.avg_pool2d(real, 3, 1, 1)
    refs = references(spaces, train, test)
    same, far, soft = (ratios(x, spaces, refs) for x in (real, shuffled, blurred))
    assert set(same) == {"mlp", "pixels", "vae"}
    assert all(abs(r - 1) < 1e-6 for r in same.values()), same  # the train split is the floor itself
    assert all(r > 5 for r in far.values()), far
    assert all(1.2 < r < far[name] for name, r in soft.items()), (soft, far)
