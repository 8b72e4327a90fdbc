"""The small classifier that scores generators in place of Inception: one per dataset, trained on the real
train split, shipped in checkpoints/classifiers/<dataset>/ (safetensors) and trained on first use."""

from __future__ import annotations

import math
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin

from training.data import ImageData, load_dataset, to_float

CLASSIFIERS_DIR = Path(__file__).resolve().parent.parent / "checkpoints" / "classifiers"
SECOND_SEED = 4  # a second classifier, trained like the first: where the two disagree, a sample is no clear class


class SmallClassifier(nn.Module, PyTorchModelHubMixin, tags=["classifier", "gan-latent-explorer"]):
    """Two conv blocks and a 64-unit feature layer: ~0.1M parameters for 28x28 grayscale."""

    def __init__(self, channels: int = 1, image_size: int = 28, num_classes: int = 10,
                 class_names: list[str] | None = None, feature_dim: int = 64) -> None:
        super().__init__()
        self.class_names = list(class_names or [str(i) for i in range(num_classes)])
        self.features = nn.Sequential(
            nn.Conv2d(channels, 16, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),  # [N, 16, 14, 14]  ([16, 16])
            nn.Conv2d(16, 32, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),  # [N, 32, 7, 7]  ([8, 8])
            nn.Flatten(),
            nn.Linear(32 * (image_size // 4) ** 2, feature_dim), nn.ReLU(),  # [N, feature_dim]
        )
        self.head = nn.Linear(feature_dim, num_classes)  # [N, num_classes] logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@torch.no_grad()
def batched(fn, x: torch.Tensor, batch: int = 500) -> torch.Tensor:
    """fn over x in slices of `batch` rows, concatenated (no gradients)."""
    return torch.cat([fn(x[i : i + batch]) for i in range(0, len(x), batch)])


def train_classifier(train: ImageData, min_steps: int = 1000, seed: int = 0, batch_size: int = 128) -> SmallClassifier:
    """Plain supervised training on the real train split (uint8 images), deterministic for a seed on CPU.

    At least 6 epochs and `min_steps` updates, so the 1,437-image digits set gets as many updates as a big one.
    """
    epochs = max(6, math.ceil(min_steps / math.ceil(len(train) / batch_size)))
    torch.manual_seed(seed)
    clf = SmallClassifier(train.channels, train.image_size, len(train.class_names), train.class_names)
    return fit_classifier(clf, train, epochs, seed, batch_size, lr=2e-3)


def fit_classifier(clf: nn.Module, train: ImageData, epochs: int, seed: int, batch_size: int = 128,
                   lr: float = 2e-3) -> nn.Module:
    """Adam on cross-entropy over `epochs` seeded passes of the train split with small random translations;
    returns `clf` in eval mode."""
    opt = torch.optim.Adam(clf.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    clf.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(train), generator=g).split(batch_size):
            x = to_float(train.images[idx])
            shift = torch.randint(-2, 3, (2,), generator=g).tolist()  # small translations: less overfitting
            x = torch.roll(x, shifts=shift, dims=(2, 3))
            loss = F.cross_entropy(clf(x), train.labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return clf.eval()


def classifier_for(dataset: str, folder: Path | None = None, retrain: bool = False,
                   min_steps: int = 1000, seed: int = 0) -> SmallClassifier:
    """Load checkpoints/classifiers/<dataset> (or <dataset>-seed<N>; safetensors, strict), training and saving
    it when absent."""
    folder = folder or CLASSIFIERS_DIR / (dataset if seed == 0 else f"{dataset}-seed{seed}")
    if not retrain and (folder / "model.safetensors").exists():
        return SmallClassifier.from_pretrained(folder, strict=True).eval()
    train = load_dataset(dataset, "train")
    t0 = time.perf_counter()
    clf = train_classifier(train, min_steps=min_steps, seed=seed)
    clf.save_pretrained(folder)
    test = load_dataset(dataset, "test")
    acc = accuracy(clf, test)
    (folder / "README.md").write_text(
        f"# Evaluation classifier for {dataset}\n\nA small CNN (`training.classifier.SmallClassifier`, "
        f"{sum(p.numel() for p in clf.parameters()):,} parameters) trained by `python -m training.evaluate` on the "
        f"real {dataset} train split ({len(train)} images, >= 6 epochs and >= 1000 updates of batch 128, Adam 2e-3, "
        f"+-2 px shifts, seed {seed}) in "
        f"{time.perf_counter() - t0:.0f} s. Accuracy on the real test split ({len(test)} images): {acc:.4f}.\n"
        + ("Used only to score generators: class match, feature Frechet distance, class histogram.\n" if seed == 0
           else "Used only to score generators: how often it agrees with the seed-0 classifier.\n")
    )
    return clf


def agreement(first: SmallClassifier, second: SmallClassifier, images: torch.Tensor) -> float:
    """The share of images [N, C, H, W] in [-1, 1] that two classifiers put in the same class."""
    return float((batched(first, images).argmax(1) == batched(second, images).argmax(1)).float().mean())


def accuracy(clf: SmallClassifier, data: ImageData) -> float:
    logits = batched(clf, to_float(data.images))
    return float((logits.argmax(1) == data.labels).float().mean())
