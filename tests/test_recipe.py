"""The small-data recipe: DiffAugment, EMA, hinge loss and spectral norm, and the CLI with all of them."""

from __future__ import annotations

import pytest
import torch

from gan_models.conditional import ConditionalDiscriminator, ConditionalGenerator
from gan_models.dcgan import DCGANConfig, DCGANDiscriminator
from gan_models.registry import load_from_folder
from tests.test_train_cli import TINY, assert_weight_option_refused, weights
from training.augment import DiffAugment, cutout, translation
from training.checkpoint import init_weights
from training.loop import Recipe, make_ema, mode_seeking_loss, top_k_fakes, train_step
from training.losses import d_hinge, g_hinge
from training.train import main


def test_diffaugment_keeps_shape_is_differentiable_and_seeded() -> None:
    x = torch.rand(6, 3, 32, 32) * 2 - 1
    x.requires_grad_(True)
    aug = DiffAugment("color,translation,cutout", torch.Generator().manual_seed(0))
    y = aug(x)
    assert y.shape == x.shape and y.dtype == x.dtype and torch.isfinite(y).all()
    y.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0  # gradients reach the input (and so G)
    again = DiffAugment("color,translation,cutout", torch.Generator().manual_seed(0))(x.detach())
    torch.testing.assert_close(again, y.detach(), rtol=0, atol=0)
    assert not torch.equal(y.detach(), x.detach())


def test_translation_and_cutout_only_move_or_zero_pixels() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.arange(1, 2 * 32 * 32 + 1, dtype=torch.float32).view(2, 1, 32, 32)
    for op in (translation, cutout):
        y = op(x, g)
        values = set(y.unique().tolist())
        assert values <= set(x.unique().tolist()) | {0.0}  # no new values: pixels are moved or blanked
    blanked = (cutout(x.repeat(32, 1, 1, 1), torch.Generator().manual_seed(2)) == 0).flatten(1).sum(1)
    # one half-size square per image, clipped where its centre falls near the border (as in the paper's code)
    assert (blanked <= 16 * 16).all() and (blanked >= 8 * 8).all() and (blanked == 16 * 16).any()
    shifted = translation(torch.ones(64, 1, 32, 32), torch.Generator().manual_seed(3))
    assert (shifted == 0).any() and (shifted.flatten(1).sum(1) >= 28 * 28).all()  # at most 4 px off each way


def test_unknown_policy_and_bad_recipes_are_refused() -> None:
    with pytest.raises(ValueError, match="rotate"):
        DiffAugment("color,rotate")
    with pytest.raises(ValueError, match="loss"):
        Recipe(loss="wasserstein").validate()
    for bad in (1.0, -0.1, True, "0.9"):
        with pytest.raises(ValueError, match="ema"):
            Recipe(ema=bad).validate()


def test_ema_update_is_exact() -> None:
    lin = torch.nn.Linear(3, 2)
    ema = make_ema(lin, 0.9)
    first = [p.detach().clone() for p in lin.parameters()]
    ema.update_parameters(lin)  # the first update copies
    with torch.no_grad():
        for p in lin.parameters():
            p.add_(1.0)
    ema.update_parameters(lin)
    for avg, old, new in zip(ema.module.parameters(), first, lin.parameters(), strict=True):
        torch.testing.assert_close(avg, 0.9 * old + 0.1 * new.detach())
    assert make_ema(lin, 0.0) is None


def test_hinge_losses() -> None:
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0])
    assert float(d_hinge(real, fake)) == pytest.approx((0 + 0.5) / 2 + (0 + 1) / 2)
    assert float(g_hinge(fake)) == pytest.approx(1.0)


def test_spectral_norm_discriminator_has_unit_norm_layers_and_no_batchnorm() -> None:
    c = DCGANConfig(channels=3, image_size=32, d_base_channels=8, spectral_norm=True).validate()
    D = DCGANDiscriminator(c)
    D.apply(init_weights)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules())
    D.train()
    for _ in range(30):  # power iterations converge during training forwards
        D(torch.randn(4, 3, 32, 32))
    conv = D.body.net[2]
    sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2)
    assert float(sigma) == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError, match="spectral_norm"):
        DCGANConfig(spectral_norm="yes").validate()


