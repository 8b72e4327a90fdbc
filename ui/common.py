"""What every tab shares: the event presets (concurrency groups, the batched slider render), turning the
model layer's ValueErrors into messages the person sees, whole-number and learning-rate checks, and the scratch
folder for files served to the page."""

from __future__ import annotations

import functools
import logging
import tempfile
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr
import numpy as np
from gradio.processing_utils import hash_bytes
from gradio.utils import get_upload_folder

from gan_models import latent as L
from gan_models import media, render
from gan_models.model import LoadedModel

F = TypeVar("F", bound=Callable[..., Any])
RENDER = {"concurrency_id": "render", "concurrency_limit": 8}  # the page's renders (Explore, Interpolate, Sine toy)
# The public endpoints wait in a group of their own: 60 abandoned or flooding API calls (their stream never
# read) queue behind one another, not in front of the page's events (benchmarks/abandoned.py, README).
API = {"concurrency_id": "api", "concurrency_limit": 4}
# Slider renders, the app's busiest event: Gradio hands the function every queued one at once (batch=True) and
# one worker draws them with one generator pass per model. Measured with benchmarks/load.py (README): Gradio's
# per-event overhead is paid per batch and eight workers no longer fight over the GIL.
# preprocess=False: in a batch Gradio would check every event's inputs against the first event's session.
# postprocess=False: the function sends its outputs ready-made (see `postprocessed_batch`).
SLIDER_RENDER = {"concurrency_id": "slider", "concurrency_limit": 1, "batch": True, "max_batch_size": 32,
                 "preprocess": False, "postprocess": False}
# The page's own events: not in the API docs or the MCP tools (ui.endpoints holds the public ones). LIVE: a
# click or a drag redraws with the final value and no progress overlay; SLIDER: the same, batched.
PRIVATE = {"api_visibility": "private"}
LIVE = {"trigger_mode": "always_last", "show_progress": "hidden", **RENDER, **PRIVATE}
SLIDER = {"trigger_mode": "always_last", "show_progress": "hidden", **SLIDER_RENDER, **PRIVATE}


def postprocessed_batch(fn: Callable[..., Sequence[list]], outputs: Sequence[Any]) -> Callable[..., tuple]:
    """The batch function `fn` (one list per output) with each output component's own postprocess (PNG into
    Gradio's cache, ...) done here, in the render thread, for an event wired with postprocess=False.

    In a batch Gradio postprocesses entry after entry and output after output, each in a thread hop awaited
    on the event loop that also answers every user's requests (the effect, measured by benchmarks/load.py:
    docs/benchmarks.md)."""

    @functools.wraps(fn)
    def wrapper(*columns: list) -> tuple:
        results = fn(*columns)
        return tuple([_sent_or_skip(component, value) for value in column]
                     for component, column in zip(outputs, results, strict=True))

    return wrapper


def postprocessed(fn: Callable[..., Sequence[Any]], outputs: Sequence[Any]) -> Callable[..., tuple]:
    """The event function `fn` (one value per output) with each output component's postprocess done here, in
    the event's own thread, for an event wired with postprocess=False: Gradio would run each output's in a
    thread hop of its own and then check the files twice."""

    @functools.wraps(fn)
    def wrapper(*args: Any) -> tuple:
        results = fn(*args)
        return tuple(_sent(component, value) for component, value in zip(outputs, results, strict=True))

    return wrapper


def _sent_or_skip(component: Any, value: Any) -> Any:
    """One entry's output postprocessed; if that fails (a fault, logged), the entry's output is left as it was
    and the rest of the batch is still sent."""
    try:
        return _sent(component, value)
    except Exception:  # noqa: BLE001
        logging.getLogger("gan_explorer").exception("postprocessing one batch entry failed")
        return gr.skip()


