"""Model-agnostic latent-space utilities: seeds -> z, truncation, interpolation, edits, sensitivity and
norm checks (the directions themselves are in gan_models/directions.py).

Nothing here knows about a particular generator: functions that need one take a plain callable
(z -> features or z -> images), so they can be unit-tested with toy functions.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch

from gan_models.directions import Directions

MAX_SEED = 2**32 - 1
TRUNCATION_RANGE = (0.0, 2.0)
TRAVERSAL_RANGE = (-3.0, 3.0)
MAX_EDIT = 100.0  # |edit| in prior standard deviations: the sliders span 4-5, nothing past 100 means anything


# ---------------------------------------------------------------------------------------------
# Seeds and truncation
# ---------------------------------------------------------------------------------------------


def shown(value: object, limit: int = 40) -> str:
    """`value` as a message shows it: its repr, cut to about `limit` characters with its full length when
    longer, so an error never echoes a 5,000-character input (ints past Python's 4,300-digit limit too)."""
    try:
        text = repr(value)
    except ValueError:  # int with more digits than sys.get_int_max_str_digits()
        return f"an integer of more than {sys.get_int_max_str_digits()} digits"
    if len(text) <= limit:
        return text
    return f"{text[: max(8, limit - 12)]}… ({len(text)} characters)"


def finite_number(name: str, value: object) -> float:
    """`value` (a number or numeric string) as a finite float, or ValueError naming `name`: refuses booleans,
    None, text, +-inf, NaN and integers too large for a float (401 digits)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{name} must be a number, got {shown(value)}.")
    if isinstance(value, str) and len(value) > 64:
        raise ValueError(f"{name} must be a number, got {shown(value)}.")
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:
        raise ValueError(f"{name} must be a finite number, got {shown(value)} (too large).") from None
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {shown(value)}.") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {shown(value)}.")
    return number


def whole(name: str, value: object, lo: int, hi: int) -> int:
    """`value` as an int in lo..hi (7, 7.0 and "7" are fine), or ValueError naming `name`."""
    if isinstance(value, int) and not isinstance(value, bool):
        number: int | float = value
    else:
        number = finite_number(name, value)
        if number != int(number):
            raise ValueError(f"{name} must be a whole number in {lo}..{hi}, got {shown(value)}.")
    if not lo <= number <= hi:
        raise ValueError(f"{name} must be in {lo}..{hi}, got {shown(value)}.")
    return int(number)


def check_seed(seed: object) -> int:
    """Return `seed` as an int in 0..2^32-1, or raise ValueError with a readable message."""
    if isinstance(seed, bool) or seed is None:
        raise ValueError(f"Seed must be an integer in 0..{MAX_SEED}, got {shown(seed)}.")
    if isinstance(seed, int):
        value = seed
    else:
        try:
            as_float = finite_number("Seed", seed)
        except ValueError:
            raise ValueError(f"Seed must be a whole number in 0..{MAX_SEED}, got {shown(seed)}.") from None
        if as_float != int(as_float):
            raise ValueError(f"Seed must be a whole number in 0..{MAX_SEED}, got {shown(seed)}.")
        value = int(as_float)
    if not 0 <= value <= MAX_SEED:
        raise ValueError(f"Seed must be in 0..{MAX_SEED}, got {shown(value)}.")
    return value


def z_from_seed(seed: int, latent_dim: int, n: int = 1) -> torch.Tensor:
    """Standard-normal latents [n, latent_dim] for `seed`, float32 on CPU.

    Sample i is drawn from its own torch.Generator seeded with (seed + i) mod 2^32, so sample 0 of a
    grid equals the single image for that seed, sample i equals the single image of seed + i, and the
    global RNG is neither read nor advanced.
    """
    seed = check_seed(seed)
    if latent_dim < 1:
        raise ValueError(f"latent_dim must be positive, got {latent_dim}.")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}.")
    rows = []
    for i in range(n):
        gen = torch.Generator(device="cpu").manual_seed((seed + i) % (MAX_SEED + 1))
        # One row per generator: torch's CPU normal sampler fills blocks of 16 differently from
        # single values, so drawing [n, d] at once would make row 0 depend on n.
        rows.append(torch.randn(latent_dim, generator=gen, dtype=torch.float64))
    return torch.stack(rows).float()


def check_truncation(truncation: object) -> float:
    lo, hi = TRUNCATION_RANGE
    try:
        value = finite_number("Truncation", truncation)
    except ValueError:
        raise ValueError(f"Truncation must be a number in {lo:g}..{hi:g}, got {shown(truncation)}.") from None
    if not lo <= value <= hi:
        raise ValueError(f"Truncation must be in {lo:g}..{hi:g}, got {shown(truncation)}.")
    return value


def truncate(z: torch.Tensor, truncation: float, mean: torch.Tensor | None = None) -> torch.Tensor:
    """Scale z toward the prior mean (zero unless given): 1 = unchanged, <1 = more typical images,
    0 = the mean itself, >1 = exaggerated."""
    truncation = check_truncation(truncation)
    centre = torch.zeros_like(z) if mean is None else mean.to(z).expand_as(z)
    return centre + truncation * (z - centre)


# ---------------------------------------------------------------------------------------------
# Interpolation
# ---------------------------------------------------------------------------------------------


def _as_t(t: float | torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(t, dtype=like.dtype, device=like.device)
    return t.reshape(-1, *([1] * (like.dim() - 1))) if t.dim() > 0 else t


def lerp(a: torch.Tensor, b: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
    """Linear interpolation; t = 0 gives exactly a and t = 1 exactly b (no rounding drift)."""
    tt = _as_t(t, a)
    out = a + tt * (b - a)
    out = torch.where(tt == 0, a.expand_as(out), out)
    return torch.where(tt == 1, b.expand_as(out), out)


def slerp(a: torch.Tensor, b: torch.Tensor, t: float | torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Spherical interpolation between latents a and b ([..., d]); keeps the norm typical of the
    prior along the path. Endpoints are exact; near-parallel vectors fall back to lerp."""
    tt = _as_t(t, a)
    a64, b64, t64 = a.double(), b.double(), tt.double()
    na, nb = a64.norm(dim=-1, keepdim=True), b64.norm(dim=-1, keepdim=True)
    cos = ((a64 / na.clamp_min(eps)) * (b64 / nb.clamp_min(eps))).sum(-1, keepdim=True).clamp(-1, 1)
    omega = torch.arccos(cos)
    sin = torch.sin(omega)
    parallel = sin.abs() < 1e-6
    safe_sin = torch.where(parallel, torch.ones_like(sin), sin)
    s_out = (torch.sin((1 - t64) * omega) / safe_sin) * a64 + (torch.sin(t64 * omega) / safe_sin) * b64
    l_out = a64 + t64 * (b64 - a64)
    out = torch.where(parallel, l_out, s_out).to(a.dtype)
    out = torch.where(tt == 0, a.expand_as(out), out)
    return torch.where(tt == 1, b.expand_as(out), out)


INTERPOLATION_METHODS = ("slerp", "lerp")


def interpolation_path(a: torch.Tensor, b: torch.Tensor, frames: int, method: str = "slerp") -> torch.Tensor:
    """[frames, d] latents from a ([d] or [1, d]) to b, both ends included exactly."""
    if method not in INTERPOLATION_METHODS:
        raise ValueError(f"Method must be one of {', '.join(INTERPOLATION_METHODS)}, got {method!r}.")
    if frames < 2:
        raise ValueError(f"An interpolation needs at least 2 frames, got {frames}.")
    a, b = a.reshape(1, -1), b.reshape(1, -1)
    t = torch.linspace(0, 1, frames, dtype=torch.float64).to(a.dtype)
    t[0], t[-1] = 0.0, 1.0
    fn = slerp if method == "slerp" else lerp
    return fn(a, b, t)


# ---------------------------------------------------------------------------------------------
# Edits (along raw dimensions and named directions)
# ---------------------------------------------------------------------------------------------


def parse_edits(
    edits: object, latent_dim: int, direction_names: Sequence[str] = ()
) -> dict[int | str, float]:
    """Validate an edits mapping {dim index or direction name: value}; keys may be strings of ints
    (JSON object keys always are). Raises ValueError naming the bad entry."""
    if edits is None or edits == "":
        return {}
    if not isinstance(edits, Mapping):
        example = '{"3": 1.5, "pc0": -2}'
        raise ValueError(f"Edits must be a JSON object like {example}, got {type(edits).__name__}.")
    if len(edits) > latent_dim + len(direction_names):
        raise ValueError(f"Too many edits ({len(edits)}): this model has {latent_dim} dimensions and "
                         f"{len(direction_names)} directions.")
    out: dict[int | str, float] = {}
    for key, raw in edits.items():
        name = str(key).strip() if isinstance(key, str) else shown(key)
        try:
            value = finite_number(f"Edit {shown(key, 24)}", raw)
        except ValueError as error:
            if "finite" in str(error):
                raise
            raise ValueError(f"Edit {shown(key, 24)} must be a number, got {shown(raw)}.") from None
        if abs(value) > MAX_EDIT:  # 1e308 is finite in float64 and overflows the float32 latent
            raise ValueError(f"Edit {shown(key, 24)} must be in -{MAX_EDIT:g}..{MAX_EDIT:g}, got {shown(raw)}.")
        if name.lstrip("-").isdigit():
            if len(name) > 12:
                raise ValueError(f"Dimension {shown(key, 24)} is out of range: this model has dimensions "
                                 f"0..{latent_dim - 1}.")
            dim = int(name)
            if not 0 <= dim < latent_dim:
                raise ValueError(
                    f"Dimension {dim} is out of range: this model has dimensions 0..{latent_dim - 1}."
                )
            out[dim] = value
        elif name in direction_names:
            out[name] = value
        else:
            known = ", ".join(direction_names) or "none"
            raise ValueError(
                f"Unknown edit {shown(key, 24)}: use a dimension index 0..{latent_dim - 1} or a direction ({known})."
            )
    return out


def apply_edits(
    z: torch.Tensor, edits: Mapping[int | str, float], directions: Directions | None = None
) -> torch.Tensor:
    """Return a copy of z [N, d] with raw dimensions set to their values (int keys) and then moved by
    `amount` along named directions (str keys). Every row gets the same edits."""
    out = z.clone()
    for key, value in edits.items():
        if isinstance(key, int):
            out[:, key] = float(value)
    for key, value in edits.items():
        if isinstance(key, str):
            if directions is None or key not in directions.names:
                raise ValueError(f"Unknown direction {key!r}.")
            out = out + float(value) * directions.vectors[directions.names.index(key)].to(out)
    return out


# ---------------------------------------------------------------------------------------------
# Traversals and sensitivity
# ---------------------------------------------------------------------------------------------


def traversal_values(
    steps: int = 7, lo: float = TRAVERSAL_RANGE[0], hi: float = TRAVERSAL_RANGE[1]
) -> list[float]:
    return [float(v) for v in np.linspace(lo, hi, steps)]


def traversal_latents(z: torch.Tensor, dims: Sequence[int], values: Sequence[float]) -> torch.Tensor:
    """[len(dims) * len(values), d]: row r is z ([d] or [1, d]) with dims[r // len(values)] set to a value."""
    base = z.reshape(1, -1)
    out = base.repeat(len(dims) * len(values), 1)
    for r, dim in enumerate(dims):
        for c, v in enumerate(values):
            out[r * len(values) + c, dim] = float(v)
    return out


def dimension_sensitivity(
    render_fn: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor, delta: float = 1.0
) -> torch.Tensor:
    """[d] mean absolute pixel change per unit move of each latent dimension around z ([d] or [1, d]),
    by a central difference; all 2d perturbed latents go through `render_fn` in one batch."""
    base = z.reshape(1, -1)
    d = base.shape[1]
    eye = torch.eye(d, dtype=base.dtype, device=base.device) * delta
    batch = torch.cat([base + eye, base - eye])
    with torch.inference_mode():
        images = render_fn(batch).reshape(2 * d, -1)
    return ((images[:d] - images[d:]).abs().mean(1) / (2 * delta)).float().cpu()


def top_dims(sensitivity: torch.Tensor, k: int = 8) -> list[int]:
    return [int(i) for i in torch.argsort(sensitivity, descending=True, stable=True)[:k]]


# ---------------------------------------------------------------------------------------------
# Latent norm against the prior's chi distribution
# ---------------------------------------------------------------------------------------------


def typical_norm_range(latent_dim: int, z_score: float = 3.0) -> tuple[float, float]:
    """Central range of ||z|| for z ~ N(0, I_d) (chi with d degrees of freedom), via the
    Wilson-Hilferty approximation of chi-squared quantiles; z_score 3 covers about 99.7%."""
    d = float(latent_dim)
    c = 2.0 / (9.0 * d)

    def q(zs: float) -> float:
        return math.sqrt(max(d * (1.0 - c + zs * math.sqrt(c)) ** 3, 0.0))

    return q(-z_score), q(z_score)


def norm_warning(norm: float, latent_dim: int, truncation: float = 1.0) -> str | None:
    """A short warning when a latent's norm lies outside the range the generator saw in training
    (scaled by truncation, which shrinks norms on purpose), else None."""
    lo, hi = typical_norm_range(latent_dim)
    lo, hi = lo * truncation, hi * truncation
    if norm > hi + 1e-6:
        return f"norm {norm:.2f} is above the typical {lo:.2f}-{hi:.2f}: edits push z off the training prior"
    if norm < lo - 1e-6:
        return f"norm {norm:.2f} is below the typical {lo:.2f}-{hi:.2f}: images may look washed out"
    return None
