"""The live image-GAN trainer: a plain Python generator of records. It knows nothing about any UI.

    trainer = LiveTrainer(LiveTrainConfig(dataset="digits", model="dcgan", steps=300))
    for record in trainer.run(max_seconds=120):
        print(record.step, record.d_loss, record.steps_per_s)   # record.grid: uint8 samples, now and then
    model = trainer.to_loaded_model("my-run")                      # ready for gan_models.registry / render
    trainer.save_pretrained("out/")                                # the folder the registry and the Hub load

Every optimisation step is training.loop.train_step, the same one the CLI uses; this file only adds what
watching needs: running means of the losses, a fixed-noise sample grid every few seconds, steps/s and ETA.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from gan_models import latent as L
from gan_models.dcgan import DCGANConfig
from gan_models.kinds import ModelConfig, build_pair
from gan_models.mlpgan import MLPGANConfig
from gan_models.registry import LoadedModel
from training.augment import DiffAugment
from training.checkpoint import EMOJI_CREDIT, export, fixed_noise, init_weights, make_optimizers, recalibrate_batchnorm
from training.data import BatchSampler, ImageData, load_dataset, to_float
from training.device import cpu_threads, resolve_device, sync
from training.loop import LOSS_KEYS, Recipe, make_ema, train_step

MODELS = ("dcgan", "cdcgan", "mlpgan")  # mlpgan: the vanilla GAN, to watch beside a DCGAN
OFFLINE_DATASETS = ("animal-mnist", "digits", "emoji", "emoji-faces", "fake")  # bundled: no download needed
ONLINE_DATASETS = ("mnist", "fashion-mnist")  # torchvision downloads: need internet on the server
MAX_STEPS = 20_000
MAX_BATCH = 256
MAX_LATENT = 256
GRID_ROWS = 6  # rows of the page's sample grid (training.checkpoint.fixed_noise; the CLI's grids have 8)


@dataclass(frozen=True)
class LiveTrainConfig:
    dataset: str = "animal-mnist"
    model: str = "dcgan"  # "dcgan", "cdcgan" (class-conditional) or "mlpgan" (fully connected)
    latent_dim: int = 32
    steps: int = 500
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    seed: int = 0
    device: str = "auto"
    base_channels: int = 32  # generator and discriminator width; 32 is the shipped checkpoints' width
    report_every: int = 5  # steps between records
    grid_every_s: float = 2.0  # wall seconds between sample grids: watchable without slowing training
    # The small-data recipe (training.loop.Recipe), as in the CLI's --loss / --spectral-norm / ...
    loss: str = "bce"
    spectral_norm: bool = False
    diffaugment: str = ""
    ema: float = 0.0

    @property
    def recipe(self) -> Recipe:
        return Recipe(self.loss, self.diffaugment, self.ema, self.spectral_norm)

    def validate(self) -> None:
        """Raise ValueError with a message a learner can act on."""
        if self.dataset not in OFFLINE_DATASETS + ONLINE_DATASETS:
            raise ValueError(f"Unknown dataset {self.dataset!r}; choose one of "
                             f"{', '.join(OFFLINE_DATASETS + ONLINE_DATASETS)}.")
        if self.model not in MODELS:
            raise ValueError(f"Unknown model {str(self.model)[:40]!r}; choose one of {', '.join(MODELS)}.")
        for name, value, low, high in (("latent size", self.latent_dim, 1, MAX_LATENT),
                                       ("steps", self.steps, 1, MAX_STEPS),
                                       ("batch size", self.batch_size, 2, MAX_BATCH),
                                       ("seed", self.seed, 0, 2**32 - 1),
                                       ("report_every", self.report_every, 1, MAX_STEPS),
                                       ("width", self.base_channels, 4, 128)):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}.")
        for name, lr in (("learning rate G", self.lr_g), ("learning rate D", self.lr_d)):
            if isinstance(lr, bool) or not isinstance(lr, int | float) or not math.isfinite(lr) or not 0 < lr <= 0.1:
                raise ValueError(f"{name} must be a number in (0, 0.1], got {lr!r}.")
        if not self.grid_every_s > 0:
            raise ValueError("grid_every_s must be positive.")
        if not isinstance(self.spectral_norm, bool):
            raise ValueError(f"spectral_norm must be true or false, got {self.spectral_norm!r}.")
        if not isinstance(self.diffaugment, str) or len(self.diffaugment) > 64:
            raise ValueError("diffaugment must be a short policy such as 'color,translation,cutout'.")
        self.recipe.validate()
        resolve_device(self.device)


@dataclass
class LiveRecord:
    step: int
    d_loss: float  # means over the steps since the last record
    g_loss: float
    d_real: float  # mean sigmoid(D) on real images (0.5 at equilibrium)
    d_fake: float  # mean sigmoid(D) on generated images (0.5 at equilibrium)
    steps_per_s: float  # over the whole run so far, grids included: what the learner experiences
    elapsed_s: float
    eta_s: float  # seconds to the last step at the current rate (or to the time cap, if sooner)
    done: bool
    stop_reason: str = ""  # "finished" | "time limit" | "stopped" when done
    grid: np.ndarray | None = field(default=None, repr=False)  # uint8 [H, W, C] samples, when refreshed

    def to_dict(self, with_grid: bool = False) -> dict:
        out = asdict(self)
        out["grid"] = self.grid.tolist() if with_grid and self.grid is not None else None
        return out


class BudgetExceeded(ValueError):
    """The run's estimated wall time is over the budget; the message carries the estimate."""

    def __init__(self, estimate_s: float, budget_s: float, steps: int) -> None:
        super().__init__(
            f"{steps:,} steps would take about {estimate_s:,.0f} s here, over the {budget_s:,.0f} s limit per run: "
            f"choose at most {max(1, int(steps * budget_s / estimate_s)):,} steps or a smaller batch."
        )
        self.estimate_s, self.budget_s = estimate_s, budget_s


