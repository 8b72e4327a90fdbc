"""The "Sine toy" tab: train the classic 1-D GAN live, watch D and G settle, then move each input
dimension of the trained generator and see what it does to the curve.

This module lays the tab out and wires its events; the events themselves are in ui/sine_views.py, their
words in ui/sine_text.py, and the runs and the public endpoints in ui/sine_runs.py."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import torch

from gan_models.sine import MAX_IDEAS, TARGETS
from training.limits import RUNS
from training.sine import MAX_BATCH, MAX_STEPS
from training.sine_sweep import MAX_MODELS
from training.worker import WORKERS
from ui.sine_runs import DEFAULT_TARGET, MAX_RUN_SECONDS, stop_run
from ui.sine_text import explore_note
from ui.sine_views import SLIDER_RANGE, on_target, random_z, sine_curve, sweep_ui, target_preview, train_ui

INTRO = """
**The 50-line GAN.** The generator turns a few random numbers (its *input vector*, `n_ideas` of them) into a
curve of 15 points; the discriminator sees real curves from the target family and the generator's fakes and
scores each one. Press **Start**: the losses settle near their equilibrium lines when neither can beat the
other. Then use the sliders below to move each input dimension yourself.
"""
SWEEP_SIZES = [1, 2, 3, 5, 8, 16]


@dataclass
class _TrainPanel:
    settings: list  # target, n_ideas, steps, batch size, lr G, lr D, seed, device: make_config's order
    start: gr.Button
    stop: gr.Button
    readout: gr.Markdown
    plots: list  # losses, D(real) and D(G(z)), curves


@dataclass
class _ExplorePanel:
    note: gr.Markdown
    sliders: list
    randomize: gr.Button
    z_seed: gr.State
    plot: gr.Plot


@dataclass
class _SweepPanel:
    sizes: gr.CheckboxGroup
    start: gr.Button
    outputs: list  # fit error plot, G loss plot, status, one curve panel per model: sweep_ui's outputs


def build() -> None:
    """Lay out the tab and wire its events (inside the page's gr.Blocks)."""
    WORKERS.warm_up()  # the first run then starts at once instead of waiting for a worker to import torch
    gr.Markdown(INTRO)
    trained = gr.State(None)
    train = _train_panel()
    explore = _explore_panel()
    sweep = _sweep_panel()
    _wire(trained, train, explore, sweep)


def _train_panel() -> _TrainPanel:
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
                info="auto trains on the CPU: this toy is too small to gain from a GPU"
                + (" (pick cuda to compare)." if torch.cuda.is_available() else " (this server: CPU only)."),
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
    return _TrainPanel([target, n_ideas, steps, batch_size, lr_g, lr_d, seed, device], start, stop, readout,
                       [loss_plot, prob_plot, curve_plot])


def _explore_panel() -> _ExplorePanel:
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
    return _ExplorePanel(note, sliders, randomize, z_seed, explore_plot)


def _sweep_panel() -> _SweepPanel:
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
    return _SweepPanel(sweep_sizes, sweep_start, [sweep_fit, sweep_loss, sweep_status, *sweep_panels])


def _wire(trained: gr.State, train: _TrainPanel, explore: _ExplorePanel, sweep: _SweepPanel) -> None:
    target, curve_plot = train.settings[0], train.plots[2]
    target.input(on_target, [target, trained], [curve_plot, explore.note], api_name="sine_target",
                 show_progress="hidden", api_visibility="private")
    train.start.click(
        train_ui, train.settings,
        [*train.plots, train.readout, trained, explore.plot, explore.note, explore.randomize, *explore.sliders],
        api_name="train_sine_ui", api_visibility="private", show_progress="minimal",
        concurrency_id="train", concurrency_limit=RUNS.max_concurrent,
    )
    train.stop.click(stop_run, None, None, api_name="stop_sine", api_visibility="private", queue=False)
    for slider in explore.sliders:
        slider.change(
            sine_curve, [trained, *explore.sliders], [explore.plot, explore.note], api_name=False,
            trigger_mode="always_last", show_progress="hidden", concurrency_id="render", concurrency_limit=8,
        )
    explore.randomize.click(
        random_z, [trained, explore.z_seed], [*explore.sliders, explore.z_seed, explore.note],
        api_name="sine_random_z", api_visibility="private", show_progress="hidden",
    )
    sweep.start.click(
        sweep_ui, [sweep.sizes, *train.settings], sweep.outputs,
        api_name="sweep_sine_ui", api_visibility="private", show_progress="minimal",
        concurrency_id="train", concurrency_limit=RUNS.max_concurrent,
    )
