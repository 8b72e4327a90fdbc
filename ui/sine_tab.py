"""The "Sine toy" tab: train the classic 1-D GAN live, watch D and G settle, then move each input
dimension of the trained generator and see what it does to the curve."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import gradio as gr
import torch

from gan_models.sine import MAX_IDEAS, TARGETS, SineConfig, SineGenerator, curve_x
from training.limits import RUNS, RunRefused
from training.sine import (
    D_LOSS_EQUILIBRIUM,
    G_LOSS_EQUILIBRIUM,
    MAX_BATCH,
    MAX_STEPS,
    SineRecord,
    SineTrainConfig,
    SineTrainer,
    trained_state,
)
from training.sine_sweep import (
    MAX_MODELS,
    TIE_RATIO,
    SineSweepConfig,
    SineSweepTrainer,
    SizeComparison,
    SweepRecord,
    compare_sizes,
)
from training.worker import WORKERS, Job, WorkerError, with_result
from ui import guard
from ui.charts import CURVE_COLORS, REFERENCE_COLOR, curves_chart, gan_training_charts, history_chart
from ui.common import learning_rates, whole_number

MAX_RUN_SECONDS = 180  # wall-time cap per run, whatever the step count
Y_RANGES = {"sine": (-1.6, 1.6), "parabola": (-1.2, 3.6), "two-mode": (-1.6, 1.6)}
X = curve_x().tolist()
MIN_UPDATE_INTERVAL = 0.2  # seconds between plot updates: 5 a second looks live and costs training ~5%
SLIDER_RANGE = 3.0  # z ~ N(0, 1): +-3 covers 99.7% of what the generator saw in training
DEFAULT_TARGET = "parabola"  # its family has a knob (a), so the input-dimension sliders visibly do something

# What to look for under the input-dimension sliders, per target.
HINTS = {
    "parabola": "The family has one knob, *a*: it makes the curve steeper and higher at once. Drag each slider: "
                "one direction of z takes the knob over (the red curve climbs and steepens), the others barely "
                "move it.",
    "sine": "Every real curve is the same sine, so there is no knob: a good generator learns to ignore z and "
            "the sliders barely move the red curve. That is the lesson; choose *parabola* to see a knob.",
    "two-mode": "A real curve is +sin or -sin. Look for the slider that flips the red curve from one to the "
                "other; if none does, the generator collapsed onto one shape (mode collapse).",
}
# What a tie between sweep sizes teaches, per target.
TIE_LESSONS = {
    "parabola": "The parabola family varies by one number (a), so one input dimension already holds all the "
                "curves need; more dimensions add nothing to learn.",
    "sine": "Every sine curve is the same, so the generator needs no input at all: any size does, and the "
            "extra dimensions are noise it learns to ignore.",
    "two-mode": "Picking one of two shapes takes one number, so one input dimension is enough; whether a run "
                "draws both shapes is mode collapse, not input size.",
}

INTRO = """
**The 50-line GAN.** The generator turns a few random numbers (its *input vector*, `n_ideas` of them) into a
curve of 15 points; the discriminator sees real curves from the target family and the generator's fakes and
scores each one. Press **Start**: the losses settle near their equilibrium lines when neither can beat the
other. Then use the sliders below to move each input dimension yourself.
"""


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


def _records(config: SineTrainConfig | SineSweepConfig, owner: str) -> Iterator[tuple]:
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
    for record, _ in _records(config, _owner(request)):
        yield record.to_dict()


def _owner(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "anonymous"


def _readout(record: SineRecord, steps: int) -> str:
    lines = [
        f"**Step {record.step:,} / {steps:,}** · {record.steps_per_s:,.0f} steps/s · {record.elapsed_s:.1f} s",
        f"- D(real) = **{record.d_real:.2f}** (0.5 at equilibrium)",
        f"- D(G(z)) = **{record.d_fake:.2f}** (0.5 at equilibrium)",
        f"- D score = **{record.d_score:.3f}** ({-D_LOSS_EQUILIBRIUM:.3f} at equilibrium)",
        f"- Fit error = **{record.fit_error:.3f}** (mean distance of a generated curve to the nearest target curve)",
    ]
    if record.mode_shares is not None:
        up, down = record.mode_shares
        note = " — **mode collapse**: G draws only one of the two shapes" if min(up, down) < 0.1 else ""
        lines.append(f"- Modes: {up:.0%} on +sin, {down:.0%} on -sin{note}")
    if record.done:
        lines.append(f"\n{end_line(record.step, steps, record.elapsed_s)} Move the input-dimension sliders below "
                     "to see what each one does.")
    return "\n".join(lines)


def end_line(step: int, steps: int, elapsed_s: float) -> str:
    """How a run ended: all its steps, or stopped early (Stop, a closed page, or the wall-time cap)."""
    if step >= steps:
        return "**Done.**"
    if elapsed_s >= MAX_RUN_SECONDS:
        return f"**Stopped at step {step:,} of {steps:,}** (runs stop after {MAX_RUN_SECONDS} s)."
    return f"**Stopped at step {step:,} of {steps:,}.**"


def _refused(name: str, error: Exception) -> str:
    """A refusal shown inline, next to what caused it (a toast fades; this stays until the next try)."""
    message = guard.clip(error.message if isinstance(error, gr.Error) else error)
    guard.log.info("refused %s: %s", name, message)
    return f"⚠️ **{message}**"


def explore_note(state: dict | None, chosen_target: str | None = None) -> str:
    """What the input-dimension sliders drive right now and what to look for there."""
    if not state:
        target = chosen_target if chosen_target in HINTS else DEFAULT_TARGET
        return f"*Press **Start** to train; the sliders then drive the trained generator.* On **{target}**: " \
               f"{HINTS[target]}"
    note = (f"**Under the sliders:** the generator trained on **{state['target']}** with n_ideas = "
            f"{state['n_ideas']} ({state.get('step', 0):,} steps). {HINTS[state['target']]}")
    if chosen_target in HINTS and chosen_target != state["target"]:
        note += f"\n\n*The settings now say {chosen_target}: press **Start** to train on it.*"
    return note


def target_preview(target: str):
    """The curve panel before any run: real curves of the target family, what the generator must learn."""
    if target not in TARGETS:
        target = DEFAULT_TARGET
    real = TARGETS[target].sample(8, curve_x(), torch.Generator().manual_seed(0)).tolist()
    return _curves(target, real, f"Real {target} curves: what the generator must learn to draw")


def _charts(history: list[SineRecord], config: SineTrainConfig) -> tuple:
    steps = history[-1].step
    return (*gan_training_charts(history),
            _curves(config.target, history[-1].curves, f"Generated curves at step {steps:,}"))


def _curves(target: str, curves: list[list[float]], title: str, highlight: list[float] | None = None):
    x = curve_x()
    bands = [(low.tolist(), high.tolist()) for low, high in TARGETS[target].bands(x)]
    return curves_chart(X, curves, bands, title, Y_RANGES[target], highlight=highlight)


N_TRAIN_OUTPUTS = 8 + MAX_IDEAS  # 3 plots, readout, state, explore plot, explore note, Random z, sliders


def _train_ui(target, n_ideas, steps, batch_size, lr_g, lr_d, seed, device, request: gr.Request):
    """Page event behind Start: the plots and readout stream; a refusal (bad settings, a run already going,
    a failed worker) stays in the readout instead of a toast that fades."""
    skip = [gr.skip()] * N_TRAIN_OUTPUTS
    try:
        config = make_config(target, n_ideas, steps, batch_size, lr_g, lr_d, seed, device)
    except (gr.Error, ValueError) as error:
        yield *skip[:3], _refused("train_sine_ui", error), *skip[4:]
        return
    history: list[SineRecord] = []
    last_update = 0.0
    try:
        for record, state in _records(config, _owner(request)):
            history.append(record)
            if not record.done and time.monotonic() - last_update < MIN_UPDATE_INTERVAL:
                continue
            last_update = time.monotonic()
            charts = _charts(history, config)
            if not record.done:
                yield *charts, _readout(record, config.steps), *skip[4:]
                continue
            state = {**state, "step": record.step}
            curve = state["center_curve"]
            sliders = [gr.update(visible=i < config.n_ideas, value=0.0) for i in range(MAX_IDEAS)]
            explore = _curves(config.target, state["examples"], "Your input vector (red) among samples (faint)",
                              curve)
            yield (*charts, _readout(record, config.steps), state, explore, explore_note(state),
                   gr.update(visible=True), *sliders)
    except (gr.Error, ValueError) as error:
        last = f"{_readout(history[-1], config.steps)}\n\n" if history else ""
        yield *skip[:3], last + _refused("train_sine_ui", error), *skip[4:]


def _stop(request: gr.Request) -> None:
    RUNS.request_stop(_owner(request))


TRAIN_FIRST = "Train the generator first: press Start above."


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
def sine_curve(state: dict | None, *z: float):
    """Redraw the trained generator's curve for the slider values z (one per input dimension); a refusal
    leaves the plot as it was and says why under the note."""
    try:
        values = check_z(state, z)
    except ValueError as error:
        return gr.skip(), f"{explore_note(state)}\n\n{_refused('sine_curve', error)}"
    generator = SineGenerator(SineConfig(n_ideas=state["n_ideas"]))
    generator.load_state_dict(state["weights"])
    curve = generator(torch.tensor([values]))[0].tolist()
    plot = _curves(state["target"], state["examples"], "Your input vector (red) among samples (faint)", curve)
    return plot, explore_note(state)


def _random_z(state: dict | None, seed: float):
    if not state:
        refusal = _refused("sine_random_z", ValueError(TRAIN_FIRST))
        return *[gr.skip()] * (MAX_IDEAS + 1), f"{explore_note(None)}\n\n{refusal}"
    rng = torch.Generator().manual_seed(int(seed or 0))
    values = torch.randn(state["n_ideas"], generator=rng).clamp(-SLIDER_RANGE, SLIDER_RANGE).tolist()
    return *[round(v, 2) for v in values], *[0.0] * (MAX_IDEAS - len(values)), int(seed or 0) + 1, gr.skip()


def _on_target(target: str, state: dict | None):
    """The dropdown changed: before any run, preview the family and say what to look for on it."""
    note = explore_note(state, target)
    return (gr.skip() if state else target_preview(target)), note


SWEEP_SIZES = [1, 2, 3, 5, 8, 16]


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


def sweep_sine(
    sizes: list[int], target: str = "parabola", steps: int = 3000, batch_size: int = 64, lr_g: float = 1e-4,
    lr_d: float = 1e-4, seed: int = 0, device: str = "auto", request: gr.Request = None,
) -> Iterator[dict]:
    """Train one sine-toy GAN per input size (e.g. [1, 2, 5, 16]) side by side, batched, streaming records.

    Each record has per-size lists: d_loss, g_loss, d_real, d_fake, fit_error, curves; plus step, sizes,
    steps_per_s, elapsed_s, done.
    """
    config = make_sweep_config(sizes, target, 1, steps, batch_size, lr_g, lr_d, seed, device)
    for record, _ in _records(config, _owner(request)):
        yield record.to_dict()


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


def _names(sizes: list[int]) -> str:
    shown = [str(n) for n in sizes]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def sweep_verdict(target: str, sizes: list[int], fit_history: list[list[float]]) -> str:
    """The sweep's conclusion in words: a size wins only when it is clearly better than the others (the rule:
    training.sine_sweep.compare_sizes); sizes within each other's noise are called a tie, with what that teaches."""
    result = compare_sizes(sizes, fit_history)
    verdict = _verdict(target, sizes, result)
    if result.still_falling:
        verdict += (f" *The fit error of n_ideas = {_names(result.still_falling)} was still falling at the end: run "
                    "more steps before trusting this.*")
    return verdict


