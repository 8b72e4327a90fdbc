"""Checks of what a person or an API client sends before anything is drawn: model ids, image counts, frames,
grid rows, slider dimensions, class labels and edits. Each refuses a bad value with a short ValueError that
says what would be accepted (the UI shows it as gr.Error). Nothing here loads a model: a check that needs one
(its classes, its latent size) takes it, or its size, as an argument.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gan_models import latent as L

ALLOWED_N = (1, 4, 9, 16)
MAX_FRAMES = 64
N_DIM_SLIDERS = 8
MAX_CLASS_GRID_ROWS = 8
MAX_MODEL_ID = 160  # a Hub id is at most 96 + 1 + 96 characters before a revision; no id is longer than this


@dataclass
class Request:
    """Validated inputs of a render."""

    model: Any
    seed: int
    label: int | None
    truncation: float
    edits: dict = field(default_factory=dict)


def check_model_id(model_id: object) -> str:
    """A model id as the registry takes it (without surrounding spaces)."""
    if not isinstance(model_id, str) or not model_id.strip():
        raise ValueError("Choose a model: a shipped id such as 'dcgan-animals' or a Hub id 'org/name[@rev]'.")
    if len(model_id) > MAX_MODEL_ID:
        raise ValueError(f"Invalid model id {L.shown(model_id)}: at most {MAX_MODEL_ID} characters.")
    return model_id.strip()


def resolve_label(model: Any, label: object) -> int | None:
    """Class index for a conditional model (index, numeric string or class name; default class 0);
    None for an unconditional one, which accepts no label."""
    classes = list(model.class_names or [])
    empty = label is None or (isinstance(label, str) and not label.strip())
    if not classes:
        if empty:
            return None
        raise ValueError(f"Model {model.id!r} is unconditional: it takes no class label (got {L.shown(label)}).")
    if empty:
        return 0
    if isinstance(label, bool) or not isinstance(label, (str, int, float)) or (isinstance(label, str)
                                                                               and len(label) > 200):
        raise ValueError(f"Label must be a class name or index, got {L.shown(label)}.")
    text = label.strip() if isinstance(label, str) else ""
    lowered = [c.lower() for c in classes]
    if text.lower() in lowered:
        return lowered.index(text.lower())
    try:
        as_float = L.finite_number("Label", label)
    except ValueError:
        as_float = math.nan
    if math.isfinite(as_float) and as_float == int(as_float) and 0 <= int(as_float) < len(classes):
        return int(as_float)
    names = ", ".join(classes)
    names = names if len(names) <= 80 else names[:80] + "…"
    raise ValueError(f"Label {L.shown(label)} is not one of model {model.id!r}'s classes: {names} "
                     f"(or an index 0..{len(classes) - 1}).")


def check_n(n: object) -> int:
    try:
        value = L.whole("n", n, min(ALLOWED_N), max(ALLOWED_N))
    except ValueError:
        raise ValueError(f"n must be one of {ALLOWED_N}, got {L.shown(n)}.") from None
    if value not in ALLOWED_N:
        raise ValueError(f"n must be one of {ALLOWED_N}, got {L.shown(n)}.")
    return value


def check_frames(frames: object) -> int:
    try:
        return L.whole("Frames", frames, 2, MAX_FRAMES)
    except ValueError:
        raise ValueError(f"Frames must be a whole number in 2..{MAX_FRAMES}, got {L.shown(frames)}.") from None


def check_dims(dims: object, limit: int = N_DIM_SLIDERS) -> list[int]:
    """The slider dimensions of a page event: a list of at most `limit` whole numbers (range checked against
    the model by `check_dims_in_range`)."""
    if dims is None:
        return []
    if not isinstance(dims, (list, tuple)):
        raise ValueError(f"Slider dimensions must be a list of indices, got {L.shown(dims)}.")
    if len(dims) > limit:
        raise ValueError(f"At most {limit} dimensions get sliders, got {len(dims)}.")
    return [L.whole("Dimension", d, 0, 2**20) for d in dims]



def check_dims_in_range(dims: Sequence[object], latent_dim: int) -> None:
    """Refuse a slider dimension that is not a whole index into this model's z."""
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not 0 <= int(d) < latent_dim:
            raise ValueError(f"Dimension {L.shown(d)} is out of range: this model has dimensions "
                             f"0..{latent_dim - 1}.")


def check_rows(rows: object) -> int:
    """The number of seeds (rows) in a class grid."""
    try:
        return L.whole("Rows", rows, 1, MAX_CLASS_GRID_ROWS)
    except ValueError:
        raise ValueError(f"Rows must be a whole number in 1..{MAX_CLASS_GRID_ROWS}, got {L.shown(rows)}.") from None


def parse_edits_json(edits: object) -> object:
    """A JSON text of edits (the API's and the URL's form) as the object it holds; anything else as it is
    (latent.parse_edits checks the mapping)."""
    if isinstance(edits, str):
        text = edits.strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"Edits must be a JSON object like {{\"3\": 1.5, \"pc0\": -2}}: {exc.msg}") from None
    return edits
