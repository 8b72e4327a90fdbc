"""The "Explore" tab: pick a model and a seed, then drag raw latent dimensions or PCA directions and
watch the image follow. Also: class grid, traversal grid + sensitivity chart, share link and recipe."""

from __future__ import annotations

import json
import random
import statistics
import threading
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from gan_models import dimensions, render
from gan_models import latent as L
from gan_models.inputs import MAX_CLASS_GRID_ROWS, N_DIM_SLIDERS, check_dims, check_n, resolve_label
from gan_models.model import LoadedModel
from ui import guard, share
from ui.common import (
    RENDER,
    SLIDER_RENDER,
    class_or_none,
    default_model,
    model_ids,
    postprocessed_batch,
    scratch_dir,
    user_errors,
)

K = N_DIM_SLIDERS
N_DIR = render.N_DIRECTIONS
N_SLIDER_VALUES = K + 2 * N_DIR  # raw dims, then PCA directions, then SeFa directions
MODES = ("Raw dimensions", "PCA directions", "SeFa directions")
RAW_RANGE = 4.0  # |z_i| > 4 has probability 6e-5 under N(0, 1); beyond that the generator never trained
DIR_RANGE = 5.0
PRIVATE = {"api_visibility": "private"}
LIVE = {"trigger_mode": "always_last", "show_progress": "hidden", **RENDER, **PRIVATE}
SLIDER = {"trigger_mode": "always_last", "show_progress": "hidden", **SLIDER_RENDER, **PRIVATE}

INTRO = """
**What does the input vector do?** A GAN turns a random vector *z* (one number per *dimension*) into an
image. Pick a seed to get a vector, then drag its numbers (raw dimensions) or move along directions that
change the image most: the main axes of variation of many samples (PCA), or the directions the generator's
first layer stretches most, read straight from its weights (SeFa). Watch the image follow.
"""


@dataclass
class Explore:
    """The tab's components, so share.py and app.py can fill them from a link or a recipe."""

    model: gr.Dropdown
    seed: gr.Number
    label: gr.Dropdown
    truncation: gr.Slider
    n: gr.Radio
    dims: gr.Dropdown
    raw: list[gr.Slider]
    amounts: list[gr.Slider]  # PCA directions
    closed_form: list[gr.Slider]  # SeFa directions
    mode: gr.Radio
    image: gr.Image
    readout: gr.Markdown
    info: gr.JSON

    @property
    def setup_outputs(self) -> list[gr.components.Component]:
        return [*self.state_inputs, self.mode, self.image, self.readout, self.info]

    @property
    def state_inputs(self) -> list[gr.components.Component]:
        return [self.model, self.seed, self.label, self.truncation, self.n, self.dims, *self.raw, *self.amounts,
                *self.closed_form]


# ---------------------------------------------------------------------------------------------
# Callbacks (thin: the work happens in gan_models.render and gan_models.dimensions)
# ---------------------------------------------------------------------------------------------


def _readout(info: render.RenderInfo) -> str:
    probs = [p for p in info.d_prob if p is not None]
    lo, hi = info.typical_norm
    norms = info.latent_norm
    parts = [f"**Seeds** {info.seeds[0]}" + (f"..{info.seeds[-1]}" if info.n > 1 else "")]
    if info.class_name:
        parts.append(f"**class** {info.class_name}")
    # A grid's numbers are under each tile and per image in Details (JSON); the readout summarises them
    # (min / median / max) instead of listing 2 x 16 numbers.
    if probs and len(probs) == 1:
        parts.append(f"**D(real)** {probs[0]:.2f}")
    elif probs:
        parts.append(f"**D(real)** median {statistics.median(probs):.2f} (min {min(probs):.2f}, max {max(probs):.2f})")
    shown = (f"{norms[0]:.1f}" if len(norms) == 1 else
             f"median {statistics.median(norms):.1f} (min {min(norms):.1f}, max {max(norms):.1f})")
    parts.append(f"**|z|** {shown} (typical {lo:.1f}-{hi:.1f})")
    text = " · ".join(parts)
    if info.warnings:
        text += "\n\n⚠️ " + "; ".join(info.warnings)
    return text


