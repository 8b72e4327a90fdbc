"""Class-conditional DCGAN (cDCGAN): the class reaches both networks.

G: a learned class embedding [N, embed_dim] is concatenated to z, then the DCGAN trunk runs as usual.
D: a projection discriminator (Miyato & Koyama 2018): logit = w.h + <embed(y), h> on D's features h.
The projection term scores "is this a real image *of class y*", which keeps classes sharper than feeding
a one-hot map into D's input, at the cost of one small embedding table.
Shapes are in gan_models/dcgan.py (same trunks); the config is the same DCGANConfig with num_classes > 0.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from huggingface_hub import PyTorchModelHubMixin

from gan_models.dcgan import (
    DCGANConfig,
    DiscriminatorBody,
    GeneratorBody,
    _check_z,
    _ConfigMixin,
    check_labels,
    spectral,
)


class ConditionalGenerator(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "cdcgan", "gan-latent-explorer"]
):
    """Conditional generator: (z [N, latent_dim], labels [N]) -> images [N, C, H, W] in [-1, 1]."""

    def __init__(self, config: DCGANConfig | None = None) -> None:
        super().__init__()
        self.config = self._coerce(config)
        c = self.config
        if c.num_classes < 1:
            raise ValueError("ConditionalGenerator needs num_classes >= 1; use DCGANGenerator for unconditional.")
        self.embed = nn.Embedding(c.num_classes, c.embed_dim)  # [N] -> [N, embed_dim]
        self.body = GeneratorBody(c.latent_dim + c.embed_dim, c.base_channels, c.channels, c.image_size)

    def _input(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        _check_z(z, self.config.latent_dim)
        check_labels(labels, z.shape[0], self.config.num_classes)
        return torch.cat([z, self.embed(labels)], dim=1)  # [N, latent_dim + embed_dim]

    def first_layer_features(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Flattened activations after the first block, [N, 4ngf*s*s] (input to PCA directions)."""
        return self.body.features(self._input(z, labels)).flatten(1)

    def latent_weight(self) -> torch.Tensor:
        """The first linear map z -> features [features, latent_dim], the class embedding's rows left out."""
        return self.body.latent_weight(self.config.latent_dim)

    def class_embedding(self, labels: torch.Tensor) -> torch.Tensor:
        """Class labels [N] -> embeddings [N, embed_dim] (blend two to change class smoothly)."""
        check_labels(labels, labels.shape[0], self.config.num_classes)
        return self.embed(labels)

    def from_embedding(self, z: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        """Images for latents [N, latent_dim] and class embeddings [N, embed_dim], possibly blended."""
        _check_z(z, self.config.latent_dim)
        return self.body(torch.cat([z, embedding], dim=1))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.body(self._input(z, labels))


class ConditionalDiscriminator(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "cdcgan", "gan-latent-explorer"]
):
    """Projection discriminator: (images [N, C, H, W], labels [N]) -> logits [N]."""

    def __init__(self, config: DCGANConfig | None = None) -> None:
        super().__init__()
        self.config = self._coerce(config)
        c = self.config
        if c.num_classes < 1:
            raise ValueError("ConditionalDiscriminator needs num_classes >= 1.")
        self.body = DiscriminatorBody(c.d_base_channels, c.channels, c.spectral_norm)
        self.out = spectral(nn.Linear(self.body.out_dim, 1), c.spectral_norm)  # [N, 1] class-independent realism
        self.embed = nn.Embedding(c.num_classes, self.body.out_dim)  # [N, F] class projection
        nn.init.normal_(self.embed.weight, std=0.02)
        if c.spectral_norm:  # as in Miyato & Koyama's projection D: the class table is normalised too
            self.embed = spectral(self.embed, True)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(labels, x.shape[0], self.config.num_classes)
        h = self.body(x)  # [N, F]
        return self.out(h).squeeze(1) + (self.embed(labels) * h).sum(dim=1)  # [N]
