"""Latent-size sweep: several sine-toy GANs with different input sizes trained side by side, batched.

Every model is the tutorial's network; the M generators (and M discriminators) are stored as stacked
weights and run with batched matrix multiplies, so one step trains all of them for little more than the
cost of one. Smaller input vectors use the first n columns of a shared-width input: the unused columns
of their first layer are masked to zero, so they receive no gradient and stay exactly zero.

    for record in SineSweepTrainer(SineSweepConfig(sizes=(1, 2, 5, 16))).run():
        record.fit_error  # one value per size
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gan_models.sine import HIDDEN, MAX_IDEAS, N_POINTS, TARGETS, SineConfig, SineGenerator, curve_x
from training.device import cpu_threads, resolve_device
from training.sine import AUTO_DEVICE, FusedAdam, SineTrainConfig

MAX_MODELS = 6

# How the sizes of a sweep are compared (`compare_sizes`). A GAN's fit error never settles on one value: it
# wobbles from record to record, and from seed to seed. Measured on this machine (parabola, sizes 1, 2, 5, 16,
# 3,000 steps, seeds 0-3): over the last quarter of one run a size's fit error spanned up to 3x (0.06-0.18),
# and the same size's final value differed up to 2.6x between seeds. One final value per size therefore cannot
# rank the sizes, and the old "best = lowest final value" named a winner among sizes that fitted alike
# (0.018-0.029). Instead each size is summarised over the last SETTLED_SHARE of its records: the median is its
# level, the min-max range its wobble. A size ties with the best when the two ranges overlap (within the run's
# own noise neither is clearly better) and is clearly worse only when its whole range lies above the best's.
# A run too short to have MIN_SETTLED records there has no wobble to measure: a size then ties when its level
# is within TIE_RATIO of the best, below the seed-to-seed spread above, so a winner still has to be clear.
# A size is still falling when, over at least MIN_TREND settled records, every value of the window's second half
# lies below every value of its first half: a trend larger than the wobble, so the ranking may not hold.
SETTLED_SHARE = 0.25
MIN_SETTLED = 3
TIE_RATIO = 1.5
MIN_TREND = 6


@dataclass(frozen=True)
class SineSweepConfig:
    sizes: tuple[int, ...] = (1, 2, 5, 16)  # n_ideas of each model
    target: str = "parabola"
    steps: int = 5_000
    batch_size: int = 64
    lr_g: float = 1e-4
    lr_d: float = 1e-4
    seed: int = 0
    device: str = "auto"
    report_every: int = 100
    n_curves: int = 8

    def validate(self) -> None:
        sizes = self.sizes
        if not 1 <= len(sizes) <= MAX_MODELS or len(set(sizes)) != len(sizes):
            raise ValueError(f"Choose 1 to {MAX_MODELS} different input sizes, got {list(sizes)!r}.")
        for size in sizes:
            if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_IDEAS:
                raise ValueError(f"Input sizes must be whole numbers from 1 to {MAX_IDEAS}, got {size!r}.")
        # Everything else is checked exactly as for a single run.
        SineTrainConfig(
            target=self.target, n_ideas=max(sizes), steps=self.steps, batch_size=self.batch_size, lr_g=self.lr_g,
            lr_d=self.lr_d, seed=self.seed, device=self.device, report_every=self.report_every,
            n_curves=self.n_curves,
        ).validate()


class StackedMLP(nn.Module):
    """M independent Linear-ReLU-Linear networks; input (M, B, d_in) -> output (M, B, d_out)."""

    def __init__(self, fan_ins: list[int], d_in: int, d_out: int, rng: torch.Generator) -> None:
        super().__init__()
        m = len(fan_ins)
        mask = torch.zeros(m, d_in, 1)
        for i, fan_in in enumerate(fan_ins):
            mask[i, :fan_in] = 1.0
        self.register_buffer("in_mask", mask)
        # PyTorch's default Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with each model's own fan-in.
        bound_in = torch.tensor([1 / math.sqrt(f) for f in fan_ins]).view(m, 1, 1)
        self.w1 = nn.Parameter((torch.rand(m, d_in, HIDDEN, generator=rng) * 2 - 1) * bound_in * mask)
        self.b1 = nn.Parameter((torch.rand(m, 1, HIDDEN, generator=rng) * 2 - 1) * bound_in)
        bound_hidden = 1 / math.sqrt(HIDDEN)
        self.w2 = nn.Parameter((torch.rand(m, HIDDEN, d_out, generator=rng) * 2 - 1) * bound_hidden)
        self.b2 = nn.Parameter((torch.rand(m, 1, d_out, generator=rng) * 2 - 1) * bound_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = torch.baddbmm(self.b1, x, self.w1 * self.in_mask).relu()  # (M, B, d_in) -> (M, B, 128)
        return torch.baddbmm(self.b2, hidden, self.w2)  # (M, B, 128) -> (M, B, d_out)


@dataclass
class SweepRecord:
    step: int
    sizes: list[int]
    d_loss: list[float]  # one value per size, means since the last record
    g_loss: list[float]
    d_real: list[float]
    d_fake: list[float]
    fit_error: list[float]
    curves: list[list[list[float]]]  # per size: n_curves curves of 15 points
    steps_per_s: float
    elapsed_s: float
    done: bool

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SizeComparison:
    sizes: list[int]
    level: list[float]  # per size: median fit error over the settled records (inf when none is finite)
    low: list[float]  # per size: min and max over the same records (the wobble)
    high: list[float]
    best: list[int]  # the best size first, then the sizes that tie with it
    worse: list[int]  # sizes clearly worse than the best
    settled_records: int  # how many records each summary is over
    measured_wobble: bool  # False: too few records, sizes were compared within TIE_RATIO instead
    still_falling: list[int]  # sizes whose fit error was still clearly falling at the end of the run


def compare_sizes(sizes: Sequence[int], fit_history: Sequence[Sequence[float]]) -> SizeComparison:
    """Which sizes fit best, and which tie within noise (the rule is explained at SETTLED_SHARE above).

    `fit_history` holds one row per record, in order, with one fit error per size (SweepRecord.fit_error)."""
    sizes = list(sizes)
    rows = [list(row) for row in fit_history]
    if not sizes or not rows or any(len(row) != len(sizes) for row in rows):
        raise ValueError(f"Need at least one record with one fit error for each of the {len(sizes)} sizes.")
    n_settled = max(1, math.ceil(len(rows) * SETTLED_SHARE))
    settled = rows[-n_settled:]
    level, low, high = [], [], []
    for i in range(len(sizes)):
        values = sorted(float(v) for row in settled if isinstance(v := row[i], int | float) and math.isfinite(v))
        if not values:
            values = [math.inf]  # a diverged model: worse than any that has a number
        middle = len(values) // 2
        level.append(values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2)
        low.append(values[0])
        high.append(values[-1])
    order = sorted(range(len(sizes)), key=lambda i: (level[i], sizes[i]))
    b = order[0]
    measured = n_settled >= MIN_SETTLED

    def ties(i: int) -> bool:
        if not math.isfinite(level[i]):
            return False
        if measured:
            return low[i] <= high[b] and low[b] <= high[i]
        return level[i] <= level[b] * TIE_RATIO

    best = [sizes[i] for i in order if ties(i)] if math.isfinite(level[b]) else []
    worse = [sizes[i] for i in order if sizes[i] not in best]
    falling = []
    if n_settled >= MIN_TREND:
        half = n_settled // 2
        for i, n in enumerate(sizes):
            first, second = [row[i] for row in settled[:half]], [row[i] for row in settled[-half:]]
            if all(math.isfinite(v) for v in first + second) and max(second) < min(first):
                falling.append(n)
    return SizeComparison(sizes, level, low, high, best, worse, n_settled, measured, falling)


class SineSweepTrainer:
    def __init__(self, config: SineSweepConfig) -> None:
        config.validate()
        self.config = config
        self.device = resolve_device(config.device, AUTO_DEVICE)
        self.sizes = list(config.sizes)
        self.width = max(self.sizes)
        self.target = TARGETS[config.target]
        init_rng = torch.Generator().manual_seed(config.seed)
        m = len(self.sizes)
        self.generator = StackedMLP(self.sizes, self.width, N_POINTS, init_rng).to(self.device)
        self.discriminator = StackedMLP([N_POINTS] * m, N_POINTS, 1, init_rng).to(self.device)
        self.g_params = list(self.generator.parameters())
        self.d_params = list(self.discriminator.parameters())
        self.opt_g = FusedAdam(self.g_params, lr=config.lr_g)  # elementwise: stacked = M separate Adams
        self.opt_d = FusedAdam(self.d_params, lr=config.lr_d)
        self.x = curve_x(self.device)
        self.rng = torch.Generator(device=self.device).manual_seed(config.seed)
        self.fixed_z = torch.randn(m, config.n_curves, self.width, generator=self.rng, device=self.device)
        self.fit_z = torch.randn(m, 256, self.width, generator=self.rng, device=self.device)
        self.step = 0

    def _train_step(self, totals: torch.Tensor) -> None:
        m, b = len(self.sizes), self.config.batch_size
        z = torch.randn(m, b, self.width, generator=self.rng, device=self.device)
        real = self.target.sample(m * b, self.x, self.rng).view(m, b, N_POINTS)
        fake = self.generator(z)
        logits = self.discriminator(torch.cat([real, fake.detach()], dim=1)).squeeze(-1)  # (M, 2B)
        real_logits, fake_logits = logits[:, :b], logits[:, b:]
        # Per-model losses; their sum gives each model exactly its own gradient (no shared weights).
        loss_d = F.softplus(-real_logits).mean(1) + F.softplus(fake_logits).mean(1)
        self.opt_d.step(torch.autograd.grad(loss_d.sum(), self.d_params))
        loss_g = F.softplus(-self.discriminator(fake).squeeze(-1)).mean(1)
        self.opt_g.step(torch.autograd.grad(loss_g.sum(), self.g_params))
        with torch.no_grad():
            probs = torch.sigmoid(logits.detach())
            totals += torch.stack([loss_d.detach(), loss_g.detach(), probs[:, :b].mean(1), probs[:, b:].mean(1)])

    @torch.inference_mode()
    def _snapshot(self) -> tuple[list, list[float]]:
        curves = self.generator(self.fixed_z).cpu().tolist()
        fits = self.generator(self.fit_z)
        errors = [self.target.distance(fits[i], self.x).mean().item() for i in range(len(self.sizes))]
        return curves, errors

    def export_generator(self, index: int) -> SineGenerator:
        """Model `index` of the sweep as an ordinary SineGenerator (for the input-dimension sliders)."""
        n = self.sizes[index]
        generator = SineGenerator(SineConfig(n_ideas=n))
        with torch.no_grad():
            first, second = generator.net[0], generator.net[2]
            first.weight.copy_(self.generator.w1[index, :n].T)
            first.bias.copy_(self.generator.b1[index, 0])
            second.weight.copy_(self.generator.w2[index].T)
            second.bias.copy_(self.generator.b2[index, 0])
        return generator

    def run(
        self, max_seconds: float | None = None, should_stop: Callable[[], bool] | None = None
    ) -> Iterator[SweepRecord]:
        """Train all sizes to `config.steps`; same stopping rules as SineTrainer.run."""
        cfg = self.config
        start = time.perf_counter()
        with cpu_threads(1, self.device):
            totals = torch.zeros(4, len(self.sizes), device=self.device)
            since = 0
            while self.step < cfg.steps:
                self._train_step(totals)
                self.step += 1
                since += 1
                at_end = self.step == cfg.steps
                if since == cfg.report_every or at_end:
                    elapsed = time.perf_counter() - start
                    stop = at_end or (max_seconds is not None and elapsed >= max_seconds) or bool(
                        should_stop and should_stop()
                    )
                    means = (totals / since).tolist()
                    curves, errors = self._snapshot()
                    yield SweepRecord(
                        step=self.step, sizes=self.sizes, d_loss=means[0], g_loss=means[1], d_real=means[2],
                        d_fake=means[3], fit_error=errors, curves=curves,
                        steps_per_s=self.step / elapsed if elapsed > 0 else 0.0, elapsed_s=elapsed, done=stop,
                    )
                    if stop:
                        return
                    totals.zero_()
                    since = 0
