"""One GAN training step for any generator/discriminator pair (plain modules or DDP-wrapped). Prints nothing.

The small-data recipe (Recipe below) is options of this one step: hinge or BCE loss, DiffAugment on
everything D sees, an exponential moving average of G's weights, and a mode-seeking term for G. Spectral
norm is part of D itself (DCGANConfig.spectral_norm), because it changes D's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from gan_models.lapgan import pyramid, upsample
from gan_models.srgan import downscale
from training.augment import DiffAugment
from training.losses import LOSSES
from training.rotation import D_WEIGHT, RotationHead


@dataclass
class Recipe:
    loss: str = "bce"  # "bce" (non-saturating) | "hinge"
    diffaugment: str = ""  # DiffAugment policy, e.g. "color,translation,cutout"; "" = off
    ema: float = 0.0  # decay of G's weight average (e.g. 0.999); 0 = off
    spectral_norm: bool = False  # D's layers (applied when D is built)
    class_balance: float = 0.0  # weight of training.balance's term for G (models without classes); 0 = off
    mode_seeking: float = 0.0  # weight of mode_seeking_loss for G (Mao et al. 2019); 0 = off
    top_k: float = 1.0  # share of each batch's fakes G learns from, those D rates most real (top_k_fakes); 1 = all
    feature_d: float = 0.0  # weight of G's loss against training.feature_d's second D (models of z); 0 = off
    rotation: float = 0.0  # G's weight on training.rotation's quarter-turn task (D's is fixed); 0 = off

    def validate(self) -> Recipe:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        DiffAugment(self.diffaugment)  # refuses unknown ops
        if isinstance(self.ema, bool) or not isinstance(self.ema, int | float) or not 0 <= self.ema < 1:
            raise ValueError(f"ema must be a decay in [0, 1), got {self.ema!r}")
        for name, weight in (("class balance", self.class_balance), ("mode seeking", self.mode_seeking),
                             ("feature D", self.feature_d), ("rotation", self.rotation)):
            if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 100:
                raise ValueError(f"{name} must be a weight in [0, 100], got {weight!r}")
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, int | float) or not 0 < self.top_k <= 1:
            raise ValueError(f"top k must be a share of the batch in (0, 1], got {self.top_k!r}")
        return self

    def describe(self) -> str:
        parts = ["hinge loss" if self.loss == "hinge" else "non-saturating loss"]
        if self.spectral_norm:
            parts.append("spectral norm in D")
        if self.diffaugment:
            parts.append(f"DiffAugment ({self.diffaugment})")
        if self.ema:
            parts.append(f"EMA of G (decay {self.ema}, the shipped generator)")
        if self.class_balance:
            parts.append(f"class balance through a classifier in the loop (weight {self.class_balance})")
        if self.mode_seeking:
            parts.append(f"mode seeking (weight {self.mode_seeking})")
        if self.top_k < 1:
            parts.append(f"top-k: G learns from the {self.top_k:.0%} of fakes D rates most real")
        if self.feature_d:
            parts.append(f"a second D on frozen classifiers' features (vision-aided, weight {self.feature_d})")
        if self.rotation:
            parts.append(f"a quarter-turn task for D and G (SS-GAN, G's weight {self.rotation})")
        return ", ".join(parts)


def make_ema(G: torch.nn.Module, decay: float) -> AveragedModel | None:
    """A weight average of G (its BatchNorm buffers too) updated after every G step; None when decay is 0."""
    if not decay:
        return None
    return AveragedModel(G, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def train_step(
    G: torch.nn.Module,
    D: torch.nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
    z: torch.Tensor,
    labels: torch.Tensor | None = None,
    step: int = 0,
    recipe: Recipe | None = None,
    augment: DiffAugment | None = None,
    ema: AveragedModel | None = None,
    opt_q: torch.optim.Optimizer | None = None,
    balance: torch.nn.Module | None = None,
    feature_d: torch.nn.Module | None = None,
    rotation: RotationHead | None = None,
) -> dict:
    """Update D once, then G once. Returns {step, d_loss, g_loss, d_real, d_fake}, the four as detached 0-d
    tensors on the training device: reading them syncs a GPU, so callers do it when a record is due
    (`as_floats`), not every step.

    `labels` (conditional models) are the real batch's labels and are reused for the fake batch, so D sees
    the same class mix on both sides. d_real / d_fake are mean sigmoid(D) on the real and fake batch.
    `augment` (DiffAugment) is applied to real and fake images alike in both updates; `ema` is updated
    from G after G's step. With `opt_q` (InfoGAN), `labels` are the sampled categorical codes and the
    first continuous codes sit in z: G and D's Q head also minimise the codes' reconstruction error
    (a lower bound on mutual information), weighted by D's config.info_weight; the record gains "info".
    With `balance` (training.balance, models without classes) G also minimises balance(fake) weighted by
    recipe.class_balance; the record gains "balance". With `feature_d` (training.feature_d, its head's
    parameters in opt_d) it is trained beside D on the same augmented images with the same loss, and G also
    minimises its loss against it weighted by recipe.feature_d; the record gains "feature_d". With `rotation`
    (training.rotation, its head's parameters in opt_d) D's trunk also learns the quarter turns of the augmented
    real images and G minimises the same loss on its fakes weighted by recipe.rotation; the record gains
    "rotation_d" and "rotation". With
    recipe.mode_seeking G also minimises mode_seeking_loss, so that different z of one class do not draw one
    image; the record gains "mode_seeking".
    """
    recipe = recipe or Recipe()
    loss_d_fn, loss_g_fn = LOSSES[recipe.loss]
    aug = augment if augment else (lambda x: x)
    fake = G(z, labels)  # one G forward per step, reused (detached) by the D update

    # D: push real logits up, fake logits down. Real and fake go through D separately so BatchNorm
    # statistics are never mixed across the two (the pytorch/examples DCGAN recipe).
    opt_d.zero_grad(set_to_none=True)
    seen_real, seen_fake = aug(real), aug(fake.detach())
    real_logits = D(seen_real, labels)
    fake_logits = D(seen_fake, labels)
    loss_d = loss_d_fn(real_logits, fake_logits)  # the record's d_loss is D's alone, as in every other run
    loss_fd = loss_d_fn(feature_d(seen_real), feature_d(seen_fake)) if feature_d is not None else 0
    loss_rot = None
    if rotation is not None:  # one process only (train.py): D's trunk is called outside DDP's forward
        trunk = getattr(D, "module", D).body
        loss_rot = rotation(trunk, seen_real)
    (loss_d + loss_fd + (D_WEIGHT * loss_rot if loss_rot is not None else 0)).backward()
    opt_d.step()

    terms = {}
    if balance is not None and recipe.class_balance:
        terms["balance"] = (recipe.class_balance, balance)
    if recipe.mode_seeking:
        terms["mode_seeking"] = (recipe.mode_seeking, lambda images: mode_seeking_loss(images, z, labels))
    if feature_d is not None and recipe.feature_d:
        terms["feature_d"] = (recipe.feature_d, lambda images: loss_g_fn(feature_d(aug(images))))
    if rotation is not None and recipe.rotation:
        terms["rotation"] = (recipe.rotation, lambda images: rotation(trunk, aug(images)))
    loss_g, info, extras = _generator_update(D, opt_g, opt_q, aug, fake, z, labels, loss_g_fn, terms, recipe.top_k)
    if ema is not None:
        ema.update_parameters(G)

    return {
        "step": step,
        "d_loss": loss_d.detach(),
        "g_loss": loss_g.detach(),
        "d_real": torch.sigmoid(real_logits.detach()).mean(),
        "d_fake": torch.sigmoid(fake_logits.detach()).mean(),
        **({"info": info.detach()} if info is not None else {}),
        **({"rotation_d": loss_rot.detach()} if loss_rot is not None else {}),
        **{name: value.detach() for name, value in extras.items()},
    }


def _generator_update(
    D: torch.nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_q: torch.optim.Optimizer | None,
    aug,
    fake: torch.Tensor,
    z: torch.Tensor,
    labels: torch.Tensor | None,
    loss_g_fn,
    terms: dict | None = None,
    top_k: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor | None, dict[str, torch.Tensor]]:
    """G's half of a step: make the (just updated) D call the fakes real (with `top_k` < 1 only those D rates
    most real: top_k_fakes), plus InfoGAN's code term with `opt_q`, plus each of `terms` ({name: (weight, fn of
    the fakes)}: class balance, mode seeking), whose unweighted values come back by name. D's grads from this
    pass are discarded by the next zero_grad; under DDP they are still all-reduced, which keeps every rank's
    reducer in step."""
    opt_g.zero_grad(set_to_none=True)
    loss_g = loss_g_fn(top_k_fakes(D(aug(fake), labels), top_k))
    total, info, values = loss_g, None, {}
    if opt_q is not None:
        opt_q.zero_grad(set_to_none=True)
        core = getattr(D, "module", D)  # under DDP the Q head and config sit on the wrapped module
        info = mutual_information_loss(core, fake, z, labels)
        total = total + core.config.info_weight * info
    for name, (weight, fn) in (terms or {}).items():
        values[name] = fn(fake)
        total = total + weight * values[name]
    total.backward()
    opt_g.step()
    if opt_q is not None:
        opt_q.step()
    return loss_g, info, values


def top_k_fakes(logits: torch.Tensor, share: float) -> torch.Tensor:
    """The logits of the `share` of fakes D rates most real (Sinha et al. 2020, top-k training): the worst fakes
    often lie between the data's modes, and their gradient pulls G towards the space between modes, where a
    continuous G draws blends of two classes. 1 keeps every fake."""
    if share >= 1:
        return logits
    k = max(1, round(share * len(logits)))
    return logits[logits.reshape(len(logits), -1).mean(1).topk(k).indices]


def mode_seeking_loss(fake: torch.Tensor, z: torch.Tensor, labels: torch.Tensor | None, eps: float = 1e-5,
                      ) -> torch.Tensor:
    """MSGAN's regulariser (Mao et al. 2019), 1 / (mean |G(z1) - G(z2)| / mean |z1 - z2|), over pairs of fakes
    that share a class: a generator that draws one image for every z of a class (conditional mode collapse)
    makes it large. Pairs are neighbours in the batch sorted by label (any neighbours without labels), so no
    extra generator pass is needed; a batch without a pair gives 0."""
    order = torch.arange(len(fake), device=fake.device) if labels is None else torch.argsort(labels, stable=True)
    a, b = order[:-1], order[1:]
    if labels is not None:
        same = labels[a] == labels[b]
        a, b = a[same], b[same]
    if len(a) == 0:
        return fake.sum() * 0
    ratio = (fake[a] - fake[b]).abs().mean() / (z[a] - z[b]).abs().mean()
    return 1 / (ratio + eps)


def mutual_information_loss(D: torch.nn.Module, fake: torch.Tensor, z: torch.Tensor,
                            codes: torch.Tensor) -> torch.Tensor:
    """InfoGAN's bound: cross-entropy of the categorical code plus a unit-variance Gaussian log-likelihood
    (half the squared error) of the continuous codes, as predicted by D's Q head from the fake images."""
    cat_logits, cont = D.q(fake)
    n = cont.shape[1]
    return F.cross_entropy(cat_logits, codes) + 0.5 * (cont - z[:, :n]).square().sum(1).mean()


