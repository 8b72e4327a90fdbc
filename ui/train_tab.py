"""The "Train" tab: train a small image GAN (or the VAE, to watch the difference form) live, watch its samples
sharpen, then open the result in the Explore tab (this session) or download it as a save_pretrained folder (zip)."""

from __future__ import annotations

import functools
import math
import shutil
import time
import uuid
from collections.abc import Iterator
from typing import Any

import gradio as gr
import numpy as np
import torch

from gan_models import media, registry
from training.limits import RUNS, RunRefused
from training.live import TrainedRun, finished_run, start_run
from training.live_config import GRID_ROWS, MAX_STEPS, LiveRecord, LiveTrainConfig
from training.worker import WORKERS, Job, WorkerError, run_here, with_result
from ui import explore_views
from ui.charts import gan_training_charts, vae_training_charts
from ui.common import learning_rates, model_ids, scratch_dir, whole_number
from ui.real_images import test_split

MAX_RUN_SECONDS = 300  # wall-time cap per run; a run estimated to take longer is refused up front
MIN_UPDATE_INTERVAL = 0.5  # seconds between plot updates: live enough, and costs training about 1%
DATASET_CHOICES = [
    ("Animal-MNIST (10 animal silhouettes, bundled)", "animal-mnist"),
    ("Digits (scikit-learn 8x8, bundled)", "digits"),
    ("Emoji (8 classes, colour 32x32, bundled)", "emoji"),
    ("Emoji faces (colour 32x32, bundled)", "emoji-faces"),
    ("MNIST (downloads: needs internet on the server)", "mnist"),
    ("Fashion-MNIST (downloads: needs internet on the server)", "fashion-mnist"),
]
MODEL_CHOICES = [("DCGAN", "dcgan"), ("Conditional DCGAN (one class per column)", "cdcgan"),
                 ("Vanilla GAN (fully connected, 2014)", "mlpgan"),
                 ("VAE (encoder + decoder, Kingma & Welling 2013)", "vae")]
GAN_PLOT_LABELS = ("Losses", "D(real) and D(G(z))")
VAE_PLOT_LABELS = ("Negative ELBO and reconstruction", "KL divergence")
# The small-data recipe of the shipped emoji models (training.loop.Recipe). A live run is short, so its weight
# average forgets faster than the CLI's 0.999: 0.99 averages about the last 100 steps.
RECIPE = {"loss": "hinge", "spectral_norm": True, "diffaugment": "color,translation,cutout", "ema": 0.99}
# What the page starts with: a conditional model with the recipe, long enough for digits a class can read in
# about a minute on 2 CPU cores (benchmarks/train_defaults.py measures both).
PAGE_DEFAULTS = {"dataset": "digits", "model": "cdcgan", "latent_dim": 32, "steps": 1500, "batch_size": 32,
                 "width": 16, "recipe": True}

try:  # ZeroGPU Spaces lend a GPU per decorated call; elsewhere (and without the package) a plain function.
    import spaces

    gpu = spaces.GPU(duration=MAX_RUN_SECONDS + 60)
    ZERO_GPU = bool(spaces.config.Config.zero_gpu)  # then train in the decorated call's process, which has the GPU
except ImportError:
    ZERO_GPU = False

    def gpu(fn):  # noqa: ANN001, ANN202 - identity decorator
        return fn

INTRO = """
**Train a GAN while you watch.** The generator starts from noise and learns to draw the dataset; the
discriminator learns to tell real images from its fakes. The grid shows the *same* 16-64 input vectors every
few seconds, so you watch the same samples sharpen. Pick the **VAE** to train the other kind of generative model
on the same data: no discriminator, an encoder and a decoder trained to redraw each image from a short code;
its samples come out blurrier but cover every kind of image. Small runs on a CPU take a few minutes: stop any
time, then open the result in the **Explore** tab (a VAE's decoder draws from z like a generator) or download it.
"""


