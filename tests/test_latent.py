"""Unit tests for gan_models.latent: no model needed, toy callables stand in for generators."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gan_models import latent as L
from gan_models import media
from gan_models.directions import Directions, cached_directions, pca_directions

D = 16


def test_z_from_seed_is_deterministic_and_ignores_global_rng():
    torch.manual_seed(1)
    a = L.z_from_seed(42, D, n=4)
    torch.manual_seed(999)
    torch.randn(100)  # move the global stream
    b = L.z_from_seed(42, D, n=4)
    assert torch.equal(a, b)
    # ...and drawing latents does not advance the global RNG either.
    torch.manual_seed(5)
    expected = torch.randn(3)
    torch.manual_seed(5)
    L.z_from_seed(7, D, n=9)
    assert torch.equal(torch.randn(3), expected)


@pytest.mark.parametrize("latent_dim", [8, 100])
def test_grid_sample_i_equals_single_image_of_seed_plus_i(latent_dim):
    grid = L.z_from_seed(10, latent_dim, n=16)
    assert grid.shape == (16, latent_dim)
    assert torch.equal(grid[0:1], L.z_from_seed(10, latent_dim))
    assert torch.equal(grid[5:6], L.z_from_seed(15, latent_dim))
    assert not torch.equal(grid[0], grid[1])


def test_seed_wraps_at_the_top_of_the_range():
    grid = L.z_from_seed(L.MAX_SEED, D, n=2)
    assert torch.equal(grid[1:2], L.z_from_seed(0, D))


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, float("nan"), float("inf"), "x", None, True])
def test_bad_seeds_raise_clear_errors(bad):
    with pytest.raises(ValueError, match="[Ss]eed"):
        L.check_seed(bad)


def test_check_seed_accepts_whole_floats_and_strings():
    assert L.check_seed(7.0) == 7
    assert L.check_seed("12") == 12
    assert L.check_seed(L.MAX_SEED) == L.MAX_SEED


def test_truncation_scales_toward_mean():
    z = L.z_from_seed(3, D)
    assert torch.equal(L.truncate(z, 1.0), z)
    assert torch.allclose(L.truncate(z, 0.5), z * 0.5)
    assert torch.count_nonzero(L.truncate(z, 0.0)) == 0
    mean = torch.ones(D)
    assert torch.allclose(L.truncate(z, 0.0, mean=mean), mean.expand_as(z))
    for bad in (-0.1, 2.5, float("nan"), "a"):
        with pytest.raises(ValueError, match="Truncation"):
            L.truncate(z, bad)


@pytest.mark.parametrize("fn", [L.lerp, L.slerp])
def test_interpolation_endpoints_are_exact(fn):
    a, b = L.z_from_seed(1, 100), L.z_from_seed(2, 100)
    assert torch.equal(fn(a, b, 0.0), a)
    assert torch.equal(fn(a, b, 1.0), b)
    path = L.interpolation_path(a, b, 7, "slerp" if fn is L.slerp else "lerp")
    assert path.shape == (7, 100)
    assert torch.equal(path[0:1], a) and torch.equal(path[-1:], b)


def test_slerp_keeps_norm_between_equal_norm_vectors_and_handles_parallel():
    a = torch.tensor([[1.0, 0.0]])
    b = torch.tensor([[0.0, 1.0]])
    mid = L.slerp(a, b, 0.5)
    assert torch.allclose(mid.norm(), torch.tensor(1.0), atol=1e-6)
    assert torch.allclose(mid, torch.tensor([[math.sqrt(0.5), math.sqrt(0.5)]]), atol=1e-6)
    # Parallel vectors: no NaN, falls back to a straight line.
    out = L.slerp(a, 2 * a, 0.5)
    assert torch.allclose(out, 1.5 * a)


def test_interpolation_path_rejects_bad_arguments():
    a, b = L.z_from_seed(1, D), L.z_from_seed(2, D)
    with pytest.raises(ValueError, match="at least 2"):
        L.interpolation_path(a, b, 1)
    with pytest.raises(ValueError, match="Method"):
        L.interpolation_path(a, b, 4, "cubic")


def _toy_features(weight: torch.Tensor):
    def fn(z: torch.Tensor) -> torch.Tensor:
        return torch.relu(z @ weight)

    return fn


def test_pca_directions_are_orthonormal_ordered_and_deterministic():
    gen = torch.Generator().manual_seed(0)
    weight = torch.randn(D, 64, generator=gen) * torch.linspace(3, 0.1, D).unsqueeze(1)
    dirs = pca_directions(_toy_features(weight), D, k=6, n_samples=512)
    v = dirs.vectors
    assert v.shape == (6, D)
    assert torch.allclose(v @ v.T, torch.eye(6), atol=1e-5)
    assert dirs.names == [f"pc{i}" for i in range(6)]
    ex = dirs.explained
    assert torch.all(ex[:-1] >= ex[1:] - 1e-6) and 0 < float(ex.sum()) <= 1 + 1e-6
    torch.manual_seed(123)
    again = pca_directions(_toy_features(weight), D, k=6, n_samples=512)
    assert torch.equal(again.vectors, v)


def test_pca_directions_recover_a_dominant_axis():
    # Features that depend (almost) only on dimension 3: the first direction must be +-e3.
    weight = torch.zeros(D, 8)
    weight[3] = 5.0
    weight[7, 0] = 0.01
    dirs = pca_directions(lambda z: z @ weight, D, k=2, n_samples=256)
    assert abs(float(dirs.vectors[0, 3])) > 0.99
    assert float(dirs.explained[0]) > 0.99


def test_pca_directions_fall_back_to_regression_without_gradients():
    weight = torch.zeros(D, 8)
    weight[3] = 5.0

    def no_grad_features(z):
        with torch.inference_mode():
            return z @ weight

    dirs = pca_directions(no_grad_features, D, k=1, n_samples=2048)
    assert abs(float(dirs.vectors[0, 3])) > 0.95
    assert torch.allclose(dirs.vectors.norm(dim=1), torch.ones(1), atol=1e-5)


def test_cached_directions_computes_once():
    calls = []

    def compute():
        calls.append(1)
        return Directions(torch.eye(2, D), torch.tensor([0.5, 0.25]))

    first = cached_directions(("test", 1), compute)
    second = cached_directions(("test", 1), compute)
    assert first is second and len(calls) == 1


def test_parse_edits_validates_everything():
    assert L.parse_edits({"3": 1.5, 4: -2, "pc0": 0.5}, D, ["pc0"]) == {3: 1.5, 4: -2.0, "pc0": 0.5}
    assert L.parse_edits(None, D) == {}
    for bad, msg in [
        ({"3": float("nan")}, "finite"),
        ({"3": float("inf")}, "finite"),
        ({"16": 1.0}, "out of range"),
        ({"-1": 1.0}, "out of range"),
        ({"pc9": 1.0}, "Unknown edit"),
        ({"3": "abc"}, "number"),
        ([1, 2], "JSON object"),
    ]:
        with pytest.raises(ValueError, match=msg):
            L.parse_edits(bad, D, ["pc0"])


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, L.MAX_SEED),
    edits=st.dictionaries(st.integers(0, D - 1), st.floats(-4, 4, allow_nan=False), max_size=5),
)
def test_raw_edits_change_only_their_dimensions(seed, edits):
    z = L.z_from_seed(seed, D, n=3)
    out = L.apply_edits(z, edits)
    untouched = [i for i in range(D) if i not in edits]
    assert torch.equal(out[:, untouched], z[:, untouched])
    for dim, value in edits.items():
        assert torch.all(out[:, dim] == torch.tensor(value, dtype=torch.float32))
    assert torch.equal(z, L.z_from_seed(seed, D, n=3))  # input not mutated


@settings(max_examples=30, deadline=None)
@given(amount=st.floats(-3, 3, allow_nan=False), which=st.integers(0, 3))
def test_direction_edit_moves_only_along_that_direction(amount, which):
    q, _ = torch.linalg.qr(torch.randn(D, 4, generator=torch.Generator().manual_seed(1)))
    dirs = Directions(q.T.contiguous(), torch.full((4,), 0.1))
    z = L.z_from_seed(9, D)
    out = L.apply_edits(z, {f"pc{which}": amount}, dirs)
    coords = (out - z) @ dirs.vectors.T
    expected = torch.zeros(1, 4)
    expected[0, which] = amount
    assert torch.allclose(coords, expected, atol=1e-5)
    assert torch.allclose((out - z).norm(), torch.tensor(abs(amount)), atol=1e-5)


def test_traversal_latents_and_values():
    values = L.traversal_values()
    assert values[0] == -3.0 and values[-1] == 3.0 and len(values) == 7
    z = L.z_from_seed(0, D)
    lat = L.traversal_latents(z, [2, 5], values)
    assert lat.shape == (14, D)
    assert float(lat[0, 2]) == -3.0 and float(lat[13, 5]) == 3.0
    assert torch.equal(lat[0, 3:], z[0, 3:]) and float(lat[7, 2]) == float(z[0, 2])


def test_sensitivity_finds_the_dimensions_a_render_uses():
    weight = torch.zeros(D, 10)
    weight[4] = 3.0
    weight[11] = 1.0

    def render(z):
        return torch.tanh(z @ weight)

    sens = L.dimension_sensitivity(render, L.z_from_seed(0, D) * 0.1)
    assert sens.shape == (D,)
    assert L.top_dims(sens, 2) == [4, 11]
    assert float(sens[0]) == 0.0


def test_typical_norm_range_matches_sampling_and_warns():
    lo, hi = L.typical_norm_range(100)
    norms = L.z_from_seed(0, 100, n=2000).norm(dim=1)
    inside = ((norms >= lo) & (norms <= hi)).float().mean()
    assert inside > 0.99
    assert lo < math.sqrt(100) < hi
    assert L.norm_warning(10.0, 100) is None
    assert "above" in L.norm_warning(hi * 1.5, 100)
    assert "below" in L.norm_warning(lo * 0.5, 100)
    assert L.norm_warning(5.0, 100, truncation=0.5) is None  # truncation shrinks norms on purpose


def test_to_uint8_and_grid():
    x = torch.tensor([-1.0, 0.0, 1.0, 2.0]).reshape(1, 1, 2, 2)
    u = media.to_uint8(x)
    assert u.dtype == np.uint8 and u.shape == (1, 2, 2, 1)
    assert u.ravel().tolist() == [0, 128, 255, 255]
    imgs = np.zeros((5, 4, 4, 3), dtype=np.uint8)
    grid = media.make_grid(imgs, pad=1)
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 1, 3)
    big = media.upscale(media.for_display(media.make_grid(media.to_uint8(torch.zeros(1, 1, 28, 28)))))
    assert big.ndim == 2 and big.shape[0] >= 256 and big.shape[0] % 32 == 0
