"""The one model object the app passes around: a loaded generator (and its discriminator) behind a stable,
typed interface. The UI resolves an id once per event (render.load_model) and hands this object down; nothing
outside gan_models/ looks inside the networks.

What a family's generator may offer beyond G(z, labels) is declared by protocols, checked here once:
- `FeatureSource`: `first_layer_features(z, labels)`, what PCA directions are computed from;
- `LinearLatent`: `latent_weight()`, the first linear map z -> features, for closed-form SeFa directions;
- `ClassBlending`: `class_embedding(labels)` and `from_embedding(z, embedding)`, so a class can change smoothly
  (interpolation, arithmetic, attribute vectors) instead of jumping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import torch


@runtime_checkable
class FeatureSource(Protocol):
    def first_layer_features(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor: ...


@runtime_checkable
class LinearLatent(Protocol):
    def latent_weight(self) -> torch.Tensor: ...


@runtime_checkable
class ClassBlending(Protocol):
    def class_embedding(self, labels: torch.Tensor) -> torch.Tensor: ...

    def from_embedding(self, z: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor: ...


@runtime_checkable
class InstanceDrawing(Protocol):
    """A generator whose labels are instances it draws itself, with its own weights (gan_models.icgan)."""

    def draw_instances(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor: ...


@runtime_checkable
class OffsetLatent(Protocol):
    """A generator that adds a fixed offset to every z (a found latent made explorable: edit.AnchoredGenerator)."""

    @property
    def latent_offset(self) -> torch.Tensor: ...


@dataclass(frozen=True)
class Supports:
    """What the explorer can do with a model."""

    directions: bool  # PCA direction sliders
    closed_form: bool  # SeFa direction sliders
    class_grid: bool  # one column per class (conditional models)
    class_blend: bool  # classes mixed through their embeddings (smooth class interpolation, arithmetic)
    inversion: bool  # find the latent of a drawing (gradients flow through G to z)
    d_verdict: bool  # the discriminator's P(real) under each image


@dataclass(frozen=True)
class LoadedModel:
    id: str
    kind: str  # a name in gan_models.kinds.KINDS ("dcgan", "cdcgan", ...)
    generator: torch.nn.Module
    discriminator: torch.nn.Module | None
    config: Any  # the family's config dataclass (gan_models.kinds.ModelConfig)
    class_names: list[str]

    @property
    def latent_dim(self) -> int:
        return int(self.generator.config.latent_dim)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of one generated image."""
        c = self.generator.config
        return int(c.channels), int(c.image_size), int(c.image_size)

    @property
    def conditional(self) -> bool:
        return bool(self.class_names)

    @property
    def device(self) -> torch.device:
        try:
            return next(self.generator.parameters()).device
        except StopIteration:
            return torch.device("cpu")

    @property
    def supports(self) -> Supports:
        return Supports(
            directions=isinstance(self.generator, FeatureSource),
            closed_form=isinstance(self.generator, LinearLatent),
            class_grid=self.conditional,
            class_blend=self.conditional and isinstance(self.generator, ClassBlending),
            inversion=True,
            d_verdict=self.discriminator is not None,
        )

    def drawn_latent(self, z: torch.Tensor) -> torch.Tensor:
        """The latent the generator really draws for z (z itself unless it adds an offset)."""
        if isinstance(self.generator, OffsetLatent):
            return z + self.generator.latent_offset.detach().cpu()
        return z

    def _on_device(self, x: torch.Tensor | None) -> torch.Tensor | None:
        return None if x is None else x.to(self.device)

    def sample(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Images [N, C, H, W] in [-1, 1] for latents [N, latent_dim] (and class labels [N]), float32 on the CPU."""
        with torch.inference_mode():
            return self.generator(self._on_device(z), self._on_device(labels)).float().cpu()

    def discriminate(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor | None:
        """The discriminator's P(real) [N] for images [N, C, H, W], or None for a model without one."""
        if self.discriminator is None:
            return None
        with torch.inference_mode():
            logits = self.discriminator(self._on_device(images), self._on_device(labels))
        return torch.sigmoid(logits.float().reshape(-1)).cpu()

    def first_layer_features(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The generator's first feature map, flattened [N, F] (float32, CPU): what PCA directions come from."""
        self._require(self.supports.directions, "directions")
        with torch.inference_mode():
            return self.generator.first_layer_features(self._on_device(z), self._on_device(labels)).float().cpu()

    def latent_weight(self) -> torch.Tensor:
        """The first linear map z -> features, [F, latent_dim] (for SeFa directions)."""
        self._require(self.supports.closed_form, "closed-form directions")
        return self.generator.latent_weight()

    def class_embedding(self, labels: torch.Tensor) -> torch.Tensor:
        """Class embeddings [N, E] (class-blending generators only)."""
        self._require(self.supports.class_blend, "class blending")
        with torch.inference_mode():
            return self.generator.class_embedding(labels.to(self.device))

    def from_embedding(self, z: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        """Images for latents and (possibly blended) class embeddings, float32 on the CPU."""
        self._require(self.supports.class_blend, "class blending")
        with torch.inference_mode():
            return self.generator.from_embedding(z.to(self.device), embedding.to(self.device)).float().cpu()

    def _require(self, supported: bool, what: str) -> None:
        if not supported:
            raise ValueError(f"{self.id} ({self.kind}) does not support {what}.")
