"""Nearest training images: the search, its baseline, and the Explore view behind "Is it copying?"."""

from __future__ import annotations

import gradio as gr
import pytest
import torch

from gan_models.dcgan import DCGANConfig
from gan_models.kinds import build_pair
from gan_models.model import LoadedModel
from training import nearest
from training.data import to_float
from ui import explore_views as views

NO_SLIDERS = (list(range(views.K)), *([0.0] * views.N_SLIDER_VALUES))


def test_a_training_image_is_its_own_nearest_neighbour() -> None:
    data = nearest.training_set("digits")
    picks = torch.tensor([0, 17, 400])
    found = nearest.nearest(to_float(data.images[picks]), data, k=3)
    assert found.indices.shape == found.distances.shape == (3, 3)
    assert found.indices[:, 0].tolist() == picks.tolist()
    assert torch.allclose(found.distances[:, 0], torch.zeros(3), atol=1e-3)  # cdist by matrix products
    assert (found.distances[:, 1:] > 0).all() and (found.distances.diff(dim=1) >= 0).all()  # closest first
    # a held-out test image is never at distance 0, and the baseline is one distance per test image
    assert len(data.held_out_distances) == min(nearest.BASELINE_IMAGES, 360)
    assert (data.held_out_distances > 0).all()


def test_distances_are_root_mean_square_pixel_differences() -> None:
    data = nearest.training_set("digits")
    image = to_float(data.images[:1])
    shifted = (image + 0.5).clamp(-1, 1)
    expected = float((shifted - image).pow(2).mean().sqrt())
    found = nearest.nearest(shifted, data, k=len(data.images))
    assert float(found.distances[0][found.indices[0] == 0]) == pytest.approx(expected, rel=1e-4)


def test_bad_requests_are_refused_with_a_reason() -> None:
    data = nearest.training_set("digits")
    with pytest.raises(ValueError, match="cannot be compared"):
        nearest.nearest(torch.zeros(1, 3, 32, 32), data)
    with pytest.raises(ValueError, match="k must be"):
        nearest.nearest(torch.zeros(1, 1, 28, 28), data, k=0)
    for name in ("fake", "imagenet", ""):
        with pytest.raises(ValueError, match="not one of the data sets"):
            nearest.training_set(name)


def test_the_explore_view_shows_the_image_beside_its_neighbours() -> None:
    strip, text = views.find_nearest("cdcgan-digits", 3, "7", 1.0, *NO_SLIDERS)
    assert strip.ndim == 3 and strip.shape[1] > 4 * strip.shape[0]  # one row: generated + N_NEAREST tiles
    assert "Nearest training image" in text and "Real test images" in text
    again, _ = views.find_nearest("cdcgan-digits", 3, "7", 1.0, *NO_SLIDERS)
    assert (again == strip).all()  # a seed is one image
    other, _ = views.find_nearest("cdcgan-digits", 4, "7", 1.0, *NO_SLIDERS)
    assert not (other == strip).all()


def test_the_explore_view_refuses_bad_input_and_models_without_their_data(monkeypatch) -> None:
    with pytest.raises(gr.Error, match="Seed must be"):
        views.find_nearest("cdcgan-digits", -1, "7", 1.0, *NO_SLIDERS)
    with pytest.raises(gr.Error):
        views.find_nearest("no-such-model", 0, None, 1.0, *NO_SLIDERS)

    def not_downloaded(name: str, split: str, download: bool = True) -> None:
        assert not download  # a click must never start a download
        raise RuntimeError("Dataset not found. You can use download=True to download it")

    monkeypatch.setattr(nearest, "load_dataset", not_downloaded)
    nearest.training_set.cache_clear()
    config = DCGANConfig(latent_dim=views.K, base_channels=4, dataset="mnist").validate()
    G, _ = build_pair(config)
    model = LoadedModel("tiny", "dcgan", G.eval(), None, config, [])
    try:
        with pytest.raises(gr.Error, match="not on this server"):
            views.find_nearest(model, 0, None, 1.0, *NO_SLIDERS)
    finally:
        nearest.training_set.cache_clear()


def test_the_search_in_chunks_finds_what_one_block_finds(monkeypatch) -> None:
    data = nearest.training_set("digits")
    queries = to_float(data.images[[3, 900]]).flip(-1)  # mirrored digits: near, but not in the set
    whole = nearest.nearest(queries, data, k=5)
    monkeypatch.setattr(nearest, "CHUNK", 97)  # 15 chunks, the last one short
    chunked = nearest.nearest(queries, data, k=5)
    assert (chunked.indices == whole.indices).all()
    assert torch.allclose(chunked.distances, whole.distances, atol=1e-5)


@pytest.mark.parametrize("closer, verdict", [(0.0, "may be a copy"), (0.5, "drawn, not copied"),
                                             (1.0, "unlike anything in the training set")])
def test_the_panel_words_what_the_distance_means(closer: float, verdict: str) -> None:
    info = {"neighbours": [{"index": 0, "class": "7", "distance": 0.01}], "held_out_closer": closer,
            "held_out_median": 0.19}
    text = views._nearest_text(info)
    assert verdict in text and "0.01" in text and f"{closer:.0%}" in text
