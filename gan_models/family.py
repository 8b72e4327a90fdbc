"""The GAN family tab's computations: the vanilla GAN beside a DCGAN, a VAE beside a GAN, a LAPGAN's pyramid
level by level, 4x super-resolution (bicubic, SRResNet, SRGAN) scored with PSNR and SSIM, sketch -> emoji
(pix2pix, and Twemoji -> Noto with pairs), Twemoji <-> Noto without pairs (CycleGAN, A -> B -> A with its cycle
error) and text to image (GAN-CLS + GAN-INT: a phrase's images, and the images between two phrases).

Pure: model ids, seeds and image tensors in; typed results (tensors in [-1, 1]) and uint8 display images out.
No gradio, no datasets (the caller passes real images in, so this module never imports training). Inputs are
validated where they enter, each refusal a short ValueError. Every seed becomes its noise through a local
torch.Generator (gan_models.latent), so the global RNG is never touched and a seed always draws the same.

Models load through `load(model_id)`: the registry's strict loader, cached by the folder's file stamps, so a
checkpoint re-exported by a running training is picked up on the next call, and a snapshot caught half
written answers with a message (or keeps serving the last good copy) instead of failing.
"""

from __future__ import annotations

import json
import math
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from gan_models import latent as L
from gan_models import registry
from gan_models.lapgan import SIZES
from gan_models.srgan import bicubic, downscale

SR_SIZE = 32  # the high-resolution side; the network's input is SR_SIZE // 4
MAX_SAMPLES = 16
INTERPOLATION_FRAMES = 8
RECONSTRUCTIONS = 8
RESIDUAL_GAIN = 4.0  # residuals are small: shown as RESIDUAL_GAIN x residual around mid-grey (0 = no change)
TILE_PX = 128  # every LAPGAN / SR tile is shown this many pixels wide, whatever its resolution
MAX_EVAL_BYTES = 64 * 1024


@dataclass(frozen=True)
class Family:
    key: str
    title: str
    paper: str
    history: str


FAMILIES: dict[str, Family] = {f.key: f for f in (
    Family("vanilla", "Vanilla GAN", "Goodfellow et al. 2014, *Generative Adversarial Nets* (NeurIPS)",
           "Two networks trained against each other: a generator turns noise into images and a discriminator "
           "tells them from real ones, so a model learns to sample without ever writing down a likelihood. The "
           "original networks were fully connected: every output pixel has its own weights, so a stroke must be "
           "learned again at every position. A DCGAN (Radford et al. 2015) of about the same size and step budget "
           "shares its filters across the image: that is why convolutions won."),
    Family("vae", "Variational autoencoder", "Kingma & Welling 2013, *Auto-Encoding Variational Bayes* (ICLR 2014)",
           "An encoder maps an image to a distribution over z and a decoder maps z back; training maximises a "
           "bound on the likelihood (reconstruction plus a KL term that keeps z close to N(0, I)), so it is "
           "stable and comes with an encoder. Because every training image must be reconstructed, a VAE covers "
           "every mode; because its pixel likelihood averages over plausible images, its samples are blurry. A "
           "GAN is the opposite trade: sharp samples, modes at risk."),
    Family("lapgan", "LAPGAN", "Denton et al. 2015, *Deep Generative Image Models using a Laplacian Pyramid of "
           "Adversarial Networks* (NeurIPS)",
           "Early GANs failed at higher resolutions, so LAPGAN splits the image into a Laplacian pyramid: one GAN "
           "draws a coarse 8x8 image, and each finer level's conditional GAN upsamples it and draws only the "
           "missing detail (the residual). Each level is a small, easier problem and trains on its own; coarse "
           "noise decides the layout, fine noise the texture."),
    Family("superres", "SRGAN", "Ledig et al. 2017, *Photo-Realistic Single Image Super-Resolution Using a "
           "Generative Adversarial Network* (CVPR)",
           "A super-resolution network trained on a pixel loss (SRResNet) predicts the average of every "
           "high-resolution image that fits the input: good PSNR, smooth texture. SRGAN adds a discriminator, "
           "which pulls the output towards images that look real: sharper, often at a lower PSNR. The paper's "
           "VGG content loss is left out here (its weights cannot be downloaded): L1 plus the adversarial term."),
    Family("pix2pix", "pix2pix", "Isola et al. 2017, *Image-to-Image Translation with Conditional Adversarial "
           "Networks* (CVPR)",
           "A conditional GAN whose condition is a whole image: a U-Net generator maps the input (here a line "
           "sketch) to the output, its skip connections carrying the layout straight through, and a PatchGAN "
           "discriminator judges (input, output) pairs patch by patch. An L1 term ties the output to the real "
           "target; the adversarial term keeps it from the blurry average that L1 alone gives. It needs pairs: "
           "every training sketch here was derived from its emoji (Canny edges, thickened like brush strokes). "
           "The second model translates Twemoji drawings into Noto's style, trained on the same emoji drawn by "
           "both vendors: pairs that CycleGAN (next card) has to do without."),
    Family("cyclegan", "CycleGAN", "Zhu et al. 2017, *Unpaired Image-to-Image Translation using Cycle-Consistent "
           "Adversarial Networks* (ICCV)",
           "Most styles come without pairs: nobody draws the same picture twice. CycleGAN trains two translators, "
           "A -> B and B -> A, each against a discriminator of its target style, and asks that going there and "
           "back returns the input (cycle consistency), which stops a translator from mapping every input to one "
           "convincing output. Here A is Twemoji and B is Noto, trained on disjoint halves of the code points, so "
           "no pair was ever seen; emoji held out of training, drawn by both vendors, score the translation."),
    Family("text", "Text to image", "Reed et al. 2016, *Generative Adversarial Text to Image Synthesis* (ICML)",
           "The condition becomes a sentence: a text encoder turns a caption into an embedding and the generator "
           "draws from noise and that embedding. GAN-CLS makes the discriminator matching-aware: besides real and "
           "fake images it sees real images with the wrong caption, so it judges whether the image fits the "
           "text, not only whether it looks real. GAN-INT also trains the generator on mixtures of two captions' "
           "embeddings, so the space between captions draws something too. Here the captions are emoji names, "
           "read as a bag of words by an encoder trained with the GAN (no pretrained text model)."),
)}