def warm_up() -> None:
    """Compute the shipped models' directions in the background, so the first visitor does not wait."""
    def work() -> None:
        for model_id in model_ids():
            try:
                render.directions(render.load_model(model_id))
            except Exception:  # a broken checkpoint shows its error when someone picks it
                pass

    threading.Thread(target=work, name="directions-warm-up", daemon=True).start()


def _edits(model: LoadedModel, seed: Any, dims: list, values: list) -> dict[str, float]:
    if not isinstance(values, (list, tuple)) or len(values) != N_SLIDER_VALUES:
        raise ValueError(f"Expected {N_SLIDER_VALUES} slider values.")
    raw, pca, closed_form = values[:K], values[K:K + N_DIR], values[K + N_DIR:]
    return dimensions.edits_from_sliders(model, seed, check_dims(dims, K), raw, pca, closed_form)


@user_errors
def render_view(model: str | LoadedModel, seed: float, label: str | None, truncation: float, n: str, dims: list,
                *values):
    """Image + readout for the current controls (the live render behind every slider)."""
    loaded = render.load_model(model)  # once per event: everything below takes the model object
    edits = _edits(loaded, seed, dims, list(values))
    image, info = render.generate(loaded, seed, class_or_none(loaded, label), truncation, edits, n)
    return image, _readout(info), info.as_json()


def render_views(*columns: list) -> tuple[list, list, list]:
    """render_view for a batch of events (Gradio batch=True: one list entry per event, from any session), drawn
    with one generator pass per model. Each entry is on its own: whatever goes wrong with one (bad values of
    any type, a failing render) becomes the message in its own readout, its image is left as it was, and the
    rest of the batch is drawn.

    Wired with preprocess=False: Gradio would check every entry against the first entry's session (its
    dropdown choices), so the raw values come here and are validated per entry by the model layer; ui.guard
    refuses a submission with the wrong number of values before it joins a batch."""
    entries = list(zip(*columns, strict=True)) if columns else []
    calls: list = []
    for entry in entries:
        try:
            if len(entry) != 6 + N_SLIDER_VALUES:
                raise ValueError(f"A slider render takes {6 + N_SLIDER_VALUES} values, got {len(entry)}.")
            model, seed, label, truncation, n, d, *vals = entry
            loaded = render.load_model(model)
            calls.append((loaded, seed, class_or_none(loaded, label), truncation, _edits(loaded, seed, d, vals), n))
        except Exception as error:  # noqa: BLE001 - any failure of one entry is that entry's own message
            calls.append(render.as_user_error(error))
    valid = [c for c in calls if not isinstance(c, ValueError)]
    try:
        drawn = iter(render.generate_batch(valid))
    except Exception as error:  # noqa: BLE001 - generate_batch answers per call; this is a last resort
        failed = render.as_user_error(error)
        drawn = iter([failed] * len(valid))
    images, readouts, infos = [], [], []
    for call in calls:
        result = call if isinstance(call, ValueError) else next(drawn)
        if not isinstance(result, ValueError):
            try:
                readout = _readout(result[1])
            except Exception as error:  # noqa: BLE001
                result = render.as_user_error(error)
        if isinstance(result, ValueError):
            message = guard.clip(result)
            guard.log.info("refused explore_render entry: %s", message)
            images.append(gr.skip())
            readouts.append(f"⚠️ {message}")
            infos.append(gr.skip())
        else:
            images.append(result[0])
            readouts.append(readout)
            infos.append(result[1].as_json())
    return images, readouts, infos


def _class_update(model: LoadedModel, label: Any) -> dict:
    classes = list(model.class_names)
    if not classes:
        return gr.update(choices=[], value=None, visible=False)
    return gr.update(choices=classes, value=classes[resolve_label(model, label)], visible=True)


