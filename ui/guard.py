"""What every request passes through, so that no input from one client can fail, slow or starve another:

- `guard_events(demo)` wraps every event function of the page and the API: a refusal (gr.Error, or the model
  layer's ValueError) reaches the client as a short message (at most MESSAGE_LIMIT characters) and the
  server log as one line; anything else is a real fault: its traceback is logged once and the client gets a
  short "internal error" message instead of Gradio's `{"error": null}`.
- `guard_queue(demo)` checks each submission before Gradio queues it: its `data` must be a list with one
  value per input of the event (in a batch Gradio zips every entry's values together, so one short entry
  would cut every other entry's inputs), and API submissions over `/gradio_api/call/*` may hold at most
  API_QUEUE_PLACES of the queue's places, so abandoned or flooding API calls never take the page's places.

The page's own events cannot be hidden from other clients: the browser joins the queue by fn_index over
`/gradio_api/queue/join`, which any HTTP client can do (api_visibility="private" only hides an event from the
API docs and gradio_client, and api_name=False only removes the `/call/<name>` alias). So they run the same
validators as the public endpoints.
"""

from __future__ import annotations

import functools
import inspect
import logging
import re
import sys
from collections.abc import Callable
from typing import Any

import gradio as gr

MESSAGE_LIMIT = 200
API_QUEUE_PLACES = 32  # of the queue's max_size (64): the rest is kept for the page's own events
INTERNAL = "Internal error on the server (it was logged); please try again."

log = logging.getLogger("gan_explorer")
if not log.handlers:  # one line per refused request on stderr, next to Gradio's own output
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False


_SERVER_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/'\"]+/)+(?=[^\s/'\"]+)")


_LONG_WORD = re.compile(r"[^\s…]{61,}")  # an echoed input (Gradio's own messages echo the whole value)