def test_recipe_step_trains_on_fake_data() -> None:
    torch.manual_seed(0)
    c = DCGANConfig(latent_dim=8, channels=3, image_size=32, base_channels=8, d_base_channels=8, num_classes=3,
                    class_names=["a", "b", "c"], embed_dim=4, spectral_norm=True).validate()
    G, D = ConditionalGenerator(c), ConditionalDiscriminator(c)
    opt_g, opt_d = torch.optim.Adam(G.parameters(), 1e-4), torch.optim.Adam(D.parameters(), 2e-3)
    recipe = Recipe("hinge", "color,translation,cutout", 0.99, True).validate()
    ema, aug = make_ema(G, recipe.ema), DiffAugment(recipe.diffaugment, torch.Generator().manual_seed(0))
    real, labels = torch.rand(16, 3, 32, 32) * 2 - 1, torch.randint(0, 3, (16,))
    records = [train_step(G, D, opt_g, opt_d, real, torch.randn(16, 8), labels, s, recipe, aug, ema)
               for s in range(20)]
    assert all(torch.isfinite(torch.tensor([r["d_loss"], r["g_loss"]])).all() for r in records)
    first, last = (sum(r["d_loss"] for r in part) / 4 for part in (records[:4], records[-4:]))
    assert last < first - 0.1  # D learns to tell these fixed reals from fakes
    assert not torch.equal(ema.module.body.stem[0].weight, G.body.stem[0].weight)  # the average lags G


def test_cli_with_the_whole_recipe_resumes_exactly_and_ships_the_average(tmp_path) -> None:
    recipe = ["--model", "cdcgan", "--loss", "hinge", "--spectral-norm", "--diffaugment",
              "color,translation,cutout", "--ema", "0.9"]

    def run(name: str, steps: int, *extra: str):
        return main([*recipe, "--steps", str(steps), "--out", str(tmp_path / name),
                     "--work-dir", str(tmp_path / f"w-{name}"), *TINY, *extra])

    a = weights(run("a", 3))
    run("r", 2)
    r = weights(run("r", 3, "--resume"))
    assert all((a[k] == r[k]).all() for k in a)  # EMA and augmentations resume exactly too
    m = load_from_folder(tmp_path / "a")  # the SN discriminator loads back strictly
    assert m.config.spectral_norm and m.discriminator is not None
    state = torch.load(tmp_path / "w-a" / "state.pt", weights_only=True)
    ema_g = {k.removeprefix("module."): v for k, v in state["ema"].items() if k.startswith("module.")}
    shipped = {k: v for k, v in m.generator.state_dict().items() if "running" not in k and "num_batches" not in k}
    assert all(torch.equal(shipped[k], ema_g[k]) for k in shipped)  # the EMA generator is what ships
    assert any(not torch.equal(shipped[k], state["G"][k]) for k in shipped)
    card = (tmp_path / "a" / "README.md").read_text()
    assert "hinge loss" in card and "DiffAugment" in card and "EMA" in card


def test_mode_seeking_loss_pairs_fakes_of_one_class() -> None:
    z = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
    fake = torch.tensor([0.0, 2.0, 1.0, 6.0]).view(4, 1, 1, 1)
    labels = torch.tensor([1, 0, 1, 0])
    # pairs (0, 2) of class 1 and (1, 3) of class 0: image gaps 1 and 4, latent gaps 3 and 6
    assert float(mode_seeking_loss(fake, z, labels, eps=0)) == pytest.approx(4.5 / 2.5)
    # without labels, neighbours in the batch: image gaps 2, 1, 5, latent gaps 1, 2, 4
    assert float(mode_seeking_loss(fake, z, None, eps=0)) == pytest.approx((7 / 3) / (8 / 3))
    assert float(mode_seeking_loss(fake, z, torch.arange(4))) == 0  # no two fakes share a class
    assert float(mode_seeking_loss(torch.zeros(4, 1, 1, 1), z, labels)) == pytest.approx(1e5)  # one image for all z


