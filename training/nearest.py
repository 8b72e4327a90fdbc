"""Nearest real training images of a generated one: the check for "is the GAN just copying its data?".

Distance is the root-mean-square pixel difference of images on [-1, 1] (0: identical; a black and a white image
are 2 apart), so it reads the same for every image size. A generated image much closer to a training image
than real held-out images ever are would be a copy; the held-out baseline says what "close" means for this
data (each test image's distance to its own nearest training image).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from training.data import DATASETS, load_dataset, to_float

BASELINE_IMAGES = 500  # held-out test images whose nearest-training-image distances make the baseline
CHUNK = 4096  # training images turned into floats at a time: the search holds the set as uint8 only


@dataclass(frozen=True)
class TrainingSet:
    """A data set's training split for nearest-neighbour search, with the held-out baseline."""

    name: str
    images: torch.Tensor  # uint8 [N, C, H, W]: searched a chunk at a time, and shown
    labels: torch.Tensor  # [N]
    class_names: tuple[str, ...]
    held_out_distances: torch.Tensor  # [BASELINE_IMAGES] each test image's distance to its nearest training image


@dataclass(frozen=True)
class Neighbours:
    """The k nearest training images of each query image (closest first)."""

    indices: torch.Tensor  # [Q, k] into TrainingSet.images
    distances: torch.Tensor  # [Q, k] root-mean-square pixel distances


def rms_distances(queries: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """Float queries [Q, D] x uint8 images [N, ...] -> [Q, N] root-mean-square differences. In chunks, so a large
    set (a downloaded MNIST, 60,000 images) never exists as floats all at once."""
    blocks = [torch.cdist(queries, to_float(images[i:i + CHUNK]).flatten(1)) for i in range(0, len(images), CHUNK)]
    return torch.cat(blocks, dim=1) / queries.shape[1] ** 0.5


@functools.lru_cache(maxsize=4)
def training_set(name: str) -> TrainingSet:
    """The vendored (or already downloaded) training split of `name`; a ValueError if this server lacks it."""
    if name not in DATASETS or name == "fake":
        raise ValueError(f"This model's training data ({name or 'not named in its config'}) is not one of the data "
                         "sets this server has, so its nearest training images cannot be shown.")
    try:
        train, test = load_dataset(name, "train", download=False), load_dataset(name, "test", download=False)
    except (OSError, RuntimeError) as e:
        raise ValueError(f"The {name} training data is not on this server ({e}).") from None
    held_out = to_float(test.images[:BASELINE_IMAGES]).flatten(1)
    baseline = rms_distances(held_out, train.images).min(dim=1).values
    return TrainingSet(name, train.images, torch.as_tensor(train.labels), tuple(train.class_names), baseline)


def nearest(images: torch.Tensor, data: TrainingSet, k: int = 3) -> Neighbours:
    """The k nearest training images of each of `images` ([Q, C, H, W] on [-1, 1], the data's shape)."""
    if tuple(images.shape[1:]) != tuple(data.images.shape[1:]):
        raise ValueError(f"Images of shape {tuple(images.shape[1:])} cannot be compared with the {data.name} "
                         f"training images, {tuple(data.images.shape[1:])}.")
    if not 1 <= k <= len(data.images):
        raise ValueError(f"k must be 1..{len(data.images)}, got {k}.")
    distances, indices = rms_distances(images.float().flatten(1), data.images).topk(k, dim=1, largest=False)
    return Neighbours(indices, distances)
