"""What the UI and the public API call: model id + plain values in, uint8 images + JSON-able info out.

Loads models, assembles a request's latents (seed -> raw values -> truncation -> PCA/SeFa directions) and runs
the generator and discriminator: generate (one grid or many at once), class grid, interpolation. Every function
validates its inputs (gan_models.inputs) and raises ValueError with a message a person can act on (the UI turns
those into gr.Error). Generators run under torch.inference_mode(); nothing here imports gradio.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch

from gan_models import latent as L
from gan_models import media
from gan_models.directions import (
    DIRECTION_PREFIX,
    SEFA_PREFIX,
    Directions,
    cached_directions,
    pca_directions,
    sefa_directions,
)
from gan_models.inputs import (
    Request,
    check_frames,
    check_model_id,
    check_n,
    check_rows,
    parse_edits_json,
    resolve_label,
)
from gan_models.kinds import kind_of
from gan_models.media import captioned_grid, scale_for
from gan_models.model import InstanceDrawing, LoadedModel

N_DIRECTIONS = 8


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


def list_models() -> list[dict]:
    """Shipped models as {id, kind, latent_dim, image_size, channels, classes, source}."""
    from gan_models import registry  # imported lazily: the registry loads weights on first use

    return registry.list_models()


def load_model(model_id: object) -> LoadedModel:
    """The generator an id names (registry.load with input checks; every failure a ValueError with a clear
    message). A LoadedModel passes through, so an event resolves its id once and hands the object down."""
    if isinstance(model_id, LoadedModel):
        model = model_id
    else:
        model = _load(check_model_id(model_id))
    if kind_of(model.kind).task != "generate":
        what = "super-resolution" if kind_of(model.kind).task == "superres" else "image-to-image"
        raise ValueError(f"{L.shown(model.id)} is a {model.kind} {what} model, not a generator of z: "
                         "open it in the GAN family tab.")
    if isinstance(model.generator, InstanceDrawing):
        raise ValueError(f"{L.shown(model.id)} is an IC-GAN, which draws around one training image: Explore "
                         "cannot choose that image yet (score it with python -m training.evaluate).")
    return model


def _load(model_id: str) -> LoadedModel:
    from gan_models import registry

    try:
        return registry.load(model_id)
    except ValueError:
        raise  # ModelLoadError is a ValueError with its own message
    except Exception as exc:  # a broken download or file must not crash the app
        raise ValueError(f"Could not load model {L.shown(model_id)}: {L.shown(str(exc), 120)}") from exc


def model_spec(model: LoadedModel) -> dict:
    channels, size, _ = model.image_shape
    return {
        "id": model.id,
        "kind": model.kind,
        "latent_dim": model.latent_dim,
        "image_size": size,
        "channels": channels,
        "classes": list(model.class_names or []),
        "conditional": model.conditional,
    }


def labels_for(label: int | None, n: int) -> torch.Tensor | None:
    """`label` for each of n images (None for an unconditional model)."""
    return None if label is None else torch.full((n,), label, dtype=torch.long)


def _d_prob(model: LoadedModel, images: torch.Tensor, labels: torch.Tensor | None) -> list[float | None]:
    probs = model.discriminate(images, labels)
    if probs is None:
        return [None] * images.shape[0]
    return [round(float(p), 4) for p in probs]


# ---------------------------------------------------------------------------------------------
# Directions (cached: a pure function of the model id)
# ---------------------------------------------------------------------------------------------


def directions(model: LoadedModel, k: int = N_DIRECTIONS) -> Directions:
    """GANSpace-style directions for the model, computed once per model id (well under a second)."""
    n_classes = len(model.class_names or [])

    def features(z: torch.Tensor) -> torch.Tensor:
        # Conditional models: spread the samples over all classes so directions are class-agnostic.
        labels = None if not n_classes else torch.arange(z.shape[0]) % n_classes
        return model.first_layer_features(z, labels)

    return cached_directions((model.id, k),
                             lambda: pca_directions(features, model.latent_dim, k=k, n_samples=512))


def sefa(model: LoadedModel, k: int = N_DIRECTIONS) -> Directions | None:
    """Closed-form SeFa directions ("sf0".."sf{k-1}") when the family exposes its first linear map."""
    if not model.supports.closed_form:
        return None
    return cached_directions((model.id, k, "sefa"), lambda: sefa_directions(model.latent_weight(), k))


def direction_names(model: LoadedModel) -> list[str]:
    """Every direction an edit may name: the PCA ones, then the SeFa ones where the family has them."""
    names = [f"{DIRECTION_PREFIX}{i}" for i in range(N_DIRECTIONS)]
    if model.supports.closed_form:
        names += [f"{SEFA_PREFIX}{i}" for i in range(min(N_DIRECTIONS, model.latent_dim))]
    return names


# ---------------------------------------------------------------------------------------------
# Latents for a request
# ---------------------------------------------------------------------------------------------


def latents(model: LoadedModel, seed: int, truncation: float, edits: Mapping, n: int) -> torch.Tensor:
    """Order of operations: seed -> raw dimension values set -> truncation -> direction moves.
    Raw values are set before truncation so a slider reads in the prior's units whatever the truncation;
    directions move the final latent so their amount means the same distance at any truncation."""
    z = L.z_from_seed(seed, model.latent_dim, n)
    raw, moves = split_edits(edits)
    return apply_moves(model, L.truncate(L.apply_edits(z, raw), truncation), moves)


def split_edits(edits: Mapping) -> tuple[dict, dict]:
    """Validated edits -> (raw dimension values {int: value}, direction moves {"pc0" | "sf0" ...: amount})."""
    return ({k: v for k, v in edits.items() if isinstance(k, int)},
            {k: v for k, v in edits.items() if isinstance(k, str)})


def apply_moves(model: LoadedModel, z: torch.Tensor, moves: Mapping[str, float]) -> torch.Tensor:
    """Move latents [N, Z] along principal ("pc") and closed-form ("sf") directions."""
    if not moves:
        return z
    closed_form = sefa(model) if any(k.startswith(SEFA_PREFIX) for k in moves) else None
    return L.apply_edits(z, moves, directions(model) + closed_form if closed_form is not None else directions(model))


def validate(model_id: object, seed: object, label: object, truncation: object, edits: object) -> Request:
    """A render's inputs checked against the model they name, the model loaded."""
    model = load_model(model_id)
    latent_dim = model.latent_dim
    names = direction_names(model)
    return Request(
        model=model,
        seed=L.check_seed(seed),
        label=resolve_label(model, label),
        truncation=L.check_truncation(truncation),
        edits=L.parse_edits(parse_edits_json(edits), latent_dim, names),
    )


