"""Uploaded images, read with bounded memory: the header first (format, size, mode), refused over the pixel
budget before a single pixel is decoded, then only the first frame, reduced at once to what inversion needs.

A 140 KB PNG can declare 12000 x 12000 pixels: decoded, that is 144 MB grey or 576 MB RGBA, and Gradio's own
gr.Image preprocessing decodes it before any check of the app's (+1.4 GB of server RSS for one upload, measured).
So the inversion event runs with preprocess=False and reads its files here."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from ui import guard

PIXEL_BUDGET = 16_000_000  # 16 Mpx (4000 x 4000): decoded at most ~64 MB (RGBA) for the moment it is reduced
MAX_SIDE = 4096
WORKING_SIDE = 512  # inversion crops and resizes to 28-32 px: 512 px a side is plenty, and small in memory
FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "GIF": "GIF", "WEBP": "WebP", "BMP": "BMP"}
# Pillow's own bomb guard for every other decode in this process (it warns past the value, raises past twice it).
Image.MAX_IMAGE_PIXELS = PIXEL_BUDGET


def path_of(value: Any) -> str | None:
    """The server path of an upload as an event receives it with preprocess=False (a FileData dict), or as
    a plain path string; None for no upload. Raises ValueError for anything that is not an upload."""
    if value is None:
        return None
    path = value.get("path") if isinstance(value, dict) else value
    if path is None:
        return None
    problem = guard.upload_problem(path)
    if problem:
        raise ValueError(f"Upload refused: {problem}")
    return path


def read_image(value: Any) -> np.ndarray | None:
    """uint8 [H, W] (grey), [H, W, 3] (colour) or [H, W, 4] (with transparency) of an uploaded image, at most
    WORKING_SIDE px a side; None when there is no upload. Refusals are ValueErrors with a short message."""
    path = path_of(value)
    if path is None:
        return None
    try:
        with Image.open(path) as img:  # reads the header only
            width, height = img.size
            if img.format not in FORMATS:
                raise ValueError(f"Not a supported image ({img.format or 'unknown format'}): upload a "
                                 f"{', '.join(FORMATS.values())} file.")
            if width * height > PIXEL_BUDGET or max(width, height) > MAX_SIDE:
                raise ValueError(f"Image is {width}x{height} px ({width * height / 1e6:.0f} Mpx): at most "
                                 f"{PIXEL_BUDGET / 1e6:.0f} Mpx and {MAX_SIDE} px a side.")
            if min(width, height) < 2:
                raise ValueError(f"Image is {width}x{height} px: too small to invert.")
            if img.format == "JPEG":
                img.draft("RGB" if img.mode != "L" else "L", (WORKING_SIDE, WORKING_SIDE))  # decode reduced
            img.seek(0)  # a GIF/WebP/APNG animation: its first frame
            img.load()
            img = _working_mode(img)
            img.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.LANCZOS)
            return np.asarray(img).copy()
    except ValueError:
        raise
    except Image.DecompressionBombError as error:  # Pillow refuses past twice MAX_IMAGE_PIXELS at open
        pixels = next((int(w) for w in str(error).replace("(", " ").split() if w.isdigit()), 0)
        raise ValueError(f"Image is {pixels / 1e6:.0f} Mpx: at most {PIXEL_BUDGET / 1e6:.0f} Mpx and {MAX_SIDE} px "
                         "a side.") from None
    except (OSError, SyntaxError, EOFError, MemoryError):
        raise ValueError("The file is not a readable image (not an image, or truncated / corrupt).") from None


def _working_mode(img: Image.Image) -> Image.Image:
    """L for grey images, RGB for colour ones, RGBA when there is transparency (composited on white later)."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        return img.convert("RGBA")
    if img.mode in ("1", "L", "I", "I;16", "I;16B", "I;16L", "F"):
        if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit / float grey: scale to 8 bits
            arr = np.asarray(img, dtype=np.float64)
            peak = arr.max() or 1.0
            return Image.fromarray((arr / peak * 255).clip(0, 255).astype(np.uint8), "L")
        return img.convert("L")
    return img.convert("RGB")