# The shipped models of each card, by data set.
DATASETS = {"animals": "animal-mnist", "digits": "digits"}  # the card's choice -> training.data's name
VANILLA = {"animals": ("mlpgan-animals", "dcgan-animals"), "digits": ("mlpgan-digits", "cdcgan-digits")}
VAE_PAIRS = {"animals": ("vae-animals", "dcgan-animals"), "digits": ("vae-digits", "cdcgan-digits")}
LAPGAN_ID = "lapgan-emoji"
SR_IDS = {"SRResNet": "srresnet-emoji", "SRGAN": "srgan-emoji"}
SR_DATASET = "emoji"
PIX2PIX_ID, SKETCH_DATASET = "pix2pix-sketch", "emoji-sketch"
# One pix2pix for both styles: the sketch plus a constant plane naming the vendor to draw like.
STYLED_PIX2PIX_ID = "pix2pix-sketch-vendor"
STYLES = {"noto": 1.0, "twemoji": -1.0}
CYCLEGAN_ID, STYLES_DATASET = "cyclegan-emoji", "emoji-styles"
# Paired Twemoji -> Noto (pix2pix): inputs Twemoji, images Noto; its test split is the held-out code points.
PAIRED_ID, PAIRED_DATASET = "pix2pix-twemoji-noto", "emoji-twemoji-noto"
TEXT_ID = "textgan-emoji"
MAX_PHRASE = 200  # characters; a longer phrase is refused before it is read
MAX_WORDS_SHOWN = 3  # unknown words named in one refusal (the words line names up to 8)
MAX_WORD_SHOWN = 24  # characters of one unknown word shown in a message
TEXT_SAMPLES = 8
# A = Twemoji (emoji-styles' inputs), B = Noto (its images); each direction -> (from style, to style).
DIRECTIONS = {"a2b": ("Twemoji", "Noto"), "b2a": ("Noto", "Twemoji")}
# Kinds each role accepts: a folder of another kind under one of these ids is refused, not mis-drawn.
GAN_KINDS = ("dcgan", "cdcgan")
FOLDERS: dict[str, Path] = {}  # id -> folder, overriding checkpoints/<id> (tests point ids at tiny models)


class ModelUnavailable(ValueError):
    """A card's model cannot be loaded right now (not trained yet, or a snapshot caught half written)."""


def family(key: object) -> Family:
    if not isinstance(key, str) or key not in FAMILIES:
        raise ValueError(f"Unknown family {L.shown(key)}: choose one of {', '.join(FAMILIES)}.")
    return FAMILIES[key]


def check_dataset(name: object) -> str:
    if not isinstance(name, str) or name.strip().lower() not in DATASETS:
        raise ValueError(f"Unknown data set {L.shown(name)}: choose one of {', '.join(DATASETS)}.")
    return name.strip().lower()


# ---------------------------------------------------------------------------------------------
# Models: loaded by file stamp, so a re-exported snapshot is picked up and a broken one refused
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    stamp: tuple
    model: registry.LoadedModel


_models: dict[str, _Entry] = {}
_lock = threading.Lock()


def folder_of(model_id: str) -> Path:
    return FOLDERS.get(model_id) or registry.CHECKPOINTS_DIR / model_id


def _stamp(folder: Path) -> tuple:
    """What changes when a training re-exports the folder: each file's size and modification time."""
    out = []
    for name in (registry.CONFIG_NAME, registry.WEIGHTS_NAME):
        try:
            st = (folder / name).stat()
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


@dataclass(frozen=True)
class Loaded:
    model: registry.LoadedModel
    note: str | None  # set when an older copy is served because the newest one could not be read


def load(model_id: str, kinds: Sequence[str]) -> Loaded:
    """The card's model `model_id` (one of `kinds`), fresh from its folder whenever the files changed."""
    if not isinstance(model_id, str) or model_id not in FOLDERS and registry.parse_model_id(model_id)[0] != "local":
        raise ValueError(f"Unknown model {L.shown(model_id)}.")
    folder = folder_of(model_id)
    stamp = _stamp(folder)
    with _lock:
        entry = _models.get(model_id)
    if entry is not None and entry.stamp == stamp:
        return Loaded(entry.model, None)
    try:
        if stamp[0] is None or stamp[1] is None:
            raise registry.ModelLoadError("it has not been exported yet")
        model = registry.load_from_folder(folder, model_id=model_id)
    except registry.ModelLoadError as error:
        if entry is not None:  # a snapshot being written: keep serving the last good one
            return Loaded(entry.model, f"{model_id}: a newer snapshot could not be read yet, showing the previous one.")
        reason = " ".join(str(error).replace(str(folder), model_id).split())
        reason = reason if len(reason) <= 100 else reason[:99] + "…"
        raise ModelUnavailable(f"{model_id} is not available right now ({reason.rstrip('.')}); a training may "
                               "still be writing it: try again in a minute.") from None
    if model.kind not in kinds:
        raise ModelUnavailable(f"{model_id} is a {model.kind} model, expected {' or '.join(kinds)}.")
    if _stamp(folder) == stamp:  # only a copy read from unchanged files is kept
        with _lock:
            _models[model_id] = _Entry(stamp, model)
    return Loaded(model, None)