# ---------------------------------------------------------------------------------------------
# Public operations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderInfo:
    """What a render drew, beside its image: the numbers the page's readout shows and the API returns."""

    model: str
    seed: int
    seeds: list[int]  # sample i uses seed + i
    label: int | None
    class_name: str | None
    truncation: float
    edits: dict[str, float]  # as validated: "12" (a raw dimension), "pc0", "sf0"
    n: int
    d_prob: list[float | None]  # the discriminator's P(real) per image (None without a discriminator)
    latent_norm: list[float]  # |z| per image, of the latent the generator really drew
    typical_norm: tuple[float, float]  # where |z| of N(0, I) samples lies, at this truncation
    warnings: list[str]  # one line per kind of problem for the whole grid

    def as_json(self) -> dict:
        """The JSON the API and the page's Details show (its keys are the public API's)."""
        out = asdict(self)
        out["class"] = out.pop("class_name")
        out["typical_norm"] = list(self.typical_norm)
        return out


def generate(
    model_id: object,
    seed: object = 0,
    label: object = None,
    truncation: object = 1.0,
    edits: object = None,
    n: object = 1,
    captions: bool = True,
) -> tuple[np.ndarray, RenderInfo]:
    """n images (sample i = seed + i) sharing the same edits, as one uint8 grid, and what was drawn: the
    discriminator's probability and the latent norm of every image."""
    result = generate_batch([(model_id, seed, label, truncation, edits, n)], captions)[0]
    if isinstance(result, ValueError):
        raise result
    return result


