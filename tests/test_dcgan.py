"""DCGAN / conditional DCGAN: shapes for every size, label checks, Hub mixin round trip, train step."""

from __future__ import annotations

import pytest
import torch

from gan_models.conditional import ConditionalDiscriminator, ConditionalGenerator
from gan_models.dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator
from training.loop import as_floats, train_step
from training.losses import d_loss, g_loss


def tiny_config(num_classes: int = 0, image_size: int = 28, channels: int = 1, latent_dim: int = 8) -> DCGANConfig:
    return DCGANConfig(
        latent_dim=latent_dim, image_size=image_size, channels=channels, base_channels=4, d_base_channels=4,
        num_classes=num_classes, class_names=[f"c{i}" for i in range(num_classes)], embed_dim=4,
    )


def pair(num_classes: int, **kw) -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    c = tiny_config(num_classes, **kw)
    if num_classes:
        return ConditionalGenerator(c), ConditionalDiscriminator(c)
    return DCGANGenerator(c), DCGANDiscriminator(c)


@pytest.mark.parametrize("num_classes", [0, 3])
@pytest.mark.parametrize("image_size", [28, 32])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_and_range(num_classes: int, image_size: int, channels: int) -> None:
    G, D = pair(num_classes, image_size=image_size, channels=channels)
    z = torch.randn(5, 8)
    labels = torch.tensor([0, 1, 2, 0, 1]) if num_classes else None
    x = G(z, labels)
    assert x.shape == (5, channels, image_size, image_size)
    assert x.min() >= -1 and x.max() <= 1  # tanh
    assert D(x, labels).shape == (5,)  # logits, one per image
    feats = G.first_layer_features(z, labels)
    assert feats.shape[0] == 5 and feats.ndim == 2
    assert G.config.kind == ("cdcgan" if num_classes else "dcgan")


def test_conditional_label_errors() -> None:
    G, D = pair(3)
    z = torch.randn(2, 8)
    with pytest.raises(ValueError, match="class-conditional"):
        G(z)
    with pytest.raises(ValueError, match="0..2"):
        G(z, torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="shape"):
        G(z, torch.tensor([0]))
    with pytest.raises(ValueError, match="class-conditional"):
        D(torch.zeros(2, 1, 28, 28))


def test_unconditional_rejects_labels_and_bad_z() -> None:
    G, D = pair(0)
    with pytest.raises(ValueError, match="unconditional"):
        G(torch.randn(2, 8), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"\[N, 8\]"):
        G(torch.randn(2, 9))


def test_labels_change_the_image() -> None:
    G, _ = pair(3)
    G.eval()
    z = torch.randn(1, 8).repeat(3, 1)
    x = G(z, torch.tensor([0, 1, 2]))
    assert not torch.allclose(x[0], x[1]) and not torch.allclose(x[1], x[2])


@pytest.mark.parametrize(
    "bad",
    [dict(latent_dim=0), dict(latent_dim=10**6), dict(image_size=64), dict(channels=2), dict(base_channels=10**5),
     dict(num_classes=2, class_names=["a"]), dict(latent_dim="64"), dict(class_names=[1], num_classes=1)],
)
def test_config_validation(bad: dict) -> None:
    with pytest.raises(ValueError, match="config"):
        DCGANConfig(**bad).validate()


@pytest.mark.parametrize("num_classes", [0, 3])
def test_save_pretrained_round_trip(tmp_path, num_classes: int) -> None:
    G, D = pair(num_classes)
    G.eval()
    G.save_pretrained(tmp_path / "g")
    assert {"config.json", "model.safetensors"} <= {p.name for p in (tmp_path / "g").iterdir()}
    G2 = type(G).from_pretrained(tmp_path / "g", strict=True).eval()
    assert G2.config == G.config
    z = torch.randn(4, 8)
    labels = torch.tensor([0, 1, 2, 0]) if num_classes else None
    torch.testing.assert_close(G2(z, labels), G(z, labels), rtol=0, atol=0)


def test_losses_at_equilibrium() -> None:
    zero = torch.zeros(8)
    assert float(d_loss(zero, zero)) == pytest.approx(2 * 0.6931, abs=1e-3)
    assert float(g_loss(zero)) == pytest.approx(0.6931, abs=1e-3)


@pytest.mark.parametrize("num_classes", [0, 3])
def test_train_step_updates_both_and_returns_record(num_classes: int, capsys) -> None:
    G, D = pair(num_classes)
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3)
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3)
    g0 = [p.detach().clone() for p in G.parameters()]
    d0 = [p.detach().clone() for p in D.parameters()]
    labels = torch.randint(0, 3, (8,)) if num_classes else None
    rec = train_step(G, D, opt_g, opt_d, torch.rand(8, 1, 28, 28) * 2 - 1, torch.randn(8, 8), labels, step=1)
    assert set(rec) == {"step", "d_loss", "g_loss", "d_real", "d_fake"} and rec["step"] == 1
    # losses stay on the device as 0-d tensors (no GPU sync per step); as_floats reads them when a record is due
    assert all(isinstance(v, torch.Tensor) and v.ndim == 0 and not v.requires_grad
               for k, v in rec.items() if k != "step")
    floats = as_floats(rec)
    assert all(isinstance(v, float) and v == float(rec[k]) for k, v in floats.items() if k != "step")
    assert any(not torch.equal(a, b) for a, b in zip(g0, G.parameters(), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(d0, D.parameters(), strict=True))
    assert capsys.readouterr().out == ""  # the step prints nothing
