"""gan_models.render: the model-layer functions behind the Explore/Interpolate tabs and the public API.

Runs against the shipped checkpoints when the registry has them, else against a tiny random stand-in
that honours the same contract (so this file does not wait on training)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
import torch
from torch import nn

from gan_models import dimensions, inputs, media
from gan_models import latent as L
from gan_models import render as R


class TinyG(nn.Module):
    """Random stand-in with the generator contract: G(z, labels) -> [N, C, H, W] in [-1, 1]."""

    def __init__(self, latent_dim: int = 16, size: int = 8, classes: tuple[str, ...] = ()) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.config = SimpleNamespace(latent_dim=latent_dim, image_size=size, channels=1,
                                      num_classes=len(classes), class_names=list(classes))
        self.fc = nn.Linear(latent_dim, 32)
        self.embed = nn.Embedding(max(1, len(classes)), 32)
        self.out = nn.Linear(32, size * size)

    def first_layer_features(self, z, labels=None):
        h = self.fc(z)
        return h if labels is None else h + self.embed(labels)

    def forward(self, z, labels=None):
        h = torch.relu(self.first_layer_features(z, labels))
        s = self.config.image_size
        return torch.tanh(self.out(h)).reshape(-1, 1, s, s)


class TinyD(nn.Module):
    def forward(self, x, labels=None):
        return x.flatten(1).mean(1) * 3


def tiny_models() -> dict:
    return {
        "tiny-dcgan": SimpleNamespace(id="tiny-dcgan", kind="dcgan", generator=TinyG().eval(),
                                      discriminator=TinyD(), config=None, class_names=[]),
        "tiny-cdcgan": SimpleNamespace(id="tiny-cdcgan", kind="cdcgan",
                                       generator=TinyG(classes=("cat", "dog", "cow")).eval(),
                                       discriminator=TinyD(), config=None, class_names=["cat", "dog", "cow"]),
    }


def install_tiny_models(monkeypatch) -> tuple[str, str]:
    """Point render at the stand-ins; returns (unconditional id, conditional id)."""
    models = tiny_models()

    def load(model_id):
        if not isinstance(model_id, str) or model_id.strip() not in models:
            raise ValueError(f"Unknown model {model_id!r}: choose one of {', '.join(models)}.")
        return models[model_id.strip()]

    def listing():
        return [R.model_spec(m) | {"source": "test"} for m in models.values()]

    monkeypatch.setattr(R, "load_model", load)
    monkeypatch.setattr(R, "list_models", listing)
    return "tiny-dcgan", "tiny-cdcgan"


def shipped_or_tiny(monkeypatch) -> tuple[str, str]:
    try:
        ids = {m["id"] for m in R.list_models()}
    except Exception:
        ids = set()
    if {"dcgan-animals", "cdcgan-animals"} <= ids:
        return "dcgan-animals", "cdcgan-animals"
    return install_tiny_models(monkeypatch)


@pytest.fixture
def ids(monkeypatch):
    return shipped_or_tiny(monkeypatch)


def test_generate_single_and_grid(ids):
    uncond, _ = ids
    img, info = R.generate(uncond, seed=5, n=1)
    assert img.dtype == np.uint8 and img.ndim in (2, 3)  # grayscale models: [H, W]
    assert info.seeds == [5] and len(info.d_prob) == 1 and 0 <= info.d_prob[0] <= 1
    assert info.latent_norm[0] > 0 and info.typical_norm[0] < info.typical_norm[1]
    grid, ginfo = R.generate(uncond, seed=5, n=4)
    assert ginfo.seeds == [5, 6, 7, 8] and ginfo.latent_norm[0] == info.latent_norm[0]
    assert grid.shape[0] > img.shape[0] // 2
    assert json.loads(json.dumps(ginfo.as_json()))["seeds"] == ginfo.seeds  # the API's JSON
    assert set(ginfo.as_json()) == {"model", "seed", "seeds", "label", "class", "truncation", "edits", "n", "d_prob",
                                    "latent_norm", "typical_norm", "warnings"}  # the public API's keys, unchanged


def test_generate_is_deterministic_and_edits_change_the_image(ids):
    uncond, _ = ids
    a, _ = R.generate(uncond, seed=3, captions=False)
    b, _ = R.generate(uncond, seed=3, captions=False)
    assert np.array_equal(a, b)
    dims = dimensions.default_dims(uncond, 3)
    c, info = R.generate(uncond, seed=3, edits={str(dims[0]): 3.5}, captions=False)
    assert not np.array_equal(a, c) and info.edits == {str(dims[0]): 3.5}
    d, _ = R.generate(uncond, seed=3, edits='{"pc0": 2}', captions=False)
    assert not np.array_equal(a, d)


def test_generate_batch_matches_one_call_at_a_time(ids):
    uncond, cond = ids
    classes = R.model_spec(R.load_model(cond))["classes"]
    calls = [(uncond, 3, None, 1.0, {}, 1), (cond, 4, classes[1], 0.7, {}, 4), (uncond, 9, None, 1.0, '{"pc0": 2}', 1),
             (cond, 5, classes[0], 1.0, {}, 1)]
    batched = R.generate_batch(calls)
    for call, (image, info) in zip(calls, batched, strict=True):
        alone, alone_info = R.generate(*call)
        # Same pixels up to float rounding in a bigger conv batch (uint8: at most one level apart).
        assert image.shape == alone.shape and np.abs(image.astype(int) - alone.astype(int)).max() <= 1
        assert info.seeds == alone_info.seeds and info.label == alone_info.label
        assert info.d_prob == pytest.approx(alone_info.d_prob, abs=1e-3)
        assert info.latent_norm == alone_info.latent_norm


def test_generate_batch_gives_each_bad_call_its_own_error(ids):
    uncond, cond = ids
    calls = [(uncond, 3, None, 1.0, {}, 1), ("../../etc/passwd", 0, None, 1.0, {}, 1), (uncond, -1, None, 1.0, {}, 1),
             (cond, 1, "no-such-class", 1.0, {}, 1), (uncond, 1, None, 1.0, {}, 5), ("too", "few"),
             (cond, 2, 0, 1.0, {}, 1)]
    out = R.generate_batch(calls)
    assert isinstance(out[0], tuple) and out[0][1].seeds == [3]
    assert isinstance(out[6], tuple) and out[6][1].label == 0
    for bad in out[1:6]:
        assert isinstance(bad, ValueError)
    assert "paths are not accepted" in str(out[1]) and "seed" in str(out[2]).lower()
    assert "no-such-class" in str(out[3]) and "n must be one of" in str(out[4])
    with pytest.raises(ValueError, match="Seed must be in"):
        R.generate(uncond, -1)  # the single-call form raises what the batch returns


def test_single_images_have_no_caption_but_grids_do(ids):
    uncond, _ = ids
    plain, _ = R.generate(uncond, seed=2, captions=False)
    single, _ = R.generate(uncond, seed=2, captions=True)
    assert np.array_equal(plain, single)  # its numbers are in info / the page's readout
    grid_plain, _ = R.generate(uncond, seed=2, n=4, captions=False)
    grid, _ = R.generate(uncond, seed=2, n=4, captions=True)
    assert grid.shape[0] > grid_plain.shape[0]  # a caption row under each tile


def test_conditional_labels_by_name_and_index(ids):
    _, cond = ids
    classes = R.model_spec(R.load_model(cond))["classes"]
    by_name, info = R.generate(cond, seed=1, label=classes[1])
    by_index, _ = R.generate(cond, seed=1, label=1)
    assert np.array_equal(by_name, by_index) and info.class_name == classes[1]
    grid = R.class_grid(cond, seed=1, rows=2)
    assert grid.ndim == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"model_id": "no-such-model"}, "no-such-model"),
        ({"model_id": ""}, "(?i)model"),
        ({"seed": -1}, "Seed"),
        ({"seed": 2**32}, "Seed"),
        ({"truncation": 3}, "Truncation"),
        ({"edits": {"0": float("nan")}}, "finite"),
        ({"edits": {"0": float("inf")}}, "finite"),
        ({"edits": {"100000": 1}}, "out of range"),
        ({"edits": "{not json"}, "JSON"),
        ({"n": 1000}, "n must be"),
        ({"n": 3}, "n must be"),
    ],
)
def test_generate_rejects_bad_input(ids, kwargs, message):
    args = {"model_id": ids[0], "seed": 0, "truncation": 1.0, "edits": None, "n": 1} | kwargs
    with pytest.raises(ValueError, match=message):
        R.generate(**args)


def test_labels_are_checked(ids):
    uncond, cond = ids
    with pytest.raises(ValueError, match="not one of"):
        R.generate(cond, label="unicorn")
    with pytest.raises(ValueError, match="not one of"):
        R.generate(cond, label=99)
    with pytest.raises(ValueError, match="unconditional"):
        R.generate(uncond, label="cat")
    with pytest.raises(ValueError, match="unconditional"):
        R.class_grid(uncond)


def test_opening_the_class_grid_panel_draws_it_and_stays_quiet_for_an_unconditional_model(ids):
    from ui import explore_views

    uncond, cond = ids
    sliders = [0.0] * explore_views.N_SLIDER_VALUES  # the raw, PCA and SeFa sliders, all at rest
    assert explore_views.class_grid_if_conditional(uncond, 1, 2, 1.0, [], *sliders) == gr.skip()
    grid = explore_views.class_grid_if_conditional(cond, 1, 2, 1.0, [], *sliders)
    assert grid.ndim == 3 and np.array_equal(grid, explore_views.make_class_grid(cond, 1, 2, 1.0, [], *sliders))


def test_sensitivity_and_traversal(ids):
    uncond, _ = ids
    latent_dim = R.model_spec(R.load_model(uncond))["latent_dim"]
    sens = dimensions.sensitivity(uncond, 2)
    assert len(sens) == latent_dim and max(sens) > 0
    dims = dimensions.default_dims(uncond, 2)
    assert len(dims) == inputs.N_DIM_SLIDERS and sens[dims[0]] == max(sens)
    table = dimensions.sensitivity_table(uncond, 2, top=5)
    assert [row["dimension"] for row in table] == [f"z{d}" for d in dims[:5]]
    grid = dimensions.traversal_grid(uncond, 2, dims=dims[:3])
    assert grid.ndim == 3
    with pytest.raises(ValueError, match="out of range"):
        dimensions.traversal_grid(uncond, 2, dims=[latent_dim])
    # a closed-form (SeFa) move applies to a traversal as it does to a single render
    moved = dimensions.traversal_grid(uncond, 2, edits={"sf0": 2.0}, dims=dims[:3])
    assert moved.shape == grid.shape and not np.array_equal(moved, grid)


def test_slider_edits_only_keep_moved_dimensions(ids):
    uncond, _ = ids
    dims = dimensions.default_dims(uncond, 4)
    base = dimensions.seed_values(uncond, 4, dims)
    moved = list(base)
    moved[2] = round(base[2] + 1.0, 2)
    edits = dimensions.edits_from_sliders(uncond, 4, dims, moved, [0.0, 1.5] + [0.0] * 6)
    assert edits == {str(dims[2]): moved[2], "pc1": 1.5}


def test_directions_are_orthonormal_with_variance_shares(ids):
    uncond, _ = ids
    dirs = R.directions(R.load_model(uncond))
    v = dirs.vectors
    assert torch.allclose(v @ v.T, torch.eye(v.shape[0]), atol=1e-4)
    assert 0 < float(dirs.explained.sum()) <= 1.0001
    assert R.directions(R.load_model(uncond)) is dirs  # cached


def test_interpolation_frames_and_exports(ids, tmp_path):
    uncond, cond = ids
    frames = R.interpolation_frames(uncond, 1, 2, frames=5, method="slerp")
    assert frames.shape[0] == 5 and frames.dtype == np.uint8
    first, _ = R.generate(uncond, seed=1, captions=False)
    single = media.to_uint8(R.load_model(uncond).sample(L.z_from_seed(1, frames_dim(uncond)), None))
    assert np.array_equal(frames[0], single[0])  # exact endpoint
    lerp = R.interpolation_frames(uncond, 1, 2, frames=5, method="lerp")
    assert np.array_equal(lerp[0], frames[0]) and np.array_equal(lerp[-1], frames[-1])
    labels = R.interpolation_frames(cond, 7, 7, label_a=0, label_b=2, frames=4)
    assert labels.shape[0] == 4
    model = R.load_model(cond)
    z7 = L.z_from_seed(7, frames_dim(cond))
    for frame, label in ((labels[0], 0), (labels[-1], 2)):  # the class blend ends exactly on each class
        expected = media.to_uint8(model.sample(z7, torch.tensor([label])))[0]
        assert np.abs(frame.astype(int) - expected.astype(int)).max() <= 1
    files = media.export_interpolation(frames, tmp_path, "x")
    assert files["gif"].read_bytes()[:6] in (b"GIF89a", b"GIF87a")
    assert files["mp4"].stat().st_size > 100 and b"ftyp" in files["mp4"].read_bytes()[:64]
    strip = media.strip_image(frames)
    assert strip.shape[1] > strip.shape[0]


def test_the_mp4_keeps_the_pixels_of_small_images(tmp_path):
    """Sixteen real 32 px emoji, upscaled and encoded: decoded, they match the frames that went in to 37 dB
    (x264's default quality, crf 23, was measured at 35.3 dB on them: smeared pixel edges)."""
    import imageio.v2 as imageio

    from training.data import load_dataset

    frames = load_dataset("emoji", "test").images[:16].numpy().transpose(0, 2, 3, 1).copy()
    path = media.write_mp4(frames, tmp_path / "emoji.mp4")
    expected = media.video_frames(frames)
    reader = imageio.get_reader(str(path), format="FFMPEG")
    try:
        decoded = np.stack([reader.get_data(i) for i in range(len(expected))])
    finally:
        reader.close()
    assert decoded.shape == expected.shape
    mse = ((decoded.astype(np.float64) - expected) ** 2).mean()
    assert 10 * np.log10(255**2 / mse) >= 37.0


def frames_dim(model_id: str) -> int:
    return R.model_spec(R.load_model(model_id))["latent_dim"]


@pytest.mark.parametrize("frames", [0, 1, 65, 10_000, 2.5, "x"])
def test_interpolation_rejects_bad_frames(ids, frames):
    with pytest.raises(ValueError, match="Frames"):
        R.interpolation_frames(ids[0], 1, 2, frames=frames)


def test_interpolation_rejects_bad_method_and_seed(ids):
    with pytest.raises(ValueError, match="Method"):
        R.interpolation_frames(ids[0], 1, 2, frames=4, method="cubic")
    with pytest.raises(ValueError, match="Seed"):
        R.interpolation_frames(ids[0], 1, -5, frames=4)


def test_a_grid_pushed_off_the_prior_gets_one_warning_not_one_per_image() -> None:
    _, info = R.generate("dcgan-animals", seed=1, truncation=1.0, edits={"0": 50.0}, n=16)
    assert len(info.warnings) == 1 and info.warnings[0].startswith("16 of 16 latents")
    _, single = R.generate("dcgan-animals", seed=1, truncation=1.0, edits={"0": 50.0}, n=1)
    assert len(single.warnings) == 1 and single.warnings[0].startswith("norm ")
    from ui.explore_views import _readout

    text = _readout(info)
    assert "median" in text and text.count("|z|") == 1 and "16 of 16" in text


def test_gif_frames_keep_their_colours_through_one_shared_palette(tmp_path):
    from PIL import Image

    t = np.linspace(0, 1, 32)
    frames = np.stack([np.stack(np.broadcast_arrays(t[:, None] * 255, t[None, :] * 255 * k / 15, 128 + 0 * t[:, None]),
                                axis=-1) for k in range(16)]).astype(np.uint8)  # [16, 32, 32, 3] moving gradients
    gif = Image.open(media.write_gif(frames, tmp_path / "colour.gif"))
    assert (gif.n_frames, gif.size) == (16, (128, 128))
    for k in (0, 7, 15):
        gif.seek(k)
        decoded = np.asarray(gif.convert("RGB")).astype(int)
        expected = np.repeat(np.repeat(frames[k], 4, axis=0), 4, axis=1).astype(int)
        assert np.abs(decoded - expected).mean() < 4  # 256 shared colours for 16 frames of gradients

    grey = frames[..., 1:2]  # the channel that changes from frame to frame (PIL merges repeated frames)
    gif = Image.open(media.write_gif(grey, tmp_path / "grey.gif"))
    gif.seek(9)
    assert np.array_equal(np.asarray(gif.convert("L")), np.repeat(np.repeat(grey[9, ..., 0], 4, axis=0), 4, axis=1))
