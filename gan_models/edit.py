"""Latent edits that need the generator: inversion (find the z that draws a given image), latent
arithmetic (A - B + C) and class attribute vectors for conditional models.

Everything takes a generator `G(z, labels)` (the project's DCGAN / conditional DCGAN, eval mode, parameters
frozen); gradients flow to z only. Nothing here imports gradio.

Conditional generators feed [z, embed(label)] to their trunk (gan_models/conditional.py), so a class is a
point in embedding space: arithmetic and attribute vectors work on the full input h = [z, e], which lets
"bear - cat + dog" move the class as well as the noise.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from gan_models import latent as L
from gan_models import media
from gan_models.model import ClassBlending

MAX_INVERSION_STEPS = 1000


# ---------------------------------------------------------------------------------------------
# Image -> target tensor
# ---------------------------------------------------------------------------------------------


def prepare_target(image: np.ndarray, image_size: int, channels: int, dark_background: bool = True) -> torch.Tensor:
    """A drawing or photo (uint8/float [H, W], [H, W, 3] or [H, W, 4]) -> [1, C, S, S] in [-1, 1], shaped like
    the training data: transparent pixels count as white paper, the polarity is flipped when the image's
    border is bright but the model draws on a dark background (and vice versa), and the content is cropped to
    its bounding box, padded to a square with a margin and resized."""
    from PIL import Image

    arr = np.asarray(image)
    if arr.ndim not in (2, 3) or arr.size == 0 or min(arr.shape[:2]) < 2:
        raise ValueError(f"Expected an image of shape [H, W] or [H, W, 3|4], got {arr.shape}.")
    if max(arr.shape[:2]) > 4096:
        raise ValueError(f"Image is too large ({arr.shape[1]}x{arr.shape[0]}); at most 4096 px a side.")
    x = arr.astype(np.float32)
    if np.issubdtype(arr.dtype, np.integer) or x.max() > 1.0:
        x = x / 255.0
    if x.ndim == 2:
        x = x[..., None]
    if x.shape[2] == 4:  # sketchpad strokes on a transparent canvas: composite over white paper
        alpha = x[..., 3:4]
        x = x[..., :3] * alpha + (1.0 - alpha)
    if x.shape[2] not in (1, 3):
        raise ValueError(f"Expected 1, 3 or 4 channels, got {x.shape[2]}.")
    gray = x.mean(axis=2)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]]).mean()
    if (border > 0.5) == dark_background:
        x, gray = 1.0 - x, 1.0 - gray
    ink = np.abs(gray - (0.0 if dark_background else 1.0)) > 0.2
    if ink.any():  # crop to the drawing, centred in a square with a 10% margin (MNIST-style framing)
        rows, cols = np.where(ink.any(1))[0], np.where(ink.any(0))[0]
        x = x[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        side = int(max(x.shape[:2]) * 1.2) + 1
        pad_value = 0.0 if dark_background else 1.0
        canvas = np.full((side, side, x.shape[2]), pad_value, dtype=np.float32)
        top, left = (side - x.shape[0]) // 2, (side - x.shape[1]) // 2
        canvas[top : top + x.shape[0], left : left + x.shape[1]] = x
        x = canvas
    mode_img = Image.fromarray((x * 255).round().clip(0, 255).astype(np.uint8).squeeze(-1) if x.shape[2] == 1
                               else (x * 255).round().clip(0, 255).astype(np.uint8))
    mode_img = mode_img.convert("L" if channels == 1 else "RGB").resize((image_size, image_size), Image.LANCZOS)
    out = torch.from_numpy(np.asarray(mode_img, dtype=np.float32) / 127.5 - 1.0)
    out = out[None] if channels == 1 else out.permute(2, 0, 1)
    return out[None].contiguous()


def model_draws_on_dark(G: torch.nn.Module, latent_dim: int, n_classes: int) -> bool:
    """Whether the generator's images have a dark border (MNIST-style white on black), from 16 samples."""
    z = L.z_from_seed(0, latent_dim, 16)
    labels = torch.arange(16) % n_classes if n_classes else None
    with torch.inference_mode():
        x = G(z.to(_device(G)), None if labels is None else labels.to(_device(G))).float().cpu()
    border = torch.cat([x[..., 0, :], x[..., -1, :], x[..., :, 0], x[..., :, -1]], dim=-1)
    return bool(border.mean() < 0)


# ---------------------------------------------------------------------------------------------
# Inversion
# ---------------------------------------------------------------------------------------------


@dataclass
class InversionStep:
    step: int
    loss: float  # pixel MSE (in [-1, 1] units) of the best candidate so far
    label: int | None  # its class (conditional models)
    elapsed_s: float
    done: bool
    z: torch.Tensor = field(repr=False)  # [latent_dim] of the best candidate
    image: np.ndarray | None = field(default=None, repr=False)  # uint8 [H, W, C] of G(z), on the last step


