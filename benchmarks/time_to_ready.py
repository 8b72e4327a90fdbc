"""How long `python app.py` takes from launch until the page answers, beside the floor of importing the
libraries it stands on (torch, torchvision, gradio) in a fresh interpreter, both measured in this one run,
alternating so machine noise hits both.

    python benchmarks/time_to_ready.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
IMPORT_FLOOR = "import torch, torchvision, gradio"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_ready_seconds(timeout: float = 180.0) -> float:
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False"}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"app.py exited with {proc.returncode} before it was ready")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                    return time.perf_counter() - start
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"app.py was not ready after {timeout:.0f} s")
    finally:
        proc.terminate()
        proc.wait(30)


def import_floor_seconds() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", IMPORT_FLOOR], cwd=ROOT, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ready, floor = [], []
    for _ in range(args.repeats):
        floor.append(import_floor_seconds())
        ready.append(app_ready_seconds())
    print(f"{os.cpu_count()} CPUs, {args.repeats} repeats, median (min-max)")
    print(f"import floor ({IMPORT_FLOOR}): {statistics.median(floor):.2f} s ({min(floor):.2f}-{max(floor):.2f})")
    print(f"app.py until the page answers:  {statistics.median(ready):.2f} s ({min(ready):.2f}-{max(ready):.2f})")
    print(f"the app's own share: {statistics.median(ready) - statistics.median(floor):.2f} s")


if __name__ == "__main__":
    main()