def _verdict(target: str, sizes: list[int], result: SizeComparison) -> str:
    level = dict(zip(result.sizes, result.level, strict=True))
    if not result.best:
        return "No size produced a finite fit error: every model diverged. Try smaller learning rates."
    noise = (f"over the last {result.settled_records} records, within each run's own wobble"
             if result.measured_wobble else
             f"within {TIE_RATIO:g}x of the best: the run is too short to measure its wobble")
    if len(sizes) == 1:
        return (f"Only n_ideas = {sizes[0]} was trained (fit error {level[sizes[0]]:.3f}): choose more sizes "
                "to compare.")
    if not result.worse:
        low, high = min(result.level), max(result.level)
        return (f"**Tie: every size fits about as well** (fit error {low:.3f}-{high:.3f}, {noise}). "
                f"{TIE_LESSONS.get(target, '')}")
    worse = ", ".join(f"{n} ({level[n]:.3f})" for n in sorted(result.worse))
    best = sorted(result.best)
    if len(best) == 1:
        head = f"**Best fit: n_ideas = {best[0]}** (fit error {level[best[0]]:.3f}), clearly below"
    else:
        head = (f"**Best: n_ideas = {_names(best)}, tied** (fit error {min(level[n] for n in best):.3f}-"
                f"{max(level[n] for n in best):.3f}, {noise}), clearly below")
    margin = ("whose whole range of fit errors stayed higher" if result.measured_wobble else
              f"more than {TIE_RATIO:g}x the best")
    return (f"{head} n_ideas = {worse}, {margin}. One run decides little: try another seed or more steps to see "
            "whether the ranking holds.")


