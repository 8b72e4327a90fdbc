"""The live image-GAN trainer: a plain Python generator of records. It knows nothing about any UI.

    trainer = LiveTrainer(LiveTrainConfig(dataset="digits", model="dcgan", steps=300))
    for record in trainer.run(max_seconds=120):
        print(record.step, record.d_loss, record.steps_per_s)   # record.grid: uint8 samples, now and then
    model = trainer.to_loaded_model("my-run")                      # ready for gan_models.registry / render
    trainer.save_pretrained("out/")                                # the folder the registry and the Hub load

Every optimisation step is training.loop.train_step (a GAN) or training.loop.vae_step (the VAE), the ones the
CLI uses; this file only adds what watching needs: running means of the losses, a fixed-noise sample grid
every few seconds, steps/s and ETA. The VAE (model "vae") has no discriminator: its records carry None for
the GAN-only fields and its own `recon` and `kl`, and its decoder is the "generator" that is explored.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gan_models import media
from gan_models.dcgan import DCGANConfig
from gan_models.kinds import ModelConfig, build_pair
from gan_models.mlpgan import MLPGANConfig
from gan_models.registry import LoadedModel
from gan_models.vae import VAEConfig
from training.augment import DiffAugment
from training.card import EMOJI_CREDIT
from training.checkpoint import export, fixed_noise, init_weights, make_optimizers, recalibrate_batchnorm
from training.data import BatchSampler, ImageData, load_dataset, to_float
from training.device import cpu_threads, resolve_device, sync
from training.live_config import GRID_ROWS, VAE_KEYS, BudgetExceeded, LiveRecord, LiveTrainConfig
from training.loop import LOSS_KEYS, make_ema, train_step, vae_step


def build_models(
    config: LiveTrainConfig, data: ImageData
) -> tuple[torch.nn.Module, torch.nn.Module | None, ModelConfig]:
    """(G, D, config) for a run; D is None for the VAE, whose G is the whole VAE (it decodes z)."""
    if config.is_vae:  # width 16 -> the shipped vae-animals' size (base_channels 16)
        model_config = VAEConfig(latent_dim=config.latent_dim, image_size=data.image_size, channels=data.channels,
                                 base_channels=config.base_channels, dataset=data.name).validate()
        return (*build_pair(model_config), model_config)
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
            if self.D is not None:
                self.D.apply(init_weights)
        self.G.to(self.device)
        if self.D is not None:
            self.D.to(self.device)
        self.opt_g, self.opt_d = _optimizers(self.G, self.D, config)
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

    @property
    def loss_keys(self) -> tuple[str, ...]:
        return VAE_KEYS if self.D is None else LOSS_KEYS

    def train_one(self) -> dict:
        """One D+G update (training.loop.train_step), or one VAE update (vae_step), on the next batch; returns
        its losses (0-d tensors)."""
        real, z, y = self._batch()
        self.step += 1
        if self.D is None:  # z doubles as the reparameterisation noise, as in the CLI: a function of (seed, step)
            return vae_step(self.G, self.opt_g, real, z, step=self.step)
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
        return media.make_grid(media.to_uint8(images), nrow=self.grid_nrow)

    def estimate_seconds(self, steps: int | None = None, probe_steps: int = 3) -> float:
        """Wall seconds the run would take, from timing `probe_steps` steps on throwaway copies of the
        models (after one warm-up step), plus 10% for records and grids. Costs about 4 steps."""
        probe = copy.copy(self)  # shallow: shares data and sampler, gets its own models and optimisers
        probe.G, probe.D = copy.deepcopy(self.G), copy.deepcopy(self.D)  # deepcopy(None) is None
        probe.opt_g, probe.opt_d = _optimizers(probe.G, probe.D, self.config)
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
        if self.D is not None:
            self.D.train()
        start = time.perf_counter()
        last_grid = -math.inf
        keys = self.loss_keys
        totals = torch.zeros(len(keys), device=self.device)  # summed on the device: read once per record
        since_report = 0
        first_step = self.step
        with cpu_threads(1, self.device):
            while self.step < cfg.steps:
                out = self.train_one()
                totals += torch.stack([out[k] for k in keys])
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
                means = dict(zip(keys, (totals / since_report).tolist(), strict=True))
                if self.D is None:
                    losses = {"d_loss": None, "g_loss": means["loss"], "d_real": None, "d_fake": None,
                              "recon": means["recon"], "kl": means["kl"]}
                else:
                    losses = means
                yield LiveRecord(step=self.step, **losses, steps_per_s=rate, elapsed_s=elapsed,
                                 eta_s=0.0 if reason else eta, done=bool(reason), stop_reason=reason, grid=grid)
                if reason:
                    return
                totals[:] = 0
                since_report = 0

    # -----------------------------------------------------------------------------------------
    # The result, in the forms the app and the Hub take
    # -----------------------------------------------------------------------------------------

    def _export_copies(self) -> tuple[torch.nn.Module, torch.nn.Module | None]:
        """CPU copies in eval mode with G's BatchNorm statistics recomputed for the final weights (what the
        training CLI exports); the training copies are left untouched, so a run could go on. D is None for the
        VAE, whose encoder keeps the statistics it was trained with (recalibration only runs the decoder)."""
        G = copy.deepcopy(self.shipped_generator).cpu()
        with torch.random.fork_rng(devices=[]):
            recalibrate_batchnorm(G, self.model_config)
        return G.eval(), None if self.D is None else copy.deepcopy(self.D).cpu().eval()

    def result(self) -> TrainedRun:
        """The run as it stands, in plain picklable form (it may cross from a worker process)."""
        G, D = self._export_copies()
        cfg = self.config
        kind = self.model_config.kind
        if D is None:
            tags, what = "vae", "A variational autoencoder (VAE, Kingma & Welling 2013), no discriminator,"
            optimiser = (f"Adam lr {cfg.lr_g}, betas (0.9, 0.999), on the negative ELBO (Bernoulli reconstruction "
                         f"error + KL to N(0, I))")
            use = "Its decoder maps z ~ N(0, I) to images: the app explores it like a GAN's generator. "
        else:
            tags, what = f"gan, {kind}", f"A {kind} GAN (generator and discriminator)"
            optimiser = f"Adam lr G {cfg.lr_g} / D {cfg.lr_d}, betas (0.5, 0.999), {self.recipe.describe()}"
            use = ""
        card = (
            f"---\nlibrary_name: pytorch\ntags: [{tags}, gan-latent-explorer, pytorch_model_hub_mixin]\n---\n\n"
            f"# {kind} trained live in GAN Latent Explorer\n\n"
            f"{what} trained live in the app's Train tab.\n\n"
            f"- Data: {self.data.name} train split ({len(self.data):,} images)\n"
            f"- Steps: {self.step:,} of {cfg.steps:,} planned, batch {cfg.batch_size}, {optimiser}, seed {cfg.seed}\n"
            f"- Latent size {cfg.latent_dim}, width {cfg.base_channels}\n"
            + (f"- Licence of the data: {EMOJI_CREDIT}\n" if self.data.name.startswith("emoji") else "")
            + "\n"
            f"A short live run: expect rough samples. {use}Load with `gan_models.registry.load_from_folder(path)` "
            "or upload the folder to the Hub and open `org/name` in the app.\n"
        )
        return TrainedRun(G.requires_grad_(False), None if D is None else D.requires_grad_(False),
                          self.model_config, card)


def _optimizers(
    G: torch.nn.Module, D: torch.nn.Module | None, config: LiveTrainConfig
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer | None]:
    """GANs: Adam with betas (0.5, 0.999) for G and D. The VAE: one Adam with its usual betas, as in the CLI."""
    if D is None:
        return torch.optim.Adam(G.parameters(), lr=config.lr_g), None
    return make_optimizers(G, D, config.lr_g, config.lr_d)


@dataclass
class TrainedRun:
    """A finished run: CPU, eval-mode copies of G and D (read-only; D is None for the VAE, whose G is the whole
    VAE), their config and a model card."""

    generator: torch.nn.Module
    discriminator: torch.nn.Module | None
    model_config: ModelConfig
    card: str

    # A run crosses from a worker process as a pickle, and a spectrally normalised D cannot be pickled as a
    # module ("only supported through state_dict()"): both networks travel as config + state_dict instead.
    def __getstate__(self) -> dict:
        return {"model_config": self.model_config, "card": self.card, "generator": self.generator.state_dict(),
                "discriminator": None if self.discriminator is None else self.discriminator.state_dict()}

    def __setstate__(self, state: dict) -> None:
        G, D = build_pair(state["model_config"])
        if (D is None) != (state["discriminator"] is None):
            raise ValueError(f"a {state['model_config'].kind} run's discriminator does not match its kind")
        G.load_state_dict(state["generator"])
        self.model_config, self.card = state["model_config"], state["card"]
        self.generator = G.eval().requires_grad_(False)
        self.discriminator = None
        if D is not None:
            D.load_state_dict(state["discriminator"])
            self.discriminator = D.eval().requires_grad_(False)

    def to_loaded_model(self, model_id: str) -> LoadedModel:
        """The trained pair (the VAE alone) as the registry's LoadedModel, for registry.register."""
        return LoadedModel(
            id=model_id, kind=self.model_config.kind, generator=self.generator, discriminator=self.discriminator,
            config=self.model_config, class_names=list(self.model_config.class_names),
        )

    def save_pretrained(self, folder: str | Path) -> Path:
        """Write config.json + model.safetensors (+ discriminator/ for a GAN) and the model card: the layout
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
