"""LAPGAN (Denton et al. 2015): a class-conditional Laplacian pyramid of GANs, 8 -> 16 -> 32.

Level 0 draws an 8x8 image from noise and the class. Each finer level gets the coarser image upsampled 2x,
a noise plane and the class, and draws only the *residual* (the detail a 2x upsampling cannot know); the
output is upsampled + residual. Levels train independently, as in the paper: level k learns on real
coarse images (`pyramid` of the training batch), never on its predecessor's samples, and its own D judges
(coarse, residual) pairs. Sampling chains the levels.

z is the concatenation of one noise vector per level (`noise_dims`): the first block changes layout and
colour, the later ones texture. Each detail level maps its noise vector through a learned linear map to a
full-resolution plane (the paper feeds a noise plane as an extra channel).
Downsampling is 2x2 averaging and upsampling bilinear (a box pyramid rather than the paper's Gaussian one).
The detail levels have no BatchNorm: they are trained on real coarse images and sampled on generated
ones, and batch statistics would differ between the two. Shapes: w0 = coarse_channels, w = detail_channels,
E = embed_dim, s = the level's size (16, 32).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin

from gan_models.dcgan import (
    _check_z,
    _ConfigMixin,
    check_family_config,
    check_labels,
    config_from_mapping,
    spectral,
)

SIZES = (8, 16, 32)  # the pyramid's levels, coarse to fine
LIMITS = {"coarse_dim": (1, 512), "detail_dim": (1, 512), "coarse_channels": (4, 512),
          "detail_channels": (4, 512), "d_base_channels": (4, 512), "num_classes": (1, 1000), "embed_dim": (1, 256)}


@dataclass
class LAPGANConfig:
    kind: str = "lapgan"
    image_size: int = 32  # the finest level; the pyramid is SIZES
    channels: int = 3
    coarse_dim: int = 32  # level 0's noise
    detail_dim: int = 16  # each detail level's noise
    coarse_channels: int = 64  # w0
    detail_channels: int = 32  # w
    d_base_channels: int = 32
    embed_dim: int = 8
    num_classes: int = 8
    class_names: list[str] = field(default_factory=lambda: [f"class {i}" for i in range(8)])
    dataset: str = ""

    @property
    def noise_dims(self) -> tuple[int, ...]:
        return (self.coarse_dim,) + (self.detail_dim,) * (len(SIZES) - 1)

    @property
    def latent_dim(self) -> int:
        return sum(self.noise_dims)

    def validate(self) -> LAPGANConfig:
        check_family_config(self, "lapgan", LIMITS)
        if self.image_size != SIZES[-1] or self.channels != 3:
            raise ValueError(f"config: LAPGAN here draws {SIZES[-1]}x{SIZES[-1]} RGB images")
        if not isinstance(self.class_names, list) or len(self.class_names) != self.num_classes or not all(
                isinstance(c, str) for c in self.class_names):
            raise ValueError("config.class_names must be a list of num_classes strings")
        return self

    @classmethod
    def from_dict(cls, data: object) -> LAPGANConfig:
        return config_from_mapping(cls, data)


def downsample(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, 2)


def upsample(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def pyramid(images: torch.Tensor) -> list[torch.Tensor]:
    """[N, C, 32, 32] -> [8x8, 16x16, 32x32] versions, coarse to fine."""
    levels = [images]
    while levels[0].shape[-1] > SIZES[0]:
        levels.insert(0, downsample(levels[0]))
    return levels


@dataclass
class Stage:
    """One level of a sample: what it was given (upsampled coarser image; None at level 0), what it drew
    (the residual; None at level 0) and its output, all [N, C, s, s] in about [-1, 1]."""

    size: int
    given: torch.Tensor | None
    residual: torch.Tensor | None
    output: torch.Tensor


class CoarseGenerator(nn.Module):
    """Level 0: (z0 [N, coarse_dim], class embedding [N, E]) -> image [N, 3, 8, 8]."""

    def __init__(self, c: LAPGANConfig) -> None:
        super().__init__()
        w = c.coarse_channels
        self.first = nn.Linear(c.coarse_dim + c.embed_dim, 2 * w * 16)  # [N, 2w*4*4]
        self.rest = nn.Sequential(
            nn.BatchNorm2d(2 * w), nn.ReLU(True),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False),  # [N, w, 8, 8]
            nn.BatchNorm2d(w), nn.ReLU(True),
            nn.Conv2d(w, c.channels, 3, 1, 1), nn.Tanh(),  # [N, 3, 8, 8]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rest(self.first(x).view(x.shape[0], -1, 4, 4))


class DetailGenerator(nn.Module):
    """Level k: (upsampled coarse [N, 3, s, s], noise [N, detail_dim], class embedding [N, E]) -> residual."""

    def __init__(self, c: LAPGANConfig, size: int) -> None:
        super().__init__()
        self.size, w = size, c.detail_channels
        self.noise_plane = nn.Linear(c.detail_dim, size * size)  # [N, s*s] -> one [N, 1, s, s] plane
        self.net = nn.Sequential(
            nn.Conv2d(c.channels + 1 + c.embed_dim, w, 3, 1, 1), nn.ReLU(True),  # [N, w, s, s]
            nn.Conv2d(w, w, 3, 1, 1), nn.ReLU(True),  # [N, w, s, s]
            nn.Conv2d(w, w, 3, 1, 1), nn.ReLU(True),  # [N, w, s, s]
            nn.Conv2d(w, c.channels, 3, 1, 1),  # [N, 3, s, s]: the residual, unbounded
        )

    def forward(self, given: torch.Tensor, noise: torch.Tensor, embedded: torch.Tensor) -> torch.Tensor:
        n, s = given.shape[0], self.size
        plane = self.noise_plane(noise).view(n, 1, s, s)
        classes = embedded[:, :, None, None].expand(-1, -1, s, s)  # [N, E, s, s]
        return self.net(torch.cat([given, plane, classes], dim=1))


class LAPGANGenerator(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "lapgan", "gan-latent-explorer"]
):
    """(z [N, latent_dim], labels [N]) -> images [N, 3, 32, 32] in [-1, 1], drawn coarse to fine."""

    config_class = LAPGANConfig

    def __init__(self, config: LAPGANConfig | dict | None = None) -> None:
        super().__init__()
        self.config = c = self._coerce(config)
        self.embed = nn.Embedding(c.num_classes, c.embed_dim)  # shared by all levels: [N] -> [N, E]
        self.coarse = CoarseGenerator(c)
        self.details = nn.ModuleList(DetailGenerator(c, s) for s in SIZES[1:])

    def split_noise(self, z: torch.Tensor) -> list[torch.Tensor]:
        return list(torch.split(z, list(self.config.noise_dims), dim=1))

    def _inputs(self, z: torch.Tensor, labels: torch.Tensor | None) -> tuple[list[torch.Tensor], torch.Tensor]:
        _check_z(z, self.config.latent_dim)
        check_labels(labels, z.shape[0], self.config.num_classes)
        return self.split_noise(z), self.embed(labels)

    def level_outputs(self, given: list[torch.Tensor | None], z: torch.Tensor,
                      labels: torch.Tensor) -> list[torch.Tensor]:
        """Training: each level drawn from its *given* input (real coarse images, upsampled; None for level 0):
        [level-0 image, residual 1, residual 2]."""
        noise, e = self._inputs(z, labels)
        out = [self.coarse(torch.cat([noise[0], e], dim=1))]
        out += [g(x, n, e) for g, x, n in zip(self.details, given[1:], noise[1:], strict=True)]
        return out

    def stages(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> list[Stage]:
        """Sampling, level by level: what each level was given, drew and output."""
        noise, e = self._inputs(z, labels)
        image = self.coarse(torch.cat([noise[0], e], dim=1))
        out = [Stage(SIZES[0], None, None, image)]
        for g, n, size in zip(self.details, noise[1:], SIZES[1:], strict=True):
            given = upsample(image)
            residual = g(given, n, e)
            image = given + residual
            out.append(Stage(size, given, residual, image))
        return out

    def first_layer_features(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Level 0's first layer and each detail level's noise plane, [N, 2w0*16 + 16^2 + 32^2] (PCA input)."""
        noise, e = self._inputs(z, labels)
        parts = [self.coarse.first(torch.cat([noise[0], e], dim=1))]
        parts += [g.noise_plane(n) for g, n in zip(self.details, noise[1:], strict=True)]
        return torch.cat(parts, dim=1)

    def latent_weight(self) -> torch.Tensor:
        """The linear maps from each level's noise, block-diagonal: [features, latent_dim] (SeFa)."""
        blocks = [self.coarse.first.weight[:, : self.config.coarse_dim]]
        blocks += [g.noise_plane.weight for g in self.details]
        return torch.block_diag(*blocks)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.stages(z, labels)[-1].output.clamp(-1, 1)


