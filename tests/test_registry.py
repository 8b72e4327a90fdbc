"""Registry: shipped checkpoints, strict and safe loading, hostile inputs, Hub loading without network."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from gan_models import registry
from gan_models.conditional import ConditionalDiscriminator, ConditionalGenerator
from gan_models.dcgan import DCGANConfig, DCGANGenerator
from gan_models.registry import ModelLoadError, load_from_folder

SHIPPED = {"dcgan-animals", "cdcgan-animals", "cdcgan-digits", "cdcgan-emoji", "dcgan-emoji-faces", "infogan-digits",
           "mlpgan-animals", "mlpgan-digits", "vae-animals", "vae-digits", "lapgan-emoji", "infogan-emoji"}
# image-to-image models (the GAN family tab): input shape [C, H, W] of each
IMAGE_TO_IMAGE = {"srresnet-emoji": (3, 8, 8), "srgan-emoji": (3, 8, 8), "pix2pix-sketch": (1, 32, 32),
                  "cyclegan-emoji": (3, 32, 32)}
WITHOUT_D = {"vae-animals", "vae-digits", "srresnet-emoji"}  # a VAE has an encoder; SRResNet is trained on L1 only
REPO = Path(__file__).resolve().parent.parent


def tiny_folder(path: Path, num_classes: int = 3, with_d: bool = True) -> Path:
    torch.manual_seed(0)
    c = DCGANConfig(latent_dim=8, base_channels=4, d_base_channels=4, num_classes=num_classes,
                    class_names=[f"c{i}" for i in range(num_classes)], embed_dim=4)
    G = ConditionalGenerator(c) if num_classes else DCGANGenerator(c)
    G.save_pretrained(path)
    if with_d and num_classes:
        ConditionalDiscriminator(c).save_pretrained(path / "discriminator")
    return path


# ---------------------------------------------------------------------------------------------
# Shipped checkpoints
# ---------------------------------------------------------------------------------------------


def test_list_models_lists_the_shipped_checkpoints() -> None:
    models = {m["id"]: m for m in registry.list_models()}
    assert SHIPPED <= set(models)
    assert registry.list_models()[0]["id"] == registry.DEFAULT_MODEL_ID
    assert models["dcgan-animals"]["kind"] == "dcgan" and models["dcgan-animals"]["classes"] == []
    assert models["cdcgan-animals"]["kind"] == "cdcgan" and "zebra" in models["cdcgan-animals"]["classes"]
    assert models["cdcgan-digits"]["classes"] == [str(d) for d in range(10)]
    for m in models.values():
        assert {"id", "kind", "latent_dim", "image_size", "channels", "classes", "source"} <= set(m)


@pytest.mark.parametrize("model_id", sorted(SHIPPED))
def test_shipped_checkpoint_loads_and_generates_deterministically(model_id: str) -> None:
    m = registry.load(model_id)
    assert registry.load(model_id) is m  # cached: loaded once
    assert m.kind == m.config.kind and (m.discriminator is None) == (model_id in WITHOUT_D)
    assert not m.generator.training and not next(m.generator.parameters()).requires_grad
    c = m.config
    n = 4
    labels = torch.arange(n) % c.num_classes if c.num_classes else None

    def images(seed: int) -> torch.Tensor:
        z = torch.randn(n, c.latent_dim, generator=torch.Generator().manual_seed(seed))
        with torch.inference_mode():
            return m.generator(z, labels)

    x = images(7)
    assert x.shape == (n, c.channels, c.image_size, c.image_size) and x.dtype == torch.float32
    assert torch.equal(x, images(7)) and not torch.equal(x, images(8))
    with torch.inference_mode():
        assert m.discriminator is None or m.discriminator(x, labels).shape == (n,)
        assert m.generator.first_layer_features(torch.zeros(n, c.latent_dim), labels).shape[0] == n


@pytest.mark.parametrize("model_id", sorted(IMAGE_TO_IMAGE))
def test_shipped_image_to_image_model_loads_and_is_deterministic(model_id: str) -> None:
    m = registry.load(model_id)
    assert (m.discriminator is None) == (model_id in WITHOUT_D)
    x = torch.rand(2, *IMAGE_TO_IMAGE[model_id], generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.inference_mode():
        y = m.generator(x)
        assert y.shape == (2, 3, 32, 32) and torch.equal(y, m.generator(x))
    assert model_id not in {e["id"] for e in registry.list_models()}  # Explore lists generators of z only
    assert model_id in {e["id"] for e in registry.list_models(task=None)}


def test_checkpoints_size_budget() -> None:
    for folder in (REPO / "checkpoints").iterdir():
        if folder.is_dir():
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            assert size < 10 * 2**20, f"{folder.name} is {size / 2**20:.1f} MB (budget 10 MB)"
    for model_id in SHIPPED | set(IMAGE_TO_IMAGE):
        names = {p.name for p in (REPO / "checkpoints" / model_id).iterdir()}
        assert {"config.json", "model.safetensors", "README.md", "samples.png", "eval.json", "training.json"} <= names
        assert ("discriminator" in names) == (model_id not in WITHOUT_D)
        assert "samples" not in names and "state.pt" not in names  # working files stay out of git


# ---------------------------------------------------------------------------------------------
# Ids and hostile folders
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["../../etc/passwd", "/etc/passwd", "..", "org/..", "a/b/c", "", "   ", "~/x", "C:\\x", "org/name@../x",
            "classifiers", "no-such-model", None, 3],
)
def test_bad_ids_are_refused(bad: object) -> None:
    with pytest.raises(ModelLoadError):
        registry.load(bad)  # type: ignore[arg-type]


def test_valid_hub_ids_parse() -> None:
    assert registry.parse_model_id("org/dcgan-animals") == ("hub", "org/dcgan-animals", None)
    assert registry.parse_model_id("Org.x/name_1@v1.0") == ("hub", "Org.x/name_1", "v1.0")


def test_local_folder_round_trip(tmp_path) -> None:
    m = load_from_folder(tiny_folder(tmp_path / "m"))
    assert m.kind == "cdcgan" and m.class_names == ["c0", "c1", "c2"] and m.discriminator is not None
    assert m.generator(torch.zeros(2, 8), torch.tensor([0, 2])).shape == (2, 1, 28, 28)


def test_missing_safetensors_is_refused_even_with_a_pickle(tmp_path) -> None:
    folder = tiny_folder(tmp_path / "m", with_d=False)
    state = torch.load  # noqa: F841 - the point: nothing below may call torch.load
    (folder / "model.safetensors").unlink()
    torch.save({"x": torch.zeros(1)}, folder / "pytorch_model.bin")
    with pytest.raises(ModelLoadError, match=r"model\.safetensors is missing.*never loaded"):
        load_from_folder(folder)


def test_mixin_pickle_fallback_is_closed(tmp_path) -> None:
    with pytest.raises(ValueError, match="refusing"):
        DCGANGenerator._load_as_pickle(None, "pytorch_model.bin", "cpu", True)


@pytest.mark.parametrize("patch", [{"latent_dim": 10**9}, {"image_size": 4096}, {"channels": 7},
                                   {"num_classes": -1}, {"base_channels": "wide"}])
def test_absurd_config_is_refused_before_building(tmp_path, patch: dict) -> None:
    folder = tiny_folder(tmp_path / "m", with_d=False)
    cfg = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**cfg, **patch}))
    with pytest.raises(ModelLoadError, match="Invalid model config"):
        load_from_folder(folder)


def test_shape_mismatch_is_reported_as_such(tmp_path) -> None:
    folder = tiny_folder(tmp_path / "m", with_d=False)
    cfg = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**cfg, "latent_dim": 9}))
    with pytest.raises(ModelLoadError, match="shape mismatch"):
        load_from_folder(folder)


def test_missing_and_extra_tensors_are_named(tmp_path) -> None:
    folder = tiny_folder(tmp_path / "m", with_d=False)
    save_file({"evil": torch.zeros(1)}, str(folder / "model.safetensors"))
    with pytest.raises(ModelLoadError, match="missing tensors.*unexpected tensors"):
        load_from_folder(folder)


def test_garbage_files_give_clear_errors(tmp_path) -> None:
    folder = tiny_folder(tmp_path / "m", with_d=False)
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelLoadError, match="not a readable safetensors"):
        load_from_folder(folder)
    (folder / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="Invalid model config"):
        load_from_folder(folder)
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_from_folder(tmp_path / "nope")


def test_discriminator_must_match_generator(tmp_path) -> None:
    folder = tiny_folder(tmp_path / "m")
    cfg = json.loads((folder / "discriminator" / "config.json").read_text())
    cfg.update(num_classes=2, class_names=["a", "b"])
    (folder / "discriminator" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match="discriminator config num_classes"):
        load_from_folder(folder)


# ---------------------------------------------------------------------------------------------
# Hub loading without network: a hand-made cache in offline mode
# ---------------------------------------------------------------------------------------------

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def offline_hub(tmp_path, monkeypatch) -> Path:
    """An HF cache holding models--org--tiny-cgan (refs/main -> snapshot) and offline mode switched on."""
    import huggingface_hub.constants as hf_constants

    cache = tmp_path / "hub"
    repo = cache / "models--org--tiny-cgan"
    tiny_folder(repo / "snapshots" / COMMIT)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(COMMIT)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    registry.clear_cache()
    yield repo
    registry.clear_cache()


def test_hub_repo_loads_from_cache_offline(offline_hub) -> None:
    m = registry.load("org/tiny-cgan")
    assert m.id == "org/tiny-cgan" and m.kind == "cdcgan" and m.discriminator is not None
    assert registry.load(f"org/tiny-cgan@{COMMIT}").generator(torch.zeros(1, 8), torch.tensor([1])).shape == (
        1, 1, 28, 28)


def test_hub_offline_uncached_repo_is_explained(offline_hub) -> None:
    with pytest.raises(ModelLoadError, match="no network connection"):
        registry.load("org/not-cached")


def test_hub_repo_without_safetensors_is_refused(offline_hub) -> None:
    snap = offline_hub / "snapshots" / COMMIT
    (snap / "model.safetensors").unlink()
    torch.save({}, snap / "pytorch_model.bin")
    shutil.rmtree(snap / "discriminator")
    with pytest.raises(ModelLoadError, match="model.safetensors"):
        registry.load("org/tiny-cgan")


# ---------------------------------------------------------------------------------------------
# Locks and cache: one slow Hub download holds up nobody else; the cache is bounded
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def fake_hub(tmp_path, monkeypatch):
    """_download_hub replaced by a local folder per repo; 'org/slow' waits until the test releases it."""
    import threading

    release, started, calls = threading.Event(), threading.Event(), []

    def download(repo: str, revision: str | None) -> Path:
        calls.append((repo, revision))
        if repo == "org/slow":
            started.set()
            assert release.wait(30), "the test never released the slow download"
        folder = tmp_path / repo.replace("/", "--")
        return folder if folder.exists() else tiny_folder(folder)

    monkeypatch.setattr(registry, "_download_hub", download)
    registry.clear_cache()
    yield release, started, calls
    release.set()
    registry.clear_cache()


def test_a_slow_download_does_not_block_other_models(fake_hub) -> None:
    import threading

    release, started, _ = fake_hub
    result: dict = {}
    slow = threading.Thread(target=lambda: result.update(m=registry.load("org/slow")))
    slow.start()
    assert started.wait(30)
    # While org/slow is still downloading, a shipped model loads and renders, and another Hub id loads.
    shipped = registry.load("cdcgan-digits")
    with torch.inference_mode():
        assert shipped.generator(torch.zeros(1, shipped.config.latent_dim), torch.tensor([3])).shape == (1, 1, 28, 28)
    assert registry.load("org/other").id == "org/other"
    assert slow.is_alive() and "m" not in result
    release.set()
    slow.join(30)
    assert result["m"].id == "org/slow"


def test_cache_is_keyed_by_resolved_revision_and_bounded(fake_hub, monkeypatch) -> None:
    _, _, calls = fake_hub
    release = fake_hub[0]
    release.set()
    a = registry.load("org/tiny")
    assert registry.load("org/tiny@main") is a and registry.load(" org/tiny ") is a  # one key, one download
    assert calls.count(("org/tiny", None)) == 1 and ("org/tiny", "main") not in calls
    monkeypatch.setattr(registry, "MAX_CACHED", 3)
    for i in range(5):
        registry.load(f"org/m{i}")
    assert len(registry._cache) == 3 and "org/tiny@main" not in registry._cache
    assert not registry._load_locks  # no lock is left behind, after failures either
    with pytest.raises(ModelLoadError):
        registry.load("no-such-model")
    assert not registry._load_locks


def test_half_precision_weights_load_as_float32_with_the_same_images(tmp_path) -> None:
    from training.checkpoint import halve_weights

    folder = tiny_folder(tmp_path / "m")
    before = load_from_folder(folder)
    size = (folder / "model.safetensors").stat().st_size
    assert halve_weights(folder) < 0.6 * size
    after = load_from_folder(folder)
    assert next(after.generator.parameters()).dtype == torch.float32
    z, labels = torch.randn(2, 8, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 2])
    with torch.inference_mode():
        torch.testing.assert_close(after.generator(z, labels), before.generator(z, labels), atol=2e-2, rtol=0)


def test_spectral_norm_is_baked_into_plain_weights_with_the_same_verdicts() -> None:
    """The shipped emoji D is spectrally normalised; loaded for the app it holds plain weights (no W / sigma
    on every render) and gives exactly what the parametrised network gives in eval mode."""
    from torch.nn.utils import parametrize

    from gan_models.kinds import config_from_dict, kind_of

    folder = Path("checkpoints/cdcgan-emoji")
    loaded = load_from_folder(folder).discriminator
    assert loaded is not None
    assert not any(parametrize.is_parametrized(m) for m in loaded.modules())
    d_config = config_from_dict(json.loads((folder / "discriminator" / "config.json").read_text()))
    assert d_config.spectral_norm
    reference = kind_of(d_config.kind).discriminator(d_config)
    assert any(parametrize.is_parametrized(m) for m in reference.modules())
    registry.load_weights(reference, folder / "discriminator", "discriminator")
    reference.float().eval()
    images = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    labels = torch.arange(4) % len(d_config.class_names)
    with torch.inference_mode():
        torch.testing.assert_close(loaded(images, labels), reference(images, labels), atol=1e-6, rtol=0)


def test_loaded_networks_hold_channels_last_weights_and_draw_the_same_images() -> None:
    """The app's copy of a generator keeps its 4-D weights in NHWC (faster oneDNN convolutions) and draws
    what the plain contiguous network draws, up to float rounding."""
    from gan_models.kinds import build_pair

    folder = Path("checkpoints/cdcgan-emoji")
    loaded = load_from_folder(folder).generator
    assert all(p.is_contiguous(memory_format=torch.channels_last) for p in loaded.parameters() if p.dim() == 4)
    config = registry.read_config(folder)
    reference, _ = build_pair(config)
    registry.load_weights(reference, folder, "generator")
    reference.float().eval()
    assert not all(p.is_contiguous(memory_format=torch.channels_last) for p in reference.parameters() if p.dim() == 4)
    z = torch.randn(4, config.latent_dim, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(4) % len(config.class_names)
    with torch.inference_mode():
        torch.testing.assert_close(loaded(z, labels), reference(z, labels), atol=1e-5, rtol=0)
