"""One registry of model kinds: kind -> (config class, generator class, discriminator class).

Every loader, trainer and evaluator builds networks through `build_pair(config)` and reads configs through
`config_from_dict(data)`, so a new family is one file in gan_models/ (its config dataclass and networks)
plus one `register_kind(...)` call: the registry, the training CLI, the live trainer and evaluation then
accept it unchanged.

A config class must provide `from_dict(data) -> config` (validating, refusing wrong types), `kind`,
`latent_dim`, `image_size`, `channels`, `num_classes`, `class_names` and `dataset`. A family with its own
config class stores `"kind": "<name>"` in config.json (a dataclass field); DCGAN configs carry none, and
their kind follows from num_classes (0: "dcgan", else "cdcgan").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import torch

from gan_models.conditional import ConditionalDiscriminator, ConditionalGenerator
from gan_models.cyclegan import CycleGANConfig, CycleGANDiscriminators, CycleGANGenerators
from gan_models.dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator
from gan_models.icgan import ICGANConfig, InstanceDiscriminator, InstanceGenerator
from gan_models.infogan import InfoGANConfig, InfoGANDiscriminator, InfoGANGenerator
from gan_models.lapgan import LAPGANConfig, LAPGANDiscriminator, LAPGANGenerator
from gan_models.mlpgan import MLPDiscriminator, MLPGANConfig, MLPGenerator
from gan_models.pix2pix import PatchDiscriminator, Pix2PixConfig, UNetGenerator
from gan_models.srgan import SRConfig, SRDiscriminator, SRResNet
from gan_models.textgan import MatchingDiscriminator, TextGANConfig, TextToImageGenerator
from gan_models.vae import VAE, VAEConfig


class ModelConfig(Protocol):
    kind: str
    latent_dim: int
    image_size: int
    channels: int
    num_classes: int
    class_names: list[str]
    dataset: str


@dataclass(frozen=True)
class Kind:
    name: str
    config: Any  # the config dataclass (with from_dict / validate)
    generator: type[torch.nn.Module]
    discriminator: type[torch.nn.Module] | None
    conditional: bool = False  # takes class labels: trainers pass num_classes = the dataset's classes
    description: str = ""
    # "gan": training.loop.train_step with D; "vae": training.loop.vae_step, no D; "infogan": train_step with
    # random categorical codes as labels and the Q head's mutual-information term; "lapgan":
    # training.loop.lapgan_step (each pyramid level on real coarse images); "superres": superres_step;
    # "paired": pix2pix_step on (input, target) pairs; "cycle": cycle_step on unpaired images of two styles;
    # "text": text_step on (image, caption) pairs; "icgan": train_step on (instance, neighbour) pairs
    # (training.instances), the instance indices as labels
    objective: str = "gan"
    # "generate": G maps (z, labels) to images, so Explore, evaluation by Frechet distance and sample grids
    # apply; "superres": G maps a low-resolution image to a high-resolution one; "translate": G maps an
    # image to an image of another kind; "text": G maps (z, a phrase's word ids) to images (the last three
    # are shown in the GAN family tab, not in Explore)
    task: str = "generate"


KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> Kind:
    """Add (or replace, for tests) a kind; its classes take the config as their only argument."""
    if not kind.name or not kind.name.replace("-", "").isalnum():
        raise ValueError(f"Kind names are short lowercase words, got {kind.name!r}.")
    KINDS[kind.name] = kind
    return kind


def unregister_kind(name: str) -> None:
    KINDS.pop(name, None)


register_kind(Kind("dcgan", DCGANConfig, DCGANGenerator, DCGANDiscriminator, False, "DCGAN (Radford et al. 2015)"))
register_kind(Kind("cdcgan", DCGANConfig, ConditionalGenerator, ConditionalDiscriminator, True,
                   "class-conditional DCGAN with a projection discriminator"))
register_kind(Kind("mlpgan", MLPGANConfig, MLPGenerator, MLPDiscriminator, False,
                   "the vanilla GAN (Goodfellow et al. 2014): fully connected G and D"))
register_kind(Kind("infogan", InfoGANConfig, InfoGANGenerator, InfoGANDiscriminator, True,
                   "InfoGAN (Chen et al. 2016): codes learned without labels", "infogan"))
register_kind(Kind("icgan", ICGANConfig, InstanceGenerator, InstanceDiscriminator, False,
                   "IC-GAN (Casanova et al. 2021): the neighbourhood of one real image, without labels", "icgan"))
register_kind(Kind("vae", VAEConfig, VAE, None, False, "a convolutional VAE (Kingma & Welling 2013)", "vae"))
register_kind(Kind("lapgan", LAPGANConfig, LAPGANGenerator, LAPGANDiscriminator, True,
                   "LAPGAN (Denton et al. 2015): a Laplacian pyramid of conditional GANs, 8 -> 16 -> 32", "lapgan"))
register_kind(Kind("srresnet", SRConfig, SRResNet, None, False,
                   "SRResNet (Ledig et al. 2017): 4x super-resolution trained with L1 only", "superres", "superres"))
register_kind(Kind("srgan", SRConfig, SRResNet, SRDiscriminator, False,
                   "SRGAN (Ledig et al. 2017): the same network with an adversarial term", "superres", "superres"))
register_kind(Kind("pix2pix", Pix2PixConfig, UNetGenerator, PatchDiscriminator, False,
                   "pix2pix (Isola et al. 2017): paired translation, U-Net G and PatchGAN D", "paired", "translate"))
register_kind(Kind("cyclegan", CycleGANConfig, CycleGANGenerators, CycleGANDiscriminators, False,
                   "CycleGAN (Zhu et al. 2017): translation learned without pairs", "cycle", "translate"))
register_kind(Kind("textgan", TextGANConfig, TextToImageGenerator, MatchingDiscriminator, False,
                   "GAN-CLS + GAN-INT (Reed et al. 2016): text to image with a matching-aware D", "text", "text"))


def kind_of(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"Unknown model kind {str(name)[:40]!r}; known kinds: {', '.join(KINDS)}.") from None


def config_from_dict(data: object) -> ModelConfig:
    """A validated config from parsed config.json: the kind named in it, else DCGAN's. ValueError if bad."""
    if not isinstance(data, dict):
        raise ValueError(f"config must be a JSON object, got {type(data).__name__}")
    name = data.get("kind")
    if name is None:
        return DCGANConfig.from_dict(data)
    if not isinstance(name, str):
        raise ValueError("config.kind must be a string")
    config = kind_of(name).config.from_dict(data)
    if config.kind != name:
        raise ValueError(f"config.kind {name!r} does not match its fields ({config.kind!r})")
    return config


def build_pair(config: ModelConfig) -> tuple[torch.nn.Module, torch.nn.Module | None]:
    """Fresh (untrained) generator and discriminator for a config; the discriminator is None if the kind has none."""
    kind = kind_of(config.kind)
    return kind.generator(config), kind.discriminator(config) if kind.discriminator is not None else None
