"""Real test images for the GAN family tab (the VAE's reconstructions, the super-resolution inputs, the test
sketches of pix2pix and the held-out Twemoji/Noto pairs of CycleGAN): each data set's test split, loaded once
(emoji-sketch derives its sketches on load, ~2 s) and shared read-only."""

from __future__ import annotations

import functools
import threading

from training.data import ImageData, load_dataset


@functools.lru_cache(maxsize=16)  # the family cards' sets and the Train tab's previews
def test_split(name: str) -> ImageData:
    """uint8 [N, C, H, W] test images and labels of a vendored data set ("animal-mnist", "digits", "emoji")."""
    return load_dataset(name, "test", download=False)


def sketch_vendor(index: int, count: int) -> str:
    """Whose drawing test sketch `index` of emoji-sketch was made from: training.data lists every held-out code
    point's Noto drawing first, then the same code points' Twemoji drawings (two equal halves)."""
    return "Noto" if index < count // 2 else "Twemoji"


def warm_up(names: tuple[str, ...]) -> None:
    """Load the test splits (and torchmetrics, ~1.5 s to import) in the background, so a first visitor does
    not wait for them."""
    def work() -> None:
        for name in names:
            try:
                test_split(name)
            except Exception:  # the card shows the error when someone uses it
                pass
        try:
            import torchmetrics.functional.image  # noqa: F401
        except Exception:
            pass

    threading.Thread(target=work, name="family-warm-up", daemon=True).start()
