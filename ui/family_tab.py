"""The "GAN family" tab: one card per family (vanilla GAN, VAE, LAPGAN, SRGAN, pix2pix, CycleGAN, text to image),
each with its history, a shipped small model and a live panel. Layout and wiring only: the work is in
gan_models.family, the views (images + JSON info) are shared with the public endpoints (ui.family_views), the
per-card callbacks that turn their info into readouts are in ui.family_cards and the sketch canvas is read by
ui.family_canvas. Each card lays itself out and wires its own events."""

from __future__ import annotations

import gradio as gr

from gan_models import family
from gan_models.lapgan import SIZES
from gan_models.textgan import SAMPLE_PHRASES, sample_phrases
from training.data import EMOJI_CLASSES
from ui import family_cards as cards
from ui import real_images
from ui.common import LIVE, brush_ready_js
from ui.family_canvas import BRUSH_PX, CANVAS_PX, read_canvas

SEED_MAX = 9999  # the page's sliders; the API takes any seed in 0..2^32-1

INTRO = """
**The family tree of the models in this app.** Each card tells what a model family solved, with the paper that
introduced it, and runs a small model of that family trained here. Move a slider and the card redraws.
"""


def build(tab: gr.Tab) -> None:
    """Lay out the tab's cards and wire them (inside the page's gr.Blocks); each card draws when the tab opens."""
    real_images.warm_up(tuple(dict.fromkeys([*family.DATASETS.values(), family.SR_DATASET, family.SKETCH_DATASET,
                                             family.STYLES_DATASET])))
    gr.Markdown(INTRO)
    _vanilla_card(tab)
    _vae_card(tab)
    _lapgan_card(tab)
    _superres_card(tab)
    _pix2pix_card(tab)
    _cyclegan_card(tab)
    _text_card(tab)


# ---------------------------------------------------------------------------------------------
# Shared pieces of the cards
# ---------------------------------------------------------------------------------------------


def _card_head(key: str, number: int) -> None:
    f = family.family(key)
    gr.Markdown(f"### {number}. {f.title}\n*{f.paper}*\n\n{f.history}")


def _image(label: str, elem_id: str, height: int | None = None) -> gr.Image:
    return gr.Image(label=label, format="png", interactive=False, elem_id=elem_id, height=height,
                    buttons=["download"])


def _seed(label: str, value: int, elem_id: str, info: str | None = None) -> gr.Slider:
    return gr.Slider(0, SEED_MAX, value=value, step=1, label=label, elem_id=elem_id, info=info)


def _lapgan_classes() -> list[str]:
    try:
        return list(family.load(family.LAPGAN_ID, ("lapgan",)).model.class_names)
    except ValueError:  # not trained yet: the emoji classes it is being trained on
        return list(EMOJI_CLASSES)


def _text_examples() -> list[str]:
    try:
        return sample_phrases(family.load(family.TEXT_ID, ("textgan",)).model.config)
    except ValueError:  # not exported yet: the phrases it is being trained to draw
        return list(SAMPLE_PHRASES)


def _test_count() -> int:
    try:
        return len(real_images.test_split(family.SR_DATASET))
    except Exception:  # the card still lays out; picking an image then shows the error
        return 1


def _pair_count() -> int:
    """Held-out emoji-styles pairs (cheap to load). emoji-sketch's test split holds the same code points twice
    (sketches of the Noto drawings, then of the Twemoji ones), so its slider needs no slow sketch load at build."""
    try:
        return len(real_images.test_split(family.STYLES_DATASET))
    except Exception:  # the card still lays out; picking an image then shows the error
        return 1


# ---------------------------------------------------------------------------------------------
# The cards: each lays itself out, then wires its events
# ---------------------------------------------------------------------------------------------


def _vanilla_card(tab: gr.Tab) -> None:
    with gr.Column(variant="panel", elem_id="fam-vanilla"):
        _card_head("vanilla", 1)
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                v_data = gr.Radio(list(family.DATASETS), value="animals", label="Data", elem_id="fam-v-data")
                v_seed = _seed("Seed", 0, "fam-v-seed", "Samples use seeds seed .. seed+7.")
            with gr.Column(scale=3):
                v_mlp = _image("Vanilla GAN (fully connected)", "fam-v-mlp")
                v_dcgan = _image("DCGAN (convolutional)", "fam-v-dcgan")
        v_text = gr.Markdown(elem_id="fam-v-text")
    gr.on([tab.select, v_data.input, v_seed.input], cards.show_vanilla, [v_data, v_seed], [v_mlp, v_dcgan, v_text],
          api_name="family_vanilla_ui", **LIVE)


