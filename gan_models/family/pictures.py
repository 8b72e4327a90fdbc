"""A user's picture for the GAN family tab's models: an upload or a drawing (uint8 pixels) turned into the
32x32 tensor a model is given, transparency composited on white paper like the emoji."""

from __future__ import annotations

import numpy as np
import torch

from gan_models.family.common import SR_SIZE

BLANK_INK = 0.1  # a drawing whose darkest pixel has less ink than this (0 = white paper, 1 = black) is blank
BLANK_MESSAGE = "Draw something first: the sketch is blank (the model turns dark lines on white into an emoji)."


def _rgb_on_white(image: object) -> np.ndarray:
    """uint8 [H, W], [H, W, 1|3|4] -> float [H, W, 3] in [0, 1], transparency composited on white paper."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8 or arr.ndim not in (2, 3) or min(arr.shape[:2]) < 2 or (
            arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise ValueError(f"Expected a uint8 image [H, W] or [H, W, 3|4], got {arr.dtype} {arr.shape}.")
    x = arr.astype(np.float32) / 255.0
    x = x[..., None] if x.ndim == 2 else x
    if x.shape[2] == 4:
        x = x[..., :3] * x[..., 3:4] + (1.0 - x[..., 3:4])
    return np.repeat(x, 3, axis=2) if x.shape[2] == 1 else x


def _centre_square(x: np.ndarray) -> np.ndarray:
    h, w = x.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return x[top: top + side, left: left + side]


def prepare_upload(image: object) -> torch.Tensor:
    """An uploaded picture (uint8 [H, W], [H, W, 3] or [H, W, 4]) -> [1, 3, 32, 32] in [-1, 1]: transparency
    composited on white (the emoji's paper), centre-cropped to a square, resized to 32x32 (Lanczos)."""
    from PIL import Image

    x = _centre_square(_rgb_on_white(image))
    img = Image.fromarray((x * 255).round().clip(0, 255).astype(np.uint8), "RGB").resize(
        (SR_SIZE, SR_SIZE), Image.LANCZOS)
    return torch.from_numpy(np.asarray(img, dtype=np.float32) / 127.5 - 1.0).permute(2, 0, 1)[None].contiguous()


def prepare_sketch(image: object) -> torch.Tensor:
    """A drawing or uploaded line drawing (uint8 [H, W], [H, W, 3|4]) -> [1, 1, 32, 32] in [-1, 1] like the
    training sketches: composited on white, grey (the channel mean), centre-cropped to a square, reduced to
    32x32 by area averaging (a 12 px brush stroke on a 256 px canvas becomes a soft ~1.5 px stroke), then the
    ink scaled up so the darkest stroke is black (faint pencil lines of a large upload stay visible).
    A drawing without ink raises ValueError(BLANK_MESSAGE)."""
    from PIL import Image

    grey = _centre_square(_rgb_on_white(image).mean(axis=2))
    if float(1.0 - grey.min()) < BLANK_INK:
        raise ValueError(BLANK_MESSAGE)
    small = np.asarray(Image.fromarray(grey.astype(np.float32), "F").resize((SR_SIZE, SR_SIZE), Image.BOX))
    ink = (1.0 - small).clip(0, 1)
    peak = float(ink.max())
    if peak < BLANK_INK / 4:  # strokes too thin to survive the reduction
        raise ValueError(BLANK_MESSAGE)
    ink = (ink / peak).clip(0, 1)
    return torch.from_numpy(1.0 - 2.0 * ink).float()[None, None].contiguous()