LOSS_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")


def vae_step(model: torch.nn.Module, opt: torch.optim.Optimizer, real: torch.Tensor, eps: torch.Tensor,
             step: int = 0) -> dict:
    """One update of a VAE on the negative ELBO; returns {step, loss, recon, kl} as detached 0-d tensors.
    `eps` is the reparameterisation noise of this step (a function of seed and step, so resume is exact)."""
    core = getattr(model, "module", model)  # DDP wraps the model; the loss lives on the module
    opt.zero_grad(set_to_none=True)
    parts = core.loss(real, eps)
    parts["loss"].backward()
    opt.step()
    return {"step": step, **{k: v.detach() for k, v in parts.items()}}


def as_floats(record: dict) -> dict:
    """A step record with Python floats (one device sync for all of its tensors)."""
    keys = [k for k in record if k != "step"]
    values = torch.stack([record[k] for k in keys]).tolist()
    return {"step": record["step"], **dict(zip(keys, values, strict=True))}


def lapgan_step(G: torch.nn.Module, D: torch.nn.Module, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
                real: torch.Tensor, z: torch.Tensor, labels: torch.Tensor, step: int = 0,
                recipe: Recipe | None = None, ema: AveragedModel | None = None) -> dict:
    """One update of every LAPGAN level at once, each on the real pyramid of the batch (the levels share no
    parameters, so summing their losses trains them independently, as in the paper). Same record as
    `train_step`; d_real / d_fake average the levels. With recipe.mode_seeking the coarsest level also
    minimises mode_seeking_loss over its own noise block (the record gains "mode_seeking"): that level sets
    the layout, while each finer level draws on the real coarse image of its batch entry, so two entries
    differ there by their input rather than by their noise."""
    recipe = recipe or Recipe()
    loss_d_fn, loss_g_fn = LOSSES[recipe.loss]
    reals = pyramid(real)
    given = [None] + [upsample(r) for r in reals[:-1]]
    targets = [reals[0]] + [r - g for r, g in zip(reals[1:], given[1:], strict=True)]
    fakes = G.level_outputs(given, z, labels)
    levels = range(len(reals))

    opt_d.zero_grad(set_to_none=True)
    real_logits = [D.level(k, targets[k], given[k], labels) for k in levels]
    fake_logits = [D.level(k, fakes[k].detach(), given[k], labels) for k in levels]
    loss_d = sum(loss_d_fn(r, f) for r, f in zip(real_logits, fake_logits, strict=True))
    loss_d.backward()
    opt_d.step()

    opt_g.zero_grad(set_to_none=True)
    loss_g = sum(loss_g_fn(D.level(k, fakes[k], given[k], labels)) for k in levels)
    extras = {}
    if recipe.mode_seeking:
        extras["mode_seeking"] = mode_seeking_loss(fakes[0], G.split_noise(z)[0], labels)
    (loss_g + recipe.mode_seeking * extras.get("mode_seeking", 0)).backward()
    opt_g.step()
    if ema is not None:
        ema.update_parameters(G)
    return {
        "step": step, "d_loss": loss_d.detach(), "g_loss": loss_g.detach(),
        "d_real": torch.stack([torch.sigmoid(r.detach()).mean() for r in real_logits]).mean(),
        "d_fake": torch.stack([torch.sigmoid(f.detach()).mean() for f in fake_logits]).mean(),
        **{name: value.detach() for name, value in extras.items()},
    }


