"""Image datasets for the GAN trainer and the evaluation classifiers.

Every dataset comes back as an in-memory `ImageData`: uint8 images [N, C, H, W] (0..255) plus int64 labels
and the class names. Keeping uint8 in memory is 4x smaller than float; batches are turned into floats in
[-1, 1] (the generator's tanh range) by `to_float` only when they are used.

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
  emoji          Colour emoji, 32x32 RGB, in coherent visual classes (EMOJI_CLASSES below): Noto Emoji (Google,
                 Apache-2.0) and Twemoji (Twitter, CC-BY 4.0), base emoji and skin-tone variants, vendored as
                 training/assets/emoji-32.npz (made by training/assets/build_emoji.py). Split: seeded,
                 stratified 80/20 over code points, so both vendors' drawings and every skin tone of one
                 emoji fall on the same side.
  emoji-faces    The "face-*" subcategories of Smileys & Emotion (yellow faces), both vendors, one class:
                 for an unconditional model whose directions read as expressions.
  emoji-sketch   Paired (line sketch, emoji) for pix2pix: every emoji of both vendors, its sketch derived by
                 training/sketch.py as `inputs`. Split 80/20 over code points (skin tones stripped).
  emoji-sketch-vendor
                 emoji-sketch with a second input channel naming the vendor style to draw in (a constant plane:
                 255 for Noto, 0 for Twemoji). Every sketch appears twice, with each style and that vendor's
                 drawing as the target: a sketch made from a Twemoji drawing also teaches Noto's look, so the
                 channel, not the sketch's own strokes, decides the style.
  emoji-twemoji-noto
                 Paired (Twemoji drawing, Noto drawing of the same code point): inputs Twemoji, images Noto.
  emoji-styles   Unpaired Twemoji (inputs) and Noto (images) for CycleGAN: the train code points are cut into
                 two disjoint seeded halves, Twemoji from one and Noto from the other, so no pair is ever
                 trained on; the test split is the held-out code points as true pairs (to score translations).
  emoji-text     Every emoji of both vendors with its captions for text-to-image: the Unicode name, each short
                 name ("face_with_tears_of_joy" -> "face with tears of joy") and the subcategory's words
                 ("face smiling"); skin-tone variants left out (their names only add the tone). Labels: the
                 emoji's class of EMOJI_CLASSES, -1 for emoji in none (used only to score text match).
                 Split 80/20 over code points, as for the other emoji sets: test names are never trained on.
  fake           random blobs with labels, for tests and dry runs (no files, no network).
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from gan_models.textgan import words_of

DATASETS = ("animal-mnist", "digits", "emoji", "emoji-faces", "emoji-sketch", "emoji-sketch-vendor",
            "emoji-twemoji-noto", "emoji-styles", "emoji-text", "mnist", "fashion-mnist", "cifar10", "fake")
# ImageData.inputs holds the sources
PAIRED_DATASETS = ("emoji-sketch", "emoji-sketch-vendor", "emoji-twemoji-noto", "emoji-styles")
ANIMAL_CLASSES = ["bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse", "sheep", "zebra"]
ANIMAL_MNIST_NPZ = Path(__file__).resolve().parent / "assets" / "animal-mnist.npz"
EMOJI_NPZ = Path(__file__).resolve().parent / "assets" / "emoji-32.npz"
EMOJI_FIELDS = ("unified", "name", "short_names", "category", "subcategory", "vendor", "skin_tone")
# Visually coherent classes, chosen from Unicode subcategories: the nine Unicode categories mix shapes
# ("Objects" covers everything), so a GAN drew colour blobs for most of them. Each class below is one look
# (a yellow disc with a face, a red heart shape, a rectangle with stripes, ...). Why each: docs/emoji-data.md.
_FACE_SUBCATEGORIES = ("face-smiling", "face-affection", "face-tongue", "face-hand", "face-neutral-skeptical",
                       "face-sleepy", "face-unwell", "face-hat", "face-glasses", "face-concerned", "face-negative")
EMOJI_CLASSES: dict[str, tuple[str, ...]] = {
    "face": _FACE_SUBCATEGORIES,
    "heart": ("heart",),
    "hand": ("hand-fingers-open", "hand-fingers-partial", "hand-single-finger", "hand-fingers-closed", "hands"),
    "person": ("person",),
    "flag": ("country-flag",),
    "fruit & veg": ("food-fruit", "food-vegetable"),
    "plant": ("plant-flower", "plant-other"),
    "clock": ("time",),
}
SPLIT_SEED = 0  # fixes the animal-mnist and digits train/test splits; documented in the model cards
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class ImageData:
    """A labelled image set held in memory: uint8 [N, C, H, W] images in 0..255 and int64 [N] labels.
    Translation sets also hold `inputs`, uint8 [N, Cin, H, W]: the image each target is made from; text sets
    hold `captions`, one tuple of phrases per image."""

    name: str
    images: torch.Tensor
    labels: torch.Tensor
    class_names: list[str]
    inputs: torch.Tensor | None = None
    captions: tuple[tuple[str, ...], ...] | None = None

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def channels(self) -> int:
        return int(self.images.shape[1])

    @property
    def image_size(self) -> int:
        return int(self.images.shape[-1])


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 0..255 -> float32 in [-1, 1], the range the generator's tanh produces."""
    return images.float().div_(127.5).sub_(1.0)


