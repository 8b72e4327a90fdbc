"""Checkpoint folders: weight init, fixed-noise sample grids, export and warm start (the card: training/card.py).

Shared by the training CLI (training/train.py) and the live trainer (training/live.py), so both write the
same folder: config.json + model.safetensors (G), discriminator/ (config.json + model.safetensors),
samples.png, training.json, eval.json (after `python -m training.evaluate`) and README.md.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, replace
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torchvision.utils import make_grid, save_image

from gan_models.kinds import ModelConfig, kind_of
from gan_models.model import InstanceDrawing
from gan_models.registry import D_FOLDER, ModelLoadError, load_weights, read_config
from gan_models.srgan import bicubic, downscale
from gan_models.textgan import sample_phrases
from training.data import load_dataset, to_float

SAMPLE_SEED = 1234  # the fixed noise of every sample grid


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
        if isinstance(G, InstanceDrawing):
            labels = G.draw_instances(batch_size, g).to(device)
        elif config.num_classes:
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
    if isinstance(G, InstanceDrawing):  # fixed instances too, drawn as the model draws them
        labels = G.draw_instances(len(z), torch.Generator().manual_seed(SAMPLE_SEED))
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


def columns_of(kind: str) -> tuple[str, ...]:
    return COLUMNS["superres" if kind_of(kind).task == "superres" else kind]


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
    return dict(zip(columns_of(config.kind), images, strict=True))


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


NAMED_AFTER_TRAINING = ("code_names",)  # written into config.json by hand once a run's traversals were read


def names_from(folder: Path, config: ModelConfig) -> ModelConfig:
    """`config` with the names a person gave `folder`'s model after training (InfoGAN's code names), so that a
    run warm-started from it keeps them; unchanged when the folder has none or cannot be read (warm_start then
    says why)."""
    try:
        saved = asdict(read_config(folder))
    except (ModelLoadError, OSError, ValueError):
        return config
    names = {k: saved[k] for k in NAMED_AFTER_TRAINING if k in saved and hasattr(config, k)}
    return replace(config, **names) if saved.get("kind") == config.kind else config


def warm_start(folder: Path, config: ModelConfig, G: torch.nn.Module, D: torch.nn.Module | None) -> dict:
    """Load an exported folder's generator and discriminator into freshly built G and D of the same config.

    For continuing a run whose state.pt is gone: the folder keeps G (its weight average, when the recipe keeps
    one) and D but not Adam's moments nor the raw G, so this is a warm start, not an exact resume. Returns the
    folder's steps and wall time, which the new run counts on from.
    """
    try:
        saved, wanted = asdict(read_config(folder)), asdict(config)
        if saved != wanted:
            differ = sorted(k for k, v in wanted.items() if saved.get(k) != v)
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


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m training.checkpoint", description="checkpoint folder tools")
    parser.add_argument("--halve", type=Path, metavar="FOLDER", required=True,
                        help="store FOLDER/model.safetensors as float16")
    print(f"{halve_weights(parser.parse_args().halve):,} bytes")
