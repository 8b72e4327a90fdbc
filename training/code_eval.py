"""What a model's structured codes (InfoGAN) were found to do: does D's Q head read the categorical code back,
and does each continuous code's traversal move a measured image property monotonically? Used by
training.evaluate; the properties are plain tensor maths so tests can check them on drawn shapes.
"""

from __future__ import annotations

import torch


def image_properties(images: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per image [N, C, H, W] in [-1, 1]: ink (mean brightness of the strokes: stroke width and size) and
    tilt (the principal axis angle from second image moments, in degrees; 0 = upright); for colour images
    also the drawing's yellowness and greenness."""
    x = ((images.float().mean(1) + 1) / 2).clamp(0, 1)  # [N, H, W]
    h, w = x.shape[1:]
    yy, xx = torch.meshgrid(torch.arange(h, dtype=x.dtype), torch.arange(w, dtype=x.dtype), indexing="ij")
    mass = x.sum((1, 2)).clamp(min=1e-6)
    cy, cx = (x * yy).sum((1, 2)) / mass, (x * xx).sum((1, 2)) / mass
    dy, dx = yy[None] - cy[:, None, None], xx[None] - cx[:, None, None]
    mu20, mu02, mu11 = ((x * dx**2).sum((1, 2)), (x * dy**2).sum((1, 2)), (x * dx * dy).sum((1, 2)))
    tilt = torch.rad2deg(0.5 * torch.atan2(2 * mu11, mu02 - mu20))  # angle of the long axis from vertical
    props = {"ink": x.mean((1, 2)), "tilt": tilt}
    if images.shape[1] == 3:
        props.update(_colour_properties(((images.float() + 1) / 2).clamp(0, 1)))
    return props


def _colour_properties(rgb: torch.Tensor) -> dict[str, torch.Tensor]:
    """Colour of the drawing on a white page [N, 3, H, W] in [0, 1], averaged over its non-white pixels:
    yellowness ((R + G) / 2 - B: yellow faces high, skin tones and blue low) and greenness (G - (R + B) / 2)."""
    drawn = (rgb.min(1).values < 0.9).float()  # [N, H, W]
    r, g, b = ((rgb[:, i] * drawn).sum((1, 2)) / drawn.sum((1, 2)).clamp(min=1) for i in range(3))
    return {"yellowness": (r + g) / 2 - b, "greenness": g - (r + b) / 2}


def _spearman(a: torch.Tensor, b: torch.Tensor) -> float:
    ra, rb = a.argsort().argsort().double(), b.argsort().argsort().double()
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return float((ra * rb).sum() / (ra.norm() * rb.norm()).clamp(min=1e-12))


@torch.no_grad()
def code_report(model, n: int = 1000, seed: int = 0, values: tuple[float, ...] = (-2, -1, 0, 1, 2)) -> dict:
    """For a model with structured codes (InfoGAN): how well D's Q head recovers the categorical code of
    generated images, and for each continuous code how monotonically a traversal moves each image property
    (Spearman correlation between code value and property, averaged over images; +-1 = monotone)."""
    c, G, D = model.config, model.generator, model.discriminator
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, c.latent_dim, generator=g)
    codes = torch.randint(0, c.num_classes, (n,), generator=g)
    cat_logits, _ = D.q(G(z, codes))
    report = {"categorical_recovery": float((cat_logits.argmax(1) == codes).float().mean()), "continuous": []}
    m = min(n, 200)
    for dim in range(c.n_continuous):
        props = []
        for v in values:
            zz = z[:m].clone()
            zz[:, dim] = v
            props.append(image_properties(G(zz, codes[:m])))
        per_prop = {}
        for name in props[0]:
            table = torch.stack([p[name] for p in props], dim=1)  # [m, len(values)]
            t = torch.tensor(values, dtype=torch.float64)
            rho = torch.tensor([_spearman(t, row.double()) for row in table])
            per_prop[name] = round(float(rho.mean()), 3)
        report["continuous"].append({"dimension": dim, "monotonicity": per_prop})
    return report