def _sweep_ui(sizes, target, n_ideas, steps, batch_size, lr_g, lr_d, seed, device, request: gr.Request):
    """Page event behind Run sweep; a refusal stays in the sweep's status line."""
    outputs = 3 + MAX_MODELS
    try:
        config = make_sweep_config(sizes, target, n_ideas, steps, batch_size, lr_g, lr_d, seed, device)
    except (gr.Error, ValueError) as error:
        yield gr.skip(), gr.skip(), _refused("sweep_sine_ui", error), *[gr.skip()] * (outputs - 3)
        return
    history: list[SweepRecord] = []
    last_update = 0.0
    try:
        for record, _ in _records(config, _owner(request)):
            history.append(record)
            if record.done or time.monotonic() - last_update >= MIN_UPDATE_INTERVAL:
                last_update = time.monotonic()
                yield _sweep_outputs(history, config.target, config.steps)
    except (gr.Error, ValueError) as error:
        yield gr.skip(), gr.skip(), _refused("sweep_sine_ui", error), *[gr.skip()] * (outputs - 3)


def build() -> None:
    """Lay out the tab and wire its events (inside the page's gr.Blocks)."""
    WORKERS.warm_up()  # the first run then starts at once instead of waiting for a worker to import torch
    gr.Markdown(INTRO)
    trained = gr.State(None)
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            target = gr.Dropdown(
                list(TARGETS), value=DEFAULT_TARGET, label="Target family",
                info="What real curves look like. parabola has one knob for z to find; sine has none; "
                     "two-mode shows mode collapse.", elem_id="sine-target",
            )
            n_ideas = gr.Slider(1, MAX_IDEAS, value=5, step=1, label="n_ideas (input dimensions)",
                                info="Length of the generator's random input vector z.", elem_id="sine-n-ideas")
            # No minimum/maximum on these boxes: Gradio would refuse an out-of-range value with a toast before
            # the event runs; make_config checks every value and the refusal stays in the readout instead.
            steps = gr.Number(10_000, precision=0, label="Steps",
                              info=f"Training steps (at most {MAX_STEPS:,}; runs stop after {MAX_RUN_SECONDS} s).",
                              elem_id="sine-steps")
            batch_size = gr.Number(64, precision=0, label="Batch size",
                                   info=f"Real and fake curves per step (1 to {MAX_BATCH:,}).", elem_id="sine-batch")
            with gr.Row():
                lr_g = gr.Number(1e-4, label="lr G", info="Generator's Adam step size.", elem_id="sine-lr-g")
                lr_d = gr.Number(1e-4, label="lr D", info="Discriminator's Adam step size.", elem_id="sine-lr-d")
            seed = gr.Number(0, precision=0, label="Seed",
                             info="Same seed, same run (on CPU).", elem_id="sine-seed")
            device = gr.Radio(
                ["auto", "cpu", "cuda"], value="auto", label="Device",
                info="auto uses the GPU when the server has one"
                + ("" if torch.cuda.is_available() else " (this server: CPU only)."),
                elem_id="sine-device",
            )
            with gr.Row():
                start = gr.Button("Start", variant="primary", elem_id="sine-start")
                stop = gr.Button("Stop", variant="stop", elem_id="sine-stop")
            readout = gr.Markdown("Press **Start** to train.", elem_id="sine-readout")
        with gr.Column(scale=2):
            loss_plot = gr.Plot(label="Losses", elem_id="sine-loss-plot")
            prob_plot = gr.Plot(label="D(real) and D(G(z))", elem_id="sine-prob-plot")
            curve_plot = gr.Plot(target_preview(DEFAULT_TARGET), label="Curves",
                                 elem_id="sine-curve-plot")

    gr.Markdown(
        "### What does each input dimension do?\nAfter a run, each slider sets one entry of the trained "
        "generator's input vector z; the red curve is G(z)."
    )
    note = gr.Markdown(explore_note(None), elem_id="sine-explore-note")
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            sliders = [
                gr.Slider(-SLIDER_RANGE, SLIDER_RANGE, value=0.0, step=0.05, label=f"z[{i}]", visible=False,
                          interactive=True, elem_id=f"sine-z{i}")
                for i in range(MAX_IDEAS)
            ]
            with gr.Row():
                randomize = gr.Button("Random z", elem_id="sine-random", visible=False)
                z_seed = gr.State(1)
        with gr.Column(scale=2):
            explore_plot = gr.Plot(label="The trained generator", elem_id="sine-explore-plot")

    with gr.Accordion("Latent-size sweep: how many input dimensions does the generator need?", open=False):
        gr.Markdown("Trains one generator per input size side by side (batched in one process) with the "
                    "settings above, then compares how well each fits the target family.")
        with gr.Row():
            sweep_sizes = gr.CheckboxGroup(
                SWEEP_SIZES, value=[1, 2, 5, 16], label="Input sizes (n_ideas)",
                info=f"Up to {MAX_MODELS} sizes trained at once.", elem_id="sine-sweep-sizes",
            )
            sweep_start = gr.Button("Run sweep", variant="primary", elem_id="sine-sweep-start", scale=0)
        sweep_status = gr.Markdown(elem_id="sine-sweep-status")
        with gr.Row():
            sweep_fit = gr.Plot(label="Fit error", elem_id="sine-sweep-fit")
            sweep_loss = gr.Plot(label="G loss", elem_id="sine-sweep-loss")
        with gr.Row():
            sweep_panels = [gr.Plot(visible=False, show_label=False, elem_id=f"sine-sweep-curves{i}")
                            for i in range(MAX_MODELS)]

    settings = [target, n_ideas, steps, batch_size, lr_g, lr_d, seed, device]
    target.input(_on_target, [target, trained], [curve_plot, note], api_name="sine_target", show_progress="hidden",
                 api_visibility="private")
    start.click(
        _train_ui, settings,
        [loss_plot, prob_plot, curve_plot, readout, trained, explore_plot, note, randomize, *sliders],
        api_name="train_sine_ui", api_visibility="private", show_progress="minimal",
        concurrency_id="train", concurrency_limit=RUNS.max_concurrent,
    )
    stop.click(_stop, None, None, api_name="stop_sine", api_visibility="private", queue=False)
    for slider in sliders:
        slider.change(
            sine_curve, [trained, *sliders], [explore_plot, note], api_name=False, trigger_mode="always_last",
            show_progress="hidden", concurrency_id="render", concurrency_limit=8,
        )
    randomize.click(
        _random_z, [trained, z_seed], [*sliders, z_seed, note], api_name="sine_random_z", api_visibility="private",
        show_progress="hidden",
    )
    sweep_start.click(
        _sweep_ui, [sweep_sizes, *settings], [sweep_fit, sweep_loss, sweep_status, *sweep_panels],
        api_name="sweep_sine_ui", api_visibility="private", show_progress="minimal",
        concurrency_id="train", concurrency_limit=RUNS.max_concurrent,
    )

