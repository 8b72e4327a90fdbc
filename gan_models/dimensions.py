"""One latent dimension at a time: the Explore tab's raw sliders (the seed's own values, their labels, moved
sliders -> edits), how much each dimension changes an image (sensitivity, the default sliders, its table) and
the traversal grid. Built on render (model id in, images out); nothing here imports gradio.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from gan_models import latent as L
from gan_models import media, render
from gan_models.directions import DIRECTION_PREFIX, SEFA_PREFIX
from gan_models.inputs import N_DIM_SLIDERS, check_dims, check_dims_in_range, resolve_label
from gan_models.media import captioned_grid, scale_for

TRAVERSAL_STEPS = 7
SLIDER_DECIMALS = 2  # raw sliders show the seed's value rounded to this; closer than half a step = untouched


# ---------------------------------------------------------------------------------------------
# Sensitivity (cached: a pure function of model, seed and label)
# ---------------------------------------------------------------------------------------------


class _LRU:
    def __init__(self, size: int) -> None:
        self.size, self.data, self.lock = size, OrderedDict(), threading.Lock()

    def get_or(self, key: object, compute: Any) -> Any:
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        value = compute()
        with self.lock:
            self.data[key] = value
            while len(self.data) > self.size:
                self.data.popitem(last=False)
        return value


_sensitivity_cache = _LRU(256)


def sensitivity(model_id: str, seed: object, label: object = None) -> list[float]:
    """How much each latent dimension changes this seed's image (mean |pixel change| per unit)."""
    model = render.load_model(model_id)
    seed = L.check_seed(seed)
    idx = resolve_label(model, label)

    def compute() -> list[float]:
        z = L.z_from_seed(seed, int(model.generator.config.latent_dim))
        lab = idx

        def render_fn(batch: torch.Tensor) -> torch.Tensor:
            return model.sample(batch, render.labels_for(lab, batch.shape[0]))

        return [float(v) for v in L.dimension_sensitivity(render_fn, z)]

    return _sensitivity_cache.get_or((model.id, seed, idx), compute)


def code_dims(model: Any) -> list[int]:
    """Latent dimensions that are structured codes (InfoGAN's continuous codes: z's first dims), else []."""
    return list(range(int(getattr(model.config, "n_continuous", 0) or 0)))


def default_dims(model_id: str, seed: object, label: object = None, k: int = N_DIM_SLIDERS) -> list[int]:
    """The default raw sliders: a model's structured codes first, then the dimensions this seed's image is
    most sensitive to."""
    codes = code_dims(render.load_model(model_id))
    ranked = L.top_dims(torch.tensor(sensitivity(model_id, seed, label)), k)
    return list(dict.fromkeys(codes + ranked))[:k]


def dim_label(model: Any, dim: int) -> str:
    """A raw slider's label: z[d], plus what the dimension was found to do when it is a named code."""
    names = list(getattr(model.config, "code_names", []) or [])
    if dim in code_dims(model):
        what = names[dim] if dim < len(names) else f"learned code {dim}"
        return f"z[{dim}] · {what}"
    return f"z[{dim}]"


# ---------------------------------------------------------------------------------------------
# Raw sliders
# ---------------------------------------------------------------------------------------------


def seed_values(model_id: str, seed: object, dims: Sequence[int]) -> list[float]:
    """The seed's own z values for `dims`, rounded as the sliders show them."""
    model = render.load_model(model_id)
    latent_dim = int(model.generator.config.latent_dim)
    check_dims_in_range(dims, latent_dim)
    z = L.z_from_seed(L.check_seed(seed), latent_dim)[0]
    return [round(float(z[d]), SLIDER_DECIMALS) for d in dims]


def edits_from_sliders(
    model_id: str, seed: object, dims: Sequence[int], raw: Sequence[float], amounts: Sequence[float],
    closed_form: Sequence[float] = (),
) -> dict[str, float]:
    """Slider positions -> the edits mapping: raw dims only where moved off the seed's value (so a grid
    keeps each sample's own value elsewhere), PCA (`amounts`) and SeFa (`closed_form`) directions only where
    non-zero."""
    edits: dict[str, float] = {}
    base = seed_values(model_id, seed, dims)
    for dim, value, orig in zip(dims, raw, base, strict=False):
        if value is not None and abs(L.finite_number(f"Slider z[{dim}]", value) - orig) > 0.5 * 10**-SLIDER_DECIMALS:
            edits[str(int(dim))] = float(value)
    for prefix, values in ((DIRECTION_PREFIX, amounts), (SEFA_PREFIX, closed_form)):
        for i, amount in enumerate(values):
            if amount is not None and L.finite_number(f"Direction {prefix}{i}", amount) != 0.0:
                edits[f"{prefix}{i}"] = float(amount)
    return edits



# ---------------------------------------------------------------------------------------------
# Traversal grid and sensitivity table
# ---------------------------------------------------------------------------------------------


def traversal_grid(
    model_id: object,
    seed: object = 0,
    label: object = None,
    truncation: object = 1.0,
    edits: object = None,
    dims: Sequence[int] | None = None,
    steps: int = TRAVERSAL_STEPS,
) -> np.ndarray:
    """One row per dimension: the image with that dimension set to -3 .. +3 (before truncation)."""
    req = render.validate(model_id, seed, label, truncation, edits)
    latent_dim = int(req.model.generator.config.latent_dim)
    dims = check_dims(dims, latent_dim) if dims else default_dims(req.model.id, req.seed, label)
    check_dims_in_range(dims, latent_dim)
    values = L.traversal_values(steps)
    raw, moves = render.split_edits(req.edits)
    base = L.apply_edits(L.z_from_seed(req.seed, latent_dim), raw)
    z = L.truncate(L.traversal_latents(base, [int(d) for d in dims], values), req.truncation)
    z = render.apply_moves(req.model, z, moves)
    images = req.model.sample(z, render.labels_for(req.label, z.shape[0]))
    caps = [f"z{d} {v:+.0f}" for d in dims for v in values]
    spec = render.model_spec(req.model)
    return captioned_grid(media.to_uint8(images), caps, len(values), scale_for(spec["image_size"], len(values), 700, 4))


def sensitivity_table(
    model_id: object, seed: object, label: object = None, top: int = 16, sliders: Sequence[int] = (),
) -> list[dict]:
    """[{dimension, sensitivity, slider}] for the `top` most influential dimensions, strongest first; `slider`
    says whether the dimension has one of the page's sliders (the same ranking picks the default ones)."""
    sens = sensitivity(model_id, seed, label)  # type: ignore[arg-type]
    order = L.top_dims(torch.tensor(sens), top)
    with_slider = {int(d) for d in sliders}
    return [{"dimension": f"z{d}", "sensitivity": round(sens[d], 5),
             "slider": "has a slider" if d in with_slider else "no slider"} for d in order]

