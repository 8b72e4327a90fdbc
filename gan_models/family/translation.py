"""Cards 5 and 6 of the GAN family tab, image to image: sketch -> emoji (pix2pix, plain or in a vendor's style),
Twemoji -> Noto with pairs (pix2pix) and without (CycleGAN, A -> B -> A with its cycle error), each scored
against the real drawing where one exists."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gan_models import latent as L
from gan_models.family.common import (
    SR_SIZE,
    Loaded,
    ModelUnavailable,
    check_test_images,
    image_quality,
    load,
    parameter_count,
    training_steps,
)

PIX2PIX_ID, SKETCH_DATASET = "pix2pix-sketch", "emoji-sketch"
# One pix2pix for both styles: the sketch plus a constant plane naming the vendor to draw like.
STYLED_PIX2PIX_ID = "pix2pix-sketch-vendor"
STYLES = {"noto": 1.0, "twemoji": -1.0}
CYCLEGAN_ID, STYLES_DATASET = "cyclegan-emoji", "emoji-styles"
# Paired Twemoji -> Noto (pix2pix): inputs Twemoji, images Noto; its test split is the held-out code points.
PAIRED_ID, PAIRED_DATASET = "pix2pix-twemoji-noto", "emoji-twemoji-noto"
# A = Twemoji (emoji-styles' inputs), B = Noto (its images); each direction -> (from style, to style).
DIRECTIONS = {"a2b": ("Twemoji", "Noto"), "b2a": ("Noto", "Twemoji")}


# ---------------------------------------------------------------------------------------------
# Card 5: sketch -> emoji (pix2pix)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pix2PixResult:
    model_id: str
    source: str  # "test sketch 12 (Noto drawing)", "your drawing" or "your upload"
    sketch: torch.Tensor  # [1, 1, 32, 32] in [-1, 1]: what the model was given
    output: torch.Tensor  # [1, 3, 32, 32] in [-1, 1]
    real: torch.Tensor | None  # [1, 3, 32, 32]: the emoji the test sketch was made from (None for drawings)
    psnr: float | None  # output vs real, dB on [0, 1] pixels
    ssim: float | None
    l1: float | None  # mean |output - real| on [0, 1] pixels
    parameters: int
    steps: int | None
    note: str | None = None


def _translator(model_id: str, kind: str, check) -> Loaded:
    loaded = load(model_id, (kind,))
    problem = check(loaded.model.config)
    if problem:
        raise ModelUnavailable(f"{model_id} {problem}.")
    return loaded


def _scores(out: torch.Tensor, real: torch.Tensor | None) -> tuple[float | None, float | None, float | None]:
    if real is None:
        return None, None, None
    psnr, ssim = image_quality(out, real)
    return psnr, ssim, float((out - real).abs().mean() / 2)


def check_style(style: object) -> str:
    """"noto" / "twemoji" (any case) -> the key of STYLES."""
    if isinstance(style, str) and style.strip().lower() in STYLES:
        return style.strip().lower()
    raise ValueError(f"Unknown style {L.shown(style)}: choose Noto or Twemoji.")


@torch.inference_mode()
def pix2pix(sketch: torch.Tensor, real: torch.Tensor | None = None, source: str = "your drawing",
            model_id: str | None = None, style: str | None = None) -> Pix2PixResult:
    """The emoji the pix2pix model draws for `sketch` ([1, 1, 32, 32], uint8 or [-1, 1]; prepare_sketch makes one
    from a drawing), scored against `real` ([1, 3, 32, 32]) when the sketch was made from a known emoji. With a
    `style` ("noto" | "twemoji") the styled model draws in that vendor's look; without, pix2pix-sketch draws
    whatever the strokes suggest."""
    x = check_test_images(sketch, 1, SR_SIZE)[:1]
    target = None if real is None else check_test_images(real, 3, SR_SIZE)[:1]
    channels = 1 if style is None else 2
    model_id = model_id or (PIX2PIX_ID if style is None else STYLED_PIX2PIX_ID)
    loaded = _translator(model_id, "pix2pix", lambda c: None if int(c.in_channels) == channels else (
        f"translates {c.source} images, not {'styled ' if style else ''}sketches"))
    if style is not None:
        x = torch.cat([x, torch.full_like(x, STYLES[check_style(style)])], dim=1)
    out = loaded.model.generator(x).float().clamp(-1, 1)
    x = x[:, :1]
    return Pix2PixResult(model_id, source, x, out, target, *_scores(out, target),
                         parameter_count(loaded.model.generator), training_steps(model_id), loaded.note)


# ---------------------------------------------------------------------------------------------
# Card 6: Twemoji <-> Noto without pairs (CycleGAN)
# ---------------------------------------------------------------------------------------------


def check_direction(direction: object) -> str:
    """"a2b" / "b2a", or the styles by name ("Twemoji -> Noto", "noto→twemoji") -> "a2b" | "b2a"."""
    if isinstance(direction, str) and len(direction) <= 40:
        key = "".join(direction.lower().replace("→", "->").split())
        for code, (a, b) in DIRECTIONS.items():
            if key in (code, f"{a}->{b}".lower(), f"{a}2{b}".lower()):
                return code
    names = ", ".join(f"'{a} -> {b}' ({code})" for code, (a, b) in DIRECTIONS.items())
    raise ValueError(f"Unknown direction {L.shown(direction)}: choose {names}.")


@dataclass(frozen=True)
class CycleResult:
    model_id: str
    direction: str  # "a2b" (Twemoji -> Noto) or "b2a"
    source: str
    input: torch.Tensor  # [1, 3, 32, 32] in [-1, 1], in the `from` style
    translated: torch.Tensor  # input -> the other style
    back: torch.Tensor  # translated -> the input's style again
    real: torch.Tensor | None  # the same emoji drawn by the other vendor (held-out test pairs only)
    cycle_l1: float  # mean |back - input| on [0, 1] pixels
    psnr: float | None  # translated vs real
    ssim: float | None
    l1: float | None
    baseline_psnr: float | None  # the input itself vs real: what doing nothing scores
    baseline_ssim: float | None
    parameters: int  # of one translator
    steps: int | None
    note: str | None = None

    @property
    def styles(self) -> tuple[str, str]:
        return DIRECTIONS[self.direction]


@torch.inference_mode()
def cyclegan(image: torch.Tensor, direction: object = "a2b", real: torch.Tensor | None = None,
             source: str = "your upload", model_id: str = CYCLEGAN_ID) -> CycleResult:
    """`image` ([1, 3, 32, 32], uint8 or [-1, 1]) translated into the other style and back, with the cycle
    error; scored against `real` (the same code point drawn by the other vendor) when it exists."""
    code = check_direction(direction)
    x = check_test_images(image, 3, SR_SIZE)[:1]
    target = None if real is None else check_test_images(real, 3, SR_SIZE)[:1]
    loaded = _translator(model_id, "cyclegan", lambda c: None)
    gen = loaded.model.generator
    there = gen(x, code).float().clamp(-1, 1)
    back = gen(there, "b2a" if code == "a2b" else "a2b").float().clamp(-1, 1)
    psnr, ssim, l1 = _scores(there, target)
    base = (None, None) if target is None else image_quality(x, target)
    return CycleResult(model_id, code, source, x, there, back, target, float((back - x).abs().mean() / 2),
                       psnr, ssim, l1, *base, parameter_count(gen.a_to_b), training_steps(model_id), loaded.note)


# ---------------------------------------------------------------------------------------------
# Card 5, second mode: Twemoji -> Noto with pairs (pix2pix)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedResult:
    model_id: str
    source: str  # "held-out emoji 3" or "your upload"
    input: torch.Tensor  # [1, 3, 32, 32] in [-1, 1]: the Twemoji drawing
    output: torch.Tensor  # [1, 3, 32, 32]: pix2pix's Noto-style drawing
    real: torch.Tensor | None  # [1, 3, 32, 32]: Noto's drawing of the same code point (None for an upload)
    psnr: float | None  # output vs real
    ssim: float | None
    l1: float | None
    baseline_psnr: float | None  # the unchanged input vs real: what doing nothing scores
    baseline_ssim: float | None
    parameters: int
    steps: int | None
    note: str | None = None


@torch.inference_mode()
def twemoji_to_noto(image: torch.Tensor, real: torch.Tensor | None = None, source: str = "your upload",
                    model_id: str = PAIRED_ID) -> PairedResult:
    """The Noto-style drawing pix2pix makes of a Twemoji drawing (`image`, [1, 3, 32, 32], uint8 or [-1, 1];
    prepare_upload makes one from a picture), scored against `real` (Noto's drawing) when it exists, beside the
    unchanged input's scores."""
    x = check_test_images(image, 3, SR_SIZE)[:1]
    target = None if real is None else check_test_images(real, 3, SR_SIZE)[:1]
    loaded = _translator(model_id, "pix2pix", lambda c: None if int(c.in_channels) == 3 else (
        "draws from sketches, not colour images"))
    out = loaded.model.generator(x).float().clamp(-1, 1)
    base = (None, None) if target is None else image_quality(x, target)
    return PairedResult(model_id, source, x, out, target, *_scores(out, target), *base,
                        parameter_count(loaded.model.generator), training_steps(model_id), loaded.note)
