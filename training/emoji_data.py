"""The emoji datasets, all read from the vendored training/assets/emoji-32.npz (no network, no package).

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

training/data.py maps the dataset names to these loaders (load_dataset) and re-exports what others import.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from gan_models.textgan import words_of
from training.image_data import SPLIT_SEED, DatasetUnavailable, ImageData, plain_split, stratified_split

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
FACE_CLASSES: dict[str, tuple[str, ...]] = {"face": _FACE_SUBCATEGORIES}  # emoji-faces: all faces, one class


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


def _labelled_split(arrays: dict[str, np.ndarray], split: str,
                    classes: dict[str, tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """Indices into the vendored arrays of a labelled set's split, and every image's class index."""
    labels = _emoji_class_index(arrays["subcategory"], classes)
    keep = np.flatnonzero(labels >= 0)
    # Some code points share one drawing (e.g. the flags of Norway and Svalbard): keep the first copy only,
    # so no test image has a pixel-identical twin in the training split.
    _, first_copy = np.unique(arrays["images"][keep].reshape(len(keep), -1), axis=0, return_index=True)
    keep = keep[np.sort(first_copy)]
    # Split over code points (base emoji, skin tone stripped) so no drawing of a test emoji is trained on.
    base = np.array([u.split("-1F3F")[0] for u in arrays["unified"][keep]])
    groups, first = np.unique(base, return_index=True)
    train_groups, _ = stratified_split(groups, labels[keep][first], "train") if len(classes) > 1 else (
        plain_split(groups, "train"), None)
    in_split = np.isin(base, train_groups) == (split == "train")
    return keep[in_split], labels


def load_emoji(split: str, classes: dict[str, tuple[str, ...]], name: str) -> ImageData:
    """The labelled emoji sets (emoji: EMOJI_CLASSES, emoji-faces: FACE_CLASSES), named `name`."""
    arrays = load_emoji_arrays()
    idx, labels = _labelled_split(arrays, split, classes)
    images = torch.from_numpy(arrays["images"][idx]).permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW
    return ImageData(name, images, torch.from_numpy(labels[idx]), list(classes))


def emoji_subcategories(split: str, classes: dict[str, tuple[str, ...]]) -> np.ndarray:
    """The Unicode subcategory of every image of load_emoji(split, classes), in the same order."""
    arrays = load_emoji_arrays()
    return arrays["subcategory"][_labelled_split(arrays, split, classes)[0]]


def _nchw(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()


def load_emoji_pairs(name: str, split: str) -> ImageData:
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
    in_train = np.isin(base, plain_split(np.unique(base), "train"))
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


def load_emoji_text(split: str) -> ImageData:
    """emoji-text: every drawing without a skin tone, with its captions."""
    arrays = load_emoji_arrays()
    keep = np.flatnonzero(arrays["skin_tone"] == "")
    # One drawing for several code points (some flags): keep the first, so no test image is also trained on.
    _, first_copy = np.unique(arrays["images"][keep].reshape(len(keep), -1), axis=0, return_index=True)
    keep = keep[np.sort(first_copy)]
    codes = arrays["unified"][keep]
    in_train = np.isin(codes, plain_split(np.unique(codes), "train"))
    idx = keep[in_train == (split == "train")]
    labels = _emoji_class_index(arrays["subcategory"], EMOJI_CLASSES)[idx]
    captions = tuple(captions_of(arrays["name"][i], arrays["short_names"][i], arrays["subcategory"][i]) for i in idx)
    return ImageData("emoji-text", _nchw(arrays["images"][idx]), torch.from_numpy(labels), list(EMOJI_CLASSES),
                     captions=captions)
