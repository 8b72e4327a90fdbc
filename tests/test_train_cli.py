"""Training CLI: dry run, determinism per seed, exact resume, and a 2-process torchrun (gloo) run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from gan_models.registry import load_from_folder
from training.loop import Recipe
from training.train import main

REPO = Path(__file__).resolve().parent.parent
TINY = ["--dataset", "fake", "--base-channels", "4", "--d-base-channels", "4", "--embed-dim", "4",
        "--latent-dim", "8", "--batch-size", "8", "--no-progress", "--sample-every", "100"]


def weights(folder: Path) -> dict:
    return load_file(str(folder / "model.safetensors")) | {
        f"D.{k}": v for k, v in load_file(str(folder / "discriminator" / "model.safetensors")).items()}


def assert_resumes_exactly(tmp_path: Path, *flags: str) -> tuple[dict, str]:
    """A 3-step run and a 2-step run resumed to 3 with `flags` (tiny dcgan on fake data) end with equal weights.
    Returns the first run's state.pt and its card."""
    def run(name: str, steps: int, *extra: str) -> Path:
        return main(["--model", "dcgan", *flags, "--steps", str(steps), "--out", str(tmp_path / name),
                     "--work-dir", str(tmp_path / f"w-{name}"), *TINY, *extra])

    a = weights(run("a", 3))
    run("r", 2)
    r = weights(run("r", 3, "--resume"))
    assert all(torch.equal(a[k], r[k]) for k in a)
    return torch.load(tmp_path / "w-a" / "state.pt", weights_only=True), (tmp_path / "a" / "README.md").read_text()


def assert_weight_option_refused(capsys, flag: str, name: str, kinds: tuple[str, ...], message: str) -> None:
    """A recipe weight option (`flag`, Recipe field named after it) refuses bad weights by `name`, and the CLI
    refuses it for `kinds` with `message` on stderr."""
    field = flag.removeprefix("--").replace("-", "_")
    for bad in (True, -1.0, 101.0, "1"):
        with pytest.raises(ValueError, match=name):
            Recipe(**{field: bad}).validate()
    for kind in kinds:
        with pytest.raises(SystemExit):
            main(["--dry-run", "--model", kind, flag, "1"])
        assert message in capsys.readouterr().err


def test_dry_run_writes_a_loadable_checkpoint(tmp_path, capsys) -> None:
    out = main(["--dry-run", "--model", "cdcgan", "--out", str(tmp_path / "m"), "--work-dir", str(tmp_path / "w"),
                "--base-channels", "4", "--d-base-channels", "4", "--no-progress"])
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "model.safetensors", "discriminator", "samples.png", "README.md", "training.json"} <= names
    info = json.loads((out / "training.json").read_text())
    assert info["steps"] == 1 and info["dataset"] == "fake" and "--dry-run" in info["command"]
    m = load_from_folder(out)
    assert m.kind == "cdcgan" and m.discriminator is not None
    assert "python -m training.train" in (out / "README.md").read_text()
    assert (tmp_path / "w" / "state.pt").exists() and not (out / "state.pt").exists()


@pytest.mark.parametrize("model", ["dcgan", "cdcgan", "icgan"])
def test_same_seed_same_weights_and_exact_resume(tmp_path, model: str) -> None:
    def run(name: str, steps: int, *extra: str) -> Path:
        return main(["--model", model, "--steps", str(steps), "--out", str(tmp_path / name),
                     "--work-dir", str(tmp_path / f"w-{name}"), *TINY, *extra])

    a, b = weights(run("a", 3)), weights(run("b", 3))
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)  # deterministic for a seed on CPU
    c = weights(run("c", 3, "--seed", "1"))
    assert any(not (a[k] == c[k]).all() for k in a if k.endswith("weight"))

    run("r", 2)  # stop after 2 steps ...
    r = weights(run("r", 3, "--resume"))  # ... and continue to 3: same weights as 3 uninterrupted steps
    assert all((a[k] == r[k]).all() for k in a)


