"""The GAN family tab's public endpoints (family_vanilla, family_vae, family_lapgan, family_superres,
family_pix2pix, family_pix2pix_twemoji, family_cyclegan, family_text, family_text_interpolate) through gradio_client
against the app launched in-process: normal input, bad input (a clear message, and the server keeps answering),
uploads (header-checked, non-images refused). LAPGAN, super-resolution, pix2pix, CycleGAN and text to image use tiny
models built in tests/test_family.py (on the real held-out test sketches and pairs); the shipped vanilla GAN, VAE
and DCGAN checkpoints serve for structure only."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from gan_models import family
from tests.test_family import install, tiny_family
from ui import family_canvas, family_cards


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        install(mp, tiny_family(tmp_path_factory.mktemp("family")))
        yield
    family.clear_cache()


def _info(value) -> dict:
    return value if isinstance(value, dict) else json.loads(value)


def _images(paths) -> list[Image.Image]:
    return [Image.open(p) for p in paths]


def test_family_vanilla(client):
    mlp, dcgan, info = client.predict("animals", 5, 4, api_name="/family_vanilla")
    a, b = _images([mlp, dcgan])
    assert a.size == b.size and a.width > 3 * a.height  # one row of four samples
    info = _info(info)
    assert info["seeds"] == [5, 6, 7, 8]
    assert [m["kind"] for m in info["models"]] == ["mlpgan", "dcgan"]
    for m in info["models"]:
        assert m["parameters"] > 10_000 and m["frechet"] > m["frechet_floor"] > 0 and m["classes"] == 10


def test_family_vae(client):
    *images, info = client.predict("digits", 3, 4, api_name="/family_vae")
    vae, gan, recon, path = _images(images)
    assert vae.size == gan.size and recon.height > vae.height and path.height > vae.height  # two rows each
    info = _info(info)
    assert [m["kind"] for m in info["models"]] == ["vae", "cdcgan"] and info["models"][1]["conditional"]
    assert len(info["test_indices"]) == family.RECONSTRUCTIONS and 0 < info["reconstruction_mse"] < 1


def test_family_lapgan(client, tiny):
    *levels, info = client.predict("hand", 1, 2, 3, api_name="/family_lapgan")
    sizes = [im.size for im in _images(levels)]
    assert sizes[0][0] < sizes[1][0] == sizes[2][0]  # level 0 one tile; finer levels given | residual | output
    info = _info(info)
    assert info["class"] == "hand" and info["seeds"] == [1, 2, 3]
    assert [lv["size"] for lv in info["levels"]] == [8, 16, 32] and info["levels"][0]["residual_rms"] is None
    again = client.predict("hand", 1, 2, 3, api_name="/family_lapgan")
    assert Path(again[2]).read_bytes() == Path(levels[2]).read_bytes()


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_family_superres_on_a_test_image_and_an_upload(client, tiny, tmp_path):
    *images, info = client.predict(3, None, api_name="/family_superres")
    assert all(Image.open(p).size == (family.TILE_PX, family.TILE_PX) for p in images)
    info = _info(info)
    assert info["source"].startswith("test image 3 (") and info["note"] is None
    names = [p["name"] for p in info["panels"]]
    assert names == ["Low-res input", "Bicubic", "SRResNet", "SRGAN", "Real"]
    assert all(p["psnr"] > 5 and 0 < p["ssim"] <= 1 for p in info["panels"][:4])

    picture = tmp_path / "mine.png"
    picture.write_bytes(_png(Image.new("RGB", (90, 60), (200, 40, 40))))
    *_, info = client.predict(3, handle_file(str(picture)), api_name="/family_superres")
    info = _info(info)
    assert info["source"] == "your upload" and "resized to 32x32" in info["note"]


def test_family_pix2pix_on_a_test_sketch_and_an_uploaded_drawing(client, tiny, tmp_path):
    *images, info = client.predict(600, None, api_name="/family_pix2pix")
    sketch, out, real = _images(images)
    assert sketch.size == out.size == real.size == (family.TILE_PX, family.TILE_PX)
    assert sketch.mode == "L" and out.mode == real.mode == "RGB"
    info = _info(info)
    assert info["source"] == "test sketch 600 (made from the Twemoji drawing)" and info["model"] == "pix2pix-sketch"
    assert info["psnr"] > 0 and -1 <= info["ssim"] <= 1 and 0 < info["l1"] < 1 and info["parameters"] > 1000
    *_, info0 = client.predict(0, None, api_name="/family_pix2pix")
    assert "Noto drawing" in _info(info0)["source"]
    again = client.predict(600, None, api_name="/family_pix2pix")
    assert Path(again[1]).read_bytes() == Path(images[1]).read_bytes()

    drawing = Image.new("L", (300, 300), 255)
    drawing.paste(0, (40, 140, 260, 152))  # a black line on white
    picture = tmp_path / "line.png"
    picture.write_bytes(_png(drawing))
    sketch_up, out_up, real_up, info = client.predict(600, handle_file(str(picture)), api_name="/family_pix2pix")
    info = _info(info)
    assert info["source"] == "your upload" and info["psnr"] is None and real_up is None
    assert Image.open(out_up).size == (family.TILE_PX, family.TILE_PX)


def test_family_pix2pix_in_a_chosen_vendor_style_is_scored_against_that_vendors_drawing(client, tiny):
    from ui.real_images import test_split

    test = test_split(family.SKETCH_DATASET)
    half = len(test) // 2
    for style, real_index in (("twemoji", 600), ("Noto", 600 - half)):
        *images, info = client.predict(600, None, style, api_name="/family_pix2pix")
        info = _info(info)
        assert info["model"] == "pix2pix-sketch-vendor" and info["source"].startswith("test sketch 600")
        expected = family.row_image(family.check_test_images(test.images[real_index: real_index + 1], 3, 32),
                                    px=family.TILE_PX, pad=0)
        assert np.array_equal(np.asarray(Image.open(images[2]).convert("RGB")), expected)
    *_, plain = client.predict(600, None, "", api_name="/family_pix2pix")
    assert _info(plain)["model"] == "pix2pix-sketch"


def test_family_cyclegan_both_directions_and_an_upload(client, tiny, tmp_path):
    *images, info = client.predict(3, None, "a2b", api_name="/family_cyclegan")
    assert len(images) == 4 and all(Image.open(p).size == (family.TILE_PX, family.TILE_PX) for p in images)
    info = _info(info)
    assert (info["from"], info["to"], info["direction"]) == ("Twemoji", "Noto", "a2b")
    assert info["source"] == "held-out emoji 3 (Twemoji)"
    assert 0 < info["cycle_l1"] < 1 and info["psnr"] > 0 and info["baseline_psnr"] > 0
    *back_images, back = client.predict(3, None, "Noto -> Twemoji", api_name="/family_cyclegan")
    back = _info(back)
    assert (back["from"], back["to"], back["direction"]) == ("Noto", "Twemoji", "b2a")
    # The same held-out pair, the other way round: b2a's input is a2b's real image, and vice versa.
    assert Path(back_images[0]).read_bytes() == Path(images[3]).read_bytes()
    assert Path(back_images[3]).read_bytes() == Path(images[0]).read_bytes()
    assert back["baseline_psnr"] == info["baseline_psnr"]

    picture = tmp_path / "mine.png"
    picture.write_bytes(_png(Image.new("RGBA", (50, 70), (250, 200, 30, 255))))
    *up_images, up = client.predict(0, handle_file(str(picture)), "a2b", api_name="/family_cyclegan")
    up = _info(up)
    assert up["source"] == "your upload" and up["psnr"] is None and up_images[3] is None


@pytest.mark.parametrize(
    ("api_name", "args", "message"),
    [
        ("/family_pix2pix", (10**6, None), "Test image"),
        ("/family_pix2pix", (-1, None), "Test image"),
        ("/family_pix2pix", ("x" * 5000, None), "Test image"),
        ("/family_pix2pix", (0, None, "apple"), "Unknown style"),
        ("/family_pix2pix", (0, None, "n" * 10_000), "Unknown style"),
        ("/family_cyclegan", (3, None, "sideways"), "Unknown direction"),
        ("/family_cyclegan", (3, None, "x" * 10_000), "Unknown direction"),
        ("/family_cyclegan", (586, None, "a2b"), "Test image"),
        ("/family_cyclegan", (2.5, None, "b2a"), "Test image"),
    ],
)
def test_translation_endpoints_refuse_bad_input_and_keep_working(client, tiny, api_name, args, message):
    with pytest.raises(AppError, match=message) as error:
        client.predict(*args, api_name=api_name)
    assert len(str(error.value)) <= 300
    *_, info = client.predict(1, None, "b2a", api_name="/family_cyclegan")
    assert _info(info)["direction"] == "b2a"


@pytest.mark.parametrize("api_name", ["/family_pix2pix", "/family_cyclegan"])
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.png", b"this is not an image at all" * 10, "not a readable image"),
        ("huge.png", None, "Mpx"),
        ("blank.png", None, "Draw something first"),
    ],
    ids=["not-an-image", "decompression-bomb", "blank"],
)
def test_a_bad_drawing_or_emoji_upload_is_refused(client, tiny, tmp_path, api_name, name, content, message):
    if name == "huge.png":
        content = _png(Image.new("1", (9000, 9000)))
    elif name == "blank.png":
        content = _png(Image.new("RGB", (200, 200), "white"))
    path = tmp_path / name
    path.write_bytes(content)
    args = (0, handle_file(str(path))) + (("a2b",) if api_name == "/family_cyclegan" else ())
    if name == "blank.png" and api_name == "/family_cyclegan":
        *_, info = client.predict(*args, api_name=api_name)  # a white square is an emoji upload, if a dull one
        assert _info(info)["source"] == "your upload"
        return
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=api_name)


@pytest.mark.parametrize(
    ("api_name", "args", "message"),
    [
        ("/family_vanilla", ("cifar", 0, 8), "Unknown data set"),
        ("/family_vanilla", ("animals", -1, 8), "Seed"),
        ("/family_vanilla", ("animals", 2**32, 8), "Seed"),
        ("/family_vanilla", ("animals", 0, 100), "Number of samples"),
        ("/family_vae", ("animals", 0, "seven"), "Seed"),
        ("/family_vae", (None, 0, 1), "Unknown data set"),
        ("/family_lapgan", ("unicorn", 1, 2, 3), "not one of"),
        ("/family_lapgan", ("heart", 1, -5, 3), "Level 1"),
        ("/family_lapgan", ("heart", 1, 2, 1.5), "Level 2"),
        ("/family_superres", (10**6, None), "Test image"),
        ("/family_superres", ("first", None), "Test image"),
    ],
)
def test_bad_input_gets_a_clear_message_and_the_server_keeps_working(client, tiny, api_name, args, message):
    with pytest.raises(AppError, match=message) as error:
        client.predict(*args, api_name=api_name)
    assert len(str(error.value)) <= 300
    *_, info = client.predict("animals", 0, 1, api_name="/family_vanilla")
    assert _info(info)["seeds"] == [0]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.png", b"this is not an image at all" * 10, "not a readable image"),
        ("tiff.tif", None, "Not a supported image"),
        ("huge.png", None, "Mpx"),
    ],
    ids=["not-an-image", "tiff", "decompression-bomb"],
)
def test_a_bad_upload_is_refused_from_its_header(client, tiny, tmp_path, name, content, message):
    if name == "tiff.tif":
        out = io.BytesIO()
        Image.new("RGB", (8, 8)).save(out, format="TIFF")
        content = out.getvalue()
    elif name == "huge.png":
        content = _png(Image.new("1", (9000, 9000)))  # 81 Mpx declared in a small file
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AppError, match=message):
        client.predict(0, handle_file(str(path)), api_name="/family_superres")


def test_the_tab_shows_a_model_that_is_not_there_yet_as_a_message(tmp_path, monkeypatch):
    install(monkeypatch, {"lapgan-emoji": tmp_path / "still-training"})
    *images, text = family_cards.show_lapgan("heart", 1, 2, 3)
    assert images == [None, None, None] and "lapgan-emoji is not available right now" in text
    family.clear_cache()


def test_the_sketch_card_shows_a_blank_canvas_and_a_missing_model_as_messages(tiny, tmp_path, monkeypatch):
    *images, text = family_cards.show_pix2pix_drawing(None)
    assert images == [None, None, None] and "Draw something first" in text
    *images, text = family_cards.show_pix2pix_upload(None, 7)  # a cleared upload: back to the picked test sketch
    assert all(i is not None for i in images) and "test sketch 7" in text
    *images, text = family_cards.show_pix2pix_drawing(np.zeros((256, 256, 4), np.uint8))  # nothing drawn
    assert images == [None, None, None] and "Draw something first" in text
    *_, text = family_cards.show_pix2pix_drawing("The drawing could not be read: ...")
    assert text.startswith("⚠️ The drawing could not be read")
    install(monkeypatch, {"pix2pix-sketch": tmp_path / "still-training", "cyclegan-emoji": tmp_path / "no"})
    stroke = np.zeros((256, 256, 4), np.uint8)
    stroke[100:112, 30:220, 3] = 255
    *images, text = family_cards.show_pix2pix_drawing(stroke)
    assert images == [None, None, None] and "pix2pix-sketch is not available right now" in text
    *images, text = family_cards.show_cyclegan(0, None, "Twemoji → Noto")
    assert images == [None] * 4 and "cyclegan-emoji is not available right now" in text
    family.clear_cache()


def test_the_canvas_reads_only_a_small_png_composite(tmp_path):
    import gradio as gr
    from gradio.components.image_editor import EditorDataBlobs

    canvas = gr.Sketchpad()
    assert family_canvas.read_canvas(canvas, None) is None
    good = _png(Image.new("RGBA", (256, 256), (0, 0, 0, 0)))
    canvas.blob_storage["abc"] = EditorDataBlobs(background=None, layers=[b"never decoded"], composite=good)
    pixels = family_canvas.read_canvas(canvas, {"id": "abc", "background": None, "layers": [], "composite": None})
    assert pixels.shape == (256, 256, 4) and "abc" not in canvas.blob_storage
    assert family_canvas.read_canvas(canvas, {"id": "gone"}) is None
    for bad in (_png(Image.new("L", (4000, 3000))), b"GIF89a not really", b""):
        canvas.blob_storage["x"] = EditorDataBlobs(background=None, layers=[], composite=bad)
        assert "could not be read" in family_canvas.read_canvas(canvas, {"id": "x"})
    # A composite sent as a file must be one of Gradio's uploads (ui.guard), never any path on the server.
    assert "refused" in family_canvas.read_canvas(canvas, {"id": None, "composite": {"path": "/etc/passwd"}})
    assert "refused" in family_canvas.read_canvas(canvas, {"composite": {"path": str(tmp_path / "c.png")}})


def test_the_page_events_are_not_in_the_public_api(client):
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/family_vanilla", "/family_vae", "/family_lapgan", "/family_superres", "/family_pix2pix",
            "/family_cyclegan", "/family_pix2pix_twemoji", "/family_text", "/family_text_interpolate"} <= names
    assert not any(n.endswith("_ui") and n.startswith("/family") for n in names)


def test_family_pix2pix_twemoji_on_a_held_out_pair_and_an_upload(client, tiny, tmp_path):
    *images, info = client.predict(3, None, api_name="/family_pix2pix_twemoji")
    twemoji, out, noto = _images(images)
    assert twemoji.size == out.size == noto.size == (family.TILE_PX, family.TILE_PX)
    assert twemoji.mode == out.mode == noto.mode == "RGB"
    info = _info(info)
    assert info["model"] == "pix2pix-twemoji-noto" and info["source"] == "held-out emoji 3"
    assert info["psnr"] > 0 and -1 <= info["ssim"] <= 1 and 0 < info["l1"] < 1
    assert info["baseline_psnr"] > 0 and -1 <= info["baseline_ssim"] <= 1
    # The same held-out pair as CycleGAN's: Twemoji input, real Noto.
    *cycle, _ = client.predict(3, None, "a2b", api_name="/family_cyclegan")
    assert Path(images[0]).read_bytes() == Path(cycle[0]).read_bytes()
    assert Path(images[2]).read_bytes() == Path(cycle[3]).read_bytes()
    again = client.predict(3, None, api_name="/family_pix2pix_twemoji")
    assert Path(again[1]).read_bytes() == Path(images[1]).read_bytes()

    picture = tmp_path / "mine.png"
    picture.write_bytes(_png(Image.new("RGBA", (50, 70), (250, 200, 30, 255))))
    *up_images, up = client.predict(0, handle_file(str(picture)), api_name="/family_pix2pix_twemoji")
    up = _info(up)
    assert up["source"] == "your upload" and up["psnr"] is None and up["baseline_psnr"] is None
    assert up_images[2] is None and Image.open(up_images[1]).size == (family.TILE_PX, family.TILE_PX)
    # The sketch endpoint is unchanged: a test sketch by index.
    *_, sketch = client.predict(600, None, api_name="/family_pix2pix")
    assert _info(sketch)["model"] == "pix2pix-sketch"


def test_family_text_draws_a_phrase_and_reports_unknown_words(client, tiny):
    grid, info = client.predict("red heart", 4, api_name="/family_text")
    image = Image.open(grid)
    assert image.mode == "RGB" and image.width > 7 * image.height  # one row of eight
    info = _info(info)
    assert info["known"] == ["red", "heart"] and info["unknown"] == {} and info["ignored"] == []
    assert info["seeds"] == list(range(4, 12)) and info["model"] == "textgan-emoji"
    assert info["words"] == "The model read: **red**, **heart**."
    again, _ = client.predict("red heart", 4, api_name="/family_text")
    assert Path(again).read_bytes() == Path(grid).read_bytes()

    _, info = client.predict("red hart", 4, api_name="/family_text")
    info = _info(info)
    assert info["known"] == ["red"] and info["unknown"] == {"hart": ["heart"]} and info["ignored"] == ["hart"]
    assert "'hart' is not in the vocabulary; closest known: heart" in info["words"]
    assert "ignored" in info["words"]


def test_family_text_interpolate_runs_from_phrase_a_to_phrase_b(client, tiny):
    strip, info = client.predict("red heart", "cat face", 9, api_name="/family_text_interpolate")
    image = Image.open(strip)
    assert image.width > 7 * image.height
    info = _info(info)
    assert info["seed"] == 9 and info["alphas"][0] == 0 and info["alphas"][-1] == 1
    assert len(info["alphas"]) == family.INTERPOLATION_FRAMES
    assert info["a"]["known"] == ["red", "heart"] and info["b"]["known"] == ["cat", "face"]


@pytest.mark.parametrize(
    ("api_name", "args", "message"),
    [
        ("/family_text", ("", 0), "Phrase is empty"),
        ("/family_text", ("   ", 0), "Phrase is empty"),
        ("/family_text", ("x" * 10_000, 0), "too long: 10,000 characters, at most 200"),
        ("/family_text", ("\x00\x1b", 0), "control character"),
        ("/family_text", ("red\x1b[0m heart", 0), "control character"),
        ("/family_text", ("hart xqzv", 0), "'hart' is not in the vocabulary; closest known: heart"),
        ("/family_text", (3, 0), "Phrase must be text"),
        ("/family_text", (None, 0), "Phrase must be text"),
        ("/family_text", ({"text": "red"}, 0), "Phrase must be text"),
        ("/family_text", ("red heart", -1), "Seed"),
        ("/family_text", ("red heart", "seven"), "Seed"),
        ("/family_text_interpolate", ("red heart", "", 0), "Phrase B is empty"),
        ("/family_text_interpolate", ("x" * 10_000, "cat", 0), "Phrase A is too long"),
        ("/family_text_interpolate", ("red", "\x00\x1b", 0), "Phrase B contains a control character"),
        ("/family_text_interpolate", ("xqzv", "cat", 0), "Phrase A: no word"),
        ("/family_text_interpolate", ("red", 7, 0), "Phrase B must be text"),
        ("/family_text_interpolate", ("red", "cat", 2**32), "Seed"),
        ("/family_pix2pix_twemoji", (586, None), "Test image"),
        ("/family_pix2pix_twemoji", ("x" * 5000, None), "Test image"),
    ],
)
def test_text_and_paired_endpoints_refuse_bad_input_and_keep_working(client, tiny, api_name, args, message):
    with pytest.raises(AppError, match=message) as error:
        client.predict(*args, api_name=api_name)
    assert len(str(error.value)) <= 300
    _, info = client.predict("cat face", 1, api_name="/family_text")
    assert _info(info)["known"] == ["cat", "face"]


def test_the_text_card_shows_refusals_and_a_missing_model_as_messages(tiny, tmp_path, monkeypatch):
    grid, text = family_cards.show_text("red hart", 0)
    assert grid is not None and "**red**" in text and "closest known: heart" in text
    for bad, message in (("", "Phrase is empty"), ("hart", "closest known: heart"), ("\x00", "control character"),
                         ("x" * 10_000, "too long")):
        grid, text = family_cards.show_text(bad, 0)
        assert grid is None and text.startswith("⚠️") and message in text
    strip, text = family_cards.show_text_interpolation("red heart", "cat fcae", 3)
    assert strip is not None and "'fcae'" in text
    strip, text = family_cards.show_text_interpolation("red heart", "", 3)
    assert strip is None and "Phrase B is empty" in text
    install(monkeypatch, {"textgan-emoji": tmp_path / "still-training"})
    grid, text = family_cards.show_text("red heart", 0)
    assert grid is None and "textgan-emoji is not available right now" in text
    family.clear_cache()


def test_the_pix2pix_mode_switch_shows_one_mode_and_refuses_others(tiny):
    sketch_row, paired_row, *images, text = family_cards.switch_pix2pix_mode("Twemoji → Noto (paired)", 5, None)
    assert (sketch_row["visible"], paired_row["visible"]) == (False, True)
    assert all(i is not None for i in images) and "held-out emoji 5" in text and "doing nothing" in text
    sketch_row, paired_row, *rest = family_cards.switch_pix2pix_mode("Sketch → emoji", 5, None)
    assert (sketch_row["visible"], paired_row["visible"]) == (True, False)
    assert all(r["__type__"] == "update" for r in rest)  # the sketch mode keeps what it showed
    import gradio as gr

    with pytest.raises(gr.Error, match="Unknown mode"):
        family_cards.switch_pix2pix_mode("x" * 10_000, 5, None)
