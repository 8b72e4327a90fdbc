"""The Explore tab's callbacks and readout: the live slider render (one event, or a batch from many sessions),
setting every control for a (model, seed), the class and traversal grids, the sensitivity chart, share links
and recipes. Thin: the work happens in gan_models.render and gan_models.dimensions; the layout and wiring are
in ui.explore_tab, which takes its slider counts and ranges from here."""

from __future__ import annotations

import json
import random
import statistics
import threading
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd

from gan_models import dimensions, media, render
from gan_models import latent as L
from gan_models.directions import DIRECTION_PREFIX, SEFA_PREFIX, Directions
from gan_models.inputs import N_DIM_SLIDERS, check_dims, check_n, resolve_label
from gan_models.model import LoadedModel
from training import nearest
from ui import guard, share
from ui.common import class_or_none, default_model, model_ids, scratch_dir, user_errors

# The slider layout the callbacks unpack and the tab lays out: here, below ui.explore_tab, so both read it.
K = N_DIM_SLIDERS
N_DIR = render.N_DIRECTIONS
N_SLIDER_VALUES = K + 2 * N_DIR  # raw dims, then PCA directions, then SeFa directions
MODES = ("Raw dimensions", "PCA directions", "SeFa directions")
RAW_RANGE = 4.0  # |z_i| > 4 has probability 6e-5 under N(0, 1); beyond that the generator never trained
DIR_RANGE = 5.0


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
    """Compute the shipped models' directions (and the default model's nearest-image search) in the background,
    so the first visitor does not wait."""
    def work() -> None:
        for model_id in model_ids():
            try:
                render.directions(render.load_model(model_id))
            except Exception:  # a broken checkpoint shows its error when someone picks it
                pass
        try:
            nearest.training_set(render.load_model(default_model()).config.dataset)
        except Exception:  # the panel says why when someone asks
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
    raw = _raw_sliders(loaded, dims, [edits.get(dim, v) for dim, v in zip(dims, base, strict=True)])
    amounts = _direction_sliders(render.directions(loaded), edits, "of variance")
    closed_form = _direction_sliders(render.sefa(loaded), edits, "of the first layer's energy")
    # A link that moves only directions opens their sliders (one that moves raw dims keeps those in view).
    moved = {k[:2] for k in edits if isinstance(k, str)}
    mode = gr.update(value=MODES[2] if SEFA_PREFIX in moved else MODES[1]) if moved and not edited else gr.skip()
    slider_values = [u["value"] for u in raw + amounts + closed_form]
    image, readout, info = render_view(loaded, seed, label_arg, truncation, n, dims, *slider_values)
    return [
        gr.update(value=loaded.id), gr.update(value=seed), label_value,
        gr.update(value=L.check_truncation(truncation)),
        gr.update(value=str(check_n(n))), gr.update(choices=list(range(d)), value=dims),
        *raw, *amounts, *closed_form, mode, image, readout, info,
    ]


def _raw_sliders(model: LoadedModel, dims: list[int], values: list[float]) -> list[dict]:
    """A slider per chosen dim, labelled with it, at its value; the unused sliders hidden at 0."""
    return [gr.update(visible=True, label=dimensions.dim_label(model, d), value=_clip(v, RAW_RANGE))
            for d, v in zip(dims, values, strict=True)
            ] + [gr.update(visible=False, value=0.0) for _ in range(K - len(dims))]


def _direction_sliders(dirs: Directions | None, edits: dict, share_of: str) -> list[dict]:
    """One slider per direction, labelled with its share ("pc0 (12.3% of variance)"), at the edit's amount."""
    shares = [] if dirs is None else dirs.explained.tolist()
    prefix = DIRECTION_PREFIX if dirs is None else dirs.prefix
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
    return _raw_sliders(loaded, dims, dimensions.seed_values(loaded, seed, dims))


@user_errors
def reset_sliders(model: str, seed: Any, dims: list):
    return *on_dims(model, seed, dims), *[0.0] * (2 * N_DIR)


@user_errors
def make_class_grid(model: str, seed: float, rows: float, truncation: float, dims: list, *values):
    loaded = render.load_model(model)
    return render.class_grid(loaded, seed, rows, truncation, _edits(loaded, seed, dims, list(values)))