def _sent(component: Any, value: Any) -> Any:
    if isinstance(value, dict) and value.get("__type__") == "update":  # gr.skip()/gr.update(): Gradio's to apply
        return value
    if isinstance(component, gr.Image) and component.format == "png" and isinstance(value, np.ndarray):
        value = _png_in_cache(value, component.GRADIO_CACHE)
    value = component.postprocess(value)
    return value.model_dump() if hasattr(value, "model_dump") else value


def _png_in_cache(image: np.ndarray, cache_dir: str) -> str:
    """The image as a PNG file in Gradio's cache, named by its content as Gradio names its own (a repeated
    image is one file), written with media's faster PNG level rather than Gradio's."""
    data = media.png_bytes(image)
    folder = Path(cache_dir) / hash_bytes(data)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "image.png"
    path.write_bytes(data)
    return str(path.resolve())


def user_errors(fn: F) -> F:
    """Turn the model layer's ValueErrors into gr.Error so the person sees the message (not 'Error')."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except ValueError as exc:
            raise gr.Error(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def whole_number(name: str, value: Any) -> int:
    """A count or seed from the page or the API (a number or numeric string with no fractional part; the
    trainers' configs check the ranges). Huge integers, +-inf and NaN are refused here, by name."""
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > 2**53:
            raise gr.Error(f"{name} must be a whole number of sensible size, got {L.shown(value)}.")
        return value
    try:
        number = L.finite_number(name, value)
    except ValueError:
        raise gr.Error(f"{name} must be a whole number, got {L.shown(value)}.") from None
    if number != int(number) or abs(number) > 2**53:
        raise gr.Error(f"{name} must be a whole number, got {L.shown(value)}.")
    return int(number)


def learning_rates(lr_g: Any, lr_d: Any) -> tuple[float, float]:
    """G's and D's learning rates as finite floats (the trainers' configs check their ranges)."""
    try:
        return L.finite_number("G's learning rate", lr_g), L.finite_number("D's learning rate", lr_d)
    except ValueError as error:
        if "must be a number" in str(error):
            raise gr.Error(f"Learning rates must be numbers, got {L.shown(lr_g)} and {L.shown(lr_d)}.") from None
        raise gr.Error(str(error)) from None


def scratch_dir() -> Path:
    """A fresh folder inside Gradio's cache: files written here are served in place and removed by
    the app's delete_cache schedule, so nothing lands outside the cache."""
    root = Path(get_upload_folder()) / "gan-explorer"
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=root, prefix=uuid.uuid4().hex[:8]))


# Gradio 6.31's Sketchpad opens on its "image" tool ("select the draw tool to start"): a first stroke would
# select text instead of drawing. When the canvas comes into view, pick the brush for the person, once the editor
# has set itself up (it resets its tool when ready), unless they already chose a tool; give up after ~15 s.
def brush_ready_js(elem_id: str) -> str:
    """Page JS (for an event's js=) that selects the brush of the Sketchpad `elem_id`."""
    return """() => {
  let tries = 0, settled = 0;
  const timer = setInterval(() => {
    const pick = (name) => document.querySelector(`#ELEM button[aria-label="${name}"]`);
    const brush = pick("Brush"), erase = pick("Erase");
    if (brush && brush.classList.contains("highlight")) { if (++settled >= 3) clearInterval(timer); }
    else if (brush && !(erase && erase.classList.contains("highlight"))) { settled = 0; brush.click(); }
    if (++tries > 75) clearInterval(timer);
  }, 200);
}""".replace("ELEM", elem_id)


def model_ids() -> list[str]:
    """The shipped generators' ids for the model pickers, default first."""
    try:
        return [m["id"] for m in render.list_models()]
    except Exception:  # the page must still load if the registry cannot be read
        return []


def default_model() -> str | None:
    """The registry's default (listed first) when it is shipped here, else the first model there is."""
    ids = model_ids()
    return ids[0] if ids else None


def class_or_none(model: LoadedModel, label: Any) -> Any:
    """A class picker's value, or None for an unconditional model: while a model switch is still rendering,
    a hidden picker can briefly hold the previous model's class."""
    return label if model.conditional else None

