"""Image datasets for the GAN trainer and the evaluation classifiers.

Every dataset comes back as an in-memory `ImageData` (training/image_data.py): uint8 images [N, C, H, W]
(0..255) plus int64 labels and the class names. Keeping uint8 in memory is 4x smaller than float; batches are
turned into floats in [-1, 1] (the generator's tanh range) by `to_float` only when they are used.

Datasets:
  animal-mnist   10,000 28x28 grayscale animal silhouettes, 10 classes (PyPI `animal-mnist==0.4`, MIT).
                 Vendored as training/assets/animal-mnist.npz (2.7 MB, read with allow_pickle=False), so a
                 Space needs no package: the PyPI package requires tensorflow. The .npz was made from the
                 package's gzipped pickles with `python -m training.data --vendor-animal-mnist`, which reads
                 them with a restricted unpickler that admits numpy's array reconstruction and nothing else.
                 Split: fixed, seeded, stratified 80/20 (8,000 train / 2,000 test).
  digits         scikit-learn's bundled load_digits: 1,797 8x8 digits (values 0..16), upsampled to 28x28
                 (bilinear) so the same 28x28 architecture applies. Split: seeded, stratified 80/20
                 (1,437 train / 360 test).
  mnist, fashion-mnist, cifar10
                 torchvision datasets with their official splits, downloaded on demand into `root`.
  emoji, emoji-faces, emoji-sketch, emoji-sketch-vendor, emoji-twemoji-noto, emoji-styles, emoji-text
                 Colour emoji from the vendored training/assets/emoji-32.npz, labelled, paired or captioned:
                 loaded by training/emoji_data.py, which describes each set.
  fake           random blobs with labels, for tests and dry runs (no files, no network).
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import pickle
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from training.emoji_data import (
    EMOJI_CLASSES,
    EMOJI_FIELDS,
    EMOJI_NPZ,
    FACE_CLASSES,
    captions_of,
    content_sha256,
    load_emoji,
    load_emoji_arrays,
    load_emoji_pairs,
    load_emoji_text,
)
from training.image_data import DatasetUnavailable, ImageData, stratified_split, to_float

# What other modules import from here, wherever it is defined (the emoji and ImageData names live in
# training/emoji_data.py and training/image_data.py).
__all__ = [
    "ANIMAL_CLASSES", "ANIMAL_MNIST_NPZ", "DATASETS", "EMOJI_CLASSES", "EMOJI_FIELDS", "EMOJI_NPZ", "PAIRED_DATASETS",
    "BatchSampler", "DatasetUnavailable", "ImageData", "RestrictedUnpickler", "captions_of", "content_sha256",
    "load_dataset", "load_emoji_arrays", "restricted_loads", "to_float", "vendor_animal_mnist",
]

DATASETS = ("animal-mnist", "digits", "emoji", "emoji-faces", "emoji-sketch", "emoji-sketch-vendor",
            "emoji-twemoji-noto", "emoji-styles", "emoji-text", "mnist", "fashion-mnist", "cifar10", "fake")
# ImageData.inputs holds the sources
PAIRED_DATASETS = ("emoji-sketch", "emoji-sketch-vendor", "emoji-twemoji-noto", "emoji-styles")
ANIMAL_CLASSES = ["bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse", "sheep", "zebra"]
ANIMAL_MNIST_NPZ = Path(__file__).resolve().parent / "assets" / "animal-mnist.npz"


# ---------------------------------------------------------------------------------------------
# Restricted unpickling (animal-mnist ships its arrays as a pickle)
# ---------------------------------------------------------------------------------------------

# The only globals a pickled numpy array needs. numpy 2 moved numpy.core to numpy._core; old pickles
# still name numpy.core, so both spellings map to the same (non code-running) objects.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): np._core.multiarray._reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): np._core.multiarray._reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild numpy arrays and nothing else (no os.system, no eval, no builtins)."""

    def find_class(self, module: str, name: str) -> object:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"Refusing to unpickle global {module}.{name}: only numpy arrays are allowed in data files."
            ) from None


