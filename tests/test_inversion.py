"""Unit tests for gan_models/edit.py: image preparation, inversion, arithmetic, attribute vectors, anchoring.
Tiny randomly initialised generators: fast, and any target they drew themselves is reachable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from gan_models import edit
from gan_models import latent as L
from gan_models.conditional import ConditionalGenerator
from gan_models.dcgan import DCGANConfig, DCGANGenerator
from gan_models.model import LoadedModel

D = 8


def tiny(conditional: bool = False) -> torch.nn.Module:
    torch.manual_seed(0)
    cfg = DCGANConfig(latent_dim=D, base_channels=4, d_base_channels=4, num_classes=3 if conditional else 0,
                      class_names=["a", "b", "c"] if conditional else [], embed_dim=4)
    G = ConditionalGenerator(cfg) if conditional else DCGANGenerator(cfg)
    return G.eval().requires_grad_(False)


def test_prepare_target_sketch_on_transparent_canvas_becomes_white_on_black():
    rgba = np.zeros((100, 60, 4), np.uint8)
    rgba[20:80, 25:35] = [0, 0, 0, 255]  # a black bar drawn on a transparent canvas
    x = edit.prepare_target(rgba, 28, 1, dark_background=True)
    assert x.shape == (1, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    assert x[0, 0, 0, 0] == -1 and x[0, 0, 14, 14] > 0.5  # dark border, bright centred stroke
    light = edit.prepare_target(rgba, 28, 1, dark_background=False)
    assert light[0, 0, 0, 0] == 1 and light[0, 0, 14, 14] < -0.5


def test_prepare_target_rgb_and_float_inputs_and_bad_shapes():
    rgb = np.full((40, 40, 3), 255, np.uint8)
    rgb[10:30, 10:30] = 0
    assert edit.prepare_target(rgb, 32, 3).shape == (1, 3, 32, 32)
    assert edit.prepare_target(rgb.mean(2) / 255.0, 28, 1).shape == (1, 1, 28, 28)
    with pytest.raises(ValueError, match="shape"):
        edit.prepare_target(np.zeros((4, 4, 4, 4)), 28, 1)
    with pytest.raises(ValueError, match="channels"):
        edit.prepare_target(np.zeros((8, 8, 2)), 28, 1)


def test_invert_recovers_a_reachable_image_and_the_loss_falls():
    G = tiny()
    with torch.inference_mode():
        target = G(L.z_from_seed(3, D))
    records = list(edit.invert(G, target, steps=60, n_random=64, report_every=10))
    assert [r.step for r in records] == [10, 20, 30, 40, 50, 60] and records[-1].done
    assert records[-1].loss < records[0].loss * 1.01
    blank = torch.zeros_like(target)
    assert records[-1].loss < 0.25 * float((blank - target).pow(2).mean())
    assert records[-1].image.dtype == np.uint8 and records[-1].z.shape == (D,)
    assert all(not p.requires_grad for p in G.parameters())  # the shared model stays frozen


@pytest.mark.parametrize("model_id", ["dcgan-animals", "cdcgan-animals"])
def test_default_settings_reconstruct_a_shipped_models_own_images(model_id):
    """The budget the panel uses (defaults) reaches MSE 0.02 (23 dB) on images the shipped model drew itself,
    including the unconditional one, which has no class to narrow the random search."""
    from gan_models import registry

    model = registry.load(model_id)
    G, n_classes = model.generator, len(model.class_names)
    for seed in (100, 101, 106):  # dcgan-animals: MSE 0.022, 0.041, 0.030 after 100 steps; < 0.006 after 300
        label = torch.tensor([seed % n_classes]) if n_classes else None
        with torch.inference_mode():
            target = G(L.z_from_seed(seed, G.config.latent_dim), label)
        final = list(edit.invert(G, target, n_classes, seed=seed, report_every=100))[-1]
        assert final.done and final.loss <= 0.02, (seed, final.loss)


def test_invert_picks_the_class_of_a_conditional_target():
    G = tiny(conditional=True)
    with torch.inference_mode():
        target = G(L.z_from_seed(1, D), torch.tensor([2]))
    last = list(edit.invert(G, target, n_classes=3, steps=20, n_random=64))[-1]
    assert last.label == 2


def test_invert_time_cap_and_step_bounds():
    G = tiny()
    target = torch.zeros(1, 1, 28, 28)
    records = list(edit.invert(G, target, steps=500, n_random=8, max_seconds=0.0))
    assert len(records) == 1 and records[0].done and records[0].step == 1
    with pytest.raises(ValueError, match="steps"):
        next(edit.invert(G, target, steps=0))


def test_arithmetic():
    a, b, c = (L.z_from_seed(s, 64) for s in (1, 2, 3))
    assert torch.allclose(edit.arithmetic(a, b, c, rescale=False), a - b + c)
    out = edit.arithmetic(a, b, c)
    assert torch.allclose(out.norm(), (a.norm() + c.norm()) / 2, rtol=1e-5)
    assert torch.allclose(edit.arithmetic(a, a, c, rescale=False), c)  # A - A + C = C


def test_attribute_vector_moves_exactly_to_the_other_class():
    G = tiny(conditional=True)
    z = L.z_from_seed(4, D)
    vec = edit.attribute_vector(G, 0, 2)
    assert vec.shape == (D + 4,) and torch.all(vec[:D] == 0)
    strip = edit.attribute_strip(G, z, 0, vec, [0.0, 0.5, 1.0])
    with torch.inference_mode():
        assert torch.allclose(strip[0], G(z, torch.tensor([0]))[0], atol=1e-5)
        assert torch.allclose(strip[2], G(z, torch.tensor([2]))[0], atol=1e-5)
    with pytest.raises(ValueError, match="conditional"):
        edit.attribute_vector(tiny(), 0, 1)
    with pytest.raises(ValueError, match="Class index"):
        edit.attribute_vector(G, 0, 7)


def test_full_input_round_trip():
    for conditional in (False, True):
        G = tiny(conditional)
        z, y = L.z_from_seed(0, D, 2), torch.tensor([1, 2])
        with torch.inference_mode():
            direct = G(z, y if conditional else None)
        h = edit.full_input(G, z, y if conditional else None)
        assert torch.allclose(edit.render_input(G, h), direct, atol=1e-6)


def test_anchored_generator_draws_the_found_latent_at_its_seed():
    G = tiny(conditional=True)
    z_found = torch.randn(D)
    anchored = edit.anchored(G, z_found, anchor_seed=9)
    y = torch.tensor([1])
    with torch.inference_mode():
        assert torch.allclose(anchored(L.z_from_seed(9, D), y), G(z_found[None], y), atol=1e-5)
        moved = L.z_from_seed(9, D)
        moved[0, 0] += 1.0
        expect = z_found.clone()
        expect[0] += 1.0
        assert torch.allclose(anchored(moved, y), G(expect[None], y), atol=1e-5)
    assert anchored.first_layer_features(L.z_from_seed(9, D), y).shape[0] == 1
    # It keeps the base's typed interface: SeFa's linear map, and classes that blend through their embedding
    # (a class blend on a found latent used to fall back to a half-way switch).
    assert torch.equal(anchored.latent_weight(), G.latent_weight())
    assert edit.is_conditional(anchored)
    emb = (G.class_embedding(torch.tensor([0])) + G.class_embedding(torch.tensor([1]))) / 2
    with torch.inference_mode():
        assert torch.allclose(anchored.from_embedding(L.z_from_seed(9, D), emb),
                              G.from_embedding(z_found[None], emb), atol=1e-5)
    loaded = LoadedModel(id="drawing", kind="cdcgan", generator=anchored, discriminator=None, config=G.config,
                         class_names=["a", "b", "c"])
    assert loaded.supports.class_blend and loaded.supports.closed_form and not loaded.supports.d_verdict
    plain = edit.anchored(tiny(conditional=False), z_found, anchor_seed=9)
    assert not edit.is_conditional(plain) and not isinstance(plain, edit.AnchoredClassGenerator)


def test_psnr():
    assert edit.psnr(4.0) == 0.0 and edit.psnr(0.0) == float("inf")


def test_panel_arithmetic_attribute_and_explore_from_a_found_latent():
    """The Explore-tab panel's callbacks on the shipped conditional checkpoint (no server needed)."""
    from ui import inversion_panel as panel

    strip, _ = panel.latent_arithmetic("cdcgan-animals", 1, 2, 3, "bear", "cat", "dog")
    assert strip.dtype == np.uint8 and strip.shape[1] > 3 * strip.shape[0]  # four tiles side by side
    strip, _ = panel.class_attribute("cdcgan-animals", 5, "cat", "cat", "dog")
    assert strip.shape[1] > 6 * strip.shape[0]  # seven amounts
    loaded = panel.render.load_model("cdcgan-animals")
    found = {"model": loaded.id, "z": L.z_from_seed(77, loaded.config.latent_dim)[0].tolist(), "label": 2}
    outputs = panel.explore_found(found, 5)
    model_id = outputs[0]["value"]
    assert "-drawing-" in model_id and model_id in outputs[0]["choices"]
    # Seed 5 of the new model draws the found latent with the found class.
    image, info = panel.render.generate(model_id, 5, "cat", 1.0, {}, 1, captions=False)
    direct, direct_info = panel.render.generate("cdcgan-animals", 77, "cat", 1.0, {}, 1, captions=False)
    assert np.array_equal(image, direct) and info.class_name == "cat"
    # The readout's |z| is the found latent's (seed 77's here), not seed 5's own.
    assert info.latent_norm == pytest.approx(direct_info.latent_norm, abs=1e-3)
    own = float(L.z_from_seed(5, loaded.config.latent_dim)[0].norm())
    assert abs(info.latent_norm[0] - own) > 0.01
    import gradio as gr
    from gradio.utils import get_upload_folder
    from PIL import Image

    # The event runs with preprocess=False: the sketchpad's composite arrives as an upload (a blank canvas here).
    blank = Path(get_upload_folder()) / "test-inversion-blank.png"
    blank.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((8, 8, 4), np.uint8)).save(blank)
    with pytest.raises(gr.Error, match="Draw something"):
        next(panel.find_latent("cdcgan-animals", {"composite": {"path": str(blank)}}, None))
    blank.unlink()


