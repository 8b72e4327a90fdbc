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

import torch
import torch.nn as nn
import torch.nn.functional as F

from gan_models.registry import load_from_folder
from training.classifier import batched
from training.data import ImageData, load_dataset, to_float
from training.evaluate import frechet_distance, generate

MLP_SEED = 7  # not an in-loop (1-3) nor an evaluation (0, 4) seed
PCA_COMPONENTS = 50
SHIPPED_VAE = {"animal-mnist": "vae-animals", "digits": "vae-digits"}
CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"

Space = Callable[[torch.Tensor], torch.Tensor]


def mlp_space(train: ImageData, epochs: int = 15) -> Space:
    """A 784-512-128 MLP classifier trained on the labels; its 128 hidden units are the features."""
    torch.manual_seed(MLP_SEED)
    pixels = train.channels * train.image_size**2
    body = nn.Sequential(nn.Flatten(), nn.Linear(pixels, 512), nn.ReLU(), nn.Linear(512, 128), nn.ReLU())
    head = nn.Linear(128, len(train.class_names))
    opt = torch.optim.Adam([*body.parameters(), *head.parameters()], lr=1e-3)
    g = torch.Generator().manual_seed(MLP_SEED)
    for _ in range(epochs):
        for idx in torch.randperm(len(train), generator=g).split(128):
            shift = torch.randint(-2, 3, (2,), generator=g).tolist()
            x = torch.roll(to_float(train.images[idx]), shift, (2, 3))
            loss = F.cross_entropy(head(body(x)), train.labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    body.eval()
    return lambda x: batched(body, x)


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
def ratios(images: torch.Tensor, spaces: dict[str, Space], train: ImageData, test: ImageData) -> dict[str, float]:
    """{space: Frechet(images, test) / Frechet(train, test)} for images [N, C, H, W] in [-1, 1]."""
    real_train, real_test = to_float(train.images), to_float(test.images)
    out = {}
    for name, space in spaces.items():
        reference = space(real_test).numpy()
        floor = frechet_distance(space(real_train).numpy(), reference)
        out[name] = frechet_distance(space(images).numpy(), reference) / floor
    return out


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
    table = {}
    for folder in args.folders:
        table[str(folder)] = ratios(samples(folder, train, args.n), spaces, train, test)
        print(f"{folder}: " + "  ".join(f"{k} {v:.2f}x" for k, v in table[str(folder)].items()), flush=True)
    return table


if __name__ == "__main__":
    main()
