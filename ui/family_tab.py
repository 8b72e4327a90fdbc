"""The "GAN family" tab: one card per family (vanilla GAN, VAE, LAPGAN, SRGAN, pix2pix, CycleGAN, text to image),
each with its history, a shipped small model and a live panel. Layout and wiring only: the work is in
gan_models.family, the views (images + JSON info) are shared with the public endpoints (ui.family_views), and this
module turns their info into readouts."""

from __future__ import annotations

import io
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from gan_models import family
from gan_models import latent as L
from gan_models.lapgan import SIZES
from gan_models.textgan import SAMPLE_PHRASES, sample_phrases
from training.data import EMOJI_CLASSES
from ui import family_views, real_images, uploads
from ui.common import RENDER, brush_ready_js, user_errors

PRIVATE = {"api_visibility": "private"}
LIVE = {"trigger_mode": "always_last", "show_progress": "hidden", **RENDER, **PRIVATE}
SEED_MAX = 9999  # the page's sliders; the API takes any seed in 0..2^32-1
NAMES = {"mlpgan": "vanilla GAN (MLP)", "dcgan": "DCGAN", "cdcgan": "conditional DCGAN", "vae": "VAE"}

INTRO = """
**The family tree of the models in this app.** Each card tells what a model family solved, with the paper that
introduced it, and runs a small model of that family trained here. Move a slider and the card redraws.
"""


def _card_head(key: str, number: int) -> None:
    f = family.family(key)
    gr.Markdown(f"### {number}. {f.title}\n*{f.paper}*\n\n{f.history}")


def _fmt(value: float | None, pattern: str = "{:.1f}", missing: str = "not measured") -> str:
    return missing if value is None else pattern.format(value)


def _quality_table(models: list[dict]) -> str:
    rows = ["| model | parameters | trained steps | Frechet distance (x floor) | coverage | classes drawn |",
            "|---|---:|---:|---:|---:|---:|"]
    for m in models:
        frechet = "not measured" if m["frechet"] is None else (
            f"{m['frechet']:.1f} ({_fmt(m['frechet_ratio'], '{:.0f}', '?')}x)")
        classes = "not measured" if m["classes_drawn"] is None else f"{m['classes_drawn']} of {m['classes']}"
        rows.append(f"| {NAMES.get(m['kind'], m['kind'])} `{m['id']}` | {m['parameters']:,} | "
                    f"{_fmt(m['steps'], '{:,}', '?')} | {frechet} | {_fmt(m['coverage'], '{:.2f}')} | {classes} |")
    floor = next((m["frechet_floor"] for m in models if m["frechet_floor"] is not None), None)
    notes = [m["note"] for m in models if m.get("note")]
    text = "\n".join(rows)
    text += ("\n\nFrechet distance on classifier features, 10,000 samples vs the test set (lower is better; the "
             f"floor, train vs test, is {_fmt(floor)}). Coverage: share of test images with a generated "
             "neighbour. Classes drawn: classes the classifier finds in at least 2% of the samples.")
    if any(m["conditional"] for m in models):
        text += " The conditional GAN is told its class (sample i draws class seed+i mod 10): it cannot drop one."
    return text + "".join(f"\n\n⚠️ {n}" for n in notes)


def _unavailable(count: int, error: family.ModelUnavailable) -> tuple:
    """A card whose model cannot be loaded now: empty images and the reason in its readout."""
    return (*([None] * count), f"⚠️ {error}")


# ---------------------------------------------------------------------------------------------
# Callbacks: the API's views + a readout
# ---------------------------------------------------------------------------------------------


@user_errors
def show_vanilla(dataset: Any, seed: Any) -> tuple:
    try:
        mlp, dcgan, info = family_views.vanilla_view(dataset, seed, 8)
    except family.ModelUnavailable as error:
        return _unavailable(2, error)
    lead = (f"Seeds {info['seeds'][0]}..{info['seeds'][-1]}: the same seeds through both generators. About the "
            "same number of weights, yet the MLP must learn every pixel position on its own, while the DCGAN's "
            "filters are shared across the image.\n\n")
    return mlp, dcgan, lead + _quality_table(info["models"])