def superres_step(G: torch.nn.Module, D: torch.nn.Module | None, opt_g: torch.optim.Optimizer,
                  opt_d: torch.optim.Optimizer | None, real: torch.Tensor, step: int = 0,
                  recipe: Recipe | None = None, ema: AveragedModel | None = None) -> dict:
    """One SRResNet update (L1 to the real image; D is None) or SRGAN update (D once, then G on L1 plus
    config.adversarial_weight times the adversarial loss). Returns {step, l1, g_loss[, d_loss, d_real, d_fake]}."""
    core = getattr(G, "module", G)
    low = downscale(real, core.config.scale)
    sr = G(low)
    record: dict = {"step": step}
    if D is not None:
        loss_d_fn, loss_g_fn = LOSSES[(recipe or Recipe()).loss]
        opt_d.zero_grad(set_to_none=True)
        real_logits, fake_logits = D(real), D(sr.detach())
        loss_d = loss_d_fn(real_logits, fake_logits)
        loss_d.backward()
        opt_d.step()
        record.update(d_loss=loss_d.detach(), d_real=torch.sigmoid(real_logits.detach()).mean(),
                      d_fake=torch.sigmoid(fake_logits.detach()).mean())
    opt_g.zero_grad(set_to_none=True)
    l1 = (sr - real).abs().mean()
    loss_g = l1 + core.config.adversarial_weight * loss_g_fn(D(sr)) if D is not None else l1
    loss_g.backward()
    opt_g.step()
    if ema is not None:
        ema.update_parameters(G)
    return {**record, "l1": l1.detach(), "g_loss": loss_g.detach()}


