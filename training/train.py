"""Train a model of any kind in gan_models.kinds and export it as a checkpoint folder the app can open.

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
import shlex
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from gan_models.kinds import ModelConfig, build_pair, kind_of
from training.augment import DiffAugment
from training.balance import ClassBalance, build_class_balance, empty_class_balance
from training.card import DATA_NOTES, write_model_card
from training.checkpoint import (
    export,
    init_weights,
    make_optimizers,
    names_from,
    recalibrate_batchnorm,
    sample_grid,
    warm_start,
)
from training.data import BatchSampler, ImageData, load_dataset, to_float
from training.device import hardware
from training.feature_d import FeatureDiscriminator, build_feature_discriminator, empty_feature_discriminator
from training.image_data import with_pseudo_labels
from training.instances import NeighbourPairs, fill_banks
from training.loop import (
    ImagePool,
    as_floats,
    cycle_step,
    lapgan_step,
    make_ema,
    pix2pix_step,
    superres_step,
    text_step,
    train_step,
    vae_step,
)
from training.rotation import RotationHead
from training.train_args import model_config, parse_args

STATE_FILE = "state.pt"  # in --work-dir: everything --resume needs
LOG_EVERY = 50  # steps between log.jsonl lines (and progress-bar numbers: reading losses syncs a GPU)

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


@dataclass
class Run:
    """Everything one training process holds; `setup` builds it, `train_loop` advances it, `finalize` exports."""

    args: argparse.Namespace
    argv: list[str]
    rank: int
    world: int
    device: torch.device
    data: ImageData
    config: ModelConfig
    G: torch.nn.Module  # possibly DDP-wrapped; g_core / d_core are the plain modules
    D: torch.nn.Module | None  # None for kinds trained without a discriminator (the VAE)
    g_core: torch.nn.Module
    d_core: torch.nn.Module | None
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer | None
    opt_q: torch.optim.Optimizer | None  # InfoGAN's Q head
    ema: AveragedModel | None
    augment: DiffAugment
    sampler: BatchSampler
    pools: tuple[ImagePool, ImagePool] | None = None  # CycleGAN's histories of fakes (A, B), saved for --resume
    balance: ClassBalance | None = None  # --class-balance's in-loop classifiers, saved for --resume
    feature_d: FeatureDiscriminator | None = None  # --feature-d's second D (its head steps with opt_d)
    rotation: RotationHead | None = None  # --rotation's quarter-turn head on D's trunk (steps with opt_d)
    pairs: NeighbourPairs | None = None  # icgan's (instance, neighbour) pairs: rebuilt from the data on --resume
    init_from: dict | None = None  # --init-from's folder, steps and wall time (training.json records it)
    step: int = 0
    elapsed: float = 0.0
    record: dict = field(default_factory=dict)
    stop: bool = False

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def state_path(self) -> Path:
        return self.args.work_dir / STATE_FILE

    @property
    def shipped(self) -> torch.nn.Module:
        """The generator that is sampled and exported: G's weight average when the recipe keeps one."""
        return self.ema.module if self.ema is not None else self.g_core


def main(argv: list[str] | None = None) -> Path:
    threads = torch.get_num_threads()
    try:
        run = setup(argv)
        train_loop(run)
        return finalize(run)
    finally:
        torch.set_num_threads(threads)  # in-process callers (tests) get their thread count back


