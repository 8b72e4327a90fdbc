"""What a learner gets from the Train tab's defaults (ui.train_tab.PAGE_DEFAULTS) before changing anything, beside
the previous defaults (an unconditional DCGAN, 200 steps, no recipe): wall time on this machine, and how well the
samples read as the digits they should be, by the evaluation classifier (checkpoints/classifiers/digits, trained
on real digits only). Class match needs a class per sample, so the unconditional baseline reports how many of its
samples the classifier is confident about (max probability > 0.9) and how many classes they cover.

    python benchmarks/train_defaults.py [--samples 1000]

Writes each run's sample grid to artifacts/train-defaults-<name>.png to look at.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.classifier import classifier_for  # noqa: E402
from training.data import to_float  # noqa: E402
from training.device import cpu_threads  # noqa: E402
from training.live import LiveTrainer  # noqa: E402
from training.live_config import LiveTrainConfig  # noqa: E402
from ui.train_tab import PAGE_DEFAULTS, RECIPE  # noqa: E402

BEFORE = {"dataset": "digits", "model": "dcgan", "latent_dim": 32, "steps": 200, "batch_size": 32, "width": 16,
          "recipe": False}


def config_of(settings: dict) -> LiveTrainConfig:
    return LiveTrainConfig(dataset=settings["dataset"], model=settings["model"], latent_dim=settings["latent_dim"],
                           steps=settings["steps"], batch_size=settings["batch_size"], base_channels=settings["width"],
                           device="cpu", **(RECIPE if settings["recipe"] else {}))


def run(name: str, settings: dict, samples: int) -> None:
    trainer = LiveTrainer(config_of(settings))
    start = time.perf_counter()
    with cpu_threads(1, trainer.device):  # as the Train tab's worker runs it
        for _ in range(settings["steps"]):
            trainer.train_one()
    seconds = time.perf_counter() - start
    grid = trainer.sample_grid()
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).resize(
        (grid.shape[1] * 3, grid.shape[0] * 3), Image.NEAREST).save(artifacts / f"train-defaults-{name}.png")

    G = trainer.shipped_generator.eval()
    g = torch.Generator().manual_seed(0)
    z = torch.randn(samples, settings["latent_dim"], generator=g)
    labels = torch.arange(samples) % 10 if trainer.conditional else None
    with torch.inference_mode():
        fake = G(z, labels)
        probs = classifier_for("digits")(to_float(((fake.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8))).softmax(1)
    confident = probs.max(1).values > 0.9
    covered = len(set(probs.argmax(1)[confident].tolist()))
    line = (f"{name:7s} {settings['model']:6s} {settings['steps']:5d} steps  recipe {str(settings['recipe']):5s} "
            f"{seconds:6.1f} s  confident {confident.float().mean():.2f} over {covered} classes")
    if labels is not None:
        line += f"  class match {(probs.argmax(1) == labels).float().mean():.3f}"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    torch.manual_seed(0)
    np.random.seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads available, training on 1 (the tab's)")
    run("before", BEFORE, args.samples)
    run("now", PAGE_DEFAULTS, args.samples)


if __name__ == "__main__":
    main()
