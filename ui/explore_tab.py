"""The "Explore" tab: pick a model and a seed, then drag raw latent dimensions or PCA directions and
watch the image follow. Also: class grid, traversal grid + sensitivity chart, share link and recipe.
Layout and wiring only: the callbacks and the readout are in ui.explore_views."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from gan_models import latent as L
from gan_models.inputs import MAX_CLASS_GRID_ROWS
from ui import explore_views as views
from ui.common import LIVE, PRIVATE, RENDER, SLIDER, default_model, model_ids, postprocessed_batch
from ui.explore_views import DIR_RANGE, MODES, N_DIR, RAW_RANGE, K

INTRO = """
**What does the input vector do?** A GAN turns a random vector *z* (one number per *dimension*) into an
image. Pick a seed to get a vector, then drag its numbers (raw dimensions) or move along directions that
change the image most: the main axes of variation of many samples (PCA), or the directions the generator's
first layer stretches most, read straight from its weights (SeFa). Watch the image follow.
"""


@dataclass
class Explore:
    """The tab's components, so share.py and app.py can fill them from a link or a recipe."""

    model: gr.Dropdown
    seed: gr.Number
    label: gr.Dropdown
    truncation: gr.Slider
    n: gr.Radio
    dims: gr.Dropdown
    raw: list[gr.Slider]
    amounts: list[gr.Slider]  # PCA directions
    closed_form: list[gr.Slider]  # SeFa directions
    mode: gr.Radio
    image: gr.Image
    readout: gr.Markdown
    info: gr.JSON

    @property
    def setup_outputs(self) -> list[gr.components.Component]:
        return [*self.state_inputs, self.mode, self.image, self.readout, self.info]

    @property
    def state_inputs(self) -> list[gr.components.Component]:
        return [self.model, self.seed, self.label, self.truncation, self.n, self.dims, *self.raw, *self.amounts,
                *self.closed_form]


@dataclass
class _Controls:
    """The tab's components that only its own events use: buttons, the slider groups, grids, link and recipe."""

    random_btn: gr.Button
    raw_group: gr.Column
    dir_group: gr.Column
    sefa_group: gr.Column
    reset: gr.Button
    link_btn: gr.Button
    recipe_btn: gr.Button
    link: gr.Textbox
    recipe_out: gr.File
    recipe_in: gr.File
    rows: gr.Slider
    grid_panel: gr.Accordion
    grid_btn: gr.Button
    class_img: gr.Image
    trav_panel: gr.Accordion
    trav_btn: gr.Button
    trav_img: gr.Image
    sens_plot: gr.BarPlot
    nearest_panel: gr.Accordion
    nearest_btn: gr.Button
    nearest_img: gr.Image
    nearest_text: gr.Markdown


def build() -> Explore:
    """Lay out the tab and wire its events (inside the page's gr.Blocks); returns the components."""
    views.warm_up()  # first: the shipped models' directions compute in the background while the page is laid out
    ex, controls = _layout()
    _wire(ex, controls)
    return ex


