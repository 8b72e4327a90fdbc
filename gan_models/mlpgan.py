"""The vanilla GAN of Goodfellow et al. 2014: fully connected generator and discriminator, no convolutions.

Shown beside DCGAN at a similar parameter count so a learner can see what convolutions bought: the MLP has
to learn every pixel position separately, so its samples are noisier and it needs more steps. D uses dropout
(the paper's regulariser; maxout units are replaced by LeakyReLU, as most re-implementations do).
Shapes are written for 28x28 grayscale: P = channels * image_size**2 = 784, H = hidden, Hd = d_hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn
from huggingface_hub import PyTorchModelHubMixin

from gan_models.dcgan import _check_z, _ConfigMixin, check_family_config, check_labels, config_from_mapping

LIMITS = {"latent_dim": (1, 1024), "hidden": (8, 4096), "d_hidden": (8, 4096)}


@dataclass
class MLPGANConfig:
    kind: str = "mlpgan"
    latent_dim: int = 64
    image_size: int = 28
    channels: int = 1
    hidden: int = 256  # generator width (the second layer has 2x)
    d_hidden: int = 256  # discriminator width (the first layer has 2x)
    num_classes: int = 0  # unconditional
    class_names: list[str] = field(default_factory=list)
    dataset: str = ""

    def validate(self) -> MLPGANConfig:
        check_family_config(self, "mlpgan", LIMITS)
        if self.num_classes != 0 or self.class_names:
            raise ValueError("the vanilla GAN here is unconditional: num_classes must be 0")
        return self

    @classmethod
    def from_dict(cls, data: object) -> MLPGANConfig:
        return config_from_mapping(cls, data)


class MLPGenerator(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "vanilla-gan", "gan-latent-explorer"]
):
    """z [N, latent_dim] -> images [N, C, H, W] in [-1, 1], through two hidden fully connected layers."""

    config_class = MLPGANConfig

    def __init__(self, config: MLPGANConfig | dict | None = None) -> None:
        super().__init__()
        self.config = c = self._coerce(config)
        pixels = c.channels * c.image_size**2
        self.first = nn.Sequential(nn.Linear(c.latent_dim, c.hidden), nn.ReLU(True))  # [N, H]
        self.rest = nn.Sequential(
            nn.Linear(c.hidden, 2 * c.hidden), nn.ReLU(True),  # [N, 2H]
            nn.Linear(2 * c.hidden, pixels), nn.Tanh(),  # [N, P]
        )

    def first_layer_features(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        _check_z(z, self.config.latent_dim)
        check_labels(labels, z.shape[0], 0)
        return self.first(z)  # [N, H]: input to PCA directions

    def latent_weight(self) -> torch.Tensor:
        return self.first[0].weight  # [H, latent_dim]

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        c = self.config
        return self.rest(self.first_layer_features(z, labels)).view(-1, c.channels, c.image_size, c.image_size)


class MLPDiscriminator(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "vanilla-gan", "gan-latent-explorer"]
):
    """images [N, C, H, W] -> logits [N]."""

    config_class = MLPGANConfig

    def __init__(self, config: MLPGANConfig | dict | None = None) -> None:
        super().__init__()
        self.config = c = self._coerce(config)
        self.net = nn.Sequential(
            nn.Flatten(),  # [N, P]
            nn.Linear(c.channels * c.image_size**2, 2 * c.d_hidden), nn.LeakyReLU(0.2, True), nn.Dropout(0.3),
            nn.Linear(2 * c.d_hidden, c.d_hidden), nn.LeakyReLU(0.2, True), nn.Dropout(0.3),  # [N, Hd]
            nn.Linear(c.d_hidden, 1),  # [N, 1]
        )

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(labels, x.shape[0], 0)
        return self.net(x).squeeze(1)
