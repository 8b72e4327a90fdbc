"""Cards 1-3 of the GAN family tab, the generators drawn from noise: the vanilla GAN beside a DCGAN, a VAE beside
a GAN (samples, reconstructions, a path between two seeds) and a LAPGAN's pyramid level by level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from gan_models import latent as L
from gan_models import registry
from gan_models.family.common import (
    INTERPOLATION_FRAMES,
    TILE_PX,
    Quality,
    check_dataset,
    check_n,
    check_test_images,
    load,
    parameter_count,
    quality,
    row_image,
    seeds_from,
    training_steps,
)
from gan_models.lapgan import SIZES

RECONSTRUCTIONS = 8
RESIDUAL_GAIN = 4.0  # residuals are small: shown as RESIDUAL_GAIN x residual around mid-grey (0 = no change)

# The shipped models of each card, by data set.
VANILLA = {"animals": ("mlpgan-animals", "dcgan-animals"), "digits": ("mlpgan-digits", "cdcgan-digits")}
VAE_PAIRS = {"animals": ("vae-animals", "dcgan-animals"), "digits": ("vae-digits", "cdcgan-digits")}
LAPGAN_ID = "lapgan-emoji"
# Kinds each role accepts: a folder of another kind under one of these ids is refused, not mis-drawn.
GAN_KINDS = ("dcgan", "cdcgan")


def _labels_for(model: registry.LoadedModel, seeds: Sequence[int]) -> torch.Tensor | None:
    """A conditional GAN beside an unconditional model: sample i draws class (seed_i mod classes)."""
    k = len(model.class_names or [])
    return torch.tensor([s % k for s in seeds], dtype=torch.long) if k else None


def _draw(model: registry.LoadedModel, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    return model.generator(z, labels).float().clamp(-1, 1)


# ---------------------------------------------------------------------------------------------
# Card 1: the vanilla GAN beside a DCGAN
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Samples:
    model_id: str
    kind: str
    images: torch.Tensor  # [n, C, H, W] in [-1, 1]
    parameters: int
    quality: Quality
    conditional: bool
    steps: int | None = None  # training steps (training.json)
    note: str | None = None


@dataclass(frozen=True)
class VanillaResult:
    dataset: str
    seeds: list[int]
    mlp: Samples
    dcgan: Samples


def _samples(model_id: str, kinds: Sequence[str], seeds: list[int]) -> Samples:
    loaded = load(model_id, kinds)
    model = loaded.model
    z = torch.cat([L.z_from_seed(s, int(model.config.latent_dim)) for s in seeds])
    images = _draw(model, z, _labels_for(model, seeds))
    return Samples(model_id, model.kind, images, parameter_count(model.generator), quality(model_id),
                   bool(model.class_names), training_steps(model_id), loaded.note)


@torch.inference_mode()
def vanilla(dataset: object, seed: object, n: object = 8) -> VanillaResult:
    """n samples (seeds seed..seed+n-1) of the vanilla (MLP) GAN and of the DCGAN on the same data."""
    name = check_dataset(dataset)
    seeds = seeds_from(seed, check_n(n))
    mlp_id, dcgan_id = VANILLA[name]
    return VanillaResult(name, seeds, _samples(mlp_id, ("mlpgan",), seeds), _samples(dcgan_id, GAN_KINDS, seeds))


# ---------------------------------------------------------------------------------------------
# Card 2: the VAE beside a GAN
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VAEResult:
    dataset: str
    seed: int
    seed_b: int
    vae: Samples
    gan: Samples
    test_indices: list[int]
    real: torch.Tensor  # [R, C, H, W] test images in [-1, 1]
    reconstructed: torch.Tensor  # [R, C, H, W]: the VAE's decoding of each one's posterior mean
    reconstruction_mse: float  # mean squared error on [0, 1] pixels
    vae_path: torch.Tensor  # [F, C, H, W]: slerp from seed to seed_b through the VAE's decoder
    gan_path: torch.Tensor  # [F, C, H, W]: the same seeds through the GAN


@torch.inference_mode()
def vae_panel(dataset: object, seed: object, seed_b: object, test_images: torch.Tensor,
              n: object = 8, frames: object = INTERPOLATION_FRAMES) -> VAEResult:
    """VAE and GAN samples for the same seeds, the VAE's reconstructions of RECONSTRUCTIONS test images
    (picked by `seed`), and a slerp from `seed` to `seed_b` through both."""
    name = check_dataset(dataset)
    count = check_n(n)
    seeds = seeds_from(seed, count)
    end = L.check_seed(seed_b)
    steps = L.whole("Frames", frames, 2, 32)
    vae_id, gan_id = VAE_PAIRS[name]
    vae_samples, gan_samples = _samples(vae_id, ("vae",), seeds), _samples(gan_id, GAN_KINDS, seeds)
    vae_model, gan_model = load(vae_id, ("vae",)).model, load(gan_id, GAN_KINDS).model

    cfg = vae_model.config
    real_all = check_test_images(test_images, int(cfg.channels), int(cfg.image_size))
    pick = torch.randperm(real_all.shape[0], generator=torch.Generator().manual_seed(seeds[0]))
    indices = sorted(int(i) for i in pick[:RECONSTRUCTIONS])
    real = real_all[indices]
    recon = vae_model.generator.reconstruct(real).float().clamp(-1, 1)
    mse = float(((recon - real) / 2).square().mean())

    def path(model: registry.LoadedModel) -> torch.Tensor:
        d = int(model.config.latent_dim)
        zs = L.interpolation_path(L.z_from_seed(seeds[0], d), L.z_from_seed(end, d), steps, "slerp")
        labels = _labels_for(model, [seeds[0]] * steps)  # a conditional GAN keeps seed A's class
        return _draw(model, zs, labels)

    return VAEResult(name, seeds[0], end, vae_samples, gan_samples, indices, real, recon, mse,
                     path(vae_model), path(gan_model))


# ---------------------------------------------------------------------------------------------
# Card 3: LAPGAN, level by level
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    index: int
    size: int
    seed: int
    given: torch.Tensor | None  # [1, 3, s, s]: the coarser output upsampled (None at level 0)
    residual: torch.Tensor | None  # [1, 3, s, s]: what this level drew (None at level 0)
    output: torch.Tensor  # [1, 3, s, s] in [-1, 1]

    @property
    def residual_display(self) -> torch.Tensor | None:
        """The residual around mid-grey, RESIDUAL_GAIN times amplified, in [-1, 1]."""
        return None if self.residual is None else (RESIDUAL_GAIN * self.residual).clamp(-1, 1)

    @property
    def residual_rms(self) -> float | None:
        return None if self.residual is None else float(self.residual.square().mean().sqrt())


@dataclass(frozen=True)
class LAPGANResult:
    model_id: str
    label: int
    class_name: str
    seeds: list[int]
    levels: list[Level]
    note: str | None = None


def pyramid_z(seeds: Sequence[int], noise_dims: Sequence[int]) -> torch.Tensor:
    """[1, sum(noise_dims)]: level k's block drawn from its own torch.Generator seeded with seeds[k]."""
    blocks = [torch.randn(d, generator=torch.Generator().manual_seed(s), dtype=torch.float64)
              for s, d in zip(seeds, noise_dims, strict=True)]
    return torch.cat(blocks).float()[None]