def _vae_card(tab: gr.Tab) -> None:
    with gr.Column(variant="panel", elem_id="fam-vae"):
        _card_head("vae", 2)
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                a_data = gr.Radio(list(family.DATASETS), value="animals", label="Data", elem_id="fam-a-data")
                a_seed = _seed("Seed A", 0, "fam-a-seed", "Samples, the start of the interpolation, and which "
                                                          "test images are reconstructed.")
                a_seed_b = _seed("Seed B", 1, "fam-a-seed-b", "The end of the interpolation.")
            with gr.Column(scale=3):
                a_vae = _image("VAE samples", "fam-a-vae")
                a_gan = _image("GAN samples (same seeds)", "fam-a-gan")
                a_recon = _image("Test images (top) and the VAE's reconstructions (bottom)", "fam-a-recon")
                a_path = _image("Seed A → seed B: VAE (top), GAN (bottom)", "fam-a-path")
        a_text = gr.Markdown(elem_id="fam-a-text")
    gr.on([tab.select, a_data.input, a_seed.input, a_seed_b.input], cards.show_vae, [a_data, a_seed, a_seed_b],
          [a_vae, a_gan, a_recon, a_path, a_text], api_name="family_vae_ui", **LIVE)


def _lapgan_card(tab: gr.Tab) -> None:
    with gr.Column(variant="panel", elem_id="fam-lapgan"):
        _card_head("lapgan", 3)
        classes = _lapgan_classes()
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                # Faces first: at the default seeds the shipped model's face is its clearest drawing (its heart
                # at those seeds is a yellow-green blob).
                l_class = gr.Dropdown(classes, value="face" if "face" in classes else classes[0], label="Class",
                                      elem_id="fam-l-class")
                l_seeds = [_seed(f"Level {k} noise ({s}x{s})", k, f"fam-l-seed-{k}", info)
                           for k, (s, info) in enumerate(zip(SIZES, ("Layout and colour.", "Coarse detail.",
                                                                     "Fine texture."), strict=True))]
            with gr.Column(scale=3):
                l_levels = [_image(f"Level 0 · {SIZES[0]}x{SIZES[0]} from noise and class", "fam-l-level-0", 190)]
                l_levels += [_image(f"Level {k} · {s}x{s}: given (level {k - 1} upsampled) | residual "
                                    f"(x{family.RESIDUAL_GAIN:g}) | output", f"fam-l-level-{k}", 190)
                             for k, s in enumerate(SIZES) if k]
        l_text = gr.Markdown(elem_id="fam-l-text")
    gr.on([tab.select, l_class.input, *[s.input for s in l_seeds]], cards.show_lapgan, [l_class, *l_seeds],
          [*l_levels, l_text], api_name="family_lapgan_ui", **LIVE)


def _superres_card(tab: gr.Tab) -> None:
    with gr.Column(variant="panel", elem_id="fam-superres"):
        _card_head("superres", 4)
        count = _test_count()
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                # The pleading face: SRGAN's eyes get their highlights back at a lower PSNR than SRResNet's,
                # the paper's trade-off in one picture.
                s_index = gr.Slider(0, max(0, count - 1), value=min(16, max(0, count - 1)), step=1,
                                    label="Emoji test image", elem_id="fam-s-index",
                                    info="Never seen in training. Downscaled 4x by area to 8x8.")
                s_upload = gr.Image(label="…or upload your own", type="filepath", sources=["upload", "clipboard"],
                                    height=160, elem_id="fam-s-upload")
                gr.Markdown("An upload is centre-cropped to a square and resized to 32x32 (that is the real image "
                            "here), then downscaled to 8x8 like the test images. PNG, JPEG, GIF, WebP or BMP.")
            with gr.Column(scale=3):
                with gr.Row():
                    s_images = [_image(cards.SR_LABELS[name], f"fam-s-{k}", 180)
                                for k, name in enumerate(cards.SR_NAMES)]
        s_text = gr.Markdown(elem_id="fam-s-text")
    # preprocess=False: the upload arrives as a file reference and ui.uploads reads it, header first.
    gr.on([tab.select, s_index.input, s_upload.change], cards.show_superres, [s_index, s_upload], [*s_images, s_text],
          api_name="family_superres_ui", preprocess=False, **LIVE)


