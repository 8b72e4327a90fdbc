"""The model card (README.md) of a checkpoint folder, written from its training.json, config.json and eval.json.

Written by the training CLI at each export and again by `python -m training.evaluate` once the scores exist.
"""

from __future__ import annotations

import json
from pathlib import Path

from gan_models.kinds import ModelConfig, config_from_dict, kind_of
from gan_models.textgan import sample_phrases
from training.checkpoint import columns_of

EMOJI_CREDIT = ("emoji images from Noto Emoji, Copyright Google Inc., Apache License 2.0, and Twemoji, Copyright "
                "Twitter, Inc. and other contributors, CC-BY 4.0 (training/assets/EMOJI-LICENSES.md)")


def _objective_note(config: ModelConfig, info: dict) -> str:
    """What was minimised, for the card's Steps line (the CLI's optimisers: training/train.py setup)."""
    gan = f", betas (0.5, 0.999); {info.get('recipe', 'non-saturating loss')}"
    if config.kind == "vae":
        return ", betas (0.9, 0.999); negative ELBO"
    if config.kind == "textgan":
        return (f"{gan}; matching-aware D (real/mismatched/fake text), GAN-INT weight {config.int_weight}, "
                f"text encoder trained jointly with a contrastive image-text term (weight "
                f"{config.contrastive_weight})")
    if config.kind == "srresnet":
        return ", betas (0.9, 0.999); L1 to the real image"
    if config.kind == "srgan":
        return f"{gan}; G: L1 + {config.adversarial_weight} x adversarial"
    return gan


CARD_KIND_NAMES = {"dcgan": "DCGAN", "cdcgan": "class-conditional DCGAN", "mlpgan": "vanilla (fully connected) GAN",
                   "vae": "variational autoencoder (VAE)", "infogan": "InfoGAN", "lapgan": "LAPGAN",
                   "srresnet": "SRResNet (L1 only)", "srgan": "SRGAN",
                   "textgan": "text-to-image GAN (GAN-CLS + GAN-INT)", "pix2pix": "pix2pix", "cyclegan": "CycleGAN"}


def _with_article(name: str, capital: bool = False) -> str:
    """'an InfoGAN', 'an SRGAN' (said "ess-are"), 'a DCGAN'."""
    article = "an" if name[0] in "AEIOUaeiou" or name.startswith("SR") else "a"
    return f"{article.title() if capital else article} {name}"


def write_model_card(out: Path) -> None:
    """README.md from training.json (+ eval.json when `python -m training.evaluate` has run)."""
    info = json.loads((out / "training.json").read_text())
    cfg = json.loads((out / "config.json").read_text())
    ev = json.loads((out / "eval.json").read_text()) if (out / "eval.json").exists() else None
    config = config_from_dict(cfg)
    task = kind_of(config.kind).task
    lines = [*_card_head(out, config, cfg["dataset"]), *_card_making(info, config, cfg["dataset"]),
             "", "## Quality", ""]
    if ev is None:
        lines.append("Not evaluated yet: run `python -m training.evaluate " + str(out) + "`.")
    elif task == "text":
        lines += text_quality_lines(ev)
    elif task != "generate":
        lines += _image_to_image_quality_lines(ev, superres=task == "superres")
    else:
        lines += _generator_quality_lines(ev)
    lines += ["", "## Load", "", "```python", "from gan_models import registry",
              f"model = registry.load_from_folder('checkpoints/{out.name}')  # or registry.load('{out.name}')",
              "```", ""]
    (out / "README.md").write_text("\n".join(lines))


