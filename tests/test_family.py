"""gan_models.family, the GAN family tab's computations: shapes, determinism for a seed, the LAPGAN pyramid's
levels (coarse noise moves everything, fine noise only the finest level), PSNR/SSIM, uploads, model folders
that are missing, half written or re-exported, paired Twemoji -> Noto, text to image (phrases read word by word,
unknown words reported with their closest known ones, interpolation between phrases), and the refusals of bad input.

LAPGAN, super-resolution, pix2pix, CycleGAN and text to image run on tiny models built here (the shipped ones may
still be training); the vanilla GAN and VAE cards use the shipped checkpoints for structure only (no quality is
asserted)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_models import family
from gan_models.cyclegan import CycleGANConfig, CycleGANGenerators
from gan_models.lapgan import LAPGANConfig, LAPGANGenerator, upsample
from gan_models.pix2pix import Pix2PixConfig, UNetGenerator
from gan_models.srgan import SRConfig, SRResNet, bicubic, downscale
from gan_models.textgan import TextGANConfig, TextToImageGenerator

CLASSES = ["face", "heart", "hand"]
VOCAB = ["face", "heart", "red", "cat", "grinning", "tears", "joy", "yellow", "sun", "apple"]


def tiny_family(root: Path) -> dict[str, Path]:
    """A tiny LAPGAN, two tiny super-resolvers (SRResNet, SRGAN), tiny sketch pix2pix models (plain and styled), a
    tiny paired Twemoji -> Noto pix2pix, a tiny CycleGAN and a tiny text-to-image GAN, saved with save_pretrained
    under `root`."""
    torch.manual_seed(0)
    folders = {"lapgan-emoji": root / "lapgan", "srresnet-emoji": root / "srresnet", "srgan-emoji": root / "srgan",
               "pix2pix-sketch": root / "pix2pix", "cyclegan-emoji": root / "cyclegan",
               "pix2pix-twemoji-noto": root / "paired", "textgan-emoji": root / "textgan",
               "pix2pix-sketch-vendor": root / "styled"}
    UNetGenerator(Pix2PixConfig(in_channels=2, source="sketch-vendor", base_channels=4, d_base_channels=4,
                                dataset="emoji-sketch-vendor")).save_pretrained(folders["pix2pix-sketch-vendor"])
    UNetGenerator(Pix2PixConfig(in_channels=3, source="twemoji", base_channels=4, d_base_channels=4,
                                dataset="emoji-twemoji-noto")).save_pretrained(folders["pix2pix-twemoji-noto"])
    TextToImageGenerator(TextGANConfig(latent_dim=8, base_channels=4, d_base_channels=4, text_dim=8, cond_dim=4,
                                       max_words=4, vocab=VOCAB, dataset="emoji-text")
                         ).save_pretrained(folders["textgan-emoji"])
    UNetGenerator(Pix2PixConfig(base_channels=4, d_base_channels=4, dataset="emoji-sketch")).save_pretrained(
        folders["pix2pix-sketch"])
    CycleGANGenerators(CycleGANConfig(base_channels=4, blocks=1, d_base_channels=4, dataset="emoji-styles")
                       ).save_pretrained(folders["cyclegan-emoji"])
    LAPGANGenerator(LAPGANConfig(coarse_dim=4, detail_dim=3, coarse_channels=8, detail_channels=4, d_base_channels=4,
                                 embed_dim=2, num_classes=3, class_names=CLASSES, dataset="emoji")
                    ).save_pretrained(folders["lapgan-emoji"])
    for kind, weight in (("srresnet", 0.0), ("srgan", 0.01)):
        sr = SRResNet(SRConfig(kind=kind, base_channels=4, blocks=1, d_base_channels=4, adversarial_weight=weight))
        with torch.no_grad():  # an untrained SRResNet equals bicubic exactly: give it some detail of its own
            sr.up[-1].weight.normal_(0, 0.05)
        sr.save_pretrained(folders[f"{kind}-emoji"])
    return folders


def install(monkeypatch, folders: dict[str, Path]) -> None:
    for model_id, folder in folders.items():
        monkeypatch.setitem(family.FOLDERS, model_id, folder)
    family.clear_cache()


@pytest.fixture
def tiny(tmp_path, monkeypatch) -> dict[str, Path]:
    folders = tiny_family(tmp_path)
    install(monkeypatch, folders)
    yield folders
    family.clear_cache()


def emoji_like(seed: int = 0) -> torch.Tensor:
    """A uint8 [1, 3, 32, 32] picture: a smooth coloured disc on white, like an emoji."""
    yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    disc = ((yy - 16) ** 2 + (xx - 15) ** 2 < 120).float()
    colour = torch.tensor([230.0, 180.0 + seed, 40.0])[:, None, None]
    return (255 - disc * (255 - colour)).round().to(torch.uint8)[None]


# ---------------------------------------------------------------------------------------------
# Cards and their text
# ---------------------------------------------------------------------------------------------


def test_every_family_has_a_card_with_its_paper():
    assert list(family.FAMILIES) == ["vanilla", "vae", "lapgan", "superres", "pix2pix", "cyclegan", "text"]
    for key, year in (("vanilla", "2014"), ("vae", "2013"), ("lapgan", "2015"), ("superres", "2017"),
                      ("pix2pix", "Isola et al. 2017"), ("cyclegan", "Zhu et al. 2017"),
                      ("text", "Reed et al. 2016")):
        card = family.family(key)
        assert year in card.paper and card.history.count(". ") >= 1
    with pytest.raises(ValueError, match="Unknown family"):
        family.family("stylegan")


# ---------------------------------------------------------------------------------------------
# Vanilla GAN beside DCGAN, VAE beside GAN (shipped checkpoints, structure only)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", ["animals", "digits"])
def test_vanilla_samples_both_models_for_the_same_seeds(dataset):
    r = family.vanilla(dataset, 7, 4)
    assert r.seeds == [7, 8, 9, 10]
    for s in (r.mlp, r.dcgan):
        assert s.images.shape == (4, 1, 28, 28) and s.images.abs().max() <= 1
        assert s.parameters > 10_000
        q = s.quality
        assert q.frechet is not None and q.floor is not None and q.ratio == pytest.approx(q.frechet / q.floor)
    assert r.mlp.kind == "mlpgan" and r.dcgan.kind in ("dcgan", "cdcgan")
    again = family.vanilla(dataset, 7, 4)
    assert torch.equal(again.mlp.images, r.mlp.images) and torch.equal(again.dcgan.images, r.dcgan.images)
    # Sample i is seed + i: the first image of a run at seed 8 is the second of this one.
    assert torch.allclose(family.vanilla(dataset, 8, 1).mlp.images[0], r.mlp.images[1], atol=1e-5)
    assert not torch.equal(family.vanilla(dataset, 99, 4).mlp.images, r.mlp.images)


def test_vae_panel_samples_reconstructions_and_interpolations():
    real = (torch.rand(50, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 255).to(torch.uint8)
    r = family.vae_panel("animals", 3, 9, real, n=4)
    assert r.vae.images.shape == r.gan.images.shape == (4, 1, 28, 28)
    assert r.real.shape == r.reconstructed.shape == (family.RECONSTRUCTIONS, 1, 28, 28)
    assert len(set(r.test_indices)) == family.RECONSTRUCTIONS and all(0 <= i < 50 for i in r.test_indices)
    assert torch.equal(r.real, real[r.test_indices].float() / 127.5 - 1)
    assert 0 < r.reconstruction_mse < 1
    assert r.vae_path.shape == r.gan_path.shape == (family.INTERPOLATION_FRAMES, 1, 28, 28)
    # The path starts at seed A's sample and ends at seed B's.
    assert torch.allclose(r.vae_path[0], r.vae.images[0], atol=1e-5)
    assert torch.allclose(r.vae_path[-1], family.vae_panel("animals", 9, 3, real, n=1).vae.images[0], atol=1e-5)
    again = family.vae_panel("animals", 3, 9, real, n=4)
    assert again.test_indices == r.test_indices and torch.equal(again.reconstructed, r.reconstructed)
    assert family.vae_panel("animals", 4, 9, real, n=4).test_indices != r.test_indices


def test_eval_json_is_read_defensively(tmp_path, monkeypatch):
    folder = tmp_path / "odd"
    folder.mkdir()
    monkeypatch.setitem(family.FOLDERS, "odd", folder)
    assert family.quality("odd").frechet is None  # no eval.json
    (folder / "eval.json").write_text(json.dumps({"frechet_generated_vs_test": "12", "frechet_train_vs_test": 0,
                                                  "coverage": True, "class_histogram": {"a": 0.5, "b": 0.01}}))
    q = family.quality("odd")
    assert q.frechet is None and q.ratio is None and q.coverage is None
    assert (q.classes_drawn, q.classes, q.smallest_class_share) == (1, 2, 0.01)
    (folder / "eval.json").write_text("{not json")
    assert family.quality("odd").floor is None
    assert family.training_steps("odd") is None


# ---------------------------------------------------------------------------------------------
# LAPGAN
# ---------------------------------------------------------------------------------------------


def test_pyramid_z_draws_each_level_from_its_own_seed_and_leaves_the_global_rng_alone():
    state = torch.random.get_rng_state()
    z = family.pyramid_z([1, 2, 3], (4, 3, 3))
    assert torch.equal(torch.random.get_rng_state(), state)
    assert z.shape == (1, 10)
    z2 = family.pyramid_z([1, 2, 4], (4, 3, 3))
    assert torch.equal(z[:, :7], z2[:, :7]) and not torch.equal(z[:, 7:], z2[:, 7:])
    assert torch.equal(family.pyramid_z([1, 2, 3], (4, 3, 3)), z)


def test_lapgan_levels_show_given_residual_and_output(tiny):
    r = family.lapgan("heart", [5, 6, 7])
    assert r.class_name == "heart" and r.label == 1 and r.seeds == [5, 6, 7]
    assert [lv.size for lv in r.levels] == [8, 16, 32]
    first, *finer = r.levels
    assert first.given is None and first.residual is None and first.output.shape == (1, 3, 8, 8)
    for prev, lv in zip(r.levels, finer, strict=False):
        assert lv.given.shape == lv.residual.shape == lv.output.shape == (1, 3, lv.size, lv.size)
        drawn = prev.output if prev.given is None else prev.given + prev.residual  # before the display clamp
        assert torch.allclose(lv.given, upsample(drawn), atol=1e-5)
        assert torch.allclose(lv.output, (lv.given + lv.residual).clamp(-1, 1), atol=1e-6)
        assert lv.residual_rms > 0 and lv.residual_display.abs().max() <= 1
    # Images as shown: level 0 one tile, finer levels given | residual | output.
    assert family.level_image(first).shape[1] < family.level_image(finer[0]).shape[1]
    assert family.level_image(finer[1]).shape[0] == family.level_image(finer[0]).shape[0]
    # Deterministic for its seeds; the class index works like its name.
    assert torch.equal(family.lapgan(1, [5, 6, 7]).levels[-1].output, r.levels[-1].output)


def test_coarse_noise_moves_every_level_fine_noise_only_the_finest(tiny):
    base = family.lapgan("face", [1, 2, 3]).levels
    fine = family.lapgan("face", [1, 2, 30]).levels
    coarse = family.lapgan("face", [10, 2, 3]).levels
    assert torch.equal(fine[0].output, base[0].output) and torch.equal(fine[1].output, base[1].output)
    assert not torch.equal(fine[2].output, base[2].output)
    assert all(not torch.equal(c.output, b.output) for c, b in zip(coarse, base, strict=True))


@pytest.mark.parametrize(
    ("label", "seeds", "message"),
    [
        ("unicorn", [1, 2, 3], "not one of"),
        (7, [1, 2, 3], "not one of"),
        (True, [1, 2, 3], "not one of"),
        ("heart", [1, 2], "one seed per level"),
        ("heart", "1,2,3", "one seed per level"),
        ("heart", [1, -2, 3], "Level 1"),
        ("heart", [1, 2, 2**32], "Level 2"),
        ("heart", [1, 2, float("nan")], "Level 2"),
        ("heart", [1, 2.5, 3], "whole number"),
        ("heart", [False, 2, 3], "Level 0"),
    ],
)
def test_lapgan_refuses_bad_input(tiny, label, seeds, message):
    with pytest.raises(ValueError, match=message):
        family.lapgan(label, seeds)


# ---------------------------------------------------------------------------------------------
# Model folders: missing, half written, re-exported
# ---------------------------------------------------------------------------------------------


def test_a_missing_or_half_written_model_is_a_message_and_a_new_export_is_picked_up(tmp_path, monkeypatch):
    folder = tmp_path / "lapgan"
    install(monkeypatch, {"lapgan-emoji": folder})
    with pytest.raises(family.ModelUnavailable, match="lapgan-emoji is not available right now.*try again"):
        family.lapgan("heart", [1, 2, 3])
    tiny_family(tmp_path)  # the training exports its first snapshot
    first = family.lapgan("heart", [1, 2, 3])
    assert first.note is None
    weights = folder / "model.safetensors"
    good = weights.read_bytes()
    weights.write_bytes(good[: len(good) // 2])  # the next snapshot, caught half written
    stale = family.lapgan("heart", [1, 2, 3])
    assert "previous one" in stale.note and torch.equal(stale.levels[-1].output, first.levels[-1].output)
    family.clear_cache()
    with pytest.raises(family.ModelUnavailable, match="not available right now") as error:
        family.lapgan("heart", [1, 2, 3])
    assert str(tmp_path) not in str(error.value)  # no server paths in the message
    torch.manual_seed(1)  # a finished snapshot with new weights
    LAPGANGenerator(LAPGANConfig(coarse_dim=4, detail_dim=3, coarse_channels=8, detail_channels=4,
                                 d_base_channels=4, embed_dim=2, num_classes=3, class_names=CLASSES)
                    ).save_pretrained(folder)
    os.utime(weights, ns=(weights.stat().st_mtime_ns + 10**9,) * 2)
    fresh = family.lapgan("heart", [1, 2, 3])
    assert fresh.note is None and not torch.equal(fresh.levels[-1].output, first.levels[-1].output)


def test_a_folder_of_the_wrong_kind_is_refused(tiny, monkeypatch):
    monkeypatch.setitem(family.FOLDERS, "lapgan-emoji", tiny["srresnet-emoji"])
    family.clear_cache()
    with pytest.raises(family.ModelUnavailable, match="srresnet model, expected lapgan"):
        family.lapgan("heart", [1, 2, 3])


def test_model_ids_are_never_paths():
    for bad in ("../etc", "/tmp/x", "org/name", "", None, 3):
        with pytest.raises(ValueError):
            family.load(bad, ("lapgan",))


# ---------------------------------------------------------------------------------------------
# Super-resolution
# ---------------------------------------------------------------------------------------------


def test_psnr_and_ssim_are_sane():
    x = family.check_test_images(emoji_like(), 3, 32)
    psnr, ssim = family.image_quality(x, x)
    assert psnr == 100.0 and ssim == pytest.approx(1.0, abs=1e-4)
    smooth = bicubic(downscale(x), 32)
    psnr_b, ssim_b = family.image_quality(smooth, x)
    assert 20 < psnr_b < 100 and 0.5 < ssim_b < 1  # a smooth disc survives 4x fairly well
    noisy = (x + 0.5 * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))).clamp(-1, 1)
    psnr_n, ssim_n = family.image_quality(noisy, x)
    assert psnr_n < psnr_b and ssim_n < ssim_b
    assert family.image_quality(-x, x)[0] < psnr_n  # the negative is the worst of all
    mse = float((((smooth.clamp(-1, 1) + 1) / 2 - (x + 1) / 2) ** 2).mean())
    assert psnr_b == pytest.approx(-10 * math.log10(mse), abs=1e-3)  # data_range 1 on [0, 1] pixels


def test_superres_shows_five_panels_scored_against_the_real_image(tiny):
    real = emoji_like()
    r = family.superres(real, "test image 0 (face)")
    assert [p.name for p in r.panels] == ["Low-res input", "Bicubic", "SRResNet", "SRGAN", "Real"]
    assert r.low.shape == (1, 3, 8, 8)
    for p in r.panels:
        assert p.image.shape == (1, 3, 32, 32) and p.image.abs().max() <= 1
        assert family.panel_image(p).shape == (family.TILE_PX, family.TILE_PX, 3)
    assert torch.equal(r.panel("Real").image, family.check_test_images(real, 3, 32))
    assert r.panel("Real").psnr is None  # the reference itself
    assert r.panel("Bicubic").psnr > r.panel("Low-res input").psnr  # smooth beats blocky on a smooth picture
    srr, bic = r.panel("SRResNet").image, r.panel("Bicubic").image
    assert not torch.equal(srr, bic) and (srr - bic).abs().max() < 0.5  # bicubic plus a learned detail
    again = family.superres(real)
    assert [p.psnr for p in again.panels] == [p.psnr for p in r.panels]


def test_superres_without_a_trained_srgan_still_shows_the_rest(tiny, tmp_path, monkeypatch):
    monkeypatch.setitem(family.FOLDERS, "srgan-emoji", tmp_path / "not-exported-yet")
    family.clear_cache()
    r = family.superres(emoji_like())
    srgan = r.panel("SRGAN")
    assert srgan.image is None and srgan.psnr is None and "not available right now" in srgan.note
    assert family.panel_image(srgan) is None and r.panel("SRResNet").image is not None


@pytest.mark.parametrize(
    ("real", "message"),
    [
        (torch.zeros(1, 3, 28, 28, dtype=torch.uint8), r"\[N, 3, 32, 32\]"),
        (torch.zeros(1, 1, 32, 32, dtype=torch.uint8), r"\[N, 3, 32, 32\]"),
        (np.zeros((1, 3, 32, 32), np.uint8), "tensor"),
        (torch.full((1, 3, 32, 32), float("nan")), "finite"),
        (torch.zeros(1, 3, 32, 32, dtype=torch.int32), "uint8 or finite floats"),
    ],
)
def test_superres_refuses_inputs_of_the_wrong_shape_or_type(tiny, real, message):
    with pytest.raises(ValueError, match=message):
        family.superres(real)


def test_an_upload_is_composited_cropped_and_resized():
    rgba = np.zeros((40, 80, 4), np.uint8)  # transparent, wider than tall, a blue square in the middle
    rgba[10:30, 30:50] = (20, 40, 220, 255)
    x = family.prepare_upload(rgba)
    assert x.shape == (1, 3, 32, 32) and x.abs().max() <= 1
    assert torch.allclose(x[0, :, 0, 0], torch.ones(3))  # transparent became white paper
    assert x[0, 2, 16, 16] > x[0, 0, 16, 16]  # the square stayed blue and centred
    assert family.prepare_upload(np.full((5, 5), 128, np.uint8)).shape == (1, 3, 32, 32)  # grey, tiny
    for bad in (np.zeros((4, 4, 2), np.uint8), np.zeros((1, 9, 3), np.uint8), np.zeros((8, 8), np.float32)):
        with pytest.raises(ValueError, match="Expected a uint8 image"):
            family.prepare_upload(bad)


# ---------------------------------------------------------------------------------------------
# Sketch -> emoji (pix2pix)
# ---------------------------------------------------------------------------------------------


def canvas_stroke(side: int = 256, width: int = 12) -> np.ndarray:
    """What the sketchpad sends: RGBA, transparent paper, one black horizontal stroke `width` px thick."""
    rgba = np.zeros((side, side, 4), np.uint8)
    top = side * 100 // 256
    rgba[top: top + width, side // 8: side - side // 8, 3] = 255
    return rgba


def test_a_drawing_becomes_a_32px_sketch_like_the_training_ones():
    x = family.prepare_sketch(canvas_stroke())
    assert x.shape == (1, 1, 32, 32) and x.min() == -1 and x.max() == 1
    ink = (1 - x[0, 0]) / 2  # 0 paper, 1 ink
    assert torch.equal(ink[0], torch.zeros(32)) and ink[:, 0].sum() == 0  # the transparent paper is white
    rows = ink[:, 16]
    assert 1.2 <= float(rows.sum()) <= 2.0 and int((rows > 0).sum()) == 2  # a 12 px stroke -> ~1.5 px, soft edge
    # A faint, thin pencil line on a large white upload is still a black stroke after the reduction.
    grey = np.full((600, 800), 255, np.uint8)
    grey[300:302, 100:700] = 150
    faint = family.prepare_sketch(grey)
    assert faint.min() == -1 and faint.shape == (1, 1, 32, 32)
    assert torch.equal(family.prepare_sketch(canvas_stroke()), x)  # deterministic


@pytest.mark.parametrize("blank", [np.zeros((256, 256, 4), np.uint8), np.full((256, 256), 255, np.uint8),
                                   np.full((64, 64, 3), 250, np.uint8)])
def test_a_blank_drawing_is_refused(blank):
    with pytest.raises(ValueError, match="Draw something first"):
        family.prepare_sketch(blank)


def test_pix2pix_draws_an_emoji_for_a_sketch_and_scores_it_against_the_real_one(tiny):
    sketch = ((family.prepare_sketch(canvas_stroke()) + 1) * 127.5).round().to(torch.uint8)
    real = emoji_like()
    r = family.pix2pix(sketch, real, "test sketch 0")
    assert r.sketch.shape == (1, 1, 32, 32) and r.output.shape == r.real.shape == (1, 3, 32, 32)
    assert r.output.abs().max() <= 1 and r.parameters > 1000 and r.note is None
    assert 0 < r.psnr < 100 and -1 <= r.ssim <= 1 and 0 < r.l1 < 1
    assert r.psnr == pytest.approx(family.image_quality(r.output, r.real)[0])
    again = family.pix2pix(sketch, real)
    assert torch.equal(again.output, r.output) and again.psnr == r.psnr  # eval mode: no dropout, no noise
    drawn = family.pix2pix(family.prepare_sketch(canvas_stroke()))
    assert drawn.real is None and drawn.psnr is None and drawn.ssim is None and drawn.l1 is None
    assert not torch.equal(family.pix2pix(torch.full((1, 1, 32, 32), 255, dtype=torch.uint8)).output, r.output)
    assert family.row_image(r.sketch, px=family.TILE_PX, pad=0).shape == (family.TILE_PX, family.TILE_PX)


def test_the_styled_pix2pix_draws_each_vendor_style_from_one_sketch(tiny):
    sketch = family.prepare_sketch(canvas_stroke())
    noto, twemoji = family.pix2pix(sketch, style="noto"), family.pix2pix(sketch, style="Twemoji")
    assert noto.model_id == twemoji.model_id == "pix2pix-sketch-vendor"
    assert noto.sketch.shape == (1, 1, 32, 32) and noto.output.shape == (1, 3, 32, 32)
    assert not torch.equal(noto.output, twemoji.output)  # the style plane reaches the network
    assert torch.equal(family.pix2pix(sketch, style="NOTO ").output, noto.output)
    assert family.pix2pix(sketch).model_id == "pix2pix-sketch"  # no style: the plain sketch model
    for bad in ("apple", "", 3, ["noto"]):
        with pytest.raises(ValueError, match="Unknown style"):
            family.check_style(bad)


def test_pix2pix_refuses_wrong_inputs_and_a_model_that_is_not_a_sketch_model(tiny, tmp_path, monkeypatch):
    for bad, message in ((torch.zeros(1, 3, 32, 32), r"\[N, 1, 32, 32\]"), (torch.zeros(1, 1, 28, 28), "Real images"),
                         (torch.full((1, 1, 32, 32), float("inf")), "finite")):
        with pytest.raises(ValueError, match=message):
            family.pix2pix(bad)
    with pytest.raises(ValueError, match=r"\[N, 3, 32, 32\]"):
        family.pix2pix(torch.zeros(1, 1, 32, 32), torch.zeros(1, 1, 32, 32))
    UNetGenerator(Pix2PixConfig(in_channels=3, source="twemoji", base_channels=4, d_base_channels=4)
                  ).save_pretrained(tmp_path / "paired")
    monkeypatch.setitem(family.FOLDERS, "pix2pix-sketch", tmp_path / "paired")
    family.clear_cache()
    with pytest.raises(family.ModelUnavailable, match="translates twemoji images, not sketches"):
        family.pix2pix(torch.zeros(1, 1, 32, 32))
    monkeypatch.setitem(family.FOLDERS, "pix2pix-sketch", tmp_path / "still-training")
    family.clear_cache()
    with pytest.raises(family.ModelUnavailable, match="pix2pix-sketch is not available right now"):
        family.pix2pix(torch.zeros(1, 1, 32, 32))


# ---------------------------------------------------------------------------------------------
# Twemoji <-> Noto without pairs (CycleGAN)
# ---------------------------------------------------------------------------------------------


def test_cyclegan_translates_there_and_back_with_its_cycle_error(tiny):
    a, b = emoji_like(0), emoji_like(60)
    r = family.cyclegan(a, "a2b", b, "held-out emoji 0")
    assert r.styles == ("Twemoji", "Noto")
    for x in (r.input, r.translated, r.back, r.real):
        assert x.shape == (1, 3, 32, 32) and x.abs().max() <= 1
    assert r.cycle_l1 == pytest.approx(float((r.back - r.input).abs().mean() / 2))
    assert 0 < r.cycle_l1 < 1 and 0 < r.psnr < 100 and r.l1 > 0
    assert (r.baseline_psnr, r.baseline_ssim) == family.image_quality(r.input, r.real)
    assert r.parameters > 1000 and r.note is None
    again = family.cyclegan(a, "Twemoji -> Noto", b)
    assert torch.equal(again.translated, r.translated) and torch.equal(again.back, r.back)
    other = family.cyclegan(a, "Noto → Twemoji")
    assert other.direction == "b2a" and other.styles == ("Noto", "Twemoji") and other.real is None
    assert other.psnr is None and other.baseline_psnr is None
    assert not torch.equal(other.translated, r.translated)  # two separate translators


@pytest.mark.parametrize("direction", ["c2d", "", None, 1, "twemoji", "a2b" * 100])
def test_cyclegan_refuses_a_wrong_direction(tiny, direction):
    with pytest.raises(ValueError, match="Unknown direction") as error:
        family.cyclegan(emoji_like(), direction)
    assert len(str(error.value)) <= 200


def test_cyclegan_without_its_model_is_a_message(tmp_path, monkeypatch):
    install(monkeypatch, {"cyclegan-emoji": tmp_path / "still-training"})
    with pytest.raises(family.ModelUnavailable, match="cyclegan-emoji is not available right now"):
        family.cyclegan(emoji_like(), "a2b")
    family.clear_cache()


# ---------------------------------------------------------------------------------------------
# Twemoji -> Noto with pairs (pix2pix)
# ---------------------------------------------------------------------------------------------


def test_twemoji_to_noto_draws_and_scores_beside_doing_nothing(tiny):
    a, b = emoji_like(0), emoji_like(60)
    r = family.twemoji_to_noto(a, b, "held-out emoji 0")
    for x in (r.input, r.output, r.real):
        assert x.shape == (1, 3, 32, 32) and x.abs().max() <= 1
    assert r.model_id == "pix2pix-twemoji-noto" and r.source == "held-out emoji 0"
    assert 0 < r.psnr < 100 and -1 <= r.ssim <= 1 and 0 < r.l1 < 1 and r.parameters > 1000 and r.note is None
    assert (r.psnr, r.ssim) == family.image_quality(r.output, r.real)
    assert (r.baseline_psnr, r.baseline_ssim) == family.image_quality(r.input, r.real)
    again = family.twemoji_to_noto(a, b)
    assert torch.equal(again.output, r.output)
    up = family.twemoji_to_noto(family.prepare_upload(np.full((40, 30, 3), 200, np.uint8)))
    assert up.real is None and up.psnr is None and up.baseline_psnr is None and up.source == "your upload"


def test_twemoji_to_noto_refuses_sketches_and_a_sketch_model(tiny, monkeypatch):
    with pytest.raises(ValueError, match=r"\[N, 3, 32, 32\]"):
        family.twemoji_to_noto(torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match="finite"):
        family.twemoji_to_noto(torch.full((1, 3, 32, 32), float("nan")))
    monkeypatch.setitem(family.FOLDERS, "pix2pix-twemoji-noto", tiny["pix2pix-sketch"])
    family.clear_cache()
    with pytest.raises(family.ModelUnavailable, match="draws from sketches, not colour images"):
        family.twemoji_to_noto(emoji_like())


# ---------------------------------------------------------------------------------------------
# Text to image (GAN-CLS + GAN-INT)
# ---------------------------------------------------------------------------------------------


def test_text_to_image_draws_a_phrase_for_consecutive_seeds(tiny):
    family.load("textgan-emoji", ("textgan",))  # building the model before its weights load draws from the RNG
    state = torch.random.get_rng_state()
    r = family.text_to_image("Red  heart", 5)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert r.images.shape == (family.TEXT_SAMPLES, 3, 32, 32) and r.images.abs().max() <= 1
    assert r.seeds == list(range(5, 5 + family.TEXT_SAMPLES)) and r.model_id == "textgan-emoji"
    assert r.reading == family.Reading("Red heart", ["red", "heart"], {})
    assert r.parameters > 100 and r.note is None
    assert torch.equal(family.text_to_image("red heart", 5).images, r.images)  # deterministic for a seed
    assert torch.allclose(family.text_to_image("red heart", 6, n=1).images[0], r.images[1], atol=1e-5)
    assert not torch.equal(family.text_to_image("cat face", 5).images, r.images)  # the text matters
    assert not torch.equal(family.text_to_image("red heart", 50).images, r.images)  # so does the seed
    assert family.row_image(r.images).shape[1] > 7 * family.row_image(r.images).shape[0]  # one row of 8


def test_unknown_words_are_reported_with_their_closest_known_words_and_ignored(tiny):
    r = family.text_to_image("red hart xqzv", 0)
    assert r.reading.known == ["red"]
    assert r.reading.unknown == {"hart": ["heart"], "xqzv": []}
    assert torch.equal(r.images, family.text_to_image("red", 0).images)  # drawn from the known words alone
    assert family.unknown_word_note("hart", ["heart"]) == "'hart' is not in the vocabulary; closest known: heart"
    assert "no known word is close" in family.unknown_word_note("xqzv", [])
    with pytest.raises(ValueError, match="no word of it is in the vocabulary: 'hart' is not in the vocabulary; "
                                         "closest known: heart; 'xqzv' .*no known word is close") as error:
        family.text_to_image("hart xqzv", 0)
    assert len(str(error.value)) <= 300
    many = " ".join(f"zz{c}q" for c in "abcdefghij")
    with pytest.raises(ValueError, match=r"and 7 more unknown words") as error:
        family.text_to_image(many, 0)
    assert len(str(error.value)) <= 300
    with pytest.raises(ValueError, match="'qqqqqqqqqqqqqqqqqqqqqqq…' is not in the vocabulary") as error:
        family.text_to_image("q" * 200, 0)  # one long unknown word is shown cut
    assert len(str(error.value)) <= 200
    long = family.text_to_image("red " + " ".join(f"zz{c}q" for c in "abcdefghijkl"), 0).reading
    assert long.known == ["red"] and len(long.unknown) == 12


def test_text_interpolation_runs_from_phrase_a_to_phrase_b(tiny):
    r = family.text_interpolation("red heart", "grinning cat face", 7)
    assert r.images.shape == (family.INTERPOLATION_FRAMES, 3, 32, 32) and r.seed == 7
    assert r.alphas[0] == 0 and r.alphas[-1] == 1 and r.alphas == sorted(r.alphas)
    assert r.a.known == ["red", "heart"] and r.b.known == ["grinning", "cat", "face"]
    # a = 0 and a = 1 are the phrases' own images at that seed.
    assert torch.allclose(r.images[0], family.text_to_image("red heart", 7, n=1).images[0], atol=1e-5)
    assert torch.allclose(r.images[-1], family.text_to_image("grinning cat face", 7, n=1).images[0], atol=1e-5)
    assert not torch.allclose(r.images[3], r.images[0], atol=1e-4)  # the middle is a mix of its own
    assert torch.equal(family.text_interpolation("red heart", "grinning cat face", 7).images, r.images)
    assert family.text_interpolation("red heart", "cat", 7, steps=3).images.shape[0] == 3
    mixed = family.text_interpolation("hart red", "cat", 7)
    assert mixed.a.unknown == {"hart": ["heart"]}


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        (3, "Phrase must be text, got 3"),
        (None, "Phrase must be text"),
        (["red heart"], "Phrase must be text"),
        ("", "Phrase is empty"),
        ("   \t ", "Phrase is empty"),
        ("x" * 201, "too long: 201 characters, at most 200"),
        ("red heart " * 1000, "too long: 10,000 characters"),
        ("red\x00heart", r"control character \('\\x00'\)"),
        ("\x1b[31mred", "control character"),
        ("red\u200bheart", "control character"),  # a zero-width space is a format character
        ("the of", "no word to draw from"),
        ("?!", "no word to draw from"),
        ("hart", "closest known: heart"),
    ],
)
def test_text_to_image_refuses_bad_phrases(tiny, phrase, message):
    with pytest.raises(ValueError, match=message) as error:
        family.text_to_image(phrase, 0)
    assert len(str(error.value)) <= 200


def test_a_long_phrase_is_refused_before_it_is_read(tiny, monkeypatch):
    def never(*_):
        raise AssertionError("read")

    # refused before the model (and its reader) is even loaded: patched where the text card looks it up
    monkeypatch.setattr(family.text, "load", never)
    for call in (lambda: family.text_to_image("a" * 10_000, 0),
                 lambda: family.text_interpolation("red", "\x00" * 10_000, 0)):
        with pytest.raises(ValueError, match="too long"):
            call()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: family.text_to_image("red heart", -1), "Seed"),
        (lambda: family.text_to_image("red heart", 2**32), "Seed"),
        (lambda: family.text_to_image("red heart", 1.5), "Seed"),
        (lambda: family.text_to_image("red heart", True), "Seed"),
        (lambda: family.text_to_image("red heart", 0, n=17), "Number of samples"),
        (lambda: family.text_interpolation("red heart", "", 0), "Phrase B is empty"),
        (lambda: family.text_interpolation(None, "cat", 0), "Phrase A must be text"),
        (lambda: family.text_interpolation("xqzv", "cat", 0), "Phrase A: no word"),
        (lambda: family.text_interpolation("red", "cat", float("nan")), "Seed"),
        (lambda: family.text_interpolation("red", "cat", 0, steps=1), "Steps"),
    ],
)
def test_text_cards_refuse_bad_seeds_and_phrases(tiny, call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_text_to_image_without_its_model_or_with_another_kind_is_a_message(tiny, tmp_path, monkeypatch):
    monkeypatch.setitem(family.FOLDERS, "textgan-emoji", tmp_path / "still-training")
    family.clear_cache()
    with pytest.raises(family.ModelUnavailable, match="textgan-emoji is not available right now"):
        family.text_to_image("red heart", 0)
    monkeypatch.setitem(family.FOLDERS, "textgan-emoji", tiny["pix2pix-sketch"])
    family.clear_cache()
    with pytest.raises(family.ModelUnavailable, match="pix2pix model, expected textgan"):
        family.text_to_image("red heart", 0)


# ---------------------------------------------------------------------------------------------
# Refusals where the inputs enter
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: family.vanilla("cifar", 0), "Unknown data set"),
        (lambda: family.vanilla(None, 0), "Unknown data set"),
        (lambda: family.vanilla("animals", -1), "Seed"),
        (lambda: family.vanilla("animals", 2**32), "Seed"),
        (lambda: family.vanilla("animals", True), "Seed"),
        (lambda: family.vanilla("animals", float("inf")), "Seed"),
        (lambda: family.vanilla("animals", "7x"), "Seed"),
        (lambda: family.vanilla("animals", 0, 17), "Number of samples"),
        (lambda: family.vanilla("animals", 0, 0), "Number of samples"),
        (lambda: family.vanilla("animals", 0, True), "Number of samples"),
        (lambda: family.vae_panel("animals", 0, float("nan"), torch.zeros(9, 1, 28, 28, dtype=torch.uint8)), "Seed"),
        (lambda: family.vae_panel("animals", 0, 1, torch.zeros(9, 3, 32, 32, dtype=torch.uint8)), "Real images"),
        (lambda: family.vae_panel("animals", 0, 1, torch.zeros(9, 1, 28, 28), frames=1), "Frames"),
        (lambda: family.check_index(342, 342), "Test image"),
        (lambda: family.check_index(-1, 342), "Test image"),
        (lambda: family.check_index(1.5, 342), "Test image"),
        (lambda: family.check_index(False, 342), "Test image"),
    ],
)
def test_bad_input_is_refused_with_a_short_clear_message(call, message):
    with pytest.raises(ValueError, match=message) as error:
        call()
    assert len(str(error.value)) <= 200