def clear_cache() -> None:
    with _lock:
        _models.clear()


def parameter_count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@dataclass(frozen=True)
class Quality:
    """A model's numbers from its eval.json (None where not measured)."""

    frechet: float | None  # classifier-feature Frechet distance, generated vs test
    floor: float | None  # the same distance, train vs test: what a perfect model would score
    coverage: float | None  # share of test images with a generated neighbour (Naeem et al. 2020)
    density: float | None
    classes_drawn: int | None  # classes the classifier finds in at least 2% of the samples
    classes: int | None
    smallest_class_share: float | None

    @property
    def ratio(self) -> float | None:
        return None if self.frechet is None or not self.floor else self.frechet / self.floor


def training_steps(model_id: str) -> int | None:
    """Steps the checkpoint was trained for, from its training.json (None when not recorded)."""
    path = folder_of(model_id) / "training.json"
    try:
        if path.stat().st_size > MAX_EVAL_BYTES:
            return None
        steps = json.loads(path.read_text(encoding="utf-8")).get("steps")
    except (OSError, ValueError, AttributeError):
        return None
    return steps if isinstance(steps, int) and not isinstance(steps, bool) and steps >= 0 else None


def _number(data: dict, key: str) -> float | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def quality(model_id: str) -> Quality:
    """The model folder's eval.json, read defensively (missing or odd values become None)."""
    path = folder_of(model_id) / "eval.json"
    data: dict = {}
    try:
        if path.stat().st_size <= MAX_EVAL_BYTES:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            data = loaded if isinstance(loaded, dict) else {}
    except (OSError, ValueError):
        pass
    hist = data.get("class_histogram")
    shares = [float(v) for v in hist.values() if isinstance(v, int | float) and not isinstance(v, bool)] if (
        isinstance(hist, dict)) else []
    return Quality(_number(data, "frechet_generated_vs_test"), _number(data, "frechet_train_vs_test"),
                   _number(data, "coverage"), _number(data, "density"),
                   sum(s >= 0.02 for s in shares) if shares else None, len(shares) or None,
                   min(shares) if shares else None)


# ---------------------------------------------------------------------------------------------
# Display helpers
# ---------------------------------------------------------------------------------------------


def row_image(images: torch.Tensor, px: int | None = None, pad: int = 4) -> np.ndarray:
    """[N, C, s, s] in [-1, 1] -> one uint8 row, each tile nearest-upscaled to about `px` pixels (default:
    a factor that keeps 28-32 px tiles crisp)."""
    tiles = L.to_uint8(images)
    factor = max(1, round((px or 96) / tiles.shape[1]))
    tiles = np.repeat(np.repeat(tiles, factor, axis=1), factor, axis=2)
    return L.for_display(L.make_grid(tiles, nrow=tiles.shape[0], pad=pad))


def rows_image(rows: Sequence[torch.Tensor], px: int | None = None) -> np.ndarray:
    """Several equally long rows of tiles stacked into one image (e.g. real above reconstruction)."""
    return np.concatenate([row_image(r, px) for r in rows], axis=0)


def _labels_for(model: registry.LoadedModel, seeds: Sequence[int]) -> torch.Tensor | None:
    """A conditional GAN beside an unconditional model: sample i draws class (seed_i mod classes)."""
    k = len(model.class_names or [])
    return torch.tensor([s % k for s in seeds], dtype=torch.long) if k else None


def _draw(model: registry.LoadedModel, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    return model.generator(z, labels).float().clamp(-1, 1)


# ---------------------------------------------------------------------------------------------
# Card 1: the vanilla GAN beside a DCGAN
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Samples:
    model_id: str
    kind: str
    images: torch.Tensor  # [n, C, H, W] in [-1, 1]
    parameters: int
    quality: Quality
    conditional: bool
    steps: int | None = None  # training steps (training.json)
    note: str | None = None


@dataclass(frozen=True)
class VanillaResult:
    dataset: str
    seeds: list[int]
    mlp: Samples
    dcgan: Samples


def check_n(n: object) -> int:
    return L.whole("Number of samples", n, 1, MAX_SAMPLES)


def _samples(model_id: str, kinds: Sequence[str], seeds: list[int]) -> Samples:
    loaded = load(model_id, kinds)
    model = loaded.model
    z = torch.cat([L.z_from_seed(s, int(model.config.latent_dim)) for s in seeds])
    images = _draw(model, z, _labels_for(model, seeds))
    return Samples(model_id, model.kind, images, parameter_count(model.generator), quality(model_id),
                   bool(model.class_names), training_steps(model_id), loaded.note)


def _seeds(seed: object, n: int) -> list[int]:
    first = L.check_seed(seed)
    return [(first + i) % (L.MAX_SEED + 1) for i in range(n)]


@torch.inference_mode()
def vanilla(dataset: object, seed: object, n: object = 8) -> VanillaResult:
    """n samples (seeds seed..seed+n-1) of the vanilla (MLP) GAN and of the DCGAN on the same data."""
    name = check_dataset(dataset)
    seeds = _seeds(seed, check_n(n))
    mlp_id, dcgan_id = VANILLA[name]
    return VanillaResult(name, seeds, _samples(mlp_id, ("mlpgan",), seeds), _samples(dcgan_id, GAN_KINDS, seeds))


# ---------------------------------------------------------------------------------------------
# Card 2: the VAE beside a GAN
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VAEResult:
    dataset: str
    seed: int
    seed_b: int
    vae: Samples
    gan: Samples
    test_indices: list[int]
    real: torch.Tensor  # [R, C, H, W] test images in [-1, 1]
    reconstructed: torch.Tensor  # [R, C, H, W]: the VAE's decoding of each one's posterior mean
    reconstruction_mse: float  # mean squared error on [0, 1] pixels
    vae_path: torch.Tensor  # [F, C, H, W]: slerp from seed to seed_b through the VAE's decoder
    gan_path: torch.Tensor  # [F, C, H, W]: the same seeds through the GAN


def check_test_images(images: object, channels: int, size: int) -> torch.Tensor:
    """Real images as uint8 [N, C, H, W] (a data set's test split) or float in [-1, 1] -> float in [-1, 1]."""
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[0] < 1 or tuple(
            images.shape[1:]) != (channels, size, size):
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"Real images must be a tensor [N, {channels}, {size}, {size}], got {shape}.")
    if images.dtype == torch.uint8:
        return images.float() / 127.5 - 1.0
    if not images.is_floating_point() or not torch.isfinite(images).all():
        raise ValueError("Real images must be uint8 or finite floats in [-1, 1].")
    return images.float().clamp(-1, 1)


