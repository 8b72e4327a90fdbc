"""The Sine toy tab's words: a run's progress lines, how it ended, what the sliders show per target, refusals
shown inline, and the latent-size sweep's verdict."""

from __future__ import annotations

import gradio as gr

from training.sine import D_LOSS_EQUILIBRIUM, SineRecord
from training.sine_sweep import TIE_RATIO, SizeComparison, compare_sizes
from ui import guard
from ui.sine_runs import DEFAULT_TARGET, MAX_RUN_SECONDS

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
TRAIN_FIRST = "Train the generator first: press Start above."


def run_readout(record: SineRecord, steps: int) -> str:
    """The readout under Start: where the run is, D's and G's scores against their equilibrium values."""
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


def refusal(name: str, error: Exception) -> str:
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
