"""Explore-tab panels: find the latent of a drawing or an image (inversion), latent arithmetic A - B + C and
class attribute vectors. `build(explore)` lays them out inside the Explore tab; the found latent becomes the
Explore tab's current image, so its sliders explore around the user's own drawing."""

from __future__ import annotations

import re
import uuid
from typing import Any

import gradio as gr
import numpy as np
import torch

from gan_models import edit, media, registry, render
from gan_models import latent as L
from gan_models.inputs import resolve_label
from ui import explore_views, uploads
from ui.charts import D_COLOR, history_chart
from ui.common import PRIVATE, RENDER, brush_ready_js, model_ids, user_errors

MAX_SECONDS = 15.0  # inversion wall-time cap: the answer must come within seconds, even on a busy CPU

try:  # ZeroGPU: run the optimisation on the lent GPU; a plain function everywhere else.
    import spaces

    gpu = spaces.GPU(duration=30)
except ImportError:
    def gpu(fn):  # noqa: ANN001, ANN202 - identity decorator
        return fn


def _base(model_id: str) -> tuple[Any, torch.nn.Module]:
    """The loaded model and its plain generator (a drawing's anchored model inverts with its base)."""
    loaded = render.load_model(model_id)
    gen = loaded.generator
    return loaded, gen.base if isinstance(gen, edit.AnchoredGenerator) else gen


def _image_of(sketch: Any, upload: Any) -> np.ndarray:
    """The uploaded image if there is one, else the sketchpad's composite (the event runs with preprocess=False:
    both arrive as file references and are read by ui.uploads, header first). Raises when both are empty."""
    image = uploads.read_image(upload)
    if image is not None:
        return image
    if sketch is not None and not isinstance(sketch, dict):
        raise ValueError("The sketchpad's value must be an image editor value.")
    composite = uploads.read_image(sketch.get("composite")) if sketch else None
    if composite is not None and np.ptp(composite) > 0:  # a blank canvas is one flat colour
        return composite
    raise gr.Error("Draw something in the sketchpad or upload an image first.")


def _drawing_id(base_id: str) -> str:
    stem = re.sub(r"[^a-z0-9_-]+", "-", base_id.lower()).strip("-")[:36] or "model"
    return f"{stem}-drawing-{uuid.uuid4().hex[:6]}"


def _pair(target: torch.Tensor, image: np.ndarray) -> np.ndarray:
    tiles = np.stack([media.to_uint8(target)[0], image])
    return media.for_display(media.upscale(media.make_grid(tiles, nrow=2, pad=4), min_side=200))


def find_latent(model_id: str, sketch: Any, upload: Any, steps: float = 300):
    """Stream (loss chart, target|result image, readout, found-latent record) while optimising."""
    try:
        loaded, G = _base(model_id)
        cfg = G.config
        n_classes = len(loaded.class_names or [])
        n_steps = L.whole("Optimisation steps", steps, 1, edit.MAX_INVERSION_STEPS)
        target = edit.prepare_target(_image_of(sketch, upload), cfg.image_size, cfg.channels,
                                     edit.model_draws_on_dark(G, cfg.latent_dim, n_classes))
        history: list[tuple[int, float]] = []
        for record in edit.invert(G, target, n_classes, steps=n_steps, max_seconds=MAX_SECONDS, report_every=5):
            history.append((record.step, record.loss))
            chart = history_chart([s for s, _ in history], {"pixel MSE": ([v for _, v in history], D_COLOR)}, [],
                                  "Reconstruction error", "mean squared error")
            if not record.done:
                yield chart, gr.skip(), f"Step {record.step} · error {record.loss:.4f}", gr.skip()
                continue
            cls = f" · class **{loaded.class_names[record.label]}**" if record.label is not None else ""
            readout = (f"**Found** in {record.elapsed_s:.1f} s ({record.step} steps): error {record.loss:.4f} "
                       f"({edit.psnr(record.loss):.1f} dB){cls} · |z| {float(record.z.norm()):.1f}")
            found = {"model": loaded.id, "z": record.z.tolist(), "label": record.label}
            yield chart, _pair(target, record.image), readout, found
    except ValueError as error:
        raise gr.Error(str(error)) from None


def explore_found(found: dict | None, seed: Any) -> list:
    """Make the found latent the Explore tab's current image: a model whose seed `seed` draws it."""
    if not found:
        raise gr.Error("Find a latent first.")
    loaded, G = _base(found["model"])
    anchor = L.check_seed(seed if seed is not None else 0)
    anchored = edit.anchored(G, torch.tensor(found["z"]), anchor)
    model_id = registry.register(registry.LoadedModel(
        id=_drawing_id(loaded.id), kind=loaded.kind, generator=anchored, discriminator=loaded.discriminator,
        config=loaded.config, class_names=list(loaded.class_names)))
    label = None if found["label"] is None else loaded.class_names[found["label"]]
    outputs = explore_views.setup(model_id, anchor, label)
    outputs[0] = gr.update(choices=list(dict.fromkeys([*model_ids(), model_id])), value=model_id)
    return outputs


