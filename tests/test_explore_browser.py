"""The Explore and Interpolate tabs in headless chromium: a slider drag re-renders the image, a shared
link restores the controls, the Interpolate button produces a GIF; screenshots go to artifacts/."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from gan_models import render
from tests.conftest import page_at, screenshot
from tests.test_render import shipped_or_tiny

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def ids():
    with pytest.MonkeyPatch.context() as mp:
        yield shipped_or_tiny(mp)


def _src(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id} img").first.get_attribute("src") or ""


def _wait_value(page, selector: str, text: str, contains: bool = False) -> None:
    """Wait until the element exists (tabs render lazily) and its value equals/contains `text`."""
    page.wait_for_function(
        "([sel, text, contains]) => { const e = document.querySelector(sel);"
        " return !!e && (contains ? e.value.includes(text) : e.value === text); }",
        arg=[selector, text, contains],
    )


def _wait_src_change(page, elem_id: str, old: str) -> str:
    page.wait_for_function(
        "([sel, old]) => { const i = document.querySelector(sel); return i && i.src && i.src !== old; }",
        arg=[f"#{elem_id} img", old],
    )
    return _src(page, elem_id)


def test_shared_link_restores_controls_and_sliders_rerender(page, app_url, ids):
    _, cond = ids
    classes = render.model_spec(render.load_model(cond))["classes"]
    query = {"tab": "explore", "model": cond, "seed": 1234, "label": classes[2], "trunc": 0.8, "n": 4,
             "z3": 1.5, "pc1": -2}
    page.goto(app_url + "?" + urlencode(query))
    page.wait_for_selector("#ex-image img")
    _wait_value(page, "#ex-seed input", "1234")
    assert page.locator("#ex-truncation input[type=number]").input_value() == "0.8"
    assert page.locator("#ex-label input").input_value() == classes[2]
    assert page.locator("#ex-n input[value='4']").is_checked()
    # z[3] was edited by the link: it gets the first raw slider, at the link's value.
    assert "z[3]" in page.locator("#ex-z0").inner_text()
    assert page.locator("#ex-z0 input[type=number]").input_value() == "1.5"

    # Typing a slider value re-renders the image...
    before = _src(page, "ex-image")
    box = page.locator("#ex-z1 input[type=number]")
    box.fill("3.5")
    box.press("Enter")
    after = _wait_src_change(page, "ex-image", before)
    # ...and so do keyboard steps on the range input, which behave like a drag.
    page.locator("#ex-z2 input[type=range]").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    _wait_src_change(page, "ex-image", after)
    screenshot(page, "explore_tab")

    page.locator("#ex-mode").get_by_text("PCA directions", exact=True).click()
    assert page.locator("#ex-pc1 input[type=number]").input_value() == "-2"
    assert "of variance" in page.locator("#ex-pc0").inner_text()
    # The share button gives back a link with the current state.
    page.locator("#ex-share").click()
    _wait_value(page, "#ex-link textarea", "seed=1234", contains=True)
    link = page.locator("#ex-link textarea").input_value()
    assert link.startswith(app_url.rstrip("/")) and "z3=1.5" in link and "pc1=-2" in link and "z" in link
    screenshot(page, "explore_directions")

    # SeFa: closed-form directions from the first layer's weights, their own sliders, moving the image too.
    page.locator("#ex-mode").get_by_text("SeFa directions", exact=True).click()
    page.wait_for_selector("#ex-sf0", state="visible")
    assert not page.locator("#ex-pc0").is_visible() and "first layer" in page.locator("#ex-sf0").inner_text()
    before = _src(page, "ex-image")
    box = page.locator("#ex-sf0 input[type=number]")
    box.fill("3")
    box.press("Enter")
    _wait_src_change(page, "ex-image", before)
    screenshot(page, "explore_sefa")

    # Teaching views: class grid (rows = seeds, columns = classes) and traversals + sensitivity chart, each
    # drawn when its panel opens; the button redraws after a change.
    page.get_by_text("Class grid (conditional models)").click()
    page.wait_for_selector("#ex-class-grid img")
    grid = _src(page, "ex-class-grid")
    rows = page.locator("#ex-grid-rows input[type=number]")
    rows.fill("1")
    rows.press("Enter")
    page.locator("#ex-grid-btn").click()
    _wait_src_change(page, "ex-class-grid", grid)
    page.get_by_text("Traversals and sensitivity").click()
    page.wait_for_selector("#ex-traversal img")
    page.locator("#ex-sensitivity").scroll_into_view_if_needed()
    screenshot(page, "explore_grids")

    # "Is it copying?": the seed's image beside its nearest training images, and what the distance means.
    page.get_by_text("Is it copying? Nearest training images").click()
    page.wait_for_selector("#ex-nearest img")
    page.wait_for_selector("#ex-nearest-text:has-text('Nearest training image')")
    page.locator("#ex-nearest-text").scroll_into_view_if_needed()
    screenshot(page, "explore_nearest")


def test_interpolate_tab_makes_a_gif(page, app_url, ids):
    page.goto(app_url + "?" + urlencode({"tab": "interpolate", "model": ids[0], "seed": 3, "seed_b": 9,
                                         "frames": 8, "method": "both"}))
    _wait_value(page, "#ip-seed-b input", "9")
    page.locator("#ip-run").click()
    page.wait_for_function("() => { const i = document.querySelector('#ip-gif img');"
                           " return !!i && i.src.includes('.gif'); }")
    page.wait_for_selector("#ip-strip-2 img")  # "both": lerp's strip under slerp's, one side-by-side GIF and MP4
    page.wait_for_selector("#ip-mp4 video")
    screenshot(page, "interpolate_tab")
    page.locator("button[role=tab]", has_text="Sine toy").click()
    page.wait_for_selector("#sine-start")
    screenshot(page, "sine_tab")


@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080), (390, 844)])  # a projector, a desktop, a phone
def test_the_image_stays_in_view_while_any_slider_is_dragged(browser, app_url, width, height):
    with page_at(browser, width, height) as page:
        page.goto(app_url)
        page.wait_for_selector("#ex-image img")
        for i in range(8):  # every raw slider the page shows, first to last
            slider = page.locator(f"#ex-z{i} input[type=range]")
            slider.evaluate("e => e.scrollIntoView({block: 'center'})")  # where a person drags it
            before = _src(page, "ex-image")
            slider.focus()
            page.keyboard.press("ArrowRight")
            for box in (page.locator("#ex-image").bounding_box(), slider.bounding_box()):
                assert box["y"] >= 0 and box["y"] + box["height"] <= height, (i, box)
            _wait_src_change(page, "ex-image", before)  # and the image in view is the one that changed
        screenshot(page, f"explore-sticky-{width}x{height}")


@pytest.mark.parametrize("width,height", [(1280, 720), (390, 844)])
def test_every_tab_is_one_tap_away_on_a_phone_too(browser, app_url, width, height):
    with page_at(browser, width, height) as page:
        page.goto(app_url)
        page.wait_for_selector("#ex-image img")
        for name in ("Explore", "Interpolate", "GAN family", "Train", "Sine toy"):  # none behind an overflow menu
            tab = page.get_by_role("tab", name=name, exact=True)
            box = tab.bounding_box()
            assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= width, (name, box)
        page.get_by_role("tab", name="Sine toy", exact=True).click()
        page.wait_for_selector("#sine-start")
        screenshot(page, f"tabs-{width}x{height}")
