"""The LAPGAN family (gan_models/lapgan.py): the pyramid, stages, determinism, training, CLI resume, registry."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from gan_models import registry, render
from gan_models.kinds import build_pair, config_from_dict
from gan_models.lapgan import SIZES, LAPGANConfig, LAPGANDiscriminator, LAPGANGenerator, pyramid, upsample
from training.loop import Recipe, as_floats, lapgan_step
from training.train import main


def tiny_config(**kw) -> LAPGANConfig:
    return LAPGANConfig(coarse_dim=4, detail_dim=3, coarse_channels=8, detail_channels=8, d_base_channels=8,
                        embed_dim=4, num_classes=2, class_names=["a", "b"], **kw)


def tiny() -> tuple[LAPGANGenerator, LAPGANDiscriminator]:
    torch.manual_seed(0)
    G, D = build_pair(tiny_config())
    return G, D


def test_pyramid_levels_and_stages_add_up() -> None:
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    levels = pyramid(x)
    assert [lv.shape[-1] for lv in levels] == list(SIZES) and levels[-1] is x
    torch.testing.assert_close(levels[0].mean(), x.mean())  # averaging keeps the mean
    G, _ = tiny()
    G.eval()
    z = torch.randn(2, G.config.latent_dim, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([0, 1])
    stages = G.stages(z, labels)
    assert [s.size for s in stages] == list(SIZES) and stages[0].given is None and stages[0].residual is None
    for prev, s in zip(stages, stages[1:], strict=False):
        torch.testing.assert_close(s.given, upsample(prev.output))
        torch.testing.assert_close(s.output, s.given + s.residual)
    image = G(z, labels)
    assert image.shape == (2, 3, 32, 32) and image.abs().max() <= 1
    assert torch.equal(image, G(z, labels))  # deterministic for a z


def test_each_level_reads_only_its_own_noise() -> None:
    G, _ = tiny()
    G.eval()
    z = torch.randn(1, G.config.latent_dim, generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([1])
    fine = z.clone()
    fine[:, -G.config.detail_dim:] += 3.0  # the finest level's block only
    a, b = G.stages(z, labels), G.stages(fine, labels)
    assert torch.equal(a[0].output, b[0].output) and torch.equal(a[1].output, b[1].output)
    assert not torch.equal(a[2].output, b[2].output)
    assert G.latent_weight().shape[1] == G.config.latent_dim == sum(G.config.noise_dims)


def test_training_step_moves_every_level_and_d_judges_a_finished_image() -> None:
    G, D = tiny()
    before = {k: v.clone() for k, v in G.state_dict().items()}
    opt_g, opt_d = torch.optim.Adam(G.parameters(), 1e-3), torch.optim.Adam(D.parameters(), 1e-3)
    real = torch.rand(4, 3, 32, 32) * 2 - 1
    z = torch.randn(4, G.config.latent_dim)
    record = as_floats(lapgan_step(G, D, opt_g, opt_d, real, z, torch.tensor([0, 1, 0, 1]), step=1))
    assert set(record) == {"step", "d_loss", "g_loss", "d_real", "d_fake"}
    after = G.state_dict()
    for part in ("coarse.first.weight", "details.0.net.0.weight", "details.1.net.0.weight"):
        assert not torch.equal(before[part], after[part]), part
    assert D(real, torch.tensor([0, 1, 0, 1])).shape == (4,)


def test_the_discriminator_learns_to_tell_residuals_apart() -> None:
    G, D = tiny()
    opt_g, opt_d = torch.optim.Adam(G.parameters(), 2e-3), torch.optim.Adam(D.parameters(), 2e-3)
    real = torch.rand(16, 3, 32, 32, generator=torch.Generator().manual_seed(2)) * 2 - 1
    labels = torch.arange(16) % 2
    g = torch.Generator().manual_seed(3)
    losses = [as_floats(lapgan_step(G, D, opt_g, opt_d, real, torch.randn(16, G.config.latent_dim, generator=g),
                                    labels, step=s))["d_loss"] for s in range(30)]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5

def test_mode_seeking_spreads_the_coarse_level_of_a_class() -> None:
    real = torch.rand(16, 3, 32, 32, generator=torch.Generator().manual_seed(2)) * 2 - 1
    labels = torch.arange(16) % 2
    z_eval = torch.randn(64, tiny_config().latent_dim, generator=torch.Generator().manual_seed(9))

    def spread(weight: float) -> float:
        G, D = tiny()
        opt_g, opt_d = torch.optim.Adam(G.parameters(), 2e-3), torch.optim.Adam(D.parameters(), 2e-3)
        recipe = Recipe("hinge", mode_seeking=weight).validate()
        g = torch.Generator().manual_seed(3)
        for s in range(30):
            record = lapgan_step(G, D, opt_g, opt_d, real, torch.randn(16, G.config.latent_dim, generator=g),
                                 labels, step=s, recipe=recipe)
        assert ("mode_seeking" in record) == bool(weight)
        with torch.no_grad():
            coarse = G.eval().stages(z_eval, torch.zeros(64, dtype=torch.long))[0].output
        return float(torch.pdist(coarse.flatten(1)).mean())

    plain, seeking = spread(0.0), spread(1.0)
    assert seeking > 1.5 * plain, (plain, seeking)



@pytest.mark.parametrize("patch", [{"image_size": 28}, {"channels": 1}, {"num_classes": 0, "class_names": []},
                                   {"coarse_dim": 10**6}, {"class_names": ["a"]}, {"detail_dim": True}])
def test_hostile_configs_are_refused(patch: dict) -> None:
    with pytest.raises(ValueError):
        config_from_dict({"kind": "lapgan", "num_classes": 2, "class_names": ["a", "b"], **patch})


def test_cli_resumes_exactly_and_explore_renders_it(tmp_path) -> None:
    def run(name: str, steps: int, *extra: str):
        return main(["--model", "lapgan", "--dataset", "fake", "--steps", str(steps), "--batch-size", "8",
                     "--d-base-channels", "8", "--out", str(tmp_path / name), "--work-dir",
                     str(tmp_path / f"w-{name}"), "--no-progress", "--sample-every", "100", *extra])

    a = run("a", 3)
    run("r", 2)
    r = run("r", 3, "--resume")
    wa, wr = load_file(str(a / "model.safetensors")), load_file(str(r / "model.safetensors"))
    assert all(torch.equal(wa[k], wr[k]) for k in wa)
    model = registry.load_from_folder(a, model_id="test-lapgan-cli")
    assert model.kind == "lapgan" and model.discriminator is not None
    assert "LAPGAN" in (a / "README.md").read_text()
    registry.register(model)
    image, info = render.generate(model.id, seed=3, label=model.class_names[1], truncation=1.0, edits={}, n=4)
    assert image.ndim == 3 and image.shape[-1] == 3 and len(info.d_prob) == 4


def test_diffaugment_is_refused_for_lapgan(tmp_path) -> None:
    with pytest.raises(SystemExit):
        main(["--model", "lapgan", "--dry-run", "--diffaugment", "color", "--out", str(tmp_path / "x")])