@user_errors
def setup(
    model: str, seed: Any, label: Any = None, truncation: Any = 1.0, n: Any = 1,
    dims: list[int] | None = None, edits: dict | None = None,
) -> list:
    """Every control for (model, seed): the class list, the default (most sensitive) dims with the seed's
    values, direction labels with their variance shares, then the image. `dims`/`edits` restore a link."""
    loaded = render.load_model(model)
    seed = L.check_seed(seed)
    label_value = _class_update(loaded, label)
    label_arg = label_value["value"]
    d = loaded.latent_dim
    edits = L.parse_edits(edits or {}, d, render.direction_names(loaded))
    edited = [k for k in edits if isinstance(k, int)]
    # Dims a link or recipe edits always get a slider, then the chosen (or most sensitive) ones.
    chosen = check_dims(dims, K) or dimensions.default_dims(loaded, seed, label_arg)
    dims = list(dict.fromkeys(edited + chosen))[:K]
    base = dimensions.seed_values(loaded, seed, dims)
    raw = [
        gr.update(visible=True, label=dimensions.dim_label(loaded, dim), value=_clip(edits.get(dim, v), RAW_RANGE))
        for dim, v in zip(dims, base, strict=True)
    ] + [gr.update(visible=False, value=0.0) for _ in range(K - len(dims))]
    amounts = _direction_sliders(render.directions(loaded), edits, "of variance")
    closed_form = _direction_sliders(render.sefa(loaded), edits, "of the first layer's energy")
    # A link that moves only directions opens their sliders (one that moves raw dims keeps those in view).
    moved = {k[:2] for k in edits if isinstance(k, str)}
    mode = gr.update(value=MODES[2] if L.SEFA_PREFIX in moved else MODES[1]) if moved and not edited else gr.skip()
    slider_values = [u["value"] for u in raw + amounts + closed_form]
    image, readout, info = render_view(loaded, seed, label_arg, truncation, n, dims, *slider_values)
    return [
        gr.update(value=loaded.id), gr.update(value=seed), label_value,
        gr.update(value=L.check_truncation(truncation)),
        gr.update(value=str(check_n(n))), gr.update(choices=list(range(d)), value=dims),
        *raw, *amounts, *closed_form, mode, image, readout, info,
    ]


def _direction_sliders(dirs: L.Directions | None, edits: dict, share_of: str) -> list[dict]:
    """One slider per direction, labelled with its share ("pc0 (12.3% of variance)"), at the edit's amount."""
    shares = [] if dirs is None else dirs.explained.tolist()
    prefix = L.DIRECTION_PREFIX if dirs is None else dirs.prefix
    return [
        gr.update(visible=i < len(shares), value=_clip(edits.get(f"{prefix}{i}", 0.0), DIR_RANGE),
                  label=f"{prefix}{i} ({shares[i]:.1%} {share_of})" if i < len(shares) else f"{prefix}{i}")
        for i in range(N_DIR)
    ]


def _clip(value: float, bound: float) -> float:
    return max(-bound, min(bound, float(value)))


def new_seed(model: str, label: Any, truncation: Any, n: Any) -> list:
    return setup(model, random.randint(0, 2**31 - 1), label, truncation, n)


def on_model(model: str, seed: Any, truncation: Any, n: Any) -> list:
    return setup(model, seed, None, truncation, n)


def on_seed(model: str, seed: Any, label: Any, truncation: Any, n: Any) -> list:
    return setup(model, seed, label, truncation, n)


@user_errors
def on_dims(model: str, seed: Any, dims: list):
    """Re-label the raw sliders for the chosen dimensions, each at the seed's value."""
    if isinstance(dims, list) and len(dims) > K:
        raise gr.Error(f"At most {K} dimensions get sliders; remove one first.")
    dims = check_dims(dims, K)
    loaded = render.load_model(model)
    base = dimensions.seed_values(loaded, seed, dims)
    return [gr.update(visible=True, label=dimensions.dim_label(loaded, d), value=_clip(v, RAW_RANGE))
            for d, v in zip(dims, base, strict=True)
            ] + [gr.update(visible=False, value=0.0) for _ in range(K - len(dims))]


