"""The training CLI's arguments (`python -m training.train --help`) and the model config they describe.

Checked here, where they enter: a bad combination is an argparse error before any data is read.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from gan_models.cyclegan import LIMITS as CYCLEGAN_LIMITS
from gan_models.cyclegan import UPSAMPLING
from gan_models.kinds import KINDS, ModelConfig, kind_of
from gan_models.textgan import build_vocab
from training.data import DATASETS, ImageData
from training.loop import Recipe

ROTATION_MODELS = ("dcgan", "cdcgan", "infogan")  # their D has training.rotation's trunk: D.body -> [N, F]

DESCRIPTION = "Train a model of any kind in gan_models.kinds and export it as a checkpoint folder the app can open."


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m training.train", description=DESCRIPTION)
    p.add_argument("--model", choices=sorted(KINDS), default="dcgan", help="a kind in gan_models.kinds")
    p.add_argument("--dataset", choices=DATASETS, default="animal-mnist")
    p.add_argument("--steps", type=int, default=5000, help="generator updates (one D update each)")
    p.add_argument("--latent-dim", type=int, default=64)
    p.add_argument("--out", type=Path, help="checkpoint folder to write (e.g. checkpoints/NAME)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from <work-dir>/state.pt")
    p.add_argument("--init-from", type=Path, metavar="FOLDER",
                   help="start from an exported folder's G and D (same config), counting on from its steps")
    p.add_argument("--push-to-hub", metavar="REPO", help="upload the finished --out folder to this Hub repo")
    p.add_argument("--dry-run", action="store_true", help="one step on fake data; --out defaults to a temp folder")
    p.add_argument("--batch-size", type=int, default=64, help="per process")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--d-lr", type=float, metavar="LR",
                   help="the discriminator's learning rate (default: --lr; two time-scales, Heusel et al. 2017)")
    p.add_argument("--lr-decay-from", type=int, default=0, metavar="STEP",
                   help="from this step on, decay the learning rate linearly to 0 at --steps (0: constant)")
    p.add_argument("--base-channels", type=int, default=32, help="generator width (ngf)")
    p.add_argument("--d-base-channels", type=int, default=32, help="discriminator width (ndf)")
    p.add_argument("--pseudo-labels", type=Path, metavar="NPY",
                   help="conditional models: train on these labels (ints, one per train image, e.g. clusters "
                        "found without the real labels) instead of the data's classes")
    p.add_argument("--embed-dim", type=int, default=32, help="class embedding size (cdcgan)")
    p.add_argument("--hidden", type=int, default=256, help="generator width (mlpgan)")
    p.add_argument("--d-hidden", type=int, default=256, help="discriminator width (mlpgan)")
    p.add_argument("--beta", type=float, default=1.0, help="weight of the KL term (vae)")
    p.add_argument("--codes", type=int, default=10, help="size of the categorical code (infogan)")
    p.add_argument("--continuous-codes", type=int, default=2, help="continuous codes, z's first dims (infogan)")
    p.add_argument("--blocks", type=int, default=6, help="residual blocks (srresnet, srgan)")
    p.add_argument("--upsample", choices=UPSAMPLING, default="transposed",
                   help="the decoder's 2x steps (cyclegan): transposed convolutions or nearest + convolution")
    p.add_argument("--d-downsamplings", type=int, choices=range(CYCLEGAN_LIMITS["d_downsamplings"][0],
                                                                CYCLEGAN_LIMITS["d_downsamplings"][1] + 1), default=3,
                   help="D's stride-2 layers (cyclegan): 3 judges the whole 32x32 image, 2 judges 18 px patches")
    p.add_argument("--instance-features", metavar="SOURCE",
                   help="icgan: where instance features come from: 'pixels' (default) or a model folder whose "
                        "discriminator's trunk, trained without labels, encodes the images")
    p.add_argument("--feature-dim", type=int, default=64, help="icgan: principal components kept per instance")
    p.add_argument("--neighbours", type=int, default=50, help="icgan: images in each instance's neighbourhood")
    p.add_argument("--adversarial-weight", type=float, default=0.01, help="weight of the adversarial term (srgan)")
    # The small-data recipe (training.loop.Recipe): each option measured in README's ablation table.
    p.add_argument("--loss", choices=["bce", "hinge"], default="bce", help="D/G loss")
    p.add_argument("--spectral-norm", action="store_true", help="spectral norm on D's layers (no BatchNorm in D)")
    p.add_argument("--diffaugment", default="", metavar="POLICY",
                   help="DiffAugment ops applied to everything D sees, e.g. color,translation,cutout")
    p.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                   help="exponential moving average of G's weights (e.g. 0.999); the average is exported")
    p.add_argument("--class-balance", type=float, default=0.0, metavar="WEIGHT",
                   help="models without classes: penalise the batch's class mix, as a classifier trained on the "
                        "labels reads it, against the data's (training.balance); 0: off")
    p.add_argument("--mode-seeking", type=float, default=0.0, metavar="WEIGHT",
                   help="generators of z: penalise fakes of one class that stay alike for different z (MSGAN, "
                        "Mao et al. 2019); 0: off")
    p.add_argument("--top-k", type=float, default=1.0, metavar="SHARE",
                   help="G learns only from this share of each batch's fakes, those D rates most real (Sinha et "
                        "al. 2020); 1: all")
    p.add_argument("--feature-d", type=float, default=0.0, metavar="WEIGHT",
                   help="generators of z on labelled data: a second D that reads frozen classifiers' features "
                        "(training.feature_d, vision-aided GAN), G's loss against it weighted by WEIGHT; 0: off")
    p.add_argument("--rotation", type=float, default=0.0, metavar="WEIGHT",
                   help="DCGAN-trunk discriminators: D also learns the quarter turns of real images and G is asked "
                        "for fakes whose turn D reads, weighted by WEIGHT (training.rotation, SS-GAN); 0: off")
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
    if args.lr < 0 or (args.d_lr is not None and args.d_lr < 0):  # 0 freezes a network (tests use it)
        p.error("--lr and --d-lr cannot be negative")
    if not 0 <= args.lr_decay_from < args.steps:
        p.error(f"--lr-decay-from must be 0 (no decay) or a step before --steps ({args.steps})")
    args.work_dir = args.work_dir or Path("runs") / args.out.resolve().name
    try:
        args.recipe = Recipe(args.loss, args.diffaugment, args.ema, args.spectral_norm,
                             args.class_balance, args.mode_seeking, args.top_k, args.feature_d,
                             args.rotation).validate()
    except ValueError as e:
        p.error(str(e))
    kind = kind_of(args.model)
    if args.d_lr is not None and kind.objective == "vae":
        p.error(f"--d-lr: {args.model} has no discriminator")
    args.d_lr = args.lr if args.d_lr is None else args.d_lr
    if (args.recipe.diffaugment or args.recipe.ema) and kind.objective in ("cycle", "text"):
        p.error(f"--diffaugment and --ema are not supported for {args.model}")
    if args.recipe.diffaugment and kind.objective in ("lapgan", "superres", "paired"):
        p.error(f"--diffaugment is not supported for {args.model} (its D sees residuals or paired images)")
    takes_classes = kind.conditional and kind.objective != "infogan"  # InfoGAN's "classes" are its own codes
    if args.recipe.class_balance and (takes_classes or kind.objective not in ("gan", "infogan")):
        p.error(f"--class-balance is for generators without classes (dcgan, mlpgan, infogan), not {args.model}")
    if args.recipe.mode_seeking and kind.objective not in ("gan", "infogan", "lapgan"):
        p.error(f"--mode-seeking is for generators of z trained as GANs, not {args.model}")
    if args.recipe.top_k < 1 and kind.objective not in ("gan", "infogan"):
        p.error(f"--top-k is for generators of z trained with train_step (dcgan, cdcgan, mlpgan, infogan), not "
                f"{args.model}")
    if args.recipe.feature_d and kind.objective not in ("gan", "infogan"):
        p.error(f"--feature-d is for generators of z trained with train_step (dcgan, cdcgan, mlpgan, infogan), not "
                f"{args.model}")
    if kind.objective != "icgan" and args.instance_features is not None:
        p.error(f"--instance-features is for icgan, not {args.model}")
    args.instance_features = args.instance_features or "pixels"
    if args.recipe.rotation and args.model not in ROTATION_MODELS:
        p.error(f"--rotation is for the DCGAN-trunk discriminators ({', '.join(ROTATION_MODELS)}), not {args.model}")
    return args


def model_config(args: argparse.Namespace, data: ImageData) -> ModelConfig:
    """The config of kind --model for this data; fields a kind does not have are ignored by its from_dict."""
    kind = kind_of(args.model)
    conditional = kind.conditional
    num_classes = len(data.class_names) if conditional else 0
    class_names = list(data.class_names) if conditional else []
    if kind.objective == "infogan":  # learned codes, not the data's classes: the labels are never read
        num_classes, class_names = args.codes, []
    return kind.config.from_dict({
        "kind": args.model, "latent_dim": args.latent_dim, "image_size": data.image_size,
        "channels": data.channels, "num_classes": num_classes,
        "class_names": class_names, "dataset": args.dataset, "n_continuous": args.continuous_codes,
        "base_channels": args.base_channels, "d_base_channels": args.d_base_channels,
        "embed_dim": args.embed_dim, "spectral_norm": args.spectral_norm,
        "hidden": args.hidden, "d_hidden": args.d_hidden, "beta": args.beta,
        "blocks": args.blocks, "adversarial_weight": args.adversarial_weight, "upsample": args.upsample,
        "d_downsamplings": args.d_downsamplings,
        "feature_dim": args.feature_dim, "neighbours": args.neighbours, "num_instances": len(data),
        **({"vocab": build_vocab(p for c in data.captions for p in c)} if kind.objective == "text" else {}),
        **({"in_channels": data.inputs.shape[1],
            "source": {"emoji-sketch": "sketch", "emoji-sketch-vendor": "sketch-vendor"}.get(args.dataset, "twemoji")}
           if data.inputs is not None else {}),
    })
