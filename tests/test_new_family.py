"""The worked example of gan_models/kinds.py: a family defined only in this file (a two-layer MLP generator and
discriminator with their config) is registered, and the registry, render (models, generate, interpolate),
evaluation and the training CLI's --dry-run accept it with no change anywhere else."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import torch
import torch.nn as nn
from huggingface_hub import PyTorchModelHubMixin

from gan_models import kinds, registry, render
from gan_models.kinds import Kind


@dataclass
class TinyMLPConfig:
    kind: str = "tinymlp"
    latent_dim: int = 8
    image_size: int = 28
    channels: int = 1
    num_classes: int = 0
    class_names: list[str] = field(default_factory=list)
    dataset: str = ""
    hidden: int = 32

    @classmethod
    def from_dict(cls, data: dict) -> TinyMLPConfig:
        config = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        if config.num_classes or not 1 <= config.hidden <= 256 or config.image_size != 28:
            raise ValueError("tinymlp: unconditional, 28x28, hidden in 1..256")
        return config


class TinyMLPGenerator(nn.Module, PyTorchModelHubMixin):
    def __init__(self, config: TinyMLPConfig | dict) -> None:
        super().__init__()
        self.config = config if isinstance(config, TinyMLPConfig) else TinyMLPConfig.from_dict(config)
        c = self.config
        self.first = nn.Linear(c.latent_dim, c.hidden)  # [N, Z] -> [N, hidden]
        self.out = nn.Linear(c.hidden, c.channels * 28 * 28)  # [N, hidden] -> [N, C*28*28]

    def first_layer_features(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return torch.relu(self.first(z))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return torch.tanh(self.out(self.first_layer_features(z))).view(-1, self.config.channels, 28, 28)


class TinyMLPDiscriminator(nn.Module, PyTorchModelHubMixin):
    def __init__(self, config: TinyMLPConfig | dict) -> None:
        super().__init__()
        self.config = config if isinstance(config, TinyMLPConfig) else TinyMLPConfig.from_dict(config)
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(self.config.channels * 28 * 28, 16), nn.LeakyReLU(0.2),
                                 nn.Linear(16, 1))  # [N, C, 28, 28] -> [N, 1]

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).squeeze(1)


@pytest.fixture
def tinymlp():
    kinds.register_kind(Kind("tinymlp", TinyMLPConfig, TinyMLPGenerator, TinyMLPDiscriminator))
    yield
    kinds.unregister_kind("tinymlp")


def test_cli_dry_run_trains_and_exports_the_new_family(tmp_path, tinymlp) -> None:
    from training.train import main

    out = main(["--dry-run", "--model", "tinymlp", "--out", str(tmp_path / "m"), "--work-dir", str(tmp_path / "w"),
                "--latent-dim", "8", "--no-progress"])
    model = registry.load_from_folder(out)  # the kind named in config.json picks the classes
    assert model.kind == "tinymlp" and isinstance(model.generator, TinyMLPGenerator)
    assert isinstance(model.discriminator, TinyMLPDiscriminator)
    assert "python -m training.train" in (out / "README.md").read_text()


def test_render_and_evaluation_accept_the_new_family(tmp_path, tinymlp) -> None:
    from training.evaluate import main as evaluate

    torch.manual_seed(0)
    config = TinyMLPConfig(dataset="fake")
    TinyMLPGenerator(config).save_pretrained(tmp_path / "m")
    TinyMLPDiscriminator(config).save_pretrained(tmp_path / "m" / "discriminator")
    loaded = registry.load_from_folder(tmp_path / "m", model_id="tiny-mlp-family")
    registry.register(loaded)

    spec = render.model_spec(render.load_model("tiny-mlp-family"))
    assert spec["kind"] == "tinymlp" and spec["latent_dim"] == 8 and not spec["conditional"]
    image, info = render.generate("tiny-mlp-family", 3, None, 1.0, {}, 4)
    assert image.ndim == 3 and image.dtype.name == "uint8" and info.n == 4 and len(info.d_prob) == 4
    again, _ = render.generate("tiny-mlp-family", 3, None, 1.0, {}, 4)
    assert (image == again).all()
    frames = render.interpolation_frames("tiny-mlp-family", 1, 2, None, None, 6)
    assert frames.shape[0] == 6 and not (frames[0] == frames[-1]).all()
    moved, _ = render.generate("tiny-mlp-family", 3, None, 1.0, {"pc0": 3.0}, 1)  # a PCA direction of the family
    plain, _ = render.generate("tiny-mlp-family", 3, None, 1.0, {}, 1)
    assert not (moved == plain).all()

    result = evaluate([str(tmp_path / "m"), "--n", "100", "--classifier-dir", str(tmp_path / "clf"),
                       "--classifier-steps", "10", "--no-card"])
    assert result["class_match"] is None and result["frechet_generated_vs_test"] >= 0