def setup(argv: list[str] | None) -> Run:
    args = parse_args(argv)
    rank, world, device = setup_distributed(args.device)
    torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // world))
    kind = kind_of(args.model)
    if world > 1 and kind.objective == "lapgan":
        raise SystemExit("lapgan trains in one process (its levels are called outside DDP's forward)")
    shape = kind.config()  # the family's default image shape, for --dry-run's fake data
    data = load_dataset(args.dataset, "train", root=args.data_root, image_size=shape.image_size,
                        channels=shape.channels)
    if args.pseudo_labels is not None:
        if not kind.conditional:
            raise SystemExit(f"--pseudo-labels is for models with classes, not {args.model}")
        try:
            data = with_pseudo_labels(data, args.pseudo_labels)
        except ValueError as error:
            raise SystemExit(str(error)) from None
    if kind.task == "text" and data.captions is None:
        raise SystemExit(f"--model {args.model} draws from text: use a captioned dataset (emoji-text), "
                         f"not {args.dataset}")
    if kind.task == "translate" and data.inputs is None:
        raise SystemExit(f"--model {args.model} translates images: use a paired dataset (e.g. emoji-sketch), "
                         f"not {args.dataset}")
    try:
        config = model_config(args, data)
    except ValueError as error:  # options the config refuses (a width out of range, more neighbours than images)
        raise SystemExit(f"--model {args.model}: {error}") from None
    if args.init_from is not None:
        config = names_from(args.init_from, config)
    torch.manual_seed(args.seed)  # model init; identical on every rank (DDP also broadcasts rank 0's)
    G, D = build_pair(config)
    G = G.apply(init_weights).to(device)
    if D is not None:
        D = D.apply(init_weights).to(device)
        opt_g, opt_d = make_optimizers(G, D, args.lr, args.d_lr)
    else:  # a VAE: one network, one optimiser, Adam's usual betas
        opt_g, opt_d = torch.optim.Adam(G.parameters(), lr=args.lr), None
    pairs = None
    if kind.objective == "icgan":  # the banks are filled before the weight average copies G
        try:
            pairs = fill_banks(to_float(data.images), args.instance_features, args.feature_dim, args.neighbours,
                               (G, D))
        except (ValueError, OSError) as error:
            raise SystemExit(f"--instance-features {args.instance_features}: {error}") from None
    resuming = args.resume and (args.work_dir / STATE_FILE).exists()
    warm = warm_start(args.init_from, config, G, D) if args.init_from is not None and not resuming else None
    if warm is not None and warm["steps"] >= args.steps:
        raise SystemExit(f"--init-from {args.init_from} already has {warm['steps']} steps: raise --steps")
    opt_q = None
    if kind.objective == "infogan":
        opt_q = torch.optim.Adam(D.q_head.parameters(), lr=args.lr, betas=(0.5, 0.999))
    run = Run(args, argv if argv is not None else sys.argv[1:], rank, world, device, data, config, G, D, G, D,
              opt_g, opt_d, opt_q, make_ema(G, args.recipe.ema),
              DiffAugment(args.recipe.diffaugment, torch.Generator(device=device)),
              BatchSampler(len(data), args.batch_size, args.seed, rank, world))
    run.pairs = pairs
    if kind.objective == "cycle":
        run.pools = (ImagePool(), ImagePool())
    if args.recipe.class_balance:  # trained here unless --resume brings it back from state.pt
        run.balance = (empty_class_balance(data) if resuming
                       else build_class_balance(data, min_steps=1 if args.dataset == "fake" else 1000)).to(device)
    if args.recipe.feature_d:  # its classifiers are trained here unless --resume brings them back from state.pt
        try:
            run.feature_d = (empty_feature_discriminator(data) if resuming else
                             build_feature_discriminator(data, min_steps=1 if args.dataset == "fake" else 1000,
                                                         seed=args.seed)).to(device)
        except ValueError as error:
            raise SystemExit(f"--feature-d: {error}") from None
        run.opt_d.add_param_group({"params": list(run.feature_d.head.parameters())})
    if args.recipe.rotation:
        if world > 1:
            raise SystemExit("--rotation trains in one process (its head reads D's trunk outside DDP's forward)")
        torch.manual_seed(args.seed + 1)  # the head's init: the same for a fresh run and a warm start
        run.rotation = RotationHead(D.body.out_dim).to(device)
        run.opt_d.add_param_group({"params": list(run.rotation.parameters())})
    if warm is not None:  # the average (when kept) starts at the loaded G, made by the Run above
        run.step, run.elapsed, run.init_from = warm["steps"], warm["wall_time_s"], warm
    if resuming:
        load_state(run)
    elif args.resume and run.is_main:
        print(f"--resume: no {run.state_path}, starting from step 0", file=sys.stderr)
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [device.index] if device.type == "cuda" else None
        run.G = DDP(G, device_ids=ids)
        run.D = DDP(D, device_ids=ids) if D is not None else None
        if run.feature_d is not None:  # its head's gradients are averaged over ranks like D's
            run.feature_d = DDP(run.feature_d, device_ids=ids)
    return run


