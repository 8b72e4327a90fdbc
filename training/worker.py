"""Run trainers in separate Python processes, so their steps do not take turns with the web server's threads.

A sine-toy step is mostly Python (microsecond tensor ops), so a run in one of the server's threads holds the
GIL most of the time, and every slider render and HTTP message waits for it (benchmarks/load.py measured the
renders' p99 tripling with two runs going). A worker process has its own interpreter.

Workers are plain `python -m training.worker` processes (not multiprocessing: its spawn and forkserver modes
re-run the parent's `__main__`, here app.py, which builds the whole page) kept in a small pool and reused, so
only the first run pays for importing torch. Parent and child exchange length-prefixed pickles over the
child's stdin/stdout: both ends are this package's own code, nothing from a user or a model file.

Protocol: the parent sends ("job", n, Job), then optionally ("stop", n); the child answers ("record", record)
for every record of `trainer.run(...)` and ends with ("done", job.finish(trainer)) or ("error", message). The
number n ties a stop to its job: a stop can arrive while the job is still being read, or just after it ended.
Knows nothing about the UI: the caller turns records into plots.
"""

from __future__ import annotations

import itertools
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parents[1]
HEADER = struct.Struct("<Q")
NICENESS = 10  # where SCHED_IDLE is missing: added to the worker's niceness (0 = the server's)
START_TIMEOUT_S = 120.0  # a fresh worker imports torch before its first record: seconds on a loaded machine


class WorkerError(RuntimeError):
    """The training process failed or died; the message says how, `kind` names the exception raised there
    ("ValueError", "DatasetUnavailable", ...) or is "WorkerError" when the process itself failed."""

    def __init__(self, message: str, kind: str = "WorkerError") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Job:
    """What a worker runs: `build(config)` makes the trainer, its `run(max_seconds, should_stop)` yields the
    records, and `finish(trainer)` (optional) is sent back at the end. Functions are pickled by name, so they
    must be module-level functions of an importable module (training.*)."""

    build: Callable[[Any], Any]
    config: Any
    max_seconds: float | None = None
    finish: Callable[[Any], Any] | None = None


def _send(stream: BinaryIO, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: BinaryIO) -> object:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        raise EOFError("the other end closed the pipe")
    (size,) = HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other end closed the pipe mid-message")
    return pickle.loads(data)  # noqa: S301 - our own process on the other end, see the module docstring


# ---------------------------------------------------------------------------------------------
# Parent side
# ---------------------------------------------------------------------------------------------


class _Worker:
    def __init__(self) -> None:
        # The worker imports what the server can: the same sys.path (jobs name their functions by module).
        path = [str(ROOT), *[p for p in sys.path if p and Path(p).is_dir()]]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(path))}
        # stderr is inherited: a traceback in the worker lands in the server's log.
        self.process = subprocess.Popen([sys.executable, "-m", "training.worker"], cwd=ROOT, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.messages: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, name=f"worker-{self.process.pid}-reader", daemon=True).start()

    def _read(self) -> None:
        """Blocking reads in their own thread (they release the GIL), handed over through a queue."""
        try:
            while True:
                self.messages.put(_receive(self.process.stdout))
        except (EOFError, OSError, pickle.UnpicklingError) as error:
            self.messages.put(("exit", str(error)))

    def send(self, message: object) -> None:
        try:
            _send(self.process.stdin, message)
        except (BrokenPipeError, OSError) as error:
            raise WorkerError(f"The training process is gone ({error}).") from None

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class WorkerPool:
    """Up to `size` idle worker processes kept for reuse; `run` takes one (or starts one) per job."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._job_numbers = itertools.count()

    def warm_up(self) -> None:
        """Start one worker now, in the background, so the first run does not wait for torch to import."""
        def start() -> None:
            worker = _Worker()
            with self._lock:
                keep = len(self._idle) < self.size
                if keep:
                    self._idle.append(worker)
            if not keep:
                worker.kill()

        threading.Thread(target=start, name="training-worker-warm-up", daemon=True).start()

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.kill()
        return _Worker()

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if len(self._idle) < self.size and worker.alive():
                self._idle.append(worker)
                return
        worker.kill()

    def run(self, job: Job, should_stop: Callable[[], bool] | None = None) -> Iterator[tuple[str, Any]]:
        """Yield ("record", record) for each record, then ("done", finish result). `should_stop()` is polled
        about 20 times a second; when true the worker is asked to end the run at its next record (it still
        answers "done", with the trainer as it is). Closing this generator early kills the worker, so an
        abandoned run stops at once."""
        worker = self._take()
        number = next(self._job_numbers)
        finished = False
        try:
            worker.send(("job", number, job))
            stop_sent = False
            started = time.monotonic()
            first = True
            while True:
                if not stop_sent and should_stop is not None and should_stop():
                    worker.send(("stop", number))
                    stop_sent = True
                try:
                    kind, payload = worker.messages.get(timeout=0.05)
                except queue.Empty:
                    if first and time.monotonic() - started > START_TIMEOUT_S:
                        raise WorkerError(f"The training process sent nothing in {START_TIMEOUT_S:.0f} s.") from None
                    continue
                first = False
                if kind == "record":
                    yield kind, payload
                elif kind == "done":
                    finished = True
                    yield kind, payload
                    return
                elif kind == "error":
                    finished = True  # the worker caught it and is ready for the next job
                    error_kind, message = payload
                    raise WorkerError(message, error_kind)
                else:  # "exit": the process died
                    raise WorkerError(f"The training process exited unexpectedly ({payload}).")
        finally:
            if finished:
                self._give_back(worker)
            else:
                worker.kill()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


def run_here(job: Job, should_stop: Callable[[], bool] | None = None) -> Iterator[tuple[str, Any]]:
    """`WorkerPool.run`'s protocol without a process, for ZeroGPU Spaces: spaces.GPU lends the GPU to the
    decorated call's own process only, and already runs that call in a process of its own."""
    try:
        trainer = job.build(job.config)
        for record in trainer.run(max_seconds=job.max_seconds, should_stop=should_stop):
            yield "record", record
        result = job.finish(trainer) if job.finish is not None else None
    except Exception as error:
        raise WorkerError(str(error), type(error).__name__) from error
    yield "done", result