@torch.inference_mode()
def vae_panel(dataset: object, seed: object, seed_b: object, test_images: torch.Tensor,
              n: object = 8, frames: object = INTERPOLATION_FRAMES) -> VAEResult:
    """VAE and GAN samples for the same seeds, the VAE's reconstructions of RECONSTRUCTIONS test images
    (picked by `seed`), and a slerp from `seed` to `seed_b` through both."""
    name = check_dataset(dataset)
    count = check_n(n)
    seeds = _seeds(seed, count)
    end = L.check_seed(seed_b)
    steps = L.whole("Frames", frames, 2, 32)
    vae_id, gan_id = VAE_PAIRS[name]
    vae_samples, gan_samples = _samples(vae_id, ("vae",), seeds), _samples(gan_id, GAN_KINDS, seeds)
    vae_model, gan_model = load(vae_id, ("vae",)).model, load(gan_id, GAN_KINDS).model

    cfg = vae_model.config
    real_all = check_test_images(test_images, int(cfg.channels), int(cfg.image_size))
    pick = torch.randperm(real_all.shape[0], generator=torch.Generator().manual_seed(seeds[0]))
    indices = sorted(int(i) for i in pick[:RECONSTRUCTIONS])
    real = real_all[indices]
    recon = vae_model.generator.reconstruct(real).float().clamp(-1, 1)
    mse = float(((recon - real) / 2).square().mean())

    def path(model: registry.LoadedModel) -> torch.Tensor:
        d = int(model.config.latent_dim)
        zs = L.interpolation_path(L.z_from_seed(seeds[0], d), L.z_from_seed(end, d), steps, "slerp")
        labels = _labels_for(model, [seeds[0]] * steps)  # a conditional GAN keeps seed A's class
        return _draw(model, zs, labels)

    return VAEResult(name, seeds[0], end, vae_samples, gan_samples, indices, real, recon, mse,
                     path(vae_model), path(gan_model))


# ---------------------------------------------------------------------------------------------
# Card 3: LAPGAN, level by level
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    index: int
    size: int
    seed: int
    given: torch.Tensor | None  # [1, 3, s, s]: the coarser output upsampled (None at level 0)
    residual: torch.Tensor | None  # [1, 3, s, s]: what this level drew (None at level 0)
    output: torch.Tensor  # [1, 3, s, s] in [-1, 1]

    @property
    def residual_display(self) -> torch.Tensor | None:
        """The residual around mid-grey, RESIDUAL_GAIN times amplified, in [-1, 1]."""
        return None if self.residual is None else (RESIDUAL_GAIN * self.residual).clamp(-1, 1)

    @property
    def residual_rms(self) -> float | None:
        return None if self.residual is None else float(self.residual.square().mean().sqrt())


@dataclass(frozen=True)
class LAPGANResult:
    model_id: str
    label: int
    class_name: str
    seeds: list[int]
    levels: list[Level]
    note: str | None = None


def pyramid_z(seeds: Sequence[int], noise_dims: Sequence[int]) -> torch.Tensor:
    """[1, sum(noise_dims)]: level k's block drawn from its own torch.Generator seeded with seeds[k]."""
    blocks = [torch.randn(d, generator=torch.Generator().manual_seed(s), dtype=torch.float64)
              for s, d in zip(seeds, noise_dims, strict=True)]
    return torch.cat(blocks).float()[None]


def check_level_seeds(seeds: object) -> list[int]:
    if not isinstance(seeds, list | tuple) or len(seeds) != len(SIZES):
        raise ValueError(f"LAPGAN needs one seed per level ({len(SIZES)}: {', '.join(f'{s}x{s}' for s in SIZES)}), "
                         f"got {L.shown(seeds)}.")
    out = []
    for k, s in enumerate(seeds):
        try:
            out.append(L.check_seed(s))
        except ValueError as error:
            raise ValueError(f"Level {k} ({SIZES[k]}x{SIZES[k]}): {error}") from None
    return out


