"""The live sine-toy trainer: a plain Python generator of records. It knows nothing about any UI.

    trainer = SineTrainer(SineTrainConfig(target="parabola", steps=2000))
    for record in trainer.run():
        print(record.step, record.d_loss, record.g_loss)
    trainer.generator  # the trained generator, ready to drive with input-dimension sliders

Update order: D first on real and detached fake curves, then G through a fresh forward of the updated D.
The original tutorial backpropagated G through the graph D had already stepped on (retain_graph=True),
which current PyTorch rejects ("modified by an inplace operation") and which was never a correct G update.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.optim.adam import adam

from gan_models.sine import MAX_IDEAS, TARGETS, SineConfig, SineDiscriminator, SineGenerator, curve_x, mode_shares
from training.device import cpu_threads, resolve_device
from training.losses import d_loss, g_loss

MAX_STEPS = 100_000
MAX_BATCH = 4096
D_LOSS_EQUILIBRIUM = 2 * math.log(2)  # D outputs 0.5 on everything: -2 log(1/2)
G_LOSS_EQUILIBRIUM = math.log(2)  # non-saturating -log D(G(z)) with D(G(z)) = 0.5
N_FIT_SAMPLES = 256  # curves used for the fit-error readout
NOISE_CHUNK = 64  # steps of noise and real curves drawn per RNG call: fewer tiny kernel launches
# 'auto' trains on the CPU even where there is a GPU: a step is a few dozen launches of tiny kernels, and
# one CPU thread was measured to run the default run faster than an H200 (docs/benchmarks.md, "On a GPU").
AUTO_DEVICE = "cpu"


@dataclass(frozen=True)
class SineTrainConfig:
    target: str = "parabola"  # a family with a knob (a): the input-dimension sliders show it
    n_ideas: int = 5
    steps: int = 10_000
    batch_size: int = 64
    lr_g: float = 1e-4
    lr_d: float = 1e-4
    seed: int = 0
    device: str = "auto"
    report_every: int = 100  # steps between records
    n_curves: int = 8  # generated curves shown in each record, from a fixed noise batch

    def validate(self) -> None:
        """Raise ValueError with a message a learner can act on."""
        if self.target not in TARGETS:
            raise ValueError(f"Unknown target {self.target!r}; choose one of {', '.join(TARGETS)}.")
        _check_int("n_ideas (input dimensions)", self.n_ideas, 1, MAX_IDEAS)
        _check_int("steps", self.steps, 1, MAX_STEPS)
        _check_int("batch size", self.batch_size, 1, MAX_BATCH)
        _check_int("report_every", self.report_every, 1, MAX_STEPS)
        _check_int("n_curves", self.n_curves, 1, 64)
        _check_int("seed", self.seed, 0, 2**32 - 1)
        for name, lr in (("learning rate G", self.lr_g), ("learning rate D", self.lr_d)):
            if not isinstance(lr, int | float) or not math.isfinite(lr) or not 0 < lr <= 1:
                raise ValueError(f"{name} must be a number in (0, 1], got {lr!r}.")
        resolve_device(self.device, AUTO_DEVICE)


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}.")




@dataclass
class SineRecord:
    step: int
    d_loss: float  # mean over the steps since the last record
    g_loss: float
    d_real: float  # mean D(x) probability on real curves (0.5 at equilibrium)
    d_fake: float  # mean D(G(z)) probability on generated curves (0.5 at equilibrium)
    d_score: float  # -d_loss: log D(x) + log(1 - D(G(z))), -2 ln 2 = -1.386 at equilibrium
    fit_error: float  # mean abs error of generated curves to the nearest member of the target family
    curves: list[list[float]]  # n_curves generated curves from a fixed noise batch
    mode_shares: list[float] | None  # two-mode target: share of curves on +sin and on -sin
    steps_per_s: float
    elapsed_s: float
    done: bool

    def to_dict(self) -> dict:
        return asdict(self)




def _init_linear_layers(module: nn.Module, rng: torch.Generator) -> None:
    """PyTorch's default Linear init, drawn from a local RNG so runs never depend on global state."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=rng)
            bound = 1 / math.sqrt(layer.in_features)
            nn.init.uniform_(layer.bias, -bound, bound, generator=rng)


class FusedAdam:
    """Adam (PyTorch's defaults) as one fused kernel call, without torch.optim.Optimizer.step's hooks and
    profiler bookkeeping, which cost more than the arithmetic for networks this small."""

    def __init__(self, params: list[torch.Tensor], lr: float, betas: tuple[float, float] = (0.9, 0.999)) -> None:
        self.params, self.lr, self.betas = params, lr, betas
        self.exp_avgs = [torch.zeros_like(p) for p in params]
        self.exp_avg_sqs = [torch.zeros_like(p) for p in params]
        # The fused kernel reads and increments one step count per parameter.
        self.steps = [torch.zeros((), device=p.device) for p in params]

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor]) -> None:
        adam(self.params, list(grads), self.exp_avgs, self.exp_avg_sqs, [], self.steps, fused=True,
             amsgrad=False, beta1=self.betas[0], beta2=self.betas[1], lr=self.lr, weight_decay=0.0,
             eps=1e-8, maximize=False)


