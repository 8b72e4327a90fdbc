"""Shareable state: the page URL's query parameters and the downloadable "recipe" JSON hold the same
dict, and `restore` (run by demo.load) puts it back into both tabs.

Query format (every key optional):
  Explore:     ?tab=explore&model=cdcgan-animals&seed=7&label=cat&trunc=0.8&n=4&dims=3,5,9&z3=1.5&pc0=-2
  Interpolate: ?tab=interpolate&model=...&seed=7&seed_b=8&label=cat&label_b=dog&frames=16&method=slerp
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gradio as gr

from gan_models import latent as L

VERSION = 1
TABS = ("explore", "interpolate", "sine")
MAX_RECIPE_BYTES = 64_000


def _num(value: Any) -> float | int:
    f = float(value)
    return int(f) if math.isfinite(f) and f == int(f) else f


def explore_state(model, seed, label, truncation, n, dims, edits: Mapping[str, float]) -> dict:
    return {
        "version": VERSION, "tab": "explore", "model": str(model), "seed": L.check_seed(seed),
        "label": label or None, "truncation": float(truncation), "n": int(float(n)),
        "dims": [int(d) for d in dims or []], "edits": {str(k): float(v) for k, v in edits.items()},
    }


def interpolate_state(model, seed_a, seed_b, label_a, label_b, frames, methods: Sequence[str], truncation) -> dict:
    return {
        "version": VERSION, "tab": "interpolate", "model": str(model), "seed": L.check_seed(seed_a),
        "seed_b": L.check_seed(seed_b), "label": label_a or None, "label_b": label_b or None,
        "frames": int(float(frames)), "method": "both" if len(methods) > 1 else methods[0],
        "truncation": float(truncation),
    }


def to_query(state: Mapping[str, Any]) -> str:
    params: dict[str, Any] = {"tab": state.get("tab", "explore"), "model": state["model"], "seed": state["seed"]}
    for key, short in (("label", "label"), ("truncation", "trunc"), ("n", "n"), ("seed_b", "seed_b"),
                       ("label_b", "label_b"), ("frames", "frames"), ("method", "method")):
        if state.get(key) is not None:
            params[short] = _num(state[key]) if key in ("truncation",) else state[key]
    if state.get("dims"):
        params["dims"] = ",".join(str(d) for d in state["dims"])
    for key, value in (state.get("edits") or {}).items():
        params[f"z{key}" if str(key).isdigit() else str(key)] = _num(value)
    return "?" + urlencode(params)


def from_query(params: Mapping[str, str]) -> dict:
    """Query parameters -> state dict (types checked here; model-specific checks happen on render)."""
    state: dict[str, Any] = {"tab": params.get("tab", "explore")}
    if state["tab"] not in TABS:
        raise ValueError(f"Unknown tab {state['tab']!r} in the link: use explore or interpolate.")
    if "model" in params:
        state["model"] = params["model"]
    if "seed" in params:
        state["seed"] = L.check_seed(params["seed"])
    if "seed_b" in params:
        state["seed_b"] = L.check_seed(params["seed_b"])
    for key in ("label", "label_b", "method"):
        if params.get(key):
            state[key] = params[key]
    if "trunc" in params:
        state["truncation"] = L.check_truncation(params["trunc"])
    for key in ("n", "frames"):
        if key in params:
            try:
                state[key] = int(float(params[key]))
            except ValueError:
                raise ValueError(f"{key} in the link must be a number, got {params[key]!r}.") from None
    if params.get("dims"):
        try:
            state["dims"] = [int(d) for d in params["dims"].split(",") if d.strip()]
        except ValueError:
            raise ValueError(f"dims in the link must be comma-separated integers, got {params['dims']!r}.") from None
    edits = {}
    for key, value in params.items():
        if (key.startswith("z") and key[1:].isdigit()) or (key.startswith(L.DIRECTION_PREFIX) and key[2:].isdigit()):
            try:
                edits[key[1:] if key.startswith("z") else key] = float(value)
            except ValueError:
                raise ValueError(f"{key} in the link must be a number, got {value!r}.") from None
    if edits:
        state["edits"] = edits
    return state


def from_recipe_file(path: str | Path) -> dict:
    path = Path(path)
    if path.stat().st_size > MAX_RECIPE_BYTES:
        raise ValueError("That file is too large to be a recipe.")
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"That file is not a recipe JSON: {exc}") from None
    if not isinstance(data, dict) or "model" not in data or "seed" not in data:
        raise ValueError("A recipe is a JSON object with at least 'model' and 'seed'.")
    return data


def restore(request: gr.Request, explore_setup, interpolate_labels, n_explore: int) -> list:
    """demo.load: fill both tabs from the query string (or defaults). A bad link shows a warning and the
    default view instead of a broken page."""
    from ui.explore_tab import default_model

    params = dict(request.query_params) if request is not None else {}
    try:
        state = from_query(params)
    except ValueError as exc:
        gr.Warning(f"Ignoring the link's settings: {exc}")
        state = {"tab": "explore"}
    model = state.get("model") or default_model()
    if model is None:
        gr.Warning("No models are available yet.")
        return [gr.update()] * (1 + n_explore + 8)
    seed = state.get("seed", 0)
    try:
        explore = explore_setup(model, seed, state.get("label"), state.get("truncation", 1.0),
                                state.get("n", 1) if state["tab"] == "explore" else 1, state.get("dims"),
                                state.get("edits"))
    except gr.Error as exc:
        gr.Warning(f"Could not restore the link: {exc.message}")
        model, seed, state = default_model(), 0, {"tab": "explore"}
        explore = explore_setup(model, 0)
    method = {"slerp": "Spherical (slerp)", "lerp": "Linear (lerp)", "both": "Both, side by side"}.get(
        state.get("method", "slerp"), "Spherical (slerp)")
    try:
        la, lb = interpolate_labels(model, state.get("label"), state.get("label_b"))
    except gr.Error:
        la = lb = gr.update()
    frames = min(max(int(state.get("frames", 16)), 2), 64)
    interp = [gr.update(value=model), gr.update(value=seed), gr.update(value=state.get("seed_b", seed + 1)), la, lb,
              gr.update(value=frames), gr.update(value=method), gr.update(value=state.get("truncation", 1.0))]
    # Only a link that names a tab switches tabs: a plain visit must not yank a person who already
    # clicked another tab back to Explore when this load event returns.
    tab = gr.Tabs(selected=state["tab"]) if "tab" in params else gr.skip()
    return [tab, *explore, *interp]


def wire(demo: gr.Blocks, tabs: gr.Tabs, explore: Any, interpolate: Any) -> None:
    """Register the demo.load that restores a shared link (call once, after both tabs are built)."""
    from ui import explore_tab, interpolate_tab

    outs = explore.setup_outputs

    def on_load(request: gr.Request):
        return restore(request, explore_tab.setup, interpolate_tab.on_model, len(outs))

    demo.load(on_load, None, [tabs, *outs, *interpolate.controls], api_name="restore_link",
              api_visibility="private", show_progress="hidden")
