"""InfoGAN (Chen et al. 2016): a DCGAN whose input carries a few structured codes, learned without labels by
maximising the mutual information between the codes and the image through a Q head on D's trunk.

For the explorer the codes sit where a user finds them first: the categorical code is the model's "class"
(labels; its names say they were learned, not given) and the continuous codes are the FIRST `n_continuous`
dimensions of z, so they are the first raw sliders. The rest of z is plain noise. All of z is N(0, I), the
prior the explorer samples (the paper draws continuous codes from U(-1, 1); N(0, I) keeps one prior).
Shapes are in gan_models/dcgan.py (same trunks); K = n_categories, Cc = n_continuous, F = 4 * ndf * 16.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn
from huggingface_hub import PyTorchModelHubMixin

from gan_models.dcgan import (
    DiscriminatorBody,
    GeneratorBody,
    _check_z,
    _ConfigMixin,
    check_family_config,
    check_weight,
    config_from_mapping,
)

LIMITS = {"latent_dim": (2, 1024), "base_channels": (4, 512), "d_base_channels": (4, 512),
          "num_classes": (2, 100), "n_continuous": (1, 8)}


@dataclass
class InfoGANConfig:
    kind: str = "infogan"
    latent_dim: int = 32  # all of z: n_continuous codes first, then noise
    n_continuous: int = 2
    num_classes: int = 10  # the categorical code's size (learned "classes")
    class_names: list[str] = field(default_factory=list)  # default: "code 0", "code 1", ...
    code_names: list[str] = field(default_factory=list)  # what each continuous code was found to do
    image_size: int = 28
    channels: int = 1
    base_channels: int = 32
    d_base_channels: int = 32
    info_weight: float = 1.0  # lambda of the mutual-information term
    dataset: str = ""

    def __post_init__(self) -> None:
        if not self.class_names and isinstance(self.num_classes, int) and 0 < self.num_classes <= 100:
            self.class_names = [f"code {i}" for i in range(self.num_classes)]

    def validate(self) -> InfoGANConfig:
        check_family_config(self, "infogan", LIMITS)
        if self.n_continuous >= self.latent_dim:
            raise ValueError("config.n_continuous must be smaller than latent_dim (z also carries noise)")
        for name, values, n in (("class_names", self.class_names, self.num_classes),
                                ("code_names", self.code_names, None)):
            if not isinstance(values, list) or not all(isinstance(v, str) and len(v) <= 40 for v in values):
                raise ValueError(f"config.{name} must be a list of short strings")
            if n is not None and len(values) != n:
                raise ValueError(f"config.{name} has {len(values)} names for {n} values")
        if len(self.code_names) not in (0, self.n_continuous):
            raise ValueError("config.code_names needs one name per continuous code (or none)")
        check_weight(self, "info_weight", 100)
        return self

    @classmethod
    def from_dict(cls, data: object) -> InfoGANConfig:
        return config_from_mapping(cls, data)


def _check_codes(labels: torch.Tensor | None, n: int, k: int) -> None:
    if labels is None or labels.shape != (n,) or labels.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"InfoGAN needs its categorical code as labels: integers of shape [{n}] in 0..{k - 1}")
    if n and (int(labels.min()) < 0 or int(labels.max()) >= k):
        raise ValueError(f"labels must be in 0..{k - 1}")


class InfoGANGenerator(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "infogan", "gan-latent-explorer"]
):
    """(z [N, latent_dim], categorical code [N]) -> images [N, C, H, W]; z[:, :n_continuous] are the codes."""

    config_class = InfoGANConfig

    def __init__(self, config: InfoGANConfig | dict | None = None) -> None:
        super().__init__()
        self.config = c = self._coerce(config)
        self.body = GeneratorBody(c.latent_dim + c.num_classes, c.base_channels, c.channels, c.image_size)

    def _input(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        _check_z(z, self.config.latent_dim)
        _check_codes(labels, z.shape[0], self.config.num_classes)
        one_hot = nn.functional.one_hot(labels.long(), self.config.num_classes).to(z.dtype)
        return torch.cat([z, one_hot], dim=1)  # [N, latent_dim + K]

    def latent_weight(self) -> torch.Tensor:
        return self.body.latent_weight(self.config.latent_dim)

    def first_layer_features(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.body.features(self._input(z, labels)).flatten(1)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.body(self._input(z, labels))


class InfoGANDiscriminator(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "infogan", "gan-latent-explorer"]
):
    """images -> realism logits [N] (labels ignored: D never sees the codes); `q(images)` -> the Q head's
    categorical logits [N, K] and continuous-code means [N, Cc], from the same trunk features."""

    config_class = InfoGANConfig

    def __init__(self, config: InfoGANConfig | dict | None = None) -> None:
        super().__init__()
        self.config = c = self._coerce(config)
        self.body = DiscriminatorBody(c.d_base_channels, c.channels)  # [N, F]
        self.out = nn.Linear(self.body.out_dim, 1)  # [N, 1]
        self.q_head = nn.Sequential(
            nn.Linear(self.body.out_dim, 128), nn.LeakyReLU(0.2, inplace=True),  # [N, 128]
            nn.Linear(128, c.num_classes + c.n_continuous),  # [N, K + Cc]
        )

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.out(self.body(x)).squeeze(1)

    def q(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.q_head(self.body(x))
        return out[:, : self.config.num_classes], out[:, self.config.num_classes :]
