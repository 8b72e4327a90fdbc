"""Latent-space directions, strongest first: GANSpace-style PCA of the first-layer features and closed-form
SeFa directions from the first layer's weight, cached per model.

Model-agnostic like gan_models/latent.py: PCA takes a plain callable (z -> features), SeFa a weight matrix.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

DIRECTION_PREFIX = "pc"  # direction names are "pc0", "pc1", ... in order of explained variance
SEFA_PREFIX = "sf"  # closed-form (SeFa) directions: "sf0", "sf1", ..., strongest first


@dataclass(frozen=True)
class Directions:
    """Orthonormal latent-space directions, strongest first."""

    vectors: torch.Tensor  # [k, latent_dim], rows orthonormal
    explained: torch.Tensor  # [k] share of first-layer feature variance, sums to <= 1
    prefix: str = DIRECTION_PREFIX

    @property
    def names(self) -> list[str]:
        return [f"{self.prefix}{i}" for i in range(self.vectors.shape[0])]

    def __add__(self, other: Directions) -> Directions:
        """Both sets, each direction keeping its own name (for edits that mix PCA and SeFa moves)."""
        return _NamedDirections(torch.cat([self.vectors, other.vectors]), torch.cat([self.explained, other.explained]),
                                self.prefix, self.names + other.names)


@dataclass(frozen=True)
class _NamedDirections(Directions):
    all_names: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return self.all_names


def pca_directions(
    features_fn: Callable[[torch.Tensor], torch.Tensor],
    latent_dim: int,
    k: int = 8,
    n_samples: int = 1024,
    seed: int = 0,
    jacobian_samples: int = 128,
) -> Directions:
    """GANSpace-style directions: PCA of the generator's first-layer features for `n_samples` random
    latents, each principal component mapped back to latent space, then orthonormalised in order
    (QR keeps the span of the first i directions), so an amount of 1 moves z by one prior std.

    The map back uses the mean Jacobian (u_i = E[J(z)^T v_i]): exact for a linear first layer and free
    of sampling noise. If `features_fn` is not differentiable (e.g. runs under inference_mode) it falls
    back to GANSpace's least-squares regression of z on the PCA coordinates, which is noisier."""
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n_samples, latent_dim, generator=gen)
    with torch.inference_mode():
        feats = features_fn(z).reshape(n_samples, -1).float()
    feats = feats - feats.mean(0, keepdim=True)
    k = max(1, min(k, latent_dim, n_samples - 1, feats.shape[1]))
    q = min(k + 8, feats.shape[1], n_samples)
    _, s, v = _randomized_svd(feats, q, gen)  # float32 is plenty for the top few components
    total_var = (feats.double() ** 2).sum() / (n_samples - 1)
    explained = (s[:k].double() ** 2 / (n_samples - 1)) / total_var
    v_k = v[:, :k]  # [f, k]
    u = _mean_jacobian_directions(features_fn, z[:jacobian_samples], v_k)
    if u is None:
        u = torch.linalg.lstsq((feats @ v_k).double(), z.double()).solution  # z ~ coords @ U
    u = u.double()
    q_mat, r = torch.linalg.qr(u.T)  # columns orthonormal, span kept in order
    vecs = (q_mat * torch.sign(torch.diagonal(r)).unsqueeze(0)).T  # keep each row's original sign
    return Directions(vectors=vecs.float().contiguous(), explained=explained.float())


def sefa_directions(weight: torch.Tensor, k: int = 8) -> Directions:
    """Closed-form directions (SeFa, Shen & Zhou 2021): the top eigenvectors of A^T A for the generator's
    first linear map A [features, latent_dim] (before any normalisation or nonlinearity). Moving z along
    them changes the first layer's output the most per unit step; no sampling, no training data.
    `explained` is each eigenvalue's share of the trace."""
    a = weight.detach().double().reshape(weight.shape[0], -1)
    eigenvalues, eigenvectors = torch.linalg.eigh(a.T @ a)  # ascending
    order = torch.argsort(eigenvalues, descending=True)[: max(1, min(k, a.shape[1]))]
    vecs = eigenvectors[:, order].T  # [k, latent_dim], orthonormal rows
    vecs = vecs * torch.sign(vecs[:, :1].sum(1, keepdim=True) + 1e-12)  # a fixed sign per direction
    explained = eigenvalues[order] / eigenvalues.clamp(min=0).sum()
    return Directions(vectors=vecs.float().contiguous(), explained=explained.float(), prefix=SEFA_PREFIX)


def _mean_jacobian_directions(
    features_fn: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor, v_k: torch.Tensor
) -> torch.Tensor | None:
    """Row i = sum over samples of J(z)^T v_i, in ONE backward pass: the samples are repeated once per
    component and each copy is projected on its own component (k separate backward passes through a
    conv layer cost k times as much). None when features_fn is not differentiable."""
    n, k = z.shape[0], v_k.shape[1]
    z_rep = z.repeat(k, 1).requires_grad_(True)  # block i (rows i*n .. i*n+n-1) belongs to component i
    with torch.enable_grad():
        feats = features_fn(z_rep).reshape(n * k, -1)
        if not feats.requires_grad:
            return None
        proj = (feats.reshape(k, n, -1) * v_k.T.unsqueeze(1)).sum()
        (grad,) = torch.autograd.grad(proj, z_rep)
    return grad.reshape(k, n, -1).sum(1)


def _randomized_svd(a: torch.Tensor, q: int, gen: torch.Generator, power_iters: int = 3):
    """Top-q SVD of a [n, f] by a randomised range finder (Halko et al.). The feature matrix can be
    1024 x 10^4, where a full SVD takes seconds; this uses our own generator (torch.pca_lowrank would
    draw from the global RNG)."""
    omega = torch.randn(a.shape[1], q, generator=gen, dtype=a.dtype)
    y = a @ omega
    for _ in range(power_iters):
        y, _ = torch.linalg.qr(y)
        y = a @ (a.T @ y)
    basis, _ = torch.linalg.qr(y)
    u_small, s, vh = torch.linalg.svd(basis.T @ a, full_matrices=False)
    return basis @ u_small, s, vh.T


_direction_cache: dict[object, Directions] = {}
_direction_lock = threading.Lock()


def cached_directions(key: object, compute: Callable[[], Directions]) -> Directions:
    """Compute directions once per key (e.g. model id); the lock stops two sessions computing twice."""
    with _direction_lock:
        if key not in _direction_cache:
            _direction_cache[key] = compute()
        return _direction_cache[key]