def build_models(config: LiveTrainConfig, data: ImageData) -> tuple[torch.nn.Module, torch.nn.Module, ModelConfig]:
    if config.model == "mlpgan":  # width 32 -> G hidden 128: the shipped mlpgan models' size
        model_config = MLPGANConfig(latent_dim=config.latent_dim, image_size=data.image_size, channels=data.channels,
                                    hidden=4 * config.base_channels, d_hidden=2 * config.base_channels,
                                    dataset=data.name).validate()
        return (*build_pair(model_config), model_config)
    conditional = config.model == "cdcgan"
    model_config = DCGANConfig(
        latent_dim=config.latent_dim, image_size=data.image_size, channels=data.channels,
        base_channels=config.base_channels, d_base_channels=config.base_channels,
        num_classes=len(data.class_names) if conditional else 0,
        class_names=list(data.class_names) if conditional else [], dataset=data.name,
        spectral_norm=config.spectral_norm,
    ).validate()
    return (*build_pair(model_config), model_config)


class LiveTrainer:
    def __init__(self, config: LiveTrainConfig, data: ImageData | None = None) -> None:
        config.validate()
        self.config = config
        self.device = resolve_device(config.device)
        data = data if data is not None else load_dataset(config.dataset, "train", download=True)
        if len(data) < config.batch_size:
            raise ValueError(f"The {data.name} set has {len(data)} images, fewer than one batch ({config.batch_size}).")
        self.data = data
        # Model init draws from torch's global RNG (nn.init); fork it so a run never disturbs the server's.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            self.G, self.D, self.model_config = build_models(config, data)
            self.G.apply(init_weights)
            self.D.apply(init_weights)
        self.G.to(self.device)
        self.D.to(self.device)
        self.opt_g, self.opt_d = make_optimizers(self.G, self.D, config.lr_g, config.lr_d)
        self.recipe = config.recipe.validate()
        self.ema = make_ema(self.G, self.recipe.ema)
        aug_rng = torch.Generator(device=self.device).manual_seed(config.seed + 1)
        self.augment = DiffAugment(self.recipe.diffaugment, aug_rng)
        # The whole set as uint8 on the device (8,000 28x28 images = 6 MB): a batch is one index, no copies.
        self.images = data.images.to(self.device)
        self.labels = data.labels.to(self.device)
        self.sampler = BatchSampler(len(data), config.batch_size, config.seed)
        self.rng = torch.Generator(device=self.device).manual_seed(config.seed)
        self.grid_z, self.grid_labels, self.grid_nrow = self._grid_noise()
        self.step = 0

    @property
    def conditional(self) -> bool:
        return self.model_config.num_classes > 0

    def _grid_noise(self) -> tuple[torch.Tensor, torch.Tensor | None, int]:
        z, labels, nrow = fixed_noise(self.model_config, GRID_ROWS)
        return z.to(self.device), None if labels is None else labels.to(self.device), nrow

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        idx = self.sampler.indices(self.step).to(self.device)
        real = to_float(self.images[idx])
        z = torch.randn(len(idx), self.config.latent_dim, generator=self.rng, device=self.device)
        return real, z, self.labels[idx] if self.conditional else None

    def train_one(self) -> dict:
        """One D+G update (training.loop.train_step) on the next batch; returns its losses (0-d tensors)."""
        real, z, y = self._batch()
        self.step += 1
        return train_step(self.G, self.D, self.opt_g, self.opt_d, real, z, y, step=self.step, recipe=self.recipe,
                          augment=self.augment, ema=self.ema)

    @property
    def shipped_generator(self) -> torch.nn.Module:
        """The EMA of G when the recipe keeps one (what is explored and exported), else G itself."""
        return self.ema.module if self.ema is not None else self.G

    @torch.no_grad()
    def sample_grid(self) -> np.ndarray:
        """uint8 [H, W, C] grid of G(fixed noise) in eval mode, i.e. as the explorer will draw it."""
        G = self.shipped_generator
        was_training = G.training
        G.eval()
        images = G(self.grid_z, self.grid_labels)
        G.train(was_training)
        return L.make_grid(L.to_uint8(images), nrow=self.grid_nrow)

    def estimate_seconds(self, steps: int | None = None, probe_steps: int = 3) -> float:
        """Wall seconds the run would take, from timing `probe_steps` steps on throwaway copies of the
        models (after one warm-up step), plus 10% for records and grids. Costs about 4 steps."""
        probe = copy.copy(self)  # shallow: shares data and sampler, gets its own models and optimisers
        probe.G, probe.D = copy.deepcopy(self.G), copy.deepcopy(self.D)
        probe.opt_g, probe.opt_d = make_optimizers(probe.G, probe.D, self.config.lr_g, self.config.lr_d)
        probe.ema = make_ema(probe.G, self.recipe.ema)
        probe.augment = DiffAugment(self.recipe.diffaugment, torch.Generator(device=self.device))  # own RNG
        probe.rng = torch.Generator(device=self.device).manual_seed(self.config.seed)
        with cpu_threads(1, self.device):
            probe.train_one()  # warm-up: first-call allocations and kernel selection
            sync(self.device)
            start = time.perf_counter()
            for _ in range(probe_steps):
                probe.train_one()
            sync(self.device)
            per_step = (time.perf_counter() - start) / probe_steps
        remaining = (steps if steps is not None else self.config.steps) - self.step
        return 1.1 * per_step * max(0, remaining)

    def run(
        self, max_seconds: float | None = None, should_stop: Callable[[], bool] | None = None
    ) -> Iterator[LiveRecord]:
        """Train to `config.steps`, yielding a record every `report_every` steps and a last one marked done.

        A record carries a sample grid when `grid_every_s` has passed since the last grid, and always the
        first and the last. Stops early (final record done) after `max_seconds` of wall time or when
        `should_stop()` returns True; closing the generator stops it too.
        """
        cfg = self.config
        self.G.train()
        self.D.train()
        start = time.perf_counter()
        last_grid = -math.inf
        totals = torch.zeros(4, device=self.device)  # summed on the device: read once per record
        since_report = 0
        first_step = self.step
        with cpu_threads(1, self.device):
            while self.step < cfg.steps:
                out = self.train_one()
                totals += torch.stack([out[k] for k in LOSS_KEYS])
                since_report += 1
                if since_report < cfg.report_every and self.step < cfg.steps:
                    continue
                elapsed = time.perf_counter() - start
                reason = ""
                if self.step >= cfg.steps:
                    reason = "finished"
                elif max_seconds is not None and elapsed >= max_seconds:
                    reason = "time limit"
                elif should_stop is not None and should_stop():
                    reason = "stopped"
                grid = None
                if reason or time.perf_counter() - last_grid >= cfg.grid_every_s:
                    grid, last_grid = self.sample_grid(), time.perf_counter()
                rate = (self.step - first_step) / elapsed if elapsed > 0 else 0.0
                eta = (cfg.steps - self.step) / rate if rate > 0 else math.inf
                if max_seconds is not None:
                    eta = min(eta, max(0.0, max_seconds - elapsed))
                d, g, dr, df = (totals / since_report).tolist()
                yield LiveRecord(step=self.step, d_loss=d, g_loss=g, d_real=dr, d_fake=df, steps_per_s=rate,
                                 elapsed_s=elapsed, eta_s=0.0 if reason else eta, done=bool(reason),
                                 stop_reason=reason, grid=grid)
                if reason:
                    return
                totals[:] = 0
                since_report = 0

    # -----------------------------------------------------------------------------------------
    # The result, in the forms the app and the Hub take
    # -----------------------------------------------------------------------------------------

    def _export_copies(self) -> tuple[torch.nn.Module, torch.nn.Module]:
        """CPU copies in eval mode with G's BatchNorm statistics recomputed for the final weights (what the
        training CLI exports); the training copies are left untouched, so a run could go on."""
        G = copy.deepcopy(self.shipped_generator).cpu()
        with torch.random.fork_rng(devices=[]):
            recalibrate_batchnorm(G, self.model_config)
        return G.eval(), copy.deepcopy(self.D).cpu().eval()

    def result(self) -> TrainedRun:
        """The run as it stands, in plain picklable form (it may cross from a worker process)."""
        G, D = self._export_copies()
        cfg = self.config
        card = (
            "---\nlibrary_name: pytorch\ntags: [gan, dcgan, gan-latent-explorer, pytorch_model_hub_mixin]\n---\n\n"
            f"# {self.model_config.kind} trained live in GAN Latent Explorer\n\n"
            f"- Data: {self.data.name} train split ({len(self.data):,} images)\n"
            f"- Steps: {self.step:,} of {cfg.steps:,} planned, batch {cfg.batch_size}, Adam lr G {cfg.lr_g} / "
            f"D {cfg.lr_d}, betas (0.5, 0.999), {self.recipe.describe()}, seed {cfg.seed}\n"
            f"- Latent size {cfg.latent_dim}, width {cfg.base_channels}\n"
            + (f"- Licence of the data: {EMOJI_CREDIT}\n" if self.data.name.startswith("emoji") else "")
            + "\n"
            "A short live run: expect rough samples. Load with `gan_models.registry.load_from_folder(path)` "
            "or upload the folder to the Hub and open `org/name` in the app.\n"
        )
        return TrainedRun(G.requires_grad_(False), D.requires_grad_(False), self.model_config, card)


