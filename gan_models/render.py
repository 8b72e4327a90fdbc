"""What the UI and the public API call: model id + plain values in, uint8 images + JSON-able info out.

Every function validates its inputs and raises ValueError with a message a person can act on (the UI
turns those into gr.Error). Generators run under torch.inference_mode(); nothing here imports gradio.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gan_models import latent as L
from gan_models.kinds import kind_of

ALLOWED_N = (1, 4, 9, 16)
MAX_FRAMES = 64
N_DIRECTIONS = 8
N_DIM_SLIDERS = 8
MAX_CLASS_GRID_ROWS = 8
TRAVERSAL_STEPS = 7
SLIDER_DECIMALS = 2  # raw sliders show the seed's value rounded to this; closer than half a step = untouched


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


def list_models() -> list[dict]:
    """Shipped models as {id, kind, latent_dim, image_size, channels, classes, source}."""
    from gan_models import registry  # imported lazily: the registry loads weights on first use

    return registry.list_models()


MAX_MODEL_ID = 160  # a Hub id is at most 96 + 1 + 96 characters before a revision; no id is longer than this


def load_model(model_id: object) -> Any:
    """registry.load with input checks; every failure becomes a ValueError with a clear message."""
    if not isinstance(model_id, str) or not model_id.strip():
        raise ValueError("Choose a model: a shipped id such as 'dcgan-animals' or a Hub id 'org/name[@rev]'.")
    if len(model_id) > MAX_MODEL_ID:
        raise ValueError(f"Invalid model id {L.shown(model_id)}: at most {MAX_MODEL_ID} characters.")
    from gan_models import registry

    try:
        model = registry.load(model_id.strip())
    except ValueError:
        raise  # ModelLoadError is a ValueError with its own message
    except Exception as exc:  # a broken download or file must not crash the app
        raise ValueError(f"Could not load model {L.shown(model_id.strip())}: {L.shown(str(exc), 120)}") from exc
    if kind_of(model.kind).task != "generate":
        what = "super-resolution" if kind_of(model.kind).task == "superres" else "image-to-image"
        raise ValueError(f"{L.shown(model.id)} is a {model.kind} {what} model, not a generator of z: "
                         "open it in the GAN family tab.")
    return model


def model_spec(model: Any) -> dict:
    cfg = model.generator.config
    classes = list(model.class_names or [])
    return {
        "id": model.id,
        "kind": model.kind,
        "latent_dim": int(cfg.latent_dim),
        "image_size": int(cfg.image_size),
        "channels": int(cfg.channels),
        "classes": classes,
        "conditional": bool(classes),
    }


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
    the model by `seed_values`)."""
    if dims is None:
        return []
    if not isinstance(dims, (list, tuple)):
        raise ValueError(f"Slider dimensions must be a list of indices, got {L.shown(dims)}.")
    if len(dims) > limit:
        raise ValueError(f"At most {limit} dimensions get sliders, got {len(dims)}.")
    return [L.whole("Dimension", d, 0, 2**20) for d in dims]


def _labels(label: int | None, n: int) -> torch.Tensor | None:
    return None if label is None else torch.full((n,), label, dtype=torch.long)


def _device(model: Any) -> torch.device:
    try:
        return next(model.generator.parameters()).device
    except StopIteration:
        return torch.device("cpu")


