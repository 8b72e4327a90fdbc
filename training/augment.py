"""DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training").

The same random, differentiable transforms are applied to every image D sees, real and fake, in both the D
and the G step, so D cannot memorise a small training set and G's gradients flow through the transform.
Policy "color,translation,cutout" as in the paper's official code (brightness, saturation and contrast
jitter; a shift of up to 1/8 of the size with zero padding; one square cutout of half the size).
Written here rather than taken from kornia: kornia is not among the pinned packages, and these three ops
are a few tensor lines each, with exactly the paper's ranges.

Images are in [-1, 1]; each transform draws its randomness from the `generator` given, so a training step
is reproducible for a seed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

POLICIES = ("color", "translation", "cutout")


def parse_policy(policy: str) -> tuple[str, ...]:
    """'color,translation,cutout' -> ('color', 'translation', 'cutout'); '' -> (); unknown names refused."""
    names = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        raise ValueError(f"Unknown DiffAugment op(s) {', '.join(unknown)}; choose from {', '.join(POLICIES)}.")
    return names


def _rand(n: int, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(n, 1, 1, 1, generator=generator, device=generator.device if generator else "cpu").to(x)


def color(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    n = x.shape[0]
    x = x + (_rand(n, x, generator) - 0.5)  # brightness +-0.5 (the official code, also on [-1, 1])
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (_rand(n, x, generator) * 2) + mean  # saturation x 0..2
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - mean) * (_rand(n, x, generator) + 0.5) + mean  # contrast x 0.5..1.5


def translation(x: torch.Tensor, generator: torch.Generator | None = None, ratio: float = 0.125) -> torch.Tensor:
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dev = generator.device if generator is not None else "cpu"
    ty = torch.randint(-sh, sh + 1, (n, 1, 1), generator=generator, device=dev).to(x.device)
    tx = torch.randint(-sw, sw + 1, (n, 1, 1), generator=generator, device=dev).to(x.device)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    # Index into a zero-padded copy: pixel (y, x) of the output is input (y + ty, x + tx), zero outside.
    yy = (gy[None] + ty + 1).clamp(0, h + 1)
    xx = (gx[None] + tx + 1).clamp(0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])  # [N, C, H+2, W+2]
    flat = padded.flatten(2)  # [N, C, (H+2)(W+2)]
    index = (yy * (w + 2) + xx).flatten(1)[:, None, :].expand(-1, x.shape[1], -1)
    return flat.gather(2, index).view_as(x)


def cutout(x: torch.Tensor, generator: torch.Generator | None = None, ratio: float = 0.5) -> torch.Tensor:
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dev = generator.device if generator is not None else "cpu"
    cy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), generator=generator, device=dev).to(x.device)
    cx = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), generator=generator, device=dev).to(x.device)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    inside = ((gy[None] >= cy - ch // 2) & (gy[None] < cy - ch // 2 + ch)
              & (gx[None] >= cx - cw // 2) & (gx[None] < cx - cw // 2 + cw))
    return x * (~inside)[:, None].to(x.dtype)


_OPS = {"color": color, "translation": translation, "cutout": cutout}


class DiffAugment:
    """Callable applying the policy's ops in order: `augment(images) -> images` of the same shape."""

    def __init__(self, policy: str = "color,translation,cutout", generator: torch.Generator | None = None) -> None:
        self.ops = parse_policy(policy)
        self.generator = generator

    def __bool__(self) -> bool:
        return bool(self.ops)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        for name in self.ops:
            x = _OPS[name](x, self.generator)
        return x
