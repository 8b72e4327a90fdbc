"""Public API endpoints with stable names: `models`, `generate`, `interpolate` (+ `interpolate_gif`, the
fast part of `interpolate`), and one per card of the GAN family tab:

- `family_vanilla(dataset, seed, n)` -> (vanilla GAN samples, DCGAN samples, info): dataset "animals" or
  "digits", samples of seeds seed..seed+n-1 (n 1..16); info has each model's parameter count and Frechet
  distance (with its floor, train vs test) and coverage from its eval.json.
- `family_vae(dataset, seed, seed_b)` -> (VAE samples, GAN samples, reconstructions [real row above the
  VAE's row], interpolation [VAE row above the GAN's, slerp seed -> seed_b], info).
- `family_lapgan(label, seed_coarse, seed_middle, seed_fine)` -> (8x8, 16x16, 32x32 level images, info): a
  class name or index and one seed per pyramid level; each finer level shows [given | residual | output],
  the residual amplified family.RESIDUAL_GAIN times around mid-grey.
- `family_superres(test_index, upload)` -> (low-res input, bicubic, SRResNet, SRGAN, real, info): an emoji
  test image by index, or an uploaded image (centre-cropped, resized to 32x32; it wins over the index);
  info has PSNR (dB) and SSIM of each panel against the real image.
- `family_pix2pix(test_index, upload, style="")` -> (sketch, pix2pix's emoji, real emoji, info): a held-out
  test sketch of emoji-sketch by index (0..1171; the first half made from Noto drawings, the second from Twemoji
  ones), or an uploaded line drawing (dark lines on white; it wins over the index: composited on white, grey,
  centre-cropped, reduced to 32x32 by area, ink scaled so the darkest stroke is black). info has PSNR (dB), SSIM
  and L1 of the emoji against the real one (None for an upload). A blank drawing is refused: "Draw something first".
  `style` "noto" or "twemoji" draws in that vendor's look (pix2pix-sketch-vendor; a test sketch is then scored
  against that vendor's drawing of the same emoji); "" lets pix2pix-sketch draw what the strokes suggest.
- `family_cyclegan(test_index, upload, direction)` -> (input, translated, translated back, real other style,
  info): direction "a2b" / "Twemoji -> Noto" or "b2a" / "Noto -> Twemoji"; a held-out emoji-styles pair by index
  (0..585, the input in the direction's first style) or an upload (centre-cropped, 32x32, no real image). info has
  the cycle error (mean |A -> B -> A - A| on [0, 1] pixels) and PSNR/SSIM of the translation against the real
  image, beside those of the untranslated input (doing nothing).
- `family_pix2pix_twemoji(test_index, upload)` -> (Twemoji input, pix2pix's Noto-style drawing, real Noto, info):
  the paired pix2pix model pix2pix-twemoji-noto on a held-out emoji-twemoji-noto pair by index (0..585) or an
  uploaded colour image (centre-cropped, 32x32, no real Noto). info has PSNR/SSIM/L1 of the output against the real
  Noto drawing and PSNR/SSIM of the unchanged input (doing nothing).
- `family_text(phrase, seed)` -> (8 images of the phrase, seeds seed..seed+7, as one row; info): GAN-CLS text to
  image. info has the words read (`known`), each unknown word with its closest known words (`unknown`) and a
  `words` line saying so. A phrase must be text of at most 200 characters without control characters, with at
  least one known word.
- `family_text_interpolate(phrase_a, phrase_b, seed)` -> (8 images from phrase A to phrase B at one seed, info):
  embeddings mixed as normalize((1 - a) tA + a tB), a = 0 .. 1 (info's `alphas`).

They take plain values, not the tabs' slider layout, so scripts can call them with gradio_client. Image/file
outputs need components (gr.api does not postprocess files), so they are wired to hidden components here."""

from __future__ import annotations

import functools
import math
import tempfile
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr
import torch
from gradio.utils import get_upload_folder

from gan_models import family, render
from gan_models import latent as L
from ui import real_images, uploads

F = TypeVar("F", bound=Callable[..., Any])
RENDER = {"concurrency_id": "render", "concurrency_limit": 8}  # the page's renders (Explore, Interpolate, Sine toy)
# The public endpoints wait in a group of their own: 60 abandoned or flooding API calls (their stream never
# read) queue behind one another, not in front of the page's events (benchmarks/abandoned.py, README).
API = {"concurrency_id": "api", "concurrency_limit": 4}
# Slider renders, the app's busiest event: Gradio hands the function every queued one at once (batch=True) and
# one worker draws them with one generator pass per model. Measured with benchmarks/load.py (README): Gradio's
# per-event overhead is paid per batch and eight workers no longer fight over the GIL.
# preprocess=False: in a batch Gradio would check every event's inputs against the first event's session.
# postprocess=False: the function sends its outputs ready-made (see `postprocessed_batch`).
SLIDER_RENDER = {"concurrency_id": "slider", "concurrency_limit": 1, "batch": True, "max_batch_size": 32,
                 "preprocess": False, "postprocess": False}


