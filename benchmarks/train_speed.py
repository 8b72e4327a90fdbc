"""Live image-GAN trainer against a plain loop of the same model and data, in one process and one run; plus
the time inversion takes to reach a stated reconstruction error; and steps/s of the emoji model with each
recipe option added in turn (--recipe).

Live = training.live.LiveTrainer.run() consumed the way the Train tab consumes it (loss/D charts rebuilt at most
every 0.5 s, the sample grid every 2 s, a record every step). Plain = the same models, data, batch and
train_step in a bare for-loop. Both use one CPU thread (what the trainer uses; faster than two for these
sizes). Runs alternate (plain, live, live, plain, ...) so machine noise hits both; the figure that matters is the
ratio, target >= 0.9. A third contender runs the live trainer the way the Train tab does: in a worker process
(training/worker.py), its records pickled across to this process.

    python benchmarks/train_speed.py [--steps 300] [--repeats 3] [--device cpu|cuda|all] [--recipe]
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_models import edit, registry  # noqa: E402
from gan_models import latent as L  # noqa: E402
from gan_models.kinds import ModelConfig, build_pair  # noqa: E402
from training.augment import DiffAugment  # noqa: E402
from training.checkpoint import make_optimizers  # noqa: E402
from training.data import load_dataset, to_float  # noqa: E402
from training.device import cpu_threads  # noqa: E402
from training.live import LiveTrainer  # noqa: E402
from training.live_config import LiveRecord, LiveTrainConfig  # noqa: E402
from training.loop import Recipe, make_ema, train_step  # noqa: E402
from training.worker import Job, WorkerPool  # noqa: E402
from ui import train_tab  # noqa: E402


def _config(steps: int, device: str) -> LiveTrainConfig:
    return LiveTrainConfig(dataset="digits", model="dcgan", latent_dim=32, steps=steps, batch_size=32,
                           base_channels=16, device=device, report_every=1)


def plain_loop(steps: int, device: str, data) -> float:
    trainer = LiveTrainer(_config(steps, device), data)  # only for its models, optimisers and data on device
    G, D, opt_g, opt_d = trainer.G, trainer.D, trainer.opt_g, trainer.opt_d
    images, n, b = trainer.images, len(data), 32
    gen = torch.Generator(device=trainer.device).manual_seed(0)

    def one_step(step: int) -> None:
        idx = torch.randint(0, n, (b,), generator=gen, device=trainer.device)
        z = torch.randn(b, 32, generator=gen, device=trainer.device)
        train_step(G, D, opt_g, opt_d, to_float(images[idx]), z, step=step)

    return steps_per_second(one_step, steps, trainer.device)


def steps_per_second(one_step: Callable[[int], None], steps: int, device: torch.device, warmup: int = 0) -> float:
    """Rate of `one_step(step)` over `steps` calls after `warmup` untimed ones, on one CPU thread."""
    with cpu_threads(1, device):
        for step in range(warmup):
            one_step(step)
        _sync(device)
        start = time.perf_counter()
        for step in range(warmup, warmup + steps):
            one_step(step)
        _sync(device)
    return steps / (time.perf_counter() - start)


def as_the_tab_does(records: Iterable[LiveRecord], steps: int) -> Iterator[LiveRecord]:
    """Each record, after the Train tab's work on it (minus the network): the sample grid image when one comes,
    the charts and progress at most every MIN_UPDATE_INTERVAL seconds."""
    history, last_update = [], 0.0
    for record in records:
        history.append(record)
        if record.grid is not None:
            train_tab._grid_image(record.grid)
        if record.done or time.monotonic() - last_update >= train_tab.MIN_UPDATE_INTERVAL:
            last_update = time.monotonic()
            train_tab._charts(history)
            train_tab._progress(record, steps)
        yield record


def live_trainer(steps: int, device: str, data) -> float:
    trainer = LiveTrainer(_config(steps, device), data)
    start = time.perf_counter()
    for _ in as_the_tab_does(trainer.run(), steps):
        pass
    _sync(trainer.device)
    return steps / (time.perf_counter() - start)


def worker_trainer(steps: int, device: str, pool: WorkerPool) -> float:
    """The Train tab's path: the live run in a worker process (training/worker.py, background priority), a
    record per step pickled across, consumed here as live_trainer does. Timed from the first record to the last
    as they arrive, so building the trainer in the worker (data, models) is left out, as for the others."""
    records = (record for kind, record in pool.run(Job(LiveTrainer, _config(steps, device))) if kind == "record")
    first = last = None
    for record in as_the_tab_does(records, steps):
        last = (record.step, time.perf_counter())
        first = first or last
    return (last[0] - first[0]) / (last[1] - first[1])


def _row(name: str, values: list[float]) -> str:
    return f"  {name:<14}{statistics.median(values):7.1f} steps/s  (runs: {', '.join(f'{v:.1f}' for v in values)})"


def _ratio(name: str, values: list[float], plains: list[float]) -> str:
    ratios = [v / p for v, p in zip(values, plains, strict=True)]
    return f"  ratio {name}: median {statistics.median(ratios):.3f} (runs: {', '.join(f'{r:.3f}' for r in ratios)})"


def speed(device: str, steps: int, repeats: int) -> None:
    data = load_dataset("digits")
    plain_loop(20, device, data)  # warm-up: allocator, kernels
    pool = WorkerPool(size=1)
    list(pool.run(Job(LiveTrainer, _config(5, device))))  # the worker's torch import and warm-up, not timed
    plains, lives, workers = [], [], []
    try:
        for i in range(repeats):  # rotate the order every repeat: whichever runs later must not always gain
            runs = [(plains, lambda: plain_loop(steps, device, data)),
                    (lives, lambda: live_trainer(steps, device, data)),
                    (workers, lambda: worker_trainer(steps, device, pool))]
            for out, fn in runs[i % 3:] + runs[:i % 3]:
                out.append(fn())
    finally:
        pool.close()
    print(f"[{device}] digits, DCGAN width 16, latent 32, batch 32, {steps} steps x {repeats} runs (rotating)")
    print(_row("plain loop", plains))
    print(_row("live trainer", lives))
    print(_row("live, worker", workers) + "  <- the Train tab's path: a worker process, a record per step")
    print(_ratio("live/plain", lives, plains) + "  (target >= 0.9)")
    print(_ratio("worker/plain", workers, plains))


def inversion(threshold: float, repeats: int) -> None:
    """Targets the model drew itself (so a perfect answer exists): seconds until the best candidate's pixel MSE
    falls below `threshold`, and the error after the default number of steps."""
    defaults = {k: v.default for k, v in inspect.signature(edit.invert).parameters.items()}
    print(f"\nInversion (default settings: {defaults['n_random']} random latents per class, {defaults['n_starts']} "
          f"starts, {defaults['steps']} Adam steps), CPU, 1 thread;"
          f" target: MSE <= {threshold} on [-1, 1] pixels ({edit.psnr(threshold):.1f} dB)")
    for model_id in ("dcgan-animals", "cdcgan-animals"):
        model = registry.load(model_id)
        G, n_classes = model.generator, len(model.class_names)
        reached, finals, totals = [], [], []
        for seed in range(100, 100 + repeats):
            z = L.z_from_seed(seed, G.config.latent_dim)
            label = torch.tensor([seed % n_classes]) if n_classes else None
            with torch.inference_mode():
                target = G(z, label)
            start, hit = time.perf_counter(), None
            with cpu_threads(1, torch.device("cpu")):
                for record in edit.invert(G, target, n_classes, seed=seed, report_every=1):
                    if hit is None and record.loss <= threshold:
                        hit = time.perf_counter() - start
            totals.append(time.perf_counter() - start)
            finals.append(record.loss)
            reached.append(hit)
        hits = [h for h in reached if h is not None]
        median_hit = f"{statistics.median(hits):.2f} s" if hits else "never"
        print(f"  {model_id:15s} reached in {len(hits)}/{repeats} targets, median {median_hit}; "
              f"{defaults['steps']} steps take {statistics.median(totals):.2f} s, "
              f"final MSE median {statistics.median(finals):.4f}")


# Cumulative, as README's ablation table: each row adds one option to the row above.
RECIPE_ROWS = [
    ("plain (BCE, BatchNorm D)", Recipe()),
    ("+ hinge loss", Recipe("hinge")),
    ("+ spectral norm", Recipe("hinge", spectral_norm=True)),
    ("+ DiffAugment", Recipe("hinge", "color,translation,cutout", spectral_norm=True)),
    ("+ EMA (shipped)", Recipe("hinge", "color,translation,cutout", 0.999, True)),
]


def recipe_speed(device_name: str, steps: int) -> None:
    """Steps/s of the default model's networks (cdcgan-emoji: width 64, batch 64) on the emoji data, per recipe row."""
    device = torch.device(device_name)
    data = load_dataset("emoji")
    base = registry.load("cdcgan-emoji").config
    images, labels = data.images.to(device), data.labels.to(device)
    print(f"[{device_name}] emoji cdcgan, width 64, latent 64, batch 64, {steps} steps per row (first 10 not timed)")
    for name, recipe in RECIPE_ROWS:
        print(f"  {name:<26}{_recipe_rate(recipe, base, images, labels, steps):7.1f} steps/s")