def restricted_loads(data: bytes) -> np.ndarray:
    """Unpickle bytes that must contain a single numpy array; anything else raises UnpicklingError."""
    obj = RestrictedUnpickler(io.BytesIO(data)).load()
    if not isinstance(obj, np.ndarray):
        raise pickle.UnpicklingError(f"Expected a numpy array in the data file, found {type(obj).__name__}.")
    return obj


def _animal_mnist_dir() -> Path:
    # find_spec locates the installed package without importing it: its __init__ imports tensorflow.
    spec = importlib.util.find_spec("animal_mnist")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetUnavailable(
            f"{ANIMAL_MNIST_NPZ.name} is missing from training/assets and the animal-mnist package is not "
            "installed: restore the file from the repository, or `pip install --no-deps -r requirements-data.txt`."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "Animal_MNIST"


# ---------------------------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------------------------


def _animal_mnist_from_package() -> tuple[np.ndarray, np.ndarray]:
    """The arrays as the PyPI package ships them (gzipped pickles, read with the restricted unpickler)."""
    folder = _animal_mnist_dir()
    with gzip.open(folder / "animal_data_version_3.gz", "rb") as f:
        images = restricted_loads(f.read())
    with gzip.open(folder / "animal_label_version_3.gz", "rb") as f:
        labels = restricted_loads(f.read())
    return _checked_animal_arrays(images, labels)


def _checked_animal_arrays(images: object, labels: object) -> tuple[np.ndarray, np.ndarray]:
    if not (isinstance(images, np.ndarray) and isinstance(labels, np.ndarray) and images.shape[1:] == (28, 28)
            and images.dtype == np.uint8 and labels.shape == images.shape[:1]):
        raise DatasetUnavailable(f"Unexpected animal-mnist arrays: {getattr(images, 'shape', images)!r}, "
                                 f"{getattr(labels, 'shape', labels)!r}")
    return images, labels.astype(np.int64)


def vendor_animal_mnist(path: Path = ANIMAL_MNIST_NPZ) -> Path:
    """Write the package's arrays to `path` as a compressed .npz (how training/assets/animal-mnist.npz was made)."""
    images, labels = _animal_mnist_from_package()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, images=images, labels=labels)
    return path


def _load_animal_mnist(split: str) -> ImageData:
    if ANIMAL_MNIST_NPZ.exists():
        with np.load(ANIMAL_MNIST_NPZ, allow_pickle=False) as arrays:
            images, labels = _checked_animal_arrays(arrays["images"], arrays["labels"])
    else:
        images, labels = _animal_mnist_from_package()
    images, labels = stratified_split(images, labels, split)
    return ImageData(
        "animal-mnist",
        torch.from_numpy(images.copy()).unsqueeze(1),
        torch.from_numpy(labels.copy()),
        list(ANIMAL_CLASSES),
    )


def _load_digits(split: str) -> ImageData:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images, labels = stratified_split(bunch.images.astype(np.float32), bunch.target.astype(np.int64), split)
    x = torch.from_numpy(images).unsqueeze(1) / 16.0  # 0..16 -> 0..1
    x = F.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False)
    x = (x.clamp(0, 1) * 255).round().to(torch.uint8)
    return ImageData("digits", x, torch.from_numpy(labels), [str(d) for d in range(10)])


def _load_torchvision(name: str, split: str, root: str | Path, download: bool) -> ImageData:
    import torchvision

    cls = {
        "mnist": torchvision.datasets.MNIST,
        "fashion-mnist": torchvision.datasets.FashionMNIST,
        "cifar10": torchvision.datasets.CIFAR10,
    }[name]
    # torchvision makes root/<Dataset>/raw before it downloads: a failed download must not leave them behind.
    folder = Path(root) / cls.__name__
    made_here = [p for p in (Path(root), folder, folder / "raw") if not p.exists()]
    try:
        ds = cls(root=str(root), train=(split == "train"), download=download)
    except Exception as e:  # urllib/ssl/socket errors differ by platform; they all mean the same here
        for path in reversed(made_here):  # deepest first; only folders this call made, and only if empty
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        raise DatasetUnavailable(
            f"Could not load {name} from {root} ({type(e).__name__}: {e}). It is downloaded on first use, "
            "which needs internet access; offline, use --dataset animal-mnist or digits."
        ) from e
    data = torch.as_tensor(np.asarray(ds.data))
    images = data.permute(0, 3, 1, 2).contiguous() if data.ndim == 4 else data.unsqueeze(1)  # CIFAR is NHWC
    labels = torch.as_tensor(np.asarray(ds.targets), dtype=torch.int64)
    return ImageData(name, images.to(torch.uint8), labels, [str(c) for c in ds.classes])


