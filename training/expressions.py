"""What expressions an emoji face model draws, read off each generated face's nearest real training face.

The classifier behind training.evaluate knows "face", not "grinning" from "worried": a model can match the face
class and still draw one mood for most seeds (the default model's faces were 78% concerned against about 40% of
the training faces). Each generated face takes the Unicode subcategory of its nearest training face in pixels
(face-smiling, face-concerned, ...), grouped into moods below. How far to trust that reading is measured the same
way on the real held-out faces: the share whose nearest training face has their own mood.
"""

from __future__ import annotations

import numpy as np
import torch

from gan_models.model import LoadedModel
from training.data import load_dataset, to_float
from training.emoji_data import EMOJI_CLASSES, FACE_CLASSES, emoji_subcategories
from training.nearest import rms_distances

MOODS: dict[str, tuple[str, ...]] = {
    "smiling": ("face-smiling", "face-affection", "face-tongue"),
    "concerned": ("face-concerned", "face-negative", "face-unwell"),
    "other": ("face-hand", "face-neutral-skeptical", "face-sleepy", "face-hat", "face-glasses"),
}
FACE_SETS = {"emoji": EMOJI_CLASSES, "emoji-faces": FACE_CLASSES}  # data sets with a "face" class


def mood_of(subcategories: np.ndarray) -> np.ndarray:
    """Mood index (into MOODS) of each face subcategory."""
    index = np.full(len(subcategories), -1)
    for i, subs in enumerate(MOODS.values()):
        index[np.isin(subcategories, subs)] = i
    if (index < 0).any():
        raise ValueError(f"Face subcategories without a mood: {sorted(set(subcategories[index < 0]))}")
    return index


def _faces(dataset: str, split: str) -> tuple[torch.Tensor, np.ndarray]:
    """A face set's split: its face images (uint8) and each one's mood index."""
    data = load_dataset(dataset, split)
    is_face = (data.labels == data.class_names.index("face")).numpy()
    return data.images[is_face], mood_of(emoji_subcategories(split, FACE_SETS[dataset])[is_face])


def _shares(moods: np.ndarray) -> dict[str, float]:
    return {m: round(float((moods == i).mean()), 3) for i, m in enumerate(MOODS)}


def _read_moods(images: torch.Tensor, train_images: torch.Tensor, train_moods: np.ndarray) -> np.ndarray:
    """The mood of each image's nearest training face (images on [-1, 1])."""
    return train_moods[rms_distances(images.flatten(1), train_images).argmin(1).numpy()]


@torch.no_grad()
def face_expressions(model: LoadedModel, n: int = 1000, seed: int = 0) -> dict | None:
    """The moods of n generated faces against the data's, or None for a model that draws no face class (the
    non-emoji sets, and InfoGAN, whose codes are not the classes)."""
    dataset = model.config.dataset
    codes = getattr(model.config, "n_continuous", 0)
    if dataset not in FACE_SETS or codes or (model.conditional and "face" not in model.class_names):
        return None
    train_images, train_moods = _faces(dataset, "train")
    test_images, test_moods = _faces(dataset, "test")
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, model.latent_dim, generator=g)
    labels = torch.full((n,), model.class_names.index("face")) if model.conditional else None
    drawn = _read_moods(model.generator(z, labels), train_images, train_moods)
    test_read = _read_moods(to_float(test_images), train_images, train_moods)
    return {
        "n": n,
        "drawn": _shares(drawn),
        "real_test_read_the_same_way": _shares(test_read),
        "real_train": _shares(train_moods),
        "reading_accuracy_on_real_test": round(float((test_read == test_moods).mean()), 3),
    }
