"""Quality numbers for a checkpoint folder, measured with a small classifier instead of Inception.

    python -m training.evaluate checkpoints/cdcgan-animals          # prints the table, writes eval.json + card

Inception-based FID needs weights that cannot be downloaded here and is the wrong yardstick for 28x28
grayscale anyway. Instead, per dataset, a small CNN is trained on the real train split (shipped, tiny, in
checkpoints/classifiers/<dataset>/, trained on first use) and reused for:
  - its own accuracy on the real test split (how much to trust the numbers below),
  - conditional models: the share of generated samples classified as the requested class,
  - the Frechet distance between Gaussian fits of the classifier's penultimate features for N generated
    images and the real test split, next to the same distance between the real train and test splits
    (the floor a perfect generator would reach with this many test images),
  - the class histogram of generated samples (mode coverage) and the class drawn least often against the
    share it should have (the target: at least half of it),
  - the spread of the samples (per class for conditional models) against the data's, in pixels,
  - density and coverage (Naeem et al. 2020) on the same features: density ~1 when generated samples sit
    where real ones are as often as real ones do (fidelity), coverage the share of real test images with
    a generated sample among their k nearest real neighbours (diversity; 1 is ideal).
A one-class set (emoji-faces) is scored with the classifier of the set it was cut from (CLASSIFIER_OF).
Super-resolution models (SRResNet, SRGAN) are scored on the real test split instead: each image downscaled
4x and super-resolved, PSNR / SSIM (torchmetrics) / L1 against the original, beside bicubic upsampling.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

from gan_models.kinds import kind_of
from gan_models.model import InstanceDrawing, LoadedModel
from gan_models.registry import load_from_folder
from gan_models.srgan import bicubic, downscale
from training.classifier import SECOND_SEED, SmallClassifier, accuracy, agreement, batched, classifier_for
from training.code_eval import code_report
from training.data import ImageData, load_dataset, to_float
from training.expressions import face_expressions

CLASSIFIER_OF = {"emoji-faces": "emoji"}  # a one-class set has no classifier of its own
NEAREST_K = 5  # Naeem et al.'s default
MIN_MIX_IMAGES = 1000  # fewer real images in the generated class mix than this: too few for a Frechet distance


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^1/2) between Gaussian fits of two feature sets [N, D].

    tr((S_a S_b)^1/2) is computed as the sum of sqrt eigenvalues of S_a^1/2 S_b S_a^1/2 (symmetric PSD), which
    avoids the complex square roots scipy.linalg.sqrtm can return for nearly singular covariances.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(s_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ s_b @ root_a), 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * cross)


def real_at_class_mix(labels: torch.Tensor, shares: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Indices of real images (their class `labels`) drawn without replacement in the class proportions `shares`:
    as many as the class the proportions strain most allows. The Frechet distance of that set to the test split
    is what a generator drawing perfect images in its own class mix would score."""
    pools = [(labels == c).nonzero().flatten() for c in range(len(shares))]
    n = min(len(labels), *(int(len(pool) / float(s)) for pool, s in zip(pools, shares, strict=True) if s > 0))
    g = torch.Generator().manual_seed(seed)
    return torch.cat([pool[torch.randperm(len(pool), generator=g)[: round(float(s) * n)]]
                      for pool, s in zip(pools, shares, strict=True)])


def density_coverage(real: torch.Tensor, fake: torch.Tensor, k: int = NEAREST_K) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020) of fake features [M, D] against real features [N, D]."""
    real, fake = real.double(), fake.double()
    radius = torch.cdist(real, real).kthvalue(k + 1, dim=1).values  # k-th neighbour, excluding itself  [N]
    inside = torch.cdist(fake, real) < radius[None]  # [M, N]: fake j inside real i's ball
    density = float(inside.sum()) / (k * len(fake))
    coverage = float(inside.any(dim=0).double().mean())
    return density, coverage


@torch.no_grad()
def generate(model, n: int, seed: int,
             class_mix: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """n images from N(0, I) latents (truncation 1.0). Conditional models get balanced labels 0..K-1, or with
    `class_mix` (the real labels of a split) labels drawn from that split's class proportions."""
    c = model.config
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, c.latent_dim, generator=g)
    labels = torch.arange(n) % c.num_classes if c.num_classes else None
    if labels is not None and class_mix is not None:
        labels = class_mix[torch.randint(len(class_mix), (n,), generator=g)]
    # an IC-GAN draws its instances with its own weights; they are not classes, so they are not returned
    drawn = model.generator.draw_instances(n, g) if isinstance(model.generator, InstanceDrawing) else labels
    out = [model.generator(z[i : i + 500], None if drawn is None else drawn[i : i + 500]) for i in range(0, n, 500)]
    return torch.cat(out), labels


