"""DCGAN generator and discriminator for 28x28 and 32x32 images, grayscale or RGB.

Follows pytorch/examples' dcgan (transposed convolutions, BatchNorm, ReLU in G, LeakyReLU in D, tanh out),
resized for small images. D returns logits (no sigmoid) so losses can use the stable softplus form.
Both classes are `PyTorchModelHubMixin` models: `save_pretrained(dir)` writes config.json (the config
dataclass below) and model.safetensors; `gan_models.registry` loads them back strictly.

Shapes below are written for image_size=28 (32 in brackets); ngf/ndf are base_channels/d_base_channels,
Z is latent_dim (+ embed_dim for the conditional model).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn
from huggingface_hub import PyTorchModelHubMixin

IMAGE_SIZES = (28, 32)
CHANNELS = (1, 3)
# Sanity bounds for configs read from untrusted config.json files: generous for real use, but they stop
# a hostile config from asking for a 10^9-wide layer before any weight is read.
LIMITS = {"latent_dim": (1, 1024), "base_channels": (4, 512), "d_base_channels": (4, 512),
          "num_classes": (0, 1000), "embed_dim": (1, 1024)}


@dataclass
class DCGANConfig:
    """Everything needed to rebuild a G/D pair; serialized as config.json by save_pretrained."""

    latent_dim: int = 64
    image_size: int = 28  # 28 or 32
    channels: int = 1  # 1 (grayscale) or 3 (RGB)
    base_channels: int = 32  # ngf: generator width
    d_base_channels: int = 32  # ndf: discriminator width
    num_classes: int = 0  # 0 = unconditional; > 0 = class-conditional (gan_models.conditional)
    class_names: list[str] = field(default_factory=list)
    embed_dim: int = 32  # class-embedding size fed to G (conditional only)
    dataset: str = ""  # provenance, shown in listings
    # Spectral norm on D's layers (Miyato et al. 2018) instead of BatchNorm: the small-data recipe's D.
    # Part of the config because it changes D's parameter names (the checkpoint must say how to rebuild D).
    spectral_norm: bool = False

    @property
    def kind(self) -> str:
        return "cdcgan" if self.num_classes > 0 else "dcgan"

    def validate(self) -> DCGANConfig:
        """Raise ValueError naming the bad field; return self so it can be chained."""
        for name, (lo, hi) in LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ValueError(f"config.{name} must be an integer in {lo}..{hi}, got {value!r}")
        if self.image_size not in IMAGE_SIZES:
            raise ValueError(f"config.image_size must be one of {IMAGE_SIZES}, got {self.image_size!r}")
        if self.channels not in CHANNELS:
            raise ValueError(f"config.channels must be one of {CHANNELS}, got {self.channels!r}")
        if not isinstance(self.class_names, list) or not all(isinstance(c, str) for c in self.class_names):
            raise ValueError("config.class_names must be a list of strings")
        if len(self.class_names) != self.num_classes:
            raise ValueError(
                f"config.class_names has {len(self.class_names)} names but num_classes is {self.num_classes}"
            )
        if not isinstance(self.dataset, str):
            raise ValueError("config.dataset must be a string")
        if not isinstance(self.spectral_norm, bool):
            raise ValueError(f"config.spectral_norm must be true or false, got {self.spectral_norm!r}")
        return self

    @classmethod
    def from_dict(cls, data: object) -> DCGANConfig:
        """Build and validate a config from parsed JSON; unknown keys are ignored, wrong types refused."""
        if not isinstance(data, dict):
            raise ValueError(f"config must be a JSON object, got {type(data).__name__}")
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known).validate()


class ImageInput:
    """Base of the configs of models that map images to images: no latent for Explore, no classes. (The
    configs are dataclasses; these read-only fields stay out of config.json.)"""

    latent_dim = property(lambda self: 0)
    num_classes = property(lambda self: 0)
    class_names = property(lambda self: [])


def check_family_config(config: object, kind: str, limits: dict[str, tuple[int, int]]) -> None:
    """The checks every family's config shares (configs come from untrusted config.json files): its kind,
    integer fields within their limits, a supported image shape, a string dataset. ValueError names the field."""
    if getattr(config, "kind", None) != kind:
        raise ValueError(f"config.kind must be {kind!r}, got {getattr(config, 'kind', None)!r}")
    for name, (lo, hi) in limits.items():
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ValueError(f"config.{name} must be an integer in {lo}..{hi}, got {value!r}")
    if config.image_size not in IMAGE_SIZES or config.channels not in CHANNELS:
        raise ValueError(f"config.image_size must be in {IMAGE_SIZES} and channels in {CHANNELS}")
    if not isinstance(config.dataset, str):
        raise ValueError("config.dataset must be a string")


def check_weight(config: object, name: str, high: float) -> None:
    """A loss weight read from config.json: a real number in 0..high (bools and NaN refused)."""
    w = getattr(config, name)
    if isinstance(w, bool) or not isinstance(w, int | float) or not 0 <= w <= high:
        raise ValueError(f"config.{name} must be a number in 0..{high}, got {w!r}")


def check_images(x: torch.Tensor, channels: int, size: int) -> None:
    """An image-to-image network's input: [N, channels, size, size]."""
    if x.ndim != 4 or tuple(x.shape[1:]) != (channels, size, size):
        raise ValueError(f"input must have shape [N, {channels}, {size}, {size}], got {tuple(x.shape)}")


