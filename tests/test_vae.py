"""The VAE family (gan_models/vae.py): shapes, the ELBO's parts, determinism, training, CLI resume, registry."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from gan_models import registry
from gan_models.kinds import build_pair, config_from_dict
from gan_models.vae import VAE, VAEConfig
from training.loop import as_floats, vae_step
from training.train import main


def tiny(**kw) -> VAE:
    torch.manual_seed(0)
    return VAE(VAEConfig(latent_dim=4, base_channels=4, **kw))


@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3)])
def test_shapes_and_determinism(size: int, channels: int) -> None:
    vae = tiny(image_size=size, channels=channels).eval()
    G, D = build_pair(vae.config)
    assert isinstance(G, VAE) and D is None  # no discriminator: trained on the ELBO
    x = torch.rand(3, channels, size, size) * 2 - 1
    mu, logvar = vae.encode(x)
    assert mu.shape == logvar.shape == (3, 4)
    z = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    assert vae(z).shape == (3, channels, size, size) and torch.equal(vae(z), vae(z))
    assert vae.reconstruct(x).shape == x.shape and vae.first_layer_features(z).shape[0] == 3


def test_loss_parts_and_kl_closed_form() -> None:
    vae = tiny().eval()
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    with torch.no_grad():
        parts = vae.loss(x, torch.zeros(2, 4))
    mu, logvar = vae.encode(x)
    kl = (-0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1)).mean()
    torch.testing.assert_close(parts["kl"], kl)
    assert float(parts["kl"]) >= 0 and float(parts["recon"]) > 0
    torch.testing.assert_close(parts["loss"], parts["recon"] + parts["kl"])


def test_training_lowers_the_negative_elbo() -> None:
    vae = tiny()
    opt = torch.optim.Adam(vae.parameters(), lr=3e-3)
    x = (torch.rand(16, 1, 28, 28) > 0.5).float() * 2 - 1
    g = torch.Generator().manual_seed(0)
    losses = [as_floats(vae_step(vae, opt, x, torch.randn(16, 4, generator=g), s))["loss"] for s in range(80)]
    assert sum(losses[-5:]) / 5 < 0.8 * sum(losses[:5]) / 5


@pytest.mark.parametrize("patch", [{"beta": 0}, {"beta": True}, {"num_classes": 2}, {"base_channels": 10**6}])
def test_hostile_configs_are_refused(patch: dict) -> None:
    with pytest.raises(ValueError):
        config_from_dict({"kind": "vae", **patch})


def test_cli_resumes_exactly_and_the_registry_loads_it(tmp_path) -> None:
    def run(name: str, steps: int, *extra: str):
        return main(["--model", "vae", "--dataset", "fake", "--steps", str(steps), "--latent-dim", "4",
                     "--base-channels", "4", "--batch-size", "8", "--lr", "1e-3", "--out", str(tmp_path / name),
                     "--work-dir", str(tmp_path / f"w-{name}"), "--no-progress", "--sample-every", "100", *extra])

    def g_weights(folder):
        return load_file(str(folder / "model.safetensors"))

    a = run("a", 3)
    assert not (a / "discriminator").exists()
    run("r", 2)
    r = run("r", 3, "--resume")
    wa, wr = g_weights(a), g_weights(r)
    assert all(torch.equal(wa[k], wr[k]) for k in wa)
    model = registry.load_from_folder(a)
    assert model.kind == "vae" and model.discriminator is None
    assert "variational autoencoder" in (a / "README.md").read_text()


def test_cli_export_keeps_the_encoders_batchnorm_statistics(tmp_path) -> None:
    out = main(["--model", "vae", "--dataset", "fake", "--steps", "4", "--latent-dim", "4", "--base-channels", "4",
                "--batch-size", "8", "--out", str(tmp_path / "v"), "--work-dir", str(tmp_path / "w"),
                "--no-progress", "--sample-every", "100"])
    state = load_file(str(out / "model.safetensors"))
    tracked = {k: int(v) for k, v in state.items() if k.endswith("num_batches_tracked")}
    encoder = [k for k in tracked if k.startswith("encoder")]
    assert encoder and all(tracked[k] == 4 for k in encoder)  # the 4 training steps, not reset by the export
    assert all(tracked[k] > 0 for k in tracked)  # and the decoder's were recomputed


def test_evaluation_reports_reconstruction_error() -> None:
    from training.data import load_dataset
    from training.evaluate import reconstruction_report

    vae = tiny().eval()
    report = reconstruction_report(vae, load_dataset("fake", "test"))
    assert report["n_test"] == 256 and report["mse"] > 0 and 0 < report["psnr"] < 60 and -1 <= report["ssim"] <= 1