def evaluate(checkpoint: str | Path, n: int = 10_000, seed: int = 0, classifier_dir: Path | None = None,
             retrain_classifier: bool = False, classifier_steps: int = 1000) -> dict:
    """All the numbers for one checkpoint folder, as a JSON-ready dict."""
    model = load_from_folder(checkpoint)
    dataset = model.config.dataset
    if kind_of(model.kind).task == "superres":
        return superres_report(model, checkpoint)
    if kind_of(model.kind).task == "translate":
        return translation_report(model, checkpoint, classifier_dir)
    if kind_of(model.kind).task == "text":
        return text_report(model, checkpoint, classifier_dir, seed=seed)
    if not dataset:
        raise ValueError(f"{checkpoint}/config.json does not name its dataset; cannot pick a classifier.")
    name = CLASSIFIER_OF.get(dataset, dataset)
    clf = classifier_for(name, classifier_dir, retrain_classifier, classifier_steps)
    second_dir = classifier_dir.with_name(f"{classifier_dir.name}-seed{SECOND_SEED}") if classifier_dir else None
    second = classifier_for(name, second_dir, retrain_classifier, classifier_steps, seed=SECOND_SEED)
    train, test = load_dataset(dataset, "train"), load_dataset(dataset, "test")
    names = list(getattr(model.config, "class_names", []) or [])
    if names and not getattr(model.config, "n_continuous", 0) and names != list(train.class_names):
        raise ValueError(f"{checkpoint} draws classes {names[:3]}... that are not {dataset}'s (pseudo-labels?): "
                         "class match and the class mix would compare unrelated numbers")

    fake, labels = generate(model, n, seed)
    feats_fake = batched(clf.features, fake)
    pred = clf.head(feats_fake).argmax(1)
    # Class match and the histogram ask for every class equally; the distances compare with real images, so
    # a conditional model is asked for the classes as often as the data has them (the emoji set is unbalanced:
    # hearts 3%, hands 28%), else the distance measures the class mix, not the drawings.
    has_codes = bool(getattr(model.config, "n_continuous", 0))  # InfoGAN: its "classes" are learned codes
    conditional = labels is not None and not has_codes
    feats_mix = batched(clf.features, generate(model, n, seed, train.labels)[0]) if conditional else feats_fake
    feats_test = batched(clf.features, to_float(test.images))
    feats_train = batched(clf.features, to_float(train.images))
    hist = torch.bincount(pred, minlength=len(clf.class_names)).float() / n
    density, coverage = density_coverage(feats_test, feats_mix[: 4 * len(feats_test)])
    floor_density, floor_coverage = density_coverage(feats_test, feats_train[: 4 * len(feats_test)])
    codes = code_report(model, seed=seed) if has_codes else None
    reconstruction = reconstruction_report(model.generator, test) if model.kind == "vae" else None
    class_match = None if labels is None else float((pred == labels).float().mean())
    # An unconditional model's distance mixes two failures: drawings unlike the data, and classes drawn in the
    # wrong proportions. Real images in its proportions (sorted by the classifier, as the histogram sorts the
    # generated ones) separate them.
    mix_only = None if conditional else real_at_generated_mix(clf, feats_train, feats_test, hist, seed)
    if codes is not None and labels is not None:  # learned codes have no given class: match them one to one
        codes.update(codes_to_classes(model, clf.class_names, labels, pred))
        class_match = None  # code i is not class i
    return {
        **({"codes": codes} if codes else {}),
        **({"reconstruction": reconstruction} if reconstruction else {}),
        "checkpoint": str(checkpoint), "dataset": dataset, "n_generated": n, "seed": seed,
        "classifier_test_accuracy": accuracy(clf, test),
        "class_match": class_match,
        "frechet_generated_vs_test": frechet_distance(feats_mix.numpy(), feats_test.numpy()),
        "frechet_class_mix": "train split's" if conditional else None,
        "frechet_train_vs_test": frechet_distance(feats_train.numpy(), feats_test.numpy()),
        **({"frechet_real_at_generated_class_mix": mix_only} if mix_only else {}),
        "density": density, "coverage": coverage,
        "density_train_vs_test": floor_density, "coverage_train_vs_test": floor_coverage,
        "classifier_agreement": {"generated": agreement(clf, second, fake),
                                 "test": agreement(clf, second, to_float(test.images))},
        "class_histogram": {name: round(float(h), 4) for name, h in zip(clf.class_names, hist, strict=True)},
        "rarest_class": rarest_class(clf.class_names, hist, expected_shares(clf.class_names, train, conditional)),
        "spread": spread(model, train, conditional, seed=seed),
        **({"face_expressions": moods} if (moods := face_expressions(model, seed=seed)) else {}),
    }


