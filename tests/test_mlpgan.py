"""The vanilla GAN family (gan_models/mlpgan.py): shapes, determinism, config checks, training, CLI."""

from __future__ import annotations

import pytest
import torch

from gan_models import registry
from gan_models.kinds import build_pair, config_from_dict
from gan_models.mlpgan import MLPDiscriminator, MLPGANConfig, MLPGenerator
from training.checkpoint import make_optimizers
from training.loop import as_floats, train_step
from training.train import main


@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3)])
def test_shapes_and_determinism(size: int, channels: int) -> None:
    torch.manual_seed(0)
    c = MLPGANConfig(latent_dim=8, image_size=size, channels=channels, hidden=16, d_hidden=16).validate()
    G, D = build_pair(c)
    assert isinstance(G, MLPGenerator) and isinstance(D, MLPDiscriminator)
    G.eval()
    z = torch.randn(5, 8, generator=torch.Generator().manual_seed(1))
    x = G(z)
    assert x.shape == (5, channels, size, size) and x.abs().max() <= 1
    assert torch.equal(x, G(z)) and D.eval()(x).shape == (5,)
    assert G.first_layer_features(z).shape == (5, 16)
    with pytest.raises(ValueError, match="z must have shape"):
        G(torch.randn(5, 7))
    with pytest.raises(ValueError, match="unconditional"):
        G(z, torch.zeros(5, dtype=torch.long))


@pytest.mark.parametrize("patch", [{"hidden": 10**9}, {"hidden": True}, {"num_classes": 3}, {"image_size": 64},
                                   {"kind": "mlpgan", "latent_dim": "8"}, {"dataset": 5}])
def test_hostile_configs_are_refused(patch: dict) -> None:
    with pytest.raises(ValueError):
        config_from_dict({"kind": "mlpgan", **patch})


def test_a_few_steps_teach_d_to_separate_real_from_fake() -> None:
    torch.manual_seed(0)
    G, D = build_pair(MLPGANConfig(latent_dim=8, hidden=32, d_hidden=32).validate())
    opt_g, opt_d = make_optimizers(G, D, 1e-4, 1e-3)
    real = torch.rand(32, 1, 28, 28).round() * 2 - 1  # fixed binary images: easy to tell from tanh noise
    losses = [as_floats(train_step(G, D, opt_g, opt_d, real, torch.randn(32, 8), step=s))["d_loss"]
              for s in range(25)]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 0.2


def test_cli_trains_and_the_registry_loads_it(tmp_path) -> None:
    out = main(["--model", "mlpgan", "--dataset", "fake", "--steps", "3", "--hidden", "16", "--d-hidden", "16",
                "--latent-dim", "8", "--batch-size", "8", "--out", str(tmp_path / "m"), "--work-dir",
                str(tmp_path / "w"), "--no-progress"])
    model = registry.load_from_folder(out)
    assert model.kind == "mlpgan" and model.config.hidden == 16 and model.discriminator is not None
    with torch.inference_mode():
        assert model.generator(torch.zeros(2, 8)).shape == (2, 1, 28, 28)
