"""Every public endpoint, registered in one place: `models`, `generate`, `interpolate` (+ `interpolate_gif`, its
fast part), `nearest` (is it copying?), one per card of the GAN family tab (`family_*`), and the bounded
trainers (`train_image_gan`, `train_sine`, `sweep_sine`). Each docstring is what gradio_client's API page and
the MCP server's tool list show.

They take plain values, not the tabs' slider layout, so scripts can call them with gradio_client (or an MCP
client). Image/file outputs need components (gr.api does not postprocess files), so they are wired to hidden
components here."""

from __future__ import annotations

from typing import Any

import gradio as gr

from gan_models import media, render
from training.limits import RUNS
from ui import explore_views, sine_runs, train_tab
from ui import family_views as views
from ui.common import API, postprocessed, scratch_dir, user_errors


def _edits_input() -> gr.JSON:
    """A gr.JSON input whose API schema is a JSON object of numbers. gr.JSON describes itself as `{"type": {}}`,
    which is no valid JSON Schema, so MCP clients refuse every call of a tool that has one. (Set on the instance:
    a subclass of a Gradio component makes Gradio write a .pyi stub beside this file at import.)"""
    edits = gr.JSON(label="edits")
    edits.api_info = lambda: {"type": "object", "additionalProperties": {"type": "number"},  # type: ignore[method-assign]
                              "description": 'edits: {"12": 1.5, "pc0": -2.0, "sf1": 1.0}'}
    return edits


def models() -> list[dict]:
    """The shipped models: [{id, kind, latent_dim, image_size, channels, classes, source}]."""
    return render.list_models()


@user_errors
def generate(model: str, seed: float, label: str | None = None, truncation: float = 1.0, edits: Any = None,
             n: float = 1):
    """n images of one model (sample i uses seed + i) with the same edits, as one grid, plus JSON info: seeds,
    class, d_prob (the discriminator's P(real) per image), latent_norm, typical_norm, warnings.

    Args:
        model: a shipped model id from `models` (e.g. "cdcgan-emoji") or a Hub repo "org/name[@revision]".
        seed: a whole number 0..2**32-1; the same seed gives the same image.
        label: a class name or index for a conditional model ("" or null for an unconditional one).
        truncation: 0..2; below 1 pulls z toward the average (more typical), above 1 pushes it out.
        edits: {"12": 1.5} sets raw z[12]; {"pc0": 2} moves along a principal direction, {"sf0": 2} a SeFa one.
        n: the number of samples, 1..16.
    """
    image, info = render.generate(model, seed, label or None, truncation, edits or {}, n, captions=False)
    return image, info.as_json()


@user_errors
def nearest(model: str, seed: float, label: str | None = None, truncation: float = 1.0, edits: Any = None):
    """Is it copying? The image of one seed (with the same inputs as `generate`) beside its nearest training
    images, plus JSON: each neighbour's index, class and root-mean-square pixel distance (0 = identical), the
    median distance of held-out real test images to their nearest training image, and the share of them closer
    than this image (near 0 would mean a copy).

    Args:
        model: a model id from `models` whose training data this server has.
        seed: a whole number 0..2**32-1.
        label: a class name or index for a conditional model ("" or null for an unconditional one).
        truncation: 0..2.
        edits: {"12": 1.5} sets raw z[12]; {"pc0": 2} moves along a principal direction, {"sf0": 2} a SeFa one.
    """
    return explore_views.nearest_training_images(model, seed, label or None, truncation, edits or {})


def _export(model, seed_a, seed_b, label_a, label_b, frames, method, mp4: bool) -> tuple[dict, object]:
    """The validated frames' files ({"gif", "mp4"?}) and strip image."""
    arr = render.interpolation_frames(model, seed_a, seed_b, label_a or None, label_b or None, frames, method)
    files = media.export_interpolation(arr, scratch_dir(), f"{method}-{int(seed_a)}-{int(seed_b)}", mp4=mp4)
    return {k: str(v) for k, v in files.items()}, media.strip_image(arr)


@user_errors
def interpolate(
    model: str, seed_a: float, seed_b: float, label_a: str | None = None, label_b: str | None = None,
    frames: float = 16, method: str = "slerp",
):
    """Seed A -> seed B (and class A -> class B for conditional models): GIF, MP4 and a strip image of the frames.

    Args:
        model: a model id from `models`.
        seed_a: the first seed.
        seed_b: the last seed.
        label_a: the first class (conditional models; "" otherwise).
        label_b: the last class (conditional models; "" otherwise).
        frames: the number of frames, 2..64.
        method: "slerp" (along the sphere where z lives) or "lerp" (a straight line).
    """
    files, strip = _export(model, seed_a, seed_b, label_a, label_b, frames, method, mp4=True)
    return files["gif"], files["mp4"], strip