def _card_head(out: Path, config: ModelConfig, dataset: str) -> list[str]:
    """The card's front matter, title, what the model is and what its sample grid shows."""
    kind_name = config.kind
    kind = CARD_KIND_NAMES.get(kind_name, kind_name)
    task = kind_of(kind_name).task
    superres, text, to_image = task == "superres", task == "text", task not in ("generate", "text")
    channels = "1 channel" if config.channels == 1 else f"{config.channels} channels"
    return [
        "---", "library_name: pytorch", f"tags: [gan, {kind_name}, gan-latent-explorer, pytorch_model_hub_mixin]",
        "license: mit", "---", "",
        f"# {out.name}: {kind} on {dataset}", "",
        (f"{_with_article(kind, capital=True)} {config.scale}x super-resolution model ({config.low_size}x"
         f"{config.low_size} -> {config.image_size}x{config.image_size}, {channels}) for GAN Latent Explorer. "
         if superres else
         f"{_with_article(kind, capital=True)} ({config.image_size}x{config.image_size}, {channels}"
         + (f", latent size {config.latent_dim}" if config.latent_dim else "") + ") for GAN Latent Explorer. ")
        + ("Encoder and decoder in this folder (the decoder is the generator Explore draws with)"
           if kind_name == "vae" else "Network in this folder" if kind_of(kind_name).discriminator is None
           else "Generator in this folder, discriminator (logits) in `discriminator/`")
        + "; `huggingface_hub.PyTorchModelHubMixin` models stored as safetensors.",
        "", "![samples](samples.png)", "",
        ("Samples above: seeded test images, one per row: " + ", ".join(columns_of(kind_name)) + "."
         if to_image else
         "Samples above: one row per phrase (" + "; ".join(sample_phrases(config)) + "), one column per fixed "
         "noise vector (seed 1234), generator in eval mode." if text else
         "Samples above: fixed noise (seed 1234), generator in eval mode"
         + (", one column per class: " + ", ".join(config.class_names) if config.num_classes else "") + "."),
    ]


def _card_making(info: dict, config: ModelConfig, dataset: str) -> list[str]:
    """How it was made: command, data, steps, wall time, losses, notes, the data's licence."""
    target = info.get("target_steps", info["steps"])
    steps_note = f" of {target} planned (exported mid-run)" if info["steps"] < target else ""
    decay = f", decayed linearly to 0 from step {info['lr_decay_from']}" if info.get("lr_decay_from") else ""
    d_rate = f" (D {info['d_lr']})" if "d_lr" in info else ""  # recorded only where D's rate differs from G's
    return [
        "", "## How it was made", "",
        f"- Command: `{info['command']}`",
        f"- Data: {info['data']}",
        f"- Steps: {info['steps']}{steps_note} (batch {info['batch_size']} x {info['world_size']} process(es), Adam lr "
        f"{info['lr']}{d_rate}{decay}" + _objective_note(config, info) + ")",
        f"- Wall time: {info['wall_time_s'] / 60:.1f} min on {info['hardware']}",
        "- Final losses: " + ", ".join(f"{k} {v:.3f}" for k, v in info["final"].items()),
        *([f"- Warm start: from `{info['init_from']['folder']}` at step {info['init_from']['steps']} (its G and D; "
            "Adam's moments and the raw G were not saved there, so restarted)"] if info.get("init_from") else []),
        *([f"- Notes: {info['notes']}"] if info.get("notes") else []),
        *([f"- Licence of the data: {EMOJI_CREDIT}"] if dataset.startswith("emoji") else []),
    ]


def _image_to_image_quality_lines(ev: dict, superres: bool) -> list[str]:
    """PSNR / SSIM / L1 per method (and Frechet or cycle error where measured) for super-resolution and
    translation models."""
    what = ("each downscaled 4x and super-resolved" if superres else
            "held-out pairs (their code points never trained on), each input translated")
    lines = [f"Measured by `python -m training.evaluate {ev['checkpoint']}` on {ev['n_test']} real test "
             f"images, {what}; PSNR in dB on [0, 1] pixels, SSIM by torchmetrics, L1 on [0, 1] pixels.", "",
             "| method | PSNR | SSIM | L1 |", "|---|---|---|---|"]
    lines += [f"| {name} | {m['psnr']:.2f} | {m['ssim']:.3f} | {m['l1']:.4f} |" for name, m in ev["methods"].items()]
    extra = {"frechet_output_vs_target": "Frechet distance, emoji-classifier features: outputs vs real targets",
             "frechet_input_vs_target": "Frechet distance: inputs (untranslated) vs real targets",
             "cycle_l1": "cycle error: mean L1 of A -> B -> A against A"}
    return lines + ["", *[f"- {text}: {ev[key]:.3f}" for key, text in extra.items() if key in ev]]