@dataclass
class TrainedRun:
    """A finished run: CPU, eval-mode copies of G and D (read-only), their config and a model card."""

    generator: torch.nn.Module
    discriminator: torch.nn.Module
    model_config: DCGANConfig
    card: str

    # A run crosses from a worker process as a pickle, and a spectrally normalised D cannot be pickled as a
    # module ("only supported through state_dict()"): both networks travel as config + state_dict instead.
    def __getstate__(self) -> dict:
        return {"model_config": self.model_config, "card": self.card,
                "generator": self.generator.state_dict(), "discriminator": self.discriminator.state_dict()}

    def __setstate__(self, state: dict) -> None:
        G, D = build_pair(state["model_config"])
        G.load_state_dict(state["generator"])
        D.load_state_dict(state["discriminator"])
        self.model_config, self.card = state["model_config"], state["card"]
        self.generator = G.eval().requires_grad_(False)
        self.discriminator = D.eval().requires_grad_(False)

    def to_loaded_model(self, model_id: str) -> LoadedModel:
        """The trained pair as the registry's LoadedModel, for registry.register."""
        return LoadedModel(
            id=model_id, kind=self.model_config.kind, generator=self.generator, discriminator=self.discriminator,
            config=self.model_config, class_names=list(self.model_config.class_names),
        )

    def save_pretrained(self, folder: str | Path) -> Path:
        """Write config.json + model.safetensors (+ discriminator/) and the model card: the layout
        gan_models.registry.load_from_folder and the Hub loader accept."""
        folder = Path(folder)
        export(self.generator, self.discriminator, folder)
        (folder / "README.md").write_text(self.card)
        return folder


def start_run(config: LiveTrainConfig, budget_s: float) -> LiveTrainer:
    """A trainer for `config` whose run, timed on a few steps here, fits `budget_s` (else BudgetExceeded with
    the estimate). What a worker process builds (training/worker.py): picklable by name."""
    trainer = LiveTrainer(config)
    estimate = trainer.estimate_seconds()
    if estimate > budget_s:
        raise BudgetExceeded(estimate, budget_s, config.steps)
    return trainer


def finished_run(trainer: LiveTrainer) -> TrainedRun:
    return trainer.result()
