"""The "Interpolate" tab: walk from seed A to seed B (and class A to class B), spherical or linear or both
side by side; a strip, an animated GIF and an MP4, all downloadable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from gan_models import latent as L
from gan_models import render
from ui import share
from ui.api import RENDER, scratch_dir, user_errors
from ui.explore_tab import _label, default_model, model_ids

PRIVATE = {"api_visibility": "private"}
METHODS = {"Spherical (slerp)": ("slerp",), "Linear (lerp)": ("lerp",), "Both, side by side": ("slerp", "lerp")}

INTRO = """
**Walk between two images.** The generator's input moves step by step from seed A's vector to seed B's.
*Spherical* interpolation keeps the vector's length typical of the training noise; *linear* cuts through
the middle, where vectors are shorter than anything the generator saw, so mid-way frames often fade.
For conditional models the class can change too; use the same seed for A and B to keep the noise fixed.
"""


@dataclass
class Interpolate:
    model: gr.Dropdown
    seed_a: gr.Number
    seed_b: gr.Number
    label_a: gr.Dropdown
    label_b: gr.Dropdown
    frames: gr.Slider
    method: gr.Radio
    truncation: gr.Slider

    @property
    def controls(self) -> list[gr.components.Component]:
        return [self.model, self.seed_a, self.seed_b, self.label_a, self.label_b, self.frames, self.method,
                self.truncation]


@user_errors
def on_model(model: str, label_a: Any = None, label_b: Any = None) -> tuple:
    """Class pickers for the model (hidden for unconditional models)."""
    spec = render.model_spec(render.load_model(model))
    classes = spec["classes"]
    if not classes:
        hidden = gr.update(choices=[], value=None, visible=False)
        return hidden, hidden
    loaded = render.load_model(model)
    a = classes[render.resolve_label(loaded, label_a)]
    b = classes[render.resolve_label(loaded, label_b if label_b not in (None, "") else min(1, len(classes) - 1))]
    return (gr.update(choices=classes, value=a, visible=True), gr.update(choices=classes, value=b, visible=True))


@user_errors
def run(model: str, seed_a: float, seed_b: float, label_a: str | None, label_b: str | None, frames: float,
        method: str, truncation: float):
    """Strips and GIFs for the chosen method(s); the MP4 follows in a second step (ffmpeg is slower)."""
    methods = METHODS.get(method)
    if methods is None:
        raise gr.Error(f"Method must be one of {', '.join(METHODS)}.")
    out_dir = scratch_dir()
    results = []
    label_a, label_b = _label(model, label_a), _label(model, label_b)
    for m in methods:
        arr = render.interpolation_frames(model, seed_a, seed_b, label_a, label_b, frames, m, truncation)
        gif = render.export_interpolation(arr, out_dir, f"{m}-{int(seed_a)}-{int(seed_b)}", mp4=False)["gif"]
        results.append((render.strip_image(arr), str(gif)))
    second = results[1] if len(results) > 1 else (None, None)
    both = len(results) > 1
    return (
        gr.update(value=results[0][0], label=f"Strip ({methods[0]})"), gr.update(value=results[0][1],
                                                                                label=f"GIF ({methods[0]})"),
        gr.update(value=second[0], visible=both), gr.update(value=second[1], visible=both),
    )


@user_errors
def run_mp4(model: str, seed_a: float, seed_b: float, label_a: str | None, label_b: str | None, frames: float,
            method: str, truncation: float):
    methods = METHODS.get(method) or ("slerp",)
    out_dir = scratch_dir()
    files: list[str] = []
    video = None
    label_a, label_b = _label(model, label_a), _label(model, label_b)
    for m in methods:
        arr = render.interpolation_frames(model, seed_a, seed_b, label_a, label_b, frames, m, truncation)
        written = render.export_interpolation(arr, out_dir, f"{m}-{int(seed_a)}-{int(seed_b)}")
        strip_path = out_dir / f"{m}-{int(seed_a)}-{int(seed_b)}-strip.png"
        from PIL import Image

        Image.fromarray(render.strip_image(arr)).save(strip_path)
        files += [str(written["gif"]), str(written["mp4"]), str(strip_path)]
        video = video or str(written["mp4"])
    return video, files


@user_errors
def share_query(model, seed_a, seed_b, label_a, label_b, frames, method, truncation) -> str:
    state = share.interpolate_state(model, seed_a, seed_b, label_a, label_b, frames, METHODS.get(method, ("slerp",)),
                                    truncation)
    return share.to_query(state)


def build() -> Interpolate:
    """Lay out the tab and wire its events (inside the page's gr.Blocks); returns the restorable controls."""
    gr.Markdown(INTRO)
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            model = gr.Dropdown(model_ids(), value=default_model(), allow_custom_value=True, label="Model",
                                elem_id="ip-model",
                                info="A shipped generator, or a Hugging Face repo id (org/name[@revision]).")
            with gr.Row():
                seed_a = gr.Number(0, precision=0, minimum=0, maximum=L.MAX_SEED, label="Seed A", elem_id="ip-seed-a",
                                   info="Start vector.")
                seed_b = gr.Number(1, precision=0, minimum=0, maximum=L.MAX_SEED, label="Seed B", elem_id="ip-seed-b",
                                   info="End vector (same as A: noise fixed).")
            with gr.Row():
                label_a = gr.Dropdown([], label="Class A", visible=False, elem_id="ip-label-a",
                                      info="Class at the start (conditional models).")
                label_b = gr.Dropdown([], label="Class B", visible=False, elem_id="ip-label-b",
                                      info="Class at the end.")
            frames = gr.Slider(2, render.MAX_FRAMES, value=16, step=1, label="Frames", elem_id="ip-frames",
                               info=f"Images along the path, both ends included (2 to {render.MAX_FRAMES}).")
            method = gr.Radio(list(METHODS), value="Spherical (slerp)", label="Path", elem_id="ip-method",
                              info="Spherical keeps |z| typical; linear passes through short vectors.")
            truncation = gr.Slider(0.0, 2.0, value=1.0, step=0.05, label="Truncation", elem_id="ip-truncation",
                                   info="Scales every frame's z toward the average (1 = unchanged).")
            go = gr.Button("Interpolate", variant="primary", elem_id="ip-run")
            link_btn = gr.Button("Share link", elem_id="ip-share")
            link = gr.Textbox(label="Link to this interpolation", buttons=["copy"], interactive=False,
                              elem_id="ip-link", info="Opens the page on this tab with these settings.")
        with gr.Column(scale=2):
            strip_1 = gr.Image(label="Strip", format="png", interactive=False, elem_id="ip-strip-1")
            strip_2 = gr.Image(label="Strip (lerp)", format="png", interactive=False, visible=False,
                               elem_id="ip-strip-2")
            with gr.Row():
                gif_1 = gr.Image(label="GIF", type="filepath", interactive=False, elem_id="ip-gif-1",
                                 buttons=["download"])
                gif_2 = gr.Image(label="GIF (lerp)", type="filepath", interactive=False, visible=False,
                                 elem_id="ip-gif-2", buttons=["download"])
            video = gr.Video(label="MP4", interactive=False, elem_id="ip-mp4", height=320)
            files = gr.File(label="Downloads (GIF, MP4, strip PNG)", file_count="multiple", elem_id="ip-files")

    ip = Interpolate(model, seed_a, seed_b, label_a, label_b, frames, method, truncation)
    inputs = ip.controls
    model.input(on_model, [model], [label_a, label_b], api_name="interpolate_model", show_progress="hidden",
                **PRIVATE)
    go.click(run, inputs, [strip_1, gif_1, strip_2, gif_2], api_name="interpolate_ui", show_progress="minimal",
             **RENDER, **PRIVATE).success(
        run_mp4, inputs, [video, files], api_name="interpolate_ui_mp4", show_progress="minimal", **RENDER,
        **PRIVATE)
    link_btn.click(share_query, inputs, link, api_name="interpolate_share", **PRIVATE).then(
        None, link, link, js="(q) => q ? window.location.origin + window.location.pathname + q : q")
    return ip
