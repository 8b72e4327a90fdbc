"""SRResNet and SRGAN (Ledig et al. 2017): 4x super-resolution, 8x8 -> 32x32.

One residual network, trained two ways: with the L1 loss alone (kind "srresnet") and with an adversarial
term added (kind "srgan"). The paper's VGG content loss is left out: VGG weights cannot be downloaded here,
so the content term is L1 on pixels. Two changes from the paper, both common since (EDSR, Lim et al.
2017): no BatchNorm in the residual blocks, and the network adds its output to the bicubic upsampling of
its input, so an untrained network already equals bicubic and training only has to learn the detail.
Shapes: C = channels, w = base_channels, s = image_size // scale (the low-resolution side).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin

from gan_models.dcgan import (
    ImageInput,
    _ConfigMixin,
    check_family_config,
    check_images,
    check_weight,
    config_from_mapping,
    spectral,
)

SCALE = 4
LIMITS = {"base_channels": (4, 256), "blocks": (1, 32), "d_base_channels": (4, 256)}


@dataclass
class SRConfig(ImageInput):
    kind: str = "srgan"  # "srresnet" (L1 only, no D) or "srgan" (L1 + adversarial)
    image_size: int = 32  # the high-resolution side
    channels: int = 3
    scale: int = SCALE
    base_channels: int = 32
    blocks: int = 6  # residual blocks
    d_base_channels: int = 32
    adversarial_weight: float = 0.01  # weight of G's adversarial term beside L1 (srgan only)
    dataset: str = ""

    @property
    def low_size(self) -> int:
        return self.image_size // self.scale

    def validate(self) -> SRConfig:
        if self.kind not in ("srresnet", "srgan"):
            raise ValueError(f"config.kind must be 'srresnet' or 'srgan', got {self.kind!r}")
        check_family_config(self, self.kind, LIMITS)
        if self.scale != SCALE or self.image_size != 32:
            raise ValueError(f"config: super-resolution here is {SCALE}x to 32x32")
        check_weight(self, "adversarial_weight", 1)
        if (self.adversarial_weight > 0) != (self.kind == "srgan"):
            raise ValueError("config.adversarial_weight must be > 0 for srgan and 0 for srresnet")
        return self

    @classmethod
    def from_dict(cls, data: object) -> SRConfig:
        if isinstance(data, dict) and data.get("kind") == "srresnet":
            data = {**data, "adversarial_weight": 0.0}  # SRResNet is defined by having no adversarial term
        return config_from_mapping(cls, data)


def bicubic(low: torch.Tensor, size: int) -> torch.Tensor:
    return F.interpolate(low, size=(size, size), mode="bicubic", align_corners=False)


def downscale(images: torch.Tensor, scale: int = SCALE) -> torch.Tensor:
    """The low-resolution input of a training pair: area averaging (what a camera's pixels do)."""
    return F.avg_pool2d(images, scale)


class ResidualBlock(nn.Module):
    def __init__(self, w: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(w, w, 3, 1, 1), nn.PReLU(w), nn.Conv2d(w, w, 3, 1, 1))  # [N, w, s, s]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


class SRResNet(nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "srgan", "super-resolution"]):
    """low-resolution images [N, C, 8, 8] in [-1, 1] -> [N, C, 32, 32] (unclamped; clamp for display)."""

    config_class = SRConfig

    def __init__(self, config: SRConfig | dict | None = None) -> None:
        super().__init__()
        self.config = c = self._coerce(config)
        w = c.base_channels
        self.head = nn.Sequential(nn.Conv2d(c.channels, w, 5, 1, 2), nn.PReLU(w))  # [N, w, s, s]
        self.blocks = nn.Sequential(*(ResidualBlock(w) for _ in range(c.blocks)))  # [N, w, s, s]
        self.fuse = nn.Conv2d(w, w, 3, 1, 1)  # [N, w, s, s], then + head (the long skip)
        self.up = nn.Sequential(
            nn.Conv2d(w, 4 * w, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU(w),  # [N, w, 2s, 2s]
            nn.Conv2d(w, 4 * w, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU(w),  # [N, w, 4s, 4s]
            nn.Conv2d(w, c.channels, 5, 1, 2),  # [N, C, 4s, 4s]: the detail added to bicubic
        )
        nn.init.zeros_(self.up[-1].weight)  # start exactly at bicubic
        nn.init.zeros_(self.up[-1].bias)

    def forward(self, low: torch.Tensor) -> torch.Tensor:
        check_images(low, self.config.channels, self.config.low_size)
        h = self.head(low)
        return bicubic(low, self.config.image_size) + self.up(h + self.fuse(self.blocks(h)))


class SRDiscriminator(nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "srgan", "super-resolution"]):
    """images [N, C, 32, 32] -> logits [N]: is this a real high-resolution image or a super-resolved one?"""

    config_class = SRConfig

    def __init__(self, config: SRConfig | dict | None = None) -> None:
        super().__init__()
        self.config = c = self._coerce(config)
        d = c.d_base_channels
        self.net = nn.Sequential(
            spectral(nn.Conv2d(c.channels, d, 3, 1, 1), True), nn.LeakyReLU(0.2, True),  # [N, d, 32, 32]
            spectral(nn.Conv2d(d, d, 4, 2, 1), True), nn.LeakyReLU(0.2, True),  # [N, d, 16, 16]
            spectral(nn.Conv2d(d, 2 * d, 4, 2, 1), True), nn.LeakyReLU(0.2, True),  # [N, 2d, 8, 8]
            spectral(nn.Conv2d(2 * d, 4 * d, 4, 2, 1), True), nn.LeakyReLU(0.2, True),  # [N, 4d, 4, 4]
            nn.Flatten(), spectral(nn.Linear(4 * d * 16, 1), True),  # [N, 1]
        )

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).squeeze(1)
