"""What goes into a live image-GAN run and what comes out: the validated config a page or API call gives
(LiveTrainConfig), the records the trainer yields (LiveRecord) and the refusal of a run too long for the
server (BudgetExceeded). training/live.py runs it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from training.device import resolve_device
from training.loop import Recipe

# mlpgan: the vanilla GAN, to watch beside a DCGAN; vae: the other deep generative model, to watch beside both
MODELS = ("dcgan", "cdcgan", "mlpgan", "vae")
VAE_KEYS = ("loss", "recon", "kl")  # training.loop.vae_step's losses, summed on the device between records
OFFLINE_DATASETS = ("animal-mnist", "digits", "emoji", "emoji-faces", "fake")  # bundled: no download needed
ONLINE_DATASETS = ("mnist", "fashion-mnist")  # torchvision downloads: need internet on the server
MAX_STEPS = 20_000
MAX_BATCH = 256
MAX_LATENT = 256
GRID_ROWS = 6  # rows of the page's sample grid (training.checkpoint.fixed_noise; the CLI's grids have 8)


@dataclass(frozen=True)
class LiveTrainConfig:
    dataset: str = "animal-mnist"
    model: str = "dcgan"  # "dcgan", "cdcgan" (class-conditional), "mlpgan" (fully connected) or "vae"
    latent_dim: int = 32
    steps: int = 500
    batch_size: int = 64
    lr_g: float = 2e-4  # the VAE's one learning rate (encoder and decoder)
    lr_d: float = 2e-4  # unused by the VAE
    seed: int = 0
    device: str = "auto"
    base_channels: int = 32  # G and D width (the VAE's two trunks); the shipped GANs have 32, the VAE 16
    report_every: int = 5  # steps between records
    grid_every_s: float = 2.0  # wall seconds between sample grids: watchable without slowing training
    # The small-data recipe (training.loop.Recipe), as in the CLI's --loss / --spectral-norm / ...
    loss: str = "bce"
    spectral_norm: bool = False
    diffaugment: str = ""
    ema: float = 0.0

    @property
    def recipe(self) -> Recipe:
        return Recipe(self.loss, self.diffaugment, self.ema, self.spectral_norm)

    @property
    def is_vae(self) -> bool:
        return self.model == "vae"

    def validate(self) -> None:
        """Raise ValueError with a message a learner can act on."""
        if self.dataset not in OFFLINE_DATASETS + ONLINE_DATASETS:
            raise ValueError(f"Unknown dataset {self.dataset!r}; choose one of "
                             f"{', '.join(OFFLINE_DATASETS + ONLINE_DATASETS)}.")
        if self.model not in MODELS:
            raise ValueError(f"Unknown model {str(self.model)[:40]!r}; choose one of {', '.join(MODELS)}.")
        for name, value, low, high in (("latent size", self.latent_dim, 1, MAX_LATENT),
                                       ("steps", self.steps, 1, MAX_STEPS),
                                       ("batch size", self.batch_size, 2, MAX_BATCH),
                                       ("seed", self.seed, 0, 2**32 - 1),
                                       ("report_every", self.report_every, 1, MAX_STEPS),
                                       ("width", self.base_channels, 4, 128)):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}.")
        for name, lr in (("learning rate G", self.lr_g), ("learning rate D", self.lr_d)):
            if isinstance(lr, bool) or not isinstance(lr, int | float) or not math.isfinite(lr) or not 0 < lr <= 0.1:
                raise ValueError(f"{name} must be a number in (0, 0.1], got {lr!r}.")
        if not self.grid_every_s > 0:
            raise ValueError("grid_every_s must be positive.")
        if not isinstance(self.spectral_norm, bool):
            raise ValueError(f"spectral_norm must be true or false, got {self.spectral_norm!r}.")
        if not isinstance(self.diffaugment, str) or len(self.diffaugment) > 64:
            raise ValueError("diffaugment must be a short policy such as 'color,translation,cutout'.")
        self.recipe.validate()
        if self.is_vae and self.recipe != Recipe():
            raise ValueError("The small-data recipe is a GAN recipe (hinge loss, spectral norm in D, DiffAugment, "
                             "a weight average of G): the VAE has no discriminator. Turn the recipe off for the VAE.")
        resolve_device(self.device)


@dataclass
class LiveRecord:
    """Losses are means over the steps since the last record. GAN-only fields are None for the VAE and the
    VAE's own None for GANs (never NaN: records travel to the browser as JSON, which has no NaN)."""

    step: int
    d_loss: float | None  # D's loss; None for the VAE
    g_loss: float  # G's loss; for the VAE its whole loss, the negative ELBO = recon + beta * kl (beta 1 here)
    d_real: float | None  # mean sigmoid(D) on real images (0.5 at equilibrium); None for the VAE
    d_fake: float | None  # mean sigmoid(D) on generated images (0.5 at equilibrium); None for the VAE
    steps_per_s: float  # over the whole run so far, grids included: what the learner experiences
    elapsed_s: float
    eta_s: float  # seconds to the last step at the current rate (or to the time cap, if sooner)
    done: bool
    stop_reason: str = ""  # "finished" | "time limit" | "stopped" when done
    recon: float | None = None  # VAE: reconstruction error, BCE summed over pixels (nats per image); else None
    kl: float | None = None  # VAE: KL(q(z|x) || N(0, I)) in nats per image; else None
    grid: np.ndarray | None = field(default=None, repr=False)  # uint8 [H, W, C] samples, when refreshed

    def to_dict(self, with_grid: bool = False) -> dict:
        out = asdict(self)
        out["grid"] = self.grid.tolist() if with_grid and self.grid is not None else None
        return out


class BudgetExceeded(ValueError):
    """The run's estimated wall time is over the budget; the message carries the estimate."""

    def __init__(self, estimate_s: float, budget_s: float, steps: int) -> None:
        super().__init__(
            f"{steps:,} steps would take about {estimate_s:,.0f} s here, over the {budget_s:,.0f} s limit per run: "
            f"choose at most {max(1, int(steps * budget_s / estimate_s)):,} steps or a smaller batch."
        )
        self.estimate_s, self.budget_s = estimate_s, budget_s