def _layout() -> tuple[Explore, _Controls]:
    """The components in page order, no events yet: controls and sliders beside the sticky view, link and
    recipe below it, then the class grid and traversal accordions."""
    gr.Markdown(INTRO)
    ids = model_ids()
    with gr.Row(equal_height=True):  # the view column spans the sliders' height: room for it to stick
        with gr.Column(scale=1, min_width=320):
            model = gr.Dropdown(
                ids, value=default_model(), allow_custom_value=True, label="Model", elem_id="ex-model",
                info="A shipped generator, or type a Hugging Face repo id (org/name or org/name@revision).",
            )
            with gr.Row():
                seed = gr.Number(0, precision=0, minimum=0, maximum=L.MAX_SEED, label="Seed", elem_id="ex-seed",
                                 info="Picks the random vector z. Same seed, same image.", scale=3)
                random_btn = gr.Button("Random seed", elem_id="ex-random", scale=1, min_width=80)
            label = gr.Dropdown([], label="Class", visible=False, elem_id="ex-label",
                                info="Conditional models draw the class you ask for.")
            truncation = gr.Slider(0.0, 2.0, value=1.0, step=0.05, label="Truncation", elem_id="ex-truncation",
                                   info="Scales z toward the average: below 1 = more typical, above 1 = wilder.")
            n = gr.Radio(["1", "4", "9", "16"], value="1", label="Samples", elem_id="ex-n",
                         info="A grid of seeds seed, seed+1, ...; every sample gets the same edits.")
            mode = gr.Radio(list(MODES), value=MODES[0], label="Sliders", elem_id="ex-mode",
                            info="Raw: one number of z each. PCA: main axes of variation over many samples. "
                                 "SeFa: closed form, from the first layer's weights (Shen & Zhou 2021).")
            with gr.Column(visible=True, elem_id="ex-raw-group") as raw_group:
                dims = gr.Dropdown([], value=[], multiselect=True, max_choices=K, label="Dimensions with sliders",
                                   elem_id="ex-dims",
                                   info=f"Up to {K}. Default: the {K} this image is most sensitive to.")
                raw = [
                    gr.Slider(-RAW_RANGE, RAW_RANGE, value=0.0, step=0.01, label=f"z[{i}]", interactive=True,
                              elem_id=f"ex-z{i}", info="Starts at the seed's value; z ~ N(0, 1).")
                    for i in range(K)
                ]
            with gr.Column(visible=False, elem_id="ex-dir-group") as dir_group:
                amounts = [
                    gr.Slider(-DIR_RANGE, DIR_RANGE, value=0.0, step=0.1, label=f"pc{i}", interactive=True,
                              elem_id=f"ex-pc{i}",
                              info="Move along this principal direction (units of one standard deviation).")
                    for i in range(N_DIR)
                ]
            with gr.Column(visible=False, elem_id="ex-sefa-group") as sefa_group:
                closed_form = [
                    gr.Slider(-DIR_RANGE, DIR_RANGE, value=0.0, step=0.1, label=f"sf{i}", interactive=True,
                              elem_id=f"ex-sf{i}",
                              info="Move along this closed-form direction (unit steps in z).")
                    for i in range(N_DIR)
                ]
            reset = gr.Button("Reset sliders", elem_id="ex-reset")
        with gr.Column(scale=2, elem_id="ex-view-col"), gr.Column(elem_id="ex-view"):  # sticky (app.CSS)
            image = gr.Image(label="Generated", format="png", interactive=False, elem_id="ex-image",
                             buttons=["download", "fullscreen"], height=440)
            readout = gr.Markdown(elem_id="ex-readout")
    with gr.Row(equal_height=True):  # below the sticky view, so it never covers them
        with gr.Column(scale=1, min_width=320):
            with gr.Accordion("Details (JSON)", open=False):
                info = gr.JSON(label="Info", elem_id="ex-info")
            with gr.Row():
                link_btn = gr.Button("Share link", elem_id="ex-share")
                recipe_btn = gr.Button("Save recipe", elem_id="ex-save-recipe")
            link = gr.Textbox(label="Link to this view", buttons=["copy"], elem_id="ex-link", interactive=False,
                              info="Opens the page with this model, seed, class, truncation and sliders.")
        with gr.Column(scale=2), gr.Row():
            recipe_out = gr.File(label="Recipe (download)", elem_id="ex-recipe-out")
            recipe_in = gr.File(label="Load a recipe", file_types=[".json"], type="filepath", elem_id="ex-recipe-in")

    with gr.Accordion("Class grid (conditional models)", open=False, elem_id="ex-grid-panel") as grid_panel:
        with gr.Row():
            rows = gr.Slider(1, MAX_CLASS_GRID_ROWS, value=3, step=1, label="Rows (seeds)",
                             elem_id="ex-grid-rows", info="Each row keeps one noise vector; columns are classes.")
            grid_btn = gr.Button("Draw class grid", elem_id="ex-grid-btn")
        class_img = gr.Image(label="Class grid", format="png", interactive=False, elem_id="ex-class-grid")
    with gr.Accordion("Traversals and sensitivity", open=False, elem_id="ex-trav-panel") as trav_panel:
        gr.Markdown("Each row sets one slider dimension to -3 ... +3 (the rest of z unchanged); the chart "
                    "shows how much each dimension changes this image (mean pixel change per unit).")
        trav_btn = gr.Button("Draw traversals", elem_id="ex-trav-btn")
        with gr.Row():
            trav_img = gr.Image(label="Traversal grid", format="png", interactive=False, elem_id="ex-traversal")
            sens_plot = gr.BarPlot(x="dimension", y="sensitivity", color="slider", sort="-y", label="Sensitivity",
                                   elem_id="ex-sensitivity",
                                   color_map={"has a slider": "#f97316", "no slider": "#9ca3af"})

    with gr.Accordion("Is it copying? Nearest training images", open=False,
                      elem_id="ex-nearest-panel") as nearest_panel:
        gr.Markdown("Does the model just copy its training data? A GAN's generator never sees a training image, "
                    "only the discriminator's verdicts, yet on small data it can still memorise. Put the seed's "
                    "image (the first of a grid) beside the training images closest to it in pixels, and compare "
                    "that distance with how far real test images, which the model never saw, lie from theirs.")
        nearest_btn = gr.Button("Find the nearest training images", elem_id="ex-nearest-btn")
        nearest_img = gr.Image(label="Generated, then its nearest training images (class: pixel distance)",
                               format="png", interactive=False, elem_id="ex-nearest")
        nearest_text = gr.Markdown(elem_id="ex-nearest-text")

    ex = Explore(model, seed, label, truncation, n, dims, raw, amounts, closed_form, mode, image, readout, info)
    return ex, _Controls(random_btn, raw_group, dir_group, sefa_group, reset, link_btn, recipe_btn, link, recipe_out,
                         recipe_in, rows, grid_panel, grid_btn, class_img, trav_panel, trav_btn, trav_img, sens_plot,
                         nearest_panel, nearest_btn, nearest_img, nearest_text)


