"""IC-GAN (gan_models.icgan) networks and their training pairs (training.instances)."""

from __future__ import annotations

import pytest
import torch

from gan_models.icgan import ICGANConfig, InstanceDiscriminator, InstanceGenerator
from training.instances import neighbour_pairs, principal_features


def tiny(**overrides) -> ICGANConfig:
    fields = {"latent_dim": 8, "feature_dim": 4, "num_instances": 12, "neighbours": 3, "base_channels": 4,
              "d_base_channels": 4, **overrides}
    return ICGANConfig(**fields).validate()


def filled(config: ICGANConfig, seed: int = 0) -> tuple[InstanceGenerator, InstanceDiscriminator]:
    g = torch.Generator().manual_seed(seed)
    features = torch.randn(config.num_instances, config.feature_dim, generator=g)
    weights = torch.rand(config.num_instances, generator=g)
    G, D = InstanceGenerator(config), InstanceDiscriminator(config)
    for network in (G, D):
        network.bank.set(features, weights)
    return G.eval(), D.eval()


@pytest.mark.parametrize("bad", [{"kind": "dcgan"}, {"neighbours": 13}, {"num_instances": 1},
                                 {"feature_dim": 0}, {"latent_dim": 10**6}, {"spectral_norm": "yes"}])
def test_bad_configs_are_refused(bad):
    with pytest.raises(ValueError):
        ICGANConfig.from_dict({**tiny().__dict__, **bad})


def test_a_config_has_no_classes_and_round_trips():
    config = tiny()
    assert config.num_classes == 0 and config.class_names == []
    assert ICGANConfig.from_dict(dict(config.__dict__)) == config


def test_generator_draws_one_image_per_latent_and_instance():
    G, D = filled(tiny())
    z, instances = torch.randn(5, 8), torch.tensor([0, 1, 2, 11, 0])
    images = G(z, instances)
    assert images.shape == (5, 1, 28, 28) and images.abs().max() <= 1
    assert torch.equal(images, G(z, instances))  # eval mode: a function of (z, instance)
    assert not torch.allclose(images[0], images[4])  # the same instance, another z
    assert D(images, instances).shape == (5,)


def test_the_instance_changes_the_image_and_blends_through_features():
    G, _ = filled(tiny())
    torch.nn.init.normal_(G.body.stem[0].weight, std=0.5)  # make the instance rows matter
    z = torch.randn(1, 8).repeat(2, 1)
    a, b = G(z, torch.tensor([3, 7]))
    assert not torch.allclose(a, b)
    ends = G.class_embedding(torch.tensor([3, 7]))
    assert torch.allclose(G.from_embedding(z[:1], ends[:1]), a[None], atol=1e-6)


@pytest.mark.parametrize("labels", [None, torch.tensor([0, 12]), torch.tensor([-1, 0]),
                                    torch.tensor([0.0, 1.0]), torch.tensor([0])])
def test_missing_or_bad_instances_are_refused(labels):
    G, D = filled(tiny())
    with pytest.raises(ValueError, match="instance"):
        G(torch.randn(2, 8), labels)
    with pytest.raises(ValueError, match="instance"):
        D(torch.zeros(2, 1, 28, 28), labels)


@pytest.mark.parametrize("features, weights", [
    (torch.randn(11, 4), None),  # one instance short
    (torch.full((12, 4), float("nan")), None),
    (torch.randn(12, 4), -torch.ones(12)),
    (torch.randn(12, 4), torch.zeros(12)),
])
def test_a_bad_bank_is_refused(features, weights):
    with pytest.raises(ValueError):
        InstanceGenerator(tiny()).bank.set(features, weights)


def test_the_bank_travels_with_the_weights(tmp_path):
    G, D = filled(tiny())
    G.save_pretrained(tmp_path / "g")
    loaded = InstanceGenerator.from_pretrained(tmp_path / "g").eval()
    assert torch.equal(loaded.bank.features, G.bank.features) and torch.equal(loaded.bank.weights, G.bank.weights)
    assert torch.allclose(loaded.bank.features.norm(dim=1), torch.ones(12))
    z, instances = torch.randn(3, 8), torch.tensor([1, 5, 9])
    assert torch.equal(loaded(z, instances), G(z, instances))


def test_instances_are_drawn_with_the_bank_weights():
    config = tiny()
    G = InstanceGenerator(config)
    weights = torch.zeros(12)
    weights[[2, 5]] = torch.tensor([1.0, 3.0])
    G.bank.set(torch.randn(12, 4), weights)
    drawn = G.draw_instances(4000, torch.Generator().manual_seed(0))
    assert set(drawn.tolist()) == {2, 5}
    assert abs(float((drawn == 5).float().mean()) - 0.75) < 0.03


def test_principal_features_are_unit_norm_and_deterministic():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 10, generator=g) * torch.tensor([5.0, 3.0] + [0.1] * 8)
    f = principal_features(x, 2)
    assert f.shape == (200, 2) and torch.allclose(f.norm(dim=1), torch.ones(200), atol=1e-5)
    assert torch.equal(f, principal_features(x, 2))
    # the first component is the widest axis (x's first coordinate), up to a sign fixed the same way each time
    assert abs(torch.corrcoef(torch.stack([f[:, 0] * x[:, :2].norm(dim=1), x[:, 0]]))[0, 1]) > 0.9
    with pytest.raises(ValueError):
        principal_features(x, 11)


