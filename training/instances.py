"""What an IC-GAN (gan_models.icgan) trains on: each training image's features, its nearest neighbours, and the
(instance, real image) pairs a batch draws.

Features come from an encoder trained without labels (the trunk of a model folder's discriminator), reduced to
their first principal components and normalised: no label is read anywhere, so the IC-GAN stays label-free.

Pairs are drawn so that the real image j is uniform over the data and the instance i uniform among those whose
neighbourhood holds j; instances are drawn at generation with that scheme's marginal. Drawing the instance
uniformly instead (the paper's scheme) over-draws images that many instances count as neighbours ("hubs"); on
animal-mnist that alone costs 2.5x of the Frechet floor (docs/dcgan-animals.md, section 14).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@torch.no_grad()
def principal_features(features: torch.Tensor, dim: int) -> torch.Tensor:
    """Features [N, D] -> their first `dim` principal components [N, dim], each row of unit norm. Exact SVD
    (deterministic, unlike torch.pca_lowrank), with each component's sign fixed by its largest loading."""
    if features.ndim != 2 or not 1 <= dim <= min(features.shape):
        raise ValueError(f"need features [N, D] with 1 <= dim <= min(N, D), got {tuple(features.shape)} and {dim}")
    centred = features.double() - features.double().mean(0)
    _, _, vh = torch.linalg.svd(centred, full_matrices=False)
    components = vh[:dim]  # [dim, D]
    signs = torch.sign(components.gather(1, components.abs().argmax(1, keepdim=True)))
    projected = centred @ (components * signs).T  # [N, dim]
    return torch.nn.functional.normalize(projected, dim=1).float()


@dataclass(frozen=True)
class NeighbourPairs:
    """Every (instance, neighbour) pair, flattened: instance [N*k], image [N*k], draw weight [N*k]."""

    instance: torch.Tensor
    image: torch.Tensor
    weight: torch.Tensor

    def draw(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """n pairs (instance indices [n], real image indices [n]): images uniform, instances among their holders."""
        pick = torch.multinomial(self.weight, n, replacement=True, generator=generator)
        return self.instance[pick], self.image[pick]

    def instance_weights(self) -> torch.Tensor:
        """[N]: how often each instance is drawn by `draw` (sums to 1); generation draws instances with these."""
        n = int(self.instance.max()) + 1
        weights = torch.zeros(n, dtype=torch.float64).index_add_(0, self.instance, self.weight.double())
        return (weights / weights.sum()).float()


@torch.no_grad()
def neighbour_pairs(features: torch.Tensor, k: int, chunk: int = 2048) -> NeighbourPairs:
    """The k nearest images of each instance by cosine similarity of unit-norm features [N, F] (itself
    included, first), with each pair weighted 1 / (how many neighbourhoods hold its image)."""
    n = len(features)
    if not 1 <= k <= n:
        raise ValueError(f"neighbours must be in 1..{n}, got {k}")
    nearest = torch.cat([(features[i : i + chunk] @ features.T).topk(k, dim=1).indices
                         for i in range(0, n, chunk)])  # [N, k]
    image = nearest.flatten()
    holders = torch.bincount(image, minlength=n).float()
    return NeighbourPairs(torch.arange(n).repeat_interleave(k), image, 1.0 / holders[image])


def fill_banks(images: torch.Tensor, source: str, dim: int, k: int, networks) -> NeighbourPairs:
    """Encode float images [N, C, H, W], keep `dim` principal components, pair each instance with its `k`
    nearest images, and store the features and the instances' draw weights in every network's bank."""
    features = principal_features(encode(images, source), dim)
    pairs = neighbour_pairs(features, k)
    for network in networks:
        network.bank.set(features, pairs.instance_weights())
    return pairs


@torch.no_grad()
def encode(images: torch.Tensor, source: str, batch: int = 1000) -> torch.Tensor:
    """Features [N, D] of float images [N, C, H, W] in [-1, 1]: the pixels themselves ("pixels"), or the trunk
    of the discriminator in model folder `source` (which must take images of this shape)."""
    if source == "pixels":
        return images.flatten(1)
    from gan_models.registry import load_from_folder  # imported lazily: it loads weights

    model = load_from_folder(source)
    trunk = getattr(model.discriminator, "body", None)
    if trunk is None or model.image_shape != tuple(images.shape[1:]):
        raise ValueError(f"{source} has no discriminator trunk for {tuple(images.shape[1:])} images")
    trunk.eval()
    return torch.cat([trunk(images[i : i + batch]).flatten(1) for i in range(0, len(images), batch)])