@user_errors
def reset_sliders(model: str, seed: Any, dims: list):
    return *on_dims(model, seed, dims), *[0.0] * (2 * N_DIR)


@user_errors
def make_class_grid(model: str, seed: float, rows: float, truncation: float, dims: list, *values):
    loaded = render.load_model(model)
    return render.class_grid(loaded, seed, rows, truncation, _edits(loaded, seed, dims, list(values)))


@user_errors
def make_traversal(model: str, seed: float, label: str | None, truncation: float, dims: list, *values):
    loaded = render.load_model(model)
    edits = _edits(loaded, seed, dims, list(values))
    edits = {k: v for k, v in edits.items() if not k.isdigit()}  # the grid sets the raw dims itself
    label = class_or_none(loaded, label)
    grid = dimensions.traversal_grid(loaded, seed, label, truncation, edits, check_dims(dims, K))
    table = pd.DataFrame(dimensions.sensitivity_table(loaded, seed, label, sliders=check_dims(dims, K)))
    return grid, _chart(table)


def _chart(table: pd.DataFrame) -> dict:
    # Bars start at zero: an auto-scaled axis would make small differences look large.
    return gr.update(value=table, y_lim=[0, float(table["sensitivity"].max()) * 1.05])


def sensitivity_chart(model: str, seed: Any, label: Any, dims: list) -> dict:
    """The chart of the dimensions this image is most sensitive to, the ones with sliders marked: the same
    ranking that picks the default sliders, so the chart and the sliders agree."""
    try:
        loaded = render.load_model(model)
        table = pd.DataFrame(dimensions.sensitivity_table(loaded, L.check_seed(seed), class_or_none(loaded, label),
                                                          sliders=check_dims(dims, K)))
    except ValueError:
        # Mid model switch (the old model's class or dims beside the new id): the view's own render says what
        # is wrong with real input, and the setup that follows fires this chart again with matching values.
        return gr.skip()
    return _chart(table)


@user_errors
def share_query(model, seed, label, truncation, n, dims, *values) -> str:
    """The query string ('?tab=explore&model=...') that restores this view; the page's JS prefixes its URL."""
    loaded = render.load_model(model)
    state = share.explore_state(loaded.id, seed, class_or_none(loaded, label), truncation, n, dims,
                                _edits(loaded, seed, dims, list(values)))
    return share.to_query(state)


@user_errors
def save_recipe(model, seed, label, truncation, n, dims, *values) -> str:
    loaded = render.load_model(model)
    state = share.explore_state(loaded.id, seed, class_or_none(loaded, label), truncation, n, dims,
                                _edits(loaded, seed, dims, list(values)))
    path = scratch_dir() / f"recipe-{state['model'].replace('/', '_')}-{state['seed']}.json"
    path.write_text(json.dumps(state, indent=2))
    return str(path)


@user_errors
def load_recipe(path: str | None) -> list:
    if not path:
        raise gr.Error("Choose a recipe .json file first.")
    state = share.from_recipe_file(path)
    return setup(state["model"], state["seed"], state.get("label"), state.get("truncation", 1.0),
                 state.get("n", 1), state.get("dims"), state.get("edits"))


# ---------------------------------------------------------------------------------------------
# Layout and wiring
# ---------------------------------------------------------------------------------------------