@torch.no_grad()
def spread(model: LoadedModel, train: ImageData, by_class: bool, n: int = 200, seed: int = 0) -> dict[str, float]:
    """How varied the samples are against the data: the median pixel distance between two of n samples over
    the median between two real training images, per class ({class name: ratio}) for a conditional model, else
    over everything ({"all": ratio}). 1 = as varied as the data; a class whose every z draws one image (mode
    collapse within a class, which class match and the pooled distances do not see) reads near 0."""
    g = torch.Generator().manual_seed(seed)
    groups = list(enumerate(train.class_names)) if by_class else [(None, "all")]
    out = {}
    for c, name in groups:
        real = to_float(train.images if c is None else train.images[train.labels == c])
        z = torch.randn(n, model.config.latent_dim, generator=g)
        codes = getattr(model.config, "num_classes", 0)  # InfoGAN draws every code, as `generate` does
        labels = torch.full((n,), c) if c is not None else torch.arange(n) % codes if codes else None
        if isinstance(model.generator, InstanceDrawing):
            labels = model.generator.draw_instances(n, g)
        fake = model.generator(z, labels)
        out[name] = round(float(torch.pdist(fake.flatten(1)).median() / torch.pdist(real.flatten(1)).median()), 3)
    return out


def expected_shares(class_names: Sequence[str], train: ImageData, asked_equally: bool) -> torch.Tensor:
    """The share of samples each of the classifier's classes should get: equal for a model asked for every class
    equally, else the train split's proportions (by class name: a one-class set is read by its parent set's
    classifier, whose other classes should get nothing)."""
    if asked_equally:
        return torch.full((len(class_names),), 1 / len(class_names))
    counts = torch.bincount(train.labels, minlength=len(train.class_names)).float()
    by_name = dict(zip(train.class_names, (counts / counts.sum()).tolist(), strict=True))
    return torch.tensor([by_name.get(name, 0.0) for name in class_names])


def rarest_class(class_names: Sequence[str], hist: torch.Tensor, expected: torch.Tensor) -> dict:
    """The class whose drawn share is the smallest fraction of its expected share (classes that should get
    nothing are left out)."""
    ratio = torch.where(expected > 0, hist / expected.clamp_min(1e-12), torch.inf)
    i = int(ratio.argmin())
    return {"class": class_names[i], "share": round(float(hist[i]), 4), "expected": round(float(expected[i]), 4),
            "of_expected": round(float(ratio[i]), 3)}


def real_at_generated_mix(clf: SmallClassifier, feats_train: torch.Tensor, feats_test: torch.Tensor,
                          hist: torch.Tensor, seed: int) -> dict | None:
    """The Frechet distance of real training images drawn in the generated class proportions `hist` (as the
    classifier sorts both) to the test images, or None when too few images fit that mix."""
    pick = real_at_class_mix(clf.head(feats_train).argmax(1), hist, seed)
    if len(pick) < MIN_MIX_IMAGES:
        return None
    return {"frechet": frechet_distance(feats_train[pick].numpy(), feats_test.numpy()), "n": len(pick)}