@user_errors
def show_vae(dataset: Any, seed: Any, seed_b: Any) -> tuple:
    try:
        vae, gan, recon, path, info = family_views.vae_view(dataset, seed, seed_b)
    except family.ModelUnavailable as error:
        return _unavailable(4, error)
    lead = (f"VAE reconstructions of test images {', '.join(map(str, info['test_indices']))}: mean squared error "
            f"{info['reconstruction_mse']:.4f} ({info['reconstruction_psnr']:.1f} dB). The GAN has no encoder, so "
            "it cannot reconstruct (Explore's inversion has to search for a z instead). Look for: VAE samples "
            "blurrier, GAN samples sharper; the VAE's Frechet distance is worse, yet it draws every class.\n\n")
    return vae, gan, recon, path, lead + _quality_table(info["models"])


@user_errors
def show_lapgan(label: Any, seed_coarse: Any, seed_middle: Any, seed_fine: Any) -> tuple:
    try:
        *levels, info = family_views.lapgan_view(label, seed_coarse, seed_middle, seed_fine)
    except family.ModelUnavailable as error:
        return _unavailable(3, error)
    rms = ", ".join(f"{lv['size']}x{lv['size']}: {lv['residual_rms']:.3f}" for lv in info["levels"][1:])
    text = (f"Class **{info['class']}**, seeds {' / '.join(map(str, info['seeds']))} (`{info['model']}`). "
            f"Residuals are shown {info['residual_gain']:g}x amplified around mid-grey (grey = no change, lighter = "
            f"adds light); their size (RMS, image units): {rms}.")
    if info["note"]:
        text += f"\n\n⚠️ {info['note']}"
    return (*levels, text)


SR_NAMES = ("Low-res input", "Bicubic", "SRResNet", "SRGAN", "Real")
SR_LABELS = {"Low-res input": "Input (8x8)", "Bicubic": "Bicubic", "SRResNet": "SRResNet (L1)",
             "SRGAN": "SRGAN (L1 + adv.)", "Real": "Real (32x32)"}


@user_errors
def show_superres(test_index: Any, upload: Any) -> tuple:
    *images, info = family_views.superres_view(test_index, upload)
    panels = info["panels"]
    head = "| | " + " | ".join(SR_LABELS[p["name"]] for p in panels) + " |"
    rule = "|---|" + "---:|" * len(panels)
    psnr = "| PSNR (dB) | " + " | ".join("reference" if p["name"] == "Real" else (
        "—" if p["psnr"] is None else f"{p['psnr']:.2f}") for p in panels) + " |"
    ssim = "| SSIM | " + " | ".join("reference" if p["name"] == "Real" else (
        "—" if p["ssim"] is None else f"{p['ssim']:.3f}") for p in panels) + " |"
    text = (f"**{info['source']}**, downscaled 4x and brought back four ways; each scored against the real image "
            f"(higher is closer). The input is shown enlarged (nearest neighbour).\n\n{head}\n{rule}\n{psnr}\n{ssim}")
    text += "".join(f"\n\n⚠️ {p['name']}: {p['note']}" for p in panels if p["note"] and p["name"] != "Real")
    if info["note"]:
        text += f"\n\n{info['note']}"
    return (*images, text)


def _scores_line(name: str, psnr: float | None, ssim: float | None, l1: float | None) -> str:
    return f"| {name} | {psnr:.2f} | {ssim:.3f} | {l1:.3f} |" if psnr is not None else f"| {name} | — | — | — |"


def _pix2pix_text(info: dict) -> str:
    text = f"**{info['source']}** through `{info['model']}` ({info['parameters']:,} weights"
    text += f", {info['steps']:,} training steps)." if info["steps"] else ")."
    if info["psnr"] is not None:
        text += ("\n\n| emoji vs the real one | PSNR (dB) | SSIM | L1 |\n|---|---:|---:|---:|\n"
                 + _scores_line("pix2pix", info["psnr"], info["ssim"], info["l1"])
                 + "\n\nThe sketch was made from the real emoji; neither was seen in training. Higher PSNR and "
                 "SSIM, lower L1: closer to the real emoji.")
    else:
        text += " A drawing has no real emoji to compare with: judge by eye."
    if info["note"]:
        text += f"\n\n⚠️ {info['note']}"
    return text


