"""Sine toy: the project's streaming trainer against a plain training loop, in one process and one run.

The plain loop is the textbook one: the same networks, target, batch and Adam settings, fresh noise each
step, two D forwards, PyTorch's default thread count, no records. Runs alternate (plain, trainer, ...)
so machine noise hits both; the figure that matters is the ratio.

    python benchmarks/sine_speed.py [--steps 3000] [--repeats 3] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_models.sine import TARGETS, SineConfig, SineDiscriminator, SineGenerator, curve_x  # noqa: E402
from training.device import resolve_device  # noqa: E402
from training.losses import d_loss, g_loss  # noqa: E402
from training.sine import SineTrainConfig, SineTrainer  # noqa: E402
from training.sine_sweep import SineSweepConfig, SineSweepTrainer  # noqa: E402


def plain_loop(steps: int, device: torch.device, threads: int | None = None) -> float:
    """Steps per second of the textbook loop (correct update order, nothing streamed)."""
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        torch.manual_seed(0)
        config = SineConfig(n_ideas=5)
        G, D = SineGenerator(config).to(device), SineDiscriminator(config).to(device)
        opt_g = torch.optim.Adam(G.parameters(), lr=1e-4)
        opt_d = torch.optim.Adam(D.parameters(), lr=1e-4)
        x, target = curve_x(device), TARGETS["sine"]
        _sync(device)
        start = time.perf_counter()
        for _ in range(steps):
            z = torch.randn(64, 5, device=device)
            real = target.sample(64, x, None)
            fake = G(z)
            loss_d = d_loss(D(real), D(fake.detach()))
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            loss_g = g_loss(D(fake))
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
        _sync(device)
        return steps / (time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)


def streaming_trainer(steps: int, device: torch.device) -> float:
    """Steps per second of SineTrainer, records (curves, fit error) every 100 steps included."""
    trainer = SineTrainer(SineTrainConfig(steps=steps, device=device.type, report_every=100))
    _sync(device)
    start = time.perf_counter()
    records = sum(1 for _ in trainer.run())
    _sync(device)
    assert records == steps // 100
    return steps / (time.perf_counter() - start)


def sweep_vs_separate(steps: int, device: torch.device, sizes: tuple[int, ...] = (1, 2, 5, 16)) -> tuple[float, float]:
    """Seconds to train len(sizes) models: batched in one SineSweepTrainer, and one SineTrainer after another."""
    start = time.perf_counter()
    for _ in SineSweepTrainer(SineSweepConfig(sizes=sizes, steps=steps, device=device.type)).run():
        pass
    batched = time.perf_counter() - start
    start = time.perf_counter()
    for n in sizes:
        for _ in SineTrainer(SineTrainConfig(n_ideas=n, steps=steps, device=device.type)).run():
            pass
    return batched, time.perf_counter() - start


def full_run_seconds(device: torch.device) -> float:
    """Wall time of a default 10,000-step run with its records."""
    start = time.perf_counter()
    for _ in SineTrainer(SineTrainConfig(device=device.type)).run():
        pass
    return time.perf_counter() - start


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    args = parser.parse_args()
    device = resolve_device(args.device)

    plain_loop(200, device)  # warm-up: allocator, kernels
    streaming_trainer(200, device)
    plain, plain_1t, trainer = [], [], []
    for _ in range(args.repeats):
        plain.append(plain_loop(args.steps, device))
        trainer.append(streaming_trainer(args.steps, device))
        if device.type == "cpu":
            plain_1t.append(plain_loop(args.steps, device, threads=1))
    p, t = statistics.median(plain), statistics.median(trainer)
    print(f"device: {device}  torch threads: {torch.get_num_threads()}  steps per run: {args.steps}")
    print(f"plain loop            {p:8.0f} steps/s  (median of {args.repeats})")
    if plain_1t:
        print(f"plain loop, 1 thread  {statistics.median(plain_1t):8.0f} steps/s")
    print(f"streaming trainer     {t:8.0f} steps/s")
    print(f"ratio trainer/plain   {t / p:8.2f}   (target >= 1.0, aim 2.0)")
    print(f"10,000-step default run with records: {full_run_seconds(device):.1f} s (target < 20 s)")
    batched, separate = sweep_vs_separate(args.steps, device)
    print(f"sweep of sizes 1,2,5,16: batched {batched:.1f} s vs one after another {separate:.1f} s "
          f"({separate / batched:.1f}x faster)")


if __name__ == "__main__":
    main()
