"""Labels found without the real ones: k-means clusters of a trained discriminator's features.

A self-conditioned GAN (Liu et al. 2020) trains a conditional model on such clusters, so its generator can jump
between modes of the data instead of passing through blends; `python -m training.train --pseudo-labels` reads
the file written here. The real labels are read only to report how well the clusters match them.

    python -m training.pseudo_labels checkpoints/dcgan-animals --clusters 50 --out runs/animal-clusters-50.npy
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from gan_models.model import LoadedModel
from gan_models.registry import load_from_folder
from training.data import load_dataset, to_float


@torch.inference_mode()
def discriminator_features(model: LoadedModel, images: torch.Tensor, batch: int = 500) -> np.ndarray:
    """The features an unconditional DCGAN's D trunk computes for uint8 images, [N, F]."""
    if model.discriminator is None or not hasattr(model.discriminator, "body"):
        raise SystemExit(f"{model.id} has no DCGAN discriminator to read features from")
    body = model.discriminator.body
    return torch.cat([body(to_float(images[i : i + batch])).flatten(1) for i in range(0, len(images), batch)]).numpy()


def cluster(features: np.ndarray, k: int, seed: int = 0, dims: int = 64) -> np.ndarray:
    """k-means on standardised features reduced to `dims` principal components, int64 labels [N]."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    x = (features - features.mean(0)) / (features.std(0) + 1e-6)
    x = PCA(min(dims, x.shape[1]), random_state=seed).fit_transform(x)
    return KMeans(k, n_init=4, random_state=seed).fit_predict(x).astype(np.int64)


def purity(labels: np.ndarray, truth: np.ndarray) -> float:
    """The share of images in their cluster's most common real class."""
    return sum(int(np.bincount(truth[labels == c]).max()) for c in np.unique(labels)) / len(truth)


def main(argv: list[str] | None = None) -> np.ndarray:
    p = argparse.ArgumentParser(prog="python -m training.pseudo_labels", description=__doc__.split("\n")[0])
    p.add_argument("checkpoint", type=Path, help="an unconditional DCGAN folder with its discriminator")
    p.add_argument("--clusters", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True, help="the .npy to write (one label per train image)")
    args = p.parse_args(argv)
    if not 2 <= args.clusters <= 1000:
        raise SystemExit("--clusters must be in 2..1000")
    model = load_from_folder(args.checkpoint)
    model_dataset = model.config.dataset
    data = load_dataset(model_dataset, "train")
    labels = cluster(discriminator_features(model, data.images), args.clusters, args.seed)
    from sklearn.metrics import normalized_mutual_info_score

    truth = data.labels.numpy()
    print(f"{args.clusters} clusters of {len(labels)} {model_dataset} train images: sizes "
          f"{np.bincount(labels).min()}..{np.bincount(labels).max()}, purity {purity(labels, truth):.3f}, "
          f"NMI with the real classes {normalized_mutual_info_score(truth, labels):.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, labels)
    return labels


if __name__ == "__main__":
    main()