def _render(model: Any, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """G(z, labels) on the model's device; batches stay small (<= a few hundred 28x28 images)."""
    dev = _device(model)
    with torch.inference_mode():
        return model.generator(z.to(dev), None if labels is None else labels.to(dev)).float().cpu()


def _d_prob(model: Any, images: torch.Tensor, labels: torch.Tensor | None) -> list[float | None]:
    if model.discriminator is None:
        return [None] * images.shape[0]
    dev = _device(model)
    with torch.inference_mode():
        logits = model.discriminator(images.to(dev), None if labels is None else labels.to(dev))
    return [round(float(p), 4) for p in torch.sigmoid(logits.float().reshape(-1)).cpu()]


# ---------------------------------------------------------------------------------------------
# Directions and sensitivity (cached: both are pure functions of their keys)
# ---------------------------------------------------------------------------------------------


def directions(model: Any, k: int = N_DIRECTIONS) -> L.Directions:
    """GANSpace-style directions for the model, computed once per model id (well under a second)."""
    gen = model.generator
    latent_dim = int(gen.config.latent_dim)
    n_classes = len(model.class_names or [])
    dev = _device(model)

    def features(z: torch.Tensor) -> torch.Tensor:
        # Conditional models: spread the samples over all classes so directions are class-agnostic.
        labels = None if not n_classes else torch.arange(z.shape[0], device=dev) % n_classes
        return gen.first_layer_features(z.to(dev), labels).float().cpu()

    return L.cached_directions((model.id, k), lambda: L.pca_directions(features, latent_dim, k=k, n_samples=512))


def sefa(model: Any, k: int = N_DIRECTIONS) -> L.Directions | None:
    """Closed-form SeFa directions ("sf0".."sf{k-1}") when the family exposes its first linear map."""
    if not hasattr(model.generator, "latent_weight"):
        return None
    return L.cached_directions((model.id, k, "sefa"), lambda: L.sefa_directions(model.generator.latent_weight(), k))


def direction_names(model: Any) -> list[str]:
    """Every direction an edit may name: the PCA ones, then the SeFa ones where the family has them."""
    names = [f"{L.DIRECTION_PREFIX}{i}" for i in range(N_DIRECTIONS)]
    if hasattr(model.generator, "latent_weight"):
        names += [f"{L.SEFA_PREFIX}{i}" for i in range(min(N_DIRECTIONS, int(model.generator.config.latent_dim)))]
    return names


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
    model = load_model(model_id)
    seed = L.check_seed(seed)
    idx = resolve_label(model, label)

    def compute() -> list[float]:
        z = L.z_from_seed(seed, int(model.generator.config.latent_dim))
        lab = idx

        def render_fn(batch: torch.Tensor) -> torch.Tensor:
            return _render(model, batch, _labels(lab, batch.shape[0]))

        return [float(v) for v in L.dimension_sensitivity(render_fn, z)]

    return _sensitivity_cache.get_or((model.id, seed, idx), compute)


def code_dims(model: Any) -> list[int]:
    """Latent dimensions that are structured codes (InfoGAN's continuous codes: z's first dims), else []."""
    return list(range(int(getattr(model.config, "n_continuous", 0) or 0)))


def default_dims(model_id: str, seed: object, label: object = None, k: int = N_DIM_SLIDERS) -> list[int]:
    """The default raw sliders: a model's structured codes first, then the dimensions this seed's image is
    most sensitive to."""
    codes = code_dims(load_model(model_id))
    ranked = L.top_dims(torch.tensor(sensitivity(model_id, seed, label)), k)
    return list(dict.fromkeys(codes + ranked))[:k]


def dim_label(model: Any, dim: int) -> str:
    """A raw slider's label: z[d], plus what the dimension was found to do when it is a named code."""
    names = list(getattr(model.config, "code_names", []) or [])
    if dim in code_dims(model):
        what = names[dim] if dim < len(names) else f"learned code {dim}"
        return f"z[{dim}] · {what}"
    return f"z[{dim}]"


def seed_values(model_id: str, seed: object, dims: Sequence[int]) -> list[float]:
    """The seed's own z values for `dims`, rounded as the sliders show them."""
    model = load_model(model_id)
    latent_dim = int(model.generator.config.latent_dim)
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not 0 <= int(d) < latent_dim:
            raise ValueError(f"Dimension {L.shown(d)} is out of range: this model has dimensions "
                             f"0..{latent_dim - 1}.")
    z = L.z_from_seed(L.check_seed(seed), latent_dim)[0]
    return [round(float(z[d]), SLIDER_DECIMALS) for d in dims]


def edits_from_sliders(
    model_id: str, seed: object, dims: Sequence[int], raw: Sequence[float], amounts: Sequence[float]
) -> dict[str, float]:
    """Slider positions -> the edits mapping: raw dims only where moved off the seed's value (so a grid
    keeps each sample's own value elsewhere), directions only where non-zero."""
    edits: dict[str, float] = {}
    base = seed_values(model_id, seed, dims)
    for dim, value, orig in zip(dims, raw, base, strict=False):
        if value is not None and abs(L.finite_number(f"Slider z[{dim}]", value) - orig) > 0.5 * 10**-SLIDER_DECIMALS:
            edits[str(int(dim))] = float(value)
    for i, amount in enumerate(amounts):
        if amount is not None and L.finite_number(f"Direction pc{i}", amount) != 0.0:
            edits[f"{L.DIRECTION_PREFIX}{i}"] = float(amount)
    return edits


# ---------------------------------------------------------------------------------------------
# Latents for a request
# ---------------------------------------------------------------------------------------------


def _parse_edits_json(edits: object) -> object:
    if isinstance(edits, str):
        import json

        text = edits.strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"Edits must be a JSON object like {{\"3\": 1.5, \"pc0\": -2}}: {exc.msg}") from None
    return edits