def test_mode_seeking_spreads_the_fakes_of_a_class() -> None:
    c = DCGANConfig(latent_dim=8, channels=1, image_size=28, base_channels=4, d_base_channels=4, num_classes=2,
                    class_names=["a", "b"], embed_dim=4, spectral_norm=True).validate()
    real = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    labels = torch.arange(16) % 2
    z_eval = torch.randn(64, 8, generator=torch.Generator().manual_seed(9))

    def spread(weight: float) -> float:
        torch.manual_seed(0)
        G, D = ConditionalGenerator(c).apply(init_weights), ConditionalDiscriminator(c).apply(init_weights)
        opt_g, opt_d = torch.optim.Adam(G.parameters(), 2e-3), torch.optim.Adam(D.parameters(), 2e-3)
        recipe = Recipe("hinge", mode_seeking=weight).validate()
        g = torch.Generator().manual_seed(1)
        for s in range(30):
            record = train_step(G, D, opt_g, opt_d, real, torch.randn(16, 8, generator=g), labels, s, recipe)
        assert ("mode_seeking" in record) == bool(weight)
        with torch.no_grad():
            fake = G.eval()(z_eval, torch.zeros(64, dtype=torch.long))
        return float(torch.pdist(fake.flatten(1)).mean())

    plain, seeking = spread(0.0), spread(1.0)
    assert seeking > 1.5 * plain, (plain, seeking)


def test_mode_seeking_is_refused_where_it_means_nothing(tmp_path, capsys) -> None:
    main(["--model", "cdcgan", "--mode-seeking", "1", "--steps", "2", "--out", str(tmp_path / "m"),
          "--work-dir", str(tmp_path / "w"), *TINY])
    assert "mode seeking (weight 1.0)" in (tmp_path / "m" / "README.md").read_text()
    assert_weight_option_refused(capsys, "--mode-seeking", "mode seeking", ("vae", "srgan", "pix2pix"),
                                 "--mode-seeking is for generators of z")


def test_top_k_keeps_the_fakes_d_rates_most_real_and_only_they_teach_g() -> None:
    logits = torch.tensor([0.5, -2.0, 3.0, 1.0, -1.0, 2.0])
    torch.testing.assert_close(top_k_fakes(logits, 0.5), torch.tensor([3.0, 2.0, 1.0]))
    assert top_k_fakes(logits, 1.0) is logits
    assert len(top_k_fakes(logits, 0.01)) == 1
    patches = torch.tensor([[[1.0, 1.0]], [[5.0, -5.0]], [[2.0, 2.0]]])  # per-image means 1, 0, 2
    torch.testing.assert_close(top_k_fakes(patches, 0.34), patches[[2]])
    torch.testing.assert_close(top_k_fakes(patches, 0.67), patches[[2, 0]])

    fake = torch.randn(8, 4, requires_grad=True)
    scores = fake.sum(1)  # a stand-in for D: the rows with the largest sums are "most real"
    g_hinge(top_k_fakes(scores, 0.25)).backward()
    taught = fake.grad.abs().sum(1) > 0
    assert taught.tolist() == (scores >= scores.topk(2).values[-1]).tolist()


def test_top_k_is_validated_and_refused_where_train_step_does_not_run(tmp_path, capsys) -> None:
    main(["--model", "dcgan", "--top-k", "0.5", "--steps", "2", "--out", str(tmp_path / "m"),
          "--work-dir", str(tmp_path / "w"), *TINY])
    assert "top-k: G learns from the 50% of fakes D rates most real" in (tmp_path / "m" / "README.md").read_text()
    for bad in (True, 0, 0.0, -0.5, 1.5, float("nan"), "0.5"):
        with pytest.raises(ValueError, match="top k"):
            Recipe(top_k=bad).validate()
    for kind in ("vae", "lapgan", "srgan"):
        with pytest.raises(SystemExit):
            main(["--dry-run", "--model", kind, "--top-k", "0.5"])
        assert "--top-k is for generators of z" in capsys.readouterr().err