# ---------------------------------------------------------------------------------------------
# Arithmetic and attribute vectors
# ---------------------------------------------------------------------------------------------


def _strip(images: torch.Tensor) -> np.ndarray:
    grid = media.make_grid(media.to_uint8(images), nrow=images.shape[0], pad=4)
    return media.for_display(media.upscale(grid, min_side=140, max_factor=6))


def _class(loaded: Any, label: Any) -> int | None:
    return resolve_label(loaded, label)


@user_errors
def latent_arithmetic(model_id: str, seed_a: Any, seed_b: Any, seed_c: Any, label_a: Any = None, label_b: Any = None,
                      label_c: Any = None, found: dict | None = None, use_found: bool = False):
    """Strip [A, B, C, A - B + C]. A can be the found latent; for conditional models the classes take part
    in the sum through their embeddings (e.g. bear - cat + dog)."""
    loaded, G = _base(model_id)
    d = int(G.config.latent_dim)
    zs = [L.z_from_seed(L.check_seed(s), d) for s in (seed_a, seed_b, seed_c)]
    labels = [_class(loaded, lab) for lab in (label_a, label_b, label_c)]
    if use_found:
        if not found or found["model"] != loaded.id:
            raise gr.Error("Find the latent of a drawing with this model first (above).")
        zs[0] = torch.tensor([found["z"]])
        labels[0] = found["label"] if labels[0] is None or not loaded.class_names else labels[0]
    hs = [edit.full_input(G, z, None if y is None else torch.tensor([y])) for z, y in zip(zs, labels, strict=True)]
    # Rescale only the noise part: class embeddings are not Gaussian, their difference is the point.
    out = torch.cat([edit.arithmetic(hs[0][:, :d], hs[1][:, :d], hs[2][:, :d]), (hs[0] - hs[1] + hs[2])[:, d:]], 1)
    images = edit.render_input(G, torch.cat([*hs, out]))
    names = [""] * 3 if not loaded.class_names else [f": {loaded.class_names[y]}" for y in labels]
    captions = [f"{tile}{name}" for tile, name in zip("ABC", names, strict=True)] + ["A - B + C"]
    tiles = media.to_uint8(images)
    strip = media.captioned_grid(tiles, captions, len(captions), media.scale_for(tiles.shape[1], len(captions), 560, 6))
    return strip, "A · B · C · **A − B + C** (noise rescaled to a typical length)"


@user_errors
def class_attribute(model_id: str, seed: Any, label: Any, from_label: Any, to_label: Any):
    """Strip of the current seed's image moved along the class vector from -> to, amounts -0.5 .. 1.5."""
    loaded, G = _base(model_id)
    if not loaded.class_names:
        raise gr.Error("Attribute vectors need a class-conditional model (cdcgan-*).")
    vector = edit.attribute_vector(G, _class(loaded, from_label), _class(loaded, to_label))
    z = L.z_from_seed(L.check_seed(seed), int(G.config.latent_dim))
    gen = loaded.generator
    if isinstance(gen, edit.AnchoredGenerator):  # a drawing's model: its seed stands for the found latent
        z = z + gen.offset.cpu()
    amounts = [-0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5]
    images = edit.attribute_strip(G, z, _class(loaded, label) or 0, vector, amounts)
    return _strip(images), "Amounts " + " · ".join(f"{a:+.2f}" for a in amounts) + " along the class vector"


def _classes(model_id: Any) -> list[str]:
    try:
        return list(render.load_model(model_id).class_names or [])
    except Exception:  # the picker can hold a half-typed Hub id
        return []


def _arithmetic_defaults(classes: list[str]) -> tuple[tuple[int, ...], tuple[str | None, ...]]:
    """Seeds and classes A, B, C the panel starts from. Conditional: B and C share a seed, so A - B + C is A's
    drawing (its noise) with its class swapped for C's: a sum whose answer a learner can predict and check."""
    if len(classes) > 1:
        return (1, 2, 2), (classes[0], classes[0], classes[1])
    return (1, 2, 3), (None, None, None)


def _class_choices(model_id: str):
    """The panels' class pickers (and the arithmetic's seeds) for the model just picked."""
    classes = _classes(model_id)
    seeds, labels = _arithmetic_defaults(classes)
    shown = {"choices": classes, "visible": bool(classes)}
    return (*[gr.update(value=s) for s in seeds], *[gr.update(value=v, **shown) for v in labels],
            gr.update(value=classes[0] if classes else None, **shown),
            gr.update(value=classes[1] if len(classes) > 1 else None, **shown))


