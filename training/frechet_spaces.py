"""Frechet distances of a generator's samples in feature spaces the evaluation does not use, each as a ratio to
that space's own train-vs-test floor: a cross-check for any model trained with classifiers in the loop.

training.evaluate reads images through a small CNN trained on the labels (seed 0). A generator trained against
its siblings (--class-balance, --feature-d: the same architecture and labels, seeds 1-3) may learn what that
kind of network likes rather than what the data looks like (Kynkaanniemi et al. 2023 showed this for FID and
ImageNet features). These spaces share nothing with it but the data:
  mlp:    a fully connected classifier's last hidden layer (another architecture, another seed);
  vae:    the shipped VAE's encoder means (no labels at all);
  pixels: the train split's first 50 principal components.

    python -m training.frechet_spaces checkpoints/dcgan-animals checkpoints/cdcgan-animals
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from gan_models.registry import load_from_folder
from training.classifier import batched, fit_classifier
from training.data import ImageData, load_dataset, to_float
from training.evaluate import frechet_distance, generate

MLP_SEED = 7  # not an in-loop (1-3) nor an evaluation (0, 4) seed
PCA_COMPONENTS = 50
SHIPPED_VAE = {"animal-mnist": "vae-animals", "digits": "vae-digits"}
CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"

Space = Callable[[torch.Tensor], torch.Tensor]


class MLPClassifier(nn.Module):
    """A 784-512-128 fully connected classifier: no convolution, unlike the evaluation's SmallClassifier."""

    def __init__(self, pixels: int, num_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Flatten(),  # [N, pixels]
            nn.Linear(pixels, 512), nn.ReLU(),  # [N, 512]
            nn.Linear(512, 128), nn.ReLU(),  # [N, 128]
        )
        self.head = nn.Linear(128, num_classes)  # [N, num_classes] logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def mlp_space(train: ImageData, epochs: int = 15) -> Space:
    """An MLPClassifier trained on the labels; its 128 hidden units are the features."""
    torch.manual_seed(MLP_SEED)
    clf = MLPClassifier(train.channels * train.image_size**2, len(train.class_names))
    fit_classifier(clf, train, epochs, MLP_SEED, lr=1e-3)
    return lambda x: batched(clf.features, x)


def vae_space(folder: str | Path) -> Space:
    vae = load_from_folder(folder).generator.eval()
    return lambda x: batched(lambda b: vae.encode(b)[0], x)


def pixel_space(train: ImageData) -> Space:
    flat = to_float(train.images).flatten(1)
    mean = flat.mean(0)
    _, _, v = torch.pca_lowrank(flat - mean, q=PCA_COMPONENTS, center=False, niter=4)
    return lambda x: (x.flatten(1) - mean) @ v


def spaces_for(dataset: str, vae: str | Path | None) -> tuple[dict[str, Space], ImageData, ImageData]:
    train, test = load_dataset(dataset, "train"), load_dataset(dataset, "test")
    spaces = {"mlp": mlp_space(train), "pixels": pixel_space(train)}
    if vae is not None:
        spaces["vae"] = vae_space(vae)
    return spaces, train, test


@torch.no_grad()
def references(spaces: dict[str, Space], train: ImageData, test: ImageData) -> dict[str, tuple[np.ndarray, float]]:
    """{space: (the test split's features, the Frechet distance of the train split to them: the floor)}."""
    out = {}
    for name, space in spaces.items():
        reference = space(to_float(test.images)).numpy()
        out[name] = reference, frechet_distance(space(to_float(train.images)).numpy(), reference)
    return out


@torch.no_grad()
def ratios(images: torch.Tensor, spaces: dict[str, Space],
           refs: dict[str, tuple[np.ndarray, float]]) -> dict[str, float]:
    """{space: Frechet(images, test) / floor} for images [N, C, H, W] in [-1, 1]; `refs` from references()."""
    return {name: frechet_distance(space(images).numpy(), refs[name][0]) / refs[name][1]
            for name, space in spaces.items()}


def samples(folder: str | Path, train: ImageData, n: int = 10_000, seed: int = 0) -> torch.Tensor:
    """n images of a checkpoint; a conditional model draws the train split's class mix, as training.evaluate
    asks it to."""
    model = load_from_folder(folder)
    return generate(model, n, seed, train.labels if model.config.num_classes else None)[0]


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    p = argparse.ArgumentParser(prog="python -m training.frechet_spaces", description=__doc__.split("\n\n")[0])
    p.add_argument("folders", nargs="+", type=Path, help="checkpoint folders of one dataset")
    p.add_argument("--vae", type=Path, help="a VAE folder of that dataset (default: the shipped one, if any)")
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    dataset = load_from_folder(args.folders[0]).config.dataset
    vae = args.vae or (CHECKPOINTS / SHIPPED_VAE[dataset] if dataset in SHIPPED_VAE else None)
    spaces, train, test = spaces_for(dataset, vae)
    refs = references(spaces, train, test)
    table = {}
    for folder in args.folders:
        table[str(folder)] = ratios(samples(folder, train, args.n), spaces, refs)
        print(f"{folder}: " + "  ".join(f"{k} {v:.2f}x" for k, v in table[str(folder)].items()), flush=True)
    return table


if __name__ == "__main__":
    main()
