"""The GAN family tab's sketch canvas: its size and brush, and reading the drawing a Sketchpad event sends."""

from __future__ import annotations

import io
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from ui import uploads

CANVAS_PX = 256  # 8x the model's 32 px: the brush's 12 px wide stroke becomes ~1.5 px, like the training sketches
BRUSH_PX = 6  # gr.Brush's default_size is a radius
MAX_CANVAS_SIDE = 2048


def read_canvas(canvas: gr.ImageEditor, payload: Any) -> np.ndarray | str | None:
    """The drawing of a Sketchpad event wired with preprocess=False -> uint8 RGBA pixels, None for no drawing,
    or a refusal as a string. Only the composite is decoded (never the layers), header first: at most
    MAX_CANVAS_SIDE px a side, PNG or WebP (the canvas is page input: any client can send any bytes as its
    'drawing'). A subclass with its own preprocess would do the same, but Gradio writes a .pyi stub beside the
    module of every component class, which would hide this module's own types."""
    if not isinstance(payload, dict):
        return None
    data: bytes | str | None = None
    if isinstance(payload.get("id"), str):
        blobs = canvas.blob_storage.pop(payload["id"], None)  # sent by the browser just before the event
        data = None if blobs is None else blobs.composite
    elif payload.get("composite") is not None:
        try:
            data = uploads.path_of(payload["composite"])  # a file in Gradio's cache, checked by ui.guard
        except ValueError as error:
            return str(error)
    if data is None:
        return None
    refusal = f"The drawing could not be read: a PNG or WebP image of at most {MAX_CANVAS_SIDE} px a side is expected."
    try:
        with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as img:  # reads the header only
            if img.format not in ("PNG", "WEBP") or max(img.size) > MAX_CANVAS_SIDE or min(img.size) < 2:
                return refusal
            img.load()
            return np.asarray(img.convert("RGBA")).copy()
    except (OSError, SyntaxError, EOFError, ValueError, Image.DecompressionBombError):
        return refusal
