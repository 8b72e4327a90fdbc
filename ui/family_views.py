"""The GAN family cards' views: gan_models.family's typed results turned into images and a JSON-ready info dict,
shared by the page (ui.family_tab) and the public endpoints (ui.endpoints)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from gan_models import family
from ui import real_images, uploads


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def samples_info(s: family.Samples) -> dict:
    q = s.quality
    return {"id": s.model_id, "kind": s.kind, "parameters": s.parameters, "steps": s.steps,
            "conditional": s.conditional,
            "frechet": _round(q.frechet, 2), "frechet_floor": _round(q.floor, 2), "frechet_ratio": _round(q.ratio, 2),
            "coverage": _round(q.coverage, 3), "classes_drawn": q.classes_drawn, "classes": q.classes,
            "note": s.note}


def vanilla_view(dataset: Any, seed: Any, n: Any = 8) -> tuple:
    r = family.vanilla(dataset, seed, n)
    info = {"dataset": r.dataset, "seeds": r.seeds, "models": [samples_info(r.mlp), samples_info(r.dcgan)]}
    return family.row_image(r.mlp.images), family.row_image(r.dcgan.images), info


def vae_view(dataset: Any, seed: Any, seed_b: Any) -> tuple:
    name = family.check_dataset(dataset)
    r = family.vae_panel(name, seed, seed_b, real_images.test_split(family.DATASETS[name]).images)
    info = {"dataset": r.dataset, "seed": r.seed, "seed_b": r.seed_b, "models": [samples_info(r.vae),
            samples_info(r.gan)], "test_indices": r.test_indices, "reconstruction_mse": _round(r.reconstruction_mse),
            "reconstruction_psnr": _round(10 * math.log10(1 / max(r.reconstruction_mse, 1e-10)), 2)}
    return (family.row_image(r.vae.images), family.row_image(r.gan.images),
            family.rows_image([r.real, r.reconstructed]), family.rows_image([r.vae_path, r.gan_path]), info)


def lapgan_view(label: Any, seed_coarse: Any, seed_middle: Any, seed_fine: Any) -> tuple:
    r = family.lapgan(label, [seed_coarse, seed_middle, seed_fine])
    info = {"model": r.model_id, "class": r.class_name, "seeds": r.seeds, "residual_gain": family.RESIDUAL_GAIN,
            "levels": [{"level": lv.index, "size": lv.size, "seed": lv.seed, "residual_rms": _round(lv.residual_rms)}
                       for lv in r.levels], "note": r.note}
    return (*[family.level_image(lv) for lv in r.levels], info)


UPLOAD_NOTE = "Your upload was centre-cropped to a square and resized to 32x32; that is the real image here."


def superres_view(test_index: Any, upload: Any) -> tuple:
    picture = uploads.read_image(upload)  # header checked before a pixel is decoded; None: no upload
    if picture is not None:
        real, source, note = family.prepare_upload(picture), "your upload", UPLOAD_NOTE
    else:
        test = real_images.test_split(family.SR_DATASET)
        if test_index is None:
            test_index = 0
        index = family.check_index(test_index, len(test))
        real = test.images[index: index + 1]
        source, note = f"test image {index} ({test.class_names[int(test.labels[index])]})", None
    r = family.superres(real, source)
    info = {"source": r.source, "note": note, "panels": [
        {"name": p.name, "psnr": _round(p.psnr, 2), "ssim": _round(p.ssim, 4), "note": p.note} for p in r.panels]}
    return (*[family.panel_image(p) for p in r.panels], info)


def _tiles(images: Sequence[Any]) -> list:
    return [None if x is None else family.row_image(x, px=family.TILE_PX, pad=0) for x in images]


def pix2pix_view(test_index: Any, upload: Any, drawing: Any = None, style: Any = None) -> tuple:
    """`drawing` (uint8 pixels from the page's canvas) wins over `upload`, which wins over `test_index`. With a
    `style` (Noto or Twemoji) the styled model draws, and a test sketch is scored against that vendor's drawing."""
    style = None if style in (None, "") else family.check_style(style)
    picture = drawing if drawing is not None else uploads.read_image(upload)
    real = None
    if picture is not None:
        sketch = family.prepare_sketch(picture)
        source = "your drawing" if drawing is not None else "your upload"
    else:
        test = real_images.test_split(family.SKETCH_DATASET)
        index = family.check_index(0 if test_index is None else test_index, len(test))
        half = len(test) // 2  # the first half made from Noto drawings, the second from Twemoji ones
        shown = index if style is None else (index % half) + (0 if style == "noto" else half)
        sketch, real = test.inputs[index: index + 1], test.images[shown: shown + 1]
        source = f"test sketch {index} (made from the {real_images.sketch_vendor(index, len(test))} drawing)"
    r = family.pix2pix(sketch, real, source, style=style)
    info = {"model": r.model_id, "source": r.source, "parameters": r.parameters, "steps": r.steps,
            "psnr": _round(r.psnr, 2), "ssim": _round(r.ssim, 4), "l1": _round(r.l1), "note": r.note}
    return (*_tiles([r.sketch, r.output, r.real]), info)


def _upload_or_pair(upload: Any, test_index: Any, dataset: str) -> tuple[torch.Tensor, torch.Tensor | None, int | None]:
    """An uploaded colour image (it wins; no real counterpart, index None) or held-out pair `test_index` of a
    Twemoji/Noto set: (Twemoji, Noto, index), one code point drawn by both vendors."""
    picture = uploads.read_image(upload)
    if picture is not None:
        return family.prepare_upload(picture), None, None
    test = real_images.test_split(dataset)
    index = family.check_index(0 if test_index is None else test_index, len(test))
    return test.inputs[index: index + 1], test.images[index: index + 1], index


def cyclegan_view(test_index: Any, upload: Any, direction: Any) -> tuple:
    code = family.check_direction(direction)
    a, b, index = _upload_or_pair(upload, test_index, family.STYLES_DATASET)
    if index is None:
        image, real, source = a, None, "your upload"
    else:
        image, real = (a, b) if code == "a2b" else (b, a)
        source = f"held-out emoji {index} ({family.DIRECTIONS[code][0]})"
    r = family.cyclegan(image, code, real, source)
    info = {"model": r.model_id, "direction": r.direction, "from": r.styles[0], "to": r.styles[1],
            "source": r.source, "parameters": r.parameters, "steps": r.steps, "cycle_l1": _round(r.cycle_l1),
            "psnr": _round(r.psnr, 2), "ssim": _round(r.ssim, 4), "l1": _round(r.l1),
            "baseline_psnr": _round(r.baseline_psnr, 2), "baseline_ssim": _round(r.baseline_ssim, 4), "note": r.note}
    return (*_tiles([r.input, r.translated, r.back, r.real]), info)


def pix2pix_twemoji_view(test_index: Any, upload: Any) -> tuple:
    """The paired Twemoji -> Noto pix2pix on a held-out pair (by index) or an uploaded colour image (wins)."""
    image, real, index = _upload_or_pair(upload, test_index, family.PAIRED_DATASET)
    source = "your upload" if index is None else f"held-out emoji {index}"
    r = family.twemoji_to_noto(image, real, source)
    info = {"model": r.model_id, "source": r.source, "parameters": r.parameters, "steps": r.steps,
            "psnr": _round(r.psnr, 2), "ssim": _round(r.ssim, 4), "l1": _round(r.l1),
            "baseline_psnr": _round(r.baseline_psnr, 2), "baseline_ssim": _round(r.baseline_ssim, 4), "note": r.note}
    return (*_tiles([r.input, r.output, r.real]), info)


def words_line(reading: family.Reading) -> str:
    """Which words the model read, and for each word it ignored, its closest known words."""
    text = "The model read: " + ", ".join(f"**{w}**" for w in reading.known) + "."
    if reading.unknown:
        text += f" {family.unknown_notes(reading.unknown, limit=8)}. Drawn from the known words only: the others " \
                "were ignored."
    return text


def _reading_info(reading: family.Reading) -> dict:
    return {"phrase": reading.phrase, "known": reading.known, "unknown": reading.unknown,
            "ignored": list(reading.unknown), "words": words_line(reading)}


def text_view(phrase: Any, seed: Any) -> tuple:
    r = family.text_to_image(phrase, seed)
    info = {"model": r.model_id, **_reading_info(r.reading), "seeds": r.seeds, "parameters": r.parameters,
            "steps": r.steps, "note": r.note}
    return family.row_image(r.images), info


def text_interpolate_view(phrase_a: Any, phrase_b: Any, seed: Any) -> tuple:
    r = family.text_interpolation(phrase_a, phrase_b, seed)
    info = {"model": r.model_id, "a": _reading_info(r.a), "b": _reading_info(r.b), "seed": r.seed,
            "alphas": r.alphas, "note": r.note}
    return family.row_image(r.images), info