def _random_starts(G: torch.nn.Module, target: torch.Tensor, n_classes: int, n_random: int, n_starts: int,
                   gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Stage 1 of `invert`: score `n_random` random latents for every class (one batched forward pass each)
    and keep the `n_starts` best (latent, class) pairs: ([n_starts, latent_dim], their classes or None)."""
    dev = target.device
    pool = torch.randn(n_random, int(G.config.latent_dim), generator=gen).to(dev)
    scored = []
    with torch.inference_mode():
        for c in list(range(n_classes)) if n_classes else [None]:
            labels = None if c is None else torch.full((n_random,), c, device=dev, dtype=torch.long)
            err = (G(pool, labels) - target).pow(2).flatten(1).mean(1)
            scored += [(float(e), i, c) for i, e in enumerate(err.cpu())]
    best = sorted(scored, key=lambda t: t[0])[:n_starts]
    z = torch.stack([pool[i] for _, i, _ in best]).clone()
    labels = None if n_classes == 0 else torch.tensor([c for _, _, c in best], device=dev, dtype=torch.long)
    return z, labels


def invert(
    G: torch.nn.Module,
    target: torch.Tensor,
    n_classes: int = 0,
    steps: int = 300,
    n_random: int = 128,
    n_starts: int = 4,
    lr: float = 0.08,
    prior_weight: float = 1e-3,
    seed: int = 0,
    report_every: int = 10,
    max_seconds: float | None = None,
) -> Iterator[InversionStep]:
    """Find z (and, for a conditional model, the class) with G(z, class) close to `target` [1, C, H, W].

    Two stages, so a CPU answers in seconds: (1) score `n_random` random latents for every class with one
    batched forward pass each and keep the `n_starts` best (latent, class) pairs; (2) optimise those latents
    together with Adam on pixel MSE + `prior_weight` * (||z||^2 / d - 1)^2, which keeps z where the generator
    was trained (an unconstrained z reproduces the drawing with a latent no slider range reaches). Yields a
    record every `report_every` steps and a final one with the image; the best candidate wins.

    300 steps by default: fewer leave some of a model's own images visibly unreconstructed (docs/benchmarks.md).
    """
    if not 1 <= steps <= MAX_INVERSION_STEPS:
        raise ValueError(f"Inversion steps must be in 1..{MAX_INVERSION_STEPS}, got {steps}.")
    target = target.to(_device(G))
    start = time.perf_counter()
    z, labels = _random_starts(G, target, n_classes, n_random, n_starts, torch.Generator().manual_seed(seed))
    z.requires_grad_(True)

    # Stage 2: gradient descent on the kept latents (all at once: one batched forward per step).
    opt = torch.optim.Adam([z], lr=lr)
    for step in range(1, steps + 1):
        with torch.enable_grad():
            pixel = (G(z, labels) - target).pow(2).flatten(1).mean(1)  # [n_starts]
            prior = (z.pow(2).mean(1) - 1.0).pow(2)
            opt.zero_grad(set_to_none=True)
            (pixel + prior_weight * prior).sum().backward()
            opt.step()
        losses = pixel.detach().cpu()
        elapsed = time.perf_counter() - start
        done = step == steps or (max_seconds is not None and elapsed >= max_seconds)
        if step % report_every == 0 or done:
            k = int(torch.argmin(losses))
            record = InversionStep(step, float(losses[k]), None if labels is None else int(labels[k]), elapsed,
                                   done, z.detach()[k].cpu().clone())
            if done:
                with torch.inference_mode():
                    lab = None if labels is None else labels[k : k + 1]
                    record.image = media.to_uint8(G(z.detach()[k : k + 1], lab))[0]
                    # The loss of the final z (the one returned), not of the step before its update.
                    record.loss = float((G(z.detach()[k : k + 1], lab) - target).pow(2).mean())
            yield record
            if done:
                return


# ---------------------------------------------------------------------------------------------
# Arithmetic and attribute vectors
# ---------------------------------------------------------------------------------------------


def is_conditional(G: torch.nn.Module) -> bool:
    """Whether G takes its class through an embedding arithmetic can reach (gan_models.model.ClassBlending)."""
    return isinstance(G, ClassBlending)


def full_input(G: torch.nn.Module, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """The generator's input as one vector: [z, class embedding] for a class-blending generator, z otherwise."""
    if not is_conditional(G):
        return z
    with torch.inference_mode():
        return torch.cat([z.to(_device(G)), G.class_embedding(labels.to(_device(G)))], dim=1)


def render_input(G: torch.nn.Module, h: torch.Tensor) -> torch.Tensor:
    """Images [N, C, H, W] for inputs h (from full_input, possibly edited)."""
    h = h.to(_device(G))
    with torch.inference_mode():
        if not is_conditional(G):
            return G(h)
        d = int(G.config.latent_dim)
        return G.from_embedding(h[:, :d], h[:, d:])


def arithmetic(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor, rescale: bool = True) -> torch.Tensor:
    """A - B + C. Three independent N(0, I) latents give a result sqrt(3) times longer than a typical one;
    `rescale` brings it back to the mean norm of A and C, where the generator was trained."""
    out = a - b + c
    if rescale:
        target_norm = (a.norm(dim=-1, keepdim=True) + c.norm(dim=-1, keepdim=True)) / 2
        out = out * target_norm / out.norm(dim=-1, keepdim=True).clamp_min(1e-8)
    return out


def attribute_vector(G: torch.nn.Module, from_class: int, to_class: int) -> torch.Tensor:
    """Direction in the conditional generator's input space from one class to another: the difference of the
    class means of h = [z, embed(y)]. z is independent of y, so the z part of the means cancels and the vector
    is [0, embed(to) - embed(from)]; adding `amount` times it to any image's input morphs its class while
    keeping its noise (amount 1 = exactly the other class)."""
    if not is_conditional(G):
        raise ValueError("Attribute vectors need a class-conditional model (cdcgan).")
    n = int(G.config.num_classes)
    for c in (from_class, to_class):
        if not 0 <= c < n:
            raise ValueError(f"Class index must be in 0..{n - 1}, got {c}.")
    with torch.inference_mode():
        e = G.class_embedding(torch.tensor([from_class, to_class], device=_device(G)))
        diff = e[1] - e[0]
    return torch.cat([torch.zeros(int(G.config.latent_dim), device=diff.device), diff]).cpu()


def attribute_strip(
    G: torch.nn.Module, z: torch.Tensor, label: int, vector: torch.Tensor, amounts: Sequence[float]
) -> torch.Tensor:
    """Images of h(z, label) + amount * vector for each amount: [len(amounts), C, H, W]."""
    h = full_input(G, z.reshape(1, -1), torch.tensor([label]))
    steps = torch.tensor(list(amounts), dtype=h.dtype).reshape(-1, 1)
    return render_input(G, h.cpu() + steps * vector.reshape(1, -1))


# ---------------------------------------------------------------------------------------------
# A generator whose seed S draws a given latent (so the explorer's sliders explore around it)
# ---------------------------------------------------------------------------------------------


class AnchoredGenerator(torch.nn.Module):
    """G(z + offset), offset = z_found - z_from_seed(anchor_seed): seed `anchor_seed` now draws z_found, and
    every slider or direction move changes the latent by the same amount as before. Read-only, like G."""

    def __init__(self, base: torch.nn.Module, z_found: torch.Tensor, anchor_seed: int) -> None:
        super().__init__()
        self.base = base
        self.config = base.config
        origin = L.z_from_seed(anchor_seed, int(base.config.latent_dim))[0]
        self.register_buffer("offset", (z_found.detach().float().cpu() - origin).to(_device(base)))
        self.requires_grad_(False)
        self.eval()

    @property
    def latent_offset(self) -> torch.Tensor:
        """What is added to every z before the base generator sees it (render.py reports |z + offset|)."""
        return self.offset

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.base(z + self.offset, labels)

    def first_layer_features(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.base.first_layer_features(z + self.offset, labels)

    def latent_weight(self) -> torch.Tensor:
        return self.base.latent_weight()  # a shift of z leaves the linear map as it was


class AnchoredClassGenerator(AnchoredGenerator):
    """An AnchoredGenerator over a class-blending base: classes still blend smoothly around the found latent."""

    def class_embedding(self, labels: torch.Tensor) -> torch.Tensor:
        return self.base.class_embedding(labels)

    def from_embedding(self, z: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        return self.base.from_embedding(z + self.offset, embedding)


def anchored(base: torch.nn.Module, z_found: torch.Tensor, anchor_seed: int) -> AnchoredGenerator:
    """G whose seed `anchor_seed` draws `z_found`, blending classes when `base` does."""
    cls = AnchoredClassGenerator if isinstance(base, ClassBlending) else AnchoredGenerator
    return cls(base, z_found, anchor_seed)


def _device(G: torch.nn.Module) -> torch.device:
    try:
        return next(G.parameters()).device
    except StopIteration:
        return torch.device("cpu")


def psnr(mse: float) -> float:
    """Peak signal-to-noise ratio in dB for an MSE measured on [-1, 1] images (peak-to-peak 2)."""
    return math.inf if mse <= 0 else 10 * math.log10(4.0 / mse)