@user_errors
def class_grid_if_conditional(model: str, seed: float, rows: float, truncation: float, dims: list, *values):
    """make_class_grid for a conditional model; nothing (no refusal) for one without classes."""
    loaded = render.load_model(model)  # resolved once: make_class_grid passes the object through
    if not loaded.class_names:
        return gr.skip()
    return make_class_grid(loaded, seed, rows, truncation, dims, *values)


@user_errors
def make_traversal(model: str, seed: float, label: str | None, truncation: float, dims: list, *values):
    loaded = render.load_model(model)
    edits = _edits(loaded, seed, dims, list(values))
    edits = {k: v for k, v in edits.items() if not k.isdigit()}  # the grid sets the raw dims itself
    label = class_or_none(loaded, label)
    grid = dimensions.traversal_grid(loaded, seed, label, truncation, edits, check_dims(dims, K))
    table = pd.DataFrame(dimensions.sensitivity_table(loaded, seed, label, sliders=check_dims(dims, K)))
    return grid, _chart(table)


N_NEAREST = 4  # training images shown beside the generated one


def nearest_training_images(model: object, seed: object, label: object, truncation: object,
                            edits: object) -> tuple[np.ndarray, dict]:
    """The seed's image (validated raw inputs, as `generate` takes them) beside its nearest training images, and
    the numbers: each neighbour's index, class and distance, and the held-out baseline they compare with."""
    req = render.validate(model, seed, label, truncation, edits)
    loaded = req.model
    image = loaded.sample(render.latents(loaded, req.seed, req.truncation, req.edits, 1),
                          render.labels_for(req.label, 1))
    data = nearest.training_set(loaded.config.dataset)
    found = nearest.nearest(image, data, N_NEAREST)
    neighbours = [{"index": int(i), "class": data.class_names[int(data.labels[i])], "distance": round(float(d), 4)}
                  for i, d in zip(found.indices[0], found.distances[0], strict=True)]
    tiles = [media.to_uint8(image)[0], *data.images[found.indices[0]].permute(0, 2, 3, 1).numpy()]
    captions = ["generated", *(f"{n['class']}: {n['distance']:.2f}" for n in neighbours)]
    strip = media.captioned_grid(np.stack(tiles), captions, len(tiles), media.scale_for(loaded.image_shape[1],
                                                                                        len(tiles)))
    held_out = data.held_out_distances
    info = {"model": loaded.id, "seed": req.seed, "dataset": data.name, "neighbours": neighbours,
            "held_out_median": round(float(held_out.median()), 4),
            "held_out_closer": round(float((held_out < found.distances[0, 0]).float().mean()), 4)}
    return strip, info


@user_errors
def find_nearest(model: str, seed: float, label: str | None, truncation: float, dims: list, *values):
    """The page's "Is it copying?" panel: nearest_training_images for the current controls, in words."""
    loaded = render.load_model(model)
    edits = _edits(loaded, seed, dims, list(values))
    strip, info = nearest_training_images(loaded, seed, class_or_none(loaded, label), truncation, edits)
    return strip, _nearest_text(info)


def _nearest_text(info: dict) -> str:
    distance, closer = info["neighbours"][0]["distance"], info["held_out_closer"]
    if closer < 0.02:
        verdict = "Closer than almost every real image is: this one may be a copy of its neighbour."
    elif closer > 0.98:
        verdict = "Further than almost every real image is: unlike anything in the training set."
    else:
        verdict = "As far from the training set as new real images are: drawn, not copied."
    return (f"**Nearest training image: {distance:.2f}** (root-mean-square pixel difference; 0 = identical). "
            f"Real test images, which the model never saw, lie a median **{info['held_out_median']:.2f}** from "
            f"their nearest training image; {closer:.0%} of them are closer than this image is. {verdict}")


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


def _view_state(model, seed, label, truncation, n, dims, values: tuple) -> dict:
    """The view's shareable state (ui.share's codec), the same for a link and a recipe."""
    loaded = render.load_model(model)
    return share.explore_state(loaded.id, seed, class_or_none(loaded, label), truncation, n, dims,
                               _edits(loaded, seed, dims, list(values)))


@user_errors
def share_query(model, seed, label, truncation, n, dims, *values) -> str:
    """The query string ('?tab=explore&model=...') that restores this view; the page's JS prefixes its URL."""
    return share.to_query(_view_state(model, seed, label, truncation, n, dims, values))


@user_errors
def save_recipe(model, seed, label, truncation, n, dims, *values) -> str:
    state = _view_state(model, seed, label, truncation, n, dims, values)
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