def codes_to_classes(model: LoadedModel, class_names: Sequence[str], codes: torch.Tensor,
                     pred: torch.Tensor) -> dict:
    """InfoGAN's learned categories matched one to one with the classifier's classes (Hungarian matching on
    how often code i is read as class j), and the share of samples that agree after that matching."""
    from scipy.optimize import linear_sum_assignment

    counts = torch.zeros(model.config.num_classes, len(class_names))
    counts.index_put_((codes, pred), torch.ones(len(pred)), accumulate=True)
    rows, cols = linear_sum_assignment(-counts.numpy())
    return {"code_to_class": {model.class_names[r]: class_names[c] for r, c in zip(rows, cols, strict=True)},
            "class_agreement": float(counts[rows, cols].sum() / len(pred))}


def image_scores(pred: torch.Tensor, real: torch.Tensor) -> dict[str, float]:
    """Mean PSNR (dB), SSIM and L1 of images in [-1, 1] against the real ones, on [0, 1] pixels."""
    p, r = ((pred.clamp(-1, 1) + 1) / 2).float(), ((real + 1) / 2).float()
    return {
        "psnr": float(peak_signal_noise_ratio(p, r, data_range=1.0, reduction="none", dim=(1, 2, 3)).mean()),
        "ssim": float(structural_similarity_index_measure(p, r, data_range=1.0)),
        "l1": float((p - r).abs().mean()),
    }


@torch.no_grad()
def reconstruction_report(vae: nn.Module, test: ImageData) -> dict[str, float]:
    """A VAE on every real test image: decode(encode(x)'s mean), scored against x (PSNR, SSIM, L1; MSE on
    [-1, 1] pixels too)."""
    real = to_float(test.images)
    recon = torch.cat([vae.reconstruct(real[i : i + 500]) for i in range(0, len(real), 500)])
    return {**image_scores(recon, real), "mse": float((recon - real).square().mean()), "n_test": len(real)}


@torch.no_grad()
def superres_report(model, checkpoint: str | Path) -> dict:
    """PSNR / SSIM / L1 on every real test image of the model's dataset, for bicubic and for the model."""
    c = model.config
    real = to_float(load_dataset(c.dataset, "test", image_size=c.image_size, channels=c.channels).images)
    low = downscale(real, c.scale)
    sr = torch.cat([model.generator(low[i : i + 256]) for i in range(0, len(low), 256)])
    return {
        "checkpoint": str(checkpoint), "dataset": c.dataset, "n_test": len(real),
        "methods": {"bicubic": image_scores(bicubic(low, c.image_size), real), model.kind: image_scores(sr, real)},
    }


@torch.no_grad()
def translation_report(model, checkpoint: str | Path, classifier_dir: Path | None = None) -> dict:
    """An image-to-image model on the held-out test pairs (code points never trained on): PSNR / SSIM / L1 to
    the real target, beside the input itself when it is a colour image (doing nothing is the baseline);
    the Frechet distance of outputs and of inputs to the real targets, in the emoji classifier's features;
    for CycleGAN the cycle error |A -> B -> A - A|."""
    c = model.config
    test = load_dataset(c.dataset, "test", image_size=c.image_size, channels=c.channels)
    source, real = to_float(test.inputs), to_float(test.images)
    cyclegan = c.kind == "cyclegan"

    def run(x: torch.Tensor, direction: str = "a2b") -> torch.Tensor:
        return torch.cat([model.generator(x[i : i + 256], *([direction] if cyclegan else []))
                          for i in range(0, len(x), 256)])

    out = run(source)
    methods = {model.kind: image_scores(out, real)}
    if source.shape[1] == real.shape[1]:
        methods = {"input unchanged": image_scores(source, real), **methods}
    report = {"checkpoint": str(checkpoint), "dataset": c.dataset, "n_test": len(real), "methods": methods}
    if c.dataset != "fake":
        clf = classifier_for("emoji", classifier_dir)
        feats_real = batched(clf.features, real).numpy()
        report["frechet_output_vs_target"] = frechet_distance(batched(clf.features, out).numpy(), feats_real)
        if source.shape[1] == real.shape[1]:
            report["frechet_input_vs_target"] = frechet_distance(batched(clf.features, source).numpy(), feats_real)
    if cyclegan:
        report["cycle_l1"] = float((run(out, "b2a") - source).abs().mean() / 2)  # on [0, 1] pixels
    return report


