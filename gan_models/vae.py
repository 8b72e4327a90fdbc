"""A convolutional VAE (Kingma & Welling 2013): the other deep generative model, shown beside the GANs.

The encoder is the DCGAN discriminator trunk ending in the mean and log-variance of q(z|x); the decoder is
the DCGAN generator trunk, so the VAE's decoder and a DCGAN generator are the same network trained two ways.
`VAE(z)` decodes, which makes the decoder explorable in Explore like any generator (its z is the same
N(0, I) prior); `VAE.encode(x)` gives the posterior for reconstructions.
The likelihood is Bernoulli on pixels in [0, 1] (binary cross-entropy), the usual choice for MNIST-like data.
Shapes are in gan_models/dcgan.py (same trunks); F = 4 * base_channels * 16, Z = latent_dim.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin

from gan_models.dcgan import (
    DiscriminatorBody,
    GeneratorBody,
    _check_z,
    _ConfigMixin,
    check_family_config,
    check_labels,
    config_from_mapping,
)

LIMITS = {"latent_dim": (1, 1024), "base_channels": (4, 512)}


@dataclass
class VAEConfig:
    kind: str = "vae"
    latent_dim: int = 32
    image_size: int = 28
    channels: int = 1
    base_channels: int = 16  # width of both trunks
    beta: float = 1.0  # weight of the KL term (1 = the ELBO)
    num_classes: int = 0  # unconditional
    class_names: list[str] = field(default_factory=list)
    dataset: str = ""

    def validate(self) -> VAEConfig:
        check_family_config(self, "vae", LIMITS)
        if isinstance(self.beta, bool) or not isinstance(self.beta, int | float) or not 0 < self.beta <= 100:
            raise ValueError(f"config.beta must be a number in (0, 100], got {self.beta!r}")
        if self.num_classes != 0 or self.class_names:
            raise ValueError("the VAE here is unconditional: num_classes must be 0")
        return self

    @classmethod
    def from_dict(cls, data: object) -> VAEConfig:
        return config_from_mapping(cls, data)


class VAE(nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["vae", "gan-latent-explorer"]):
    """Encoder x [N, C, H, W] -> (mu, logvar) [N, Z] each; decoder z [N, Z] -> images [N, C, H, W] in [-1, 1]."""

    config_class = VAEConfig

    def __init__(self, config: VAEConfig | dict | None = None) -> None:
        super().__init__()
        self.config = c = self._coerce(config)
        self.encoder = DiscriminatorBody(c.base_channels, c.channels)  # [N, F]
        self.to_stats = nn.Linear(self.encoder.out_dim, 2 * c.latent_dim)  # [N, 2Z]: mu and log-variance
        self.decoder = GeneratorBody(c.latent_dim, c.base_channels, c.channels, c.image_size)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.to_stats(self.encoder(x)).chunk(2, dim=1)
        return mu, logvar.clamp(-20, 10)  # keeps exp(logvar) finite on odd inputs

    def first_layer_features(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        _check_z(z, self.config.latent_dim)
        check_labels(labels, z.shape[0], 0)
        return self.decoder.features(z).flatten(1)

    def latent_weight(self) -> torch.Tensor:
        return self.decoder.latent_weight(self.config.latent_dim)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        _check_z(z, self.config.latent_dim)
        check_labels(labels, z.shape[0], 0)
        return self.decoder(z)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Decode the posterior mean: what the VAE keeps of an image."""
        return self.decoder(self.encode(x)[0])

    def loss(self, x: torch.Tensor, eps: torch.Tensor) -> dict[str, torch.Tensor]:
        """Negative ELBO per image: reconstruction (BCE summed over pixels) + beta * KL(q(z|x) || N(0, I)).

        `eps` [N, Z] is the reparameterisation noise, passed in so a training step is reproducible."""
        mu, logvar = self.encode(x)
        z = mu + eps * (0.5 * logvar).exp()
        recon = (self.decoder(z) + 1) / 2  # tanh output -> [0, 1]
        target = (x + 1) / 2
        bce = F.binary_cross_entropy(recon.clamp(1e-6, 1 - 1e-6), target, reduction="sum") / len(x)
        kl = -0.5 * (1 + logvar - mu.square() - logvar.exp()).sum() / len(x)
        return {"loss": bce + self.config.beta * kl, "recon": bce, "kl": kl}
