"""CycleGAN (Zhu et al. 2017): translation between two styles learned without any pairs.

Two generators (A -> B and B -> A) and two discriminators (is this a real A? a real B?). Beside the
adversarial terms, a cycle-consistency term asks A -> B -> A to give back the input (weight
`cycle_weight`, 10 in the paper) and an identity term asks G_AB(b) = b (`identity_weight`, half the cycle
weight in the paper), which keeps colours. D learns on a pool of past fakes (training.loop.ImagePool).
Here A = Twemoji and B = Noto Emoji, trained on disjoint halves of the code points so no pair is ever seen.
Generators: the paper's ResNet design, resized for 32x32 (two stride-2 downsamplings to 8x8, `blocks`
residual blocks, InstanceNorm). Ds: PatchGAN, spectrally normalised. w = base_channels, d = d_base_channels.
`upsample`: the decoder's 2x steps as the paper's transposed convolutions ("transposed"), or as nearest
upsampling then a 3x3 convolution ("resize", Odena et al. 2016, against the checkerboard a kernel-4 stride-2
transposed convolution can print); on the shipped model's data it did not clear the plaid (README).
`d_downsamplings`: 3 gives D 4x4 logits that each see the whole image, 2 gives 8x8 logits on 18 px patches.
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
)
from gan_models.pix2pix import patch_layers

LIMITS = {"base_channels": (4, 256), "blocks": (1, 16), "d_base_channels": (4, 256), "d_downsamplings": (2, 3)}
DOMAINS = ("twemoji", "noto")  # A, B
UPSAMPLING = ("transposed", "resize")


@dataclass
class CycleGANConfig(ImageInput):
    kind: str = "cyclegan"
    image_size: int = 32
    channels: int = 3
    base_channels: int = 32
    blocks: int = 4
    d_base_channels: int = 32
    d_downsamplings: int = 3
    cycle_weight: float = 10.0
    identity_weight: float = 5.0
    upsample: str = "transposed"
    dataset: str = ""

    def validate(self) -> CycleGANConfig:
        check_family_config(self, "cyclegan", LIMITS)
        if self.image_size != 32 or self.channels != 3:
            raise ValueError("config: CycleGAN here translates 32x32 RGB images")
        for name in ("cycle_weight", "identity_weight"):
            check_weight(self, name, 100)
        if self.upsample not in UPSAMPLING:
            raise ValueError(f"config.upsample must be one of {UPSAMPLING}, got {str(self.upsample)[:20]!r}")
        return self

    @classmethod
    def from_dict(cls, data: object) -> CycleGANConfig:
        return config_from_mapping(cls, data)


class ResBlock(nn.Module):
    def __init__(self, w: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(w, w, 3), nn.InstanceNorm2d(w), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(w, w, 3), nn.InstanceNorm2d(w),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


def up2x(c_in: int, c_out: int, upsample: str) -> list[nn.Module]:
    """[N, c_in, s, s] -> [N, c_out, 2s, 2s]: one transposed convolution, or nearest upsampling + convolution."""
    if upsample == "transposed":
        return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1)]
    return [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1)]


class ResnetGenerator(nn.Module):
    """images [N, 3, 32, 32] -> images [N, 3, 32, 32] in [-1, 1]."""

    def __init__(self, c: CycleGANConfig) -> None:
        super().__init__()
        w = c.base_channels
        self.net = nn.Sequential(
            nn.ReflectionPad2d(2), nn.Conv2d(c.channels, w, 5), nn.InstanceNorm2d(w), nn.ReLU(True),  # [N, w, 32, 32]
            nn.Conv2d(w, 2 * w, 3, 2, 1), nn.InstanceNorm2d(2 * w), nn.ReLU(True),  # [N, 2w, 16, 16]
            nn.Conv2d(2 * w, 4 * w, 3, 2, 1), nn.InstanceNorm2d(4 * w), nn.ReLU(True),  # [N, 4w, 8, 8]
            *(ResBlock(4 * w) for _ in range(c.blocks)),  # [N, 4w, 8, 8]
            *up2x(4 * w, 2 * w, c.upsample), nn.InstanceNorm2d(2 * w), nn.ReLU(True),  # [N, 2w, 16, 16]
            *up2x(2 * w, w, c.upsample), nn.InstanceNorm2d(w), nn.ReLU(True),  # [N, w, 32, 32]
            nn.ReflectionPad2d(2), nn.Conv2d(w, c.channels, 5), nn.Tanh(),  # [N, 3, 32, 32]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class PatchCritic(nn.Module):
    """images [N, 3, 32, 32] -> patch logits [N, 4, 4] (or [N, 8, 8] with d_downsamplings 2)."""

    def __init__(self, c: CycleGANConfig) -> None:
        super().__init__()
        self.net = patch_layers(c.channels, c.d_base_channels, c.d_downsamplings)  # pix2pix's PatchGAN, image only

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


class CycleGANGenerators(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "cyclegan", "gan-latent-explorer"]
):
    """Both translators: `a_to_b` (Twemoji -> Noto) and `b_to_a`; forward(x, "a2b" | "b2a")."""

    config_class = CycleGANConfig

    def __init__(self, config: CycleGANConfig | dict | None = None) -> None:
        super().__init__()
        self.config = c = self._coerce(config)
        self.a_to_b, self.b_to_a = ResnetGenerator(c), ResnetGenerator(c)

    def forward(self, x: torch.Tensor, direction: str = "a2b") -> torch.Tensor:
        check_images(x, self.config.channels, self.config.image_size)
        if direction not in ("a2b", "b2a"):
            raise ValueError(f"direction must be 'a2b' or 'b2a', got {str(direction)[:20]!r}")
        return (self.a_to_b if direction == "a2b" else self.b_to_a)(x)


class CycleGANDiscriminators(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "cyclegan", "gan-latent-explorer"]
):
    """`d_a` judges Twemoji images, `d_b` Noto images; forward(x, "a" | "b") -> patch logits [N, s, s]."""

    config_class = CycleGANConfig

    def __init__(self, config: CycleGANConfig | dict | None = None) -> None:
        super().__init__()
        self.config = c = self._coerce(config)
        self.d_a, self.d_b = PatchCritic(c), PatchCritic(c)

    def forward(self, x: torch.Tensor, domain: str = "b") -> torch.Tensor:
        check_images(x, self.config.channels, self.config.image_size)
        return (self.d_a if domain == "a" else self.d_b)(x)
