"""Sine toy runs: the tab's and the API's settings turned into validated configs, a run held in the session's
slot and trained in a worker process, and the public endpoints train_sine and sweep_sine."""

from __future__ import annotations

from collections.abc import Iterator

import gradio as gr

from training.limits import RUNS, RunRefused
from training.sine import SineTrainConfig, SineTrainer, trained_state
from training.sine_sweep import SineSweepConfig, SineSweepTrainer
from training.worker import WORKERS, Job, WorkerError, with_result
from ui.common import learning_rates, whole_number

MAX_RUN_SECONDS = 180  # wall-time cap per run, whatever the step count
DEFAULT_TARGET = "parabola"  # its family has a knob (a), so the input-dimension sliders visibly do something


def _report_every(steps: int) -> int:
    # About 100 records per run: several plot updates a second without slowing training.
    return max(10, min(250, steps // 100))


def make_config(
    target: str, n_ideas: float, steps: float, batch_size: float, lr_g: float, lr_d: float, seed: float,
    device: str,
) -> SineTrainConfig:
    """Turn raw UI/API values into a validated config, or raise gr.Error with the reason."""
    lrs = learning_rates(lr_g, lr_d)
    n_steps = whole_number("steps", steps)
    config = SineTrainConfig(
        target=str(target), n_ideas=whole_number("n_ideas", n_ideas), steps=n_steps,
        batch_size=whole_number("batch size", batch_size), lr_g=lrs[0], lr_d=lrs[1], seed=whole_number("seed", seed),
        device=str(device), report_every=_report_every(n_steps),
    )
    try:
        config.validate()
    except ValueError as error:
        raise gr.Error(str(error)) from None
    return config


def make_sweep_config(sizes: list, *settings) -> SineSweepConfig:
    """The sweep reuses the single-run settings; only the input sizes differ."""
    single = make_config(*settings)
    try:
        config = SineSweepConfig(
            sizes=tuple(sorted(whole_number("input size", s) for s in sizes or [])), target=single.target,
            steps=single.steps, batch_size=single.batch_size, lr_g=single.lr_g, lr_d=single.lr_d, seed=single.seed,
            device=single.device, report_every=single.report_every,
        )
        config.validate()
    except ValueError as error:
        raise gr.Error(str(error)) from None
    return config


def session_owner(request: gr.Request | None) -> str:
    """Whose run slot a request uses: its browser session, or one shared slot for callers without one."""
    return getattr(request, "session_hash", None) or "anonymous"


def run_records(config: SineTrainConfig | SineSweepConfig, owner: str) -> Iterator[tuple]:
    """(record, trained state) pairs of a run held in this session's slot and trained in a worker process; the
    state (training.sine.trained_state, single runs only) comes with the last record, None before. A refused
    slot or a failed worker becomes a gr.Error."""
    single = not isinstance(config, SineSweepConfig)
    job = Job(SineTrainer if single else SineSweepTrainer, config, MAX_RUN_SECONDS,
              trained_state if single else None)
    try:
        with RUNS.slot(owner) as stop_flag:
            yield from with_result(WORKERS.run(job, stop_flag.is_set))
    except (RunRefused, WorkerError) as error:
        raise gr.Error(str(error)) from None


def stop_run(request: gr.Request) -> None:
    """Ask this session's run to stop (it ends at its next record)."""
    RUNS.request_stop(session_owner(request))


def train_sine(
    target: str = DEFAULT_TARGET, n_ideas: int = 5, steps: int = 2000, batch_size: int = 64, lr_g: float = 1e-4,
    lr_d: float = 1e-4, seed: int = 0, device: str = "auto", request: gr.Request = None,
) -> Iterator[dict]:
    """Train the sine-toy GAN and stream its training records.

    Each record is a dict: step, d_loss, g_loss, d_real, d_fake, d_score, fit_error, curves (8 generated
    curves on 15 points of linspace(-1, 1)), mode_shares, steps_per_s, elapsed_s, done. The last record has
    done=True. Targets: parabola (default), sine, two-mode. Steps are capped at 100,000 and runs at 180 s.
    """
    config = make_config(target, n_ideas, steps, batch_size, lr_g, lr_d, seed, device)
    for record, _ in run_records(config, session_owner(request)):
        yield record.to_dict()


def sweep_sine(
    sizes: list[int], target: str = "parabola", steps: int = 3000, batch_size: int = 64, lr_g: float = 1e-4,
    lr_d: float = 1e-4, seed: int = 0, device: str = "auto", request: gr.Request = None,
) -> Iterator[dict]:
    """Train one sine-toy GAN per input size (e.g. [1, 2, 5, 16]) side by side, batched, streaming records.

    Each record has per-size lists: d_loss, g_loss, d_real, d_fake, fit_error, curves; plus step, sizes,
    steps_per_s, elapsed_s, done.
    """
    config = make_sweep_config(sizes, target, 1, steps, batch_size, lr_g, lr_d, seed, device)
    for record, _ in run_records(config, session_owner(request)):
        yield record.to_dict()
