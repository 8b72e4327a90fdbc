"""The sine toy: the classic "GAN in 50 lines" 1-D GAN that learns to draw curves on 15 points.

The generator maps `n_ideas` random numbers to 15 y-values on linspace(-1, 1); the discriminator scores
a 15-point curve with a logit. Targets are families of curves the generator must learn to imitate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

N_POINTS = 15
HIDDEN = 128
MAX_IDEAS = 16


def curve_x(device: torch.device | str = "cpu") -> torch.Tensor:
    """The 15 x-positions every curve is sampled at."""
    return torch.linspace(-1.0, 1.0, N_POINTS, device=device)


@dataclass(frozen=True)
class SineConfig:
    n_ideas: int = 5  # size of the generator's input vector
    hidden: int = HIDDEN
    n_points: int = N_POINTS


class SineGenerator(nn.Module):
    def __init__(self, config: SineConfig) -> None:
        super().__init__()
        self.config = config
        self.net = nn.Sequential(
            nn.Linear(config.n_ideas, config.hidden),  # (N, n_ideas) -> (N, 128)
            nn.ReLU(),
            nn.Linear(config.hidden, config.n_points),  # (N, 128) -> (N, 15) y-values
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class SineDiscriminator(nn.Module):
    def __init__(self, config: SineConfig) -> None:
        super().__init__()
        self.config = config
        self.net = nn.Sequential(
            nn.Linear(config.n_points, config.hidden),  # (N, 15) -> (N, 128)
            nn.ReLU(),
            nn.Linear(config.hidden, 1),  # (N, 128) -> (N, 1) logit; no sigmoid, losses take logits
        )

    def forward(self, curves: torch.Tensor) -> torch.Tensor:
        return self.net(curves).squeeze(-1)  # (N,)


@dataclass(frozen=True)
class Target:
    """A family of curves to imitate.

    `sample(n, x, rng)` draws n real curves at positions x; `bands(x)` gives (low, high) envelopes, one
    per mode, for drawing; `distance(curves, x)` is each curve's mean absolute error to the nearest
    noiseless member of the family (how well a generated curve fits, whichever member it chose).
    """

    name: str
    description: str
    sample: Callable[[int, torch.Tensor, torch.Generator | None], torch.Tensor]
    bands: Callable[[torch.Tensor], list[tuple[torch.Tensor, torch.Tensor]]]
    distance: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


SINE_NOISE = 0.02


def _randn(shape: tuple[int, ...], x: torch.Tensor, rng: torch.Generator | None) -> torch.Tensor:
    return torch.randn(shape, generator=rng, device=x.device)


def _rand(shape: tuple[int, ...], x: torch.Tensor, rng: torch.Generator | None) -> torch.Tensor:
    return torch.rand(shape, generator=rng, device=x.device)


def _sine_sample(n: int, x: torch.Tensor, rng: torch.Generator | None) -> torch.Tensor:
    return torch.sin(math.pi * x).expand(n, -1) + SINE_NOISE * _randn((n, x.numel()), x, rng)


def _sine_bands(x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    mid = torch.sin(math.pi * x)
    return [(mid - 2 * SINE_NOISE, mid + 2 * SINE_NOISE)]


def _sine_distance(curves: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return (curves - torch.sin(math.pi * x)).abs().mean(-1)


def _parabola_sample(n: int, x: torch.Tensor, rng: torch.Generator | None) -> torch.Tensor:
    a = 1.0 + _rand((n, 1), x, rng)  # a ~ U(1, 2)
    return a * x**2 + (a - 1.0)


def _parabola_bands(x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(x**2, 2.0 * x**2 + 1.0)]  # a = 1 and a = 2 bound the family


def _parabola_distance(curves: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    # Members are a * (x^2 + 1) - 1: project each curve on that line, clamp a into [1, 2].
    basis = x**2 + 1.0
    a = ((curves + 1.0) * basis).sum(-1, keepdim=True) / (basis * basis).sum()
    return (curves - (a.clamp(1.0, 2.0) * basis - 1.0)).abs().mean(-1)


def _two_mode_sample(n: int, x: torch.Tensor, rng: torch.Generator | None) -> torch.Tensor:
    sign = torch.where(_rand((n, 1), x, rng) < 0.5, -1.0, 1.0)
    return sign * torch.sin(math.pi * x) + SINE_NOISE * _randn((n, x.numel()), x, rng)


def _two_mode_bands(x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    up, down = torch.sin(math.pi * x), -torch.sin(math.pi * x)
    return [(up - 2 * SINE_NOISE, up + 2 * SINE_NOISE), (down - 2 * SINE_NOISE, down + 2 * SINE_NOISE)]


def _two_mode_distance(curves: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    up = (curves - torch.sin(math.pi * x)).abs().mean(-1)
    down = (curves + torch.sin(math.pi * x)).abs().mean(-1)
    return torch.minimum(up, down)


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("sine", "sin(pi x) plus N(0, 0.02) noise at each point", _sine_sample, _sine_bands,
               _sine_distance),
        Target("parabola", "a x^2 + (a - 1) with a ~ U(1, 2): the original tutorial's family",
               _parabola_sample, _parabola_bands, _parabola_distance),
        Target("two-mode", "sin(pi x) or -sin(pi x), half each: watch for mode collapse onto one",
               _two_mode_sample, _two_mode_bands, _two_mode_distance),
    )
}


def mode_shares(curves: torch.Tensor, x: torch.Tensor) -> tuple[float, float]:
    """For the two-mode target: the share of curves nearer +sin and nearer -sin."""
    up = (curves - torch.sin(math.pi * x)).abs().mean(-1)
    down = (curves + torch.sin(math.pi * x)).abs().mean(-1)
    share_up = (up < down).float().mean().item()
    return share_up, 1.0 - share_up