@torch.no_grad()
def text_report(model, checkpoint: str | Path, classifier_dir: Path | None = None, seeds: int = 4,
                seed: int = 0) -> dict:
    """A text-to-image model drawn from each emoji's name, `seeds` images per name, for the held-out emoji
    (names never trained on) and the training ones. Text match: the emoji classifier puts the image in the
    named emoji's class (emoji of the classifier's 8 classes only); beside it the same images' names
    shuffled among the emoji (what ignoring the text would score) and the real drawings (the ceiling).
    Frechet distance (classifier features) of the held-out names' images to the real held-out drawings,
    beside the floor real train vs real test. Names with no known word are counted, not drawn."""
    c = model.config
    G = model.generator
    clf = classifier_for("emoji", classifier_dir)
    report: dict = {"checkpoint": str(checkpoint), "dataset": c.dataset, "seeds_per_name": seeds, "seed": seed}
    feats: dict[str, np.ndarray] = {}
    for split in ("test", "train"):
        data = load_dataset(c.dataset, split, image_size=c.image_size, channels=c.channels)
        names = [caps[0] for caps in data.captions]
        drawable = [i for i, n in enumerate(names) if G.text.read(n).known]
        g = torch.Generator().manual_seed(seed)
        idx = torch.tensor(drawable).repeat_interleave(seeds)
        z = torch.randn(len(idx), c.latent_dim, generator=g)
        ids = G.text.ids([names[i] for i in idx.tolist()])
        shuffled = ids[torch.randperm(len(ids), generator=g)]
        fake, fake_shuffled = (torch.cat([G(z[i : i + 500], w[i : i + 500]) for i in range(0, len(z), 500)])
                               for w in (ids, shuffled))
        labels = data.labels[idx]
        classed = labels >= 0
        real = to_float(data.images)
        entry = {"names": len(names), "names_without_known_words": len(names) - len(drawable),
                 "images": len(idx), "names_in_classifier_classes": int((data.labels[drawable] >= 0).sum())}
        if classed.any():
            pred = batched(clf, fake[classed]).argmax(1)
            entry["text_match"] = float((pred == labels[classed]).float().mean())
            entry["text_match_by_class"] = {
                name: round(float((pred[labels[classed] == k] == k).float().mean()), 4)
                for k, name in enumerate(clf.class_names) if (labels[classed] == k).any()}
            pred_shuffled = batched(clf, fake_shuffled[classed]).argmax(1)
            entry["text_match_shuffled_names"] = float((pred_shuffled == labels[classed]).float().mean())
            real_classed = data.labels >= 0
            entry["classifier_on_real_drawings"] = float(
                (batched(clf, real[real_classed]).argmax(1) == data.labels[real_classed]).float().mean())
        feats[split] = batched(clf.features, real).numpy()
        if split == "test":
            entry["frechet_generated_vs_real"] = frechet_distance(batched(clf.features, fake).numpy(), feats[split])
        report[split] = entry
    report["frechet_train_vs_test"] = frechet_distance(feats["train"], feats["test"])
    return report


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__.split("\n")[0])
    p.add_argument("checkpoint", type=Path, help="a checkpoint folder, e.g. checkpoints/cdcgan-animals")
    p.add_argument("--n", type=int, default=10_000, help="generated samples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--classifier-dir", type=Path, help="default: checkpoints/classifiers/<dataset>")
    p.add_argument("--retrain-classifier", action="store_true")
    p.add_argument("--classifier-steps", type=int, default=1000, help="minimum updates when training it")
    p.add_argument("--no-card", action="store_true", help="do not write eval.json / README.md")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        result = evaluate(args.checkpoint, args.n, args.seed, args.classifier_dir, args.retrain_classifier,
                          args.classifier_steps)
    finally:
        torch.set_num_threads(threads)
    for key, value in result.items():
        if isinstance(value, dict) and key == "methods":
            for name, scores in value.items():
                print(f"{name:28s} " + "  ".join(f"{k} {v:.4f}" for k, v in scores.items()))
            continue
        print(f"{key:28s} {value:.4f}" if isinstance(value, float) else f"{key:28s} {value}")
    if not args.no_card:
        from training.card import write_model_card

        (args.checkpoint / "eval.json").write_text(json.dumps(result, indent=2) + "\n")
        if (args.checkpoint / "training.json").exists():
            write_model_card(args.checkpoint)
    return result


if __name__ == "__main__":
    main()
