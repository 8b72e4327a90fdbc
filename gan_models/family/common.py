"""What every card of the GAN family tab shares: the input checks, the model loader (cached by file stamp),
the quality numbers read from a model folder, PSNR / SSIM and the row-of-tiles display image."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gan_models import latent as L
from gan_models import media, registry

SR_SIZE = 32  # the high-resolution side; the network's input is SR_SIZE // 4
MAX_SAMPLES = 16
INTERPOLATION_FRAMES = 8
TILE_PX = 128  # every LAPGAN / SR tile is shown this many pixels wide, whatever its resolution
MAX_EVAL_BYTES = 64 * 1024
DATASETS = {"animals": "animal-mnist", "digits": "digits"}  # the card's choice -> training.data's name
FOLDERS: dict[str, Path] = {}  # id -> folder, overriding checkpoints/<id> (tests point ids at tiny models)


class ModelUnavailable(ValueError):
    """A card's model cannot be loaded right now (not trained yet, or a snapshot caught half written)."""


def check_dataset(name: object) -> str:
    if not isinstance(name, str) or name.strip().lower() not in DATASETS:
        raise ValueError(f"Unknown data set {L.shown(name)}: choose one of {', '.join(DATASETS)}.")
    return name.strip().lower()


def check_n(n: object) -> int:
    return L.whole("Number of samples", n, 1, MAX_SAMPLES)


def seeds_from(seed: object, n: int) -> list[int]:
    """n consecutive seeds from `seed`, wrapping past the largest seed."""
    first = L.check_seed(seed)
    return [(first + i) % (L.MAX_SEED + 1) for i in range(n)]


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


def check_index(index: object, count: int) -> int:
    return L.whole("Test image", index, 0, count - 1)


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
# Scores and display
# ---------------------------------------------------------------------------------------------


def image_quality(image: torch.Tensor, real: torch.Tensor) -> tuple[float, float]:
    """(PSNR in dB, SSIM) of `image` against `real`, both [N, C, H, W] in [-1, 1], measured on [0, 1]."""
    from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

    a, b = ((image.float().clamp(-1, 1) + 1) / 2), ((real.float().clamp(-1, 1) + 1) / 2)
    psnr = float(peak_signal_noise_ratio(a, b, data_range=1.0))
    ssim = float(structural_similarity_index_measure(a, b, data_range=1.0))
    return (psnr if math.isfinite(psnr) else 100.0), ssim  # identical images: PSNR is infinite, shown as 100


def row_image(images: torch.Tensor, px: int | None = None, pad: int = 4) -> np.ndarray:
    """[N, C, s, s] in [-1, 1] -> one uint8 row, each tile nearest-upscaled to about `px` pixels (default:
    a factor that keeps 28-32 px tiles crisp)."""
    tiles = media.to_uint8(images)
    factor = max(1, round((px or 96) / tiles.shape[1]))
    tiles = np.repeat(np.repeat(tiles, factor, axis=1), factor, axis=2)
    return media.for_display(media.make_grid(tiles, nrow=tiles.shape[0], pad=pad))


def rows_image(rows: Sequence[torch.Tensor], px: int | None = None) -> np.ndarray:
    """Several equally long rows of tiles stacked into one image (e.g. real above reconstruction)."""
    return np.concatenate([row_image(r, px) for r in rows], axis=0)
