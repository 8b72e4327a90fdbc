"""SeFa closed-form directions (Shen & Zhou 2021): orthonormal, exact on a known matrix, and the top one moves
the shipped generators' images more than random directions do."""

from __future__ import annotations

import pytest
import torch

from gan_models import registry
from gan_models.directions import sefa_directions


def test_exact_on_a_known_matrix() -> None:
    # A = U diag(5, 3, 1) V^T: the directions are V's columns in order, the explained shares 25:9:1
    g = torch.Generator().manual_seed(0)
    u, _ = torch.linalg.qr(torch.randn(6, 3, generator=g, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(3, 3, generator=g, dtype=torch.float64))
    a = u @ torch.diag(torch.tensor([5.0, 3.0, 1.0], dtype=torch.float64)) @ v.T
    d = sefa_directions(a, k=3)
    for i in range(3):
        assert abs(float(d.vectors[i].double() @ v[:, i])) == pytest.approx(1.0, abs=1e-6)
    torch.testing.assert_close(d.explained, torch.tensor([25.0, 9.0, 1.0]) / 35)


@pytest.mark.parametrize("model_id", ["dcgan-animals", "cdcgan-digits", "mlpgan-animals"])
def test_orthonormal_and_the_top_direction_beats_random_ones(model_id: str) -> None:
    model = registry.load(model_id)
    c = model.config
    d = sefa_directions(model.generator.latent_weight(), k=5)
    torch.testing.assert_close(d.vectors @ d.vectors.T, torch.eye(5), atol=1e-5, rtol=0)
    g = torch.Generator().manual_seed(1)
    z = torch.randn(16, c.latent_dim, generator=g)
    labels = torch.arange(16) % c.num_classes if c.num_classes else None

    def change(direction: torch.Tensor) -> float:
        with torch.inference_mode():
            return float((model.generator(z + 3 * direction, labels) - model.generator(z, labels)).abs().mean())

    random = torch.nn.functional.normalize(torch.randn(8, c.latent_dim, generator=g), dim=1)
    assert change(d.vectors[0]) > sum(change(r) for r in random) / len(random)


def test_edits_name_sefa_directions_through_render() -> None:
    from gan_models import render

    plain, info = render.generate("cdcgan-digits", 4, "7", 1.0, {}, 1)
    moved, info_moved = render.generate("cdcgan-digits", 4, "7", 1.0, {"sf0": 3.0}, 1)
    assert not (plain == moved).all() and info_moved.edits == {"sf0": 3.0}
    both, _ = render.generate("cdcgan-digits", 4, "7", 1.0, {"sf0": 3.0, "pc1": -1.0}, 1)
    assert not (both == moved).all()
    with pytest.raises(ValueError, match="Unknown edit"):
        render.generate("cdcgan-digits", 4, "7", 1.0, {"sf99": 1.0}, 1)
