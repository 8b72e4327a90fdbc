"""The small-data recipe, one option at a time: train the same conditional model at equal steps with each
option added in turn, score each with training.evaluate, and print the table README shows.

    python benchmarks/recipe_ablation.py [--dataset emoji] [--steps 1500] [--n 2000] [--out runs/ablation]

Rows are cumulative (plain -> + hinge -> + spectral norm -> + DiffAugment -> + EMA), the order in which the
options are usually introduced; each row is its own run from the same seed and data, except the EMA row: an EMA
never changes training, so the DiffAugment run keeps one and both its raw G and its average are scored. A last
row repeats what ships without DiffAugment's colour jitter.
A row whose eval.json exists in --out is not run again (a stopped ablation continues). Also prints steps/s
of each run (one CPU thread), so the cost of each option sits next to its effect.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.evaluate import evaluate  # noqa: E402
from training.train import main as train  # noqa: E402

RECIPE = ["--loss", "hinge", "--spectral-norm"]
# (row, flags, the row its weight average is scored as: None where the export, an average, is the row itself)
ROWS = [
    ("plain (BCE, BatchNorm D)", [], None),
    ("+ hinge loss", ["--loss", "hinge"], None),
    ("+ spectral norm in D", RECIPE, None),
    ("+ DiffAugment (raw G)", [*RECIPE, "--diffaugment", "color,translation,cutout", "--ema", "0.999"],
     "+ EMA of G (0.999), what ships"),
    # Emoji classes are told apart by colour (yellow faces, red hearts, green plants): DiffAugment's colour
    # jitter may blur exactly what D should check.
    ("the same without colour augmentation", [*RECIPE, "--diffaugment", "translation,cutout", "--ema", "0.999"],
     None),
]


def raw_generator_folder(folder: Path, state_path: Path, out: Path) -> Path:
    """The run's raw (not averaged) G as a checkpoint folder, BatchNorm recalibrated like every export."""
    import shutil

    import torch

    from gan_models.registry import load_from_folder
    from training.checkpoint import recalibrate_batchnorm

    model = load_from_folder(folder)
    G = type(model.generator)(model.config)
    G.load_state_dict(torch.load(state_path, weights_only=True)["G"])
    recalibrate_batchnorm(G, model.config)
    shutil.rmtree(out, ignore_errors=True)
    G.eval().save_pretrained(out)
    return out


def run_row(a: argparse.Namespace, i: int, flags: list[str], ema_row: str | None) -> None:
    """Train row i and write its eval.json (and row{i}-ema.json when its raw G is the row and its average
    the next)."""
    folder = a.out / f"row{i}"
    train(["--model", "cdcgan", "--dataset", a.dataset, "--steps", str(a.steps), "--base-channels", str(a.width),
           "--d-base-channels", str(a.width), "--sample-every", str(a.steps), "--out", str(folder),
           "--work-dir", str(a.out / f"work{i}"), "--no-progress", *flags])
    info = json.loads((folder / "training.json").read_text())
    clf_dir = a.out / "clf" if a.dry_run else None
    rate = {"steps_per_s": info["steps"] / max(info["wall_time_s"], 1e-9)}
    if ema_row:  # the export is the average; score the raw G as this row, the average as the next
        ema = evaluate(folder, n=a.n, classifier_dir=clf_dir) | rate
        (a.out / f"row{i}-ema.json").write_text(json.dumps(ema, indent=2) + "\n")
        folder_scored = raw_generator_folder(folder, a.out / f"work{i}" / "state.pt", a.out / f"row{i}-raw")
    else:
        folder_scored = folder
    ev = evaluate(folder_scored, n=a.n, classifier_dir=clf_dir) | rate
    (folder / "eval.json").write_text(json.dumps(ev, indent=2) + "\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="emoji")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--n", type=int, default=2000, help="generated samples per evaluation")
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--out", type=Path, default=Path("runs/ablation"))
    p.add_argument("--dry-run", action="store_true", help="fake data, 2 steps, tiny models (seconds)")
    a = p.parse_args()
    if a.dry_run:
        a.dataset, a.steps, a.n, a.width = "fake", 2, 200, 8
    results = []
    for i, (name, flags, ema_row) in enumerate(ROWS):
        folder = a.out / f"row{i}"
        if not (folder / "eval.json").exists():
            run_row(a, i, flags, ema_row)
            print(f"done: {name}", flush=True)
        results.append((name, json.loads((folder / "eval.json").read_text())))
        if ema_row:
            results.append((ema_row, json.loads((a.out / f"row{i}-ema.json").read_text())))
    floor = results[0][1]["frechet_train_vs_test"]
    print(f"\n{a.dataset}, conditional DCGAN width {a.width}, {a.steps} steps of batch 64, seed 0, "
          f"{a.n} samples; Frechet floor (real train vs test) {floor:.2f}; classifier accuracy "
          f"{results[0][1]['classifier_test_accuracy']:.3f}\n")
    print("| recipe | Frechet (x floor) | class match | density | coverage | min class share | steps/s |")
    print("|---|---|---|---|---|---|---|")
    for name, ev in results:
        hist = ev["class_histogram"]
        print(f"| {name} | {ev['frechet_generated_vs_test']:.2f} ({ev['frechet_generated_vs_test'] / floor:.1f}x) | "
              f"{ev['class_match']:.3f} | {ev['density']:.2f} | {ev['coverage']:.2f} | "
              f"{min(hist.values()) * len(hist):.2f} of expected | {ev['steps_per_s']:.1f} |")


if __name__ == "__main__":
    main()