def with_result(messages: Iterator[tuple[str, Any]]) -> Iterator[tuple[Any, Any]]:
    """(record, None) for each record of `WorkerPool.run` / `run_here`, except the final one (done=True), which
    waits for the finish result and comes as (record, result): a UI shows the end and its outcome together."""
    last = None
    for kind, payload in messages:
        if kind == "done":
            if last is not None:
                yield last, payload
        elif payload.done:
            last = payload
        else:
            yield payload, None


# The server's pool, shared by every training tab. One idle worker is kept (each worker imports torch, whose
# private memory is in docs/benchmarks.md); a second run at the same time starts its own, seconds later.
WORKERS = WorkerPool(size=1)


# ---------------------------------------------------------------------------------------------
# Child side: `python -m training.worker`
# ---------------------------------------------------------------------------------------------


def background_priority() -> None:
    """Training is background work: when the cores are busy the scheduler serves the web server (its slider
    renders) first and training gets what is left; alone on the machine a run is as fast as before.

    Linux's SCHED_IDLE class gives a worker almost nothing of a core that a server thread wants; niceness +10,
    the fallback elsewhere, still leaves it enough to show in the renders' p50 under benchmarks/load.py's mixed
    load (docs/benchmarks.md). Lowering one's own priority needs no rights.
    Under a server that is busy for minutes, a run slows down and ends at its wall-time cap."""
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return
        except OSError:  # a sandbox that forbids the call: niceness still works
            pass
    if hasattr(os, "nice"):
        os.nice(NICENESS)


def main() -> None:
    inbox, outbox = sys.stdin.buffer, sys.stdout.buffer
    background_priority()
    sys.stdout = sys.stderr  # a print() in training code must not corrupt the message stream
    jobs: queue.Queue = queue.Queue()
    stopped: set[int] = set()  # numbers of the jobs asked to stop
    sending = threading.Lock()

    def send(message: object) -> None:
        with sending:
            _send(outbox, message)

    def read() -> None:
        while True:
            try:
                message = _receive(inbox)
            except EOFError:
                os._exit(0)  # the server closed our stdin (it exited or let us go): nothing left to do
            except Exception as error:  # e.g. a job naming a module this process cannot import
                send(("error", ("WorkerError", f"The training process could not read its job: "
                                               f"{type(error).__name__}: {error}")))
                continue
            kind, number, *job = message
            if kind == "stop":
                stopped.add(number)
            else:
                jobs.put((number, *job))

    threading.Thread(target=read, name="inbox", daemon=True).start()
    while True:
        number, job = jobs.get()
        try:
            trainer = job.build(job.config)
            for record in trainer.run(max_seconds=job.max_seconds, should_stop=lambda n=number: n in stopped):
                send(("record", record))
            send(("done", job.finish(trainer) if job.finish is not None else None))
        except Exception as error:  # reported to the parent, which raises it there as a WorkerError
            send(("error", (type(error).__name__, str(error))))


if __name__ == "__main__":
    main()
