"""The in-memory image set every dataset loader returns, and the seeded train/test splits they share.

Its own module so the dataset registry (training/data.py) and the emoji loaders (training/emoji_data.py)
can both build ImageData and split the same way without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

SPLIT_SEED = 0  # fixes every dataset's train/test split (and emoji-styles' halves); documented in the model cards
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


def stratified_split(images: np.ndarray, labels: np.ndarray, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Seeded, stratified train/test split shared by everything that uses these datasets."""
    from sklearn.model_selection import train_test_split

    idx_train, idx_test = train_test_split(
        np.arange(len(labels)), test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=labels
    )
    idx = np.sort(idx_train if split == "train" else idx_test)
    return images[idx], labels[idx]


def plain_split(items: np.ndarray, split: str) -> np.ndarray:
    """The same seeded 80/20 split without classes to stratify by (code points of the emoji sets)."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(np.arange(len(items)), test_size=TEST_FRACTION, random_state=SPLIT_SEED)
    return items[np.sort(train if split == "train" else test)]


MAX_PSEUDO_CLASSES = 1000


def with_pseudo_labels(data: ImageData, path: str | Path) -> ImageData:
    """The same images with labels read from an int .npy, one per image (e.g. k-means clusters found without
    the real labels), named "cluster 0", "cluster 1", ...: a self-conditioned GAN (Liu et al. 2020)."""
    try:
        labels = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(f"pseudo-labels: cannot read {path}: {error}") from None
    if labels.ndim != 1 or len(labels) != len(data) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"pseudo-labels: need {len(data)} integers (one per {data.name} train image), "
                         f"got {labels.dtype} {labels.shape}")
    if len(labels) and (labels.min() < 0 or labels.max() >= MAX_PSEUDO_CLASSES):
        raise ValueError(f"pseudo-labels: values must be in 0..{MAX_PSEUDO_CLASSES - 1}")
    k = int(labels.max()) + 1 if len(labels) else 0
    return replace(data, labels=torch.from_numpy(labels.astype(np.int64)),
                   class_names=[f"cluster {i}" for i in range(k)])
