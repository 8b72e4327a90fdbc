"""The Interpolate tab: a rendered default on load (the shared link's interpolation when there is one), a
readable captioned strip, "Both" as one side-by-side GIF and MP4, refusals shown inline next to what is
still on screen. Unit tests call the tab's functions; browser tests drive the real page in chromium."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import numpy as np
import pytest
from PIL import Image

from gan_models import media, render
from tests.conftest import screenshot
from tests.test_render import shipped_or_tiny
from ui import interpolate_tab as T


@pytest.fixture(scope="module")
def ids():
    with pytest.MonkeyPatch.context() as mp:
        yield shipped_or_tiny(mp)


def _classes(model: str) -> list[str]:
    return render.model_spec(render.load_model(model))["classes"]


def test_the_strip_shows_every_frame_at_64_px_or_more_with_its_caption_below(ids):
    uncond, _ = ids
    frames = render.interpolation_frames(uncond, 0, 1, frames=16)
    strip = media.strip_image(frames)
    if strip.ndim == 2:
        strip = strip[..., None]
    h = frames.shape[1]
    scale = max(-(-64 // h), min(4, 800 // (h * 8)))
    assert h * scale >= 64
    big = np.repeat(np.repeat(frames, scale, axis=1), scale, axis=2)
    pad, caption, side = 6, 20, h * scale
    assert strip.shape[:2] == (2 * (side + caption + pad) + pad, 8 * (side + pad) + pad)  # 2 rows of 8
    for i in (0, 7, 8, 15):  # each frame is drawn untouched: nothing is written over it
        r, c = divmod(i, 8)
        y, x = pad + r * (side + caption + pad), pad + c * (side + pad)
        assert np.array_equal(strip[y : y + side, x : x + side], big[i])
        band = strip[y + side : y + side + caption, x : x + side]
        assert (band < 128).any()  # the caption is written in the band underneath


def test_both_paths_come_as_one_side_by_side_gif_and_mp4(ids):
    import imageio.v2 as imageio

    uncond, _ = ids
    single, _ = T.draw(uncond, 3, 9, None, None, 8, "Spherical (slerp)", 1.0)
    both, shown = T.draw(uncond, 3, 9, None, None, 8, "Both, side by side", 1.0)
    one_gif, two_gif = Image.open(single[5]), Image.open(both[5])
    assert one_gif.n_frames == two_gif.n_frames == 8
    assert two_gif.size[0] > 2 * one_gif.size[0] and two_gif.size[0] > 2 * two_gif.size[1] * 0.9
    video = imageio.get_reader(both[6])
    width, height = video.get_meta_data()["size"]
    assert width >= two_gif.size[0] and height >= two_gif.size[1]
    assert sum(1 for _ in video) == 8
    names = [Path(f).name for f in both[7]]
    assert names == ["slerp-lerp-3-9.gif", "slerp-lerp-3-9.mp4", "slerp-3-9-strip.png", "lerp-3-9-strip.png"]
    assert both[2]["visible"] is True and isinstance(both[4], np.ndarray)  # the second (lerp) strip
    assert "seed 3 → 9" in shown and "8 frames" in shown and "side by side" in shown
    assert single[2]["visible"] is False


def test_a_refusal_names_the_input_and_what_is_still_on_screen(ids):
    uncond, cond = ids
    shown = "the last interpolation"
    cases = [
        ((uncond, 0, -3, None, None, 16, "Spherical (slerp)", 1.0), "Seed B"),
        ((uncond, "x", 1, None, None, 16, "Spherical (slerp)", 1.0), "Seed A"),
        ((uncond, 0, 1, None, None, 1, "Spherical (slerp)", 1.0), "Frames"),
        ((uncond, 0, 1, None, None, 16, "cubic", 1.0), "Path must be one of"),
        ((uncond, 0, 1, None, None, 16, "Spherical (slerp)", 7.0), "Truncation"),
        ((cond, 0, 1, "no-such-class", None, 16, "Spherical (slerp)", 1.0), "no-such-class"),
        (("no/such-model", 0, 1, None, None, 16, "Spherical (slerp)", 1.0), "no/such-model"),
    ]
    for args, message in cases:
        out = T.render_ui(*args, shown)
        status = out[-2]
        assert status.startswith("⚠️") and message in status, status
        assert f"Still showing {shown}." in status
        assert all(o == {"__type__": "update"} for o in out[:-2]) and out[-1] == {"__type__": "update"}
    ok = T.render_ui(uncond, 0, 1, None, None, 4, "Linear (lerp)", 1.0, shown)
    assert ok[-2].startswith("Showing") and "⚠️" not in ok[-2] and "linear path" in ok[-1]


def test_page_load_draws_the_default_or_the_linked_interpolation(ids, monkeypatch):
    uncond, cond = ids
    monkeypatch.setattr(T, "default_model", lambda: cond)
    out = T.on_load(SimpleNamespace(query_params={}))
    controls, outputs = out[:8], out[8:]
    assert controls[0]["value"] == cond and controls[1:3] == (0, 1)
    classes = _classes(cond)
    assert controls[3]["value"] == classes[0] and controls[4]["value"] == classes[1]
    assert isinstance(outputs[1], np.ndarray) and outputs[5].endswith(".gif") and outputs[6].endswith(".mp4")
    assert outputs[8].startswith("Showing") and f"class {classes[0]} → {classes[1]}" in outputs[8]

    link = {"tab": "interpolate", "model": uncond, "seed": "3", "seed_b": "9", "frames": "8", "method": "both"}
    out = T.on_load(SimpleNamespace(query_params=link))
    controls, outputs = out[:8], out[8:]
    assert controls[0]["value"] == uncond and controls[1:3] == (3, 9)
    assert controls[5:] == (8, "Both, side by side", 1.0)
    assert "seed 3 → 9" in outputs[8] and "8 frames" in outputs[8] and Image.open(outputs[5]).n_frames == 8

    # A link that cannot be drawn opens on the default instead, and says so (as links.restore does).
    bad = T.on_load(SimpleNamespace(query_params={"tab": "interpolate", "model": cond, "seed": "4",
                                                  "label": "no-such-class"}))
    assert "could not be drawn" in bad[-2] and "no-such-class" in bad[-2]
    assert bad[0]["value"] == cond and bad[1:3] == (0, 1) and "seed 0 → 1" in bad[-2]


def _wait_status(page, text: str) -> None:
    page.wait_for_function("(t) => { const e = document.querySelector('#ip-status');"
                           " return !!e && e.innerText.includes(t); }", arg=text)


def _natural_size(page, elem_id: str) -> tuple[int, int]:
    return tuple(page.evaluate(
        "(id) => { const i = document.querySelector(`#${id} img`); return [i.naturalWidth, i.naturalHeight]; }",
        elem_id))


@pytest.mark.browser
def test_the_tab_opens_rendered_and_both_gives_side_by_side_videos(page, app_url):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app_url)
    page.get_by_role("tab", name="Interpolate").click()
    # Drawn on load, without pressing anything: the strip, the GIF and the MP4.
    _wait_status(page, "Showing")
    page.wait_for_selector("#ip-strip-1 img")
    page.wait_for_function("() => { const i = document.querySelector('#ip-gif img');"
                           " return !!i && i.src.includes('.gif') && i.naturalWidth > 0; }")
    page.wait_for_selector("#ip-mp4 video")
    assert page.locator("#ip-strip-1 img").evaluate("i => i.naturalWidth") >= 8 * 64
    single_width, _ = _natural_size(page, "ip-gif")
    assert not page.locator("#ip-strip-2").is_visible()
    screenshot(page, "interpolate-on-load")

    gif_before = page.locator("#ip-gif img").get_attribute("src")
    page.locator("#ip-method").get_by_text("Both, side by side").click()
    _wait_status(page, "side by side")
    page.wait_for_function("(old) => document.querySelector('#ip-gif img').src !== old", arg=gif_before)
    page.wait_for_selector("#ip-strip-2 img")
    width, height = _natural_size(page, "ip-gif")
    assert width > 2 * single_width and width > 1.5 * height  # one GIF, both paths next to each other
    assert page.locator("#ip-mp4 video").get_attribute("src").endswith(".mp4")
    screenshot(page, "interpolate-both")


@pytest.mark.browser
def test_a_bad_seed_stays_inline_and_the_images_are_named_as_the_previous_ones(page, app_url):
    page.goto(app_url)
    page.get_by_role("tab", name="Interpolate").click()
    _wait_status(page, "Showing")
    page.fill("#ip-seed-b input", "-3")
    page.keyboard.press("Enter")
    _wait_status(page, "Seed B must be")
    status = page.inner_text("#ip-status")
    assert "Still showing" in status and "seed 0 → 1" in status
    assert page.locator(".toast-body").count() == 0  # inline, not a toast that fades
    screenshot(page, "interpolate-refused")
    page.fill("#ip-seed-b input", "5")
    page.keyboard.press("Enter")
    _wait_status(page, "seed 0 → 5")
    assert "⚠️" not in page.inner_text("#ip-status")


@pytest.mark.browser
def test_a_shared_link_opens_on_its_interpolation_drawn(page, app_url, ids):
    uncond, _ = ids
    page.goto(app_url + "?" + urlencode({"tab": "interpolate", "model": uncond, "seed": 3, "seed_b": 9,
                                         "frames": 8, "method": "both"}))
    _wait_status(page, "seed 3 → 9")
    assert "8 frames" in page.inner_text("#ip-status") and uncond in page.inner_text("#ip-status")
    assert page.locator("#ip-seed-b input").input_value() == "9"
    assert page.locator("#ip-frames input[type=number]").input_value() == "8"
    page.wait_for_selector("#ip-strip-2 img")
    page.wait_for_selector("#ip-mp4 video")
    # The controls and the images agree: frames changed by typing re-renders.
    page.fill("#ip-frames input[type=number]", "5")
    page.keyboard.press("Enter")
    _wait_status(page, "5 frames")
