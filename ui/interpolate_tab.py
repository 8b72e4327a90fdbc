"""The "Interpolate" tab: walk from seed A to seed B (and class A to class B), spherical or linear or both
side by side; a captioned strip, an animated GIF and an MP4, all downloadable.

The tab opens on a rendered default (or the shared link's interpolation), every control change re-renders,
and the line above the images says what they show; a refused input is said there too and stays until the
next render (a toast fades), with the images left as they were and named as such."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np

from gan_models import latent as L
from gan_models import render
from gan_models.inputs import MAX_FRAMES, check_frames, resolve_label
from gan_models.media import enlarge_frames, export_interpolation, strip_image
from ui import guard, share
from ui.common import PRIVATE, RENDER, class_or_none, default_model, model_ids, scratch_dir, user_errors

METHODS = {"Spherical (slerp)": ("slerp",), "Linear (lerp)": ("lerp",), "Both, side by side": ("slerp", "lerp")}
PATH_NAMES = {"slerp": "Spherical (slerp)", "lerp": "Linear (lerp)"}
LINK_METHODS = {"slerp": "Spherical (slerp)", "lerp": "Linear (lerp)", "both": "Both, side by side"}
DEFAULTS = {"seed_a": 0, "seed_b": 1, "frames": 16, "method": "Spherical (slerp)", "truncation": 1.0}
VIDEO_SIDE = 192  # px: GIF/MP4 frames are upscaled (nearest) to about this, so the browser need not blur them
CAPTION = 22  # px under each half of a side-by-side video frame

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
    a = classes[resolve_label(loaded, label_a)]
    b = classes[resolve_label(loaded, label_b if label_b not in (None, "") else min(1, len(classes) - 1))]
    return (gr.update(choices=classes, value=a, visible=True), gr.update(choices=classes, value=b, visible=True))


def _seed(name: str, value: Any) -> int:
    try:
        return L.check_seed(value)
    except ValueError as error:
        raise ValueError(str(error).replace("Seed", name, 1)) from None


def side_by_side(paths: dict[str, np.ndarray]) -> np.ndarray:
    """uint8 [N, H', W', C]: the frames of each path next to each other, each upscaled to about VIDEO_SIDE px
    and named in a caption band underneath (one GIF/MP4 that compares spherical and linear frame by frame)."""
    from PIL import Image, ImageDraw, ImageFont

    arrays = list(paths.values())
    n, h, w, channels = arrays[0].shape
    scale = _video_scale(h)
    gap = 8
    width = len(arrays) * w * scale + (len(arrays) - 1) * gap
    out = np.full((n, h * scale + CAPTION, width, channels), 255, dtype=np.uint8)
    for i, frames in enumerate(arrays):
        x = i * (w * scale + gap)
        out[:, : h * scale, x : x + w * scale] = enlarge_frames(frames, scale)
    band = Image.fromarray(out[0, h * scale :, :, :] if channels == 3 else out[0, h * scale :, :, 0])
    draw = ImageDraw.Draw(band)
    font = ImageFont.load_default(size=14)
    for i, name in enumerate(paths):
        draw.text((i * (w * scale + gap) + w * scale / 2, CAPTION / 2), name, fill=(40, 40, 40) if channels == 3
                  else 40, font=font, anchor="mm")
    caption = np.asarray(band).reshape(CAPTION, width, channels)
    out[:, h * scale :] = caption
    return out


def _video_scale(h: int) -> int:
    return max(1, -(-VIDEO_SIDE // h))  # ceil


def _shown(model: str, seed_a: int, seed_b: int, label_a: Any, label_b: Any, frames: int, methods: tuple,
           truncation: float) -> str:
    classes = f", class {label_a} → {label_b}" if label_a is not None else ""
    paths = " and ".join(PATH_NAMES[m].split(" ")[0].lower() for m in methods)
    return (f"**{model}**: seed {seed_a} → {seed_b}{classes}, {frames} frames, {paths} path"
            f"{'s side by side' if len(methods) > 1 else ''}, truncation {truncation:g}")


def draw(model: str, seed_a: Any, seed_b: Any, label_a: Any, label_b: Any, frames: Any, method: Any,
         truncation: Any) -> tuple[list, str]:
    """The tab's outputs for these controls (every input validated here, by name), and what they show.
    Raises ValueError / gr.Error for a refused input."""
    methods = METHODS.get(method) if isinstance(method, str) else None
    if methods is None:
        raise ValueError(f"Path must be one of {', '.join(METHODS)}.")
    if not isinstance(model, str) or not model:
        raise ValueError("Choose a model first.")
    sa, sb = _seed("Seed A", seed_a), _seed("Seed B", seed_b)
    n, trunc = check_frames(frames), L.check_truncation(truncation)
    loaded = render.load_model(model)
    label_a, label_b = class_or_none(loaded, label_a), class_or_none(loaded, label_b)
    out_dir = scratch_dir()
    arrays = {m: render.interpolation_frames(loaded, sa, sb, label_a, label_b, n, m, trunc) for m in methods}
    files, strips = [], []
    from PIL import Image

    for m, arr in arrays.items():
        strip = strip_image(arr)
        path = out_dir / f"{m}-{sa}-{sb}-strip.png"
        Image.fromarray(strip).save(path)
        strips.append(strip)
        files.append(str(path))
    if len(methods) == 1:
        scale = _video_scale(arrays[methods[0]].shape[1])
        video_frames = enlarge_frames(arrays[methods[0]], scale)
    else:
        video_frames = side_by_side({PATH_NAMES[m]: a for m, a in arrays.items()})
    written = export_interpolation(video_frames, out_dir, f"{'-'.join(methods)}-{sa}-{sb}")
    files = [str(written["gif"]), str(written["mp4"]), *files]
    both = len(methods) > 1
    shown = _shown(model, sa, sb, label_a, label_b, n, methods, trunc)
    outputs = [
        f"**{PATH_NAMES[methods[0]]}**: frame A (seed {sa}) to frame B (seed {sb})", strips[0],
        gr.update(visible=both), f"**{PATH_NAMES['lerp']}**: the same seeds, classes and frames" if both else gr.skip(),
        strips[1] if both else gr.skip(),
        str(written["gif"]), str(written["mp4"]), files,
    ]
    return outputs, shown


N_OUTPUTS = 8  # title, strip, second strip's group, its title, its strip, GIF, MP4, files


def render_ui(model, seed_a, seed_b, label_a, label_b, frames, method, truncation, shown):
    """Page event behind every control and the button: the outputs, the status line and what is shown. A
    refusal leaves the images as they were and says so in the status line (no toast, no error badge)."""
    try:
        outputs, now = draw(model, seed_a, seed_b, label_a, label_b, frames, method, truncation)
    except (gr.Error, ValueError) as error:
        message = guard.clip(error.message if isinstance(error, gr.Error) else error)
        guard.log.info("refused interpolate_ui: %s", message)
        still = f"\n\nStill showing {shown}." if shown else ""
        return *[gr.skip()] * N_OUTPUTS, f"⚠️ **{message}**{still}", gr.skip()
    return *outputs, f"Showing {now}.", now


def on_model_ui(model: str, label_a: Any, label_b: Any) -> tuple:
    """The model changed: new class pickers, or leave them (the render that follows says what is wrong)."""
    try:
        return on_model(model, label_a, label_b)
    except (gr.Error, ValueError):
        return gr.skip(), gr.skip()


def link_values(params: dict) -> list:
    """The controls a page load shows: the shared link's interpolation or the defaults, as links.restore sets
    them (so the image drawn on load matches the controls)."""
    try:
        state = share.from_query(params)
    except ValueError:
        state = {"tab": "explore"}
    model = state.get("model") or default_model()
    seed = state.get("seed", DEFAULTS["seed_a"])
    frames = min(max(int(state.get("frames", DEFAULTS["frames"])), 2), MAX_FRAMES)
    method = LINK_METHODS.get(state.get("method", "slerp"), DEFAULTS["method"])
    return [model, seed, state.get("seed_b", seed + 1), state.get("label"), state.get("label_b"), frames, method,
            state.get("truncation", DEFAULTS["truncation"])]


def on_load(request: gr.Request):
    """demo.load: draw the default (or linked) interpolation, so the tab never opens empty."""
    params = dict(request.query_params) if request is not None else {}
    values = link_values(params)
    try:
        la, lb = on_model(values[0], values[3], values[4])
        values[3], values[4] = la.get("value"), lb.get("value")
        outputs, now = draw(*values)
    except (gr.Error, ValueError) as error:
        message = guard.clip(error.message if isinstance(error, gr.Error) else error)
        values = link_values({})
        if values[0] is None:
            return *[gr.skip()] * (8 + N_OUTPUTS), f"⚠️ No models are available: {message}", None
        la, lb = on_model(values[0])
        values[3], values[4] = la.get("value"), lb.get("value")
        outputs, now = draw(*values)
        note = f"⚠️ The link's interpolation could not be drawn ({message}); showing the default.\n\n"
        return (gr.update(value=values[0]), values[1], values[2], la, lb, *values[5:], *outputs,
                f"{note}Showing {now}.", now)
    return (gr.update(value=values[0]), values[1], values[2], la, lb, *values[5:], *outputs, f"Showing {now}.",
            now)


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
            # No minimum/maximum on the seed boxes: Gradio would refuse a bad seed with a toast before the
            # event runs; the event checks it and says why in the status line instead.
            with gr.Row():
                seed_a = gr.Number(DEFAULTS["seed_a"], precision=0, label="Seed A", elem_id="ip-seed-a",
                                   info=f"Start vector (0 to {L.MAX_SEED:,}).")
                seed_b = gr.Number(DEFAULTS["seed_b"], precision=0, label="Seed B", elem_id="ip-seed-b",
                                   info="End vector (same as A: noise fixed).")
            with gr.Row():
                label_a = gr.Dropdown([], label="Class A", visible=False, elem_id="ip-label-a",
                                      info="Class at the start (conditional models).")
                label_b = gr.Dropdown([], label="Class B", visible=False, elem_id="ip-label-b",
                                      info="Class at the end.")
            frames = gr.Slider(2, MAX_FRAMES, value=DEFAULTS["frames"], step=1, label="Frames",
                               elem_id="ip-frames",
                               info=f"Images along the path, both ends included (2 to {MAX_FRAMES}).")
            method = gr.Radio(list(METHODS), value=DEFAULTS["method"], label="Path", elem_id="ip-method",
                              info="Spherical keeps |z| typical; linear passes through short vectors.")
            truncation = gr.Slider(0.0, 2.0, value=DEFAULTS["truncation"], step=0.05, label="Truncation",
                                   elem_id="ip-truncation",
                                   info="Scales every frame's z toward the average (1 = unchanged).")
            go = gr.Button("Interpolate", variant="primary", elem_id="ip-run")
            link_btn = gr.Button("Share link", elem_id="ip-share")
            link = gr.Textbox(label="Link to this interpolation", buttons=["copy"], interactive=False,
                              elem_id="ip-link", info="Opens the page on this tab with these settings.")
        with gr.Column(scale=2):
            status = gr.Markdown("Drawing the default interpolation…", elem_id="ip-status")
            shown = gr.State("")
            title_1 = gr.Markdown(elem_id="ip-strip-1-title")
            strip_1 = gr.Image(show_label=False, format="png", interactive=False, elem_id="ip-strip-1",
                               buttons=["download", "fullscreen"])
            with gr.Column(visible=False, elem_id="ip-second") as second:
                title_2 = gr.Markdown(elem_id="ip-strip-2-title")
                strip_2 = gr.Image(show_label=False, format="png", interactive=False, elem_id="ip-strip-2",
                                   buttons=["download", "fullscreen"])
            with gr.Row(equal_height=True):
                gif = gr.Image(label="GIF", type="filepath", interactive=False, elem_id="ip-gif",
                               buttons=["download"], height=280)
                video = gr.Video(label="MP4", interactive=False, elem_id="ip-mp4", height=280, autoplay=True,
                                 loop=True)
            files = gr.File(label="Downloads (GIF, MP4, strip PNGs)", file_count="multiple", elem_id="ip-files",
                            interactive=False)

    ip = Interpolate(model, seed_a, seed_b, label_a, label_b, frames, method, truncation)
    inputs = [*ip.controls, shown]
    outputs = [title_1, strip_1, second, title_2, strip_2, gif, video, files, status, shown]
    live = {"trigger_mode": "always_last", "show_progress": "hidden", **RENDER, **PRIVATE}
    model.input(on_model_ui, [model, label_a, label_b], [label_a, label_b], api_name="interpolate_model",
                show_progress="hidden", **PRIVATE).then(render_ui, inputs, outputs, api_name="interpolate_ui_model",
                                                         **live)
    # Seed boxes re-render on Enter or on leaving the box (not per keystroke); sliders as they move (always_last:
    # at most one render waits, and the last value is always drawn), typed into or dragged.
    gr.on([seed_a.submit, seed_a.blur, seed_b.submit, seed_b.blur, label_a.input, label_b.input, frames.input,
           method.input, truncation.input, go.click], render_ui, inputs, outputs, api_name="interpolate_ui",
          **live)
    gr.context.Context.root_block.load(on_load, None, [*ip.controls, *outputs], api_name="interpolate_load",
                                       show_progress="hidden", **RENDER, **PRIVATE)
    link_btn.click(share_query, ip.controls, link, api_name="interpolate_share", **PRIVATE).then(
        None, link, link, js="(q) => q ? window.location.origin + window.location.pathname + q : q")
    return ip