def _pix2pix_card(tab: gr.Tab) -> None:
    """Two models behind one card: the sketch panel (shown first) and the paired Twemoji -> Noto panel."""
    with gr.Column(variant="panel", elem_id="fam-pix2pix"):
        _card_head("pix2pix", 5)
        p_mode = gr.Radio(list(cards.PIX2PIX_MODES), value="Sketch → emoji", label="Model", elem_id="fam-p-mode",
                          info="Sketch → emoji: pix2pix-sketch-vendor, in the style you pick. Twemoji → Noto (paired): "
                               "pix2pix-twemoji-noto, trained on the same emoji drawn by both vendors.")
        q_row, q_index, q_upload, q_out = _paired_panel()
        p_row = _sketch_panel(tab)
    # preprocess=False: the upload arrives as a file reference and ui.uploads reads it, header first.
    p_mode.input(cards.switch_pix2pix_mode, [p_mode, q_index, q_upload], [p_row, q_row, *q_out],
                 api_name="family_pix2pix_mode_ui", preprocess=False, **LIVE)
    gr.on([q_index.input, q_upload.change], cards.show_twemoji_noto, [q_index, q_upload], q_out,
          api_name="family_pix2pix_twemoji_ui", preprocess=False, **LIVE)


def _paired_panel() -> tuple:
    """The Twemoji -> Noto panel's layout (hidden until its mode is picked): (row, index, upload, outputs)."""
    with gr.Row(visible=False) as q_row:
        with gr.Column(scale=1, min_width=300):
            count = _pair_count()
            q_index = gr.Slider(0, max(0, count - 1), value=min(3, count - 1), step=1,
                                label="Held-out emoji", elem_id="fam-q-index",
                                info="Drawn by both vendors, never seen in training.")
            q_upload = gr.Image(label="…or upload a colour emoji (Twemoji-like)", type="filepath",
                                sources=["upload", "clipboard"], height=140, elem_id="fam-q-upload")
            gr.Markdown("An upload is centre-cropped to a square and resized to 32x32; it has no real Noto "
                        "drawing to compare with.")
        with gr.Column(scale=2):
            with gr.Row():
                q_images = [_image(label, f"fam-q-{k}", 180) for k, label in enumerate(
                    ("Twemoji (input)", "pix2pix's Noto-style output", "Real Noto (same emoji)"))]
            q_text = gr.Markdown(elem_id="fam-q-text")
    return q_row, q_index, q_upload, [*q_images, q_text]


def _sketch_panel(tab: gr.Tab) -> gr.Row:
    """The sketch -> emoji panel, laid out and wired; its row is returned for the mode switch to hide."""
    with gr.Row() as p_row:
        with gr.Column(scale=1, min_width=300):
            p_style = gr.Radio(["Noto", "Twemoji"], value="Noto", label="Draw in the style of",
                               elem_id="fam-p-style",
                               info="pix2pix-sketch-vendor: the sketch plus a channel naming the vendor.")
            p_draw = gr.Sketchpad(
                label="Draw here", elem_id="fam-p-draw",
                canvas_size=(CANVAS_PX, CANVAS_PX), fixed_canvas=True, layers=False, transforms=(),
                brush=gr.Brush(colors=["#000000"], default_size=BRUSH_PX, color_mode="fixed"),
                eraser=gr.Eraser(default_size=BRUSH_PX * 3), format="png", height=CANVAS_PX + 110,
                buttons=["download"])
            gr.Markdown(f"Black brush on white; the emoji redraws after each stroke. Your {CANVAS_PX}x"
                        f"{CANVAS_PX} drawing is turned grey and reduced to 32x32 by area averaging, so a brush "
                        "stroke becomes a soft stroke about 1.5 px wide, like the training sketches (Canny edges "
                        "of each emoji, thickened); its ink is then scaled so the darkest stroke is black. "
                        "Outlines and a few features (eyes, mouth) work best. Every training sketch was paired "
                        "with both vendors' drawings of its emoji, so the style you pick, not your strokes, "
                        "decides between Noto's and Twemoji's look.")
            count = 2 * _pair_count()  # opens on 428, the pleading face: near the median PSNR of the test set
            p_index = gr.Slider(0, max(0, count - 1), value=min(428, count - 1), step=1,
                                label="…or a held-out test sketch", elem_id="fam-p-index",
                                info=f"0..{count // 2 - 1}: made from Noto drawings; {count // 2}..{count - 1}: "
                                     "the same emoji's Twemoji drawings.")
            p_upload = gr.Image(label="…or upload a line drawing (dark lines on white)", type="filepath",
                                sources=["upload", "clipboard"], height=140, elem_id="fam-p-upload")
        with gr.Column(scale=2):
            with gr.Row():
                p_images = [_image(label, f"fam-p-{k}", 180) for k, label in enumerate(
                    ("Sketch as the model sees it (32x32)", "pix2pix's emoji", "Real emoji (test sketches)"))]
            p_text = gr.Markdown(elem_id="fam-p-text")
    p_out = [*p_images, p_text]
    gr.on([tab.select, p_index.input], cards.show_pix2pix_test, [p_index, p_style], p_out,
          api_name="family_pix2pix_ui", **LIVE)
    tab.select(None, js=brush_ready_js("fam-p-draw"))
    # preprocess=False: read_canvas decodes the composite alone, header first (Gradio would decode every layer).
    p_draw.change(lambda payload, style: cards.show_pix2pix_drawing(read_canvas(p_draw, payload), style),
                  [p_draw, p_style], p_out, api_name="family_pix2pix_draw_ui", preprocess=False, **LIVE)
    p_upload.change(cards.show_pix2pix_upload, [p_upload, p_index, p_style], p_out,
                    api_name="family_pix2pix_upload_ui", preprocess=False, **LIVE)
    p_style.input(lambda payload, upload, index, style: cards.show_pix2pix_restyled(read_canvas(p_draw, payload),
                                                                                    upload, index, style),
                  [p_draw, p_upload, p_index, p_style], p_out, api_name="family_pix2pix_style_ui", preprocess=False,
                  **LIVE)
    return p_row


