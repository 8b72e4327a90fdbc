"""Class balance for generators without classes (training.balance): the term, the step, the CLI."""

from __future__ import annotations

import json
import math

import pytest
import torch

from gan_models.dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator
from tests.test_train_cli import TINY, assert_resumes_exactly, assert_weight_option_refused
from training.balance import ClassBalance, build_class_balance, class_prior, entropy
from training.checkpoint import init_weights
from training.data import load_dataset, to_float
from training.loop import Recipe, train_step
from training.train import main


class FirstPixels(torch.nn.Module):
    """A fixed 'classifier' for 3 classes: the logits are the image's first three pixels, scaled."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 5 * x.flatten(1)[:, :3]


def test_the_term_is_zero_for_clear_images_in_the_data_class_mix_and_its_gradient_restores_it() -> None:
    balance = ClassBalance([FirstPixels()], torch.tensor([1.0, 1.0, 2.0]))
    assert torch.allclose(balance.prior, torch.tensor([0.25, 0.25, 0.5]))
    # two images that read as class 0 and class 1, two as class 2: the mix of the prior
    images = torch.full((4, 1, 2, 2), -1.0)
    for i, k in enumerate([0, 1, 2, 2]):
        images[i].view(-1)[k] = 1.0
    assert float(balance(images)) == pytest.approx(0.0, abs=1e-2)  # the right mix, each image one clear class
    blurred = images.clone()
    blurred.view(4, -1)[:, :3] = 0.0  # every class equally likely for every image: right mix, no class
    assert float(balance(blurred)) > 1.0
    lopsided = torch.full((4, 1, 2, 2), -1.0)
    lopsided.view(4, -1)[:, 0] = 1.0  # all read as class 0
    lopsided.requires_grad_(True)
    before = balance(lopsided)
    assert float(before.detach()) > 0.5
    before.backward()
    after = balance(lopsided.detach() - 0.5 * lopsided.grad)
    assert float(after) < float(before.detach())  # one step down its gradient moves the batch towards the prior
    assert not any(p.requires_grad for p in balance.parameters())  # the classifier is never trained by G


def test_images_as_clear_as_real_ones_are_left_alone() -> None:
    balance = ClassBalance([FirstPixels()], torch.ones(3), clear_entropy=0.5)
    images = torch.full((3, 1, 2, 2), -1.0)
    for k in range(3):
        images[k].view(-1)[k] = -0.2  # each image leans to its own class: entropy about 0.2 < 0.5
    images.requires_grad_(True)
    assert 0 < float(entropy(balance.probabilities(images.detach())).max()) < 0.5
    loss = balance(images)
    loss.backward()
    assert float(loss.detach()) == pytest.approx(0.0, abs=1e-6) and float(images.grad.abs().max()) < 1e-6


def test_a_generator_trained_with_the_term_draws_clear_classes_and_keeps_every_class() -> None:
    c = DCGANConfig(latent_dim=8, channels=1, image_size=28, base_channels=4, d_base_channels=4,
                    spectral_norm=True).validate()
    real = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    balance = ClassBalance([FirstPixels()], torch.ones(3))
    z_eval = torch.randn(256, 8, generator=torch.Generator().manual_seed(9))

    def train(weight: float) -> tuple[torch.Tensor, float]:
        torch.manual_seed(0)
        G, D = DCGANGenerator(c).apply(init_weights), DCGANDiscriminator(c).apply(init_weights)
        opt_g, opt_d = torch.optim.Adam(G.parameters(), 2e-3), torch.optim.Adam(D.parameters(), 2e-3)
        recipe = Recipe("hinge", class_balance=weight).validate()
        g = torch.Generator().manual_seed(1)
        for s in range(60):
            record = train_step(G, D, opt_g, opt_d, real, torch.randn(16, 8, generator=g), step=s,
                                recipe=recipe, balance=balance)
        assert ("balance" in record) == bool(weight)
        with torch.no_grad():
            p = balance.probabilities(G.eval()(z_eval))
        return p.mean(0), float(-(p * p.log()).sum(1).mean())

    (_, entropy), (shares, entropy_balanced) = train(0.0), train(10.0)
    assert entropy_balanced < 0.5 * entropy  # each image became one clear class ...
    assert (shares > 0.5 * balance.prior).all(), shares  # ... and no class was given up for it


def test_the_in_loop_classifiers_learn_the_labels_with_their_own_seeds() -> None:
    data = load_dataset("digits", "train")
    balance = build_class_balance(data, min_steps=200)
    assert torch.allclose(balance.prior, class_prior(data)) and len(balance.prior) == 10
    p = balance.probabilities(to_float(data.images))
    assert (p.argmax(1) == data.labels).float().mean() > 0.8
    unclear = (entropy(p) > balance.clear_entropy).float().mean()  # the real images a fake may be less clear than
    assert 0 < float(balance.clear_entropy) < math.log(10) and float(unclear) == pytest.approx(0.1, abs=0.01)
    first, second = (clf.features[0].weight for clf in balance.classifiers[:2])
    assert not torch.equal(first, second)  # the members differ (their own seeds)
    balance.train()
    assert not any(clf.training for clf in balance.classifiers)  # stays in eval mode while G trains


def test_bad_weights_and_kinds_with_classes_are_refused(capsys) -> None:
    assert_weight_option_refused(capsys, "--class-balance", "class balance", ("cdcgan", "vae", "lapgan"),
                                 "--class-balance is for generators without classes")


def test_cli_with_class_balance_resumes_exactly_and_says_so_in_the_card(tmp_path) -> None:
    state, card = assert_resumes_exactly(tmp_path, "--class-balance", "2", "--loss", "hinge")
    assert any(k.startswith("classifiers.2.") for k in state["balance"])
    assert "class balance through a classifier in the loop (weight 2.0)" in card


def test_an_infogan_trains_with_the_term_beside_its_code_term(tmp_path) -> None:
    main(["--model", "infogan", "--codes", "3", "--class-balance", "1", "--loss", "hinge", "--steps", "3",
          "--out", str(tmp_path / "info"), "--work-dir", str(tmp_path / "w"), *TINY])
    final = json.loads((tmp_path / "info" / "training.json").read_text())["final"]
    assert final["balance"] > 0 and final["info"] > 0  # both terms reached G's loss
    config = json.loads((tmp_path / "info" / "config.json").read_text())
    assert config["class_names"] == ["code 0", "code 1", "code 2"]  # the codes are still not the labels
