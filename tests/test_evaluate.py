"""Evaluation: the Frechet distance formula, and the full evaluate() path on a tiny model and fake data."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from gan_models.conditional import ConditionalGenerator
from gan_models.dcgan import DCGANConfig
from training.classifier import SmallClassifier, agreement
from training.evaluate import (
    expected_shares,
    frechet_distance,
    main,
    rarest_class,
    real_at_class_mix,
    spread,
)


def test_frechet_distance_matches_closed_forms() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    # same covariance, mean shifted by (2, 0, 0): distance = |shift|^2 = 4 (plus sampling noise)
    assert frechet_distance(a, a + np.array([2.0, 0, 0])) == pytest.approx(4.0, abs=1e-6)
    # N(0, I) vs N(0, 4I) in 3-d: tr(I + 4I - 2*2I) = 3
    b = rng.standard_normal((4000, 3)) * 2
    assert frechet_distance(a, b) == pytest.approx(3.0, rel=0.1)


def test_real_images_drawn_in_a_generated_class_mix() -> None:
    labels = torch.tensor([0] * 500 + [1] * 300 + [2] * 200)
    pick = real_at_class_mix(labels, torch.tensor([0.5, 0.5, 0.0]))
    # class 1 has 300 images for half the set: 600 in all, 300 of each, none twice, none of class 2
    assert len(pick) == 600 and len(set(pick.tolist())) == 600
    assert torch.bincount(labels[pick], minlength=3).tolist() == [300, 300, 0]
    assert len(real_at_class_mix(labels, torch.tensor([0.5, 0.3, 0.2]))) == 1000  # the data's own mix: all of it


def test_rarest_class_is_measured_against_the_data_share() -> None:
    from training.image_data import ImageData

    train = ImageData("fake", torch.zeros(10, 1, 2, 2, dtype=torch.uint8), torch.tensor([0] * 6 + [1] * 3 + [2]),
                      ["a", "b", "c"])
    names = ["a", "b", "c", "d"]  # the classifier knows a class the data lacks: it should get nothing
    shares = expected_shares(names, train, asked_equally=False)
    assert shares.tolist() == pytest.approx([0.6, 0.3, 0.1, 0.0])
    assert expected_shares(names, train, asked_equally=True).tolist() == [0.25] * 4
    # c draws 4% of samples for 10% of the data (0.4), b 20% for 30% (0.67); d's share is not counted
    rarest = rarest_class(names, torch.tensor([0.76, 0.2, 0.04, 0.0]), shares)
    assert rarest == {"class": "c", "share": 0.04, "expected": 0.1, "of_expected": 0.4}


def test_spread_reads_zero_for_one_image_per_class_and_one_for_the_data() -> None:
    from types import SimpleNamespace

    from training.image_data import ImageData

    images = torch.randint(0, 256, (40, 1, 4, 4), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    train = ImageData("fake", images, torch.arange(40) % 2, ["a", "b"])

    def draw(z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """Class a: the same image for every z; class b (and no class): real images of b, picked by z."""
        pick = train.images[train.labels == 1][(z[:, 0].abs() * 1000).long() % 20].float() / 127.5 - 1
        if labels is None:
            return pick
        return torch.where((labels == 0)[:, None, None, None], torch.zeros_like(pick), pick)

    model = SimpleNamespace(config=SimpleNamespace(latent_dim=3), generator=draw)
    by_class = spread(model, train, by_class=True, n=100)
    assert by_class["a"] == 0 and by_class["b"] == pytest.approx(1.0, abs=0.1)
    assert set(spread(model, train, by_class=False, n=100)) == {"all"}


def test_evaluate_tiny_conditional_model(tmp_path, capsys) -> None:
    torch.manual_seed(0)
    c = DCGANConfig(latent_dim=8, base_channels=4, d_base_channels=4, num_classes=10,
                    class_names=[f"class{i}" for i in range(10)], embed_dim=4, dataset="fake")
    ConditionalGenerator(c).save_pretrained(tmp_path / "m")
    (tmp_path / "m" / "README.md").unlink()
    result = main([str(tmp_path / "m"), "--n", "200", "--classifier-dir", str(tmp_path / "clf"),
                   "--classifier-steps", "20"])
    assert 0 <= result["class_match"] <= 1 and 0 <= result["classifier_test_accuracy"] <= 1
    assert result["frechet_generated_vs_test"] >= 0 and result["frechet_train_vs_test"] >= 0
    assert sum(result["class_histogram"].values()) == pytest.approx(1.0, abs=1e-3)
    assert "frechet_real_at_generated_class_mix" not in result  # a conditional model is asked for the mix
    rarest = result["rarest_class"]  # asked for every class equally: each should get a tenth
    assert rarest["expected"] == pytest.approx(0.1) and rarest["share"] == min(result["class_histogram"].values())
    assert rarest["of_expected"] == pytest.approx(rarest["share"] / 0.1, abs=1e-3)
    assert set(result["spread"]) == {f"class{i}" for i in range(10)} and all(v > 0 for v in result["spread"].values())
    assert json.loads((tmp_path / "m" / "eval.json").read_text())["n_generated"] == 200
    assert "frechet_generated_vs_test" in capsys.readouterr().out
    # the classifier was saved as safetensors and loads back strictly
    clf = SmallClassifier.from_pretrained(tmp_path / "clf", strict=True)
    assert clf(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    second = SmallClassifier.from_pretrained(tmp_path / "clf-seed4", strict=True)  # trained with its own seed
    assert not torch.equal(second.head.weight, clf.head.weight)
    agree = result["classifier_agreement"]
    assert set(agree) == {"generated", "test"} and all(0 <= v <= 1 for v in agree.values())


def test_evaluate_tiny_infogan_counts_its_codes_as_no_classes(tmp_path) -> None:
    from gan_models.infogan import InfoGANConfig
    from gan_models.kinds import build_pair

    torch.manual_seed(0)
    G, D = build_pair(InfoGANConfig(latent_dim=6, n_continuous=2, num_classes=10, base_channels=4, d_base_channels=4,
                                    dataset="fake").validate())
    G.save_pretrained(tmp_path / "m")
    D.save_pretrained(tmp_path / "m" / "discriminator")
    result = main([str(tmp_path / "m"), "--n", "200", "--classifier-dir", str(tmp_path / "clf"),
                   "--classifier-steps", "20", "--no-card"])
    assert result["class_match"] is None and result["codes"]["categorical_recovery"] >= 0
    assert set(result["spread"]) == {"all"} and result["spread"]["all"] > 0  # every code drawn, as one set
    assert result["rarest_class"]["expected"] == pytest.approx(0.1, abs=0.02)  # the fake set's class shares


def test_agreement_counts_images_both_classifiers_put_in_one_class() -> None:
    class Pixel(torch.nn.Module):
        def __init__(self, k: int) -> None:
            super().__init__()
            self.k = k

        def forward(self, x: torch.Tensor) -> torch.Tensor:  # class 1 where pixel k is bright, else class 0
            return torch.stack([torch.zeros(len(x)), x.flatten(1)[:, self.k]], 1)

    images = -torch.ones(4, 1, 2, 2)
    images[0, 0, 0, 0] = images[0, 0, 0, 1] = 1  # both say class 1
    images[1, 0, 0, 0] = 1  # first says 1, second 0
    assert agreement(Pixel(0), Pixel(1), images) == pytest.approx(0.75)  # images 0, 2 and 3 agree
    assert agreement(Pixel(0), Pixel(0), images) == 1.0


def test_image_properties_measure_tilt_and_ink() -> None:
    from training.code_eval import image_properties

    bar = -torch.ones(3, 1, 28, 28)
    bar[0, 0, 4:24, 13:15] = 1  # upright
    for i in range(20):  # leaning right by 45 degrees: top to the right
        bar[1, 0, 4 + i, 23 - i] = 1
    bar[2, 0, 4:24, 11:17] = 1  # upright and thicker
    props = image_properties(bar)
    assert abs(float(props["tilt"][0])) < 1 and abs(abs(float(props["tilt"][1])) - 45) < 2
    assert float(props["ink"][2]) > 2.5 * float(props["ink"][0])


def test_image_properties_measure_colour_of_the_drawing_not_the_page() -> None:
    from training.code_eval import image_properties

    page = torch.ones(3, 3, 32, 32)  # white
    page[0, :, 8:24, 8:24] = torch.tensor([1.0, 0.8, -1.0])[:, None, None]  # yellow square
    page[1, :, 8:24, 8:24] = torch.tensor([-1.0, -0.6, 1.0])[:, None, None]  # blue square
    page[2, :, 14:18, 14:18] = torch.tensor([-1.0, 1.0, -1.0])[:, None, None]  # small green square
    props = image_properties(page)
    assert float(props["yellowness"][0]) > 0.8 > -0.5 > float(props["yellowness"][1])
    assert float(props["greenness"][2]) > 0.9 > 0 > float(props["greenness"][1])
    assert "yellowness" not in image_properties(-torch.ones(1, 1, 28, 28))


def test_code_report_on_a_tiny_infogan(tmp_path) -> None:
    from gan_models.infogan import InfoGANConfig
    from gan_models.kinds import build_pair
    from gan_models.registry import load_from_folder
    from training.code_eval import code_report

    torch.manual_seed(0)
    G, D = build_pair(InfoGANConfig(latent_dim=6, num_classes=3, base_channels=4, d_base_channels=4).validate())
    G.save_pretrained(tmp_path / "m")
    D.save_pretrained(tmp_path / "m" / "discriminator")
    report = code_report(load_from_folder(tmp_path / "m"), n=60)
    assert 0 <= report["categorical_recovery"] <= 1 and len(report["continuous"]) == 2
    assert all(-1 <= v <= 1 for c in report["continuous"] for v in c["monotonicity"].values())


def test_conditional_samples_can_follow_the_data_class_mix() -> None:
    from gan_models.dcgan import DCGANConfig
    from gan_models.kinds import build_pair
    from gan_models.model import LoadedModel
    from training.evaluate import generate

    config = DCGANConfig(latent_dim=4, num_classes=3, class_names=["a", "b", "c"], base_channels=4).validate()
    G, _ = build_pair(config)
    model = LoadedModel("tiny", "cdcgan", G.eval(), None, config, config.class_names)
    _, balanced = generate(model, 300, seed=0)
    assert torch.bincount(balanced).tolist() == [100, 100, 100]
    mix = torch.tensor([0] * 80 + [1] * 15 + [2] * 5)  # an unbalanced split's labels
    _, drawn = generate(model, 2000, seed=0, class_mix=mix)
    share = torch.bincount(drawn, minlength=3).float() / 2000
    assert abs(share[0] - 0.80) < 0.04 and abs(share[2] - 0.05) < 0.02