def generate_batch(
    calls: Sequence[Sequence[object]], captions: bool = True
) -> list[tuple[np.ndarray, RenderInfo] | ValueError]:
    """`generate` for many independent calls (model_id, seed, label, truncation, edits, n) at once: one
    generator and one discriminator pass per model instead of one per call, which is what lets a busy
    server keep up with many people dragging sliders. Each call is validated on its own: a bad one gets
    its ValueError in its place in the result and the others are drawn as usual."""
    results: list[tuple[np.ndarray, RenderInfo] | ValueError | None] = [None] * len(calls)
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
    labels = None if group[0][1].label is None else torch.cat([labels_for(r.label, n) for _, r, n, _ in group])
    images = model.sample(z, labels)
    probs = _d_prob(model, images, labels)
    start = 0
    drawn = []
    for i, req, n, z_i in group:
        drawn.append((i, _grid_and_info(req, n, _drawn_latent(model, z_i), images[start : start + n],
                                        probs[start : start + n], captions)))
        start += n
    for i, result in drawn:
        results[i] = result


def _drawn_latent(model: LoadedModel, z: torch.Tensor) -> torch.Tensor:
    """The latent the generator really draws: a found latent ("explore from here", edit.AnchoredGenerator) is
    the seed's z plus a fixed offset, and its |z| is what the readout must show."""
    return model.drawn_latent(z)


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
) -> tuple[np.ndarray, RenderInfo]:
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
    scale = scale_for(spec["image_size"], nrow, target=512 if n > 1 else 224)
    grid = captioned_grid(media.to_uint8(images), caps, nrow, scale)
    info = RenderInfo(
        model=spec["id"], seed=req.seed, seeds=[(req.seed + i) % (L.MAX_SEED + 1) for i in range(n)],
        label=req.label, class_name=None if req.label is None else spec["classes"][req.label],
        truncation=req.truncation, edits={str(k): v for k, v in req.edits.items()}, n=n, d_prob=probs,
        latent_norm=norms, typical_norm=(round(lo * req.truncation, 3), round(hi * req.truncation, 3)),
        warnings=warnings,
    )
    return grid, info


def class_grid(
    model_id: object, seed: object = 0, rows: object = 4, truncation: object = 1.0, edits: object = None
) -> np.ndarray:
    """Rows = seeds seed..seed+rows-1, columns = classes: the same noise across a row."""
    req = validate(model_id, seed, None, truncation, edits)
    classes = list(req.model.class_names or [])
    if not classes:
        raise ValueError(f"Model {req.model.id!r} is unconditional: it has no classes to put in a grid.")
    n_rows = check_rows(rows)
    z = latents(req.model, req.seed, req.truncation, req.edits, n_rows)
    n_cls = len(classes)
    z_all = z.repeat_interleave(n_cls, dim=0)
    labels = torch.arange(n_cls).repeat(n_rows)
    images = req.model.sample(z_all, labels)
    spec = model_spec(req.model)
    caps = [classes[i % n_cls][:10] for i in range(n_rows * n_cls)]
    return captioned_grid(media.to_uint8(images), caps, n_cls, scale_for(spec["image_size"], n_cls, 900, 4))


# ---------------------------------------------------------------------------------------------
# Interpolation
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
    latent_dim = model.latent_dim
    za, zb = L.z_from_seed(sa, latent_dim), L.z_from_seed(sb, latent_dim)
    z = L.truncate(L.interpolation_path(za, zb, n, method), trunc)
    t = torch.linspace(0, 1, n)
    images = _render_between_classes(model, z, la, lb, t)
    return media.to_uint8(images)


def _render_between_classes(model: LoadedModel, z: torch.Tensor, la: int | None, lb: int | None, t: torch.Tensor):
    if la is None or la == lb:
        return model.sample(z, labels_for(la, z.shape[0]))
    if model.supports.class_blend:
        # Blend the two class embeddings so the class changes smoothly instead of jumping half-way.
        ea, eb = model.class_embedding(torch.tensor([la, lb])).cpu().split(1)
        return model.from_embedding(z, L.lerp(ea, eb, t))
    # Generators without an embedding we can reach: switch class half-way.
    labels = torch.where(t < 0.5, torch.tensor(la), torch.tensor(lb)).long()
    return model.sample(z, labels)


