"""Property tests (hypothesis) for the latent utilities and the input validators the public API relies on.
Small example counts and no deadline: these run in a few seconds on a loaded 2-core machine."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gan_models import inputs, media
from gan_models import latent as L

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

seeds = st.integers(0, L.MAX_SEED)
dims = st.integers(1, 64)
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
anything = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=20),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def latent_pair(d: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    return L.z_from_seed(seed, d)[0], L.z_from_seed((seed + 1) % (L.MAX_SEED + 1), d)[0]


# ---------------------------------------------------------------------------------------------
# Validators: either a value in range or ValueError, never another exception
# ---------------------------------------------------------------------------------------------


@FAST
@given(anything)
def test_check_seed_accepts_only_whole_numbers_in_range(value: object) -> None:
    try:
        seed = L.check_seed(value)
    except ValueError as error:
        assert "Seed" in str(error)
        return
    assert isinstance(seed, int) and 0 <= seed <= L.MAX_SEED and float(value) == seed  # type: ignore[arg-type]
    assert not isinstance(value, bool)


@FAST
@given(st.one_of(anything, st.floats(-3, 3).map(str)))
def test_check_truncation_is_finite_and_in_range_or_refused(value: object) -> None:
    try:
        t = L.check_truncation(value)
    except ValueError as error:
        assert "Truncation" in str(error)
        return
    lo, hi = L.TRUNCATION_RANGE
    assert math.isfinite(t) and lo <= t <= hi


@FAST
@given(st.one_of(anything, st.sampled_from(["4", "16.0", "nan", "inf", "-inf", "1e400"])))
def test_check_n_and_frames_refuse_cleanly(value: object) -> None:
    frames = set(range(2, inputs.MAX_FRAMES + 1))
    for check, allowed in ((inputs.check_n, set(inputs.ALLOWED_N)), (inputs.check_frames, frames)):
        try:
            out = check(value)
        except ValueError:
            continue
        assert out in allowed


@FAST
@given(
    st.dictionaries(
        st.one_of(st.integers(-5, 70).map(str), st.sampled_from(["pc0", "pc7", "pc8", "x", ""])),
        st.one_of(finite, st.sampled_from([math.nan, math.inf, -math.inf, "1.5", "abc", None])),
        max_size=6,
    ),
    dims,
)
def test_parse_edits_result_is_always_usable(edits: dict, latent_dim: int) -> None:
    names = [f"pc{i}" for i in range(8)]
    try:
        out = L.parse_edits(edits, latent_dim, names)
    except ValueError as error:
        assert str(error)
        return
    for key, value in out.items():
        assert math.isfinite(value)
        assert (isinstance(key, int) and 0 <= key < latent_dim) or key in names
    z = L.apply_edits(torch.zeros(2, latent_dim), {k: v for k, v in out.items() if isinstance(k, int)})
    assert torch.isfinite(z).all()


# ---------------------------------------------------------------------------------------------
# Seeds -> z
# ---------------------------------------------------------------------------------------------


@FAST
@given(seeds, dims, st.integers(1, 5))
def test_z_from_seed_is_deterministic_and_grid_consistent(seed: int, d: int, n: int) -> None:
    z = L.z_from_seed(seed, d, n)
    assert z.shape == (n, d) and z.dtype == torch.float32 and torch.isfinite(z).all()
    assert torch.equal(z, L.z_from_seed(seed, d, n))
    # Sample i of a grid is the single image of seed + i (wrapping at 2^32).
    assert torch.equal(z[-1], L.z_from_seed((seed + n - 1) % (L.MAX_SEED + 1), d)[0])


# ---------------------------------------------------------------------------------------------
# Truncation and interpolation
# ---------------------------------------------------------------------------------------------


@FAST
@given(seeds, dims, st.floats(0, 2))
def test_truncation_scales_the_norm_linearly(seed: int, d: int, t: float) -> None:
    z = L.z_from_seed(seed, d)
    out = L.truncate(z, t)
    assert out.norm().item() == pytest.approx(t * z.norm().item(), rel=1e-5, abs=1e-5)
    assert torch.equal(L.truncate(z, 1.0), z)


@FAST
@given(seeds, dims, st.integers(2, 32), st.sampled_from(L.INTERPOLATION_METHODS))
def test_interpolation_path_has_exact_ends_and_finite_frames(seed: int, d: int, frames: int, method: str) -> None:
    a, b = latent_pair(d, seed)
    path = L.interpolation_path(a, b, frames, method)
    assert path.shape == (frames, d) and torch.isfinite(path).all()
    assert torch.equal(path[0], a) and torch.equal(path[-1], b)


@FAST
@given(seeds, st.integers(2, 64), st.floats(0, 1))
def test_slerp_keeps_the_norm_of_equal_norm_ends(seed: int, d: int, t: float) -> None:
    a, b = latent_pair(d, seed)
    b = b * (a.norm() / b.norm())  # slerp walks the great circle: constant norm when the ends share it
    cos = torch.nn.functional.cosine_similarity(a, b, dim=0).item()
    assume(cos > -0.99)  # antipodal ends have no unique great circle
    assert L.slerp(a, b, t).norm().item() == pytest.approx(a.norm().item(), rel=1e-4)


@FAST
@given(seeds, dims, st.floats(0, 1))
def test_lerp_is_symmetric(seed: int, d: int, t: float) -> None:
    a, b = latent_pair(d, seed)
    assert torch.allclose(L.lerp(a, b, t), L.lerp(b, a, 1 - t), atol=1e-5)


@FAST
@given(seeds, dims, st.floats(-10, 10))
def test_slerp_of_parallel_vectors_falls_back_to_lerp(seed: int, d: int, scale: float) -> None:
    a = L.z_from_seed(seed, d)[0]
    assume(abs(scale) > 1e-3)
    b = a * abs(scale)
    assert torch.allclose(L.slerp(a, b, 0.5), L.lerp(a, b, 0.5), atol=1e-4)


# ---------------------------------------------------------------------------------------------
# Edits, traversals, norms, images
# ---------------------------------------------------------------------------------------------


@FAST
@given(seeds, st.integers(2, 32), st.data())
def test_apply_edits_sets_only_the_named_dimensions(seed: int, d: int, data) -> None:
    z = L.z_from_seed(seed, d, 3)
    edits = data.draw(st.dictionaries(st.integers(0, d - 1), finite, max_size=d))
    out = L.apply_edits(z, edits)
    assert torch.equal(z, L.z_from_seed(seed, d, 3))  # the input is not modified
    for k in range(d):
        expected = torch.full((3,), float(edits[k])) if k in edits else z[:, k]
        assert torch.equal(out[:, k], expected)


@FAST
@given(seeds, st.integers(2, 16), st.data())
def test_traversal_latents_change_one_dimension_per_row(seed: int, d: int, data) -> None:
    z = L.z_from_seed(seed, d)[0]
    chosen = data.draw(st.lists(st.integers(0, d - 1), min_size=1, max_size=3))
    values = L.traversal_values(data.draw(st.integers(2, 9)))
    out = L.traversal_latents(z, chosen, values)
    assert out.shape == (len(chosen) * len(values), d)
    for r, dim in enumerate(chosen):
        for c, v in enumerate(values):
            row = out[r * len(values) + c]
            assert row[dim].item() == pytest.approx(v)
            others = [i for i in range(d) if i != dim]
            assert torch.equal(row[others], z[others])


@FAST
@given(st.integers(1, 4096))
def test_typical_norm_range_brackets_sqrt_d(d: int) -> None:
    lo, hi = L.typical_norm_range(d)
    assert 0 <= lo < hi and lo <= math.sqrt(d) <= hi + 1e-9
    assert L.norm_warning(math.sqrt(d), d) is None or d < 3  # the mode of chi is inside except for tiny d
    assert L.norm_warning(hi * 2 + 1, d) is not None


@FAST
@given(st.integers(1, 5), st.integers(1, 3), st.integers(1, 6), st.floats(-5, 5), st.integers(1, 4))
def test_to_uint8_and_make_grid_shapes(n: int, c: int, h: int, fill: float, nrow: int) -> None:
    channels = 1 if c == 2 else c
    images = torch.full((n, channels, h, h), fill)
    u8 = media.to_uint8(images)
    assert u8.dtype == np.uint8 and u8.shape == (n, h, h, channels)
    expected = round((min(max(fill, -1), 1) + 1) * 127.5)
    assert abs(int(u8[0, 0, 0, 0]) - expected) <= 1
    grid = media.make_grid(u8, nrow=nrow, pad=1)
    rows = math.ceil(n / nrow)
    assert grid.shape == (rows * (h + 1) + 1, nrow * (h + 1) + 1, channels)
