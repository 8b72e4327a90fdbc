"""The Sine toy tab's page events: Start and Run sweep streaming their charts and readouts, the input-dimension
sliders redrawing the trained generator's curve, and the chart of a target family's curves."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import gradio as gr
import torch
from gradio.components.plot import AltairPlotData

from gan_models.sine import MAX_IDEAS, TARGETS, SineConfig, SineGenerator, curve_x
from training.sine import G_LOSS_EQUILIBRIUM, SineRecord, SineTrainConfig
from training.sine_sweep import MAX_MODELS, SweepRecord
from ui import guard
from ui.charts import CURVE_COLORS, REFERENCE_COLOR, curves_chart, gan_training_charts, history_chart
from ui.sine_runs import DEFAULT_TARGET, make_config, make_sweep_config, run_records, session_owner
from ui.sine_text import TRAIN_FIRST, end_line, explore_note, refusal, run_readout, sweep_verdict

Y_RANGES = {"sine": (-1.6, 1.6), "parabola": (-1.2, 3.6), "two-mode": (-1.6, 1.6)}
X = curve_x().tolist()
MIN_UPDATE_INTERVAL = 0.2  # seconds between plot updates: 5 a second looks live and costs training ~5%
SLIDER_RANGE = 3.0  # z ~ N(0, 1): +-3 covers 99.7% of what the generator saw in training
N_TRAIN_OUTPUTS = 8 + MAX_IDEAS  # 3 plots, readout, state, explore plot, explore note, Random z, sliders


def target_preview(target: str) -> AltairPlotData:
    """The curve panel before any run: real curves of the target family, what the generator must learn."""
    if target not in TARGETS:
        target = DEFAULT_TARGET
    real = TARGETS[target].sample(8, curve_x(), torch.Generator().manual_seed(0)).tolist()
    return _curves(target, real, f"Real {target} curves: the target")


def _charts(history: list[SineRecord], config: SineTrainConfig) -> tuple:
    steps = history[-1].step
    return (*gan_training_charts(history),
            _curves(config.target, history[-1].curves, f"Generated curves at step {steps:,}"))


def _curves(
    target: str, curves: list[list[float]], title: str, highlight: list[float] | None = None,
) -> AltairPlotData:
    x = curve_x()
    bands = [(low.tolist(), high.tolist()) for low, high in TARGETS[target].bands(x)]
    return curves_chart(X, curves, bands, title, Y_RANGES[target], highlight=highlight)


def train_ui(
    target: str, n_ideas: float, steps: float, batch_size: float, lr_g: float, lr_d: float, seed: float,
    device: str, request: gr.Request,
) -> Iterator[tuple]:
    """Page event behind Start: the plots and readout stream; a refusal (bad settings, a run already going,
    a failed worker) stays in the readout instead of a toast that fades."""
    skip = [gr.skip()] * N_TRAIN_OUTPUTS
    try:
        config = make_config(target, n_ideas, steps, batch_size, lr_g, lr_d, seed, device)
    except (gr.Error, ValueError) as error:
        yield *skip[:3], refusal("train_sine_ui", error), *skip[4:]
        return
    history: list[SineRecord] = []
    last_update = 0.0
    try:
        for record, state in run_records(config, session_owner(request)):
            history.append(record)
            if not record.done and time.monotonic() - last_update < MIN_UPDATE_INTERVAL:
                continue
            last_update = time.monotonic()
            charts = _charts(history, config)
            if not record.done:
                yield *charts, run_readout(record, config.steps), *skip[4:]
                continue
            state = {**state, "step": record.step}
            curve = state["center_curve"]
            sliders = [gr.update(visible=i < config.n_ideas, value=0.0) for i in range(MAX_IDEAS)]
            explore = _curves(config.target, state["examples"], "Your z (red) among samples",
                              curve)
            yield (*charts, run_readout(record, config.steps), state, explore, explore_note(state),
                   gr.update(visible=True), *sliders)
    except (gr.Error, ValueError) as error:
        last = f"{run_readout(history[-1], config.steps)}\n\n" if history else ""
        yield *skip[:3], last + refusal("train_sine_ui", error), *skip[4:]


def check_z(state: dict | None, z: tuple) -> list[float]:
    """The trained generator's input vector from the slider values (one per input dimension), or ValueError."""
    if not state:
        raise ValueError(TRAIN_FIRST)
    n = state["n_ideas"]
    if len(z) < n:
        raise ValueError(f"Need {n} input-vector values, got {len(z)}.")
    values = []
    for i, v in enumerate(z[:n]):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValueError(f"z[{i}] must be a finite number, got {guard.clip(repr(v), 40)}.")
        if abs(v) > SLIDER_RANGE:
            raise ValueError(f"z[{i}] must be between -{SLIDER_RANGE:g} and {SLIDER_RANGE:g}, got {v:g}.")
        values.append(float(v))
    return values


