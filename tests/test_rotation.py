"""The quarter-turn task (training.rotation, SS-GAN): the turns, D's trunk learning them, the step, the CLI."""

from __future__ import annotations

import math

import torch

from gan_models.dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator, DiscriminatorBody
from tests.test_train_cli import assert_resumes_exactly, assert_weight_option_refused
from training.checkpoint import init_weights
from training.loop import Recipe, train_step
from training.rotation import RotationHead, quarter_turns


def upright_shapes(n: int, seed: int) -> torch.Tensor:
    """[n, 1, 28, 28] in [-1, 1]: a bar along the bottom and a thin post rising from its left end (an L), shifted
    at random: which way it points tells the turn."""
    g = torch.Generator().manual_seed(seed)
    images = -torch.ones(n, 1, 28, 28)
    for i in range(n):
        x, y = (int(v) for v in torch.randint(2, 8, (2,), generator=g))
        images[i, 0, 20 - y:22 - y, x:x + 16] = 1.0
        images[i, 0, 6 - y:20 - y, x:x + 2] = 1.0
    return images


def test_image_i_is_turned_by_i_mod_4_quarter_turns_and_gradients_flow() -> None:
    images = torch.randn(6, 3, 8, 8, requires_grad=True)
    turned, turns = quarter_turns(images)
    assert turned.shape == images.shape and turns.tolist() == [0, 1, 2, 3, 0, 1]
    for i in range(6):
        assert torch.equal(turned[i], torch.rot90(images[i], i % 4, dims=(1, 2)))
    assert not torch.equal(turned[1], images[1])
    turned.sum().backward()
    assert torch.equal(images.grad, torch.ones_like(images))  # a turn only moves pixels


def test_d_trunk_and_head_learn_the_turns_of_upright_shapes() -> None:
    torch.manual_seed(0)
    trunk, head = DiscriminatorBody(8, 1, spectral_norm=True), RotationHead(8 * 4 * 16)
    opt = torch.optim.Adam([*trunk.parameters(), *head.parameters()], lr=2e-3)
    train, held_out = upright_shapes(64, 0), upright_shapes(64, 1)
    with torch.no_grad():
        before = float(head(trunk, held_out))
    for _ in range(60):
        loss = head(trunk, train)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        after = float(head(trunk, held_out))
    assert before > 0.8 * math.log(4) and after < 0.3 * before, (before, after)


def test_the_step_trains_d_on_real_turns_and_g_on_its_own_weighted_by_the_recipe() -> None:
    c = DCGANConfig(latent_dim=8, channels=1, image_size=28, base_channels=4, d_base_channels=4,
                    spectral_norm=True).validate()
    real = upright_shapes(16, 2)

    def step(weight: float) -> tuple[dict, torch.Tensor]:
        torch.manual_seed(0)
        G, D = DCGANGenerator(c).apply(init_weights), DCGANDiscriminator(c).apply(init_weights)
        head = RotationHead(D.body.out_dim)
        opt_g, opt_d = torch.optim.Adam(G.parameters(), 1e-3), torch.optim.Adam(D.parameters(), 1e-3)
        opt_d.add_param_group({"params": list(head.parameters())})
        before = head.classify.weight.detach().clone()
        record = train_step(G, D, opt_g, opt_d, real, torch.randn(16, 8, generator=torch.Generator().manual_seed(1)),
                            recipe=Recipe("hinge", rotation=weight).validate(), rotation=head)
        assert not torch.equal(before, head.classify.weight)  # the head steps with D
        return record, G.body.stem[0].weight.detach()

    (plain, g_plain), (weighted, g_weighted) = step(0.0), step(5.0)
    assert "rotation_d" in plain and "rotation" not in plain  # D still learns the turns; G is not asked to
    assert "rotation" in weighted and float(weighted["rotation"]) > 0
    assert torch.allclose(plain["rotation_d"], weighted["rotation_d"])  # the D half is the same in both
    assert not torch.equal(g_plain, g_weighted)  # the term reached G


def test_bad_weights_and_kinds_without_a_dcgan_trunk_are_refused(capsys) -> None:
    assert_weight_option_refused(capsys, "--rotation", "rotation", ("mlpgan", "vae", "srgan"),
                                 "--rotation is for the DCGAN-trunk discriminators")


def test_cli_with_rotation_resumes_exactly_and_says_so_in_the_card(tmp_path) -> None:
    state, card = assert_resumes_exactly(tmp_path, "--rotation", "0.2", "--loss", "hinge")
    assert set(state["rotation"]) >= {"classify.bias", "classify.parametrizations.weight.original"}
    assert len(state["opt_d"]["param_groups"]) == 2  # the head steps with D
    assert "a quarter-turn task for D and G (SS-GAN, G's weight 0.2)" in card