def _pix2pix_out(view: tuple) -> tuple:
    *images, info = view
    return (*images, _pix2pix_text(info))


@user_errors
def show_pix2pix_test(test_index: Any, style: Any = None) -> tuple:
    try:
        return _pix2pix_out(family_views.pix2pix_view(test_index, None, style=style))
    except family.ModelUnavailable as error:
        return _unavailable(3, error)


@user_errors
def show_pix2pix_upload(upload: Any, test_index: Any, style: Any = None) -> tuple:
    """An uploaded line drawing; clearing the upload goes back to the picked test sketch."""
    try:
        return _pix2pix_out(family_views.pix2pix_view(test_index, upload, style=style))
    except family.ModelUnavailable as error:
        return _unavailable(3, error)
    except ValueError as error:
        if str(error) == family.BLANK_MESSAGE:
            return None, None, None, f"✏️ {error}"
        raise


@user_errors
def show_pix2pix_drawing(drawing: Any, style: Any = None) -> tuple:
    """The canvas's pixels (read_canvas: uint8 RGBA, None when empty, or a refusal as a string)."""
    if isinstance(drawing, str):
        return None, None, None, f"⚠️ {drawing}"
    try:
        if drawing is None:
            raise ValueError(family.BLANK_MESSAGE)
        return _pix2pix_out(family_views.pix2pix_view(None, None, drawing, style=style))
    except family.ModelUnavailable as error:
        return _unavailable(3, error)
    except ValueError as error:
        if str(error) == family.BLANK_MESSAGE:
            return None, None, None, f"✏️ {error}"
        raise


def show_pix2pix_restyled(drawing: Any, upload: Any, test_index: Any, style: Any) -> tuple:
    """A new style redraws what is shown: the drawing if the canvas has ink, else the upload, else the test sketch."""
    if drawing is not None:
        return show_pix2pix_drawing(drawing, style)
    if upload:
        return show_pix2pix_upload(upload, test_index, style)
    return show_pix2pix_test(test_index, style)


PIX2PIX_MODES = {"Sketch → emoji": "sketch", "Twemoji → Noto (paired)": "paired"}


def check_pix2pix_mode(mode: Any) -> str:
    if isinstance(mode, str) and mode in PIX2PIX_MODES:
        return PIX2PIX_MODES[mode]
    if isinstance(mode, str) and mode in PIX2PIX_MODES.values():
        return mode
    raise ValueError(f"Unknown mode {L.shown(mode)}: choose {' or '.join(map(repr, PIX2PIX_MODES))}.")


@user_errors
def show_twemoji_noto(test_index: Any, upload: Any) -> tuple:
    """The paired Twemoji -> Noto model on a held-out pair, or an uploaded colour image (it wins)."""
    try:
        *images, info = family_views.pix2pix_twemoji_view(test_index, upload)
    except family.ModelUnavailable as error:
        return _unavailable(3, error)
    steps = f", {info['steps']:,} training steps" if info["steps"] else ""
    text = f"**{info['source']}** through `{info['model']}` ({info['parameters']:,} weights{steps})."
    if info["psnr"] is not None:
        text += ("\n\n| vs the real Noto drawing | PSNR (dB) | SSIM | L1 |\n|---|---:|---:|---:|\n"
                 + _scores_line("pix2pix's Twemoji → Noto", info["psnr"], info["ssim"], info["l1"]) + "\n"
                 + f"| the Twemoji input itself (doing nothing) | {info['baseline_psnr']:.2f} | "
                 f"{info['baseline_ssim']:.3f} | — |\n\nThis emoji was held out of training. Unlike CycleGAN "
                 "(card 6), this model was trained on pairs: the same emoji drawn by both vendors.")
    else:
        text += " An upload has no real Noto drawing to compare with: judge by eye."
    if info["note"]:
        text += f"\n\n⚠️ {info['note']}"
    return (*images, text)


def switch_pix2pix_mode(mode: Any, test_index: Any, upload: Any) -> tuple:
    """Show the chosen mode's inputs and outputs; switching to Twemoji -> Noto draws its pair."""
    try:
        code = check_pix2pix_mode(mode)
    except ValueError as error:
        raise gr.Error(str(error)) from None
    paired = code == "paired"
    drawn = show_twemoji_noto(test_index, upload) if paired else [gr.skip()] * 4
    return gr.update(visible=not paired), gr.update(visible=paired), *drawn


