"""pix2pix (Isola et al. 2017): paired image-to-image translation with a U-Net G and a PatchGAN D.

G maps an input image (a line sketch, or the same emoji in another vendor's style) to an emoji; D judges
(input, output) pairs with a 4x4 grid of verdicts (the paper's patches; at 32x32 each sees 31 of the 32
pixels, so here they judge the whole image), and an L1 term (weight `l1_weight`, 100 in the paper) ties the
output to the real target. No noise input: as the paper found, G learns to ignore it; dropout in the decoder
is the only randomness, off in eval mode.
D is spectrally normalised instead of the paper's BatchNorm: a few thousand pairs is small data, and SN
keeps D from memorising them (the same choice as the project's small-data recipe).
Shapes for 32x32: w = base_channels, Cin = in_channels, C = channels; d = d_base_channels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
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

LIMITS = {"in_channels": (1, 3), "base_channels": (4, 256), "d_base_channels": (4, 256)}
# What the input images are, and their channels: line sketches; a line sketch plus a constant plane naming the
# vendor style to draw in (+1 Noto, -1 Twemoji); Twemoji drawings (target: Noto).
SOURCES = {"sketch": 1, "sketch-vendor": 2, "twemoji": 3}


@dataclass
class Pix2PixConfig(ImageInput):
    kind: str = "pix2pix"
    image_size: int = 32
    channels: int = 3  # output
    in_channels: int = 1  # 1: a grey line sketch; 3: a colour image
    source: str = "sketch"
    base_channels: int = 32
    d_base_channels: int = 32
    l1_weight: float = 100.0
    dataset: str = ""

    def validate(self) -> Pix2PixConfig:
        check_family_config(self, "pix2pix", LIMITS)
        if self.image_size != 32 or self.channels != 3:
            raise ValueError("config: pix2pix here translates to 32x32 RGB")
        if self.source not in SOURCES:
            raise ValueError(f"config.source must be one of {tuple(SOURCES)}, got {self.source!r}")
        if self.in_channels != SOURCES[self.source]:
            raise ValueError(f"config.in_channels must be {SOURCES[self.source]} for source {self.source!r}")
        check_weight(self, "l1_weight", 1000)
        return self

    @classmethod
    def from_dict(cls, data: object) -> Pix2PixConfig:
        return config_from_mapping(cls, data)


def down(cin: int, cout: int, norm: bool = True) -> nn.Sequential:
    """Halve the size: conv 4x4 stride 2, (BatchNorm), LeakyReLU."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 4, 2, 1, bias=not norm)]
    if norm:
        layers.append(nn.BatchNorm2d(cout))
    return nn.Sequential(*layers, nn.LeakyReLU(0.2, True))


def up(cin: int, cout: int, dropout: bool = False) -> nn.Sequential:
    """Double the size: transposed conv 4x4 stride 2, BatchNorm, (dropout), ReLU."""
    layers: list[nn.Module] = [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout)]
    if dropout:
        layers.append(nn.Dropout(0.5))
    return nn.Sequential(*layers, nn.ReLU(True))


class UNetGenerator(nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "pix2pix", "gan-latent-explorer"]):
    """inputs [N, Cin, 32, 32] in [-1, 1] -> images [N, C, 32, 32] in [-1, 1]; skips join mirrored levels."""

    config_class = Pix2PixConfig

    def __init__(self, config: Pix2PixConfig | dict | None = None) -> None:
        super().__init__()
        self.config = c = self._coerce(config)
        w = c.base_channels
        self.d1 = down(c.in_channels, w, norm=False)  # [N, w, 16, 16]
        self.d2 = down(w, 2 * w)  # [N, 2w, 8, 8]
        self.d3 = down(2 * w, 4 * w)  # [N, 4w, 4, 4]
        self.d4 = down(4 * w, 8 * w)  # [N, 8w, 2, 2]
        self.bottom = nn.Sequential(nn.Conv2d(8 * w, 8 * w, 4, 2, 1), nn.ReLU(True))  # [N, 8w, 1, 1]
        self.u4 = up(8 * w, 8 * w, dropout=True)  # [N, 8w, 2, 2] (+ d4 -> 16w)
        self.u3 = up(16 * w, 4 * w, dropout=True)  # [N, 4w, 4, 4] (+ d3 -> 8w)
        self.u2 = up(8 * w, 2 * w)  # [N, 2w, 8, 8] (+ d2 -> 4w)
        self.u1 = up(4 * w, w)  # [N, w, 16, 16] (+ d1 -> 2w)
        self.out = nn.Sequential(nn.ConvTranspose2d(2 * w, c.channels, 4, 2, 1), nn.Tanh())  # [N, C, 32, 32]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, self.config.in_channels, self.config.image_size)
        h1 = self.d1(x)
        h2 = self.d2(h1)
        h3 = self.d3(h2)
        h4 = self.d4(h3)
        y = self.u4(self.bottom(h4))
        y = self.u3(torch.cat([y, h4], 1))
        y = self.u2(torch.cat([y, h3], 1))
        y = self.u1(torch.cat([y, h2], 1))
        return self.out(torch.cat([y, h1], 1))


def patch_layers(in_channels: int, d: int, downsamplings: int = 3) -> nn.Sequential:
    """PatchGAN's layers, spectrally normalised: [N, in_channels, 32, 32] -> patch logits [N, 1, s, s].

    Three stride-2 steps give 4x4 logits that each see 31 of the 32 pixels (a verdict on the whole image);
    two give 8x8 logits that each see an 18x18 patch (a verdict on texture, CycleGAN's premise).
    """
    layers: list[nn.Module] = []
    c_in, c_out = in_channels, d
    for _ in range(downsamplings):  # [N, d * 2^k, 32 / 2^(k+1), ...]: 16 -> 8 (-> 4)
        layers += [spectral(nn.Conv2d(c_in, c_out, 4, 2, 1), True), nn.LeakyReLU(0.2, True)]
        c_in, c_out = c_out, 2 * c_out
    layers.append(spectral(nn.Conv2d(c_in, 1, 3, 1, 1), True))  # [N, 1, s, s]
    return nn.Sequential(*layers)


class PatchDiscriminator(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "pix2pix", "gan-latent-explorer"]
):
    """(inputs [N, Cin, 32, 32], images [N, C, 32, 32]) -> patch logits [N, 4, 4], each seeing 31x31 px."""

    config_class = Pix2PixConfig

    def __init__(self, config: Pix2PixConfig | dict | None = None) -> None:
        super().__init__()
        self.config = c = self._coerce(config)
        self.net = patch_layers(c.in_channels + c.channels, c.d_base_channels)

    def forward(self, inputs: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([inputs, images], dim=1)).squeeze(1)
