"""Instance-conditioned GAN (IC-GAN, Casanova et al. 2021): G draws the neighbourhood of one real training image.

Each training image i has a feature vector h_i (unit norm, from an encoder trained without labels); G(z, i) is
trained to draw images like i's nearest neighbours in that space, and a projection D judges "is this a plausible
neighbour of i". Drawing an instance, then z, makes the model as a whole unconditional and label-free, but G never
has to pass from one kind of image to another inside one Gaussian: the instance is discrete, and thousands of
overlapping neighbourhoods share what G learns (a few large clusters would each collapse).

The "labels" of this kind are instance indices in 0..num_instances-1. Both networks keep the instance bank (the
features, and the weights with which instances are drawn) as buffers, so a checkpoint is self-contained.
Shapes are in gan_models/dcgan.py (same trunks); F = feature_dim, I = num_instances.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
from huggingface_hub import PyTorchModelHubMixin

from gan_models.dcgan import (
    DiscriminatorBody,
    GeneratorBody,
    _check_z,
    _ConfigMixin,
    check_family_config,
    config_from_mapping,
    spectral,
)

LIMITS = {"latent_dim": (1, 1024), "feature_dim": (1, 512), "num_instances": (2, 200_000),
          "neighbours": (1, 1000), "base_channels": (4, 512), "d_base_channels": (4, 512)}


@dataclass
class ICGANConfig:
    kind: str = "icgan"
    latent_dim: int = 64
    feature_dim: int = 64  # size of each instance's feature vector h_i
    num_instances: int = 8000  # the training images that can be drawn from
    neighbours: int = 50  # k: each instance's neighbourhood (recorded; used in training only)
    image_size: int = 28
    channels: int = 1
    base_channels: int = 32
    d_base_channels: int = 32
    spectral_norm: bool = False  # on D's layers (the small-data recipe's D)
    dataset: str = ""

    # The explorer reads these of every config: an IC-GAN has no classes (its labels are instances).
    num_classes = property(lambda self: 0)
    class_names = property(lambda self: [])

    def validate(self) -> ICGANConfig:
        check_family_config(self, "icgan", LIMITS)
        if self.neighbours > self.num_instances:
            raise ValueError("config.neighbours must not exceed num_instances")
        if not isinstance(self.spectral_norm, bool):
            raise ValueError(f"config.spectral_norm must be true or false, got {self.spectral_norm!r}")
        return self

    @classmethod
    def from_dict(cls, data: object) -> ICGANConfig:
        return config_from_mapping(cls, data)


class _InstanceBank(nn.Module):
    """The instances' features [I, F] and draw weights [I] (buffers: saved and loaded with the weights)."""

    def __init__(self, config: ICGANConfig) -> None:
        super().__init__()
        self.register_buffer("features", torch.zeros(config.num_instances, config.feature_dim))
        self.register_buffer("weights", torch.full((config.num_instances,), 1.0 / config.num_instances))

    def set(self, features: torch.Tensor, weights: torch.Tensor | None = None) -> None:
        """Fill the bank: features [I, F] (normalised to unit norm here) and draw weights [I] (uniform if None)."""
        if tuple(features.shape) != tuple(self.features.shape) or not torch.isfinite(features).all():
            raise ValueError(f"instance features must be finite, of shape {tuple(self.features.shape)}")
        if weights is None:
            weights = torch.ones(len(features))
        if tuple(weights.shape) != tuple(self.weights.shape) or not torch.isfinite(weights).all() \
                or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"instance weights must be {len(self.weights)} finite non-negative numbers, not all 0")
        self.features.copy_(nn.functional.normalize(features.float(), dim=1))
        self.weights.copy_(weights.float() / weights.sum())

    def lookup(self, instances: torch.Tensor | None, n: int) -> torch.Tensor:
        """Features [n, F] of instance indices [n]; ValueError for missing, mistyped or out-of-range indices."""
        count = len(self.weights)
        if instances is None or instances.shape != (n,) or instances.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"An IC-GAN needs instance indices as labels: integers of shape [{n}] in 0..{count - 1}")
        if n and (int(instances.min()) < 0 or int(instances.max()) >= count):
            raise ValueError(f"instance indices must be in 0..{count - 1}")
        return self.features[instances.long()]


class InstanceGenerator(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "icgan", "gan-latent-explorer"]
):
    """(z [N, latent_dim], instance indices [N]) -> images [N, C, H, W] in [-1, 1]."""

    config_class = ICGANConfig

    def __init__(self, config: ICGANConfig | dict | None = None) -> None:
        super().__init__()
        self.config = c = self._coerce(config)
        self.bank = _InstanceBank(c)
        self.body = GeneratorBody(c.latent_dim + c.feature_dim, c.base_channels, c.channels, c.image_size)

    def draw_instances(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n instance indices drawn with the bank's weights (what makes the model's images follow the data)."""
        return torch.multinomial(self.bank.weights.cpu(), n, replacement=True, generator=generator)

    def class_embedding(self, labels: torch.Tensor) -> torch.Tensor:
        """Instance indices [N] -> features [N, F] (blend two to move from one neighbourhood to another)."""
        return self.bank.lookup(labels, labels.shape[0])

    def from_embedding(self, z: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        """Images for latents [N, latent_dim] and instance features [N, F], possibly blended."""
        _check_z(z, self.config.latent_dim)
        return self.body(self._join(z, embedding))

    def _join(self, z: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        # unit-norm features scaled to the norm a z of feature_dim dimensions has, so neither input drowns the other
        return torch.cat([z, features * self.config.feature_dim ** 0.5], dim=1)  # [N, latent_dim + F]

    def _input(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        _check_z(z, self.config.latent_dim)
        return self._join(z, self.bank.lookup(labels, z.shape[0]))

    def first_layer_features(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Flattened activations after the first block, [N, 4ngf*s*s] (input to PCA directions)."""
        return self.body.features(self._input(z, labels)).flatten(1)

    def latent_weight(self) -> torch.Tensor:
        """The first linear map z -> features [features, latent_dim], the instance features' rows left out."""
        return self.body.latent_weight(self.config.latent_dim)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.body(self._input(z, labels))


class InstanceDiscriminator(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "icgan", "gan-latent-explorer"]
):
    """Projection discriminator on instance features: (images [N, C, H, W], instance indices [N]) -> logits [N]."""

    config_class = ICGANConfig

    def __init__(self, config: ICGANConfig | dict | None = None) -> None:
        super().__init__()
        self.config = c = self._coerce(config)
        self.bank = _InstanceBank(c)
        self.body = DiscriminatorBody(c.d_base_channels, c.channels, c.spectral_norm)  # [N, F_D]
        self.out = spectral(nn.Linear(self.body.out_dim, 1), c.spectral_norm)  # [N, 1] realism alone
        project = nn.Linear(c.feature_dim, self.body.out_dim, bias=False)  # [N, F] -> [N, F_D]
        nn.init.normal_(project.weight, std=0.02)
        self.project = spectral(project, c.spectral_norm)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.body(x)  # [N, F_D]
        features = self.bank.lookup(labels, x.shape[0])  # [N, F]
        return self.out(h).squeeze(1) + (self.project(features) * h).sum(dim=1)  # [N]