def build() -> Explore:
    """Lay out the tab and wire its events (inside the page's gr.Blocks); returns the components."""
    gr.Markdown(INTRO)
    ids = model_ids()
    warm_up()
    with gr.Row(equal_height=True):  # the view column spans the sliders' height: room for it to stick
        with gr.Column(scale=1, min_width=320):
            model = gr.Dropdown(
                ids, value=default_model(), allow_custom_value=True, label="Model", elem_id="ex-model",
                info="A shipped generator, or type a Hugging Face repo id (org/name or org/name@revision).",
            )
            with gr.Row():
                seed = gr.Number(0, precision=0, minimum=0, maximum=L.MAX_SEED, label="Seed", elem_id="ex-seed",
                                 info="Picks the random vector z. Same seed, same image.", scale=3)
                random_btn = gr.Button("Random seed", elem_id="ex-random", scale=1, min_width=80)
            label = gr.Dropdown([], label="Class", visible=False, elem_id="ex-label",
                                info="Conditional models draw the class you ask for.")
            truncation = gr.Slider(0.0, 2.0, value=1.0, step=0.05, label="Truncation", elem_id="ex-truncation",
                                   info="Scales z toward the average: below 1 = more typical, above 1 = wilder.")
            n = gr.Radio(["1", "4", "9", "16"], value="1", label="Samples", elem_id="ex-n",
                         info="A grid of seeds seed, seed+1, ...; every sample gets the same edits.")
            mode = gr.Radio(list(MODES), value=MODES[0], label="Sliders", elem_id="ex-mode",
                            info="Raw: one number of z each. PCA: main axes of variation over many samples. "
                                 "SeFa: closed form, from the first layer's weights (Shen & Zhou 2021).")
            with gr.Column(visible=True, elem_id="ex-raw-group") as raw_group:
                dims = gr.Dropdown([], value=[], multiselect=True, max_choices=K, label="Dimensions with sliders",
                                   elem_id="ex-dims",
                                   info=f"Up to {K}. Default: the {K} this image is most sensitive to.")
                raw = [
                    gr.Slider(-RAW_RANGE, RAW_RANGE, value=0.0, step=0.01, label=f"z[{i}]", interactive=True,
                              elem_id=f"ex-z{i}", info="Starts at the seed's value; z ~ N(0, 1).")
                    for i in range(K)
                ]
            with gr.Column(visible=False, elem_id="ex-dir-group") as dir_group:
                amounts = [
                    gr.Slider(-DIR_RANGE, DIR_RANGE, value=0.0, step=0.1, label=f"pc{i}", interactive=True,
                              elem_id=f"ex-pc{i}",
                              info="Move along this principal direction (units of one standard deviation).")
                    for i in range(N_DIR)
                ]
            with gr.Column(visible=False, elem_id="ex-sefa-group") as sefa_group:
                closed_form = [
                    gr.Slider(-DIR_RANGE, DIR_RANGE, value=0.0, step=0.1, label=f"sf{i}", interactive=True,
                              elem_id=f"ex-sf{i}",
                              info="Move along this closed-form direction (unit steps in z).")
                    for i in range(N_DIR)
                ]
            reset = gr.Button("Reset sliders", elem_id="ex-reset")
        with gr.Column(scale=2), gr.Column(elem_id="ex-view"):  # sticky (app.CSS): in view while sliders move
            image = gr.Image(label="Generated", format="png", interactive=False, elem_id="ex-image",
                             buttons=["download", "fullscreen"], height=440)
            readout = gr.Markdown(elem_id="ex-readout")
    with gr.Row(equal_height=True):  # below the sticky view, so it never covers them
        with gr.Column(scale=1, min_width=320):
            with gr.Accordion("Details (JSON)", open=False):
                info = gr.JSON(label="Info", elem_id="ex-info")
            with gr.Row():
                link_btn = gr.Button("Share link", elem_id="ex-share")
                recipe_btn = gr.Button("Save recipe", elem_id="ex-save-recipe")
            link = gr.Textbox(label="Link to this view", buttons=["copy"], elem_id="ex-link", interactive=False,
                              info="Opens the page with this model, seed, class, truncation and sliders.")
        with gr.Column(scale=2), gr.Row():
            recipe_out = gr.File(label="Recipe (download)", elem_id="ex-recipe-out")
            recipe_in = gr.File(label="Load a recipe", file_types=[".json"], type="filepath", elem_id="ex-recipe-in")

    with gr.Accordion("Class grid (conditional models)", open=False):
        with gr.Row():
            rows = gr.Slider(1, MAX_CLASS_GRID_ROWS, value=3, step=1, label="Rows (seeds)",
                             elem_id="ex-grid-rows", info="Each row keeps one noise vector; columns are classes.")
            grid_btn = gr.Button("Draw class grid", elem_id="ex-grid-btn")
        class_img = gr.Image(label="Class grid", format="png", interactive=False, elem_id="ex-class-grid")
    with gr.Accordion("Traversals and sensitivity", open=False):
        gr.Markdown("Each row sets one slider dimension to -3 ... +3 (the rest of z unchanged); the chart "
                    "shows how much each dimension changes this image (mean pixel change per unit).")
        trav_btn = gr.Button("Draw traversals", elem_id="ex-trav-btn")
        with gr.Row():
            trav_img = gr.Image(label="Traversal grid", format="png", interactive=False, elem_id="ex-traversal")
            sens_plot = gr.BarPlot(x="dimension", y="sensitivity", color="slider", sort="-y", label="Sensitivity",
                                   elem_id="ex-sensitivity",
                                   color_map={"has a slider": "#f97316", "no slider": "#9ca3af"})

    ex = Explore(model, seed, label, truncation, n, dims, raw, amounts, closed_form, mode, image, readout, info)
    slider_values = [*raw, *amounts, *closed_form]
    view_inputs = [model, seed, label, truncation, n, dims, *slider_values]
    outs = ex.setup_outputs

    # Every user change re-renders; .input (user only) so values set by a link do not fire events.
    model.input(on_model, [model, seed, truncation, n], outs, api_name="explore_model", **LIVE)
    seed.input(on_seed, [model, seed, label, truncation, n], outs, api_name="explore_seed", **LIVE)
    random_btn.click(new_seed, [model, label, truncation, n], outs, api_name="explore_random", **LIVE)
    recipe_in.upload(load_recipe, recipe_in, outs, api_name="explore_load_recipe", **LIVE)
    view_outputs = [image, readout, info]
    send_views = postprocessed_batch(render_views, view_outputs)
    gr.on([label.input, truncation.input, n.input, *[s.input for s in slider_values]], send_views,
          view_inputs, view_outputs, api_name="explore_render", **SLIDER)
    dims.input(on_dims, [model, seed, dims], raw, api_name="explore_dims", **LIVE).then(
        send_views, view_inputs, view_outputs, api_name="explore_render_dims", **SLIDER)
    reset.click(reset_sliders, [model, seed, dims], slider_values, api_name="explore_reset", **LIVE).then(
        send_views, view_inputs, view_outputs, api_name="explore_render_reset", **SLIDER)
    mode.change(lambda m: [gr.update(visible=m == shown) for shown in MODES],
                mode, [raw_group, dir_group, sefa_group], api_name="explore_mode", queue=False, **PRIVATE)
    grid_btn.click(make_class_grid, [model, seed, rows, truncation, dims, *slider_values], class_img,
                   api_name="explore_class_grid", **LIVE)
    trav_btn.click(make_traversal, [model, seed, label, truncation, dims, *slider_values], [trav_img, sens_plot],
                   api_name="explore_traversal", **LIVE)
    # The chart follows the sliders: whatever sets the model, seed, class or slider dims (a user, a link, a
    # recipe, another tab) redraws it, so the chart never disagrees with the sliders on screen.
    gr.on([model.change, seed.change, label.change, dims.change], sensitivity_chart, [model, seed, label, dims],
          sens_plot, api_name="explore_sensitivity", trigger_mode="always_last", show_progress="hidden", **RENDER,
          **PRIVATE)
    link_btn.click(share_query, view_inputs, link, api_name="explore_share", **PRIVATE).then(
        None, link, link, js="(q) => q ? window.location.origin + window.location.pathname + q : q")
    recipe_btn.click(save_recipe, view_inputs, recipe_out, api_name="explore_save_recipe", **PRIVATE)
    return ex