CYCLE_DIRECTIONS = {"Twemoji → Noto": "a2b", "Noto → Twemoji": "b2a"}


@user_errors
def show_cyclegan(test_index: Any, upload: Any, direction: Any) -> tuple:
    code = CYCLE_DIRECTIONS.get(direction, direction)
    try:
        *images, info = family_views.cyclegan_view(test_index, upload, code)
    except family.ModelUnavailable as error:
        return _unavailable(4, error)
    a, b = info["from"], info["to"]
    steps = f", {info['steps']:,} training steps" if info["steps"] else ""
    text = (f"**{info['source']}**: A = {a}, B = {b}, through `{info['model']}` ({info['parameters']:,} weights "
            f"per translator{steps}). Cycle error |A → B → A − A|: **{info['cycle_l1']:.3f}** (mean per pixel, "
            "0..1; 0 = the input comes back exactly).")
    if info["psnr"] is not None:
        text += (f"\n\n| A → B vs the real {b} drawing | PSNR (dB) | SSIM | L1 |\n|---|---:|---:|---:|\n"
                 + _scores_line(f"CycleGAN's {a} → {b}", info["psnr"], info["ssim"], info["l1"]) + "\n"
                 + f"| the {a} input itself (doing nothing) | {info['baseline_psnr']:.2f} | "
                 f"{info['baseline_ssim']:.3f} | — |\n\nThis emoji was held out of training: the model never saw "
                 "it in either style, and never saw any emoji in both.")
    else:
        text += " An upload has no real drawing in the other style: judge by eye."
    if info["note"]:
        text += f"\n\n⚠️ {info['note']}"
    labels = (f"{a} (input)", f"{a} → {b}", f"{a} → {b} → {a}", f"Real {b} (same emoji)")
    return (*[gr.update(value=image, label=label) for image, label in zip(images, labels, strict=True)], text)


def _text_failure(count: int, error: ValueError) -> tuple:
    """A phrase the model cannot draw (or a model not there yet): no images, the reason in the words line
    (the card redraws as one types: a half-typed word is a message, not an error popup)."""
    return (*([None] * count), f"⚠️ {error}")


def show_text(phrase: Any, seed: Any) -> tuple:
    try:
        grid, info = family_views.text_view(phrase, seed)
    except ValueError as error:
        return _text_failure(1, error)
    text = f"{info['words']}\n\nSeeds {info['seeds'][0]}..{info['seeds'][-1]}, `{info['model']}`"
    text += f" ({info['parameters']:,} weights" + (f", {info['steps']:,} training steps)." if info["steps"] else ").")
    if info["note"]:
        text += f"\n\n⚠️ {info['note']}"
    return grid, text


def show_text_interpolation(phrase_a: Any, phrase_b: Any, seed: Any) -> tuple:
    try:
        strip, info = family_views.text_interpolate_view(phrase_a, phrase_b, seed)
    except ValueError as error:
        return _text_failure(1, error)
    a, b = info["a"], info["b"]
    text = (f"**{a['phrase']}** → **{b['phrase']}** at seed {info['seed']}: {len(info['alphas'])} images, the text "
            "embeddings mixed as normalize((1 − a)·tA + a·tB) for a = 0 .. 1; the first is phrase A's own image, the "
            "last phrase B's.")
    ignored = [*a["ignored"], *[w for w in b["ignored"] if w not in a["ignored"]]]
    if ignored:
        text += " Ignored (not in the vocabulary): " + ", ".join(f"'{w}'" for w in ignored) + "."
    if info["note"]:
        text += f"\n\n⚠️ {info['note']}"
    return strip, text


def _text_examples() -> list[str]:
    try:
        return sample_phrases(family.load(family.TEXT_ID, ("textgan",)).model.config)
    except ValueError:  # not exported yet: the phrases it is being trained to draw
        return list(SAMPLE_PHRASES)


# ---------------------------------------------------------------------------------------------
# The sketch canvas
# ---------------------------------------------------------------------------------------------