def hub_features() -> torch.Tensor:
    """Image 0 (the hub) is the mean direction of 39 orthogonal images: every image's nearest other image."""
    points = torch.cat([torch.ones(1, 39), torch.eye(39)])
    return torch.nn.functional.normalize(points, dim=1)


def test_pairs_hold_each_instance_and_its_nearest_images():
    features = hub_features()
    pairs = neighbour_pairs(features, 2)
    assert len(pairs.instance) == 40 * 2
    first = pairs.image.view(40, 2)[:, 0]
    assert torch.equal(first, torch.arange(40))  # each instance is its own nearest image
    similarity = features @ features.T
    for i, j in zip(pairs.instance.tolist(), pairs.image.tolist(), strict=True):
        assert similarity[i, j] >= similarity[i].sort(descending=True).values[1] - 1e-6


def test_pairs_draw_images_uniformly_even_with_a_hub():
    pairs = neighbour_pairs(hub_features(), 2)
    holders = torch.bincount(pairs.image, minlength=40)
    assert holders[0] == 40  # image 0 is a hub: most neighbourhoods hold it
    g = torch.Generator().manual_seed(0)
    instances, images = pairs.draw(40_000, g)
    share = torch.bincount(images, minlength=40).float() / 40_000
    assert (share - 1 / 40).abs().max() < 0.006  # uniform over images, the hub included
    naive = pairs.image.view(40, 2)[torch.randint(0, 40, (40_000,), generator=g),
                                    torch.randint(0, 2, (40_000,), generator=g)]
    assert float((naive == 0).float().mean()) > 0.45  # uniform instances draw the hub half the time
    drawn = torch.bincount(instances, minlength=40).float() / 40_000
    assert (drawn - pairs.instance_weights()).abs().max() < 0.006
    assert abs(float(pairs.instance_weights().sum()) - 1) < 1e-5


def test_the_cli_trains_an_icgan_whose_folder_loads_and_evaluates(tmp_path):
    from gan_models.registry import load_from_folder
    from training.data import load_dataset, to_float
    from training.evaluate import generate
    from training.train import main

    out = main(["--model", "icgan", "--dataset", "fake", "--steps", "2", "--out", str(tmp_path / "ic"),
                "--work-dir", str(tmp_path / "w"), "--base-channels", "4", "--d-base-channels", "4",
                "--latent-dim", "8", "--feature-dim", "6", "--neighbours", "5", "--spectral-norm", "--ema", "0.9",
                "--no-progress"])
    model = load_from_folder(out)
    assert model.kind == "icgan" and model.class_names == [] and model.discriminator is not None
    train = load_dataset("fake", "train")
    expected = principal_features(to_float(train.images).flatten(1), 6)
    assert torch.allclose(model.generator.bank.features, expected, atol=1e-5)  # pixels' components, unit norm
    assert torch.equal(model.discriminator.bank.features, model.generator.bank.features)
    assert torch.allclose(model.generator.bank.weights, neighbour_pairs(expected, 5).instance_weights())
    images, labels = generate(model, 20, seed=0)
    assert images.shape == (20, 1, 28, 28) and labels is None  # instances are drawn inside, not returned as classes

    from gan_models import render

    with pytest.raises(ValueError, match="IC-GAN.*cannot choose"):  # until Explore can pick an instance
        render.load_model(model)


def test_instance_options_are_checked_where_they_enter(tmp_path, capsys):
    from training.train import main

    with pytest.raises(SystemExit):
        main(["--model", "dcgan", "--dry-run", "--instance-features", "pixels"])
    assert "--instance-features is for icgan" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="--instance-features"):
        main(["--model", "icgan", "--dry-run", "--out", str(tmp_path / "x"), "--instance-features",
              str(tmp_path / "no-such-folder")])
    with pytest.raises(SystemExit, match="neighbours must not exceed num_instances"):
        main(["--model", "icgan", "--dry-run", "--out", str(tmp_path / "y"), "--neighbours", "500"])


def test_features_can_come_from_a_label_free_discriminator(tmp_path):
    from gan_models.registry import load_from_folder
    from training.data import load_dataset, to_float
    from training.instances import encode
    from training.train import main

    tiny_d = ["--dataset", "fake", "--steps", "1", "--base-channels", "4", "--d-base-channels", "4",
              "--latent-dim", "8", "--no-progress"]
    encoder = main(["--model", "dcgan", "--out", str(tmp_path / "enc"), "--work-dir", str(tmp_path / "w1"), *tiny_d])
    out = main(["--model", "icgan", "--out", str(tmp_path / "ic"), "--work-dir", str(tmp_path / "w2"),
                "--instance-features", str(encoder), "--feature-dim", "6", "--neighbours", "5", *tiny_d])
    images = to_float(load_dataset("fake", "train").images)
    trunk = load_from_folder(encoder).discriminator.body.eval()
    with torch.no_grad():
        expected = principal_features(trunk(images), 6)
    assert torch.allclose(load_from_folder(out).generator.bank.features, expected, atol=1e-5)
    assert not torch.allclose(expected, principal_features(images.flatten(1), 6), atol=1e-2)
    with pytest.raises(ValueError, match="no discriminator trunk"):
        encode(torch.zeros(2, 3, 32, 32), str(encoder))  # another image shape
