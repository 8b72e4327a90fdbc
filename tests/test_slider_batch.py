"""The Explore tab's slider render (`explore_render`) runs with Gradio's batch=True: one call draws the queued
events of many sessions at once. These tests pin what that must not break: each entry is validated on its own
(a bad one gets its message in its own readout, the others are drawn), entries from sessions on different
models are not checked against one another's dropdown choices, and the page's real HTTP route answers."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from gan_models import dimensions
from ui import explore_views
from ui.common import SLIDER_RENDER

ZEROS = [0.0] * explore_views.N_SLIDER_VALUES


def view(model: str, seed: int = 0, label: object = None, dims: list | None = None, values: list | None = None,
         n: str = "1") -> list:
    """explore_render's inputs: model, seed, class, truncation, samples, dims, raw values, direction amounts."""
    return [model, seed, label, 1.0, n, dims or [], *(values or ZEROS)]


def batch(*views: list) -> tuple:
    """Gradio's batch layout: one list per input, one entry per event."""
    return explore_views.render_views(*[list(column) for column in zip(*views, strict=True)])


def test_the_slider_event_is_batched_without_gradio_preprocessing():
    # preprocess=False is what keeps one session's dropdown choices from judging another's entry.
    assert SLIDER_RENDER["batch"] and SLIDER_RENDER["max_batch_size"] > 1 and not SLIDER_RENDER["preprocess"]
    assert not SLIDER_RENDER["postprocess"]  # ui.common.postprocessed_batch sends the outputs ready-made
    assert SLIDER_RENDER["concurrency_limit"] == 1


def test_a_batch_of_sessions_on_different_models_draws_each_like_a_single_render():
    uncond, cond = "dcgan-animals", "cdcgan-animals"
    dims_u = dimensions.default_dims(uncond, 4)
    dims_c = dimensions.default_dims(cond, 7, "cat")
    raw = [2.5] + dimensions.seed_values(uncond, 4, dims_u)[1:]
    moved = raw + ZEROS[len(raw):]
    views = [view(uncond, 4, None, dims_u, moved), view(cond, 7, "cat", dims_c), view(cond, 8, "dog", n="4")]
    images, readouts, infos = batch(*views)
    for v, image, readout, info in zip(views, images, readouts, infos, strict=True):
        alone, alone_readout, alone_info = explore_views.render_view(*v)
        assert np.abs(np.asarray(image, dtype=int) - np.asarray(alone, dtype=int)).max() <= 1
        assert info["seeds"] == alone_info["seeds"] and info["class"] == alone_info["class"]
        assert readout.startswith("**Seeds**") and not readout.startswith("⚠️")
    assert infos[0]["edits"] == {str(dims_u[0]): 2.5}  # the slider move reached the latent
    assert infos[1]["class"] == "cat" and infos[2]["n"] == 4


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (view("../../etc/passwd"), "paths are not accepted"),
        (view("dcgan-animals", seed=-5), "Seed must be in"),
        (view("dcgan-animals", dims=[5000]), "5000"),
        (view("dcgan-animals", dims={"a": 1}), "Slider dimensions must be a list"),
        (view("dcgan-animals", dims=[1], values=["x"] + ZEROS[1:]), "must be a number"),
        (view("dcgan-animals", seed=int("9" * 401)), "Seed must be in"),
        (view("dcgan-animals", dims=[1], values=[1e308] + ZEROS[1:]), "-100..100"),
        (view("dcgan-animals", dims=[float("inf")]), "finite"),
        (view("dcgan-animals", dims=[1], values=[float("nan")] + ZEROS[1:]), "finite"),
        (view("dcgan-animals", dims=[1], values=[10**400] + ZEROS[1:]), "too large"),
        (view({"path": "/etc/passwd"}), "Choose a model"),
        (view("cdcgan-animals", label="unicorn"), "unicorn"),
        (view("dcgan-animals", n="5"), "n must be one of"),
    ],
    ids=["path-id", "negative-seed", "dim-out-of-range", "dims-not-a-list", "slider-not-a-number", "seed-401-digits",
         "slider-1e308", "dims-inf", "slider-nan", "slider-10^400", "model-a-dict", "bad-class",
         "bad-n"],
)
def test_a_bad_entry_gets_its_own_message_and_the_rest_are_drawn(bad, message):
    good = view("dcgan-animals", 11)
    images, readouts, infos = batch(good, bad, good)
    assert readouts[1].startswith("⚠️") and message in readouts[1]
    assert images[1] == {"__type__": "update"} and infos[1] == {"__type__": "update"}  # gr.skip(): image kept
    for i in (0, 2):
        assert infos[i]["seeds"] == [11] and np.asarray(images[i]).ndim in (2, 3)


def join_and_wait(base: str, fn_index: int, data: list, session: str) -> dict:
    """One event the way the page sends it: POST /queue/join, then the session's SSE stream to its result."""
    with httpx.Client(base_url=base, timeout=60) as http:
        post = http.post("gradio_api/queue/join", json={"data": data, "event_data": None, "fn_index": fn_index,
                                                         "trigger_id": None, "session_hash": session})
        assert post.status_code == 200, post.text
        event_id = post.json()["event_id"]
        with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    message = json.loads(line[5:])
                    if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                        return message
    raise AssertionError("the stream ended without the event's result")


def test_the_page_route_answers_a_bad_slider_event_in_the_readout(app_url):
    config = httpx.get(f"{app_url}config", timeout=30).json()
    fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "explore_render")
    session = uuid.uuid4().hex
    bad = join_and_wait(app_url, fn_index, view("dcgan-animals", dims=[999]), session)
    assert bad["success"], bad  # no toast, no failed event: the message is in the readout
    assert bad["output"]["data"][1].startswith("⚠️") and "999" in bad["output"]["data"][1]
    dims = dimensions.default_dims("dcgan-animals", 21)
    good = join_and_wait(app_url, fn_index, view("dcgan-animals", 21, dims=dims), session)
    assert good["success"] and good["output"]["data"][2]["seeds"] == [21]
    # The image is postprocessed in the render thread (postprocess=False): Gradio must still serve it as the PNG
    # of exactly the image a direct render draws.
    served = httpx.get(good["output"]["data"][0]["url"], timeout=30)
    assert served.status_code == 200 and served.content.startswith(b"\x89PNG")
    expected, _, _ = batch(view("dcgan-animals", 21, dims=dims))
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(served.content))), np.squeeze(expected[0]))


@pytest.mark.parametrize("shape", [(40, 56), (40, 56, 3)])
def test_images_sent_ready_made_are_lossless_pngs_in_gradios_cache(shape):
    import gradio as gr

    from ui.common import postprocessed

    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    component = gr.Image(format="png")
    send = postprocessed(lambda: (image, image.copy()), [component, component])
    first, second = send()
    assert first["path"] == second["path"]  # named by content, as Gradio names its own files
    assert first["path"].startswith(str(Path(component.GRADIO_CACHE).resolve()))
    with Image.open(first["path"]) as saved:
        assert saved.format == "PNG"
        np.testing.assert_array_equal(np.asarray(saved), image)