def pix2pix_step(G: torch.nn.Module, D: torch.nn.Module, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
                 inputs: torch.Tensor, real: torch.Tensor, step: int = 0, recipe: Recipe | None = None,
                 ema: AveragedModel | None = None) -> dict:
    """One pix2pix update: D on (input, real) vs (input, G(input)) per patch logit, then G on the adversarial
    term plus config.l1_weight x L1 to the real target. Record: {step, d_loss, g_loss, d_real, d_fake, l1}."""
    core = getattr(G, "module", G)
    loss_d_fn, loss_g_fn = LOSSES[(recipe or Recipe()).loss]
    fake = G(inputs)
    opt_d.zero_grad(set_to_none=True)
    real_logits, fake_logits = D(inputs, real), D(inputs, fake.detach())
    loss_d = loss_d_fn(real_logits, fake_logits)
    loss_d.backward()
    opt_d.step()
    opt_g.zero_grad(set_to_none=True)
    l1 = (fake - real).abs().mean()
    loss_g = loss_g_fn(D(inputs, fake)) + core.config.l1_weight * l1
    loss_g.backward()
    opt_g.step()
    if ema is not None:
        ema.update_parameters(G)
    return {"step": step, "d_loss": loss_d.detach(), "g_loss": loss_g.detach(),
            "d_real": torch.sigmoid(real_logits.detach()).mean(), "d_fake": torch.sigmoid(fake_logits.detach()).mean(),
            "l1": l1.detach()}