def latents(model: Any, seed: int, truncation: float, edits: Mapping, n: int) -> torch.Tensor:
    """Order of operations: seed -> raw dimension values set -> truncation -> direction moves.
    Raw values are set before truncation so a slider reads in the prior's units whatever the truncation;
    directions move the final latent so their amount means the same distance at any truncation."""
    latent_dim = int(model.generator.config.latent_dim)
    z = L.z_from_seed(seed, latent_dim, n)
    raw = {k: v for k, v in edits.items() if isinstance(k, int)}
    moves = {k: v for k, v in edits.items() if isinstance(k, str)}
    z = L.truncate(L.apply_edits(z, raw), truncation)
    if moves:
        closed_form = sefa(model) if any(k.startswith(L.SEFA_PREFIX) for k in moves) else None
        z = L.apply_edits(z, moves, directions(model) + closed_form if closed_form is not None else directions(model))
    return z


@dataclass
class Request:
    """Validated inputs of a render."""

    model: Any
    seed: int
    label: int | None
    truncation: float
    edits: dict = field(default_factory=dict)


def validate(model_id: object, seed: object, label: object, truncation: object, edits: object) -> Request:
    model = load_model(model_id)
    latent_dim = int(model.generator.config.latent_dim)
    names = direction_names(model)
    return Request(
        model=model,
        seed=L.check_seed(seed),
        label=resolve_label(model, label),
        truncation=L.check_truncation(truncation),
        edits=L.parse_edits(_parse_edits_json(edits), latent_dim, names),
    )


# ---------------------------------------------------------------------------------------------
# Images with captions
# ---------------------------------------------------------------------------------------------


def _captioned_grid(tiles: np.ndarray, captions: Sequence[str] | None, nrow: int, scale: int) -> np.ndarray:
    """Grid of upscaled tiles, each with an optional one-line caption drawn underneath."""
    from PIL import Image, ImageDraw

    tiles = np.repeat(np.repeat(tiles, scale, axis=1), scale, axis=2)
    if captions and tiles.shape[-1] == 1:
        tiles = np.repeat(tiles, 3, axis=-1)  # captions are drawn in colour; without them stay grayscale
    n, h, w, ch = tiles.shape
    cap_h = 14 if captions else 0
    pad = 4
    rows = math.ceil(n / nrow)
    canvas = np.full((rows * (h + cap_h + pad) + pad, nrow * (w + pad) + pad, ch), 255, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, nrow)
        y, x = pad + r * (h + cap_h + pad), pad + c * (w + pad)
        canvas[y : y + h, x : x + w] = tiles[i]
    if captions:
        img = Image.fromarray(canvas)
        draw = ImageDraw.Draw(img)
        for i, text in enumerate(captions):
            r, c = divmod(i, nrow)
            y, x = pad + r * (h + cap_h + pad) + h + 1, pad + c * (w + pad)
            draw.text((x + 1, y), text, fill=(30, 30, 30))
        canvas = np.asarray(img)
    return L.for_display(canvas)


