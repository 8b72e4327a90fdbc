"""A second discriminator that judges images through frozen classifiers' eyes (a vision-aided GAN, Kumari et al.
2022; Projected GANs, Sauer et al. 2021, do the same with ImageNet networks).

D judges one image at a time from pixels it learns to read itself; on animal-mnist it was measured unable to
tell a blend of two animals from a clear one (README). This one reads the features and logits of the in-loop
classifiers (training.balance.ensemble: trained on the real train labels, seeds 1-3, never the evaluation's), so
what it learns is a density ratio in a space where the classes and the blends between them lie apart: where G
draws too many sheep, or cat-dog blends, it says "fake"; where it draws too few bears, "real". Only its small
head trains; the classifiers stay frozen. The generator still takes only z.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torch.nn.utils import spectral_norm

from training.balance import empty_ensemble, ensemble
from training.classifier import SmallClassifier
from training.data import ImageData

HIDDEN = 256


class FeatureDiscriminator(nn.Module):
    """`fd(images) -> logits [N]`: a spectral-normed MLP on the frozen classifiers' features and logits."""

    def __init__(self, classifiers: list[SmallClassifier], hidden: int = HIDDEN) -> None:
        super().__init__()
        self.classifiers = nn.ModuleList(classifiers).eval().requires_grad_(False)
        width = sum(c.head.in_features + c.head.out_features for c in classifiers)
        self.head = nn.Sequential(
            spectral_norm(nn.Linear(width, hidden)), nn.LeakyReLU(0.2),  # [N, hidden]
            spectral_norm(nn.Linear(hidden, 1)),  # [N, 1]
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        seen = []
        for clf in self.classifiers:
            features = clf.features(images)  # [N, 64]
            seen += [features, clf.head(features)]  # and its class logits [N, K]
        return self.head(torch.cat(seen, 1)).squeeze(1)

    def train(self, mode: bool = True) -> FeatureDiscriminator:
        super().train(mode)
        self.classifiers.eval()  # frozen whatever the caller does
        return self


def build_feature_discriminator(data: ImageData, min_steps: int = 1000, seed: int = 0) -> FeatureDiscriminator:
    """Train the in-loop classifiers on `data` and put a fresh head (seeded) on them."""
    classifiers = ensemble(data, min_steps)
    torch.manual_seed(seed)
    return FeatureDiscriminator(classifiers)


def empty_feature_discriminator(data: ImageData) -> FeatureDiscriminator:
    """The same module untrained, to load a saved state into (--resume)."""
    return FeatureDiscriminator(empty_ensemble(data))