def resolve_label(model: registry.LoadedModel, label: object) -> int:
    classes = list(model.class_names or [])
    if label is None or isinstance(label, str) and not label.strip():
        return 0
    if isinstance(label, str) and label.strip().lower() in [c.lower() for c in classes]:
        return [c.lower() for c in classes].index(label.strip().lower())
    try:
        return L.whole("Class", label, 0, len(classes) - 1)
    except ValueError:
        names = ", ".join(classes)
        raise ValueError(f"Class {L.shown(label)} is not one of {model.id}'s classes: "
                         f"{names if len(names) <= 80 else names[:80] + '…'}.") from None


@torch.inference_mode()
def lapgan(label: object, seeds: object, model_id: str = LAPGAN_ID) -> LAPGANResult:
    """One sample of the pyramid for a class and one seed per level, with each level's input and residual."""
    level_seeds = check_level_seeds(seeds)
    loaded = load(model_id, ("lapgan",))
    model = loaded.model
    y = resolve_label(model, label)
    gen = model.generator
    z = pyramid_z(level_seeds, gen.config.noise_dims)
    stages = gen.stages(z, torch.tensor([y]))
    levels = [Level(k, st.size, level_seeds[k], None if st.given is None else st.given.float(),
                    None if st.residual is None else st.residual.float(), st.output.float().clamp(-1, 1))
              for k, st in enumerate(stages)]
    return LAPGANResult(model_id, y, model.class_names[y], level_seeds, levels, loaded.note)


def level_image(level: Level, px: int = TILE_PX) -> np.ndarray:
    """One level as shown: [given | residual (amplified) | output], or the output alone at level 0."""
    parts = [level.output] if level.given is None else [level.given, level.residual_display, level.output]
    return row_image(torch.cat(parts), px=px, pad=6)


# ---------------------------------------------------------------------------------------------
# Card 4: super-resolution, scored against the real image
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    name: str  # "Low-res input", "Bicubic", "SRResNet", "SRGAN", "Real"
    image: torch.Tensor | None  # [1, 3, 32, 32] in [-1, 1] (None: the model is not available)
    psnr: float | None  # dB against the real image
    ssim: float | None
    note: str | None = None


@dataclass(frozen=True)
class SRResult:
    source: str  # "test image 12 (heart)" or "your upload"
    low: torch.Tensor  # [1, 3, 8, 8]
    panels: list[Panel]

    def panel(self, name: str) -> Panel:
        return next(p for p in self.panels if p.name == name)


def image_quality(image: torch.Tensor, real: torch.Tensor) -> tuple[float, float]:
    """(PSNR in dB, SSIM) of `image` against `real`, both [N, C, H, W] in [-1, 1], measured on [0, 1]."""
    from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

    a, b = ((image.float().clamp(-1, 1) + 1) / 2), ((real.float().clamp(-1, 1) + 1) / 2)
    psnr = float(peak_signal_noise_ratio(a, b, data_range=1.0))
    ssim = float(structural_similarity_index_measure(a, b, data_range=1.0))
    return (psnr if math.isfinite(psnr) else 100.0), ssim  # identical images: PSNR is infinite, shown as 100


