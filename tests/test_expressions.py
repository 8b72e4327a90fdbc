"""Face moods: each face's mood is read off its nearest real training face."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from gan_models.dcgan import DCGANConfig
from gan_models.model import LoadedModel
from training.data import load_dataset, to_float
from training.emoji_data import EMOJI_CLASSES, emoji_subcategories
from training.expressions import MOODS, face_expressions, mood_of


class ReplayGenerator(torch.nn.Module):
    """Draws the given images in turn, whatever z and labels are: a generator that copies its data."""

    def __init__(self, images: torch.Tensor, config: DCGANConfig) -> None:
        super().__init__()
        self.images, self.config = images, config

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.images[torch.arange(len(z)) % len(self.images)]


def replay_model(images: torch.Tensor, dataset: str, class_names: list[str]) -> LoadedModel:
    config = DCGANConfig(latent_dim=8, image_size=32, channels=3, num_classes=len(class_names),
                         class_names=class_names, dataset=dataset)
    kind = "cdcgan" if class_names else "dcgan"
    return LoadedModel("replay", kind, ReplayGenerator(images, config), None, config, class_names)


def test_every_face_subcategory_has_one_mood_and_others_are_refused() -> None:
    faces = EMOJI_CLASSES["face"]
    assert sorted(s for subs in MOODS.values() for s in subs) == sorted(faces)
    assert mood_of(np.array(faces)).min() >= 0
    with pytest.raises(ValueError, match="without a mood"):
        mood_of(np.array(["face-smiling", "heart"]))


def test_subcategories_line_up_with_the_split_images() -> None:
    train = load_dataset("emoji", "train")
    subcategories = emoji_subcategories("train", EMOJI_CLASSES)
    assert len(subcategories) == len(train.images)
    hearts = subcategories[(train.labels == train.class_names.index("heart")).numpy()]
    assert set(hearts) == {"heart"}


@pytest.mark.parametrize("mood", ["smiling", "concerned"])
def test_a_generator_copying_faces_of_one_mood_reads_as_that_mood(mood: str) -> None:
    train = load_dataset("emoji", "train")
    is_face = train.labels == train.class_names.index("face")
    moods = mood_of(emoji_subcategories("train", EMOJI_CLASSES)[is_face.numpy()])
    chosen = train.images[is_face][torch.from_numpy(moods == list(MOODS).index(mood))]
    model = replay_model(to_float(chosen), "emoji", list(train.class_names))
    report = face_expressions(model, n=100)
    assert report["drawn"][mood] == 1.0
    assert sum(report["real_train"].values()) == pytest.approx(1.0, abs=0.01)
    assert 0.4 < report["reading_accuracy_on_real_test"] <= 1.0  # above the 3-way chance of ~0.36


def test_models_without_a_face_class_are_not_read() -> None:
    blank = torch.zeros(1, 3, 32, 32)
    assert face_expressions(replay_model(blank, "animal-mnist", []), n=4) is None
    assert face_expressions(replay_model(blank, "emoji", ["heart", "flag"]), n=4) is None
    infogan = replay_model(blank, "emoji", list(EMOJI_CLASSES))
    object.__setattr__(infogan, "config", SimpleNamespace(dataset="emoji", n_continuous=2))
    assert face_expressions(infogan, n=4) is None
