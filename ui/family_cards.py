"""The GAN family tab's per-card callbacks: each asks the shared views (ui.family_views, also behind the public
endpoints) for its images and JSON info and turns the info into the card's readout text; a model that is not
there yet, or a blank drawing, becomes a message in the readout instead of an error popup."""

from __future__ import annotations

from typing import Any

import gradio as gr

from gan_models import family
from gan_models import latent as L
from ui import family_views
from ui.common import user_errors

NAMES = {"mlpgan": "vanilla GAN (MLP)", "dcgan": "DCGAN", "cdcgan": "conditional DCGAN", "vae": "VAE"}


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


def _unavailable(count: int, error: ValueError) -> tuple:
    """A card that cannot draw now (its model is not there yet, or a phrase it cannot read): empty images and
    the reason in its readout."""
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


def show_text(phrase: Any, seed: Any) -> tuple:
    # The card redraws as one types: a half-typed word is a message in the words line, not an error popup.
    try:
        grid, info = family_views.text_view(phrase, seed)
    except ValueError as error:
        return _unavailable(1, error)
    text = f"{info['words']}\n\nSeeds {info['seeds'][0]}..{info['seeds'][-1]}, `{info['model']}`"
    text += f" ({info['parameters']:,} weights" + (f", {info['steps']:,} training steps)." if info["steps"] else ").")
    if info["note"]:
        text += f"\n\n⚠️ {info['note']}"
    return grid, text


def show_text_interpolation(phrase_a: Any, phrase_b: Any, seed: Any) -> tuple:
    try:
        strip, info = family_views.text_interpolate_view(phrase_a, phrase_b, seed)
    except ValueError as error:
        return _unavailable(1, error)
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