def _scale_for(image_size: int, n_per_row: int, target: int = 512, max_scale: int = 8) -> int:
    return max(1, min(max_scale, target // max(1, image_size * n_per_row)))


# ---------------------------------------------------------------------------------------------
# Public operations
# ---------------------------------------------------------------------------------------------


def generate(
    model_id: object,
    seed: object = 0,
    label: object = None,
    truncation: object = 1.0,
    edits: object = None,
    n: object = 1,
    captions: bool = True,
) -> tuple[np.ndarray, dict]:
    """n images (sample i = seed + i) sharing the same edits, as one uint8 grid + JSON-able info with
    the discriminator's probability and the latent norm of every image."""
    result = generate_batch([(model_id, seed, label, truncation, edits, n)], captions)[0]
    if isinstance(result, ValueError):
        raise result
    return result


def generate_batch(
    calls: Sequence[Sequence[object]], captions: bool = True
) -> list[tuple[np.ndarray, dict] | ValueError]:
    """`generate` for many independent calls (model_id, seed, label, truncation, edits, n) at once: one
    generator and one discriminator pass per model instead of one per call, which is what lets a busy
    server keep up with many people dragging sliders. Each call is validated on its own: a bad one gets
    its ValueError in its place in the result and the others are drawn as usual."""
    results: list[tuple[np.ndarray, dict] | ValueError | None] = [None] * len(calls)
    by_model: dict[int, list[tuple[int, Request, int, torch.Tensor]]] = {}
    for i, call in enumerate(calls):
        try:
            if not isinstance(call, (list, tuple)) or len(call) != 6:
                raise ValueError("A render takes (model, seed, label, truncation, edits, n).")
            model_id, seed, label, truncation, edits, n = call
            req = validate(model_id, seed, label, truncation, edits)
            n = check_n(n)
            z = latents(req.model, req.seed, req.truncation, req.edits, n)
        except Exception as error:  # noqa: BLE001 - any failure of one call is that call's own answer
            results[i] = as_user_error(error)
            continue
        by_model.setdefault(id(req.model), []).append((i, req, n, z))
    for group in by_model.values():
        try:
            _draw_group(group, results, captions)
        except Exception:  # noqa: BLE001 - draw the group's calls one by one, so only a failing one fails
            for entry in group:
                try:
                    _draw_group([entry], results, captions)
                except Exception as error:  # noqa: BLE001
                    results[entry[0]] = as_user_error(error)
    return results  # type: ignore[return-value]


class InternalError(ValueError):
    """A failure that is the server's fault, not the input's: its message says so; its traceback is logged."""


def as_user_error(error: BaseException) -> ValueError:
    """A call's failure as the ValueError it answers with: a ValueError as it is, anything else (a fault, not
    bad input) logged with its traceback and answered with a short InternalError."""
    if isinstance(error, ValueError):
        return error
    import logging

    logging.getLogger("gan_explorer").error("render failed", exc_info=error)
    return InternalError(f"Internal error while drawing this image ({type(error).__name__}); it was logged.")


def _draw_group(group: list, results: list, captions: bool) -> None:
    model = group[0][1].model
    z = torch.cat([z for _, _, _, z in group])
    labels = None if group[0][1].label is None else torch.cat([_labels(r.label, n) for _, r, n, _ in group])
    images = _render(model, z, labels)
    probs = _d_prob(model, images, labels)
    start = 0
    drawn = []
    for i, req, n, z_i in group:
        drawn.append((i, _grid_and_info(req, n, _drawn_latent(model, z_i), images[start : start + n],
                                        probs[start : start + n], captions)))
        start += n
    for i, result in drawn:
        results[i] = result


def _drawn_latent(model: Any, z: torch.Tensor) -> torch.Tensor:
    """The latent the generator really draws: a found latent ("explore from here", edit.AnchoredGenerator) is
    the seed's z plus a fixed offset, and its |z| is what the readout must show."""
    offset = getattr(model.generator, "latent_offset", None)
    return z if offset is None else z + offset.detach().cpu()


def _norm_warnings(norms: Sequence[float], latent_dim: int, truncation: float) -> list[str]:
    """One line per kind of problem for a whole grid, not one per image: a single image's own warning, or
    "3 of 16 latents: ..." with the range of the offending norms."""
    found: dict[str, list[float]] = {}
    for v in norms:
        if (w := L.norm_warning(v, latent_dim, truncation)) is not None:
            found.setdefault(w.split(" is ", 1)[1], []).append(v)
    if len(norms) == 1:
        return [f"norm {vs[0]:.2f} is {why}" for why, vs in found.items()]
    return [f"{len(vs)} of {len(norms)} latents (norm {min(vs):.2f}-{max(vs):.2f}) are {why}"
            for why, vs in sorted(found.items())]


def _grid_and_info(
    req: Request, n: int, z: torch.Tensor, images: torch.Tensor, probs: list[float | None], captions: bool
) -> tuple[np.ndarray, dict]:
    norms = [round(float(v), 3) for v in z.norm(dim=1)]
    latent_dim = z.shape[1]
    lo, hi = L.typical_norm_range(latent_dim)
    warnings = _norm_warnings(norms, latent_dim, req.truncation)
    nrow = int(math.isqrt(n))
    spec = model_spec(req.model)
    caps = None
    if captions and n > 1:  # a single image's numbers are in `info` (the page's readout): no caption needed
        caps = [
            f"D {p:.2f} |z| {v:.1f}" if p is not None else f"|z| {v:.1f}"
            for p, v in zip(probs, norms, strict=True)
        ]
    scale = _scale_for(spec["image_size"], nrow, target=512 if n > 1 else 224)
    grid = _captioned_grid(L.to_uint8(images), caps, nrow, scale)
    info = {
        "model": spec["id"],
        "seed": req.seed,
        "seeds": [(req.seed + i) % (L.MAX_SEED + 1) for i in range(n)],
        "label": req.label,
        "class": None if req.label is None else spec["classes"][req.label],
        "truncation": req.truncation,
        "edits": {str(k): v for k, v in req.edits.items()},
        "n": n,
        "d_prob": probs,
        "latent_norm": norms,
        "typical_norm": [round(lo * req.truncation, 3), round(hi * req.truncation, 3)],
        "warnings": warnings,
    }
    return grid, info


def class_grid(
    model_id: object, seed: object = 0, rows: object = 4, truncation: object = 1.0, edits: object = None
) -> np.ndarray:
    """Rows = seeds seed..seed+rows-1, columns = classes: the same noise across a row."""
    req = validate(model_id, seed, None, truncation, edits)
    classes = list(req.model.class_names or [])
    if not classes:
        raise ValueError(f"Model {req.model.id!r} is unconditional: it has no classes to put in a grid.")
    try:
        n_rows = L.whole("Rows", rows, 1, MAX_CLASS_GRID_ROWS)
    except ValueError:
        raise ValueError(f"Rows must be a whole number in 1..{MAX_CLASS_GRID_ROWS}, got {L.shown(rows)}.") from None
    z = latents(req.model, req.seed, req.truncation, req.edits, n_rows)
    n_cls = len(classes)
    z_all = z.repeat_interleave(n_cls, dim=0)
    labels = torch.arange(n_cls).repeat(n_rows)
    images = _render(req.model, z_all, labels)
    spec = model_spec(req.model)
    caps = [classes[i % n_cls][:10] for i in range(n_rows * n_cls)]
    return _captioned_grid(L.to_uint8(images), caps, n_cls, _scale_for(spec["image_size"], n_cls, 900, 4))


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
    req = validate(model_id, seed, label, truncation, edits)
    latent_dim = int(req.model.generator.config.latent_dim)
    dims = check_dims(dims, latent_dim) if dims else default_dims(req.model.id, req.seed, label)
    for d in dims:
        if not 0 <= int(d) < latent_dim:
            raise ValueError(f"Dimension {L.shown(d)} is out of range: this model has dimensions "
                             f"0..{latent_dim - 1}.")
    values = L.traversal_values(steps)
    raw = {k: v for k, v in req.edits.items() if isinstance(k, int)}
    base = L.apply_edits(L.z_from_seed(req.seed, latent_dim), raw)
    z = L.truncate(L.traversal_latents(base, [int(d) for d in dims], values), req.truncation)
    moves = {k: v for k, v in req.edits.items() if isinstance(k, str)}
    if moves:
        z = L.apply_edits(z, moves, directions(req.model))
    images = _render(req.model, z, _labels(req.label, z.shape[0]))
    caps = [f"z{d} {v:+.0f}" for d in dims for v in values]
    spec = model_spec(req.model)
    return _captioned_grid(L.to_uint8(images), caps, len(values), _scale_for(spec["image_size"], len(values), 700, 4))


def sensitivity_table(model_id: object, seed: object, label: object = None, top: int = 16) -> list[dict]:
    """[{dimension, sensitivity}] for the `top` most influential dimensions, strongest first."""
    sens = sensitivity(model_id, seed, label)  # type: ignore[arg-type]
    order = L.top_dims(torch.tensor(sens), top)
    return [{"dimension": f"z{d}", "sensitivity": round(sens[d], 5)} for d in order]


# ---------------------------------------------------------------------------------------------
# Interpolation and export
# ---------------------------------------------------------------------------------------------


def interpolation_frames(
    model_id: object,
    seed_a: object,
    seed_b: object,
    label_a: object = None,
    label_b: object = None,
    frames: object = 16,
    method: str = "slerp",
    truncation: object = 1.0,
) -> np.ndarray:
    """uint8 [frames, H, W, C]: z from seed A to seed B (slerp or lerp); for conditional models the
    class moves from A to B at the same time (seed A = seed B keeps the noise fixed)."""
    model = load_model(model_id)
    sa, sb = L.check_seed(seed_a), L.check_seed(seed_b)
    la, lb = resolve_label(model, label_a), resolve_label(model, label_b)
    n = check_frames(frames)
    trunc = L.check_truncation(truncation)
    latent_dim = int(model.generator.config.latent_dim)
    za, zb = L.z_from_seed(sa, latent_dim), L.z_from_seed(sb, latent_dim)
    z = L.truncate(L.interpolation_path(za, zb, n, method), trunc)
    t = torch.linspace(0, 1, n)
    images = _render_between_classes(model, z, la, lb, t)
    return L.to_uint8(images)


def _render_between_classes(model: Any, z: torch.Tensor, la: int | None, lb: int | None, t: torch.Tensor):
    if la is None or la == lb:
        return _render(model, z, _labels(la, z.shape[0]))
    gen = model.generator
    if hasattr(gen, "embed") and hasattr(gen, "body"):
        # The conditional generator's input is [z, embed(label)]: blend the two class embeddings so the
        # class changes smoothly instead of jumping half-way.
        dev = _device(model)
        with torch.inference_mode():
            ea = gen.embed(torch.tensor([la], device=dev))
            eb = gen.embed(torch.tensor([lb], device=dev))
            emb = L.lerp(ea, eb, t.to(dev))
            return gen.body(torch.cat([z.to(dev), emb], dim=1)).float().cpu()
    # Generators without an embedding we can reach: switch class half-way.
    labels = torch.where(t < 0.5, torch.tensor(la), torch.tensor(lb)).long()
    return _render(model, z, labels)


def _video_frames(frames: np.ndarray, min_side: int = 128, block: int = 16, rgb: bool = True) -> np.ndarray:
    """Upscale (nearest) and pad to a multiple of `block` px; 3 channels unless rgb=False (H.264 in
    browsers wants RGB/yuv420p and 16-px blocks; a grayscale GIF stays 'L', which skips quantisation)."""
    h = frames.shape[1]
    scale = max(1, math.ceil(min_side / h))
    big = np.repeat(np.repeat(frames, scale, axis=1), scale, axis=2)
    if big.shape[-1] == 1:
        big = np.repeat(big, 3, axis=-1) if rgb else big[..., 0]
    ph, pw = (-big.shape[1]) % block, (-big.shape[2]) % block
    if ph or pw:
        pad = ((0, 0), (0, ph), (0, pw)) + ((0, 0),) * (big.ndim - 3)
        big = np.pad(big, pad, constant_values=255)
    return big


def strip_image(frames: np.ndarray, per_row: int = 8) -> np.ndarray:
    """All frames in reading order, at most `per_row` per row, each upscaled to at least 64 px (about 100 px
    where the row allows) with its place on the path written underneath: A, t = 0.07, ..., B."""
    from PIL import Image, ImageDraw, ImageFont

    n, h = frames.shape[0], frames.shape[1]
    per_row = max(1, min(per_row, n))
    scale = max(math.ceil(64 / h), min(4, 800 // (h * per_row)), 1)
    big = np.repeat(np.repeat(frames, scale, axis=1), scale, axis=2)
    fh, fw, channels = big.shape[1], big.shape[2], big.shape[3]
    pad, caption = 6, 20
    rows = math.ceil(n / per_row)
    canvas = np.full((rows * (fh + caption + pad) + pad, per_row * (fw + pad) + pad, channels), 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, per_row)
        y, x = pad + r * (fh + caption + pad), pad + c * (fw + pad)
        canvas[y : y + fh, x : x + fw] = big[i]
    image = Image.fromarray(L.for_display(canvas))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    ink = (40, 40, 40) if channels == 3 else 40
    for i in range(n):
        r, c = divmod(i, per_row)
        text = "A" if i == 0 else "B" if i == n - 1 else f"t = {i / (n - 1):.2f}"
        x, y = pad + c * (fw + pad) + fw / 2, pad + r * (fh + caption + pad) + fh + caption / 2
        draw.text((x, y), text, fill=ink, font=font, anchor="mm")
    return np.asarray(image)


def write_gif(frames: np.ndarray, path: Path, fps: float = 12.0) -> Path:
    from PIL import Image

    big = _video_frames(frames, min_side=112, block=1, rgb=False)  # 28 px -> 4x
    pil = [Image.fromarray(f) for f in big]
    pil[0].save(path, save_all=True, append_images=pil[1:], duration=int(round(1000 / fps)), loop=0)
    return path


def write_mp4(frames: np.ndarray, path: Path, fps: float = 12.0) -> Path:
    import imageio.v2 as imageio  # imageio-ffmpeg ships its own ffmpeg binary

    big = _video_frames(frames)
    writer = imageio.get_writer(
        str(path), format="FFMPEG", mode="I", fps=fps, codec="libx264", pixelformat="yuv420p",
        macro_block_size=16, ffmpeg_log_level="error", output_params=["-movflags", "+faststart"],
    )
    try:
        for f in big:
            writer.append_data(f)
    finally:
        writer.close()
    return path


def export_interpolation(frames: np.ndarray, out_dir: Path, stem: str, gif: bool = True, mp4: bool = True) -> dict:
    """Write the GIF and/or MP4 of `frames` into out_dir (the caller picks a folder inside Gradio's
    cache so the files are cleaned up with it); returns {"gif": path, "mp4": path}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    if gif:
        out["gif"] = write_gif(frames, out_dir / f"{stem}.gif")
    if mp4:
        out["mp4"] = write_mp4(frames, out_dir / f"{stem}.mp4")
    return out
