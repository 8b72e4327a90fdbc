"""The Train tab and the inversion panel in headless chromium: start a short run, see the sample grid refresh,
stop it, open the result in the explorer; train the VAE and see its own charts; draw a shape and find its latent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parent.parent

GRID_SRC = "() => { const img = document.querySelector('#train-grid img'); return img ? img.src : null; }"


def _drawn(page, selector: str) -> int:
    """How many pixels of the chart's canvas are strongly coloured (lines and legend; axes and text are grey)."""
    return page.evaluate(
        """(selector) => {
            const canvas = document.querySelector(selector + ' canvas');
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 0; i < data.length; i += 4) {
                const rgb = [data[i], data[i + 1], data[i + 2]];
                if (data[i + 3] > 200 && Math.max(...rgb) - Math.min(...rgb) > 80) n++;
            }
            return n;
        }""",
        selector,
    )


def _set_number(page, elem_id: str, value: str) -> None:
    page.fill(f"#{elem_id} input[type=number]", value)
    page.keyboard.press("Enter")


def _grid_colour(page) -> float:
    """The largest max-min channel spread of the grid image's pixels (0 for a grey image)."""
    return page.evaluate("""async () => {
        const img = document.querySelector('#train-grid img');
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let spread = 0;
        for (let i = 0; i < data.length; i += 4) {
            spread = Math.max(spread, Math.max(data[i], data[i + 1], data[i + 2])
                                      - Math.min(data[i], data[i + 1], data[i + 2]));
        }
        return spread;
    }""")


def test_train_tab_opens_on_real_images_of_the_chosen_data_set(page, app_url):
    page.goto(app_url)
    page.get_by_role("tab", name="Train").click()
    page.wait_for_function(f"() => ({GRID_SRC})()")
    assert "real images of this data set" in page.inner_text("#train-progress")
    assert "Real images" in page.inner_text("#train-grid")  # the grid's label says what it shows
    digits = page.evaluate(GRID_SRC)
    assert _grid_colour(page) == 0  # the default, Digits, is grey

    page.locator("#train-dataset input").click()
    page.get_by_role("option", name="Emoji (8 classes, colour 32x32, bundled)").click()
    page.wait_for_function(f"(first) => {{ const s = ({GRID_SRC})(); return s && s !== first; }}", arg=digits)
    assert _grid_colour(page) > 100  # emoji drawings are colour
    screenshot(page, "train-real-emoji")

    page.locator("#train-dataset input").fill("MNIST")  # the box filters the options by what it holds
    page.get_by_role("option", name="MNIST (downloads: needs internet on the server)", exact=True).click()
    fetched = (REPO / "data" / "MNIST").is_dir()  # torchvision's folder under the CLI's --data-root
    expected = "real images" if fetched else "not on the server yet"
    page.wait_for_selector(f"#train-progress:has-text('{expected}')")


def test_train_watch_the_grid_refresh_stop_and_open_in_explorer(page, app_url):
    page.goto(app_url)
    page.get_by_role("tab", name="Train").click()
    # Tiny and long enough to still be running when Stop is pressed, short enough to fit the time budget.
    _set_number(page, "train-steps", "2000")
    _set_number(page, "train-batch", "8")
    _set_number(page, "train-latent", "8")
    page.locator("#train-width label").filter(has_text="8").click()
    page.click("#train-start")

    page.wait_for_function(f"() => ({GRID_SRC})()")
    first = page.evaluate(GRID_SRC)
    page.wait_for_function(f"(first) => {{ const s = ({GRID_SRC})(); return s && s !== first; }}", arg=first,
                           timeout=30_000)  # a fresh grid every 2 s
    assert "steps/s" in page.inner_text("#train-progress")
    assert "Samples from fixed noise" in page.inner_text("#train-grid")  # no longer the real images
    page.wait_for_function("() => document.querySelector('#train-loss-plot canvas')")
    screenshot(page, "train-running")

    page.click("#train-stop")
    page.wait_for_selector("#train-progress:has-text('Stopped.')")
    page.wait_for_selector("#train-open:not([disabled])")
    assert page.locator("#train-download a").count() >= 1  # the save_pretrained zip
    screenshot(page, "train-stopped")

    page.click("#train-open")
    page.wait_for_function(
        "() => document.querySelector('#ex-model input').value.startsWith('trained-digits-cdcgan-')")
    page.wait_for_function("() => document.querySelector('#ex-image img')")
    assert page.get_by_role("tab", name="Explore").get_attribute("aria-selected") == "true"
    screenshot(page, "train-opened-in-explore")


def test_train_the_vae_see_its_grid_and_charts_then_open_its_decoder_in_explorer(page, app_url):
    page.goto(app_url)
    page.get_by_role("tab", name="Train").click()
    page.locator("#train-model label").filter(has_text="VAE").click()
    page.wait_for_selector("#train-recipe input[type=checkbox]:disabled")  # a GAN recipe: off for the VAE
    _set_number(page, "train-steps", "60")
    _set_number(page, "train-batch", "8")
    _set_number(page, "train-latent", "8")
    page.locator("#train-width label").filter(has_text="8").click()
    page.click("#train-start")

    page.wait_for_selector("#train-progress:has-text('Done.')", timeout=180_000)
    progress = page.inner_text("#train-progress")
    assert "Negative ELBO" in progress and "KL" in progress and "D(real)" not in progress
    assert page.evaluate(GRID_SRC)
    for plot in ("#train-loss-plot", "#train-prob-plot"):
        page.wait_for_function(f"() => document.querySelector('{plot} canvas')")
    # The charts are canvases: their screen-reader labels name what they show, and both have drawn lines.
    assert "Negative ELBO" in page.text_content("#train-loss-plot label")
    assert "KL" in page.text_content("#train-prob-plot label")
    assert _drawn(page, "#train-loss-plot") > 50 and _drawn(page, "#train-prob-plot") > 50
    page.wait_for_selector("#train-open:not([disabled])")
    screenshot(page, "train-vae-done")

    page.click("#train-open")
    page.wait_for_function(
        "() => document.querySelector('#ex-model input').value.startsWith('trained-digits-vae-')")
    page.wait_for_function("() => document.querySelector('#ex-image img')")
    assert page.get_by_role("tab", name="Explore").get_attribute("aria-selected") == "true"
    screenshot(page, "train-vae-opened-in-explore")


def test_draw_find_latent_and_explore_from_it(page, app_url):
    page.goto(app_url)
    page.wait_for_function("() => document.querySelector('#ex-image img')")
    page.click("#inv-panel button")  # open the accordion: the page picks the brush (Gradio opens on no tool)
    page.wait_for_selector("#inv-sketch button[aria-label='Brush'].highlight")
    canvas = page.locator("#inv-sketch canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    for fx, fy in ((0.7, 0.3), (0.7, 0.7), (0.3, 0.7), (0.3, 0.3)):
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=8)
    page.mouse.up()
    _set_number(page, "inv-steps", "40")
    page.click("#inv-find")
    page.wait_for_selector("#inv-readout:has-text('Found')", timeout=60_000)
    page.wait_for_function("() => document.querySelector('#inv-result img')")
    page.click("#inv-explore")
    page.wait_for_function("() => document.querySelector('#ex-model input').value.includes('-drawing-')")
    screenshot(page, "inversion")
