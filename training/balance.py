"""Class balance for a generator that takes no class: a classifier in the loop (after Rangwani et al. 2021).

An unconditional GAN is free to draw its classes in the wrong proportions: D judges one image at a time, and
nothing in its loss counts how many bears a batch holds, or minds a drawing halfway between a cat and a dog.
This term does: classifiers trained on the real train labels read each fake of G's batch, and G is
penalised for the batch's class mix straying from the data's and for images no class claims. The generator
still takes only z; the labels reach it only through these classifiers.

Label-free variants were measured first and do not see the problem on animal-mnist: k-means clusters of D's
features (or of pixels) agree with the classes poorly, and G already matches their frequencies; the missing
share lies in distinctions only a label-trained classifier makes. README has the measured effect: clearer,
better-balanced classes, at a cost in Frechet distance, so no shipped model uses it.

The classifiers are trained with other seeds than the evaluation classifier (training.evaluate, seed 0), so
the shipped model's class numbers are not read off a network it was trained against.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from training.classifier import SmallClassifier, batched, train_classifier
from training.data import ImageData, to_float

ENSEMBLE_SEEDS = (1, 2, 3)  # never the evaluation classifier's 0
CLEAR_QUANTILE = 0.9  # images less clear than this share of real train images are asked to become clearer


class ClassBalance(torch.nn.Module):
    """`balance(fake) -> 0-d loss`: KL(prior || the batch's mean class distribution) plus how far each image's
    class entropy lies above `clear_entropy` (batch mean), read by an ensemble of frozen classifiers (their
    softmaxes averaged).

    The first term counts classes; the second asks each image to be one clear class, but no clearer than
    real images are (a penalty on every image's entropy was measured to cost more Frechet distance). With the count
    alone, one classifier was measured to be fooled: G moved its blended, between-class drawings across that
    classifier's boundaries until it counted balanced classes, while the evaluation classifier saw the mix
    unchanged. An image scores as confident only when every member of the ensemble agrees on it.
    """

    def __init__(self, classifiers: list[torch.nn.Module], prior: torch.Tensor,
                 clear_entropy: float = 0.0) -> None:
        super().__init__()
        self.classifiers = torch.nn.ModuleList(classifiers).eval().requires_grad_(False)
        self.register_buffer("prior", prior / prior.sum())
        self.register_buffer("clear_entropy", torch.tensor(float(clear_entropy)))

    def probabilities(self, fake: torch.Tensor) -> torch.Tensor:
        """Each image's class distribution [N, K], the ensemble's mean (differentiable in the images)."""
        return torch.stack([F.softmax(clf(fake), dim=1) for clf in self.classifiers]).mean(0)

    def forward(self, fake: torch.Tensor) -> torch.Tensor:
        p = self.probabilities(fake).clamp_min(1e-8)
        shares = p.mean(0)
        count = (self.prior * (self.prior.log() - shares.log())).sum()
        unclear = (entropy(p) - self.clear_entropy).clamp_min(0).mean()
        return count + unclear

    def train(self, mode: bool = True) -> ClassBalance:
        return super().train(False)  # the classifiers stay in eval mode whatever the caller does


def entropy(p: torch.Tensor) -> torch.Tensor:
    """Each row's entropy [N] of class distributions [N, K] (nats)."""
    return -(p * p.clamp_min(1e-8).log()).sum(1)


def class_prior(data: ImageData) -> torch.Tensor:
    """The real train split's class shares [K]."""
    return torch.bincount(data.labels, minlength=len(data.class_names)).float() / len(data.labels)


def ensemble(data: ImageData, min_steps: int = 1000) -> list[SmallClassifier]:
    """The in-loop classifiers (seeds ENSEMBLE_SEEDS) trained on `data` (uint8 images with labels); deterministic
    on CPU. Shared by the class-balance term and the feature discriminator (training.feature_d)."""
    if len(data.class_names) < 2:
        raise ValueError(f"classifiers in the loop need a labelled dataset with 2 or more classes, not {data.name}")
    return [train_classifier(data, min_steps=min_steps, seed=seed) for seed in ENSEMBLE_SEEDS]


def empty_ensemble(data: ImageData) -> list[SmallClassifier]:
    """The same classifiers untrained, to load a saved state into (--resume)."""
    return [SmallClassifier(data.channels, data.image_size, len(data.class_names), data.class_names)
            for _ in ENSEMBLE_SEEDS]


def build_class_balance(data: ImageData, min_steps: int = 1000) -> ClassBalance:
    """Train the in-loop classifiers on `data` (uint8 images with labels); deterministic on CPU."""
    balance = ClassBalance(ensemble(data, min_steps), class_prior(data))
    real = entropy(batched(balance.probabilities, to_float(data.images)))
    balance.clear_entropy.fill_(torch.quantile(real, CLEAR_QUANTILE))
    return balance


def empty_class_balance(data: ImageData) -> ClassBalance:
    """The same module untrained, to load a saved state into (--resume)."""
    return ClassBalance(empty_ensemble(data), class_prior(data))
