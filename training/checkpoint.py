"""Checkpoint folders: weight init, fixed-noise sample grids, export, and the model card.

Shared by the training CLI (training/train.py) and the live trainer (training/live.py), so both write the
same folder: config.json + model.safetensors (G), discriminator/ (config.json + model.safetensors),
samples.png, training.json, eval.json (after `python -m training.evaluate`) and README.md.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torchvision.utils import make_grid, save_image

from gan_models.kinds import ModelConfig, config_from_dict, kind_of
from gan_models.registry import D_FOLDER, ModelLoadError, load_weights, read_config
from gan_models.srgan import bicubic, downscale
from gan_models.textgan import sample_phrases
from training.data import load_dataset, to_float

SAMPLE_SEED = 1234  # the fixed noise of every sample grid
EMOJI_CREDIT = ("emoji images from Noto Emoji, Copyright Google Inc., Apache License 2.0, and Twemoji, Copyright "
                "Twitter, Inc. and other contributors, CC-BY 4.0 (training/assets/EMOJI-LICENSES.md)")


def init_weights(m: torch.nn.Module) -> None:
    """DCGAN paper init: conv weights N(0, 0.02), BatchNorm gamma N(1, 0.02), beta 0."""
    if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d):
        # a spectrally normalised layer computes .weight from .parametrizations.weight.original
        parametrized = getattr(getattr(m, "parametrizations", None), "weight", None)
        torch.nn.init.normal_(parametrized.original if parametrized is not None else m.weight, 0.0, 0.02)
    elif isinstance(m, torch.nn.BatchNorm2d):
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


def fixed_noise(config: ModelConfig, rows: int = 8) -> tuple[torch.Tensor, torch.Tensor | None, int]:
    """The sample-grid inputs (z, labels, images per row): one column per class for conditional models
    (`rows` rows), else a rows x rows square. Fixed noise, so grids of one run are comparable over time."""
    g = torch.Generator().manual_seed(SAMPLE_SEED)
    if config.num_classes:
        n, nrow = rows * config.num_classes, config.num_classes
        labels = torch.arange(config.num_classes).repeat(rows)
    else:
        n, nrow, labels = rows * rows, rows, None
    return torch.randn(n, config.latent_dim, generator=g), labels, nrow


@torch.no_grad()
def recalibrate_batchnorm(G: torch.nn.Module, config: ModelConfig, batches: int = 20, batch_size: int = 64) -> None:
    """Replace G's BatchNorm running stats by exact averages over fresh samples of the final weights.

    The app runs G in eval mode, where BatchNorm uses running stats; the momentum-averaged stats lag behind
    the last updates, so they are recomputed once before export (cumulative average: momentum=None).
    """
    bns = [m for m in G.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    # Image-to-image models keep the statistics of the real inputs they were trained on (there is no prior to
    # draw fresh inputs from).
    if not bns or kind_of(config.kind).task != "generate":
        return
    saved = [(m.momentum, copy.deepcopy(m.state_dict())) for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    g = torch.Generator().manual_seed(SAMPLE_SEED + 1)
    device = next(G.parameters()).device
    G.train()
    for _ in range(batches):
        z = torch.randn(batch_size, config.latent_dim, generator=g).to(device)
        labels = None
        if config.num_classes:
            labels = torch.randint(0, config.num_classes, (batch_size,), generator=g).to(device)
        G(z, labels)
    for m, (momentum, state) in zip(bns, saved, strict=True):
        m.momentum = momentum
        if int(m.num_batches_tracked) == 0:  # not on the sampling path (a VAE's encoder): keep what it learned
            m.load_state_dict(state)


@torch.no_grad()
def sample_grid(G: torch.nn.Module, config: ModelConfig, path: Path) -> None:
    """Save the fixed-noise grid as the app will render it: G in eval mode (for a super-resolution model,
    `comparison_grid` for image-to-image models)."""
    if kind_of(config.kind).task == "text":
        text_grid(G, config, path)
        return
    if kind_of(config.kind).task != "generate":
        comparison_grid(G, config, path)
        return
    z, labels, nrow = fixed_noise(config)
    device = next(G.parameters()).device
    was_training = G.training
    G.eval()
    x = G(z.to(device), None if labels is None else labels.to(device)).float().cpu()
    G.train(was_training)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(make_grid(x, nrow=nrow, normalize=True, value_range=(-1, 1), padding=2), str(path))


@torch.no_grad()
def text_grid(G: torch.nn.Module, config: ModelConfig, path: Path, seeds: int = 8) -> None:
    """One row per sample phrase (gan_models.textgan.sample_phrases), one column per fixed-noise seed."""
    phrases = sample_phrases(config)
    z = torch.randn(seeds, config.latent_dim, generator=torch.Generator().manual_seed(SAMPLE_SEED))
    device = next(G.parameters()).device
    was_training = G.training
    G.eval()
    ids = G.text.ids([p for p in phrases for _ in range(seeds)]).to(device)
    x = G(z.repeat(len(phrases), 1).to(device), ids).float().cpu()
    G.train(was_training)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(make_grid(x, nrow=seeds, normalize=True, value_range=(-1, 1), padding=2), str(path))


COLUMNS = {"superres": ("input (nearest)", "bicubic", "model", "real"),
           "cyclegan": ("Twemoji (A)", "A -> Noto", "-> back to A", "real Noto (B)"),
           "pix2pix": ("input", "model", "real")}


def _columns_of(kind: str) -> tuple[str, ...]:
    return COLUMNS["superres" if kind_of(kind).task == "superres" else kind]


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


@torch.no_grad()
def comparison_columns(G: torch.nn.Module, config: ModelConfig, n: int = 8) -> dict[str, torch.Tensor]:
    """An image-to-image model on the first `n` (seeded) test images: named columns [n, 3, H, W] in [-1, 1],
    left to right: its input, baselines, its output(s) and the real target."""
    test = load_dataset(config.dataset, "test", image_size=config.image_size, channels=config.channels)
    pick = torch.randperm(len(test.images), generator=torch.Generator().manual_seed(SAMPLE_SEED))[:n]
    real = to_float(test.images[pick])
    device = next(G.parameters()).device
    was_training = G.training
    G.eval()
    try:
        if kind_of(config.kind).task == "superres":
            low = downscale(real, config.scale)
            near = torch.nn.functional.interpolate(low, size=real.shape[-2:], mode="nearest")
            images = (near, bicubic(low, config.image_size).clamp(-1, 1),
                      G(low.to(device)).float().cpu().clamp(-1, 1), real)
        else:
            source = to_float(test.inputs[pick])
            shown = source if source.shape[1] == 3 else source[:, :1].expand(-1, 3, -1, -1)  # a sketch as RGB
            if config.kind == "cyclegan":
                there = G(source.to(device), "a2b")
                images = (shown, there.float().cpu(), G(there, "b2a").float().cpu(), real)
            else:
                images = (shown, G(source.to(device)).float().cpu(), real)
    finally:
        G.train(was_training)
    return dict(zip(_columns_of(config.kind), images, strict=True))


def comparison_grid(G: torch.nn.Module, config: ModelConfig, path: Path) -> None:
    columns = comparison_columns(G, config)
    rows = torch.stack(list(columns.values()), dim=1).flatten(0, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(make_grid(rows, nrow=len(columns), normalize=True, value_range=(-1, 1), padding=2), str(path))


def export(G: torch.nn.Module, D: torch.nn.Module | None, out: Path) -> None:
    """Write the checkpoint folder: config.json + model.safetensors for G and for D (in discriminator/)."""
    out.mkdir(parents=True, exist_ok=True)
    G.save_pretrained(out)
    if D is not None:
        D.save_pretrained(out / "discriminator")
        (out / "discriminator" / "README.md").unlink(missing_ok=True)  # the main card describes both


def warm_start(folder: Path, config: ModelConfig, G: torch.nn.Module, D: torch.nn.Module | None) -> dict:
    """Load an exported folder's generator and discriminator into freshly built G and D of the same config.

    For continuing a run whose state.pt is gone: the folder keeps G (its weight average, when the recipe keeps
    one) and D but not Adam's moments nor the raw G, so this is a warm start, not an exact resume. Returns the
    folder's steps and wall time, which the new run counts on from.
    """
    try:
        saved = read_config(folder)
        if asdict(saved) != asdict(config):
            differ = sorted(k for k, v in asdict(config).items() if asdict(saved).get(k) != v)
            raise ModelLoadError(f"{folder} was trained with another config (differs in {', '.join(differ)})")
        load_weights(G, folder, "generator")
        if D is not None:
            load_weights(D, folder / D_FOLDER, "discriminator")
        info = json.loads((folder / "training.json").read_text(encoding="utf-8"))
        return {"folder": str(folder), "steps": int(info["steps"]), "wall_time_s": float(info["wall_time_s"])}
    except (ModelLoadError, OSError, ValueError, KeyError) as e:
        raise SystemExit(f"--init-from {folder}: {e}") from None


def halve_weights(folder: Path) -> int:
    """Store a checkpoint's generator weights as float16 (the registry casts them back to float32 on load):
    half the bytes, for a model over the repository's per-folder budget. Returns the new file size."""
    path = Path(folder) / "model.safetensors"
    state = load_file(str(path))
    save_file({k: v.half() if v.is_floating_point() else v for k, v in state.items()}, str(path),
              metadata={"format": "pt"})
    return path.stat().st_size


def make_optimizers(G: torch.nn.Module, D: torch.nn.Module, lr_g: float, lr_d: float):
    """Adam with the DCGAN paper's betas (0.5, 0.999) for both networks (what every trainer here uses)."""
    return (torch.optim.Adam(G.parameters(), lr=lr_g, betas=(0.5, 0.999)),
            torch.optim.Adam(D.parameters(), lr=lr_d, betas=(0.5, 0.999)))


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
        ("Samples above: seeded test images, one per row: " + ", ".join(_columns_of(kind_name)) + "."
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
    return [
        "", "## How it was made", "",
        f"- Command: `{info['command']}`",
        f"- Data: {info['data']}",
        f"- Steps: {info['steps']}{steps_note} (batch {info['batch_size']} x {info['world_size']} process(es), Adam lr "
        f"{info['lr']}" + _objective_note(config, info) + ")",
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


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m training.checkpoint", description="checkpoint folder tools")
    parser.add_argument("--halve", type=Path, metavar="FOLDER", required=True,
                        help="store FOLDER/model.safetensors as float16")
    print(f"{halve_weights(parser.parse_args().halve):,} bytes")