def check_level_seeds(seeds: object) -> list[int]:
    if not isinstance(seeds, list | tuple) or len(seeds) != len(SIZES):
        raise ValueError(f"LAPGAN needs one seed per level ({len(SIZES)}: {', '.join(f'{s}x{s}' for s in SIZES)}), "
                         f"got {L.shown(seeds)}.")
    out = []
    for k, s in enumerate(seeds):
        try:
            out.append(L.check_seed(s))
        except ValueError as error:
            raise ValueError(f"Level {k} ({SIZES[k]}x{SIZES[k]}): {error}") from None
    return out


def resolve_label(model: registry.LoadedModel, label: object) -> int:
    classes = list(model.class_names or [])
    if label is None or isinstance(label, str) and not label.strip():
        return 0
    if isinstance(label, str) and label.strip().lower() in [c.lower() for c in classes]:
        return [c.lower() for c in classes].index(label.strip().lower())
    try:
        return L.whole("Class", label, 0, len(classes) - 1)
    except ValueError:
        names = ", ".join(classes)
        raise ValueError(f"Class {L.shown(label)} is not one of {model.id}'s classes: "
                         f"{names if len(names) <= 80 else names[:80] + '…'}.") from None


@torch.inference_mode()
def lapgan(label: object, seeds: object, model_id: str = LAPGAN_ID) -> LAPGANResult:
    """One sample of the pyramid for a class and one seed per level, with each level's input and residual."""
    level_seeds = check_level_seeds(seeds)
    loaded = load(model_id, ("lapgan",))
    model = loaded.model
    y = resolve_label(model, label)
    gen = model.generator
    z = pyramid_z(level_seeds, gen.config.noise_dims)
    stages = gen.stages(z, torch.tensor([y]))
    levels = [Level(k, st.size, level_seeds[k], None if st.given is None else st.given.float(),
                    None if st.residual is None else st.residual.float(), st.output.float().clamp(-1, 1))
              for k, st in enumerate(stages)]
    return LAPGANResult(model_id, y, model.class_names[y], level_seeds, levels, loaded.note)


def level_image(level: Level, px: int = TILE_PX) -> np.ndarray:
    """One level as shown: [given | residual (amplified) | output], or the output alone at level 0."""
    parts = [level.output] if level.given is None else [level.given, level.residual_display, level.output]
    return row_image(torch.cat(parts), px=px, pad=6)