class SineTrainer:
    def __init__(self, config: SineTrainConfig) -> None:
        config.validate()
        self.config = config
        self.device = resolve_device(config.device, AUTO_DEVICE)
        self.target = TARGETS[config.target]
        model_config = SineConfig(n_ideas=config.n_ideas)
        init_rng = torch.Generator().manual_seed(config.seed)
        self.generator = SineGenerator(model_config)
        self.discriminator = SineDiscriminator(model_config)
        _init_linear_layers(self.generator, init_rng)
        _init_linear_layers(self.discriminator, init_rng)
        self.generator.to(self.device)
        self.discriminator.to(self.device)
        self.x = curve_x(self.device)
        self.rng = torch.Generator(device=self.device).manual_seed(config.seed)
        self.fixed_z = torch.randn(config.n_curves, config.n_ideas, generator=self.rng, device=self.device)
        self.fit_z = torch.randn(N_FIT_SAMPLES, config.n_ideas, generator=self.rng, device=self.device)
        self.g_params = list(self.generator.parameters())
        self.d_params = list(self.discriminator.parameters())
        self.opt_g = FusedAdam(self.g_params, lr=config.lr_g)
        self.opt_d = FusedAdam(self.d_params, lr=config.lr_d)
        self.step = 0

    def _noise_chunk(self, n_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
        b, k = self.config.batch_size, self.config.n_ideas
        z = torch.randn(n_steps, b, k, generator=self.rng, device=self.device)
        real = self.target.sample(n_steps * b, self.x, self.rng).view(n_steps, b, -1)
        return z, real

    def _train_step(self, z: torch.Tensor, real: torch.Tensor, totals: torch.Tensor) -> None:
        b = z.shape[0]
        fake = self.generator(z)
        # One D forward on real and fake together: half the kernel launches of two forwards.
        logits = self.discriminator(torch.cat([real, fake.detach()]))
        loss_d = d_loss(logits[:b], logits[b:])
        self.opt_d.step(torch.autograd.grad(loss_d, self.d_params))

        # autograd.grad computes only the gradients asked for: G's step skips D's weight gradients,
        # and nothing accumulates in .grad, so there is nothing to zero.
        loss_g = g_loss(self.discriminator(fake))
        self.opt_g.step(torch.autograd.grad(loss_g, self.g_params))

        with torch.no_grad():
            probs = torch.sigmoid(logits.detach())
            totals += torch.stack([loss_d.detach(), loss_g.detach(), probs[:b].mean(), probs[b:].mean()])

    @torch.inference_mode()
    def _snapshot(self) -> tuple[list[list[float]], float, list[float] | None]:
        curves = self.generator(self.fixed_z)
        fit_curves = self.generator(self.fit_z)
        fit_error = self.target.distance(fit_curves, self.x).mean().item()
        shares = list(mode_shares(fit_curves, self.x)) if self.config.target == "two-mode" else None
        return curves.cpu().tolist(), fit_error, shares

    def sample_curves(self, z: torch.Tensor) -> torch.Tensor:
        """Curves of the current generator for input vectors z (N, n_ideas), on the CPU."""
        with torch.inference_mode():
            return self.generator(z.to(self.device)).cpu()

    def run(
        self, max_seconds: float | None = None, should_stop: Callable[[], bool] | None = None
    ) -> Iterator[SineRecord]:
        """Train to `config.steps`, yielding a record every `report_every` steps and at the end.

        Stops early (with a final record marked done) when `max_seconds` of wall time have passed or
        `should_stop()` returns True; closing the generator stops it too.
        """
        cfg = self.config
        start = time.perf_counter()
        self.generator.train()
        self.discriminator.train()
        with cpu_threads(1, self.device):
            totals = torch.zeros(4, device=self.device)
            since_report = 0
            z_chunk = real_chunk = None
            chunk_pos = NOISE_CHUNK
            while self.step < cfg.steps:
                if chunk_pos == NOISE_CHUNK:
                    z_chunk, real_chunk = self._noise_chunk(NOISE_CHUNK)
                    chunk_pos = 0
                self._train_step(z_chunk[chunk_pos], real_chunk[chunk_pos], totals)
                chunk_pos += 1
                self.step += 1
                since_report += 1
                at_end = self.step == cfg.steps
                if since_report == cfg.report_every or at_end:
                    elapsed = time.perf_counter() - start
                    stop = at_end or (max_seconds is not None and elapsed >= max_seconds) or (
                        should_stop is not None and should_stop()
                    )
                    yield self._record(totals / since_report, elapsed, done=stop)
                    if stop:
                        return
                    totals.zero_()
                    since_report = 0

    def _record(self, means: torch.Tensor, elapsed: float, done: bool) -> SineRecord:
        mean_d, mean_g, d_real, d_fake = means.tolist()
        curves, fit_error, shares = self._snapshot()
        return SineRecord(
            step=self.step,
            d_loss=mean_d,
            g_loss=mean_g,
            d_real=d_real,
            d_fake=d_fake,
            d_score=-mean_d,
            fit_error=fit_error,
            curves=curves,
            mode_shares=shares,
            steps_per_s=self.step / elapsed if elapsed > 0 else 0.0,
            elapsed_s=elapsed,
            done=done,
        )


def trained_state(trainer: SineTrainer) -> dict:
    """What the sliders need once a run ends, in plain CPU tensors and lists (it crosses a process boundary,
    training/worker.py): the generator's weights, the fixed-noise example curves and the curve at z = 0."""
    cfg = trainer.config
    return {
        "target": cfg.target,
        "n_ideas": cfg.n_ideas,
        "weights": {k: v.detach().cpu().clone() for k, v in trainer.generator.state_dict().items()},
        "examples": trainer.sample_curves(trainer.fixed_z).tolist(),
        "center_curve": trainer.sample_curves(torch.zeros(1, cfg.n_ideas))[0].tolist(),
    }
