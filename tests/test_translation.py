"""pix2pix and CycleGAN (gan_models/pix2pix.py, gan_models/cyclegan.py), the sketches and the paired emoji sets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from gan_models import registry, render
from gan_models.cyclegan import CycleGANConfig
from gan_models.kinds import build_pair, config_from_dict
from gan_models.pix2pix import Pix2PixConfig
from training.data import load_dataset
from training.evaluate import translation_report
from training.loop import ImagePool, as_floats, cycle_step, pix2pix_step
from training.sketch import line_sketch
from training.train import main


def blobs(n: int, channels: int = 3, seed: int = 0) -> torch.Tensor:
    x = torch.rand(n, channels, 4, 4, generator=torch.Generator().manual_seed(seed))
    return torch.nn.functional.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False) * 2 - 1


def test_sketches_are_dark_lines_on_white_where_the_image_has_edges() -> None:
    image = np.full((1, 32, 32, 3), 255, np.uint8)
    image[0, 8:24, 8:24] = (200, 30, 30)  # a red square on white
    sketch = line_sketch(image)[0]
    assert sketch.shape == (32, 32) and sketch.dtype == np.uint8
    assert sketch[0, 0] == 255 and sketch[16, 16] == 255  # paper away from edges, inside the flat square too
    assert sketch[8, 16] < 128 and sketch[16, 23] < 128  # ink on the outline
    with pytest.raises(ValueError):
        line_sketch(image[..., 0])


def test_paired_sets_hold_inputs_and_the_style_halves_never_share_a_code_point() -> None:
    sketch = load_dataset("emoji-sketch", "test")
    assert sketch.inputs.shape == (len(sketch), 1, 32, 32) and sketch.images.shape[1] == 3
    pairs_train, pairs_test = load_dataset("emoji-twemoji-noto", "train"), load_dataset("emoji-twemoji-noto", "test")
    styles = load_dataset("emoji-styles", "train")
    assert len(styles) <= len(pairs_train) // 2
    # no test pair's Noto drawing is a training target
    train_b = {t.numpy().tobytes() for t in pairs_train.images}
    assert not any(t.numpy().tobytes() in train_b for t in pairs_test.images)
    # the unpaired halves: no Twemoji input's own Noto drawing is among the Noto images
    noto_of = {}
    for a, b in zip(pairs_train.inputs, pairs_train.images, strict=True):
        noto_of.setdefault(a.numpy().tobytes(), set()).add(b.numpy().tobytes())
    b_side = {t.numpy().tobytes() for t in styles.images}
    assert all(not noto_of[a.numpy().tobytes()] & b_side for a in styles.inputs)


def test_the_vendor_sketch_set_adds_a_style_plane_and_one_model_draws_both_styles() -> None:
    plain, vendor = load_dataset("emoji-sketch", "test"), load_dataset("emoji-sketch-vendor", "test")
    n, half = len(plain), len(plain) // 2  # emoji-sketch: sketches of Noto drawings first, then Twemoji ones
    assert vendor.inputs.shape == (2 * n, 2, 32, 32)
    assert torch.equal(vendor.inputs[:n, :1], plain.inputs) and torch.equal(vendor.inputs[n:, :1], plain.inputs)
    style = vendor.inputs[:, 1].flatten(1)
    assert (style[:n] == 255).all() and (style[n:] == 0).all()
    noto, twemoji = plain.images[:half], plain.images[half:]
    # each sketch is drawn in the named style: its target is that vendor's drawing of the same code point
    assert torch.equal(vendor.images[:n], torch.cat([noto, noto]))
    assert torch.equal(vendor.images[n:], torch.cat([twemoji, twemoji]))
    G, _ = build_pair(Pix2PixConfig(in_channels=2, source="sketch-vendor", base_channels=4, d_base_channels=4))
    assert G(torch.zeros(2, 2, 32, 32)).shape == (2, 3, 32, 32)


def test_pix2pix_shapes_and_training_lowers_l1() -> None:
    torch.manual_seed(0)
    G, D = build_pair(Pix2PixConfig(in_channels=3, source="twemoji", base_channels=8, d_base_channels=8))
    src, real = blobs(16), blobs(16).flip(-1)
    assert D(src, real).shape == (16, 4, 4)
    with pytest.raises(ValueError, match="shape"):
        G(torch.zeros(2, 1, 32, 32))
    opt_g, opt_d = torch.optim.Adam(G.parameters(), 2e-3, betas=(0.5, 0.999)), torch.optim.Adam(D.parameters(), 2e-4)
    l1 = [as_floats(pix2pix_step(G, D, opt_g, opt_d, src, real, step=s))["l1"] for s in range(40)]
    assert sum(l1[-5:]) / 5 < 0.7 * sum(l1[:5]) / 5
    G.eval()
    assert torch.equal(G(src[:2]), G(src[:2]))  # eval mode: dropout off, deterministic


def test_image_pool_fills_then_swaps_and_round_trips() -> None:
    pool = ImagePool(4)
    g = torch.Generator().manual_seed(0)
    first = torch.arange(4.0).view(4, 1, 1, 1)
    assert torch.equal(pool.query(first, g), first)  # filling: the new images pass through
    later = pool.query(torch.full((64, 1, 1, 1), 9.0), g)
    assert (later != 9).any() and (later == 9).any() and len(pool.images) == 4
    clone = ImagePool(0)
    clone.load_state_dict(pool.state_dict())
    assert clone.size == 4 and torch.equal(clone.images, pool.images)


def test_cyclegan_step_trains_both_directions() -> None:
    torch.manual_seed(0)
    G, D = build_pair(CycleGANConfig(base_channels=4, blocks=1, d_base_channels=4))
    before = {k: v.clone() for k, v in G.state_dict().items()}
    opt_g, opt_d = torch.optim.Adam(G.parameters(), 1e-3), torch.optim.Adam(D.parameters(), 1e-3)
    record = as_floats(cycle_step(G, D, opt_g, opt_d, blobs(4), blobs(4, seed=1), (ImagePool(), ImagePool()),
                                  torch.Generator().manual_seed(0), step=1))
    assert {"cycle", "identity", "d_loss", "g_loss"} <= set(record) and record["cycle"] > 0
    after = G.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in after if k.startswith("a_to_b"))
    assert any(not torch.equal(before[k], after[k]) for k in after if k.startswith("b_to_a"))
    with pytest.raises(ValueError):
        G(blobs(1), "sideways")


def test_cyclegan_decoder_upsamples_by_resize_or_transposed_convolution() -> None:
    x = blobs(2)
    resize, _ = build_pair(CycleGANConfig(base_channels=4, blocks=1, d_base_channels=4, upsample="resize"))
    transposed, _ = build_pair(CycleGANConfig(base_channels=4, blocks=1, d_base_channels=4))
    assert resize(x).shape == transposed(x).shape == x.shape
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in resize.modules())
    assert sum(isinstance(m, torch.nn.ConvTranspose2d) for m in transposed.modules()) == 4  # 2 per translator
    assert config_from_dict({"kind": "cyclegan"}).upsample == "transposed"  # configs written before the option


def test_cyclegan_critic_judges_the_whole_image_or_18_pixel_patches() -> None:
    def seen_by_one_logit(config: CycleGANConfig) -> tuple[tuple[int, ...], int]:
        _, D = build_pair(config)
        x = blobs(1).requires_grad_(True)
        logits = D(x, "b")
        middle = logits.shape[-1] // 2
        logits[0, middle, middle].backward()
        rows = x.grad.abs().sum(dim=(0, 1, 3)).nonzero()
        return tuple(logits.shape), int(rows.max() - rows.min() + 1)

    small = {"base_channels": 4, "blocks": 1, "d_base_channels": 4}
    assert seen_by_one_logit(CycleGANConfig(**small)) == ((1, 4, 4), 31)
    assert seen_by_one_logit(CycleGANConfig(**small, d_downsamplings=2)) == ((1, 8, 8), 18)
    assert config_from_dict({"kind": "cyclegan"}).d_downsamplings == 3  # configs written before the option


@pytest.mark.parametrize("kind,patch", [("pix2pix", {"source": "photo"}), ("pix2pix", {"in_channels": 4}),
                                        ("pix2pix", {"in_channels": 3}),  # a sketch has one channel
                                        ("pix2pix", {"source": "sketch-vendor", "in_channels": 1}),
                                        ("pix2pix", {"l1_weight": -1}), ("cyclegan", {"cycle_weight": "10"}),
                                        ("cyclegan", {"blocks": 10**6}), ("cyclegan", {"image_size": 28}),
                                        ("cyclegan", {"upsample": "bilinear"}), ("cyclegan", {"upsample": 2}),
                                        ("cyclegan", {"d_downsamplings": 1}), ("cyclegan", {"d_downsamplings": 4}),
                                        ("cyclegan", {"d_downsamplings": True}),
                                        ("cyclegan", {"d_downsamplings": "2"})])
def test_hostile_configs_are_refused(kind: str, patch: dict) -> None:
    with pytest.raises(ValueError):
        config_from_dict({"kind": kind, **patch})


@pytest.mark.parametrize("kind", ["pix2pix", "cyclegan"])
def test_cli_resumes_exactly_evaluates_and_explore_refuses_it(tmp_path, kind: str) -> None:
    def run(name: str, steps: int, *extra: str):
        return main(["--model", kind, "--dataset", "fake", "--steps", str(steps), "--batch-size", "4",
                     "--base-channels", "4", "--blocks", "1", "--d-base-channels", "4", "--out", str(tmp_path / name),
                     "--work-dir", str(tmp_path / f"w-{name}"), "--no-progress", "--sample-every", "100", *extra])

    a = run("a", 3)
    run("r", 2)
    r = run("r", 3, "--resume")  # CycleGAN's image pools are restored too, or this would differ
    wa, wr = load_file(str(a / "model.safetensors")), load_file(str(r / "model.safetensors"))
    assert all(torch.equal(wa[k], wr[k]) for k in wa)
    model = registry.load_from_folder(a, model_id=f"test-{kind}-cli")
    report = translation_report(model, a)
    assert kind in report["methods"] and ("cycle_l1" in report) == (kind == "cyclegan")
    registry.register(model)
    with pytest.raises(ValueError, match="image-to-image"):
        render.load_model(model.id)


def test_translation_kinds_refuse_unpaired_data(tmp_path) -> None:
    with pytest.raises(SystemExit):
        main(["--model", "pix2pix", "--dataset", "digits", "--steps", "1", "--out", str(tmp_path / "x")])
