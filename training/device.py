"""Where training runs: device names, CPU thread counts, synchronisation and a hardware line for model cards."""

from __future__ import annotations

import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager

import torch

DEVICES = ("auto", "cpu", "cuda")

def resolve_device(name: str, auto: str = "cuda") -> torch.device:
    """'auto' picks `auto` ('cuda' or 'cpu') when that is there, else the CPU; asking for 'cuda' without a GPU
    is an error, not a fallback."""
    if name not in DEVICES:
        raise ValueError(f"Unknown device {name!r}; choose one of {', '.join(DEVICES)}.")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was requested but this server has no GPU; choose 'auto' or 'cpu'.")
    if name == "auto":
        name = "cuda" if auto == "cuda" and torch.cuda.is_available() else "cpu"
    return torch.device(name)


@contextmanager
def cpu_threads(n: int, device: torch.device) -> Iterator[None]:
    # Networks this small lose time to thread hand-offs: one intra-op thread is faster than two.
    if device.type != "cpu":
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def sync(device: torch.device) -> None:
    """Wait for queued GPU work (timings); nothing to wait for on the CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def hardware() -> str:
    cpu = platform.processor() or platform.machine()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{os.cpu_count()} CPU cores ({cpu}), {gpu}, torch {torch.__version__}"