def _generator_quality_lines(ev: dict) -> list[str]:
    """Class match, Frechet distance with its floor, density/coverage, reconstruction and the class histogram."""
    lines = [
        f"Measured by `python -m training.evaluate {ev['checkpoint']}` with a small CNN classifier trained "
        f"on the real {ev['dataset']} train split (`checkpoints/classifiers/{ev['dataset']}`); "
        f"{ev['n_generated']} generated samples (truncation 1.0, seed {ev['seed']})"
        + ("; class match and histogram ask for every class equally, the distances for the classes in the train "
           "split's proportions" if ev.get("frechet_class_mix") else "") + ".", "",
        "| metric | value |", "|---|---|",
        f"| classifier accuracy on the real test split | {ev['classifier_test_accuracy']:.3f} |",
    ]
    if ev.get("class_match") is not None:
        lines.append(f"| generated samples classified as the requested class | {ev['class_match']:.3f} "
                     f"({ev['class_match'] / ev['classifier_test_accuracy']:.0%} of the classifier's accuracy) |")
    lines += [
        "| Frechet distance, classifier features: generated vs real test | "
        f"{ev['frechet_generated_vs_test']:.2f} |",
        f"| Frechet distance floor: real train vs real test | {ev['frechet_train_vs_test']:.2f} |",
        f"| Frechet ratio (generated / floor; target <= 3) | "
        f"{ev['frechet_generated_vs_test'] / max(ev['frechet_train_vs_test'], 1e-9):.1f} |",
    ]
    if "frechet_real_at_generated_class_mix" in ev:
        mix = ev["frechet_real_at_generated_class_mix"]
        lines.append(f"| Frechet distance of {mix['n']:,} real train images drawn in the generated class proportions "
                     f"(what the class mix alone costs, as the classifier reads the samples) | {mix['frechet']:.2f} |")
    if "classifier_agreement" in ev:
        agree = ev["classifier_agreement"]
        lines.append("| a second classifier (seed 4) agrees with the first on: generated / real test images (below "
                     "the test figure: samples that are no clear class) | "
                     f"{agree['generated']:.3f} / {agree['test']:.3f} |")
    if "density" in ev:
        lines += [
            f"| density / coverage (Naeem et al. 2020, k=5), generated vs test | {ev['density']:.2f} / "
            f"{ev['coverage']:.2f} |",
            f"| density / coverage floor: real train vs test | {ev['density_train_vs_test']:.2f} / "
            f"{ev['coverage_train_vs_test']:.2f} |",
        ]
    if "reconstruction" in ev:
        r = ev["reconstruction"]
        lines.append(f"| reconstruction of the {r['n_test']} real test images (posterior mean): PSNR / SSIM / "
                     f"MSE on [-1, 1] | {r['psnr']:.2f} dB / {r['ssim']:.3f} / {r['mse']:.4f} |")
    if "rarest_class" in ev:
        r = ev["rarest_class"]
        lines.append(f"| the class drawn least often against its expected share (target: at least half) | {r['class']} "
                     f"{r['share']:.3f} of {r['expected']:.3f} ({r['of_expected']:.2f}) |")
    if "spread" in ev:
        low = min(ev["spread"], key=ev["spread"].get)
        lines.append("| spread: median pixel distance between two samples over that between two real images (1 = as "
                     "varied as the data; near 0: one image for every z)"
                     + (f", lowest class | {low} {ev['spread'][low]:.2f} |" if low != "all" else
                        f" | {ev['spread'][low]:.2f} |"))
    if "face_expressions" in ev:
        f = ev["face_expressions"]
        lines.append("| faces' moods, each read off its nearest training face (smiling / concerned / other): "
                     "generated / real test faces read the same way (reading right on "
                     f"{f['reading_accuracy_on_real_test']:.0%} of real test faces) | "
                     + " / ".join(f"{v:.2f}" for v in f["drawn"].values()) + " vs "
                     + " / ".join(f"{v:.2f}" for v in f["real_test_read_the_same_way"].values()) + " |")
    hist = ev["class_histogram"]
    return lines + ["", "Class histogram of generated samples (by the classifier; mode coverage):", "",
                    "| " + " | ".join(hist) + " |", "|" + "---|" * len(hist),
                    "| " + " | ".join(f"{v:.3f}" for v in hist.values()) + " |"]