def _load_fake(split: str, n: int = 256, image_size: int = 28, channels: int = 1) -> ImageData:
    """Random blurry blobs with 10 labels: shape-correct data that needs no files."""
    g = torch.Generator().manual_seed(0 if split == "train" else 1)
    x = torch.rand(n, channels, image_size // 4, image_size // 4, generator=g)
    x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False)
    labels = torch.randint(0, 10, (n,), generator=g)
    images = (x * 255).round().to(torch.uint8)
    # inputs for the translation kinds: the same blobs mirrored (a learnable, shape-correct mapping)
    names = [f"class{i}" for i in range(10)]
    captions = tuple((f"blob {names[y]}", names[y]) for y in labels.tolist())  # for the text-to-image kind
    return ImageData("fake", images, labels, names, images.flip(-1).contiguous(), captions)


def load_dataset(
    name: str,
    split: str = "train",
    root: str | Path = "data",
    download: bool = True,
    image_size: int = 28,
    channels: int = 1,
) -> ImageData:
    """Load a dataset split ("train" or "test") into memory. `image_size`/`channels` only shape `fake`."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if name == "animal-mnist":
        return _load_animal_mnist(split)
    if name == "digits":
        return _load_digits(split)
    if name == "emoji":
        return load_emoji(split, EMOJI_CLASSES, name)
    if name == "emoji-faces":
        return load_emoji(split, FACE_CLASSES, name)
    if name in PAIRED_DATASETS:
        return load_emoji_pairs(name, split)
    if name == "emoji-text":
        return load_emoji_text(split)
    if name in ("mnist", "fashion-mnist", "cifar10"):
        return _load_torchvision(name, split, root, download)
    if name == "fake":
        return _load_fake(split, image_size=image_size, channels=channels)
    raise ValueError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")


class BatchSampler:
    """Deterministic batches: the indices of step s depend only on (seed, s, rank), never on history.

    That makes --resume exact without saving sampler state, and gives each of `world` processes a disjoint
    shard of every epoch's permutation (what DistributedSampler does, without its epoch bookkeeping).
    """

    def __init__(self, n: int, batch_size: int, seed: int, rank: int = 0, world: int = 1) -> None:
        if n < batch_size * world:
            raise ValueError(f"Dataset of {n} images is smaller than one global batch ({batch_size} x {world}).")
        self.n, self.batch_size, self.seed, self.rank, self.world = n, batch_size, seed, rank, world
        self.batches_per_epoch = n // (batch_size * world)
        self._epoch, self._perm = -1, torch.empty(0, dtype=torch.long)

    def indices(self, step: int) -> torch.Tensor:
        epoch, i = divmod(step, self.batches_per_epoch)
        if epoch != self._epoch:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._epoch, self._perm = epoch, torch.randperm(self.n, generator=g)
        start = (i * self.world + self.rank) * self.batch_size
        return self._perm[start : start + self.batch_size]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Dataset utilities.")
    parser.add_argument("--vendor-animal-mnist", metavar="PATH", nargs="?", const=str(ANIMAL_MNIST_NPZ),
                        help="write the animal-mnist package's arrays to PATH as .npz (needs the package)")
    args = parser.parse_args()
    if args.vendor_animal_mnist:
        print(vendor_animal_mnist(Path(args.vendor_animal_mnist)))
    else:
        parser.print_help()
