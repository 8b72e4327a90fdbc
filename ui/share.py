"""Shareable state, as a pure codec: the page URL's query parameters and the downloadable "recipe" JSON
hold the same dict (ui/links.py puts it back into both tabs when a page loads).

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

from gan_models import latent as L
from gan_models.directions import DIRECTION_PREFIX, SEFA_PREFIX

VERSION = 1
TABS = ("explore", "interpolate", "family", "train", "sine")  # the page's tab ids (app.py)
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
        raise ValueError(f"Unknown tab {state['tab'][:40]!r} in the link: use one of {', '.join(TABS)}.")
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
        direction = key.startswith((DIRECTION_PREFIX, SEFA_PREFIX)) and key[2:].isdigit()
        if (key.startswith("z") and key[1:].isdigit()) or direction:
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
