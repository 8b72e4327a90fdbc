"""Unit tests for the live image trainer (training/live.py): tiny models on the fake dataset, a few steps."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import pickle
import shutil
import zipfile

import numpy as np
import pytest
import torch

from gan_models import registry
from training.data import load_dataset
from training.live import LiveTrainer, start_run
from training.live_config import BudgetExceeded, LiveTrainConfig

FAKE = load_dataset("fake")


def tiny(**overrides) -> LiveTrainConfig:
    base = {"dataset": "fake", "model": "dcgan", "latent_dim": 8, "steps": 6, "batch_size": 8,
            "base_channels": 4, "report_every": 2, "grid_every_s": 0.001, "device": "cpu"}
    return LiveTrainConfig(**{**base, **overrides})


def test_records_grid_and_done():
    trainer = LiveTrainer(tiny(), FAKE)
    records = list(trainer.run())
    assert [r.step for r in records] == [2, 4, 6]
    assert [r.done for r in records] == [False, False, True]
    assert records[-1].stop_reason == "finished" and records[-1].eta_s == 0.0
    for r in records:
        assert all(np.isfinite([r.d_loss, r.g_loss, r.steps_per_s])) and 0 <= r.d_real <= 1 and 0 <= r.d_fake <= 1
    grid = records[-1].grid
    assert grid is not None and grid.dtype == np.uint8 and grid.ndim == 3 and grid.shape[2] == 1
    assert records[-1].to_dict()["grid"] is None  # JSON records carry no pixels unless asked


def test_conditional_grid_has_one_column_per_class():
    trainer = LiveTrainer(tiny(model="cdcgan"), FAKE)
    last = list(trainer.run())[-1]
    # 10 classes of 28 px tiles + 2 px padding
    assert last.grid.shape[1] == 10 * 30 + 2
    assert trainer.result().to_loaded_model("t").class_names == FAKE.class_names


def test_same_seed_same_run_and_global_rng_untouched():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = [r.d_loss for r in LiveTrainer(tiny(), FAKE).run()]
    assert torch.equal(before, torch.random.get_rng_state())
    b = [r.d_loss for r in LiveTrainer(tiny(), FAKE).run()]
    assert a == b


def test_stop_flag_and_time_cap_end_with_a_done_record():
    stopped = list(LiveTrainer(tiny(steps=100), FAKE).run(should_stop=lambda: True))
    assert len(stopped) == 1 and stopped[0].done and stopped[0].stop_reason == "stopped"
    timed = list(LiveTrainer(tiny(steps=100), FAKE).run(max_seconds=0.0))
    assert timed[-1].stop_reason == "time limit" and timed[-1].step < 100
    assert timed[-1].grid is not None  # the last picture is always sent


def test_uses_the_shared_train_step(monkeypatch):
    import training.live as live

    calls = []
    real_step = live.train_step

    def spy(*args, **kwargs):
        calls.append(kwargs.get("step"))
        return real_step(*args, **kwargs)

    monkeypatch.setattr(live, "train_step", spy)
    list(LiveTrainer(tiny(steps=4), FAKE).run())
    assert calls == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "bad, match",
    [({"model": "stylegan"}, "Unknown model"), ({"dataset": "imagenet"}, "Unknown dataset"),
     ({"steps": 0}, "steps"), ({"batch_size": 10_000}, "batch size"), ({"lr_g": float("nan")}, "learning rate G"),
     ({"latent_dim": True}, "latent size")],
)
def test_bad_configs_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        tiny(**bad).validate()


def test_cuda_without_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a CPU-only server, on any machine
    with pytest.raises(ValueError, match="no GPU"):
        tiny(device="cuda").validate()


def test_estimate_and_budget_message():
    trainer = LiveTrainer(tiny(steps=1000), FAKE)
    before = {k: v.clone() for k, v in trainer.G.state_dict().items()}
    estimate = trainer.estimate_seconds()
    assert estimate > 0 and trainer.step == 0
    assert all(torch.equal(before[k], v) for k, v in trainer.G.state_dict().items())  # probes ran on copies
    message = str(BudgetExceeded(estimate_s=300.0, budget_s=120.0, steps=1000))
    assert "300 s" in message and "120 s" in message and "at most 400 steps" in message


def test_start_run_refuses_a_run_over_its_budget():
    with pytest.raises(BudgetExceeded, match="over the 0 s limit"):
        start_run(tiny(steps=5000), budget_s=1e-9)
    assert start_run(tiny(), budget_s=600).step == 0


def test_save_pretrained_zip_loads_in_the_registry(tmp_path):
    trainer = LiveTrainer(tiny(model="cdcgan"), FAKE)
    list(trainer.run())
    run = pickle.loads(pickle.dumps(trainer.result()))  # what a worker process sends back
    folder = run.save_pretrained(tmp_path / "run")
    archive = shutil.make_archive(str(tmp_path / "run"), "zip", folder)
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        assert {"config.json", "model.safetensors", "discriminator/model.safetensors", "README.md"} <= names
        zf.extractall(tmp_path / "unzipped")
    loaded = registry.load_from_folder(tmp_path / "unzipped", model_id="mine")
    memory = run.to_loaded_model("mine")
    assert (folder / "README.md").read_text() == run.card and "6 of 6 planned" in run.card
    z = torch.randn(3, 8)
    y = torch.tensor([0, 1, 2])
    with torch.inference_mode():
        assert torch.allclose(loaded.generator(z, y), memory.generator(z, y), atol=1e-6)
    assert trainer.G.training  # exporting leaves the training copy as it was


# ---------------------------------------------------------------------------------------------
# Through the public API (gradio_client against the app launched in-process)
# ---------------------------------------------------------------------------------------------


def test_api_trains_on_fake_data_then_generates_with_the_result(client):
    job = client.submit("fake", "cdcgan", 8, 6, 8, 2e-4, 2e-4, 0, "cpu", 8, api_name="/train_image_gan")
    records = list(job)
    assert records[-1]["done"] and records[-1]["step"] == 6 and records[-1]["stop_reason"] == "finished"
    model_id = records[-1]["model_id"]
    assert model_id.startswith("trained-fake-cdcgan-")
    image, info = client.predict(model_id, 3, "class2", 1.0, {}, 4, api_name="/generate")
    assert info["model"] == model_id and info["class"] == "class2" and len(info["d_prob"]) == 4
    from PIL import Image

    assert Image.open(image).size[0] > 28


def test_api_refuses_bad_runs_with_the_reason(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="Unknown model"):
        client.predict("fake", "stylegan", 8, 6, 8, 2e-4, 2e-4, 0, "cpu", 8, api_name="/train_image_gan")
    if not torch.cuda.is_available():
        with pytest.raises(AppError, match="no GPU"):
            client.predict("fake", "dcgan", 8, 6, 8, 2e-4, 2e-4, 0, "cuda", 8, api_name="/train_image_gan")
        # 20,000 steps at batch 256 cannot fit in 300 s on a CPU: refused before training, with the estimate.
        with pytest.raises(AppError, match=r"would take about .* over the 300 s limit"):
            client.predict("fake", "dcgan", 64, 20_000, 256, 2e-4, 2e-4, 0, "cpu", 32,
                           api_name="/train_image_gan")
    with pytest.raises(AppError, match="recipe must be true or false"):
        client.predict("fake", "dcgan", 8, 6, 8, 2e-4, 2e-4, 0, "cpu", 8, "yes", api_name="/train_image_gan")


def test_api_trains_with_the_recipe_on_colour_emoji(client):
    job = client.submit("emoji", "cdcgan", 8, 4, 8, 2e-4, 2e-4, 0, "cpu", 8, True, api_name="/train_image_gan")
    records = list(job)
    assert records[-1]["done"] and records[-1]["step"] == 4
    image, info = client.predict(records[-1]["model_id"], 3, "heart", 1.0, {}, 1, api_name="/generate")
    from PIL import Image

    assert Image.open(image).mode == "RGB" and info["class"] == "heart"


def test_recipe_run_on_colour_data_ships_the_weight_average():
    rgb = load_dataset("fake", channels=3, image_size=32)
    recipe = {"loss": "hinge", "spectral_norm": True, "diffaugment": "color,translation,cutout", "ema": 0.5}
    trainer = LiveTrainer(tiny(model="cdcgan", **recipe), rgb)
    a = [r.d_loss for r in trainer.run()]
    assert trainer.model_config.spectral_norm and trainer.model_config.channels == 3
    assert a == [r.d_loss for r in LiveTrainer(tiny(model="cdcgan", **recipe), rgb).run()]  # seeded augmentations
    run = pickle.loads(pickle.dumps(trainer.result()))  # a spectrally normalised D crosses processes too
    assert "hinge loss" in run.card and "DiffAugment" in run.card
    shipped = run.generator.body.stem[0].weight
    assert torch.equal(shipped, trainer.ema.module.body.stem[0].weight.cpu())
    assert not torch.equal(shipped, trainer.G.body.stem[0].weight.cpu())


@pytest.mark.parametrize("bad", [{"loss": "wgan"}, {"ema": 1.5}, {"spectral_norm": "yes"},
                                 {"diffaugment": "rotate"}, {"diffaugment": "x" * 100}])
def test_bad_recipe_options_are_refused(bad):
    with pytest.raises(ValueError):
        tiny(**bad).validate()


def test_emoji_is_bundled_and_colour():
    data = load_dataset("emoji")
    trainer = LiveTrainer(tiny(dataset="emoji", model="cdcgan", steps=2), data)
    last = list(trainer.run())[-1]
    assert last.grid.shape[2] == 3 and trainer.model_config.class_names == data.class_names


def test_the_vanilla_gan_trains_live_too():
    trainer = LiveTrainer(tiny(model="mlpgan"), FAKE)
    last = list(trainer.run())[-1]
    assert last.done and trainer.model_config.kind == "mlpgan" and trainer.model_config.hidden == 16
    loaded = trainer.result().to_loaded_model("live-mlp")
    assert loaded.kind == "mlpgan" and loaded.discriminator is not None


# ---------------------------------------------------------------------------------------------
# The VAE: no discriminator, one optimiser, its own losses in the records
# ---------------------------------------------------------------------------------------------


def test_a_few_live_vae_steps_lower_its_loss_and_records_carry_recon_and_kl():
    trainer = LiveTrainer(tiny(model="vae", steps=20, report_every=5, lr_g=1e-3), FAKE)
    assert trainer.D is None and trainer.opt_d is None and trainer.ema is None
    assert trainer.opt_g.defaults["betas"] == (0.9, 0.999)  # the CLI's optimiser for the VAE
    records = list(trainer.run())
    assert [r.step for r in records] == [5, 10, 15, 20] and records[-1].done
    assert records[-1].g_loss < records[0].g_loss and records[-1].recon < records[0].recon
    for r in records:
        assert r.d_loss is None and r.d_real is None and r.d_fake is None
        assert r.recon > 0 and r.kl >= 0 and r.g_loss == pytest.approx(r.recon + r.kl, rel=1e-5)  # beta 1
        json.dumps(r.to_dict(), allow_nan=False)  # what the browser and the API receive
    assert records[-1].grid.shape == (6 * 30 + 2, 6 * 30 + 2, 1)  # decoded fixed noise, 6 x 6
    gan = list(LiveTrainer(tiny(), FAKE).run())[-1]
    assert gan.recon is None and gan.kl is None
    json.dumps(gan.to_dict(), allow_nan=False)


def test_the_vae_uses_the_shared_vae_step(monkeypatch):
    import training.live as live

    calls = []
    real_step = live.vae_step

    def spy(*args, **kwargs):
        calls.append(kwargs.get("step"))
        return real_step(*args, **kwargs)

    monkeypatch.setattr(live, "vae_step", spy)
    list(LiveTrainer(tiny(model="vae", steps=4), FAKE).run())
    assert calls == [1, 2, 3, 4]


def test_vae_width_is_its_base_channels_and_the_estimate_probes_copies():
    trainer = LiveTrainer(tiny(model="vae", steps=1000, base_channels=16, latent_dim=64), FAKE)
    shipped = json.loads((registry.CHECKPOINTS_DIR / "vae-animals" / "config.json").read_text())
    assert trainer.model_config.kind == "vae" and trainer.model_config.base_channels == shipped["base_channels"]
    before = {k: v.clone() for k, v in trainer.G.state_dict().items()}
    assert trainer.estimate_seconds() > 0 and trainer.step == 0
    assert all(torch.equal(before[k], v) for k, v in trainer.G.state_dict().items())


def test_vae_run_pickles_saves_and_loads_without_a_discriminator(tmp_path):
    trainer = LiveTrainer(tiny(model="vae"), FAKE)
    list(trainer.run())
    result = trainer.result()
    run = pickle.loads(pickle.dumps(result))  # what a worker process sends back
    assert run.discriminator is None and run.model_config == result.model_config and run.card == result.card
    assert "variational autoencoder" in run.card and "negative ELBO" in run.card and "tags: [vae," in run.card
    assert "betas (0.9, 0.999)" in run.card and "6 of 6 planned" in run.card
    # The export recalibrates the decoder's BatchNorm; the encoder keeps the statistics it was trained with.
    trained = trainer.G.encoder.state_dict()
    assert all(torch.equal(v.cpu(), trained[k].cpu()) for k, v in run.generator.encoder.state_dict().items())
    z = torch.randn(4, 8)
    with torch.inference_mode():
        assert torch.equal(run.generator(z), result.generator(z))
    folder = run.save_pretrained(tmp_path / "vae")
    assert (folder / "model.safetensors").is_file() and not (folder / "discriminator").exists()
    loaded = registry.load_from_folder(folder, model_id="my-vae")
    memory = run.to_loaded_model("my-vae")
    assert loaded.kind == memory.kind == "vae" and memory.discriminator is None and loaded.discriminator is None
    with torch.inference_mode():
        assert torch.allclose(loaded.generator(z), memory.generator(z), atol=1e-6)
    assert trainer.G.training  # exporting leaves the training copy as it was


@pytest.mark.parametrize("recipe", [{"loss": "hinge"}, {"spectral_norm": True}, {"diffaugment": "color"},
                                    {"ema": 0.99}])
def test_the_small_data_recipe_is_refused_for_the_vae(recipe):
    with pytest.raises(ValueError, match="GAN recipe"):
        tiny(model="vae", **recipe).validate()
    tiny(model="dcgan", **recipe).validate()  # still fine for a GAN


def test_the_train_tab_refuses_the_recipe_for_the_vae_and_draws_its_charts():
    import gradio as gr

    from ui import train_tab

    with pytest.raises(gr.Error, match="GAN recipe"):
        train_tab.make_config("fake", "vae", 8, 6, 8, 2e-4, 2e-4, 0, "cpu", 8, True)
    config = train_tab.make_config("fake", "vae", 8, 6, 8, 2e-4, 2e-4, 0, "cpu", 8, False)
    history = list(LiveTrainer(dataclasses.replace(config, report_every=2), FAKE).run())
    losses, kl = train_tab._charts(history)
    spec = json.loads(losses.plot)
    assert {row["series"] for row in spec["layer"][0]["data"]["values"]} == {"negative ELBO", "reconstruction"}
    assert "KL" in json.loads(kl.plot)["title"]
    text = train_tab._progress(history[-1], config.steps)
    assert "Negative ELBO" in text and "KL" in text and "D(real)" not in text and "Done." in text
    assert "vae" in train_tab.train_image_gan.__doc__ and "recon" in train_tab.train_image_gan.__doc__
    assert ("VAE (encoder + decoder, Kingma & Welling 2013)", "vae") in train_tab.MODEL_CHOICES


def test_api_trains_a_vae_then_generates_with_its_decoder(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="GAN recipe"):
        client.predict("fake", "vae", 8, 6, 8, 2e-4, 2e-4, 0, "cpu", 8, True, api_name="/train_image_gan")
    records = list(client.submit("fake", "vae", 8, 6, 8, 1e-3, 2e-4, 0, "cpu", 8, api_name="/train_image_gan"))
    last = records[-1]
    assert last["done"] and last["step"] == 6 and last["d_loss"] is None and last["recon"] > 0
    assert last["model_id"].startswith("trained-fake-vae-")
    image, info = client.predict(last["model_id"], 3, None, 1.0, {}, 4, api_name="/generate")
    assert info["model"] == last["model_id"] and info["d_prob"] == [None] * 4  # no discriminator to ask
    from PIL import Image

    assert Image.open(image).size[0] > 28


def test_train_tab_preview_is_real_test_images_one_column_per_class() -> None:
    import gradio as gr

    from ui import train_tab
    from ui.real_images import test_split

    grid = train_tab.real_preview("animal-mnist")
    rows, classes = train_tab.GRID_ROWS, 10
    assert grid.shape == (rows * 30 + 2, classes * 30 + 2, 1)  # 28 px tiles, 2 px padding
    test = test_split("animal-mnist")
    labels = torch.as_tensor(test.labels)
    for c in range(classes):  # every tile of column c is a real test image of class c
        tile = grid[2:30, 2 + 30 * c: 30 + 30 * c].transpose(2, 0, 1)
        matches = (test.images == torch.as_tensor(tile)).flatten(1).all(1).nonzero().flatten()
        assert len(matches) and (labels[matches] == c).all()
    assert train_tab.real_preview("mnist") is None or pathlib.Path("data/MNIST").is_dir()  # not fetched: None
    with pytest.raises(gr.Error, match="Unknown data set"):
        train_tab._preview("../etc")
    update, note = train_tab._preview("digits")
    assert update["label"] == train_tab.REAL_LABEL and "real images" in note