def config_from_mapping(cls: type, data: object) -> object:
    """A family config from parsed JSON: unknown keys ignored, then validated; a non-object is refused."""
    if not isinstance(data, dict):
        raise ValueError(f"config must be a JSON object, got {type(data).__name__}")
    return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__}).validate()


def check_labels(labels: torch.Tensor | None, n: int, num_classes: int) -> None:
    """Shared label checks: conditional models need labels in range, unconditional ones refuse them."""
    if num_classes == 0:
        if labels is not None:
            raise ValueError("This is an unconditional model: pass labels=None.")
        return
    if labels is None:
        raise ValueError(f"This is a class-conditional model: pass labels (integers in 0..{num_classes - 1}).")
    if labels.shape != (n,) or labels.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"labels must be an integer tensor of shape [{n}], got {tuple(labels.shape)} {labels.dtype}")
    if n and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(f"labels must be in 0..{num_classes - 1}, got {labels.min().item()}..{labels.max().item()}")


def _check_z(z: torch.Tensor, latent_dim: int) -> None:
    if z.ndim != 2 or z.shape[1] != latent_dim:
        raise ValueError(f"z must have shape [N, {latent_dim}], got {tuple(z.shape)}")


class GeneratorBody(nn.Module):
    """The DCGAN generator trunk: an input vector [N, Z] -> image [N, C, H, W] in [-1, 1]."""

    def __init__(self, in_dim: int, ngf: int, channels: int, image_size: int) -> None:
        super().__init__()
        s = 7 if image_size == 28 else 4
        # first block: its flattened output is what GANSpace-style PCA directions are computed on
        self.stem = nn.Sequential(
            nn.ConvTranspose2d(in_dim, ngf * 4, s, 1, 0, bias=False),  # [N, 4ngf, 7, 7]  ([4, 4])
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
        )
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),  # [N, 2ngf, 14, 14]  ([8, 8])
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),  # [N, ngf, 28, 28]  ([16, 16])
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
        ]
        if image_size == 28:
            layers.append(nn.Conv2d(ngf, channels, 3, 1, 1))  # [N, C, 28, 28]: refine at full resolution
        else:
            layers.append(nn.ConvTranspose2d(ngf, channels, 4, 2, 1))  # [N, C, 32, 32]
        layers.append(nn.Tanh())
        self.head = nn.Sequential(*layers)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stem(x[:, :, None, None])  # [N, Z] -> [N, Z, 1, 1] -> [N, 4ngf, s, s]

    def latent_weight(self, latent_dim: int) -> torch.Tensor:
        """The stem's transposed conv on a 1x1 input is linear in x: [4ngf*s*s, latent_dim] for z's inputs
        (the first `latent_dim` rows of the weight; a conditional model's class embedding comes after)."""
        w = self.stem[0].weight[:latent_dim]  # [Z, 4ngf, s, s]
        return w.reshape(latent_dim, -1).T

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def spectral(layer: nn.Module, on: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(layer) if on else layer


class DiscriminatorBody(nn.Module):
    """The DCGAN discriminator trunk: image [N, C, H, W] -> features [N, 4ndf*4*4].

    With `spectral_norm` every conv is spectrally normalised and BatchNorm is left out: SN alone bounds D's
    Lipschitz constant, and BatchNorm would mix statistics across the batch, which SN-GAN's D avoids.
    """

    def __init__(self, ndf: int, channels: int, spectral_norm: bool = False) -> None:
        super().__init__()
        sn = spectral_norm

        def norm(c: int) -> nn.Module:
            return nn.Identity() if sn else nn.BatchNorm2d(c)

        self.net = nn.Sequential(
            spectral(nn.Conv2d(channels, ndf, 4, 2, 1), sn),  # [N, ndf, 14, 14]  ([16, 16]); no BN on input
            nn.LeakyReLU(0.2, inplace=True),
            spectral(nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=sn), sn),  # [N, 2ndf, 7, 7]  ([8, 8])
            norm(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            spectral(nn.Conv2d(ndf * 2, ndf * 4, 3, 2, 1, bias=sn), sn),  # [N, 4ndf, 4, 4]  ([4, 4])
            norm(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Flatten(),  # [N, 4ndf * 16]
        )
        self.out_dim = ndf * 4 * 16

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class _ConfigMixin:
    config: DCGANConfig
    config_class: type = DCGANConfig  # each family's networks name their own config dataclass

    @classmethod
    def _coerce(cls, config: object) -> object:
        if config is None:
            return cls.config_class().validate()
        if isinstance(config, dict):
            return cls.config_class.from_dict(config)
        return config.validate()

    @classmethod
    def _load_as_pickle(cls, *args: object, **kwargs: object) -> None:
        # The Hub mixin falls back to pytorch_model.bin (a pickle) when model.safetensors is missing; a
        # pickle can run code on load, so that path is closed for every model in this project.
        raise ValueError("model.safetensors is missing; refusing to load pytorch_model.bin (pickle).")


class DCGANGenerator(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "dcgan", "gan-latent-explorer"]
):
    """Unconditional DCGAN generator: z [N, latent_dim] -> images [N, C, H, W] in [-1, 1]."""

    def __init__(self, config: DCGANConfig | None = None) -> None:
        super().__init__()
        self.config = self._coerce(config)
        if self.config.num_classes != 0:
            raise ValueError("DCGANGenerator is unconditional (num_classes=0); use ConditionalGenerator.")
        c = self.config
        self.body = GeneratorBody(c.latent_dim, c.base_channels, c.channels, c.image_size)

    def first_layer_features(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Flattened activations after the first block, [N, 4ngf*s*s] (input to PCA directions)."""
        _check_z(z, self.config.latent_dim)
        check_labels(labels, z.shape[0], 0)
        return self.body.features(z).flatten(1)

    def latent_weight(self) -> torch.Tensor:
        """The first linear map z -> features as a matrix [features, latent_dim] (for SeFa directions)."""
        return self.body.latent_weight(self.config.latent_dim)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        _check_z(z, self.config.latent_dim)
        check_labels(labels, z.shape[0], 0)
        return self.body(z)


class DCGANDiscriminator(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "dcgan", "gan-latent-explorer"]
):
    """Unconditional DCGAN discriminator: images [N, C, H, W] -> logits [N] (real > 0 > fake)."""

    def __init__(self, config: DCGANConfig | None = None) -> None:
        super().__init__()
        self.config = self._coerce(config)
        if self.config.num_classes != 0:
            raise ValueError("DCGANDiscriminator is unconditional (num_classes=0); use ConditionalDiscriminator.")
        c = self.config
        self.body = DiscriminatorBody(c.d_base_channels, c.channels, c.spectral_norm)
        self.out = spectral(nn.Linear(self.body.out_dim, 1), c.spectral_norm)  # [N, 1] logits

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(labels, x.shape[0], 0)
        return self.out(self.body(x)).squeeze(1)