def _wire(ex: Explore, c: _Controls) -> None:
    """Every event of the tab, registered after the layout; the callbacks are ui.explore_views'."""
    slider_values = [*ex.raw, *ex.amounts, *ex.closed_form]
    view_inputs = [ex.model, ex.seed, ex.label, ex.truncation, ex.n, ex.dims, *slider_values]
    view_outputs = [ex.image, ex.readout, ex.info]
    outs = ex.setup_outputs

    # Every user change re-renders; .input (user only) so values set by a link do not fire events.
    ex.model.input(views.on_model, [ex.model, ex.seed, ex.truncation, ex.n], outs, api_name="explore_model", **LIVE)
    ex.seed.input(views.on_seed, [ex.model, ex.seed, ex.label, ex.truncation, ex.n], outs, api_name="explore_seed",
                  **LIVE)
    c.random_btn.click(views.new_seed, [ex.model, ex.label, ex.truncation, ex.n], outs, api_name="explore_random",
                       **LIVE)
    c.recipe_in.upload(views.load_recipe, c.recipe_in, outs, api_name="explore_load_recipe", **LIVE)
    send_views = postprocessed_batch(views.render_views, view_outputs)
    gr.on([ex.label.input, ex.truncation.input, ex.n.input, *[s.input for s in slider_values]], send_views,
          view_inputs, view_outputs, api_name="explore_render", **SLIDER)
    ex.dims.input(views.on_dims, [ex.model, ex.seed, ex.dims], ex.raw, api_name="explore_dims", **LIVE).then(
        send_views, view_inputs, view_outputs, api_name="explore_render_dims", **SLIDER)
    c.reset.click(views.reset_sliders, [ex.model, ex.seed, ex.dims], slider_values, api_name="explore_reset",
                  **LIVE).then(send_views, view_inputs, view_outputs, api_name="explore_render_reset", **SLIDER)
    ex.mode.change(lambda m: [gr.update(visible=m == shown) for shown in MODES],
                   ex.mode, [c.raw_group, c.dir_group, c.sefa_group], api_name="explore_mode", queue=False, **PRIVATE)
    # Opening a panel draws it for the current view (its button redraws after changes); an unconditional
    # model's class grid stays empty on opening rather than greeting the person with a refusal.
    grid_inputs = [ex.model, ex.seed, c.rows, ex.truncation, ex.dims, *slider_values]
    c.grid_btn.click(views.make_class_grid, grid_inputs, c.class_img, api_name="explore_class_grid", **LIVE)
    c.grid_panel.expand(views.class_grid_if_conditional, grid_inputs, c.class_img, api_name="explore_class_grid_open",
                        **LIVE)
    panel_inputs = [ex.model, ex.seed, ex.label, ex.truncation, ex.dims, *slider_values]  # one image's view
    for trigger, name in ((c.nearest_btn.click, "explore_nearest"), (c.nearest_panel.expand, "explore_nearest_open")):
        trigger(views.find_nearest, panel_inputs, [c.nearest_img, c.nearest_text], api_name=name, **LIVE)
    for trigger, name in ((c.trav_btn.click, "explore_traversal"), (c.trav_panel.expand, "explore_traversal_open")):
        trigger(views.make_traversal, panel_inputs, [c.trav_img, c.sens_plot], api_name=name, **LIVE)
    # The chart follows the sliders: whatever sets the model, seed, class or slider dims (a user, a link, a
    # recipe, another tab) redraws it, so the chart never disagrees with the sliders on screen.
    gr.on([ex.model.change, ex.seed.change, ex.label.change, ex.dims.change], views.sensitivity_chart,
          [ex.model, ex.seed, ex.label, ex.dims], c.sens_plot, api_name="explore_sensitivity",
          trigger_mode="always_last", show_progress="hidden", **RENDER, **PRIVATE)
    c.link_btn.click(views.share_query, view_inputs, c.link, api_name="explore_share", **PRIVATE).then(
        None, c.link, c.link, js="(q) => q ? window.location.origin + window.location.pathname + q : q")
    c.recipe_btn.click(views.save_recipe, view_inputs, c.recipe_out, api_name="explore_save_recipe", **PRIVATE)