def test_init_from_an_exported_folder_counts_on_from_its_steps(tmp_path) -> None:
    def run(name: str, steps: int, *extra: str) -> Path:
        return main(["--model", "cdcgan", "--steps", str(steps), "--out", str(tmp_path / name),
                     "--work-dir", str(tmp_path / f"w-{name}"), "--ema", "0.9", *TINY, *extra])

    first = run("first", 2)
    start = weights(first)
    same = run("same", 3, "--init-from", str(first), "--lr", "0")  # lr 0: the loaded weights stay
    statistics = ("running_mean", "running_var", "num_batches_tracked")  # BatchNorm's move in a train step
    assert all((start[k] == v).all() for k, v in weights(same).items() if not k.endswith(statistics))
    info = json.loads((same / "training.json").read_text())
    first_wall = json.loads((first / "training.json").read_text())["wall_time_s"]
    assert info["steps"] == 3 and info["init_from"] == {"folder": str(first), "steps": 2, "wall_time_s": first_wall}
    assert "Warm start: from" in (same / "README.md").read_text()
    moved = weights(run("moved", 3, "--init-from", str(first)))
    assert any(not (start[k] == moved[k]).all() for k in start if k.endswith("weight"))
    with pytest.raises(SystemExit, match="already has 2 steps"):
        run("short", 2, "--init-from", str(first))
    with pytest.raises(SystemExit, match="another config"):
        run("wider", 3, "--init-from", str(first), "--latent-dim", "16")


def test_a_warm_start_keeps_the_code_names_given_after_training(tmp_path) -> None:
    def run(name: str, steps: int, *extra: str) -> Path:
        return main(["--model", "infogan", "--codes", "3", "--continuous-codes", "2", "--steps", str(steps),
                     "--out", str(tmp_path / name), "--work-dir", str(tmp_path / f"w-{name}"), *TINY, *extra])

    first = run("first", 2)
    config = json.loads((first / "config.json").read_text())
    config["code_names"] = ["round -> square", "light -> dark"]  # what a person read off the traversals
    (first / "config.json").write_text(json.dumps(config))
    leg = run("leg", 3, "--init-from", str(first))
    assert json.loads((leg / "config.json").read_text())["code_names"] == ["round -> square", "light -> dark"]
    again = run("leg", 4, "--init-from", str(first), "--resume")  # a resumed leg rebuilds the config
    assert json.loads((again / "config.json").read_text())["code_names"] == ["round -> square", "light -> dark"]
    with pytest.raises(SystemExit, match="another config"):  # other fields must still match
        run("more", 3, "--init-from", str(first), "--codes", "4")


def test_discriminator_learns_at_its_own_rate(tmp_path, capsys) -> None:
    """--d-lr: Adam's first step moves every parameter by about its learning rate, so one step from the same
    weights moves D's by --d-lr and G's by --lr; the rate is recorded and named on the card."""
    def run(name: str, steps: int, *extra: str) -> Path:
        return main(["--model", "dcgan", "--steps", str(steps), "--out", str(tmp_path / name),
                     "--work-dir", str(tmp_path / f"w-{name}"), *TINY, *extra])

    start = run("start", 1)
    moved = run("moved", 2, "--init-from", str(start), "--lr", "1e-4", "--d-lr", "4e-4")
    before, after = weights(start), weights(moved)
    step = {k: float((after[k] - before[k]).abs().max()) for k in before if k.endswith(("weight", "bias"))}
    assert max(v for k, v in step.items() if not k.startswith("D.")) == pytest.approx(1e-4, rel=0.01)
    assert max(v for k, v in step.items() if k.startswith("D.")) == pytest.approx(4e-4, rel=0.01)
    assert json.loads((moved / "training.json").read_text())["d_lr"] == 4e-4
    assert "Adam lr 0.0001 (D 0.0004)" in (moved / "README.md").read_text()
    assert "d_lr" not in json.loads((start / "training.json").read_text())  # the default is --lr, not recorded
    for bad in (["--d-lr", "-0.0001"], ["--lr", "-0.0001"], ["--model", "vae", "--d-lr", "1e-4"]):
        with pytest.raises(SystemExit):
            main(["--out", str(tmp_path / "refused"), *TINY, *bad])
    err = capsys.readouterr().err
    assert "--lr and --d-lr cannot be negative" in err and "--d-lr: vae has no discriminator" in err