class DatasetUnavailable(RuntimeError):
    """A dataset could not be loaded (package missing, download impossible); the message says what to do."""


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


def _split(images: np.ndarray, labels: np.ndarray, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Seeded, stratified train/test split shared by everything that uses these datasets."""
    from sklearn.model_selection import train_test_split

    idx_train, idx_test = train_test_split(
        np.arange(len(labels)), test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=labels
    )
    idx = np.sort(idx_train if split == "train" else idx_test)
    return images[idx], labels[idx]


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
    images, labels = _split(images, labels, split)
    return ImageData(
        "animal-mnist",
        torch.from_numpy(images.copy()).unsqueeze(1),
        torch.from_numpy(labels.copy()),
        list(ANIMAL_CLASSES),
    )


def content_sha256(arrays: dict[str, np.ndarray]) -> str:
    """A checksum of array contents (names, dtypes, shapes, bytes) that does not depend on zip/zlib versions."""
    import hashlib

    h = hashlib.sha256()
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        h.update(f"{key}:{a.dtype.str}:{a.shape};".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def load_emoji_arrays(path: Path = EMOJI_NPZ) -> dict[str, np.ndarray]:
    """The vendored emoji file as plain arrays: images uint8 [N, 32, 32, 3] and one string array per field."""
    if not path.exists():
        raise DatasetUnavailable(f"{path.name} is missing from training/assets: restore it from the repository, "
                                 "or rebuild it with training/assets/build_emoji.py.")
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in ("images", *EMOJI_FIELDS)}
    n = len(arrays["images"])
    if arrays["images"].dtype != np.uint8 or arrays["images"].shape[1:] != (32, 32, 3) or any(
            arrays[k].shape != (n,) for k in EMOJI_FIELDS):
        raise DatasetUnavailable(f"Unexpected arrays in {path.name}: {arrays['images'].shape}")
    return arrays


def _emoji_class_index(subcategory: np.ndarray, classes: dict[str, tuple[str, ...]]) -> np.ndarray:
    """Class index per image (-1: in no class), from the image's Unicode subcategory."""
    index = np.full(len(subcategory), -1, dtype=np.int64)
    for i, subs in enumerate(classes.values()):
        index[np.isin(subcategory, subs)] = i
    return index


def _load_emoji(split: str, classes: dict[str, tuple[str, ...]], name: str) -> ImageData:
    arrays = load_emoji_arrays()
    labels = _emoji_class_index(arrays["subcategory"], classes)
    keep = np.flatnonzero(labels >= 0)
    # Some code points share one drawing (e.g. the flags of Norway and Svalbard): keep the first copy only,
    # so no test image has a pixel-identical twin in the training split.
    _, first_copy = np.unique(arrays["images"][keep].reshape(len(keep), -1), axis=0, return_index=True)
    keep = keep[np.sort(first_copy)]
    # Split over code points (base emoji, skin tone stripped) so no drawing of a test emoji is trained on.
    base = np.array([u.split("-1F3F")[0] for u in arrays["unified"][keep]])
    groups, first = np.unique(base, return_index=True)
    train_groups, _ = _split(groups, labels[keep][first], "train") if len(classes) > 1 else (
        _plain_split(groups, "train"), None)
    in_split = np.isin(base, train_groups) == (split == "train")
    idx = keep[in_split]
    images = torch.from_numpy(arrays["images"][idx]).permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW
    return ImageData(name, images, torch.from_numpy(labels[idx]), list(classes))


def _nchw(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()


def _load_emoji_pairs(name: str, split: str) -> ImageData:
    """Translation sets over every code point drawn by both vendors (the vendored file has all of them)."""
    arrays = load_emoji_arrays()
    unified, vendor = arrays["unified"], arrays["vendor"]
    noto = {u: i for i, u in enumerate(unified) if vendor[i] == "google"}
    twemoji = {u: i for i, u in enumerate(unified) if vendor[i] == "twitter"}
    codes = np.array(sorted(set(noto) & set(twemoji)))
    # Code points drawn identically by either vendor (some flags) would put one drawing on both sides of a
    # split: keep the first code point of each drawing.
    seen, keep = set(), []
    for u in codes:
        drawings = {arrays["images"][noto[u]].tobytes(), arrays["images"][twemoji[u]].tobytes()}
        keep.append(not drawings & seen)
        seen |= drawings
    codes = codes[np.array(keep)]
    base = np.array([u.split("-1F3F")[0] for u in codes])  # skin tones of one emoji stay on one side
    in_train = np.isin(base, _plain_split(np.unique(base), "train"))
    codes = codes[in_train == (split == "train")]
    b = np.array([noto[u] for u in codes])
    a = np.array([twemoji[u] for u in codes])
    images = arrays["images"]
    if name in ("emoji-sketch", "emoji-sketch-vendor"):
        both = np.concatenate([b, a])
        from training.sketch import line_sketch  # scikit-image is only needed for these sets

        inputs = torch.from_numpy(line_sketch(images[both]))[:, None]
        targets = _nchw(images[both])
        if name == "emoji-sketch-vendor":  # every sketch twice: drawn in Noto's style, then in Twemoji's
            noto, twemoji = torch.full_like(inputs, 255), torch.zeros_like(inputs)
            inputs = torch.cat([torch.cat([inputs, noto], 1), torch.cat([inputs, twemoji], 1)])
            targets = torch.cat([_nchw(images[np.concatenate([b, b])]), _nchw(images[np.concatenate([a, a])])])
    elif name == "emoji-styles" and split == "train":
        halves = np.random.default_rng(SPLIT_SEED).permutation(len(codes))
        half = len(codes) // 2
        inputs, targets = _nchw(images[a[halves[:half]]]), _nchw(images[b[halves[half : 2 * half]]])
    else:  # twemoji -> noto pairs (and emoji-styles' held-out test pairs)
        inputs, targets = _nchw(images[a]), _nchw(images[b])
    return ImageData(name, targets, torch.zeros(len(targets), dtype=torch.int64), ["emoji"], inputs)


def captions_of(name: str, short_names: str, subcategory: str) -> tuple[str, ...]:
    """An emoji's captions: its name, its short names as phrases, its subcategory's words (repeats dropped, and
    phrases of stop words only, such as the letter emoji's short name "a")."""
    phrases = [name, *(s.replace("_", " ").replace("-", " ") for s in short_names.split(",") if s),
               subcategory.replace("-", " ")]
    return tuple(dict.fromkeys(p.strip() for p in phrases if words_of(p)))


def _load_emoji_text(split: str) -> ImageData:
    arrays = load_emoji_arrays()
    keep = np.flatnonzero(arrays["skin_tone"] == "")
    # One drawing for several code points (some flags): keep the first, so no test image is also trained on.
    _, first_copy = np.unique(arrays["images"][keep].reshape(len(keep), -1), axis=0, return_index=True)
    keep = keep[np.sort(first_copy)]
    codes = arrays["unified"][keep]
    in_train = np.isin(codes, _plain_split(np.unique(codes), "train"))
    idx = keep[in_train == (split == "train")]
    labels = _emoji_class_index(arrays["subcategory"], EMOJI_CLASSES)[idx]
    captions = tuple(captions_of(arrays["name"][i], arrays["short_names"][i], arrays["subcategory"][i]) for i in idx)
    return ImageData("emoji-text", _nchw(arrays["images"][idx]), torch.from_numpy(labels), list(EMOJI_CLASSES),
                     captions=captions)


def _plain_split(items: np.ndarray, split: str) -> np.ndarray:
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(np.arange(len(items)), test_size=TEST_FRACTION, random_state=SPLIT_SEED)
    return items[np.sort(train if split == "train" else test)]


def _load_digits(split: str) -> ImageData:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images, labels = _split(bunch.images.astype(np.float32), bunch.target.astype(np.int64), split)
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
        return _load_emoji(split, EMOJI_CLASSES, name)
    if name == "emoji-faces":
        return _load_emoji(split, {"face": _FACE_SUBCATEGORIES}, name)
    if name in PAIRED_DATASETS:
        return _load_emoji_pairs(name, split)
    if name == "emoji-text":
        return _load_emoji_text(split)
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