def text_quality_lines(ev: dict) -> list[str]:
    """The card's quality table for a text-to-image model (training.evaluate.text_report)."""
    test, train = ev["test"], ev["train"]
    lines = [f"Measured by `python -m training.evaluate {ev['checkpoint']}`: every emoji's Unicode name drawn with "
             f"{ev['seeds_per_name']} seeds; text match = the emoji classifier (`checkpoints/classifiers/emoji`, 8 "
             "classes) puts the image in the named emoji's class, over the names whose emoji is in one of them.",
             "", "| | held-out names (never trained on) | training names |", "|---|---|---|"]
    rows = [("names (with no known word: not drawn)", "names", None),
            ("text match", "text_match", ".3f"),
            ("text match, names shuffled (text ignored)", "text_match_shuffled_names", ".3f"),
            ("classifier on the real drawings (ceiling)", "classifier_on_real_drawings", ".3f")]
    for label, key, fmt in rows:
        if fmt is None:
            cells = [f"{e['names']} ({e['names_without_known_words']})" for e in (test, train)]
        else:
            cells = [format(e[key], fmt) if key in e else "-" for e in (test, train)]
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    if "text_match_by_class" in test:
        lines += ["", "Text match of held-out names by class: " + ", ".join(
            f"{name} {share:.2f}" for name, share in test["text_match_by_class"].items()) + "."]
    if "frechet_generated_vs_real" in test:
        lines += ["", f"- Frechet distance, classifier features, held-out names' images vs their real drawings: "
                  f"{test['frechet_generated_vs_real']:.1f} (floor, real train vs real test: "
                  f"{ev['frechet_train_vs_test']:.1f})"]
    return lines


DATA_NOTES = {
    "animal-mnist": "animal-mnist 0.4 (PyPI, MIT): 28x28 grayscale silhouettes, 10 classes; seeded stratified "
                    "80/20 split (training.data, seed 0): 8,000 train images used",
    "emoji": "Noto Emoji (Google, Apache-2.0) and Twemoji (Twitter, CC-BY 4.0) from emoji-datasource-google/-twitter "
             "16.0.0, 32x32 RGB composited on white (training/assets/emoji-32.npz), 8 classes of Unicode "
             "subcategories (training.data.EMOJI_CLASSES), skin-tone variants included; seeded stratified 80/20 "
             "split over code points, exact duplicate drawings dropped: 1,483 train images used",
    "emoji-faces": "the face-* subcategories of Smileys & Emotion from Noto Emoji (Google, Apache-2.0) and Twemoji "
                   "(Twitter, CC-BY 4.0), 32x32 RGB (training/assets/emoji-32.npz); seeded 80/20 split over code "
                   "points: 176 train images used",
    "emoji-text": "Noto Emoji (Google, Apache-2.0) and Twemoji (Twitter, CC-BY 4.0), 32x32 RGB "
                  "(training/assets/emoji-32.npz), every emoji without skin-tone variants, captioned by its Unicode "
                  "name, short names and subcategory (emoji-datasource 16.0.0 metadata); seeded 80/20 split over code "
                  "points, exact duplicate drawings dropped: 3,019 train images used",
    "digits": "scikit-learn load_digits (8x8, upsampled bilinearly to 28x28); seeded stratified 80/20 split "
              "(training.data, seed 0): 1,437 train images used",
}