def postprocessed_batch(fn: Callable[..., Sequence[list]], outputs: Sequence[Any]) -> Callable[..., tuple]:
    """The batch function `fn` (one list per output) with each output component's own postprocess (PNG into
    Gradio's cache, ...) done here, in the render thread, for an event wired with postprocess=False.

    In a batch Gradio postprocesses entry after entry and output after output, each in a thread hop awaited
    on the event loop that also answers every user's requests (the effect, measured by benchmarks/load.py:
    docs/benchmarks.md)."""

    @functools.wraps(fn)
    def wrapper(*columns: list) -> tuple:
        results = fn(*columns)
        return tuple([_sent_or_skip(component, value) for value in column]
                     for component, column in zip(outputs, results, strict=True))

    return wrapper


def _sent_or_skip(component: Any, value: Any) -> Any:
    """One entry's output postprocessed; if that fails (a fault, logged), the entry's output is left as it was
    and the rest of the batch is still sent."""
    try:
        return _sent(component, value)
    except Exception:  # noqa: BLE001
        import logging

        logging.getLogger("gan_explorer").exception("postprocessing one batch entry failed")
        return gr.skip()


def _sent(component: Any, value: Any) -> Any:
    if isinstance(value, dict) and value.get("__type__") == "update":  # gr.skip()/gr.update(): Gradio's to apply
        return value
    value = component.postprocess(value)
    return value.model_dump() if hasattr(value, "model_dump") else value


def user_errors(fn: F) -> F:
    """Turn the model layer's ValueErrors into gr.Error so the person sees the message (not 'Error')."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except ValueError as exc:
            raise gr.Error(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def whole_number(name: str, value: Any) -> int:
    """A count or seed from the page or the API (a number or numeric string with no fractional part; the
    trainers' configs check the ranges). Huge integers, +-inf and NaN are refused here, by name."""
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > 2**53:
            raise gr.Error(f"{name} must be a whole number of sensible size, got {L.shown(value)}.")
        return value
    try:
        number = L.finite_number(name, value)
    except ValueError:
        raise gr.Error(f"{name} must be a whole number, got {L.shown(value)}.") from None
    if number != int(number) or abs(number) > 2**53:
        raise gr.Error(f"{name} must be a whole number, got {L.shown(value)}.")
    return int(number)


def learning_rates(lr_g: Any, lr_d: Any) -> tuple[float, float]:
    """G's and D's learning rates as finite floats (the trainers' configs check their ranges)."""
    try:
        return L.finite_number("G's learning rate", lr_g), L.finite_number("D's learning rate", lr_d)
    except ValueError as error:
        if "must be a number" in str(error):
            raise gr.Error(f"Learning rates must be numbers, got {L.shown(lr_g)} and {L.shown(lr_d)}.") from None
        raise gr.Error(str(error)) from None


def scratch_dir() -> Path:
    """A fresh folder inside Gradio's cache: files written here are served in place and removed by
    the app's delete_cache schedule, so nothing lands outside the cache."""
    root = Path(get_upload_folder()) / "gan-explorer"
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=root, prefix=uuid.uuid4().hex[:8]))


def models() -> list[dict]:
    """The shipped models: [{id, kind, latent_dim, image_size, channels, classes, source}]."""
    return render.list_models()


@user_errors
def generate(model: str, seed: float, label: str | None, truncation: float, edits: Any, n: float):
    """n images (sample i uses seed + i) with the same edits, as one grid, plus JSON info:
    seeds, class, d_prob (discriminator's P(real) per image), latent_norm, typical_norm, warnings.
    `edits` maps a dimension index ("12") or a direction name ("pc0") to a value."""
    image, info = render.generate(model, seed, label or None, truncation, edits, n, captions=False)
    return image, info


def _frames(model, seed_a, seed_b, label_a, label_b, frames, method, truncation=1.0):
    return render.interpolation_frames(
        model, seed_a, seed_b, label_a or None, label_b or None, frames, method, truncation
    )


@user_errors
def interpolate(
    model: str, seed_a: float, seed_b: float, label_a: str | None, label_b: str | None, frames: float,
    method: str,
):
    """Seed A -> seed B (and class A -> class B for conditional models): GIF, MP4 and strip image."""
    arr = _frames(model, seed_a, seed_b, label_a, label_b, frames, method)
    files = render.export_interpolation(arr, scratch_dir(), f"{method}-{int(seed_a)}-{int(seed_b)}")
    return str(files["gif"]), str(files["mp4"]), render.strip_image(arr)


@user_errors
def interpolate_gif(
    model: str, seed_a: float, seed_b: float, label_a: str | None, label_b: str | None, frames: float,
    method: str,
):
    """Like `interpolate` without the MP4 (the ffmpeg encode is its slowest part): GIF and strip image."""
    arr = _frames(model, seed_a, seed_b, label_a, label_b, frames, method)
    files = render.export_interpolation(arr, scratch_dir(), f"{method}-{int(seed_a)}-{int(seed_b)}", mp4=False)
    return str(files["gif"]), render.strip_image(arr)


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


