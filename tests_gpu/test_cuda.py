"""Checks that need a CUDA device: run by `make gpu-check` (benchmarks/gpu_check.py), never by `make test`.

They live outside tests/ so that a CPU-only `make test` collects none of them (nothing is skipped there);
on a GPU machine they show that every trainer and the render path work on the device and agree with the CPU.
"""

from __future__ import annotations

import copy

import pytest
import torch

if not torch.cuda.is_available():  # the gpu-check script only runs this folder where CUDA exists
    pytest.exit("no CUDA device: these checks need a GPU machine", returncode=0)

from gan_models import registry  # noqa: E402
from gan_models.dcgan import DCGANConfig  # noqa: E402
from gan_models.kinds import build_pair  # noqa: E402
from gan_models.media import to_uint8  # noqa: E402
from training.augment import DiffAugment  # noqa: E402
from training.checkpoint import make_optimizers  # noqa: E402
from training.data import load_dataset  # noqa: E402
from training.live import LiveTrainConfig, LiveTrainer  # noqa: E402
from training.loop import Recipe, as_floats, make_ema, train_step  # noqa: E402
from training.sine import SineTrainConfig, SineTrainer  # noqa: E402

CUDA = torch.device("cuda")


def test_recipe_step_runs_on_the_device_and_records_stay_there() -> None:
    c = DCGANConfig(latent_dim=16, channels=3, image_size=32, base_channels=16, d_base_channels=16, num_classes=4,
                    class_names=list("abcd"), spectral_norm=True).validate()
    G, D = (m.to(CUDA) for m in build_pair(c))
    opt_g, opt_d = make_optimizers(G, D, 2e-4, 2e-4)
    recipe = Recipe("hinge", "color,translation,cutout", 0.999, True)
    ema, aug = make_ema(G, 0.999), DiffAugment(recipe.diffaugment, torch.Generator(device=CUDA).manual_seed(0))
    real = torch.rand(8, 3, 32, 32, device=CUDA) * 2 - 1
    rec = train_step(G, D, opt_g, opt_d, real, torch.randn(8, 16, device=CUDA), torch.arange(8, device=CUDA) % 4,
                     1, recipe, aug, ema)
    assert all(v.device.type == "cuda" for k, v in rec.items() if k != "step")
    assert all(torch.isfinite(torch.tensor(v)) for k, v in as_floats(rec).items() if k != "step")


def test_live_image_trainer_on_cuda_exports_cpu_models() -> None:
    trainer = LiveTrainer(LiveTrainConfig(dataset="digits", model="cdcgan", steps=20, batch_size=32, device="cuda",
                                          base_channels=8, latent_dim=8), load_dataset("digits"))
    records = list(trainer.run())
    assert records[-1].done and records[-1].grid is not None
    run = trainer.result()
    assert next(run.generator.parameters()).device.type == "cpu"


def test_sine_trainer_on_cuda() -> None:
    trainer = SineTrainer(SineTrainConfig(steps=200, device="cuda"))
    last = list(trainer.run())[-1]
    assert last.done


@pytest.mark.parametrize("model_id", ["cdcgan-digits", "dcgan-animals"])
def test_shipped_models_render_the_same_on_the_device(model_id: str) -> None:
    m = registry.load(model_id)
    c = m.config
    z = torch.randn(4, c.latent_dim, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(4) % c.num_classes if c.num_classes else None
    gpu_generator = copy.deepcopy(m.generator).to(CUDA)
    with torch.inference_mode():
        cpu = m.generator(z, labels)
        device_labels = None if labels is None else labels.to(CUDA)
        # cuDNN convolutions use TF32 by default on Ampere and later: off, the device computes what the CPU does
        with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
            exact = gpu_generator(z.to(CUDA), device_labels).cpu()
        default = gpu_generator(z.to(CUDA), device_labels).cpu()
    torch.testing.assert_close(exact, cpu, atol=1e-4, rtol=1e-3)
    # with TF32 (as a GPU Space runs) a pixel may land one uint8 level off, never more
    assert abs(to_uint8(default).astype(int) - to_uint8(cpu).astype(int)).max() <= 1
