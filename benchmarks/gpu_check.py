"""`make gpu-check`: on a machine with CUDA, the CUDA checks (tests_gpu/) and each benchmark with --device cuda,
then one summary; on a CPU-only machine it says so and exits 0. Meant to finish in under 5 minutes.

    python benchmarks/gpu_check.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS = [
    ("CUDA tests", [sys.executable, "-m", "pytest", "-q", "tests_gpu", "-p", "no:cacheprovider"]),
    ("train_speed --device cuda", [sys.executable, "benchmarks/train_speed.py", "--device", "cuda",
                                   "--repeats", "2"]),
    ("train_speed --recipe --device cuda", [sys.executable, "benchmarks/train_speed.py", "--device", "cuda",
                                            "--recipe"]),
    ("sine_speed --device cuda", [sys.executable, "benchmarks/sine_speed.py", "--device", "cuda"]),
]


def main() -> int:
    import torch

    if not torch.cuda.is_available():
        print("gpu-check: no CUDA device on this machine; nothing to check (CPU figures: make bench).")
        return 0
    print(f"gpu-check on {torch.cuda.get_device_name(0)}, torch {torch.__version__}", flush=True)
    summary = []
    for name, cmd in STEPS:
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240)
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-12:]
        print(f"\n== {name} (exit {proc.returncode}, {time.perf_counter() - t0:.0f} s)\n" + "\n".join(tail), flush=True)
        summary.append((name, proc.returncode))
    print("\nSUMMARY: " + "; ".join(f"{n}: {'ok' if rc == 0 else f'FAILED ({rc})'}" for n, rc in summary))
    return max(rc for _, rc in summary)


if __name__ == "__main__":
    sys.exit(main())