def clip(message: object, limit: int = MESSAGE_LIMIT) -> str:
    """A message on one line, server folders cut from file paths ('…/model.safetensors'), then cut to `limit`
    characters (the model layer already shows long inputs cut, with their length)."""
    text = _SERVER_PATH.sub("…/", " ".join(str(message).split()))
    text = _LONG_WORD.sub(lambda m: f"{m.group()[:28]}… ({len(m.group())} characters)", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def refusal(name: str, error: BaseException) -> gr.Error:
    """The gr.Error a refused request raises (no traceback printed by Gradio), logged as one line."""
    message = clip(error.message if isinstance(error, gr.Error) else error)
    log.info("refused %s: %s", name, message)
    refused = gr.Error(message, print_exception=False)
    if isinstance(error, gr.Error):
        refused.title, refused.duration, refused.visible = error.title, error.duration, error.visible
    return refused


def fault(name: str, error: BaseException) -> gr.Error:
    """A real server fault: its traceback logged once, a short message for the client."""
    log.error("fault in %s", name, exc_info=error)
    return gr.Error(INTERNAL, print_exception=False)


def _answer(name: str, error: BaseException) -> gr.Error:
    if isinstance(error, (gr.Error, ValueError, OverflowError)):
        return refusal(name, error)
    return fault(name, error)


def guarded(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """`fn` (a function or generator function) with its failures answered as described above."""
    if getattr(fn, "__guarded__", False) or inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        return fn
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except GeneratorExit:
                raise
            except Exception as error:  # noqa: BLE001 - every failure gets its answer
                raise _answer(name, error) from None

        generator.__guarded__ = True  # type: ignore[attr-defined]
        return generator

    @functools.wraps(fn)
    def function(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - every failure gets its answer
            raise _answer(name, error) from None

    function.__guarded__ = True  # type: ignore[attr-defined]
    return function


def guard_events(demo: gr.Blocks) -> int:
    """Wrap every Python event function of `demo` (after the page is built, before launch); -> how many."""
    count = 0
    for block_fn in demo.fns.values():
        if block_fn.fn is None:
            continue
        wrapped = guarded(block_fn.fn, block_fn.api_name or block_fn.name or "event")
        if wrapped is not block_fn.fn:
            block_fn.fn = wrapped
            count += 1
    return count


def guard_preprocessing(demo: gr.Blocks) -> None:
    """Gradio's own preprocessing of an input (a 401-digit number into a gr.Number, ...) fails with an error
    the client sees as `{"error": null}`: answer it as a refusal naming the problem instead."""
    if getattr(demo, "__preprocess_guarded__", False):
        return
    original = demo.preprocess_data

    @functools.wraps(original)
    async def preprocess_data(block_fn: Any, inputs: list, state: Any, explicit_call: bool = False) -> Any:
        try:
            return await original(block_fn, inputs, state, explicit_call)
        except Exception as error:  # noqa: BLE001 - every failure gets its answer
            name = block_fn.api_name or block_fn.name or "event"
            if isinstance(error, gr.Error):
                raise refusal(name, error) from None
            cause = error.__cause__ or error
            raise refusal(name, ValueError(f"Invalid input: {clip(cause, 120)}")) from None

    demo.preprocess_data = preprocess_data  # type: ignore[method-assign]
    demo.__preprocess_guarded__ = True  # type: ignore[attr-defined]


def check_submission(fn: Any, data: object) -> str | None:
    """Why a submission's `data` cannot be queued for event `fn`, or None when it may be: one value per input,
    and every file reference an upload of this server. Gradio would otherwise copy a local path or download
    a URL named in any input before the event runs, and fail the whole batch on one entry's bad file."""
    if not isinstance(data, list):
        return f"'data' must be a list of {len(fn.inputs)} input values."
    if len(data) != len(fn.inputs):
        return f"This event takes {len(fn.inputs)} input values, got {len(data)}."
    for block, value in zip(fn.inputs, data, strict=True):
        label = clip(getattr(block, "label", None) or type(block).__name__, 40)
        model = getattr(block, "data_model", None)
        if model is not None and value is not None:
            try:
                model.model_validate(value, context={"validate_meta": True})
            except Exception:  # noqa: BLE001 - pydantic's ValidationError and friends
                return f"Input '{label}' must be an uploaded file (upload it first: POST /gradio_api/upload)."
        problem = _file_problem(value)
        if problem:
            return f"Input '{label}': {problem}"
    return None


def _file_problem(value: object, depth: int = 0) -> str | None:
    """Why a file reference inside `value` is not acceptable (None: no file references, or all are uploads)."""
    if depth > 6:
        return "the value is nested too deeply." if isinstance(value, (dict, list)) else None
    if isinstance(value, list):
        return next((p for v in value[:64] if (p := _file_problem(v, depth + 1))), None)
    if not isinstance(value, dict):
        return None
    if "path" in value or (isinstance(value.get("meta"), dict) and value["meta"].get("_type") == "gradio.FileData"):
        return upload_problem(value.get("path"))
    return next((p for v in list(value.values())[:64] if (p := _file_problem(v, depth + 1))), None)


def upload_problem(path: object) -> str | None:
    """Why `path` is not a file uploaded to this server (None when it is)."""
    from gradio.utils import abspath, get_upload_folder, is_in_or_equal

    if not isinstance(path, str) or not path or len(path) > 4096 or "\x00" in path:
        return "a file reference needs the 'path' of an upload."
    if "://" in path or path.startswith(("http:", "https:", "data:")):
        return "URLs are not fetched: upload the file itself (POST /gradio_api/upload)."
    if not is_in_or_equal(abspath(path), abspath(get_upload_folder())):
        return "that file was not uploaded to this server."
    return None


def guard_queue(demo: gr.Blocks) -> None:
    """Check every submission's shape, and cap the API's share of the queue, before Gradio queues it."""
    queue = demo._queue
    if getattr(queue, "__guarded__", False):
        return
    push = queue.push

    @functools.wraps(push)
    async def checked_push(body: Any, request: Any, username: Any) -> tuple:
        from gradio import route_utils

        try:
            fn = route_utils.get_fn(queue.blocks, None, body) if body.fn_index is not None else None
        except (KeyError, IndexError, TypeError):
            fn = None
        if body.fn_index is not None and fn is None:
            return False, "Unknown event.", "error"
        if fn is not None:
            problem = check_submission(fn, body.data)
            if problem:
                log.info("refused %s: %s", fn.api_name or fn.name, problem)
                return False, problem, "error"
            if getattr(body, "simple_format", False) and _api_places_taken(queue) >= API_QUEUE_PLACES:
                log.info("refused %s: the API's share of the queue is full", fn.api_name or fn.name)
                return (False, f"Queue is full for API calls ({API_QUEUE_PLACES} waiting); retry in a few seconds.",
                        "queue_full")
        return await push(body, request, username)

    queue.push = checked_push  # type: ignore[method-assign]
    queue.__guarded__ = True  # type: ignore[attr-defined]


def _api_places_taken(queue: Any) -> int:
    """Events waiting in the queue that came in over /gradio_api/call/* (not the page's /queue/join)."""
    return sum(1 for event_queue in queue.event_queue_per_concurrency_id.values() for event in event_queue.queue
               if getattr(event.data, "simple_format", False))