def _rgb_on_white(image: object) -> np.ndarray:
    """uint8 [H, W], [H, W, 1|3|4] -> float [H, W, 3] in [0, 1], transparency composited on white paper."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8 or arr.ndim not in (2, 3) or min(arr.shape[:2]) < 2 or (
            arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise ValueError(f"Expected a uint8 image [H, W] or [H, W, 3|4], got {arr.dtype} {arr.shape}.")
    x = arr.astype(np.float32) / 255.0
    x = x[..., None] if x.ndim == 2 else x
    if x.shape[2] == 4:
        x = x[..., :3] * x[..., 3:4] + (1.0 - x[..., 3:4])
    return np.repeat(x, 3, axis=2) if x.shape[2] == 1 else x


def _centre_square(x: np.ndarray) -> np.ndarray:
    h, w = x.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return x[top: top + side, left: left + side]


def prepare_upload(image: object) -> torch.Tensor:
    """An uploaded picture (uint8 [H, W], [H, W, 3] or [H, W, 4]) -> [1, 3, 32, 32] in [-1, 1]: transparency
    composited on white (the emoji's paper), centre-cropped to a square, resized to 32x32 (Lanczos)."""
    from PIL import Image

    x = _centre_square(_rgb_on_white(image))
    img = Image.fromarray((x * 255).round().clip(0, 255).astype(np.uint8), "RGB").resize(
        (SR_SIZE, SR_SIZE), Image.LANCZOS)
    return torch.from_numpy(np.asarray(img, dtype=np.float32) / 127.5 - 1.0).permute(2, 0, 1)[None].contiguous()


def check_index(index: object, count: int) -> int:
    return L.whole("Test image", index, 0, count - 1)


@torch.inference_mode()
def superres(real: torch.Tensor, source: str = "image", models: dict[str, str] | None = None) -> SRResult:
    """Downscale `real` ([1, 3, 32, 32], uint8 or [-1, 1]) 4x by area, then upscale it back four ways; every
    panel scored against `real`. A super-resolver that cannot be loaded gets an empty panel and a note."""
    hi = check_test_images(real, 3, SR_SIZE)[:1]
    low = downscale(hi)  # [1, 3, 8, 8]
    nearest = F.interpolate(low, size=(SR_SIZE, SR_SIZE), mode="nearest")
    smooth = bicubic(low, SR_SIZE).clamp(-1, 1)
    panels = [Panel("Low-res input", nearest, *image_quality(nearest, hi)),
              Panel("Bicubic", smooth, *image_quality(smooth, hi))]
    for name, model_id in (models or SR_IDS).items():
        try:
            loaded = load(model_id, ("srresnet", "srgan"))
        except ModelUnavailable as error:
            panels.append(Panel(name, None, None, None, str(error)))
            continue
        out = loaded.model.generator(low).float().clamp(-1, 1)
        panels.append(Panel(name, out, *image_quality(out, hi), loaded.note))
    panels.append(Panel("Real", hi, None, None, "the reference every score is measured against"))
    return SRResult(source, low, panels)


def panel_image(panel: Panel, px: int = TILE_PX) -> np.ndarray | None:
    return None if panel.image is None else row_image(panel.image, px=px, pad=0)


# ---------------------------------------------------------------------------------------------
# Card 5: sketch -> emoji (pix2pix)
# ---------------------------------------------------------------------------------------------

BLANK_INK = 0.1  # a drawing whose darkest pixel has less ink than this (0 = white paper, 1 = black) is blank
BLANK_MESSAGE = "Draw something first: the sketch is blank (the model turns dark lines on white into an emoji)."


def prepare_sketch(image: object) -> torch.Tensor:
    """A drawing or uploaded line drawing (uint8 [H, W], [H, W, 3|4]) -> [1, 1, 32, 32] in [-1, 1] like the
    training sketches: composited on white, grey (the channel mean), centre-cropped to a square, reduced to
    32x32 by area averaging (a 12 px brush stroke on a 256 px canvas becomes a soft ~1.5 px stroke), then the
    ink scaled up so the darkest stroke is black (faint pencil lines of a large upload stay visible).
    A drawing without ink raises ValueError(BLANK_MESSAGE)."""
    from PIL import Image

    grey = _centre_square(_rgb_on_white(image).mean(axis=2))
    if float(1.0 - grey.min()) < BLANK_INK:
        raise ValueError(BLANK_MESSAGE)
    small = np.asarray(Image.fromarray(grey.astype(np.float32), "F").resize((SR_SIZE, SR_SIZE), Image.BOX))
    ink = (1.0 - small).clip(0, 1)
    peak = float(ink.max())
    if peak < BLANK_INK / 4:  # strokes too thin to survive the reduction
        raise ValueError(BLANK_MESSAGE)
    ink = (ink / peak).clip(0, 1)
    return torch.from_numpy(1.0 - 2.0 * ink).float()[None, None].contiguous()


@dataclass(frozen=True)
class Pix2PixResult:
    model_id: str
    source: str  # "test sketch 12 (Noto drawing)", "your drawing" or "your upload"
    sketch: torch.Tensor  # [1, 1, 32, 32] in [-1, 1]: what the model was given
    output: torch.Tensor  # [1, 3, 32, 32] in [-1, 1]
    real: torch.Tensor | None  # [1, 3, 32, 32]: the emoji the test sketch was made from (None for drawings)
    psnr: float | None  # output vs real, dB on [0, 1] pixels
    ssim: float | None
    l1: float | None  # mean |output - real| on [0, 1] pixels
    parameters: int
    steps: int | None
    note: str | None = None


def _translator(model_id: str, kind: str, check) -> Loaded:
    loaded = load(model_id, (kind,))
    problem = check(loaded.model.config)
    if problem:
        raise ModelUnavailable(f"{model_id} {problem}.")
    return loaded


def _scores(out: torch.Tensor, real: torch.Tensor | None) -> tuple[float | None, float | None, float | None]:
    if real is None:
        return None, None, None
    psnr, ssim = image_quality(out, real)
    return psnr, ssim, float((out - real).abs().mean() / 2)


def check_style(style: object) -> str:
    """"noto" / "twemoji" (any case) -> the key of STYLES."""
    if isinstance(style, str) and style.strip().lower() in STYLES:
        return style.strip().lower()
    raise ValueError(f"Unknown style {L.shown(style)}: choose Noto or Twemoji.")


@torch.inference_mode()
def pix2pix(sketch: torch.Tensor, real: torch.Tensor | None = None, source: str = "your drawing",
            model_id: str | None = None, style: str | None = None) -> Pix2PixResult:
    """The emoji the pix2pix model draws for `sketch` ([1, 1, 32, 32], uint8 or [-1, 1]; prepare_sketch makes one
    from a drawing), scored against `real` ([1, 3, 32, 32]) when the sketch was made from a known emoji. With a
    `style` ("noto" | "twemoji") the styled model draws in that vendor's look; without, pix2pix-sketch draws
    whatever the strokes suggest."""
    x = check_test_images(sketch, 1, SR_SIZE)[:1]
    target = None if real is None else check_test_images(real, 3, SR_SIZE)[:1]
    channels = 1 if style is None else 2
    model_id = model_id or (PIX2PIX_ID if style is None else STYLED_PIX2PIX_ID)
    loaded = _translator(model_id, "pix2pix", lambda c: None if int(c.in_channels) == channels else (
        f"translates {c.source} images, not {'styled ' if style else ''}sketches"))
    if style is not None:
        x = torch.cat([x, torch.full_like(x, STYLES[check_style(style)])], dim=1)
    out = loaded.model.generator(x).float().clamp(-1, 1)
    x = x[:, :1]
    return Pix2PixResult(model_id, source, x, out, target, *_scores(out, target),
                         parameter_count(loaded.model.generator), training_steps(model_id), loaded.note)


# ---------------------------------------------------------------------------------------------
# Card 6: Twemoji <-> Noto without pairs (CycleGAN)
# ---------------------------------------------------------------------------------------------


def check_direction(direction: object) -> str:
    """"a2b" / "b2a", or the styles by name ("Twemoji -> Noto", "noto→twemoji") -> "a2b" | "b2a"."""
    if isinstance(direction, str) and len(direction) <= 40:
        key = "".join(direction.lower().replace("→", "->").split())
        for code, (a, b) in DIRECTIONS.items():
            if key in (code, f"{a}->{b}".lower(), f"{a}2{b}".lower()):
                return code
    names = ", ".join(f"'{a} -> {b}' ({code})" for code, (a, b) in DIRECTIONS.items())
    raise ValueError(f"Unknown direction {L.shown(direction)}: choose {names}.")


@dataclass(frozen=True)
class CycleResult:
    model_id: str
    direction: str  # "a2b" (Twemoji -> Noto) or "b2a"
    source: str
    input: torch.Tensor  # [1, 3, 32, 32] in [-1, 1], in the `from` style
    translated: torch.Tensor  # input -> the other style
    back: torch.Tensor  # translated -> the input's style again
    real: torch.Tensor | None  # the same emoji drawn by the other vendor (held-out test pairs only)
    cycle_l1: float  # mean |back - input| on [0, 1] pixels
    psnr: float | None  # translated vs real
    ssim: float | None
    l1: float | None
    baseline_psnr: float | None  # the input itself vs real: what doing nothing scores
    baseline_ssim: float | None
    parameters: int  # of one translator
    steps: int | None
    note: str | None = None

    @property
    def styles(self) -> tuple[str, str]:
        return DIRECTIONS[self.direction]


@torch.inference_mode()
def cyclegan(image: torch.Tensor, direction: object = "a2b", real: torch.Tensor | None = None,
             source: str = "your upload", model_id: str = CYCLEGAN_ID) -> CycleResult:
    """`image` ([1, 3, 32, 32], uint8 or [-1, 1]) translated into the other style and back, with the cycle
    error; scored against `real` (the same code point drawn by the other vendor) when it exists."""
    code = check_direction(direction)
    x = check_test_images(image, 3, SR_SIZE)[:1]
    target = None if real is None else check_test_images(real, 3, SR_SIZE)[:1]
    loaded = _translator(model_id, "cyclegan", lambda c: None)
    gen = loaded.model.generator
    there = gen(x, code).float().clamp(-1, 1)
    back = gen(there, "b2a" if code == "a2b" else "a2b").float().clamp(-1, 1)
    psnr, ssim, l1 = _scores(there, target)
    base = (None, None) if target is None else image_quality(x, target)
    return CycleResult(model_id, code, source, x, there, back, target, float((back - x).abs().mean() / 2),
                       psnr, ssim, l1, *base, parameter_count(gen.a_to_b), training_steps(model_id), loaded.note)


# ---------------------------------------------------------------------------------------------
# Card 5, second mode: Twemoji -> Noto with pairs (pix2pix)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedResult:
    model_id: str
    source: str  # "held-out emoji 3" or "your upload"
    input: torch.Tensor  # [1, 3, 32, 32] in [-1, 1]: the Twemoji drawing
    output: torch.Tensor  # [1, 3, 32, 32]: pix2pix's Noto-style drawing
    real: torch.Tensor | None  # [1, 3, 32, 32]: Noto's drawing of the same code point (None for an upload)
    psnr: float | None  # output vs real
    ssim: float | None
    l1: float | None
    baseline_psnr: float | None  # the unchanged input vs real: what doing nothing scores
    baseline_ssim: float | None
    parameters: int
    steps: int | None
    note: str | None = None


@torch.inference_mode()
def twemoji_to_noto(image: torch.Tensor, real: torch.Tensor | None = None, source: str = "your upload",
                    model_id: str = PAIRED_ID) -> PairedResult:
    """The Noto-style drawing pix2pix makes of a Twemoji drawing (`image`, [1, 3, 32, 32], uint8 or [-1, 1];
    prepare_upload makes one from a picture), scored against `real` (Noto's drawing) when it exists, beside the
    unchanged input's scores."""
    x = check_test_images(image, 3, SR_SIZE)[:1]
    target = None if real is None else check_test_images(real, 3, SR_SIZE)[:1]
    loaded = _translator(model_id, "pix2pix", lambda c: None if int(c.in_channels) == 3 else (
        "draws from sketches, not colour images"))
    out = loaded.model.generator(x).float().clamp(-1, 1)
    base = (None, None) if target is None else image_quality(x, target)
    return PairedResult(model_id, source, x, out, target, *_scores(out, target), *base,
                        parameter_count(loaded.model.generator), training_steps(model_id), loaded.note)


# ---------------------------------------------------------------------------------------------
# Card 7: text to image (GAN-CLS + GAN-INT)
# ---------------------------------------------------------------------------------------------


def check_phrase(phrase: object, name: str = "Phrase") -> str:
    """A phrase as typed: text of 1..MAX_PHRASE characters, not only whitespace, without control characters
    (tabs and line breaks count as spaces). The length is checked first, before anything reads the text."""
    if not isinstance(phrase, str):
        raise ValueError(f"{name} must be text, got {L.shown(phrase)}.")
    if len(phrase) > MAX_PHRASE:
        raise ValueError(f"{name} is too long: {len(phrase):,} characters, at most {MAX_PHRASE}.")
    bad = next((c for c in phrase if c not in "\t\n\r" and unicodedata.category(c)[0] == "C"), None)
    if bad is not None:
        raise ValueError(f"{name} contains a control character ({ascii(bad)}): type plain words.")
    if not phrase.strip():
        raise ValueError(f"{name} is empty: type a few words, e.g. 'red heart'.")
    return " ".join(phrase.split())


def unknown_word_note(word: str, closest: Sequence[str]) -> str:
    """"'hart' is not in the vocabulary; closest known: heart" (or that no known word is close); a long word is
    shown cut to MAX_WORD_SHOWN characters."""
    shown = word if len(word) <= MAX_WORD_SHOWN else word[: MAX_WORD_SHOWN - 1] + "…"
    if closest:
        return f"'{shown}' is not in the vocabulary; closest known: {', '.join(closest)}"
    return f"'{shown}' is not in the vocabulary, and no known word is close"


def unknown_notes(unknown: dict[str, list[str]], limit: int = MAX_WORDS_SHOWN) -> str:
    """The notes of the first `limit` unknown words, then how many more there are."""
    notes = [unknown_word_note(w, c) for w, c in list(unknown.items())[:limit]]
    more = len(unknown) - limit
    return "; ".join(notes) + (f" (and {more} more unknown words)" if more > 0 else "")


@dataclass(frozen=True)
class Reading:
    """How the model read one phrase."""

    phrase: str  # as checked (whitespace collapsed)
    known: list[str]  # the words it draws from, in order
    unknown: dict[str, list[str]]  # each word it ignored -> its closest known words (possibly none)


def read_phrase(model: registry.LoadedModel, phrase: object, name: str = "Phrase") -> Reading:
    """Check `phrase` and read it with the model's vocabulary; a phrase with no known word is refused with a
    message naming its unknown words and their closest known ones."""
    text = check_phrase(phrase, name)
    read = model.generator.text.read(text)
    if not read.known:
        if not read.unknown:  # only punctuation or words like "the", "of"
            raise ValueError(f"{name} {L.shown(text)} has no word to draw from (letters or digits, other than "
                             "words like 'the' or 'of').")
        raise ValueError(f"{name}: no word of it is in the vocabulary: {unknown_notes(read.unknown)}.")
    return Reading(text, list(read.known), {w: list(c) for w, c in read.unknown.items()})


@dataclass(frozen=True)
class TextResult:
    model_id: str
    reading: Reading
    seeds: list[int]
    images: torch.Tensor  # [n, 3, 32, 32] in [-1, 1]: image i drawn from seed i
    parameters: int
    steps: int | None
    note: str | None = None


@dataclass(frozen=True)
class TextInterpolation:
    model_id: str
    a: Reading
    b: Reading
    seed: int
    alphas: list[float]  # 0 (phrase A) .. 1 (phrase B)
    images: torch.Tensor  # [steps, 3, 32, 32]: one seed, embeddings normalize((1 - a) tA + a tB)
    note: str | None = None


def _text_model(model_id: str) -> Loaded:
    return load(model_id, ("textgan",))


def _embedding(model: registry.LoadedModel, reading: Reading) -> torch.Tensor:
    gen = model.generator
    return gen.text(gen.text.ids([reading.phrase]))  # [1, text_dim], unit length


@torch.inference_mode()
def text_to_image(phrase: object, seed: object, n: object = TEXT_SAMPLES, model_id: str = TEXT_ID) -> TextResult:
    """n images of `phrase` (seeds seed..seed+n-1), drawn from its known words."""
    text = check_phrase(phrase)  # before anything else reads it
    count = check_n(n)
    seeds = _seeds(seed, count)
    loaded = _text_model(model_id)
    model = loaded.model
    reading = read_phrase(model, text)
    z = torch.cat([L.z_from_seed(s, int(model.config.latent_dim)) for s in seeds])
    t = _embedding(model, reading).expand(count, -1)
    images = model.generator.from_embedding(z, t).float().clamp(-1, 1)
    return TextResult(model_id, reading, seeds, images, parameter_count(model.generator), training_steps(model_id),
                      loaded.note)


@torch.inference_mode()
def text_interpolation(phrase_a: object, phrase_b: object, seed: object, steps: object = INTERPOLATION_FRAMES,
                       model_id: str = TEXT_ID) -> TextInterpolation:
    """`steps` images at one seed from phrase A's embedding to phrase B's, each mix normalize((1 - a) tA + a tB)
    (GAN-INT trained G on such mixes): the first is phrase A's own image, the last phrase B's."""
    text_a, text_b = check_phrase(phrase_a, "Phrase A"), check_phrase(phrase_b, "Phrase B")
    first = L.check_seed(seed)
    count = L.whole("Steps", steps, 2, 32)
    loaded = _text_model(model_id)
    model = loaded.model
    a, b = read_phrase(model, text_a, "Phrase A"), read_phrase(model, text_b, "Phrase B")
    alphas = torch.linspace(0, 1, count, dtype=torch.float64).float()[:, None]  # [steps, 1]
    t = F.normalize((1 - alphas) * _embedding(model, a) + alphas * _embedding(model, b), dim=1)
    z = L.z_from_seed(first, int(model.config.latent_dim)).expand(count, -1)
    images = model.generator.from_embedding(z, t).float().clamp(-1, 1)
    return TextInterpolation(model_id, a, b, first, [round(float(x), 4) for x in alphas[:, 0]], images, loaded.note)