def contrastive(image: torch.Tensor, text: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Symmetric InfoNCE (as in CLIP) between unit image and text embeddings [N, T]: row i of each is a pair."""
    logits = image @ text.T / temperature  # [N, N]
    target = torch.arange(len(image), device=image.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def text_step(G: torch.nn.Module, D: torch.nn.Module, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
              real: torch.Tensor, z: torch.Tensor, ids: torch.Tensor, step: int = 0,
              recipe: Recipe | None = None) -> dict:
    """One GAN-CLS + GAN-INT update (Reed et al. 2016) with a jointly trained text encoder.

    D scores (real, matching text) as real and both (real, mismatched text) and (G(z, text), text) as fake,
    so it must check the text, not only realism. G is scored on its images for the batch's texts and for
    the midpoints of pairs of texts (GAN-INT: the space between captions must draw plausible images too).
    The contrastive term trains D's image head against the (fixed) text embeddings and, in G's step, the
    text encoder against the (fixed) image embeddings. Mismatched texts are the batch's texts rolled by one.
    Record: {step, d_loss, g_loss, d_real, d_fake, d_wrong, match}."""
    core, d_core = getattr(G, "module", G), getattr(D, "module", D)
    c = core.config
    loss_d_fn, loss_g_fn = LOSSES[(recipe or Recipe()).loss]
    t = core.text(ids)  # [N, T]
    fake = core.from_embedding(z, t)
    opt_d.zero_grad(set_to_none=True)
    t_fixed = t.detach()
    h_real = d_core.body(real)
    real_logits = d_core.score(h_real, t_fixed)
    wrong_logits = d_core.score(h_real, t_fixed.roll(1, 0))
    fake_logits = D(fake.detach(), t_fixed)
    image_text = contrastive(d_core.image_embedding(h_real), t_fixed)
    loss_d = (0.5 * (loss_d_fn(real_logits, wrong_logits) + loss_d_fn(real_logits, fake_logits))
              + c.contrastive_weight * image_text)
    loss_d.backward()
    opt_d.step()
    opt_g.zero_grad(set_to_none=True)
    with torch.no_grad():
        image = d_core.image_embedding(d_core.body(real))
    midpoint = F.normalize(0.5 * (t + t.roll(1, 0)), dim=1)
    between = core.from_embedding(z.roll(1, 0), midpoint)
    loss_g = (loss_g_fn(D(fake, t)) + c.int_weight * loss_g_fn(D(between, midpoint))
              + c.contrastive_weight * contrastive(image, t))
    loss_g.backward()
    opt_g.step()
    with torch.no_grad():  # how often the matching caption is the closest of the batch's, for the log
        match = (image @ t.T).argmax(dim=1).eq(torch.arange(len(t), device=t.device)).float().mean()
    return {"step": step, "d_loss": loss_d.detach(), "g_loss": loss_g.detach(),
            "d_real": torch.sigmoid(real_logits.detach()).mean(), "d_fake": torch.sigmoid(fake_logits.detach()).mean(),
            "d_wrong": torch.sigmoid(wrong_logits.detach()).mean(), "match": match}


class ImagePool:
    """CycleGAN's history of generated images (Shrivastava et al. 2017): D is shown, for each new fake, with
    probability 1/2 an older one from the pool (which the new one replaces), so it cannot chase G's latest
    output alone. Random choices come from the caller's generator, so a resumed run draws the same ones."""

    def __init__(self, size: int = 50) -> None:
        self.size = size
        self.images: torch.Tensor | None = None

    def query(self, fakes: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        fakes = fakes.detach()
        if self.size == 0:
            return fakes
        out = []
        for image in fakes:
            n = 0 if self.images is None else len(self.images)
            if n < self.size:
                self.images = image[None].clone() if self.images is None else torch.cat([self.images, image[None]])
                out.append(image)
            elif torch.rand((), generator=generator) < 0.5:
                i = int(torch.randint(0, n, (), generator=generator))
                out.append(self.images[i].clone())
                self.images[i] = image
            else:
                out.append(image)
        return torch.stack(out)

    def state_dict(self) -> dict:
        return {"size": self.size, **({"images": self.images} if self.images is not None else {})}

    def load_state_dict(self, state: dict) -> None:
        self.size, self.images = int(state["size"]), state.get("images")


def cycle_step(G: torch.nn.Module, D: torch.nn.Module, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
               a: torch.Tensor, b: torch.Tensor, pools: tuple[ImagePool, ImagePool], generator: torch.Generator,
               step: int = 0, recipe: Recipe | None = None) -> dict:
    """One CycleGAN update: both generators on adversarial + cycle + identity terms, then both Ds on real
    images and pooled fakes. Record: {step, d_loss, g_loss, d_real, d_fake, cycle, identity}."""
    core = getattr(G, "module", G)
    c = core.config
    loss_d_fn, loss_g_fn = LOSSES[(recipe or Recipe()).loss]
    fake_b, fake_a = G(a, "a2b"), G(b, "b2a")
    opt_g.zero_grad(set_to_none=True)
    adversarial = loss_g_fn(D(fake_b, "b")) + loss_g_fn(D(fake_a, "a"))
    cycle = (G(fake_b, "b2a") - a).abs().mean() + (G(fake_a, "a2b") - b).abs().mean()
    identity = (G(b, "a2b") - b).abs().mean() + (G(a, "b2a") - a).abs().mean() if c.identity_weight else \
        torch.zeros((), device=a.device)
    loss_g = adversarial + c.cycle_weight * cycle + c.identity_weight * identity
    loss_g.backward()
    opt_g.step()

    opt_d.zero_grad(set_to_none=True)  # also drops the grads the G update left in D
    old_a, old_b = pools[0].query(fake_a, generator), pools[1].query(fake_b, generator)
    real_a, real_b, pooled_a, pooled_b = D(a, "a"), D(b, "b"), D(old_a, "a"), D(old_b, "b")
    loss_d = 0.5 * (loss_d_fn(real_a, pooled_a) + loss_d_fn(real_b, pooled_b))
    loss_d.backward()
    opt_d.step()
    return {"step": step, "d_loss": loss_d.detach(), "g_loss": loss_g.detach(),
            "d_real": torch.sigmoid(torch.cat([real_a, real_b]).detach()).mean(),
            "d_fake": torch.sigmoid(torch.cat([pooled_a, pooled_b]).detach()).mean(),
            "cycle": cycle.detach(), "identity": identity.detach()}