def test_learning_rate_decays_linearly_to_zero_and_resume_stays_exact(tmp_path) -> None:
    from training.train import learning_rates
    from training.train_args import parse_args

    args = parse_args(["--out", str(tmp_path / "x"), "--steps", "10", "--lr", "1e-3", "--lr-decay-from", "6"])
    assert [round(learning_rates(args, s)[0], 8) for s in range(10)] == [1e-3] * 6 + [1e-3, 7.5e-4, 5e-4, 2.5e-4]
    assert all(learning_rates(args, s)[1] == learning_rates(args, s)[0] for s in range(10))  # D: --lr by default
    args = parse_args(["--out", str(tmp_path / "x"), "--steps", "10", "--lr", "1e-3", "--d-lr", "4e-3",
                       "--lr-decay-from", "6"])
    assert [round(learning_rates(args, s)[1], 8) for s in (0, 6, 7, 9)] == [4e-3, 4e-3, 3e-3, 1e-3]

    def run(name: str, steps: int, *extra: str) -> Path:
        return main(["--model", "cdcgan", "--steps", str(steps), "--out", str(tmp_path / name),
                     "--work-dir", str(tmp_path / f"w-{name}"), *TINY, *extra])

    whole = weights(run("whole", 4, "--lr-decay-from", "1"))
    run("legs", 2, "--lr-decay-from", "1")  # a leg whose own schedule ends at 2 ...
    legs = weights(run("legs", 4, "--lr-decay-from", "1", "--resume"))  # ... resumed: the rate follows the step
    constant = weights(run("constant", 4))
    assert all((whole[k] == legs[k]).all() for k in whole)  # steps 0-1 agree: the rate is --lr until step 1
    assert any(not (whole[k] == constant[k]).all() for k in whole if k.endswith("weight"))
    info = json.loads((tmp_path / "whole" / "training.json").read_text())
    assert info["lr_decay_from"] == 1
    assert "decayed linearly to 0 from step 1" in (tmp_path / "whole" / "README.md").read_text()
    with pytest.raises(SystemExit):
        parse_args(["--out", str(tmp_path / "x"), "--steps", "10", "--lr-decay-from", "10"])


def test_bad_arguments_exit_cleanly(tmp_path) -> None:
    with pytest.raises(SystemExit):
        main(["--model", "dcgan", "--dataset", "fake", "--steps", "1"])  # no --out
    with pytest.raises(SystemExit):
        main(["--dataset", "imagenet", "--out", str(tmp_path)])


@pytest.mark.slow
def test_torchrun_two_cpu_processes_with_gloo(tmp_path) -> None:
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "training.train", "--model", "cdcgan", "--steps", "3", "--out", str(out),
           "--work-dir", str(tmp_path / "w"), "--device", "cpu", *TINY]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads((out / "training.json").read_text())
    assert info["world_size"] == 2 and info["steps"] == 3 and info["command"].startswith("torchrun")
    assert load_from_folder(out).kind == "cdcgan"


def test_a_conditional_model_trains_on_pseudo_labels_and_others_refuse_them(tmp_path) -> None:
    import numpy as np

    from training.data import load_dataset

    np.save(tmp_path / "clusters.npy", np.arange(len(load_dataset("fake", "train"))) % 4)
    out = main(["--model", "cdcgan", "--pseudo-labels", str(tmp_path / "clusters.npy"), "--steps", "2",
                "--out", str(tmp_path / "m"), "--work-dir", str(tmp_path / "w"), *TINY])
    config = json.loads((out / "config.json").read_text())
    assert config["num_classes"] == 4 and config["class_names"] == [f"cluster {i}" for i in range(4)]
    with pytest.raises(SystemExit, match="models with classes"):
        main(["--model", "dcgan", "--pseudo-labels", str(tmp_path / "clusters.npy"), "--dry-run"])
    np.save(tmp_path / "short.npy", np.zeros(3, np.int64))
    with pytest.raises(SystemExit, match="pseudo-labels"):
        main(["--model", "cdcgan", "--pseudo-labels", str(tmp_path / "short.npy"), "--dry-run"])


def test_pseudo_labels_cluster_a_trained_discriminators_features(tmp_path) -> None:
    import numpy as np

    from training import pseudo_labels

    folder = main(["--model", "dcgan", "--steps", "2", "--out", str(tmp_path / "m"), "--work-dir",
                   str(tmp_path / "w"), *TINY])
    labels = pseudo_labels.main([str(folder), "--clusters", "3", "--out", str(tmp_path / "c.npy")])
    assert labels.dtype == np.int64 and set(labels.tolist()) == {0, 1, 2}
    assert np.array_equal(np.load(tmp_path / "c.npy"), labels)
    assert pseudo_labels.purity(np.array([0, 0, 1, 1]), np.array([5, 5, 5, 6])) == 0.75
    with pytest.raises(SystemExit, match="--clusters"):
        pseudo_labels.main([str(folder), "--clusters", "1", "--out", str(tmp_path / "x.npy")])