class LevelDiscriminator(nn.Module):
    """One level's D: (image or [coarse, residual], labels) -> logits [N], projection on the class."""

    def __init__(self, in_channels: int, ndf: int, num_classes: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            spectral(nn.Conv2d(in_channels, ndf, 3, 1, 1), True), nn.LeakyReLU(0.2, True),  # [N, ndf, s, s]
            spectral(nn.Conv2d(ndf, 2 * ndf, 4, 2, 1), True), nn.LeakyReLU(0.2, True),  # [N, 2ndf, s/2, s/2]
            spectral(nn.Conv2d(2 * ndf, 4 * ndf, 4, 2, 1), True), nn.LeakyReLU(0.2, True),  # [N, 4ndf, s/4, s/4]
        )
        self.out = spectral(nn.Linear(4 * ndf, 1), True)
        self.embed = spectral(nn.Embedding(num_classes, 4 * ndf), True)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.net(x).sum(dim=(2, 3))  # [N, 4ndf]: sum pooling, so one design serves every size
        return self.out(h).squeeze(1) + (self.embed(labels) * h).sum(dim=1)


class LAPGANDiscriminator(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "lapgan", "gan-latent-explorer"]
):
    """One spectrally normalised projection D per level; level k > 0 judges the residual beside its coarse input."""

    config_class = LAPGANConfig

    def __init__(self, config: LAPGANConfig | dict | None = None) -> None:
        super().__init__()
        self.config = c = self._coerce(config)
        ins = [c.channels] + [2 * c.channels] * (len(SIZES) - 1)
        self.levels = nn.ModuleList(LevelDiscriminator(i, c.d_base_channels, c.num_classes) for i in ins)

    def level(self, k: int, x: torch.Tensor, given: torch.Tensor | None, labels: torch.Tensor) -> torch.Tensor:
        check_labels(labels, x.shape[0], self.config.num_classes)
        return self.levels[k](x if given is None else torch.cat([given, x], dim=1), labels)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """A finished 32x32 image, judged at every level from its own pyramid (the explorer's D verdict)."""
        reals = pyramid(x)
        logits = self.level(0, reals[0], None, labels)
        for k in range(1, len(SIZES)):
            given = upsample(reals[k - 1])
            logits = logits + self.level(k, reals[k] - given, given, labels)
        return logits / len(SIZES)