@user_errors
def interpolate_gif(
    model: str, seed_a: float, seed_b: float, label_a: str | None = None, label_b: str | None = None,
    frames: float = 16, method: str = "slerp",
):
    """Like `interpolate` without the MP4 (the ffmpeg encode is its slowest part): GIF and strip image.

    Args:
        model: a model id from `models`.
        seed_a: the first seed.
        seed_b: the last seed.
        label_a: the first class (conditional models; "" otherwise).
        label_b: the last class (conditional models; "" otherwise).
        frames: the number of frames, 2..64.
        method: "slerp" (along the sphere where z lives) or "lerp" (a straight line).
    """
    files, strip = _export(model, seed_a, seed_b, label_a, label_b, frames, method, mp4=False)
    return files["gif"], strip


# ---------------------------------------------------------------------------------------------
# The GAN family tab's cards
# ---------------------------------------------------------------------------------------------


@user_errors
def family_vanilla(dataset: Any, seed: Any, n: Any = 8) -> tuple:
    """The 2014 fully connected GAN beside a DCGAN with the same generator size: (vanilla GAN samples, DCGAN
    samples, info). info has each model's parameter count, Frechet distance (with its floor, train vs test)
    and coverage from its eval.json.

    Args:
        dataset: "animals" or "digits".
        seed: the first seed; the samples are seeds seed..seed+n-1, the same for both models.
        n: the number of samples, 1..16.
    """
    return views.vanilla_view(dataset, seed, n)


@user_errors
def family_vae(dataset: Any, seed: Any, seed_b: Any) -> tuple:
    """The VAE beside the GAN: (VAE samples, GAN samples, reconstructions [real row above the VAE's row],
    interpolation [VAE row above the GAN's, slerp seed -> seed_b], info with the reconstruction error).

    Args:
        dataset: "animals" or "digits".
        seed: the first seed of the samples and the start of the interpolation.
        seed_b: the end of the interpolation.
    """
    return views.vae_view(dataset, seed, seed_b)


@user_errors
def family_lapgan(label: Any, seed_coarse: Any, seed_middle: Any, seed_fine: Any) -> tuple:
    """A class-conditional Laplacian pyramid 8 -> 16 -> 32: (8x8, 16x16, 32x32 level images, info). Each finer
    level shows [given | residual | output], the residual amplified around mid-grey (info's residual_gain).

    Args:
        label: an emoji class name ("face", "heart", ...) or index.
        seed_coarse: the 8x8 level's noise seed (changes the layout).
        seed_middle: the 16x16 level's noise seed.
        seed_fine: the 32x32 level's noise seed (changes texture).
    """
    return views.lapgan_view(label, seed_coarse, seed_middle, seed_fine)


@user_errors
def family_superres(test_index: Any = 0, upload: Any = None) -> tuple:
    """4x super-resolution 8 -> 32: (low-res input, bicubic, SRResNet, SRGAN, real, info); info has PSNR (dB)
    and SSIM of each panel against the real image.

    Args:
        test_index: an emoji test image by index.
        upload: an image file (centre-cropped, resized to 32x32; it wins over the index), or null.
    """
    return views.superres_view(test_index, upload)


@user_errors
def family_pix2pix(test_index: Any = 0, upload: Any = None, style: Any = "") -> tuple:
    """Sketch -> emoji (pix2pix): (sketch, pix2pix's emoji, real emoji, info with PSNR, SSIM and L1 against the
    real one, None for an upload). A blank drawing is refused: "Draw something first". With a style, a test
    sketch is scored against that vendor's drawing of the same emoji.

    Args:
        test_index: a held-out test sketch by index, 0..1171 (0..585 drawn from Noto emoji, then Twemoji).
        upload: a line drawing (dark lines on white; it wins over the index), or null.
        style: "noto" or "twemoji" draws in that vendor's look; "" lets the model draw what the strokes suggest.
    """
    return views.pix2pix_view(test_index, upload, style=style)