def _recipe_rate(recipe: Recipe, base: ModelConfig, images: torch.Tensor, labels: torch.Tensor, steps: int) -> float:
    device = images.device
    G, D = (m.to(device) for m in build_pair(dataclasses.replace(base, spectral_norm=recipe.spectral_norm)))
    opt_g, opt_d = make_optimizers(G, D, 2e-4, 2e-4)
    gen = torch.Generator(device=device).manual_seed(0)
    augment = DiffAugment(recipe.diffaugment, gen) if recipe.diffaugment else None
    ema = make_ema(G, recipe.ema)

    def one_step(step: int) -> None:
        idx = torch.randint(0, len(images), (64,), generator=gen, device=device)
        z = torch.randn(64, base.latent_dim, generator=gen, device=device)
        train_step(G, D, opt_g, opt_d, to_float(images[idx]), z, labels[idx], step, recipe, augment, ema)

    return steps_per_second(one_step, steps, device, warmup=10)

def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", choices=["cpu", "cuda", "all"], default="all")
    parser.add_argument("--threshold", type=float, default=0.02, help="inversion target MSE")
    parser.add_argument("--skip-inversion", action="store_true")
    parser.add_argument("--recipe", action="store_true", help="only the emoji model's steps/s per recipe option")
    parser.add_argument("--recipe-steps", type=int, default=100)
    args = parser.parse_args()
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    for device in devices:
        if device == "cuda" and not torch.cuda.is_available():
            print("[cuda] no GPU on this machine: skipped")
            continue
        if args.recipe:
            recipe_speed(device, args.recipe_steps)
        else:
            speed(device, args.steps, args.repeats)
    if not args.skip_inversion and not args.recipe:
        inversion(args.threshold, args.repeats)


if __name__ == "__main__":
    main()