def test_the_arithmetic_starts_from_a_sum_whose_answer_can_be_checked():
    """Its defaults put B and C on one seed, so A - B + C is A's noise with C's class: the result tile matches
    C's class drawn at A's seed, and each tile is captioned."""
    from gan_models import media
    from ui import inversion_panel as panel

    classes = panel._classes("cdcgan-emoji")
    seeds, labels = panel._arithmetic_defaults(classes)
    assert seeds[1] == seeds[2] and labels[0] == labels[1] != labels[2]
    assert panel._arithmetic_defaults([]) == ((1, 2, 3), (None, None, None))

    def tiles(strip: np.ndarray) -> list[np.ndarray]:
        side = 32 * media.scale_for(32, 4, 560, 6)
        return [strip[4:4 + side, 4 + i * (side + 4): 4 + i * (side + 4) + side].astype(int) for i in range(4)]

    strip, _ = panel.latent_arithmetic("cdcgan-emoji", *seeds, *labels)
    a, _, _, result = tiles(strip)
    c_at_a = tiles(panel.latent_arithmetic("cdcgan-emoji", seeds[0], seeds[0], seeds[0], *[labels[2]] * 3)[0])[0]
    assert np.abs(result - c_at_a).mean() < 0.25 * np.abs(result - a).mean()
    assert strip.shape[0] > 4 + 32 * media.scale_for(32, 4, 560, 6) + 8  # a caption row under the tiles