@user_errors
def family_cyclegan(test_index: Any = 0, upload: Any = None, direction: Any = "a2b") -> tuple:
    """Unpaired Twemoji <-> Noto translation (CycleGAN): (input, translated, translated back, real other style,
    info). info has the cycle error and PSNR/SSIM of the translation against the real image, beside those of the
    untranslated input (doing nothing).

    Args:
        test_index: a held-out emoji-styles pair by index (0..585), the input in the direction's first style.
        upload: a colour image (centre-cropped, 32x32, no real image), or null.
        direction: "a2b" (Twemoji -> Noto) or "b2a" (Noto -> Twemoji).
    """
    return views.cyclegan_view(test_index, upload, direction)


@user_errors
def family_pix2pix_twemoji(test_index: Any = 0, upload: Any = None) -> tuple:
    """Paired Twemoji -> Noto translation (pix2pix): (Twemoji input, the Noto-style drawing, real Noto, info
    with PSNR/SSIM/L1 of the output and PSNR/SSIM of the unchanged input).

    Args:
        test_index: a held-out emoji-twemoji-noto pair by index (0..585).
        upload: a colour image (centre-cropped, 32x32, no real Noto), or null.
    """
    return views.pix2pix_twemoji_view(test_index, upload)


@user_errors
def family_text(phrase: Any, seed: Any) -> tuple:
    """Text to image (GAN-CLS): 8 images of the phrase, seeds seed..seed+7, as one row; info has the words read
    (`known`), each unknown word with its closest known words (`unknown`) and a `words` line saying so.

    Args:
        phrase: at most 200 characters, no control characters, one known word at least ("red heart", "flag").
        seed: the first seed.
    """
    return views.text_view(phrase, seed)


@user_errors
def family_text_interpolate(phrase_a: Any, phrase_b: Any, seed: Any) -> tuple:
    """8 images from phrase A to phrase B at one seed: the embeddings mixed as normalize((1 - a) tA + a tB),
    a = 0 .. 1 (info's `alphas`).

    Args:
        phrase_a: the first phrase.
        phrase_b: the last phrase.
        seed: the seed every image shares.
    """
    return views.text_interpolate_view(phrase_a, phrase_b, seed)


# ---------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------


def register() -> None:
    """Create the endpoints (inside the page's gr.Blocks); the hidden components carry their data."""
    gr.api(models, api_name="models", queue=True)
    with gr.Column(visible=False):
        model = gr.Textbox(label="model")
        seed, seed_a, seed_b = gr.Number(label="seed"), gr.Number(label="seed_a"), gr.Number(label="seed_b")
        label, label_a, label_b = gr.Textbox(label="label"), gr.Textbox(label="label_a"), gr.Textbox(label="label_b")
        truncation = gr.Number(1.0, label="truncation")
        edits = _edits_input()
        n = gr.Number(1, label="n")
        frames = gr.Number(16, label="frames")
        method = gr.Textbox("slerp", label="method")
        image = gr.Image(label="image", format="png")
        info = gr.JSON(label="info")
        gif, mp4 = gr.File(label="gif"), gr.File(label="mp4")
        strip = gr.Image(label="strip", format="png")
        trigger = gr.Button()
    # Raw in, ready-made out: these functions validate every value themselves (render.validate and friends),
    # and Gradio's pre- and postprocessing run each input and output in a worker thread of its own, a thread
    # hop each, which is a visible share of a one-image render (benchmarks/render_latency.py).
    def wire(fn, inputs: list, outputs: list) -> None:
        trigger.click(postprocessed(fn, outputs), inputs, outputs, api_name=fn.__name__, show_progress="hidden",
                      preprocess=False, postprocess=False, **API)

    pair = [model, seed_a, seed_b, label_a, label_b, frames, method]
    wire(generate, [model, seed, label, truncation, edits, n], [image, info])
    wire(interpolate, pair, [gif, mp4, strip])
    wire(interpolate_gif, pair, [gif, strip])
    wire(nearest, [model, seed, label, truncation, edits], [image, info])
    _register_family()
    # The trainers: bounded as on the page (training.limits.RUNS: runs at once, per client, wall time).
    gr.api(train_tab.train_image_gan, api_name="train_image_gan", concurrency_id="train",
           concurrency_limit=RUNS.max_concurrent)
    gr.api(sine_runs.train_sine, api_name="train_sine", concurrency_id="train", concurrency_limit=RUNS.max_concurrent)
    gr.api(sine_runs.sweep_sine, api_name="sweep_sine", concurrency_id="train", concurrency_limit=RUNS.max_concurrent)


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