def _cyclegan_card(tab: gr.Tab) -> None:
    with gr.Column(variant="panel", elem_id="fam-cyclegan"):
        _card_head("cyclegan", 6)
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                c_dir = gr.Radio(list(cards.CYCLE_DIRECTIONS), value="Twemoji → Noto", label="Direction",
                                 elem_id="fam-c-dir")
                count = _pair_count()
                # A flag: Twemoji's flat one becomes Noto's waving, shaded one (and scores well above the
                # untouched input); the first held-out emoji are keycaps, which it turns into blobs.
                c_index = gr.Slider(0, max(0, count - 1), value=min(24, count - 1), step=1,
                                    label="Held-out emoji", elem_id="fam-c-index",
                                    info="Drawn by both vendors, never seen in training (in either style).")
                c_upload = gr.Image(label="…or upload an emoji", type="filepath", sources=["upload", "clipboard"],
                                    height=140, elem_id="fam-c-upload")
                gr.Markdown("An upload is centre-cropped to a square and resized to 32x32; it has no real "
                            "counterpart in the other style.")
            with gr.Column(scale=3):
                with gr.Row():
                    c_images = [_image(label, f"fam-c-{k}", 180) for k, label in enumerate(
                        ("Twemoji (input)", "Twemoji → Noto", "Twemoji → Noto → Twemoji", "Real Noto (same emoji)"))]
        c_text = gr.Markdown(elem_id="fam-c-text")
    gr.on([tab.select, c_dir.input, c_index.input, c_upload.change], cards.show_cyclegan, [c_index, c_upload, c_dir],
          [*c_images, c_text], api_name="family_cyclegan_ui", preprocess=False, **LIVE)


def _text_card(tab: gr.Tab) -> None:
    with gr.Column(variant="panel", elem_id="fam-text"):
        _card_head("text", 7)
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                t_phrase = gr.Textbox("red heart", label="Phrase", max_lines=1, max_length=family.MAX_PHRASE,
                                      elem_id="fam-t-phrase", info="Emoji names work best; the picture redraws "
                                      "as you type. Words like 'the', 'of' are left out.")
                gr.Examples([[p] for p in _text_examples()], [t_phrase], label="Phrases the model knows",
                            elem_id="fam-t-examples")
                t_seed = _seed("Seed", 0, "fam-t-seed", "Images use seeds seed .. seed+7; the interpolation "
                                                        "below uses the seed itself.")
            with gr.Column(scale=3):
                t_grid = _image("Eight images of the phrase (one seed each)", "fam-t-grid")
                t_words = gr.Markdown(elem_id="fam-t-words")
        gr.Markdown("#### Interpolate between two phrases")
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                t_phrase_b = gr.Textbox("cat face", label="Phrase B (phrase A is the one above)", max_lines=1,
                                        max_length=family.MAX_PHRASE, elem_id="fam-t-phrase-b")
            with gr.Column(scale=3):
                t_strip = _image("Phrase A → phrase B at one seed", "fam-t-strip")
                t_strip_text = gr.Markdown(elem_id="fam-t-strip-text")
    # The text card redraws as one types (always_last: the final text is always drawn); preprocess=False keeps
    # the phrase as sent, for family.check_phrase to judge whole.
    gr.on([tab.select, t_phrase.change, t_seed.input], cards.show_text, [t_phrase, t_seed], [t_grid, t_words],
          api_name="family_text_ui", preprocess=False, **LIVE)
    gr.on([tab.select, t_phrase.change, t_phrase_b.change, t_seed.input], cards.show_text_interpolation,
          [t_phrase, t_phrase_b, t_seed], [t_strip, t_strip_text], api_name="family_text_interpolate_ui",
          preprocess=False, **LIVE)
