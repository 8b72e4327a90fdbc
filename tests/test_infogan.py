"""InfoGAN (gan_models/infogan.py): codes in the explorer's places, the Q head, the information term, CLI."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from gan_models import registry
from gan_models.infogan import InfoGANConfig, InfoGANDiscriminator, InfoGANGenerator
from gan_models.kinds import build_pair, config_from_dict
from training.checkpoint import make_optimizers
from training.loop import as_floats, mutual_information_loss, train_step
from training.train import main


def tiny() -> tuple[InfoGANGenerator, InfoGANDiscriminator]:
    torch.manual_seed(0)
    return build_pair(InfoGANConfig(latent_dim=6, n_continuous=2, num_classes=3, base_channels=4,
                                    d_base_channels=4).validate())


def test_codes_are_the_labels_and_the_first_latent_dims() -> None:
    G, D = tiny()
    assert G.config.class_names == ["code 0", "code 1", "code 2"]  # learned, not the data's classes
    G.eval()
    z = torch.zeros(3, 6)
    x = G(z, torch.tensor([0, 1, 2]))
    assert x.shape == (3, 1, 28, 28)
    assert not torch.equal(x[0], x[1])  # the categorical code changes the image
    moved = z.clone()
    moved[:, 0] = 2.0  # the first continuous code is z's first dimension
    assert not torch.equal(G(moved, torch.tensor([0, 1, 2])), x)
    cat, cont = D.q(x)
    assert cat.shape == (3, 3) and cont.shape == (3, 2) and D(x, torch.tensor([0, 1, 2])).shape == (3,)
    with pytest.raises(ValueError, match="categorical code"):
        G(z)


def test_information_term_falls_when_trained() -> None:
    G, D = tiny()
    opt_g, opt_d = make_optimizers(G, D, 1e-3, 1e-3)
    opt_q = torch.optim.Adam(D.q_head.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    real = torch.rand(16, 1, 28, 28) * 2 - 1
    infos = []
    for s in range(40):
        z, codes = torch.randn(16, 6, generator=g), torch.randint(0, 3, (16,), generator=g)
        infos.append(as_floats(train_step(G, D, opt_g, opt_d, real, z, codes, s, opt_q=opt_q))["info"])
    assert sum(infos[-5:]) / 5 < 0.7 * sum(infos[:5]) / 5
    with torch.no_grad():
        z, codes = torch.randn(8, 6), torch.randint(0, 3, (8,))
        assert float(mutual_information_loss(D, G(z, codes), z, codes)) >= 0


@pytest.mark.parametrize("patch", [{"n_continuous": 6, "latent_dim": 6}, {"num_classes": 1}, {"info_weight": -1},
                                   {"code_names": ["tilt"]}, {"class_names": ["a"]}])
def test_hostile_configs_are_refused(patch: dict) -> None:
    with pytest.raises(ValueError):
        config_from_dict({"kind": "infogan", "latent_dim": 8, **patch})


def test_cli_resumes_exactly_with_the_q_head(tmp_path) -> None:
    def run(name: str, steps: int, *extra: str):
        return main(["--model", "infogan", "--dataset", "fake", "--steps", str(steps), "--latent-dim", "6",
                     "--codes", "4", "--base-channels", "4", "--d-base-channels", "4", "--batch-size", "8",
                     "--out", str(tmp_path / name), "--work-dir", str(tmp_path / f"w-{name}"), "--no-progress",
                     "--sample-every", "100", *extra])

    a = run("a", 3)
    run("r", 2)
    r = run("r", 3, "--resume")
    for sub in ("model.safetensors", "discriminator/model.safetensors"):
        wa, wr = load_file(str(a / sub)), load_file(str(r / sub))
        assert all(torch.equal(wa[k], wr[k]) for k in wa)
    model = registry.load_from_folder(a)
    assert model.kind == "infogan" and model.config.num_classes == 4 and model.class_names[0] == "code 0"


def test_explore_puts_the_codes_first_with_their_names(tmp_path) -> None:
    from gan_models import dimensions, render

    G, D = tiny()
    G.config.code_names = ["tilt", "width"]
    G.save_pretrained(tmp_path / "m")
    registry.register(registry.load_from_folder(tmp_path / "m", model_id="tiny-infogan-explore"))
    dims = dimensions.default_dims("tiny-infogan-explore", 5, "code 1", k=4)
    assert dims[:2] == [0, 1] and len(set(dims)) == 4
    model = render.load_model("tiny-infogan-explore")
    assert dimensions.dim_label(model, 0) == "z[0] · tilt" and dimensions.dim_label(model, 3) == "z[3]"
    assert render.model_spec(model)["classes"] == ["code 0", "code 1", "code 2"]


def test_shipped_infogan_digits_codes_mean_something() -> None:
    from gan_models import dimensions
    from training.code_eval import code_report

    model = registry.load("infogan-digits")
    report = code_report(model, n=300)
    assert report["categorical_recovery"] >= 0.9  # Q reads back the code G was given (100% when shipped)
    tilt = report["continuous"][1]["monotonicity"]["tilt"]
    assert tilt > 0.7  # z[1]'s traversal turns the digit monotonically (0.88 when shipped)
    assert dimensions.dim_label(model, 1) == "z[1] · tilt"
    assert dimensions.default_dims("infogan-digits", 0, "code 3")[:2] == [0, 1]


def test_shipped_infogan_emoji_codes_recolour_the_drawing() -> None:
    from gan_models import dimensions
    from training.code_eval import code_report

    model = registry.load("infogan-emoji")
    report = code_report(model, n=300)
    assert report["categorical_recovery"] >= 0.9
    z0, z1 = (c["monotonicity"] for c in report["continuous"])
    assert z0["yellowness"] < -0.7  # z[0] from yellow smiley to skin tone (-0.82 when shipped)
    assert z1["greenness"] > 0.6  # z[1] from red to green (+0.77 when shipped)
    assert dimensions.dim_label(model, 0) == "z[0] · yellow -> skin tone"
