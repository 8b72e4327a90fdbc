"""Admission control for live training runs: one run per owner (a browser session), a global cap on
concurrent runs (they share the server's CPU or GPU memory), and a stop flag per run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class RunRefused(RuntimeError):
    """A run was not admitted; the message says why and what to do."""


class RunLimiter:
    def __init__(self, max_concurrent: int) -> None:
        self.max_concurrent = max_concurrent
        self._lock = threading.Lock()
        self._stop_flags: dict[str, threading.Event] = {}

    @contextmanager
    def slot(self, owner: str) -> Iterator[threading.Event]:
        """Hold a run slot for `owner`; yields the run's stop flag. Freed however the run ends."""
        with self._lock:
            if owner in self._stop_flags:
                raise RunRefused("A training run is already going in this session: stop it first.")
            if len(self._stop_flags) >= self.max_concurrent:
                raise RunRefused(
                    f"The server is already running {self.max_concurrent} training runs (its limit): "
                    "try again in a minute."
                )
            flag = self._stop_flags[owner] = threading.Event()
        try:
            yield flag
        finally:
            with self._lock:
                self._stop_flags.pop(owner, None)

    def request_stop(self, owner: str) -> bool:
        """Ask `owner`'s run to stop at its next record; False when it has none."""
        with self._lock:
            flag = self._stop_flags.get(owner)
        if flag is None:
            return False
        flag.set()
        return True

    def active(self) -> int:
        with self._lock:
            return len(self._stop_flags)


# The server's one limiter, shared by every training tab and endpoint (sine toy, sweep, image GANs): one run
# per browser session and at most two at once, whatever tab they come from.
RUNS = RunLimiter(max_concurrent=2)