def _batch(run: Run, step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """Real images, noise, labels and (translation sets) input images of `step`: functions of (seed, step,
    rank) only, so resume is exact."""
    a = run.args
    idx = run.sampler.indices(step)
    real = to_float(run.data.images[idx]).to(run.device)
    inputs = to_float(run.data.inputs[idx]).to(run.device) if run.data.inputs is not None else None
    g = torch.Generator().manual_seed((a.seed * 1_000_003 + step) * 64 + run.rank)
    z = torch.randn(a.batch_size, run.config.latent_dim, generator=g).to(run.device)
    y = run.data.labels[idx].to(run.device) if run.config.num_classes else None
    if run.data.captions is not None and kind_of(run.config.kind).objective == "text":  # one caption per image
        phrases = [run.data.captions[i][int(torch.randint(len(run.data.captions[i]), (1,), generator=g))]
                   for i in idx.tolist()]
        y = run.g_core.text.ids(phrases).to(run.device)
    if run.opt_q is not None:  # InfoGAN: categorical codes drawn uniformly, never the data's labels
        y = torch.randint(0, run.config.num_classes, (a.batch_size,), generator=g).to(run.device)
    if run.pairs is not None:  # IC-GAN: real images uniform, each with an instance whose neighbourhood holds it
        instances, images = run.pairs.draw(a.batch_size, g)
        real, y = to_float(run.data.images[images]).to(run.device), instances.to(run.device)
    run.augment.generator.manual_seed((a.seed * 1_000_003 + step) * 64 + run.rank + 1)
    return real, z, y, inputs


def train_loop(run: Run) -> None:
    """Train from run.step to --steps, or until SIGTERM/SIGINT or --max-minutes; snapshot every --sample-every."""
    a = run.args
    bar = tqdm(total=a.steps, initial=run.step, disable=not run.is_main or a.no_progress,
               mininterval=1.0 if sys.stderr.isatty() else 30.0, desc=a.out.name)

    def request_stop(signum: int, frame: object) -> None:
        run.stop = True

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    a.work_dir.mkdir(parents=True, exist_ok=True)
    losses = None
    with open(a.work_dir / "log.jsonl", "a") if run.is_main else open(os.devnull, "w") as log:
        t0 = time.perf_counter()
        while run.step < a.steps and not run.stop:
            real, z, y, inputs = _batch(run, run.step)
            # Dropout (pix2pix, the vanilla GAN's D) draws from the global generator: seeded per step, a
            # resumed run draws the same masks.
            torch.manual_seed((a.seed * 1_000_003 + run.step) * 64 + run.rank + 3)
            if a.lr_decay_from:
                _set_learning_rates(run, *learning_rates(a, run.step))
            losses = _one_step(run, real, z, y, inputs)
            run.step += 1
            bar.update(1)
            if run.step % LOG_EVERY == 0 or run.step == a.steps:
                run.record = as_floats(losses)
                bar.set_postfix({k: f"{v:.3f}" for k, v in run.record.items() if k != "step"}, refresh=False)
                log.write(json.dumps(run.record) + "\n")
                log.flush()
            if run.is_main and run.step % a.sample_every == 0 and run.step < a.steps:
                run.elapsed += time.perf_counter() - t0
                t0 = time.perf_counter()
                run.record = as_floats(losses)
                save_state(run)
                export_folder(run)
            out_of_time = a.max_minutes and run.elapsed + time.perf_counter() - t0 > 60 * a.max_minutes
            if run.world > 1:  # every rank must stop at the same step, or the others hang in all-reduce
                flag = torch.tensor([float(run.stop or bool(out_of_time))], device=run.device)
                dist.all_reduce(flag)
                run.stop = bool(flag.item())
            elif out_of_time:
                run.stop = True
        run.elapsed += time.perf_counter() - t0
        if losses is not None:
            run.record = as_floats(losses)  # the card's "final losses" are the last step's
    bar.close()


def learning_rates(args: argparse.Namespace, step: int) -> tuple[float, float]:
    """G's and D's learning rates for update `step` (0-based): --lr and --d-lr, then from --lr-decay-from on both
    on a straight line towards 0 at --steps (pix2pix's and CycleGAN's schedule). A function of the step alone, so
    --resume stays exact."""
    scale = 1.0
    if args.lr_decay_from and step >= args.lr_decay_from:
        scale = (args.steps - step) / (args.steps - args.lr_decay_from)
    return args.lr * scale, args.d_lr * scale


def _set_learning_rates(run: Run, lr_g: float, lr_d: float) -> None:
    """InfoGAN's Q head learns at G's rate, as it is built (it is trained with G's loss)."""
    for opt, lr in ((run.opt_g, lr_g), (run.opt_q, lr_g), (run.opt_d, lr_d)):
        for group in opt.param_groups if opt is not None else ():
            group["lr"] = lr


def _one_step(run: Run, real: torch.Tensor, z: torch.Tensor, y: torch.Tensor | None,
              inputs: torch.Tensor | None) -> dict:
    """One optimisation step of the objective this kind trains with (the step functions the live trainer uses)."""
    a, objective = run.args, kind_of(run.config.kind).objective
    if objective == "paired":
        return pix2pix_step(run.G, run.D, run.opt_g, run.opt_d, inputs, real, step=run.step + 1,
                            recipe=a.recipe, ema=run.ema)
    if objective == "cycle":  # inputs: style A, real: style B (unpaired)
        pick = torch.Generator().manual_seed((a.seed * 1_000_003 + run.step) * 64 + run.rank + 2)
        return cycle_step(run.G, run.D, run.opt_g, run.opt_d, inputs, real, run.pools, pick,
                          step=run.step + 1, recipe=a.recipe)
    if objective == "text":  # y: the word ids of one caption per image
        return text_step(run.G, run.D, run.opt_g, run.opt_d, real, z, y, step=run.step + 1,
                         recipe=a.recipe)
    if objective == "superres":
        return superres_step(run.G, run.D, run.opt_g, run.opt_d, real, step=run.step + 1,
                             recipe=a.recipe, ema=run.ema)
    if objective == "lapgan":
        return lapgan_step(run.G, run.D, run.opt_g, run.opt_d, real, z, y, step=run.step + 1,
                           recipe=a.recipe, ema=run.ema)
    if run.D is None:  # z's noise doubles as the reparameterisation noise: a function of (seed, step)
        return vae_step(run.G, run.opt_g, real, z, step=run.step + 1)
    return train_step(run.G, run.D, run.opt_g, run.opt_d, real, z, y, step=run.step + 1,
                      recipe=a.recipe, augment=run.augment, ema=run.ema, opt_q=run.opt_q, balance=run.balance,
                      feature_d=run.feature_d, rotation=run.rotation)


def load_state(run: Run) -> None:
    """Everything save_state wrote, back into the freshly built run (--resume)."""
    state = torch.load(run.state_path, map_location=run.device, weights_only=True)  # tensors and plain types only
    run.g_core.load_state_dict(state["G"])
    run.opt_g.load_state_dict(state["opt_g"])
    if run.d_core is not None:
        run.d_core.load_state_dict(state["D"])
        run.opt_d.load_state_dict(state["opt_d"])
    if run.opt_q is not None:
        run.opt_q.load_state_dict(state["opt_q"])
    if run.ema is not None:
        run.ema.load_state_dict(state["ema"])
    if run.balance is not None:
        run.balance.load_state_dict(state["balance"])
    if run.feature_d is not None:
        getattr(run.feature_d, "module", run.feature_d).load_state_dict(state["feature_d"])
    if run.rotation is not None:
        run.rotation.load_state_dict(state["rotation"])
    for pool, pool_state in zip(run.pools or (), state.get("pools", ()), strict=False):
        pool.load_state_dict(pool_state)
    run.step, run.elapsed = int(state["step"]), float(state["elapsed"])
    run.init_from = state.get("init_from")


def save_state(run: Run) -> None:
    """state.pt for --resume."""
    d_state = {"D": run.d_core.state_dict(), "opt_d": run.opt_d.state_dict()} if run.d_core is not None else {}
    if run.opt_q is not None:
        d_state["opt_q"] = run.opt_q.state_dict()
    if run.balance is not None:
        d_state["balance"] = run.balance.state_dict()
    if run.feature_d is not None:
        d_state["feature_d"] = getattr(run.feature_d, "module", run.feature_d).state_dict()
    if run.rotation is not None:
        d_state["rotation"] = run.rotation.state_dict()
    if run.pools is not None:
        d_state["pools"] = [pool.state_dict() for pool in run.pools]
    torch.save({"G": run.g_core.state_dict(), "opt_g": run.opt_g.state_dict(), **d_state,
                "step": run.step, "elapsed": run.elapsed,
                **({"init_from": run.init_from} if run.init_from is not None else {}),
                **({"ema": run.ema.state_dict()} if run.ema is not None else {})}, run.state_path)


def export_folder(run: Run) -> None:
    """The checkpoint folder as of run.step (also written at every snapshot, so a stopped run leaves one)."""
    a, out = run.args, run.args.out
    g_export = copy.deepcopy(run.shipped).cpu()  # recalibration must not touch the training copy
    recalibrate_batchnorm(g_export, run.config)
    export(g_export.eval(), copy.deepcopy(run.d_core).cpu().eval() if run.d_core is not None else None, out)
    sample_grid(g_export, run.config, out / "samples.png")
    # The step's grid in the work folder is the exported generator's (BatchNorm recalibrated): a weight
    # average drawn with its lagging running statistics looks washed out and misleads whoever watches.
    history = a.work_dir / "samples" / f"step_{run.step:06d}.png"
    history.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out / "samples.png", history)
    launcher = (f"torchrun --nproc_per_node {run.world} -m training.train" if run.world > 1
                else "python -m training.train")
    info = {
        "command": f"{launcher} {shlex.join(run.argv)}", "model": a.model, "dataset": a.dataset,
        "data": DATA_NOTES.get(a.dataset, f"{a.dataset} train split"),
        "steps": run.step, "target_steps": a.steps, "batch_size": a.batch_size, "world_size": run.world,
        "lr": a.lr, **({"d_lr": a.d_lr} if a.d_lr != a.lr else {}),
        **({"lr_decay_from": a.lr_decay_from} if a.lr_decay_from else {}), "seed": a.seed,
        "recipe": a.recipe.describe(),
        "wall_time_s": round(run.elapsed, 1), "hardware": hardware(),
        "final": {k: v for k, v in run.record.items() if k != "step"},
        **({"init_from": run.init_from} if run.init_from is not None else {}),
    }
    (out / "training.json").write_text(json.dumps(info, indent=2) + "\n")
    (out / "eval.json").unlink(missing_ok=True)  # scores of older weights would now be wrong
    write_model_card(out)


def finalize(run: Run) -> Path:
    a = run.args
    if run.is_main:
        save_state(run)
        export_folder(run)
        if a.push_to_hub:
            from huggingface_hub import create_repo, upload_folder

            create_repo(a.push_to_hub, exist_ok=True)
            upload_folder(repo_id=a.push_to_hub, folder_path=str(a.out), commit_message=f"Upload {a.out.name}")
        print(f"saved {a.out} ({run.step} of {a.steps} steps, {run.elapsed / 60:.1f} min)")
    if run.world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return a.out


if __name__ == "__main__":
    main()
