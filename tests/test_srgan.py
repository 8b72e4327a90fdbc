"""SRResNet / SRGAN (gan_models/srgan.py): shapes, the bicubic start, training, evaluation, CLI and registry."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from gan_models import registry, render
from gan_models.kinds import build_pair, config_from_dict
from gan_models.srgan import SRConfig, SRDiscriminator, SRResNet, bicubic, downscale
from training.evaluate import image_scores, superres_report
from training.loop import as_floats, superres_step
from training.train import main


def tiny(kind: str = "srresnet") -> tuple[SRResNet, SRDiscriminator | None]:
    torch.manual_seed(0)
    return build_pair(SRConfig(kind=kind, base_channels=8, blocks=2, d_base_channels=8,
                               adversarial_weight=0.0 if kind == "srresnet" else 0.01))


def smooth_images(n: int, seed: int = 0) -> torch.Tensor:
    x = torch.rand(n, 3, 8, 8, generator=torch.Generator().manual_seed(seed))
    return torch.nn.functional.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False) * 2 - 1


def test_an_untrained_network_is_bicubic_and_inputs_are_checked() -> None:
    G, D = tiny()
    assert D is None
    low = torch.rand(2, 3, 8, 8) * 2 - 1
    torch.testing.assert_close(G(low), bicubic(low, 32))  # the detail branch starts at zero
    for bad in (torch.rand(2, 3, 16, 16), torch.rand(2, 1, 8, 8), torch.rand(3, 8, 8)):
        with pytest.raises(ValueError, match="shape"):
            G(bad)


def test_l1_training_beats_bicubic_and_the_adversarial_kind_trains_its_d() -> None:
    G, _ = tiny()
    opt = torch.optim.Adam(G.parameters(), 3e-3)
    real = smooth_images(32)
    start = image_scores(bicubic(downscale(real), 32), real)
    for s in range(60):
        superres_step(G, None, opt, None, real, step=s)
    with torch.no_grad():
        trained = image_scores(G(downscale(real)), real)
    assert trained["l1"] < start["l1"] and trained["psnr"] > start["psnr"]

    G2, D2 = tiny("srgan")
    opt_g, opt_d = torch.optim.Adam(G2.parameters(), 1e-3), torch.optim.Adam(D2.parameters(), 1e-3)
    record = as_floats(superres_step(G2, D2, opt_g, opt_d, real[:8], step=1))
    assert {"d_loss", "d_real", "d_fake", "l1", "g_loss"} <= set(record) and record["g_loss"] != record["l1"]


def test_image_scores_of_identical_images_are_perfect() -> None:
    x = smooth_images(4)
    scores = image_scores(x, x)
    assert scores["l1"] == 0 and scores["ssim"] == pytest.approx(1.0) and scores["psnr"] > 60


@pytest.mark.parametrize("patch", [{"kind": "srgan", "adversarial_weight": 0}, {"scale": 2}, {"image_size": 28},
                                   {"blocks": 10**6}, {"kind": "srgan", "adversarial_weight": True},
                                   {"kind": "srgan", "adversarial_weight": float("nan")}])
def test_hostile_configs_are_refused(patch: dict) -> None:
    with pytest.raises(ValueError):
        config_from_dict({"kind": "srresnet", **patch})


def test_srresnet_never_has_an_adversarial_term() -> None:
    assert config_from_dict({"kind": "srresnet", "adversarial_weight": 0.5}).adversarial_weight == 0


@pytest.mark.parametrize("kind", ["srresnet", "srgan"])
def test_cli_resumes_exactly_evaluates_and_explore_refuses_it(tmp_path, kind: str) -> None:
    def run(name: str, steps: int, *extra: str):
        return main(["--model", kind, "--dataset", "fake", "--steps", str(steps), "--batch-size", "8",
                     "--base-channels", "8", "--blocks", "1", "--d-base-channels", "8", "--out", str(tmp_path / name),
                     "--work-dir", str(tmp_path / f"w-{name}"), "--no-progress", "--sample-every", "100", *extra])

    a = run("a", 3)
    run("r", 2)
    r = run("r", 3, "--resume")
    wa, wr = load_file(str(a / "model.safetensors")), load_file(str(r / "model.safetensors"))
    assert all(torch.equal(wa[k], wr[k]) for k in wa)
    assert (a / "discriminator").exists() == (kind == "srgan")
    model = registry.load_from_folder(a, model_id=f"test-{kind}-cli")
    report = superres_report(model, a)
    assert set(report["methods"]) == {"bicubic", kind} and report["n_test"] > 0
    registry.register(model)
    with pytest.raises(ValueError, match="super-resolution"):
        render.load_model(model.id)
