"""The Sine toy tab in headless chromium: the page opens on parabola with its real curves drawn, a refused
setting stays in the readout, train, watch the plots update, stop, move an input dimension."""

from __future__ import annotations

import re

import pytest

from tests.conftest import screenshot, wait_for

pytestmark = pytest.mark.browser


def _plot_pixels(page, elem_id: str) -> str:
    """The pixels of the Vega canvas: element screenshots wait for the element to stop moving, which a
    live plot never does."""
    return page.evaluate("(id) => document.querySelector(`#${id} canvas`).toDataURL()", elem_id)


def _readout_step(page) -> int:
    match = re.search(r"Step ([\d,]+) /", page.inner_text("#sine-readout"))
    return int(match.group(1).replace(",", "")) if match else 0


def test_train_watch_plots_stop_then_move_an_input_dimension(page, app_url):
    page.goto(app_url)
    page.get_by_role("tab", name="Sine toy").click()
    page.fill("#sine-steps input", "100000")  # long enough to be still running whatever the machine's speed
    page.keyboard.press("Enter")
    page.click("#sine-start")

    # The loss plot draws and keeps updating while training runs.
    page.wait_for_function("() => /Step [\\d,]+ \\//.test(document.querySelector('#sine-readout').innerText)")
    page.wait_for_function("() => document.querySelector('#sine-loss-plot canvas')")  # redrawn live
    first_step = _readout_step(page)
    first_plot = _plot_pixels(page, "sine-loss-plot")
    page.wait_for_function(
        f"() => {{ const m = document.querySelector('#sine-readout').innerText.match(/Step ([\\d,]+) \\//);"
        f" return m && parseInt(m[1].replace(/,/g, '')) > {first_step}; }}"
    )
    page.wait_for_timeout(300)
    assert _plot_pixels(page, "sine-loss-plot") != first_plot

    # Stop ends the run at its next update, says where, and keeps the generator for the sliders.
    page.click("#sine-stop")
    page.wait_for_selector("#sine-readout:has-text('Stopped at step')")
    stopped = _readout_step(page)
    assert first_step < stopped < 100_000
    assert f"Stopped at step {stopped:,} of 100,000" in page.inner_text("#sine-readout")
    assert "Done" not in page.inner_text("#sine-readout")
    assert "trained on parabola" in page.inner_text("#sine-explore-note")
    page.wait_for_selector("#sine-z0", state="visible")
    assert page.locator("#sine-z4").is_visible() and not page.locator("#sine-z5").is_visible()
    page.wait_for_function("() => document.querySelector('#sine-explore-plot canvas')")
    page.wait_for_timeout(500)
    before = _plot_pixels(page, "sine-explore-plot")
    screenshot(page, "sine-trained")

    page.fill("#sine-z0 input[type=number]", "2.5")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(before) => document.querySelector('#sine-explore-plot canvas').toDataURL() !== before", arg=before
    )
    screenshot(page, "sine-slider-moved")


def test_opens_on_parabola_with_its_curves_and_keeps_a_refusal_in_view(page, app_url):
    page.goto(app_url)
    page.get_by_role("tab", name="Sine toy").click()
    page.wait_for_selector("#sine-target")
    assert page.locator("#sine-target input").input_value() == "parabola"
    # Before any run the curve panel shows the target family, and the note says what to look for on it.
    page.wait_for_function("() => document.querySelector('#sine-curve-plot canvas')")
    assert "one knob" in page.inner_text("#sine-explore-note")

    page.fill("#sine-steps input", "0")
    page.keyboard.press("Enter")
    page.click("#sine-start")
    page.wait_for_selector("#sine-readout:has-text('steps must be')")
    assert "⚠️" in page.inner_text("#sine-readout")
    assert page.locator(".toast-body").count() == 0  # inline, not a toast that fades
    screenshot(page, "sine-refused")


def test_closing_the_tab_ends_the_run(browser, app_url):
    from training.limits import RUNS

    context = browser.new_context()
    page = context.new_page()
    page.goto(app_url)
    page.get_by_role("tab", name="Sine toy").click()
    page.fill("#sine-steps input", "100000")
    page.keyboard.press("Enter")
    page.click("#sine-start")
    page.wait_for_function("() => /Step [\\d,]+ \\//.test(document.querySelector('#sine-readout').innerText)")
    assert RUNS.active() == 1
    context.close()
    wait_for(lambda: RUNS.active() == 0, 20, "the closed page's run to free its training slot", poll=0.1)


def test_latent_size_sweep_draws_one_panel_per_size(page, app_url):
    page.goto(app_url)
    page.get_by_role("tab", name="Sine toy").click()
    page.fill("#sine-steps input", "300")
    page.keyboard.press("Enter")
    page.get_by_text("Latent-size sweep").click()
    page.click("#sine-sweep-start")
    page.wait_for_selector("#sine-sweep-status:has-text('Done')", timeout=180_000)
    for i in range(4):  # the default sizes 1, 2, 5, 16
        page.wait_for_function(f"() => document.querySelector('#sine-sweep-curves{i} canvas')")
    assert not page.locator("#sine-sweep-curves4").is_visible()
    screenshot(page, "sine-sweep")
