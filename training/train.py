"""Train a DCGAN or conditional DCGAN and export it as a checkpoint folder the app can open.

    python -m training.train --model cdcgan --dataset animal-mnist --steps 6000 --out checkpoints/cdcgan-animals
    python -m training.train --dry-run                               # one step on fake data, to a temp folder
    torchrun --nproc_per_node 2 -m training.train --model dcgan ...  # DDP: gloo on CPU, nccl on GPU

Output folder (`--out`, small, meant to be committed): config.json + model.safetensors (G), discriminator/
(config.json + model.safetensors), samples.png (the final fixed-noise grid), training.json and a README.md
model card. Working files (state.pt for --resume, log.jsonl, samples/step_*.png every --sample-every steps)
go to --work-dir (default runs/<out name>, git-ignored) so big sample folders never end up in git.

Determinism: for a given --seed, CPU runs are repeatable, and --resume continues exactly as if the run had
not stopped: the batch indices and noise of step s depend only on (seed, s, rank), never on history.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shlex
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import torch
import torch.distributed as dist
from torchvision.utils import make_grid, save_image
from tqdm import tqdm

from gan_models.conditional import ConditionalDiscriminator, ConditionalGenerator
from gan_models.dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator
from training.augment import DiffAugment
from training.data import DATASETS, BatchSampler, load_dataset, to_float
from training.loop import Recipe, make_ema, train_step

SAMPLE_SEED = 1234  # the fixed noise of every sample grid
EMOJI_CREDIT = ("emoji images from Noto Emoji, Copyright Google Inc., Apache License 2.0, and Twemoji, Copyright "
                "Twitter, Inc. and other contributors, CC-BY 4.0 (training/assets/EMOJI-LICENSES.md)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m training.train", description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=["dcgan", "cdcgan"], default="dcgan")
    p.add_argument("--dataset", choices=DATASETS, default="animal-mnist")
    p.add_argument("--steps", type=int, default=5000, help="generator updates (one D update each)")
    p.add_argument("--latent-dim", type=int, default=64)
    p.add_argument("--out", type=Path, help="checkpoint folder to write (e.g. checkpoints/NAME)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from <work-dir>/state.pt")
    p.add_argument("--push-to-hub", metavar="REPO", help="upload the finished --out folder to this Hub repo")
    p.add_argument("--dry-run", action="store_true", help="one step on fake data; --out defaults to a temp folder")
    p.add_argument("--batch-size", type=int, default=64, help="per process")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--base-channels", type=int, default=32, help="generator width (ngf)")
    p.add_argument("--d-base-channels", type=int, default=32, help="discriminator width (ndf)")
    p.add_argument("--embed-dim", type=int, default=32, help="class embedding size (cdcgan)")
    # The small-data recipe (training.loop.Recipe): each option measured in README's ablation table.
    p.add_argument("--loss", choices=["bce", "hinge"], default="bce", help="D/G loss")
    p.add_argument("--spectral-norm", action="store_true", help="spectral norm on D's layers (no BatchNorm in D)")
    p.add_argument("--diffaugment", default="", metavar="POLICY",
                   help="DiffAugment ops applied to everything D sees, e.g. color,translation,cutout")
    p.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                   help="exponential moving average of G's weights (e.g. 0.999); the average is exported")
    p.add_argument("--sample-every", type=int, default=500, help="grid + checkpoint every N steps")
    p.add_argument("--work-dir", type=Path, help="default: runs/<out folder name>")
    p.add_argument("--data-root", type=Path, default=Path("data"), help="torchvision download folder")
    # One thread is the default: for convolutions this small on a shared CPU, two threads measured 10-20x
    # slower per step than one (they spin-wait on each other when the cores are busy).
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads per process (0: cores / processes)")
    p.add_argument("--max-minutes", type=float, default=0,
                   help="stop after this much training time and export what exists (0: no limit)")
    p.add_argument("--no-progress", action="store_true", help="no tqdm bar (logs still go to log.jsonl)")
    args = p.parse_args(argv)
    if args.dry_run:
        args.dataset, args.steps, args.sample_every = "fake", 1, 1
        if args.out is None:
            args.out = Path(tempfile.mkdtemp(prefix="dcgan-dry-run-"))
    if args.out is None:
        p.error("--out is required (e.g. --out checkpoints/my-model)")
    if args.steps < 1 or args.batch_size < 1 or args.sample_every < 1:
        p.error("--steps, --batch-size and --sample-every must be positive")
    args.work_dir = args.work_dir or Path("runs") / args.out.resolve().name
    try:
        args.recipe = Recipe(args.loss, args.diffaugment, args.ema, args.spectral_norm).validate()
    except ValueError as e:
        p.error(str(e))
    return args


# ---------------------------------------------------------------------------------------------
# Distributed setup (torchrun sets RANK / WORLD_SIZE / LOCAL_RANK; a plain run is world size 1)
# ---------------------------------------------------------------------------------------------


def setup_distributed(device_arg: str) -> tuple[int, int, torch.device]:
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if device_arg == "auto":
        device = torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(device_arg)
        if device.type == "cuda" and device.index is None:
            device = torch.device(f"cuda:{local_rank}")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return rank, world, device


def build_models(args: argparse.Namespace, data_classes: list[str], image_size: int, channels: int):
    conditional = args.model == "cdcgan"
    config = DCGANConfig(
        latent_dim=args.latent_dim, image_size=image_size, channels=channels,
        base_channels=args.base_channels, d_base_channels=args.d_base_channels,
        num_classes=len(data_classes) if conditional else 0,
        class_names=list(data_classes) if conditional else [],
        embed_dim=args.embed_dim, dataset=args.dataset, spectral_norm=args.spectral_norm,
    ).validate()
    if conditional:
        return ConditionalGenerator(config), ConditionalDiscriminator(config), config
    return DCGANGenerator(config), DCGANDiscriminator(config), config


def init_weights(m: torch.nn.Module) -> None:
    """DCGAN paper init: conv weights N(0, 0.02), BatchNorm gamma N(1, 0.02), beta 0."""
    if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d):
        # a spectrally normalised layer computes .weight from .parametrizations.weight.original
        parametrized = getattr(getattr(m, "parametrizations", None), "weight", None)
        torch.nn.init.normal_(parametrized.original if parametrized is not None else m.weight, 0.0, 0.02)
    elif isinstance(m, torch.nn.BatchNorm2d):
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


def fixed_noise(config: DCGANConfig) -> tuple[torch.Tensor, torch.Tensor | None, int]:
    """The sample-grid inputs: one column per class for conditional models (8 rows), else an 8x8 grid."""
    g = torch.Generator().manual_seed(SAMPLE_SEED)
    if config.num_classes:
        n, nrow = 8 * config.num_classes, config.num_classes
        labels = torch.arange(config.num_classes).repeat(8)
    else:
        n, nrow, labels = 64, 8, None
    return torch.randn(n, config.latent_dim, generator=g), labels, nrow


@torch.no_grad()
def recalibrate_batchnorm(G: torch.nn.Module, config: DCGANConfig, batches: int = 20, batch_size: int = 64) -> None:
    """Replace G's BatchNorm running stats by exact averages over fresh samples of the final weights.

    The app runs G in eval mode, where BatchNorm uses running stats; the momentum-averaged stats lag behind
    the last updates, so they are recomputed once before export (cumulative average: momentum=None).
    """
    bns = [m for m in G.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    g = torch.Generator().manual_seed(SAMPLE_SEED + 1)
    device = next(G.parameters()).device
    G.train()
    for _ in range(batches):
        z = torch.randn(batch_size, config.latent_dim, generator=g).to(device)
        labels = None
        if config.num_classes:
            labels = torch.randint(0, config.num_classes, (batch_size,), generator=g).to(device)
        G(z, labels)
    for m, mom in zip(bns, saved, strict=True):
        m.momentum = mom


@torch.no_grad()
def sample_grid(G: torch.nn.Module, config: DCGANConfig, path: Path) -> None:
    """Save the fixed-noise grid as the app will render it: G in eval mode."""
    z, labels, nrow = fixed_noise(config)
    device = next(G.parameters()).device
    was_training = G.training
    G.eval()
    x = G(z.to(device), None if labels is None else labels.to(device)).float().cpu()
    G.train(was_training)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(make_grid(x, nrow=nrow, normalize=True, value_range=(-1, 1), padding=2), str(path))


def export(G: torch.nn.Module, D: torch.nn.Module, out: Path) -> None:
    """Write the checkpoint folder: config.json + model.safetensors for G and for D (in discriminator/)."""
    out.mkdir(parents=True, exist_ok=True)
    G.save_pretrained(out)
    D.save_pretrained(out / "discriminator")
    (out / "discriminator" / "README.md").unlink(missing_ok=True)  # the main card describes both


def hardware() -> str:
    cpu = platform.processor() or platform.machine()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{os.cpu_count()} CPU cores ({cpu}), {gpu}, torch {torch.__version__}"


def write_model_card(out: Path) -> None:
    """README.md from training.json (+ eval.json when `python -m training.evaluate` has run)."""
    info = json.loads((out / "training.json").read_text())
    cfg = json.loads((out / "config.json").read_text())
    ev = json.loads((out / "eval.json").read_text()) if (out / "eval.json").exists() else None
    kind = "class-conditional DCGAN" if cfg["num_classes"] else "DCGAN"
    target = info.get("target_steps", info["steps"])
    steps_note = f" of {target} planned (exported mid-run)" if info["steps"] < target else ""
    lines = [
        "---", "library_name: pytorch", "tags: [gan, dcgan, gan-latent-explorer, pytorch_model_hub_mixin]",
        "license: mit", "---", "",
        f"# {out.name}: {kind} on {cfg['dataset']}", "",
        f"A {kind} ({cfg['image_size']}x{cfg['image_size']}, {cfg['channels']} channel(s), latent size "
        f"{cfg['latent_dim']}) for GAN Latent Explorer. Generator in this folder, discriminator (logits) in "
        "`discriminator/`; both are `huggingface_hub.PyTorchModelHubMixin` models stored as safetensors.",
        "", "![fixed-noise samples](samples.png)", "",
        "Samples above: fixed noise (seed 1234), generator in eval mode"
        + (", one column per class: " + ", ".join(cfg["class_names"]) if cfg["num_classes"] else "") + ".",
        "", "## How it was made", "",
        f"- Command: `{info['command']}`",
        f"- Data: {info['data']}",
        f"- Steps: {info['steps']}{steps_note} (batch {info['batch_size']} x {info['world_size']} process(es), Adam lr "
        f"{info['lr']}, betas (0.5, 0.999); {info.get('recipe', 'non-saturating loss')})",
        f"- Wall time: {info['wall_time_s'] / 60:.1f} min on {info['hardware']}",
        f"- Final losses: D {info['final']['d_loss']:.3f}, G {info['final']['g_loss']:.3f}",
        *([f"- Notes: {info['notes']}"] if info.get("notes") else []),
        *([f"- Licence of the data: {EMOJI_CREDIT}"] if cfg["dataset"].startswith("emoji") else []),
        "", "## Quality", "",
    ]
    if ev is None:
        lines.append("Not evaluated yet: run `python -m training.evaluate " + str(out) + "`.")
    else:
        lines += [
            f"Measured by `python -m training.evaluate {ev['checkpoint']}` with a small CNN classifier trained "
            f"on the real {ev['dataset']} train split (`checkpoints/classifiers/{ev['dataset']}`); "
            f"{ev['n_generated']} generated samples (truncation 1.0, seed {ev['seed']}).", "",
            "| metric | value |", "|---|---|",
            f"| classifier accuracy on the real test split | {ev['classifier_test_accuracy']:.3f} |",
        ]
        if ev.get("class_match") is not None:
            lines.append(f"| generated samples classified as the requested class | {ev['class_match']:.3f} "
                         f"({ev['class_match'] / ev['classifier_test_accuracy']:.0%} of the classifier's accuracy) |")
        lines += [
            "| Frechet distance, classifier features: generated vs real test | "
            f"{ev['frechet_generated_vs_test']:.2f} |",
            f"| Frechet distance floor: real train vs real test | {ev['frechet_train_vs_test']:.2f} |",
            f"| Frechet ratio (generated / floor; target <= 3) | "
            f"{ev['frechet_generated_vs_test'] / max(ev['frechet_train_vs_test'], 1e-9):.1f} |",
        ]
        if "density" in ev:
            lines += [
                f"| density / coverage (Naeem et al. 2020, k=5), generated vs test | {ev['density']:.2f} / "
                f"{ev['coverage']:.2f} |",
                f"| density / coverage floor: real train vs test | {ev['density_train_vs_test']:.2f} / "
                f"{ev['coverage_train_vs_test']:.2f} |",
            ]
        hist = ev["class_histogram"]
        lines += ["", "Class histogram of generated samples (by the classifier; mode coverage):", "",
                  "| " + " | ".join(hist) + " |", "|" + "---|" * len(hist),
                  "| " + " | ".join(f"{v:.3f}" for v in hist.values()) + " |"]
    lines += ["", "## Load", "", "```python", "from gan_models import registry",
              f"model = registry.load_from_folder('checkpoints/{out.name}')  # or registry.load('{out.name}')",
              "```", ""]
    (out / "README.md").write_text("\n".join(lines))


DATA_NOTES = {
    "animal-mnist": "animal-mnist 0.4 (PyPI, MIT): 28x28 grayscale silhouettes, 10 classes; seeded stratified "
                    "80/20 split (training.data, seed 0): 8,000 train images used",
    "emoji": "Noto Emoji (Google, Apache-2.0) and Twemoji (Twitter, CC-BY 4.0) from emoji-datasource-google/-twitter "
             "16.0.0, 32x32 RGB composited on white (training/assets/emoji-32.npz), 8 classes of Unicode "
             "subcategories (training.data.EMOJI_CLASSES), skin-tone variants included; seeded stratified 80/20 "
             "split over code points, exact duplicate drawings dropped: 1,483 train images used",
    "emoji-faces": "the face-* subcategories of Smileys & Emotion from Noto Emoji (Google, Apache-2.0) and Twemoji "
                   "(Twitter, CC-BY 4.0), 32x32 RGB (training/assets/emoji-32.npz); seeded 80/20 split over code "
                   "points: 176 train images used",
    "digits": "scikit-learn load_digits (8x8, upsampled bilinearly to 28x28); seeded stratified 80/20 split "
              "(training.data, seed 0): 1,437 train images used",
}


def main(argv: list[str] | None = None) -> Path:
    threads = torch.get_num_threads()
    try:
        return _main(argv)
    finally:
        torch.set_num_threads(threads)  # in-process callers (tests) get their thread count back


def _main(argv: list[str] | None) -> Path:
    args = parse_args(argv)
    rank, world, device = setup_distributed(args.device)
    torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // world))
    is_main = rank == 0

    data = load_dataset(args.dataset, "train", root=args.data_root)
    images, labels = data.images, data.labels
    torch.manual_seed(args.seed)  # model init; identical on every rank (DDP also broadcasts rank 0's)
    G, D, config = build_models(args, data.class_names, data.image_size, data.channels)
    G.apply(init_weights)
    D.apply(init_weights)
    G, D = G.to(device), D.to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999))
    ema = make_ema(G, args.recipe.ema)
    aug_gen = torch.Generator(device=device)
    augment = DiffAugment(args.recipe.diffaugment, aug_gen)

    work, out = args.work_dir, args.out
    state_path = work / "state.pt"
    start, elapsed = 0, 0.0
    if args.resume and state_path.exists():
        state = torch.load(state_path, map_location=device, weights_only=True)  # tensors and plain types only
        G.load_state_dict(state["G"])
        D.load_state_dict(state["D"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        if ema is not None:
            ema.load_state_dict(state["ema"])
        start, elapsed = int(state["step"]), float(state["elapsed"])
    elif args.resume and is_main:
        print(f"--resume: no {state_path}, starting from step 0", file=sys.stderr)

    g_core, d_core = G, D  # unwrapped modules, for saving and sampling
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [device.index] if device.type == "cuda" else None
        G, D = DDP(G, device_ids=ids), DDP(D, device_ids=ids)

    sampler = BatchSampler(len(images), args.batch_size, args.seed, rank, world)
    conditional = config.num_classes > 0
    record: dict = {}

    def save(step: int) -> None:
        work.mkdir(parents=True, exist_ok=True)
        torch.save({"G": g_core.state_dict(), "D": d_core.state_dict(), "opt_g": opt_g.state_dict(),
                    "opt_d": opt_d.state_dict(), "step": step, "elapsed": elapsed,
                    **({"ema": ema.state_dict()} if ema is not None else {})}, state_path)
        sample_grid(shipped(), config, work / "samples" / f"step_{step:06d}.png")

    def shipped() -> torch.nn.Module:
        return ema.module if ema is not None else g_core

    def finalize(step: int) -> None:
        """Export the checkpoint folder as of `step` (also done at every grid, so a stopped run leaves one)."""
        g_export = copy.deepcopy(shipped()).cpu()  # recalibration must not touch the training copy
        recalibrate_batchnorm(g_export, config)
        export(g_export.eval(), copy.deepcopy(d_core).cpu().eval(), out)
        sample_grid(g_export, config, out / "samples.png")
        argv_shown = argv if argv is not None else sys.argv[1:]
        launcher = f"torchrun --nproc_per_node {world} -m training.train" if world > 1 else "python -m training.train"
        info = {
            "command": f"{launcher} {shlex.join(argv_shown)}", "model": args.model, "dataset": args.dataset,
            "data": DATA_NOTES.get(args.dataset, f"{args.dataset} train split"),
            "steps": step, "target_steps": args.steps, "batch_size": args.batch_size, "world_size": world,
            "lr": args.lr, "seed": args.seed, "recipe": args.recipe.describe(),
            "wall_time_s": round(elapsed, 1), "hardware": hardware(),
            "final": {k: record.get(k, float("nan")) for k in ("d_loss", "g_loss", "d_real", "d_fake")},
        }
        (out / "training.json").write_text(json.dumps(info, indent=2) + "\n")
        (out / "eval.json").unlink(missing_ok=True)  # scores of older weights would now be wrong
        write_model_card(out)

    bar = tqdm(total=args.steps, initial=start, disable=not is_main or args.no_progress,
               mininterval=1.0 if sys.stderr.isatty() else 30.0, desc=out.name)
    if is_main:
        work.mkdir(parents=True, exist_ok=True)
        log = open(work / "log.jsonl", "a")  # noqa: SIM115 - closed after the loop
    # SIGTERM/SIGINT (or --max-minutes) end the run after the current step and still export the checkpoint.
    stop = {"flag": False}

    def request_stop(signum: int, frame: object) -> None:
        stop["flag"] = True

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    t0 = time.perf_counter()
    last = start
    for step in range(start, args.steps):
        idx = sampler.indices(step)
        real = to_float(images[idx]).to(device)
        g = torch.Generator().manual_seed((args.seed * 1_000_003 + step) * 64 + rank)  # noise of (seed, step, rank)
        z = torch.randn(args.batch_size, config.latent_dim, generator=g).to(device)
        y = labels[idx].to(device) if conditional else None
        aug_gen.manual_seed((args.seed * 1_000_003 + step) * 64 + rank + 1)  # augmentations of (seed, step, rank)
        record = train_step(G, D, opt_g, opt_d, real, z, y, step=step + 1, recipe=args.recipe, augment=augment,
                            ema=ema)
        if is_main:
            bar.update(1)
            bar.set_postfix(d=f"{record['d_loss']:.3f}", g=f"{record['g_loss']:.3f}", refresh=False)
            if (step + 1) % 50 == 0 or step + 1 == args.steps:
                log.write(json.dumps(record) + "\n")
                log.flush()
            if (step + 1) % args.sample_every == 0 and step + 1 < args.steps:
                elapsed += time.perf_counter() - t0
                t0 = time.perf_counter()
                save(step + 1)
                finalize(step + 1)
        last = step + 1
        out_of_time = args.max_minutes and elapsed + time.perf_counter() - t0 > 60 * args.max_minutes
        if world > 1:  # every rank must stop at the same step, or the others hang in all-reduce
            flag = torch.tensor([float(stop["flag"] or bool(out_of_time))], device=device)
            dist.all_reduce(flag)
            stop["flag"] = bool(flag.item())
        elif out_of_time:
            stop["flag"] = True
        if stop["flag"]:
            break
    bar.close()
    elapsed += time.perf_counter() - t0

    if is_main:
        log.close()
        save(last)
        finalize(last)
        if args.push_to_hub:
            from huggingface_hub import create_repo, upload_folder

            create_repo(args.push_to_hub, exist_ok=True)
            upload_folder(repo_id=args.push_to_hub, folder_path=str(out), commit_message=f"Upload {out.name}")
        print(f"saved {out} ({last} of {args.steps} steps, {elapsed / 60:.1f} min)")
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return out


if __name__ == "__main__":
    main()