CANVAS_PX = 256  # 8x the model's 32 px: the brush's 12 px wide stroke becomes ~1.5 px, like the training sketches
BRUSH_PX = 6  # gr.Brush's default_size is a radius
MAX_CANVAS_SIDE = 2048
def read_canvas(canvas: gr.ImageEditor, payload: Any) -> np.ndarray | str | None:
    """The drawing of a Sketchpad event wired with preprocess=False -> uint8 RGBA pixels, None for no drawing,
    or a refusal as a string. Only the composite is decoded (never the layers), header first: at most
    MAX_CANVAS_SIDE px a side, PNG or WebP (the canvas is page input: any client can send any bytes as its
    'drawing'). A subclass with its own preprocess would do the same, but Gradio writes a .pyi stub beside the
    module of every component class, which would hide this module's own types."""
    if not isinstance(payload, dict):
        return None
    data: bytes | str | None = None
    if isinstance(payload.get("id"), str):
        blobs = canvas.blob_storage.pop(payload["id"], None)  # sent by the browser just before the event
        data = None if blobs is None else blobs.composite
    elif payload.get("composite") is not None:
        try:
            data = uploads.path_of(payload["composite"])  # a file in Gradio's cache, checked by ui.guard
        except ValueError as error:
            return str(error)
    if data is None:
        return None
    refusal = f"The drawing could not be read: a PNG or WebP image of at most {MAX_CANVAS_SIDE} px a side is expected."
    try:
        with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as img:  # reads the header only
            if img.format not in ("PNG", "WEBP") or max(img.size) > MAX_CANVAS_SIDE or min(img.size) < 2:
                return refusal
            img.load()
            return np.asarray(img.convert("RGBA")).copy()
    except (OSError, SyntaxError, EOFError, ValueError, Image.DecompressionBombError):
        return refusal


# ---------------------------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------------------------


def _image(label: str, elem_id: str, height: int | None = None) -> gr.Image:
    return gr.Image(label=label, format="png", interactive=False, elem_id=elem_id, height=height,
                    buttons=["download"])


def _seed(label: str, value: int, elem_id: str, info: str | None = None) -> gr.Slider:
    return gr.Slider(0, SEED_MAX, value=value, step=1, label=label, elem_id=elem_id, info=info)


def _lapgan_classes() -> list[str]:
    try:
        return list(family.load(family.LAPGAN_ID, ("lapgan",)).model.class_names)
    except ValueError:  # not trained yet: the emoji classes it is being trained on
        return list(EMOJI_CLASSES)


