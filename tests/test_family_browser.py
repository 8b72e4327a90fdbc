"""The GAN family tab in headless chromium: opening it draws every card, moving a card's slider redraws that
card's images, the LAPGAN's finest-level noise leaves the coarser levels as they were, an upload replaces
the super-resolution test image, a stroke drawn on the sketchpad (brush ready on opening) becomes pix2pix's
emoji, and CycleGAN's direction switch translates the other way; a phrase typed into the text card redraws its grid
and says which words were read; the pix2pix card switches to Twemoji -> Noto. LAPGAN, super-resolution, pix2pix,
CycleGAN and text to image run on the tiny models of tests/test_family.py."""

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
    "pix2pix": [f"fam-p-{k}" for k in range(3)],
    "cyclegan": [f"fam-c-{k}" for k in range(4)],
    "text": ["fam-t-grid", "fam-t-strip"],
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
    for text_id in ("fam-v-text", "fam-a-text", "fam-l-text", "fam-s-text", "fam-p-text", "fam-c-text",
                    "fam-t-words", "fam-t-strip-text"):
        page.wait_for_function("(sel) => { const e = document.querySelector(sel); return !!e && "
                               "e.innerText.length > 40; }", arg=f"#{text_id}")
    assert "Frechet distance" in page.locator("#fam-v-text").inner_text()
    assert "reconstructions" in page.locator("#fam-a-text").inner_text()
    assert "amplified" in page.locator("#fam-l-text").inner_text()
    assert "PSNR" in page.locator("#fam-s-text").inner_text()
    assert "test sketch 428" in page.locator("#fam-p-text").inner_text()
    assert "Cycle error" in page.locator("#fam-c-text").inner_text()
    assert "The model read: red, heart." in page.locator("#fam-t-words").inner_text()

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

    # The sketchpad opens with the brush selected: a plain mouse stroke draws, and the emoji follows it.
    brush = page.locator("#fam-p-draw button[aria-label=Brush]")
    page.wait_for_function("(b) => b.classList.contains('highlight')", arg=brush.element_handle())
    canvas = page.locator("#fam-p-draw canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y, w = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["width"]
    page.mouse.move(x - w * 0.25, y)
    page.mouse.down()
    page.mouse.move(x, y + w * 0.2, steps=8)
    page.mouse.move(x + w * 0.25, y - w * 0.1, steps=8)
    page.mouse.up()
    page.wait_for_function("() => document.querySelector('#fam-p-text').innerText.includes('your drawing')")
    sketch = _wait_src(page, "fam-p-0", before["fam-p-0"])
    _wait_src(page, "fam-p-1", before["fam-p-1"])
    assert "no real emoji" in page.locator("#fam-p-text").inner_text()
    page.locator("#fam-p-draw button[aria-label='Clear canvas']").click()
    page.wait_for_function("() => document.querySelector('#fam-p-text').innerText.includes('Draw something first')")
    _set_slider(page, "fam-p-index", 700)
    page.wait_for_function("() => document.querySelector('#fam-p-text').innerText.includes('test sketch 700')")
    assert _src(page, "fam-p-0") not in ("", sketch)

    # CycleGAN: the direction switch translates the held-out pair the other way (the real B becomes the input).
    page.locator("#fam-c-dir label", has_text="Noto → Twemoji").click()
    page.wait_for_function("() => document.querySelector('#fam-c-text').innerText.includes('A = Noto')")
    for elem in CARDS["cyclegan"]:
        _wait_src(page, elem, before[elem])
    page.wait_for_function("() => document.querySelector('#fam-c-0').innerText.includes('Noto (input)')")
    assert "Real Twemoji" in page.locator("#fam-c-3").inner_text()
    screenshot(page, "family_tab")


def _wait_text(page, elem_id: str, text: str) -> None:
    page.wait_for_function("([sel, text]) => { const e = document.querySelector(sel); return !!e && "
                           "e.innerText.includes(text); }", arg=[f"#{elem_id}", text])


def _open_family_tab(page, app_url: str) -> None:
    page.goto(app_url)
    page.locator("button[role=tab]", has_text="GAN family").click()


def test_a_typed_phrase_redraws_the_text_card_and_says_which_words_were_read(page, app_url, tiny):
    _open_family_tab(page, app_url)
    _wait_text(page, "fam-t-words", "The model read: red, heart.")
    grid, strip = _wait_src(page, "fam-t-grid"), _wait_src(page, "fam-t-strip")
    box = page.locator("#fam-t-phrase input, #fam-t-phrase textarea").first
    box.scroll_into_view_if_needed()
    box.fill("grinning hart")
    _wait_text(page, "fam-t-words", "'hart' is not in the vocabulary; closest known: heart")
    words = page.locator("#fam-t-words").inner_text()
    assert "The model read: grinning." in words and "ignored" in words
    grid = _wait_src(page, "fam-t-grid", grid)
    _wait_src(page, "fam-t-strip", strip)  # phrase A is the interpolation's start too
    _wait_text(page, "fam-t-strip-text", "grinning hart → cat face")

    box.fill("xqzv")  # no known word: a message in the words line, not an error popup
    _wait_text(page, "fam-t-words", "no word of it is in the vocabulary")
    page.locator("#fam-t-examples button", has_text="cat face").first.click()  # an example fills the phrase
    _wait_text(page, "fam-t-words", "The model read: cat, face.")
    _wait_src(page, "fam-t-grid", grid)
    assert page.locator(".toast-body").count() == 0
    screenshot(page, "family_text")


def test_the_pix2pix_card_switches_to_twemoji_to_noto(page, app_url, tiny):
    _open_family_tab(page, app_url)
    _wait_text(page, "fam-p-text", "test sketch 428")
    assert page.locator("#fam-q-text").count() == 0 or not page.locator("#fam-q-text").is_visible()
    page.locator("#fam-p-mode label", has_text="Twemoji → Noto").click()
    _wait_text(page, "fam-q-text", "held-out emoji 3")
    before = {k: _wait_src(page, f"fam-q-{k}") for k in range(3)}
    assert "doing nothing" in page.locator("#fam-q-text").inner_text()
    assert not page.locator("#fam-p-draw").is_visible()
    _set_slider(page, "fam-q-index", 7)
    _wait_text(page, "fam-q-text", "held-out emoji 7")
    for k in range(3):
        _wait_src(page, f"fam-q-{k}", before[k])
    page.locator("#fam-p-mode label", has_text="Sketch → emoji").click()
    page.locator("#fam-p-draw").wait_for(state="visible")
    assert "test sketch 428" in page.locator("#fam-p-text").inner_text()


def test_the_pix2pix_style_choice_redraws_in_the_other_vendors_look(page, app_url, tiny):
    _open_family_tab(page, app_url)
    _wait_text(page, "fam-p-text", "pix2pix-sketch-vendor")
    before = {k: _wait_src(page, f"fam-p-{k}") for k in (1, 2)}
    page.locator("#fam-p-style label", has_text="Twemoji").click()
    for k in (1, 2):  # a new drawing, and the real emoji is now Twemoji's drawing of the same code point
        _wait_src(page, f"fam-p-{k}", before[k])
    assert "test sketch 428" in page.locator("#fam-p-text").inner_text()
    assert page.locator(".toast-body").count() == 0