@torch.inference_mode()
def sine_curve(state: dict | None, *z: float) -> tuple:
    """Redraw the trained generator's curve for the slider values z (one per input dimension); a refusal
    leaves the plot as it was and says why under the note."""
    try:
        values = check_z(state, z)
    except ValueError as error:
        return gr.skip(), f"{explore_note(state)}\n\n{refusal('sine_curve', error)}"
    generator = SineGenerator(SineConfig(n_ideas=state["n_ideas"]))
    generator.load_state_dict(state["weights"])
    curve = generator(torch.tensor([values]))[0].tolist()
    plot = _curves(state["target"], state["examples"], "Your z (red) among samples", curve)
    return plot, explore_note(state)


def random_z(state: dict | None, seed: float) -> tuple:
    """Page event behind Random z: seeded slider values for the trained generator, and the next seed."""
    if not state:
        refused = refusal("sine_random_z", ValueError(TRAIN_FIRST))
        return *[gr.skip()] * (MAX_IDEAS + 1), f"{explore_note(None)}\n\n{refused}"
    rng = torch.Generator().manual_seed(int(seed or 0))
    values = torch.randn(state["n_ideas"], generator=rng).clamp(-SLIDER_RANGE, SLIDER_RANGE).tolist()
    return *[round(v, 2) for v in values], *[0.0] * (MAX_IDEAS - len(values)), int(seed or 0) + 1, gr.skip()


def on_target(target: str, state: dict | None) -> tuple:
    """The dropdown changed: before any run, preview the family and say what to look for on it."""
    note = explore_note(state, target)
    return (gr.skip() if state else target_preview(target)), note


def _sweep_outputs(history: list[SweepRecord], target: str, total_steps: int) -> list:
    steps = [r.step for r in history]
    sizes = history[-1].sizes
    colors = {f"n_ideas = {n}": CURVE_COLORS[i % len(CURVE_COLORS)] for i, n in enumerate(sizes)}
    fit = history_chart(
        steps, {name: ([r.fit_error[i] for r in history], c) for i, (name, c) in enumerate(colors.items())},
        [], "Fit error by input size (lower is better)", "mean |y - nearest target curve|",
    )
    g_loss = history_chart(
        steps, {name: ([r.g_loss[i] for r in history], c) for i, (name, c) in enumerate(colors.items())},
        [(G_LOSS_EQUILIBRIUM, "G loss at equilibrium: ln 2 = 0.693", REFERENCE_COLOR)],
        "G loss by input size", "loss",
    )
    last = history[-1]
    panels = [
        gr.update(value=_curves(target, last.curves[i], f"n_ideas = {n}: fit error {last.fit_error[i]:.3f}"),
                  visible=True)
        for i, n in enumerate(sizes)
    ] + [gr.update(visible=False)] * (MAX_MODELS - len(sizes))
    status = f"**Step {last.step:,}** · {last.steps_per_s:,.0f} steps/s for all {len(sizes)} models together"
    if last.done:
        status += (f"\n\n{end_line(last.step, total_steps, last.elapsed_s)} "
                   f"{sweep_verdict(target, sizes, [r.fit_error for r in history])}")
    return [fit, g_loss, status, *panels]


def sweep_ui(
    sizes: list, target: str, n_ideas: float, steps: float, batch_size: float, lr_g: float, lr_d: float,
    seed: float, device: str, request: gr.Request,
) -> Iterator[tuple | list]:
    """Page event behind Run sweep; a refusal stays in the sweep's status line."""
    outputs = 3 + MAX_MODELS
    try:
        config = make_sweep_config(sizes, target, n_ideas, steps, batch_size, lr_g, lr_d, seed, device)
    except (gr.Error, ValueError) as error:
        yield gr.skip(), gr.skip(), refusal("sweep_sine_ui", error), *[gr.skip()] * (outputs - 3)
        return
    history: list[SweepRecord] = []
    last_update = 0.0
    try:
        for record, _ in run_records(config, session_owner(request)):
            history.append(record)
            if record.done or time.monotonic() - last_update >= MIN_UPDATE_INTERVAL:
                last_update = time.monotonic()
                yield _sweep_outputs(history, config.target, config.steps)
    except (gr.Error, ValueError) as error:
        yield gr.skip(), gr.skip(), refusal("sweep_sine_ui", error), *[gr.skip()] * (outputs - 3)