family_vanilla = user_errors(vanilla_view)
family_vae = user_errors(vae_view)
family_lapgan = user_errors(lapgan_view)
family_superres = user_errors(superres_view)
@user_errors
def family_pix2pix(test_index: Any, upload: Any, style: Any = "") -> tuple:
    """The API's pix2pix: a test sketch or an upload (the page's canvas drawing has its own event)."""
    return pix2pix_view(test_index, upload, style=style)
family_cyclegan = user_errors(cyclegan_view)
family_pix2pix_twemoji = user_errors(pix2pix_twemoji_view)
family_text = user_errors(text_view)
family_text_interpolate = user_errors(text_interpolate_view)


def register() -> None:
    """Create the endpoints (inside the page's gr.Blocks); the hidden components carry their data."""
    gr.api(models, api_name="models", queue=True)
    with gr.Column(visible=False):
        model = gr.Textbox(label="model")
        seed, seed_a, seed_b = gr.Number(label="seed"), gr.Number(label="seed_a"), gr.Number(label="seed_b")
        label, label_a, label_b = gr.Textbox(label="label"), gr.Textbox(label="label_a"), gr.Textbox(label="label_b")
        truncation = gr.Number(1.0, label="truncation")
        edits = gr.JSON(label="edits")
        n = gr.Number(1, label="n")
        frames = gr.Number(16, label="frames")
        method = gr.Textbox("slerp", label="method")
        image = gr.Image(label="image", format="png")
        info = gr.JSON(label="info")
        gif, mp4 = gr.File(label="gif"), gr.File(label="mp4")
        strip = gr.Image(label="strip", format="png")
        trigger = gr.Button()
    trigger.click(generate, [model, seed, label, truncation, edits, n], [image, info], api_name="generate",
                  show_progress="hidden", **API)
    trigger.click(interpolate, [model, seed_a, seed_b, label_a, label_b, frames, method], [gif, mp4, strip],
                  api_name="interpolate", show_progress="hidden", **API)
    trigger.click(interpolate_gif, [model, seed_a, seed_b, label_a, label_b, frames, method], [gif, strip],
                  api_name="interpolate_gif", show_progress="hidden", **API)
    _register_family()


def _register_family() -> None:
    """The GAN family tab's endpoints (one per card), on hidden components of their own."""
    with gr.Column(visible=False):
        dataset = gr.Textbox("animals", label="dataset")
        seed, seed_b, n = gr.Number(0, label="seed"), gr.Number(1, label="seed_b"), gr.Number(8, label="n")
        label = gr.Textbox(label="label")
        levels = [gr.Number(0, label=f"seed_{name}") for name in ("coarse", "middle", "fine")]
        test_index = gr.Number(0, label="test_index")
        upload = gr.Image(label="upload", type="filepath")
        direction = gr.Textbox("a2b", label="direction")
        style = gr.Textbox("", label="style")
        phrase, phrase_b = gr.Textbox("red heart", label="phrase"), gr.Textbox("cat face", label="phrase_b")
        images = [gr.Image(label=f"image_{i}", format="png") for i in range(5)]
        info = gr.JSON(label="info")
        trigger = gr.Button()
    trigger.click(family_vanilla, [dataset, seed, n], [*images[:2], info], api_name="family_vanilla",
                  show_progress="hidden", **API)
    trigger.click(family_vae, [dataset, seed, seed_b], [*images[:4], info], api_name="family_vae",
                  show_progress="hidden", **API)
    trigger.click(family_lapgan, [label, *levels], [*images[:3], info], api_name="family_lapgan",
                  show_progress="hidden", **API)
    # preprocess=False: the upload arrives as a file reference and is read by ui.uploads, header first.
    trigger.click(family_superres, [test_index, upload], [*images, info], api_name="family_superres",
                  show_progress="hidden", preprocess=False, **API)
    trigger.click(family_pix2pix, [test_index, upload, style], [*images[:3], info], api_name="family_pix2pix",
                  show_progress="hidden", preprocess=False, **API)
    trigger.click(family_cyclegan, [test_index, upload, direction], [*images[:4], info], api_name="family_cyclegan",
                  show_progress="hidden", preprocess=False, **API)
    trigger.click(family_pix2pix_twemoji, [test_index, upload], [*images[:3], info],
                  api_name="family_pix2pix_twemoji", show_progress="hidden", preprocess=False, **API)
    # preprocess=False: the phrase arrives as sent (a Textbox would turn a number into text) and is checked whole.
    trigger.click(family_text, [phrase, seed], [images[0], info], api_name="family_text", show_progress="hidden",
                  preprocess=False, **API)
    trigger.click(family_text_interpolate, [phrase, phrase_b, seed], [images[0], info],
                  api_name="family_text_interpolate", show_progress="hidden", preprocess=False, **API)
