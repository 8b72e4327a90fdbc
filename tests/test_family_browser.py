"""The GAN family tab in headless chromium: opening it draws every card, moving a card's slider redraws that
card's images, the LAPGAN's finest-level noise leaves the coarser levels as they were, and an upload replaces
the super-resolution test image. LAPGAN and super-resolution run on the tiny models of tests/test_family.py."""

from __future__ import annotations

import pytest

from gan_models import family
from tests.conftest import screenshot
from tests.test_family import install, tiny_family

pytestmark = pytest.mark.browser

CARDS = {
    "vanilla": ["fam-v-mlp", "fam-v-dcgan"],
    "vae": ["fam-a-vae", "fam-a-gan", "fam-a-recon", "fam-a-path"],
    "lapgan": ["fam-l-level-0", "fam-l-level-1", "fam-l-level-2"],
    "superres": [f"fam-s-{k}" for k in range(5)],
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        install(mp, tiny_family(tmp_path_factory.mktemp("family-browser")))
        yield
    family.clear_cache()


def _src(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id} img").first.get_attribute("src") or ""


def _wait_src(page, elem_id: str, old: str = "") -> str:
    """Wait until the image of `elem_id` exists with a source other than `old` (images load lazily: attached
    is enough, visibility is not needed)."""
    page.wait_for_function(
        "([sel, old]) => { const i = document.querySelector(sel); return !!i && !!i.src && i.src !== old; }",
        arg=[f"#{elem_id} img", old],
    )
    return _src(page, elem_id)


def _set_slider(page, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.scroll_into_view_if_needed()
    box.fill(str(value))
    box.press("Enter")


def test_every_card_draws_and_follows_its_sliders(page, app_url, tiny, tmp_path):
    page.goto(app_url)
    page.locator("button[role=tab]", has_text="GAN family").click()
    before = {elem: _wait_src(page, elem) for elems in CARDS.values() for elem in elems}
    for text_id in ("fam-v-text", "fam-a-text", "fam-l-text", "fam-s-text"):
        page.wait_for_function("(sel) => { const e = document.querySelector(sel); return !!e && "
                               "e.innerText.length > 40; }", arg=f"#{text_id}")
    assert "Frechet distance" in page.locator("#fam-v-text").inner_text()
    assert "reconstructions" in page.locator("#fam-a-text").inner_text()
    assert "amplified" in page.locator("#fam-l-text").inner_text()
    assert "PSNR" in page.locator("#fam-s-text").inner_text()

    _set_slider(page, "fam-v-seed", 17)
    for elem in CARDS["vanilla"]:
        _wait_src(page, elem, before[elem])
    _set_slider(page, "fam-a-seed-b", 23)
    after_path = _wait_src(page, "fam-a-path", before["fam-a-path"])
    assert _src(page, "fam-a-vae") == before["fam-a-vae"]  # seed B only moves the interpolation's end
    _set_slider(page, "fam-a-seed", 5)
    for elem in CARDS["vae"]:
        _wait_src(page, elem, after_path if elem == "fam-a-path" else before[elem])

    # The finest level's noise changes only the finest level; the coarse noise changes them all.
    page.wait_for_function("() => document.querySelector('#fam-l-text').innerText.includes('0 / 1 / 2')")
    _set_slider(page, "fam-l-seed-2", 40)
    page.wait_for_function("() => document.querySelector('#fam-l-text').innerText.includes('0 / 1 / 40')")
    fine = _wait_src(page, "fam-l-level-2", before["fam-l-level-2"])
    assert _src(page, "fam-l-level-0") == before["fam-l-level-0"]
    assert _src(page, "fam-l-level-1") == before["fam-l-level-1"]
    _set_slider(page, "fam-l-seed-0", 41)
    _wait_src(page, "fam-l-level-0", before["fam-l-level-0"])
    _wait_src(page, "fam-l-level-2", fine)

    _set_slider(page, "fam-s-index", 3)
    for elem in CARDS["superres"]:
        _wait_src(page, elem, before[elem])
    page.wait_for_function("() => document.querySelector('#fam-s-text').innerText.includes('test image 3')")
    picture = tmp_path / "mine.png"
    from PIL import Image

    Image.new("RGB", (64, 48), (30, 160, 60)).save(picture)
    page.locator("#fam-s-upload input[type=file]").set_input_files(str(picture))
    page.wait_for_function("() => document.querySelector('#fam-s-text').innerText.includes('your upload')")
    assert "resized to 32x32" in page.locator("#fam-s-text").inner_text()
    screenshot(page, "family_tab")