def build(explore: Any) -> None:
    """Lay out the panels (inside the Explore tab) and wire them to its components (ui.explore_tab.Explore)."""
    found = gr.State(None)  # {"model", "z": list of floats, "label"}: small plain data, fine in State
    classes = _classes(explore.model.value)  # the class pickers start with the default model's classes
    with gr.Accordion("Find the latent of a drawing (inversion)", open=False, elem_id="inv-panel") as inv_panel:
        gr.Markdown("Draw a shape (the brush is ready), or upload an image: the app searches "
                    "the generator's input space for the "
                    "vector whose image looks most like it (and the class, for conditional models). Then "
                    "**Explore from here** makes it the current image, so the sliders move around your drawing.")
        with gr.Row():
            sketch = gr.Sketchpad(label="Draw", type="numpy", canvas_size=(280, 280), elem_id="inv-sketch",
                                  brush=gr.Brush(default_size=18, colors=["#000000"], color_mode="fixed"))
            upload = gr.Image(label="…or upload", type="filepath", sources=["upload", "clipboard"], height=280,
                              elem_id="inv-upload")
            with gr.Column():
                steps = gr.Slider(20, edit.MAX_INVERSION_STEPS, value=300, step=10, label="Optimisation steps",
                                  elem_id="inv-steps")
                find = gr.Button("Find latent", variant="primary", elem_id="inv-find")
                explore_btn = gr.Button("Explore from here", elem_id="inv-explore")
        with gr.Row():
            loss_plot = gr.Plot(label="Reconstruction error", elem_id="inv-loss")
            result = gr.Image(label="Target (left) and the generator's image (right)", format="png",
                              interactive=False, elem_id="inv-result")
        readout = gr.Markdown(elem_id="inv-readout")

    with gr.Accordion("Latent arithmetic", open=False, elem_id="arith-panel"):
        gr.Markdown("**A − B + C** on input vectors picked by seed (classes too, for conditional models): "
                    "what A has and B lacks, added to C. It starts with B and C on one seed, so the answer is "
                    "predictable: A's drawing with B's class swapped for C's. Then change the seeds.")
        start_seeds, start_labels = _arithmetic_defaults(classes)
        with gr.Row():
            seeds = [gr.Number(v, precision=0, minimum=0, label=f"Seed {n}", elem_id=f"arith-seed-{n.lower()}")
                     for n, v in zip("ABC", start_seeds, strict=True)]
            labels = [gr.Dropdown(classes, value=v, label=f"Class {n}", visible=bool(classes),
                                  elem_id=f"arith-class-{n.lower()}")
                      for n, v in zip("ABC", start_labels, strict=True)]
        with gr.Row():
            use_found = gr.Checkbox(label="A = the latent found above", elem_id="arith-use-found")
            arith_btn = gr.Button("Compute A − B + C", elem_id="arith-btn")
        arith_img = gr.Image(label="A, B, C, A − B + C", format="png", interactive=False, elem_id="arith-img")
        arith_note = gr.Markdown()
        gr.Markdown("**Class attribute vector** (conditional models): the difference of two class means in the "
                    "generator's input space, applied to the current image.")
        with gr.Row():
            from_label = gr.Dropdown(classes, value=classes[0] if classes else None, label="From class",
                                     visible=bool(classes), elem_id="attr-from")
            to_label = gr.Dropdown(classes, value=classes[1] if len(classes) > 1 else None, label="To class",
                                   visible=bool(classes), elem_id="attr-to")
            attr_btn = gr.Button("Apply to the current image", elem_id="attr-btn")
        attr_img = gr.Image(label="Current image along the class vector", format="png", interactive=False,
                            elem_id="attr-img")
        attr_note = gr.Markdown()

    inv_panel.expand(None, js=brush_ready_js("inv-sketch"))
    find.click(gpu(find_latent), [explore.model, sketch, upload, steps], [loss_plot, result, readout, found],
               api_name="find_latent_ui", show_progress="minimal", concurrency_id="invert", concurrency_limit=2,
               preprocess=False, **PRIVATE)  # uploads read header first by ui.uploads, never decoded unchecked
    explore_btn.click(explore_found, [found, explore.seed], explore.setup_outputs, api_name="explore_found",
                      concurrency_id=RENDER["concurrency_id"], concurrency_limit=RENDER["concurrency_limit"],
                      **PRIVATE)
    arith_btn.click(latent_arithmetic, [explore.model, *seeds, *labels, found, use_found], [arith_img, arith_note],
                    api_name="latent_arithmetic", **RENDER, **PRIVATE)
    attr_btn.click(class_attribute, [explore.model, explore.seed, explore.label, from_label, to_label],
                   [attr_img, attr_note], api_name="class_attribute", **RENDER, **PRIVATE)
    explore.model.change(_class_choices, explore.model, [*seeds, *labels, from_label, to_label], api_name=False,
                         queue=False)
