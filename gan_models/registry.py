"""Model ids -> loaded generator/discriminator pairs. Listing, validation, loading and caching live here.

A model id is either
  - a shipped checkpoint: a folder name under checkpoints/ (e.g. "cdcgan-animals"), or
  - a Hugging Face Hub repo: "org/name" or "org/name@revision" (branch, tag or commit; pin a commit for
    reproducibility). Hub files land in the normal huggingface_hub cache; HF_HUB_OFFLINE=1 uses it only.
Local folders elsewhere load through `load_from_folder(path)` (tests, the training CLI), never via an id,
so an id string from a web request can never name an arbitrary path.

Loading is safetensors-only (a pickle can run code), the config is validated before any tensor is built,
and weights load with strict key and shape checks. Every failure is a ModelLoadError with a readable
message. Nothing here touches the network at import time.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch.nn.utils import parametrize

from gan_models.kinds import ModelConfig, build_pair, config_from_dict, kind_of
from gan_models.model import LoadedModel as LoadedModel  # the typed model object, loaded here

CHECKPOINTS_DIR = Path(__file__).resolve().parent.parent / "checkpoints"
DEFAULT_MODEL_ID = "cdcgan-emoji"  # colour emoji: the face of the app
CONFIG_NAME, WEIGHTS_NAME, D_FOLDER = "config.json", "model.safetensors", "discriminator"
PICKLE_NAME = "pytorch_model.bin"  # named in errors only: never loaded
MAX_CONFIG_BYTES = 64 * 1024
MAX_WEIGHTS_BYTES = 256 * 1024 * 1024  # far above any DCGAN the config limits allow; stops absurd files early

_LOCAL_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_HUB_PART = r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9])?"
_HUB_ID = re.compile(rf"^(?P<repo>{_HUB_PART}/{_HUB_PART})(?:@(?P<rev>[A-Za-z0-9][A-Za-z0-9_./-]{{0,99}}))?$")
_NOT_MODELS = {"classifiers"}  # checkpoints/classifiers holds the evaluation classifiers



class ModelLoadError(ValueError):
    """A model could not be loaded; str(error) is written for the person who asked for it."""


# ---------------------------------------------------------------------------------------------
# Listing (config.json only: cheap, no weights)
# ---------------------------------------------------------------------------------------------


def read_config(folder: Path) -> ModelConfig:
    path = folder / CONFIG_NAME
    if not path.is_file():
        raise ModelLoadError(f"{CONFIG_NAME} is missing in {folder}.")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ModelLoadError(f"{path} is larger than {MAX_CONFIG_BYTES} bytes; not a model config.")
    try:
        return config_from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError, UnicodeDecodeError) as e:  # JSONDecodeError is a ValueError
        raise ModelLoadError(f"Invalid model config in {path}: {e}") from None


def list_models(task: str | None = "generate") -> list[dict]:
    """The shipped checkpoints of one task (kinds.Kind.task; None: all), default first:
    [{id, kind, task, latent_dim, image_size, channels, classes, dataset, source}]."""
    out = []
    for folder in sorted(CHECKPOINTS_DIR.glob("*/")) if CHECKPOINTS_DIR.is_dir() else []:
        if folder.name in _NOT_MODELS or not _LOCAL_ID.match(folder.name):
            continue
        try:
            c = read_config(folder)
        except ModelLoadError:
            continue  # a half-written folder must not break the model list
        model_task = kind_of(c.kind).task
        if task is not None and model_task != task:
            continue
        out.append({
            "id": folder.name, "kind": c.kind, "task": model_task, "latent_dim": c.latent_dim,
            "image_size": c.image_size, "channels": c.channels, "classes": list(c.class_names), "dataset": c.dataset,
            "source": f"checkpoints/{folder.name}",
        })
    out.sort(key=lambda m: m["id"] != DEFAULT_MODEL_ID)  # stable: default first, the rest alphabetical
    return out


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def load_weights(model: torch.nn.Module, folder: Path, what: str) -> None:
    path = folder / WEIGHTS_NAME
    if not path.is_file():
        has_pickle = (folder / PICKLE_NAME).exists()
        extra = f" ({PICKLE_NAME} is there, but pickled weights are never loaded)" if has_pickle else ""
        raise ModelLoadError(f"{what}: {WEIGHTS_NAME} is missing in {folder}{extra}.")
    if path.stat().st_size > MAX_WEIGHTS_BYTES:
        raise ModelLoadError(f"{what}: {path} is larger than {MAX_WEIGHTS_BYTES // 2**20} MB.")
    try:
        state = load_file(str(path), device="cpu")
    except (SafetensorError, OSError) as e:
        raise ModelLoadError(f"{what}: {path} is not a readable safetensors file ({e}).") from None
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [f"{k}: file {tuple(state[k].shape)} vs config {tuple(expected[k].shape)}"
             for k in expected if k in state and state[k].shape != expected[k].shape]
    if missing or unexpected or wrong:
        parts = []
        if wrong:
            parts.append(f"shape mismatch in {len(wrong)} tensors (e.g. {'; '.join(wrong[:3])})")
        if missing:
            parts.append(f"missing tensors {missing[:5]}")
        if unexpected:
            parts.append(f"unexpected tensors {unexpected[:5]}")
        raise ModelLoadError(f"{what}: the weights do not fit the config.json architecture: {', '.join(parts)}.")
    # safetensors has no checksum: a corrupted or diverged checkpoint loads "fine" and renders blank images.
    broken = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if broken:
        raise ModelLoadError(f"{what}: {path.name} holds NaN or infinite values (e.g. in {broken[:3]}).")
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()}, strict=True)


def _prepare(model: torch.nn.Module) -> torch.nn.Module:
    # Shared read-only by every user of the app: eval mode (BatchNorm uses running stats) and no
    # parameter gradients (gradients with respect to z still work).
    model = model.float().eval().requires_grad_(False)
    # In eval mode spectral norm does no power iteration, so W / sigma is the same on every call: bake it
    # into a plain weight once instead of dividing again on each render.
    for module in list(model.modules()):
        if parametrize.is_parametrized(module):
            for name in list(module.parametrizations):
                parametrize.remove_parametrizations(module, name, leave_parametrized=True)
    # oneDNN's convolutions run about a fifth faster on NHWC weights at the app's batch sizes; the same
    # numbers up to float rounding (about 1e-6).
    return model.to(memory_format=torch.channels_last)


def load_from_folder(path: str | Path, model_id: str | None = None) -> LoadedModel:
    """Load a checkpoint folder (config.json + model.safetensors [+ discriminator/]) from disk, uncached."""
    folder = Path(path)
    if not folder.is_dir():
        raise ModelLoadError(f"Model folder {folder} does not exist.")
    config = read_config(folder)
    generator, _ = build_pair(config)
    load_weights(generator, folder, "generator")

    discriminator = None
    d_folder = folder / D_FOLDER
    if d_folder.is_dir():
        d_config = read_config(d_folder)
        for key in ("image_size", "channels", "num_classes"):
            if getattr(d_config, key) != getattr(config, key):
                raise ModelLoadError(
                    f"discriminator config {key}={getattr(d_config, key)} does not match the generator's "
                    f"{getattr(config, key)}."
                )
        d_class = kind_of(d_config.kind).discriminator
        if d_class is None:
            raise ModelLoadError(f"Model kind {d_config.kind!r} has no discriminator, but {D_FOLDER}/ exists.")
        discriminator = d_class(d_config)
        load_weights(discriminator, d_folder, "discriminator")
        discriminator = _prepare(discriminator)
    return LoadedModel(
        id=model_id or folder.name, kind=config.kind, generator=_prepare(generator),
        discriminator=discriminator, config=config, class_names=list(config.class_names),
    )


def parse_model_id(model_id: object) -> tuple[str, str | None, str | None]:
    """-> ("local", name, None) or ("hub", "org/name", revision). Raises ModelLoadError for anything else."""
    if not isinstance(model_id, str) or not model_id.strip():
        raise ModelLoadError("Model id must be a non-empty string such as 'cdcgan-animals' or 'org/name'.")
    model_id = model_id.strip()
    if ".." in model_id or model_id.startswith(("/", "\\", "~")) or "\\" in model_id or ":" in model_id:
        raise ModelLoadError(f"Invalid model id {model_id!r}: paths are not accepted, only ids.")
    if _LOCAL_ID.match(model_id):
        return "local", model_id, None
    m = _HUB_ID.match(model_id)
    if m:
        return "hub", m.group("repo"), m.group("rev")
    raise ModelLoadError(
        f"Invalid model id {model_id!r}: use a shipped model ({', '.join(m['id'] for m in list_models())}) "
        "or a Hub repo id 'org/name' or 'org/name@revision'."
    )


def _download_hub(repo_id: str, revision: str | None) -> Path:
    """Fetch config + safetensors (+ discriminator) of a Hub repo into the HF cache; return the snapshot folder."""
    from huggingface_hub import hf_hub_download  # imported lazily: nothing network-related at import
    from huggingface_hub.errors import (
        EntryNotFoundError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    where = f"{repo_id}@{revision}" if revision else repo_id

    def fetch(filename: str, required: bool) -> Path | None:
        try:
            return Path(hf_hub_download(repo_id, filename, revision=revision))
        except RepositoryNotFoundError:
            raise ModelLoadError(f"Hub repo {repo_id} was not found (or is private).") from None
        except RevisionNotFoundError:
            raise ModelLoadError(f"Revision {revision!r} does not exist in Hub repo {repo_id}.") from None
        except LocalEntryNotFoundError:  # before EntryNotFoundError: it is a subclass of it
            if not required:
                return None  # offline and the optional discriminator is not cached: load without it
            raise ModelLoadError(
                f"Cannot download {filename} from {where}: no network connection (or HF_HUB_OFFLINE=1) "
                "and the file is not in the local Hugging Face cache."
            ) from None
        except EntryNotFoundError:
            if not required:
                return None
            extra = " (pickled pytorch_model.bin weights are never loaded)" if filename == WEIGHTS_NAME else ""
            raise ModelLoadError(f"Hub repo {where} has no {filename}{extra}.") from None
        except (HfHubHTTPError, OSError) as e:
            raise ModelLoadError(f"Could not fetch {filename} from {where}: {e}") from None

    config_path = fetch(CONFIG_NAME, required=True)
    read_config(config_path.parent)  # validate before downloading any weights
    fetch(WEIGHTS_NAME, required=True)
    if fetch(f"{D_FOLDER}/{CONFIG_NAME}", required=False) is not None:
        fetch(f"{D_FOLDER}/{WEIGHTS_NAME}", required=True)
    return config_path.parent


# Loaded models by resolved key ("name" or "org/name@revision"), least recently used first; bounded so a
# stream of distinct Hub ids cannot grow memory without limit. The global lock only guards these dicts:
# each key has its own load lock, so a slow Hub download of one id never holds up renders of another.
_cache: OrderedDict[str, LoadedModel] = OrderedDict()
MAX_CACHED = 16
_lock = threading.Lock()
_load_locks: dict[str, threading.Lock] = {}
# In-memory models (runs trained in the app), by id; the oldest is forgotten past the cap to bound memory.
_registered: dict[str, LoadedModel] = {}
MAX_REGISTERED = 32


def register(model: LoadedModel) -> str:
    """Serve an in-memory model under `model.id` (a local-style id that no shipped checkpoint uses)."""
    kind, name, _ = parse_model_id(model.id)
    if kind != "local" or name != model.id or (CHECKPOINTS_DIR / name).exists():
        raise ModelLoadError(f"Cannot register {model.id!r}: use a new lowercase id, not a shipped or Hub one.")
    with _lock:
        _registered.pop(name, None)
        _registered[name] = model
        while len(_registered) > MAX_REGISTERED:
            _registered.pop(next(iter(_registered)))
    return name


def _key(kind: str, name: str, revision: str | None) -> str:
    return name if kind == "local" else f"{name}@{revision or 'main'}"


def _cached(key: str) -> LoadedModel | None:
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        return None


def load(model_id: str) -> LoadedModel:
    """Load a shipped id or Hub repo id once (thread-safe) and return the cached, read-only models."""
    kind, name, revision = parse_model_id(model_id)
    key = _key(kind, name, revision)
    with _lock:
        if kind == "local" and name in _registered:
            return _registered[name]
    if (model := _cached(key)) is not None:
        return model
    with _lock:
        key_lock = _load_locks.setdefault(key, threading.Lock())
    try:
        with key_lock:  # one load per key; other keys load (and cached ones render) meanwhile
            return _cached(key) or _load_uncached(key, kind, name, revision)
    finally:
        with _lock:  # failed ids must not leave locks behind (a client could send endless distinct ids)
            if _load_locks.get(key) is key_lock and not key_lock.locked():
                _load_locks.pop(key, None)


def _load_uncached(key: str, kind: str, name: str, revision: str | None) -> LoadedModel:
    if kind == "local":
        folder = CHECKPOINTS_DIR / name
        if name in _NOT_MODELS or not (folder / CONFIG_NAME).is_file():
            known = ", ".join(m["id"] for m in list_models()) or "none"
            raise ModelLoadError(f"Unknown model {name!r}. Shipped models: {known}; or give a Hub id 'org/name'.")
    else:
        folder = _download_hub(name, revision)
    model = load_from_folder(folder, model_id=name if revision is None else f"{name}@{revision}")
    with _lock:
        _cache[key] = model
        while len(_cache) > MAX_CACHED:
            _cache.popitem(last=False)
    return model


def clear_cache() -> None:
    """Forget loaded models (tests; after retraining a checkpoint in place)."""
    with _lock:
        _cache.clear()
