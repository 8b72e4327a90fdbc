"""Card 4 of the GAN family tab: 4x super-resolution (bicubic, SRResNet, SRGAN), every panel scored against the
real image with PSNR and SSIM."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from gan_models.family.common import (
    SR_SIZE,
    TILE_PX,
    ModelUnavailable,
    check_test_images,
    image_quality,
    load,
    row_image,
)
from gan_models.srgan import bicubic, downscale

SR_IDS = {"SRResNet": "srresnet-emoji", "SRGAN": "srgan-emoji"}
SR_DATASET = "emoji"


# ---------------------------------------------------------------------------------------------
# Card 4: super-resolution, scored against the real image
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    name: str  # "Low-res input", "Bicubic", "SRResNet", "SRGAN", "Real"
    image: torch.Tensor | None  # [1, 3, 32, 32] in [-1, 1] (None: the model is not available)
    psnr: float | None  # dB against the real image
    ssim: float | None
    note: str | None = None


@dataclass(frozen=True)
class SRResult:
    source: str  # "test image 12 (heart)" or "your upload"
    low: torch.Tensor  # [1, 3, 8, 8]
    panels: list[Panel]

    def panel(self, name: str) -> Panel:
        return next(p for p in self.panels if p.name == name)


@torch.inference_mode()
def superres(real: torch.Tensor, source: str = "image", models: dict[str, str] | None = None) -> SRResult:
    """Downscale `real` ([1, 3, 32, 32], uint8 or [-1, 1]) 4x by area, then upscale it back four ways; every
    panel scored against `real`. A super-resolver that cannot be loaded gets an empty panel and a note."""
    hi = check_test_images(real, 3, SR_SIZE)[:1]
    low = downscale(hi)  # [1, 3, 8, 8]
    nearest = F.interpolate(low, size=(SR_SIZE, SR_SIZE), mode="nearest")
    smooth = bicubic(low, SR_SIZE).clamp(-1, 1)
    panels = [Panel("Low-res input", nearest, *image_quality(nearest, hi)),
              Panel("Bicubic", smooth, *image_quality(smooth, hi))]
    for name, model_id in (models or SR_IDS).items():
        try:
            loaded = load(model_id, ("srresnet", "srgan"))
        except ModelUnavailable as error:
            panels.append(Panel(name, None, None, None, str(error)))
            continue
        out = loaded.model.generator(low).float().clamp(-1, 1)
        panels.append(Panel(name, out, *image_quality(out, hi), loaded.note))
    panels.append(Panel("Real", hi, None, None, "the reference every score is measured against"))
    return SRResult(source, low, panels)


def panel_image(panel: Panel, px: int = TILE_PX) -> np.ndarray | None:
    return None if panel.image is None else row_image(panel.image, px=px, pad=0)
