"""training/worker.py: trainers run in `python -m training.worker` processes. The records must be the ones an
in-process run gives, stop and early close must end the run, and a failure must come back as a clear error
while the pool keeps serving."""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pytest

from tests.conftest import wait_for
from training.sine import SineTrainConfig, SineTrainer, trained_state
from training.worker import Job, WorkerError, WorkerPool, run_here, with_result


class Probe:
    """A stand-in trainer (importable by the worker as tests.test_worker.Probe)."""

    def __init__(self, config: dict) -> None:
        if config.get("fail"):
            raise ValueError(config["fail"])
        self.config = config

    def run(self, max_seconds=None, should_stop=None):
        n = self.config["n"]
        for i in range(n):
            time.sleep(self.config.get("sleep", 0.0))
            stopped = should_stop is not None and should_stop()
            yield {"i": i, "done": stopped or i == n - 1, "pid": os.getpid(), "gradio": "gradio" in sys.modules,
                   "policy": os.sched_getscheduler(0) if hasattr(os, "sched_getscheduler") else None,
                   "niceness": os.nice(0) if hasattr(os, "nice") else None}
            if stopped:
                return


def probe_summary(trainer: Probe) -> str:
    return f"ran {trainer.config['n']}"


@pytest.fixture
def pool():
    pool = WorkerPool(size=1)
    yield pool
    pool.close()


def test_a_sine_run_in_a_worker_gives_the_in_process_records_and_state(pool):
    config = SineTrainConfig(steps=300, report_every=100, seed=7, device="cpu")
    messages = list(pool.run(Job(SineTrainer, config, None, trained_state)))
    kinds = [kind for kind, _ in messages]
    assert kinds == ["record"] * 3 + ["done"]
    local = list(SineTrainer(config).run())
    for (_, remote), here in zip(messages[:3], local, strict=True):
        assert remote.step == here.step and remote.done == here.done
        assert remote.d_loss == pytest.approx(here.d_loss, rel=1e-5)
        assert np.allclose(remote.curves, here.curves, atol=1e-6)
    state = messages[-1][1]
    assert state["n_ideas"] == config.n_ideas and len(state["center_curve"]) == 15
    assert set(state["weights"]) == set(SineTrainer(config).generator.state_dict())


def test_the_worker_is_another_process_without_the_web_stack_and_is_reused(pool):
    first = [payload for kind, payload in pool.run(Job(Probe, {"n": 2}, None, probe_summary))]
    assert first[-1] == "ran 2" and first[0]["pid"] != os.getpid() and first[0]["gradio"] is False
    again = [payload for kind, payload in pool.run(Job(Probe, {"n": 1}))]
    assert again[0]["pid"] == first[0]["pid"] and again[-1] is None  # same process, no startup cost


def test_the_worker_runs_as_background_work(pool):
    # The server's renders must win the CPU over training: SCHED_IDLE on Linux, else a higher niceness.
    record = next(message for kind, message in pool.run(Job(Probe, {"n": 1})) if kind == "record")
    if hasattr(os, "SCHED_IDLE"):
        assert record["policy"] == os.SCHED_IDLE != os.sched_getscheduler(0)
    else:
        assert record["niceness"] > os.nice(0)


def test_stop_ends_the_run_at_its_next_record(pool):
    list(pool.run(Job(Probe, {"n": 1})))  # a warm worker: the stop below lands mid-run
    asked = time.monotonic() + 0.5
    messages = list(pool.run(Job(Probe, {"n": 10_000, "sleep": 0.01}), should_stop=lambda: time.monotonic() > asked))
    records = [payload for kind, payload in messages if kind == "record"]
    assert messages[-1][0] == "done" and records[-1]["done"] and len(records) < 1_000


def test_a_failing_job_is_a_clear_error_and_the_pool_keeps_serving(pool):
    with pytest.raises(WorkerError, match="no such target") as raised:
        list(pool.run(Job(Probe, {"n": 1, "fail": "no such target"})))
    assert raised.value.kind == "ValueError"  # the exception type raised in the worker, for the UI to map
    assert [kind for kind, _ in pool.run(Job(Probe, {"n": 1}))] == ["record", "done"]


def test_a_stop_that_arrives_before_the_run_starts_still_stops_it(pool):
    # A fresh worker is still importing the job's modules when the stop comes: it must not be lost.
    messages = list(pool.run(Job(Probe, {"n": 10_000, "sleep": 0.01}), should_stop=lambda: True))
    assert messages[-1][0] == "done" and len(messages) == 2  # one record (marked done), then done


def test_closing_the_run_early_kills_its_worker(pool):
    run = pool.run(Job(Probe, {"n": 10_000, "sleep": 0.01}))
    _, record = next(run)
    run.close()  # what Gradio does when the browser tab goes away
    wait_for(lambda: not _alive(record["pid"]), 10, f"the closed run's worker (pid {record['pid']}) to exit")
    assert [kind for kind, _ in pool.run(Job(Probe, {"n": 1}))] == ["record", "done"]  # a fresh worker


def test_a_worker_killed_mid_run_is_a_clear_error_and_the_pool_recovers(pool):
    import signal

    run = pool.run(Job(Probe, {"n": 10_000, "sleep": 0.01}))
    _, record = next(run)
    os.kill(record["pid"], signal.SIGKILL)  # what the kernel's OOM killer would do
    with pytest.raises(WorkerError, match="exited unexpectedly"):
        for _ in run:
            pass
    assert [kind for kind, _ in pool.run(Job(Probe, {"n": 1}))] == ["record", "done"]


def test_run_here_speaks_the_same_protocol_in_this_process():
    messages = list(run_here(Job(Probe, {"n": 2}, None, probe_summary)))
    assert [kind for kind, _ in messages] == ["record", "record", "done"] and messages[-1][1] == "ran 2"
    assert messages[0][1]["pid"] == os.getpid()
    with pytest.raises(WorkerError, match="bad config") as raised:
        list(run_here(Job(Probe, {"n": 1, "fail": "bad config"})))
    assert raised.value.kind == "ValueError"


def test_with_result_holds_the_final_record_until_its_result():
    from types import SimpleNamespace

    records = [SimpleNamespace(i=i, done=i == 2) for i in range(3)]  # trainers' records have a `done` field
    messages = [*(("record", r) for r in records), ("done", "ran 3")]
    paired = list(with_result(iter(messages)))
    assert [(r.i, result) for r, result in paired] == [(0, None), (1, None), (2, "ran 3")]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "zombie" not in status.read()
    except FileNotFoundError:
        return False