def _owner(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "anonymous"


def make_config(
    dataset: str, model: str, latent_dim: Any, steps: Any, batch_size: Any, lr_g: Any, lr_d: Any, seed: Any,
    device: str, width: Any = 16, recipe: Any = False,
) -> LiveTrainConfig:
    """Raw UI/API values -> a validated config, or gr.Error with the reason."""
    if not isinstance(recipe, bool):
        raise gr.Error(f"recipe must be true or false, got {type(recipe).__name__}.")
    lrs = learning_rates(lr_g, lr_d)
    n_steps = whole_number("steps", steps)
    config = LiveTrainConfig(
        dataset=str(dataset), model=str(model), latent_dim=whole_number("latent size", latent_dim), steps=n_steps,
        batch_size=whole_number("batch size", batch_size), lr_g=lrs[0], lr_d=lrs[1], seed=whole_number("seed", seed),
        device=str(device), base_channels=whole_number("width", width), report_every=max(1, min(25, n_steps // 200)),
        **(RECIPE if recipe else {}),
    )
    try:
        config.validate()
    except ValueError as error:
        raise gr.Error(str(error)) from None
    return config


def _new_model_id(config: LiveTrainConfig) -> str:
    return f"trained-{config.dataset}-{config.model}-{uuid.uuid4().hex[:6]}"


def _records(config: LiveTrainConfig, owner: str) -> Iterator[tuple[LiveRecord, TrainedRun | None]]:
    """(record, finished run) pairs of a run held in this session's slot, trained in a worker process (in this
    one on ZeroGPU); the finished run comes with the last record, None before. Refusals become gr.Error."""
    job = Job(functools.partial(start_run, budget_s=MAX_RUN_SECONDS), config, MAX_RUN_SECONDS, finished_run)
    try:
        with RUNS.slot(owner) as stop_flag:
            messages = run_here(job, stop_flag.is_set) if ZERO_GPU else WORKERS.run(job, stop_flag.is_set)
            yield from with_result(messages)
    except RunRefused as error:
        raise gr.Error(str(error)) from None
    except WorkerError as error:
        if error.kind == "DatasetUnavailable":
            raise gr.Error(
                f"{config.dataset} is not available here: it downloads on first use and this server cannot "
                "reach the internet (or the download failed). Choose Animal-MNIST or Digits: they are bundled."
            ) from None
        raise gr.Error(str(error)) from None


def _publish(run: TrainedRun, config: LiveTrainConfig) -> tuple[str, str]:
    """Register the trained model for the explorer and write its save_pretrained zip inside Gradio's cache."""
    model_id = registry.register(run.to_loaded_model(_new_model_id(config)))
    folder = run.save_pretrained(scratch_dir() / model_id)
    archive = shutil.make_archive(str(folder), "zip", folder)
    return model_id, archive


@gpu
def train_image_gan(
    dataset: str = "digits", model: str = "dcgan", latent_dim: int = 32, steps: int = 200, batch_size: int = 32,
    lr_g: float = 2e-4, lr_d: float = 2e-4, seed: int = 0, device: str = "auto", width: int = 16,
    recipe: bool = False, request: gr.Request = None,
) -> Iterator[dict]:
    """Train a small image GAN (or a VAE) and stream its training records.

    Datasets: animal-mnist, digits, emoji, emoji-faces (bundled), mnist, fashion-mnist (need internet), fake
    (random blobs, for tests). Models: dcgan, cdcgan, mlpgan (the vanilla GAN), vae (a convolutional VAE: no
    discriminator, one Adam optimiser at lr_g; lr_d is unused). recipe=True trains with the small-data recipe
    (hinge loss, spectral norm in D, DiffAugment, weight average of G); it is refused for vae. Each record: step,
    d_loss, g_loss, d_real, d_fake, recon, kl, steps_per_s, elapsed_s, eta_s, done, stop_reason. For a GAN, recon
    and kl are null; for vae, d_loss, d_real and d_fake are null, g_loss is the negative ELBO (recon + kl, nats
    per image), recon the reconstruction error (BCE summed over pixels) and kl the KL divergence of q(z|x) from
    N(0, I). The last record (done=True) adds model_id: use it with /generate (a VAE's decoder generates from z).
    Runs longer than 300 s (estimated from a few timed steps) are refused; steps are capped at 20,000.
    """
    config = make_config(dataset, model, latent_dim, steps, batch_size, lr_g, lr_d, seed, device, width, recipe)
    for record, run in _records(config, _owner(request)):
        out = record.to_dict()
        if run is not None:
            out["model_id"], _ = _publish(run, config)
        yield out


# ---------------------------------------------------------------------------------------------
# The tab's callbacks
# ---------------------------------------------------------------------------------------------


def _charts(history: list[LiveRecord]) -> tuple:
    """(loss chart, second chart): a GAN's losses and D's beliefs, or a VAE's negative ELBO and KL."""
    if history and history[-1].recon is not None:
        return vae_training_charts(history)
    return gan_training_charts(history)


def _progress(record: LiveRecord, steps: int) -> str:
    share = min(1.0, record.step / steps)
    eta = "" if record.done or not math.isfinite(record.eta_s) else f" · about {record.eta_s:,.0f} s left"
    head = (f"<b>Step {record.step:,} / {steps:,}</b> · {record.steps_per_s:,.1f} steps/s · "
            f"{record.elapsed_s:,.0f} s{eta}")
    bar = (f'<div style="background:#e5e7eb;border-radius:4px;height:10px;margin:6px 0">'
           f'<div style="background:#f97316;width:{share:.1%};height:10px;border-radius:4px"></div></div>')
    if record.recon is not None:  # the VAE: one loss, no discriminator
        stats = (f"Negative ELBO <b>{record.g_loss:,.1f}</b> = reconstruction <b>{record.recon:,.1f}</b> + "
                 f"KL <b>{record.kl:,.1f}</b> (nats per image, lower is better): how badly the decoder redraws "
                 "an image from its code, plus how far the codes stray from N(0, I)")
    else:
        stats = (f"D(real) <b>{record.d_real:.2f}</b> · D(G(z)) <b>{record.d_fake:.2f}</b> (both 0.5 at "
                 f"equilibrium) · D loss {record.d_loss:.3f} · G loss {record.g_loss:.3f}")
    done = ""
    if record.done:
        why = {"finished": "Done", "time limit": f"Stopped at the {MAX_RUN_SECONDS} s limit",
               "stopped": "Stopped"}.get(record.stop_reason, "Done")
        done = f"<p><b>{why}.</b> Open it in the explorer or download it below.</p>"
    return f'<div id="train-progress-text">{head}</div>{bar}<div>{stats}</div>{done}'


READY = "Press <b>Start</b> to train."
SAMPLES_LABEL, REAL_LABEL = "Samples from fixed noise", "Real images: what the generator learns to draw"
PREVIEW_NOTE = (" The grid shows real images of this data set, one column per class: what the generator learns to "
                "draw. Once a run starts, the same place shows the generator's samples.")
MISSING_NOTE = " This data set is not on the server yet: it downloads when a run starts (if the server is online)."


@functools.lru_cache(maxsize=len(DATASET_CHOICES))
def real_preview(dataset: str) -> np.ndarray | None:
    """uint8 grid of real test images, one column per class and GRID_ROWS rows, laid out like the live grid of a
    conditional run; None for a download set this server has not fetched."""
    try:
        data = test_split(dataset)
    except (OSError, RuntimeError, ValueError):
        return None
    labels = torch.as_tensor(data.labels)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))
    columns = [order[labels[order] == c][:GRID_ROWS] for c in range(len(data.class_names))]
    columns = [c for c in columns if len(c) == GRID_ROWS]  # a class with too few test images is left out
    pick = torch.stack(columns, dim=1).flatten()  # row-major: row r holds image r of every class
    images = data.images[pick].permute(0, 2, 3, 1).contiguous().numpy()  # uint8 [N, H, W, C]
    return media.make_grid(images, nrow=len(columns))


def _preview(dataset: str) -> tuple:
    """The grid and the progress line for a newly picked data set."""
    if dataset not in {value for _, value in DATASET_CHOICES}:
        raise gr.Error("Unknown data set: pick one from the list.")
    grid = real_preview(dataset)
    if grid is None:
        return gr.update(value=None, label=SAMPLES_LABEL), READY + MISSING_NOTE
    return gr.update(value=_grid_image(grid), label=REAL_LABEL), READY + PREVIEW_NOTE


def _preview_on_open(dataset: str, session_models: list[str] | None) -> tuple:
    """The preview when the tab opens, unless this session has trained here (its samples stay)."""
    return (gr.skip(), gr.skip()) if session_models else _preview(dataset)


def _grid_image(grid) -> Any:
    return media.for_display(media.upscale(grid, min_side=360, max_factor=4))


@gpu
def _train_ui(dataset, model, latent_dim, steps, batch_size, lr_g, lr_d, seed, device, width, recipe, session_models,
              request: gr.Request):
    config = make_config(dataset, model, latent_dim, steps, batch_size, lr_g, lr_d, seed, device, width, recipe)
    history: list[LiveRecord] = []
    last_update = 0.0
    yield (gr.skip(), gr.skip(), gr.skip(), "Timing a few steps to check the run fits the time limit...",
           gr.skip(), gr.skip(), gr.update(interactive=False))
    for record, run in _records(config, _owner(request)):
        history.append(record)
        if not record.done and record.grid is None and time.monotonic() - last_update < MIN_UPDATE_INTERVAL:
            continue
        last_update = time.monotonic()
        image = gr.update(value=_grid_image(record.grid), label=SAMPLES_LABEL) if record.grid is not None else gr.skip()
        if not record.done:
            yield *_charts(history), image, _progress(record, config.steps), gr.skip(), gr.skip(), gr.skip()
            continue
        model_id, archive = _publish(run, config)
        models = [*(session_models or []), model_id]
        yield (*_charts(history), image, _progress(record, config.steps), models, archive,
               gr.update(interactive=True, value=f"Open {model_id} in Explore"))


def _model_controls(model: str) -> tuple:
    """The VAE has no discriminator: the recipe and D's learning rate do not apply, lr G is its one rate, and its
    charts are its loss's parts (the plots' labels are hidden on screen but read out by screen readers)."""
    if model == "vae":
        return (gr.update(value=False, interactive=False),
                gr.update(label="lr", info="The VAE's Adam step size (encoder and decoder)."),
                gr.update(interactive=False, info="No discriminator: unused by the VAE."),
                gr.update(label=VAE_PLOT_LABELS[0]), gr.update(label=VAE_PLOT_LABELS[1]))
    return (gr.update(interactive=True), gr.update(label="lr G", info="Generator's Adam step size."),
            gr.update(interactive=True, info="Discriminator's Adam step size."),
            gr.update(label=GAN_PLOT_LABELS[0]), gr.update(label=GAN_PLOT_LABELS[1]))


def _stop(request: gr.Request) -> None:
    RUNS.request_stop(_owner(request))


def build(explore: Any = None, tabs: gr.Tabs | None = None, tab: gr.Tab | None = None) -> None:
    """Lay out the tab and wire its events. With the Explore tab's components (`explore`, ui.explore_tab's
    Explore) and the page's `tabs`, "Open in Explore" switches tabs and loads the trained model there; with its
    own `tab`, real images of the data set fill the grid when it opens."""
    gr.Markdown(INTRO)
    session_models = gr.State([])  # ids of the models this session trained (plain strings)
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            dataset = gr.Dropdown(DATASET_CHOICES, value=PAGE_DEFAULTS["dataset"], label="Dataset",
                                  elem_id="train-dataset",
                                  info="MNIST and Fashion-MNIST download on first use; offline servers say so.")
            model = gr.Radio(MODEL_CHOICES, value=PAGE_DEFAULTS["model"], label="Model", elem_id="train-model")
            latent_dim = gr.Slider(2, 128, value=PAGE_DEFAULTS["latent_dim"], step=1,
                                   label="Latent size (input vector length)",
                                   elem_id="train-latent")
            with gr.Row():
                steps = gr.Number(PAGE_DEFAULTS["steps"], precision=0, minimum=1, maximum=MAX_STEPS, label="Steps",
                                  elem_id="train-steps",
                                  info=f"Runs stop after {MAX_RUN_SECONDS} s; longer ones are refused up front.")
                batch_size = gr.Number(PAGE_DEFAULTS["batch_size"], precision=0, minimum=2, maximum=256,
                                       label="Batch size", elem_id="train-batch")
            with gr.Row():
                lr_g = gr.Number(2e-4, label="lr G", info="Generator's Adam step size.", elem_id="train-lr-g")
                lr_d = gr.Number(2e-4, label="lr D", info="Discriminator's Adam step size.", elem_id="train-lr-d")
            with gr.Row():
                seed = gr.Number(0, precision=0, minimum=0, label="Seed", elem_id="train-seed")
                width = gr.Radio([8, 16, 32], value=PAGE_DEFAULTS["width"], label="Width", elem_id="train-width",
                                 info="Channels of the first layer: 32 = the shipped GANs (the VAE: 16), "
                                      "4x slower than 16.")
            recipe = gr.Checkbox(PAGE_DEFAULTS["recipe"], label="Small-data recipe", elem_id="train-recipe",
                                 info="Hinge loss, spectral norm in D, DiffAugment and a weight average of G: "
                                      "what the emoji models were trained with. About 1.5x slower per step. "
                                      "GANs only.")
            device = gr.Radio(
                ["auto", "cpu", "cuda"], value="auto", label="Device", elem_id="train-device",
                info="auto uses the GPU when the server has one"
                + ("" if torch.cuda.is_available() else " (this server: CPU only)."),
            )
            with gr.Row():
                start = gr.Button("Start", variant="primary", elem_id="train-start")
                stop = gr.Button("Stop", variant="stop", elem_id="train-stop")
            progress = gr.HTML(READY, elem_id="train-progress")
            open_btn = gr.Button("Open in Explore", interactive=False, elem_id="train-open")
            download = gr.File(label="Download (save_pretrained folder, zip)", elem_id="train-download",
                               interactive=False, height=120)
        with gr.Column(scale=2):
            grid = gr.Image(label=SAMPLES_LABEL, format="png", interactive=False, elem_id="train-grid",
                            height=400, buttons=["download", "fullscreen"])
            with gr.Row():
                # The charts carry their own titles; at half width the label badge covered them.
                loss_plot = gr.Plot(label=GAN_PLOT_LABELS[0], show_label=False, elem_id="train-loss-plot")
                prob_plot = gr.Plot(label=GAN_PLOT_LABELS[1], show_label=False, elem_id="train-prob-plot")

    dataset.change(_preview, dataset, [grid, progress], api_name=False, queue=False, show_progress="hidden")
    if tab is not None:
        tab.select(_preview_on_open, [dataset, session_models], [grid, progress], api_name=False, queue=False,
                   show_progress="hidden")
    settings = [dataset, model, latent_dim, steps, batch_size, lr_g, lr_d, seed, device, width, recipe]
    model.change(_model_controls, model, [recipe, lr_g, lr_d, loss_plot, prob_plot], api_name=False, queue=False,
                 show_progress="hidden")
    start.click(
        _train_ui, [*settings, session_models],
        [loss_plot, prob_plot, grid, progress, session_models, download, open_btn],
        api_name="train_image_ui", api_visibility="private", show_progress="minimal",
        concurrency_id="train", concurrency_limit=RUNS.max_concurrent,
    )
    stop.click(_stop, None, None, api_name="stop_image", api_visibility="private", queue=False)

    if explore is None or tabs is None:
        return

    def open_in_explorer(models: list[str]) -> list:
        if not models:
            raise gr.Error("Train a model first: press Start.")
        outputs = explore_views.setup(models[-1], 0)
        # The picker lists the shipped models plus this session's own (no other session sees them).
        outputs[0] = gr.update(choices=list(dict.fromkeys(model_ids() + models)), value=models[-1])
        return [gr.Tabs(selected="explore"), *outputs]

    open_btn.click(open_in_explorer, session_models, [tabs, *explore.setup_outputs], api_name="train_open",
                   api_visibility="private", concurrency_id="render", concurrency_limit=8)
