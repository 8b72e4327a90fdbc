"""The feature discriminator (training.feature_d): a second D on frozen classifiers, the step, the CLI."""

from __future__ import annotations

import pytest
import torch

from gan_models.dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator
from tests.test_train_cli import assert_resumes_exactly, assert_weight_option_refused
from training.checkpoint import init_weights
from training.classifier import SmallClassifier
from training.feature_d import FeatureDiscriminator
from training.loop import Recipe, train_step
from training.losses import d_hinge
from training.train import main


def frozen_pair() -> FeatureDiscriminator:
    torch.manual_seed(0)
    return FeatureDiscriminator([SmallClassifier(1, 28, 3), SmallClassifier(1, 28, 3)], hidden=16)


def test_only_the_head_learns_to_tell_apart_what_the_classifiers_see() -> None:
    fd = frozen_pair()
    frozen = {k: v.clone() for k, v in fd.classifiers.state_dict().items()}
    g = torch.Generator().manual_seed(1)
    bright = torch.rand(32, 1, 28, 28, generator=g) * 0.5 + 0.5  # "real"
    dark = -torch.rand(32, 1, 28, 28, generator=g) * 0.5 - 0.5  # "fake"
    opt = torch.optim.Adam([p for p in fd.parameters() if p.requires_grad], lr=1e-2)
    fd.train()
    assert not any(clf.training for clf in fd.classifiers)  # frozen classifiers stay in eval mode
    for _ in range(30):
        loss = d_hinge(fd(bright), fd(dark))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        assert float(fd(bright).min()) > float(fd(dark).max())
    assert all(torch.equal(frozen[k], v) for k, v in fd.classifiers.state_dict().items())
    assert fd(bright).shape == (32,)


def test_g_trained_against_it_moves_towards_what_the_classifiers_see_in_real_images() -> None:
    c = DCGANConfig(latent_dim=8, channels=1, image_size=28, base_channels=4, d_base_channels=4,
                    spectral_norm=True).validate()
    real = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 0.3 + 0.6  # bright images
    z_eval = torch.randn(64, 8, generator=torch.Generator().manual_seed(9))

    def train(weight: float) -> tuple[float, dict]:
        fd = frozen_pair()
        torch.manual_seed(0)
        G, D = DCGANGenerator(c).apply(init_weights), DCGANDiscriminator(c).apply(init_weights)
        # D is held fixed (lr 0) so that whatever pulls G towards the real images is the feature D's doing
        opt_g, opt_d = torch.optim.Adam(G.parameters(), 2e-3), torch.optim.Adam(D.parameters(), 0.0)
        opt_d.add_param_group({"params": list(fd.head.parameters()), "lr": 2e-3})
        recipe = Recipe("hinge", feature_d=weight).validate()
        g = torch.Generator().manual_seed(1)
        for s in range(40):
            record = train_step(G, D, opt_g, opt_d, real, torch.randn(16, 8, generator=g), step=s,
                                recipe=recipe, feature_d=fd)
        with torch.no_grad():
            clf = fd.classifiers[0]
            gap = (clf.features(G.eval()(z_eval)).mean(0) - clf.features(real).mean(0)).norm()
        return float(gap), record

    (gap_without, record_without), (gap_with, record_with) = train(0.0), train(20.0)
    assert "feature_d" in record_with and "feature_d" not in record_without
    assert gap_with < 0.5 * gap_without, (gap_with, gap_without)


def test_bad_weights_and_kinds_it_cannot_train_are_refused(capsys) -> None:
    assert_weight_option_refused(capsys, "--feature-d", "feature D", ("vae", "lapgan", "srgan"),
                                 "--feature-d is for generators of z")
    with pytest.raises(SystemExit, match="labelled dataset with 2 or more classes"):
        main(["--model", "dcgan", "--dataset", "emoji-faces", "--feature-d", "1", "--steps", "1",
              "--out", "/nonexistent/never-written"])


def test_cli_with_a_feature_d_resumes_exactly_and_says_so_in_the_card(tmp_path) -> None:
    state, card = assert_resumes_exactly(tmp_path, "--feature-d", "0.5", "--loss", "hinge")
    assert any(k.startswith("classifiers.2.") for k in state["feature_d"]) and "head.0.bias" in state["feature_d"]
    assert len(state["opt_d"]["param_groups"]) == 2  # the head steps with D
    assert "a second D on frozen classifiers' features (vision-aided, weight 0.5)" in card