def build(tab: gr.Tab) -> None:
    """Lay out the tab's cards and wire them (inside the page's gr.Blocks); each card draws when the tab opens."""
    real_images.warm_up(tuple(dict.fromkeys([*family.DATASETS.values(), family.SR_DATASET, family.SKETCH_DATASET,
                                             family.STYLES_DATASET])))
    gr.Markdown(INTRO)
    datasets = list(family.DATASETS)

    with gr.Column(variant="panel", elem_id="fam-vanilla"):
        _card_head("vanilla", 1)
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                v_data = gr.Radio(datasets, value="animals", label="Data", elem_id="fam-v-data")
                v_seed = _seed("Seed", 0, "fam-v-seed", "Samples use seeds seed .. seed+7.")
            with gr.Column(scale=3):
                v_mlp = _image("Vanilla GAN (fully connected)", "fam-v-mlp")
                v_dcgan = _image("DCGAN (convolutional)", "fam-v-dcgan")
        v_text = gr.Markdown(elem_id="fam-v-text")

    with gr.Column(variant="panel", elem_id="fam-vae"):
        _card_head("vae", 2)
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                a_data = gr.Radio(datasets, value="animals", label="Data", elem_id="fam-a-data")
                a_seed = _seed("Seed A", 0, "fam-a-seed", "Samples, the start of the interpolation, and which "
                                                          "test images are reconstructed.")
                a_seed_b = _seed("Seed B", 1, "fam-a-seed-b", "The end of the interpolation.")
            with gr.Column(scale=3):
                a_vae = _image("VAE samples", "fam-a-vae")
                a_gan = _image("GAN samples (same seeds)", "fam-a-gan")
                a_recon = _image("Test images (top) and the VAE's reconstructions (bottom)", "fam-a-recon")
                a_path = _image("Seed A → seed B: VAE (top), GAN (bottom)", "fam-a-path")
        a_text = gr.Markdown(elem_id="fam-a-text")

    with gr.Column(variant="panel", elem_id="fam-lapgan"):
        _card_head("lapgan", 3)
        classes = _lapgan_classes()
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                l_class = gr.Dropdown(classes, value="heart" if "heart" in classes else classes[0], label="Class",
                                      elem_id="fam-l-class")
                l_seeds = [_seed(f"Level {k} noise ({s}x{s})", k, f"fam-l-seed-{k}", info)
                           for k, (s, info) in enumerate(zip(SIZES, ("Layout and colour.", "Coarse detail.",
                                                                     "Fine texture."), strict=True))]
            with gr.Column(scale=3):
                l_levels = [_image(f"Level 0 · {SIZES[0]}x{SIZES[0]} from noise and class", "fam-l-level-0", 190)]
                l_levels += [_image(f"Level {k} · {s}x{s}: given (level {k - 1} upsampled) | residual "
                                    f"(x{family.RESIDUAL_GAIN:g}) | output", f"fam-l-level-{k}", 190)
                             for k, s in enumerate(SIZES) if k]
        l_text = gr.Markdown(elem_id="fam-l-text")

    with gr.Column(variant="panel", elem_id="fam-superres"):
        _card_head("superres", 4)
        count = _test_count()
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                s_index = gr.Slider(0, max(0, count - 1), value=min(12, max(0, count - 1)), step=1,
                                    label="Emoji test image", elem_id="fam-s-index",
                                    info="Never seen in training. Downscaled 4x by area to 8x8.")
                s_upload = gr.Image(label="…or upload your own", type="filepath", sources=["upload", "clipboard"],
                                    height=160, elem_id="fam-s-upload")
                gr.Markdown("An upload is centre-cropped to a square and resized to 32x32 (that is the real image "
                            "here), then downscaled to 8x8 like the test images. PNG, JPEG, GIF, WebP or BMP.")
            with gr.Column(scale=3):
                with gr.Row():
                    s_images = [_image(SR_LABELS[name], f"fam-s-{k}", 180) for k, name in enumerate(SR_NAMES)]
        s_text = gr.Markdown(elem_id="fam-s-text")

    with gr.Column(variant="panel", elem_id="fam-pix2pix"):
        _card_head("pix2pix", 5)
        p_mode = gr.Radio(list(PIX2PIX_MODES), value="Sketch → emoji", label="Model", elem_id="fam-p-mode",
                          info="Sketch → emoji: pix2pix-sketch-vendor, in the style you pick. Twemoji → Noto (paired): "
                               "pix2pix-twemoji-noto, trained on the same emoji drawn by both vendors.")
        with gr.Row(visible=False) as q_row:
            with gr.Column(scale=1, min_width=300):
                count = _pair_count()
                q_index = gr.Slider(0, max(0, count - 1), value=min(3, count - 1), step=1,
                                    label="Held-out emoji", elem_id="fam-q-index",
                                    info="Drawn by both vendors, never seen in training.")
                q_upload = gr.Image(label="…or upload a colour emoji (Twemoji-like)", type="filepath",
                                    sources=["upload", "clipboard"], height=140, elem_id="fam-q-upload")
                gr.Markdown("An upload is centre-cropped to a square and resized to 32x32; it has no real Noto "
                            "drawing to compare with.")
            with gr.Column(scale=2):
                with gr.Row():
                    q_images = [_image(label, f"fam-q-{k}", 180) for k, label in enumerate(
                        ("Twemoji (input)", "pix2pix's Noto-style output", "Real Noto (same emoji)"))]
                q_text = gr.Markdown(elem_id="fam-q-text")
        with gr.Row() as p_row:
            with gr.Column(scale=1, min_width=300):
                p_style = gr.Radio(["Noto", "Twemoji"], value="Noto", label="Draw in the style of",
                                   elem_id="fam-p-style",
                                   info="pix2pix-sketch-vendor: the sketch plus a channel naming the vendor.")
                p_draw = gr.Sketchpad(
                    label="Draw here", elem_id="fam-p-draw",
                    canvas_size=(CANVAS_PX, CANVAS_PX), fixed_canvas=True, layers=False, transforms=(),
                    brush=gr.Brush(colors=["#000000"], default_size=BRUSH_PX, color_mode="fixed"),
                    eraser=gr.Eraser(default_size=BRUSH_PX * 3), format="png", height=CANVAS_PX + 110,
                    buttons=["download"])
                gr.Markdown(f"Black brush on white; the emoji redraws after each stroke. Your {CANVAS_PX}x"
                            f"{CANVAS_PX} drawing is turned grey and reduced to 32x32 by area averaging, so a brush "
                            "stroke becomes a soft stroke about 1.5 px wide, like the training sketches (Canny edges "
                            "of each emoji, thickened); its ink is then scaled so the darkest stroke is black. "
                            "Outlines and a few features (eyes, mouth) work best. Every training sketch was paired "
                            "with both vendors' drawings of its emoji, so the style you pick, not your strokes, "
                            "decides between Noto's and Twemoji's look.")
                count = 2 * _pair_count()  # opens on 428, the pleading face: near the median PSNR of the test set
                p_index = gr.Slider(0, max(0, count - 1), value=min(428, count - 1), step=1,
                                    label="…or a held-out test sketch", elem_id="fam-p-index",
                                    info=f"0..{count // 2 - 1}: made from Noto drawings; {count // 2}..{count - 1}: "
                                         "the same emoji's Twemoji drawings.")
                p_upload = gr.Image(label="…or upload a line drawing (dark lines on white)", type="filepath",
                                    sources=["upload", "clipboard"], height=140, elem_id="fam-p-upload")
            with gr.Column(scale=2):
                with gr.Row():
                    p_images = [_image(label, f"fam-p-{k}", 180) for k, label in enumerate(
                        ("Sketch as the model sees it (32x32)", "pix2pix's emoji", "Real emoji (test sketches)"))]
                p_text = gr.Markdown(elem_id="fam-p-text")

    with gr.Column(variant="panel", elem_id="fam-cyclegan"):
        _card_head("cyclegan", 6)
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                c_dir = gr.Radio(list(CYCLE_DIRECTIONS), value="Twemoji → Noto", label="Direction",
                                 elem_id="fam-c-dir")
                count = _pair_count()
                c_index = gr.Slider(0, max(0, count - 1), value=min(3, count - 1), step=1,
                                    label="Held-out emoji", elem_id="fam-c-index",
                                    info="Drawn by both vendors, never seen in training (in either style).")
                c_upload = gr.Image(label="…or upload an emoji", type="filepath", sources=["upload", "clipboard"],
                                    height=140, elem_id="fam-c-upload")
                gr.Markdown("An upload is centre-cropped to a square and resized to 32x32; it has no real "
                            "counterpart in the other style.")
            with gr.Column(scale=3):
                with gr.Row():
                    c_images = [_image(label, f"fam-c-{k}", 180) for k, label in enumerate(
                        ("Twemoji (input)", "Twemoji → Noto", "Twemoji → Noto → Twemoji", "Real Noto (same emoji)"))]
        c_text = gr.Markdown(elem_id="fam-c-text")

    with gr.Column(variant="panel", elem_id="fam-text"):
        _card_head("text", 7)
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                t_phrase = gr.Textbox("red heart", label="Phrase", max_lines=1, max_length=family.MAX_PHRASE,
                                      elem_id="fam-t-phrase", info="Emoji names work best; the picture redraws "
                                      "as you type. Words like 'the', 'of' are left out.")
                gr.Examples([[p] for p in _text_examples()], [t_phrase], label="Phrases the model knows",
                            elem_id="fam-t-examples")
                t_seed = _seed("Seed", 0, "fam-t-seed", "Images use seeds seed .. seed+7; the interpolation "
                                                        "below uses the seed itself.")
            with gr.Column(scale=3):
                t_grid = _image("Eight images of the phrase (one seed each)", "fam-t-grid")
                t_words = gr.Markdown(elem_id="fam-t-words")
        gr.Markdown("#### Interpolate between two phrases")
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                t_phrase_b = gr.Textbox("cat face", label="Phrase B (phrase A is the one above)", max_lines=1,
                                        max_length=family.MAX_PHRASE, elem_id="fam-t-phrase-b")
            with gr.Column(scale=3):
                t_strip = _image("Phrase A → phrase B at one seed", "fam-t-strip")
                t_strip_text = gr.Markdown(elem_id="fam-t-strip-text")

    v_in, v_out = [v_data, v_seed], [v_mlp, v_dcgan, v_text]
    a_in, a_out = [a_data, a_seed, a_seed_b], [a_vae, a_gan, a_recon, a_path, a_text]
    l_in, l_out = [l_class, *l_seeds], [*l_levels, l_text]
    s_in, s_out = [s_index, s_upload], [*s_images, s_text]
    gr.on([tab.select, v_data.input, v_seed.input], show_vanilla, v_in, v_out, api_name="family_vanilla_ui", **LIVE)
    gr.on([tab.select, a_data.input, a_seed.input, a_seed_b.input], show_vae, a_in, a_out,
          api_name="family_vae_ui", **LIVE)
    gr.on([tab.select, l_class.input, *[s.input for s in l_seeds]], show_lapgan, l_in, l_out,
          api_name="family_lapgan_ui", **LIVE)
    # preprocess=False: the upload arrives as a file reference and ui.uploads reads it, header first.
    gr.on([tab.select, s_index.input, s_upload.change], show_superres, s_in, s_out, api_name="family_superres_ui",
          preprocess=False, **LIVE)
    p_out = [*p_images, p_text]
    gr.on([tab.select, p_index.input], show_pix2pix_test, [p_index, p_style], p_out, api_name="family_pix2pix_ui",
          **LIVE)
    tab.select(None, js=brush_ready_js("fam-p-draw"))
    # preprocess=False: read_canvas decodes the composite alone, header first (Gradio would decode every layer).
    p_draw.change(lambda payload, style: show_pix2pix_drawing(read_canvas(p_draw, payload), style), [p_draw, p_style],
                  p_out, api_name="family_pix2pix_draw_ui", preprocess=False, **LIVE)
    p_upload.change(show_pix2pix_upload, [p_upload, p_index, p_style], p_out, api_name="family_pix2pix_upload_ui",
                    preprocess=False, **LIVE)
    p_style.input(lambda payload, upload, index, style: show_pix2pix_restyled(read_canvas(p_draw, payload), upload,
                                                                              index, style),
                  [p_draw, p_upload, p_index, p_style], p_out, api_name="family_pix2pix_style_ui", preprocess=False,
                  **LIVE)
    gr.on([tab.select, c_dir.input, c_index.input, c_upload.change], show_cyclegan, [c_index, c_upload, c_dir],
          [*c_images, c_text], api_name="family_cyclegan_ui", preprocess=False, **LIVE)
    q_out = [*q_images, q_text]
    # preprocess=False: the upload arrives as a file reference and ui.uploads reads it, header first.
    p_mode.input(switch_pix2pix_mode, [p_mode, q_index, q_upload], [p_row, q_row, *q_out],
                 api_name="family_pix2pix_mode_ui", preprocess=False, **LIVE)
    gr.on([q_index.input, q_upload.change], show_twemoji_noto, [q_index, q_upload], q_out,
          api_name="family_pix2pix_twemoji_ui", preprocess=False, **LIVE)
    # The text card redraws as one types (always_last: the final text is always drawn); preprocess=False keeps
    # the phrase as sent, for family.check_phrase to judge whole.
    gr.on([tab.select, t_phrase.change, t_seed.input], show_text, [t_phrase, t_seed], [t_grid, t_words],
          api_name="family_text_ui", preprocess=False, **LIVE)
    gr.on([tab.select, t_phrase.change, t_phrase_b.change, t_seed.input], show_text_interpolation,
          [t_phrase, t_phrase_b, t_seed], [t_strip, t_strip_text], api_name="family_text_interpolate_ui",
          preprocess=False, **LIVE)


def _test_count() -> int:
    try:
        return len(real_images.test_split(family.SR_DATASET))
    except Exception:  # the card still lays out; picking an image then shows the error
        return 1


def _pair_count() -> int:
    """Held-out emoji-styles pairs (cheap to load). emoji-sketch's test split holds the same code points twice
    (sketches of the Noto drawings, then of the Twemoji ones), so its slider needs no slow sketch load at build."""
    try:
        return len(real_images.test_split(family.STYLES_DATASET))
    except Exception:  # the card still lays out; picking an image then shows the error
        return 1
