"""No client can fail, slow or starve another, through the real HTTP routes: a poisoned slider entry beside good
entries of other sessions in one Gradio batch, random hostile entries (hypothesis), a submission with the wrong
number of values, refusals as short messages with one log line and no traceback, and abandoned API submissions
that no longer hold a page user behind them."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from gan_models import render
from tests.conftest import wait_for
from tests.test_abuse import sse_call
from tests.test_slider_batch import ZEROS, batch, join_and_wait, view
from ui import explore_views, guard

MODEL = "dcgan-animals"
GOOD_SEEDS = [31, 32, 33, 34]

HOSTILE_VALUES = st.one_of(
    st.integers(min_value=10**20, max_value=10**420), st.integers(max_value=-1, min_value=-10**30),
    st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e308, -1e308]),
    st.text(max_size=30), st.none(), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3),
                                                                                          st.integers(), max_size=2),
    st.sampled_from(["no-such-model", "../../etc/passwd", "a" * 3000, "org/x@../y", {"path": "/etc/passwd"}]),
)


@st.composite
def hostile_entry(draw) -> list:
    """A good slider entry with one or more fields replaced by hostile values."""
    entry = view(MODEL, 5, dims=[0, 1])
    for index in draw(st.lists(st.integers(0, len(entry) - 1), min_size=1, max_size=4, unique=True)):
        entry[index] = draw(HOSTILE_VALUES)
    return entry


def _is_good(entry: list) -> bool:
    """Whether a mutated entry happens to be valid after all (e.g. a label of None)."""
    _, readouts, _ = batch(entry)
    return not readouts[0].startswith("⚠️")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(hostile_entry(), min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_property_hostile_entries_never_touch_good_ones(hostile, rnd):
    goods = [view(MODEL, s) for s in GOOD_SEEDS]
    entries = goods + hostile
    rnd.shuffle(entries)
    images, readouts, infos = batch(*entries)
    for entry, image, readout, info in zip(entries, images, readouts, infos, strict=True):
        if any(entry is g for g in goods):
            assert not readout.startswith("⚠️"), readout
            assert info["seeds"] == [entry[1]] and image is not None
        elif readout.startswith("⚠️"):  # a bad entry: its own short message, never the internal-error one
            assert len(readout) <= guard.MESSAGE_LIMIT + 3 and "Internal error" not in readout, readout
            assert info == {"__type__": "update"}


def join(base: str, fn_index: int, data: list, session: str) -> dict:
    """join_and_wait, with the body sent as Python's json writes it: Infinity and NaN included, as an attacker
    can send them (httpx's json= refuses to)."""
    body = json.dumps({"data": data, "event_data": None, "fn_index": fn_index, "trigger_id": None,
                       "session_hash": session})
    with httpx.Client(base_url=base, timeout=120) as http:
        post = http.post("gradio_api/queue/join", content=body, headers={"content-type": "application/json"})
        assert post.status_code == 200, post.text
        event_id = post.json()["event_id"]
        with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    message = json.loads(line[5:])
                    if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                        return message
    raise AssertionError("the stream ended without the event's result")


def _fn_index(base: str, api_name: str) -> int:
    config = httpx.get(f"{base}config", timeout=30).json()
    return next(d["id"] for d in config["dependencies"] if d.get("api_name") == api_name)


def _slider_queue() -> int:
    from app import demo

    queue = demo._queue.event_queue_per_concurrency_id.get("slider")
    return 0 if queue is None else len(queue.queue)


def run_one_batch(base: str, monkeypatch, entries: list[list]) -> list[dict]:
    """Send `entries` (each from its own session) so that Gradio hands them to ONE call of the batched
    slider event: a first render is held in the render thread until all of them are queued behind it."""
    fn_index = _fn_index(base, "explore_render")
    original = render.generate_batch
    gate, held = threading.Event(), threading.Event()
    sizes: list[int] = []

    def gated(calls, captions=True):
        sizes.append(len(calls))
        if len(sizes) == 1:
            held.set()
            gate.wait(60)
        return original(calls, captions)

    monkeypatch.setattr(render, "generate_batch", gated)
    with ThreadPoolExecutor(len(entries) + 1) as pool:
        blocker = pool.submit(join_and_wait, base, fn_index, view(MODEL, 1), uuid.uuid4().hex)
        assert held.wait(60)
        futures = [pool.submit(join, base, fn_index, e, uuid.uuid4().hex) for e in entries]
        wait_for(lambda: _slider_queue() >= len(entries), 60, f"all {len(entries)} entries to reach the queue",
                 poll=0.02)
        gate.set()
        assert blocker.result()["success"]
        results = [f.result() for f in futures]
    assert len(sizes) == 2, sizes  # the blocker, then everything else in one batch
    return results


def test_a_poisoned_entry_beside_good_entries_of_other_sessions_in_one_batch(app_url, monkeypatch):
    goods = [view(MODEL, s) for s in GOOD_SEEDS]
    poisoned = [view(MODEL, int("9" * 401)), view(MODEL, dims=[1], values=[1e308] + ZEROS[1:]),
                view(MODEL, dims=[float("inf")]), view(MODEL, dims=[1], values=[10**400] + ZEROS[1:])]
    entries = [goods[0], poisoned[0], goods[1], poisoned[1], goods[2], poisoned[2], goods[3], poisoned[3]]
    results = run_one_batch(app_url, monkeypatch, entries)
    for entry, message in zip(entries, results, strict=True):
        assert message["success"], message  # nobody's event fails
        readout = message["output"]["data"][1]
        if entry in goods:
            assert message["output"]["data"][2]["seeds"] == [entry[1]], readout
        else:
            assert readout.startswith("⚠️") and "Internal error" not in readout and len(readout) <= 203, readout


@settings(max_examples=4, deadline=None, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.filter_too_much])
@given(st.lists(hostile_entry(), min_size=1, max_size=4))
def test_property_hostile_entries_through_the_page_route(app_url, monkeypatch, hostile):
    # File references are refused before queueing (HTTP 400, tests/test_uploads.py): here, entries that queue.
    hostile = [h for h in hostile if guard._file_problem(h) is None]
    assume(hostile)
    goods = [view(MODEL, s) for s in GOOD_SEEDS[:2]]
    results = run_one_batch(app_url, monkeypatch, [goods[0], *hostile, goods[1]])
    for message, seed in ((results[0], GOOD_SEEDS[0]), (results[-1], GOOD_SEEDS[1])):
        assert message["success"] and message["output"]["data"][2]["seeds"] == [seed], message
    for message in results[1:-1]:
        assert message["success"], message
        readout = message["output"]["data"][1]
        assert "Internal error" not in str(readout)


def test_a_submission_with_the_wrong_number_of_values_is_refused_before_it_joins_a_batch(app_url):
    for data in ([MODEL, 1, None], "not a list", [*view(MODEL), "extra"]):
        response = httpx.post(f"{app_url}gradio_api/queue/join", timeout=30,
                              json={"data": data, "event_data": None, "fn_index": _fn_index(app_url, "explore_render"),
                                    "trigger_id": None, "session_hash": uuid.uuid4().hex})
        assert response.status_code in (400, 422), response.text
        if response.status_code == 400:
            assert "input values" in response.json()["detail"]


def test_a_refusal_is_short_and_logs_one_line_without_a_traceback(app_url, capsys):
    import logging

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    guard.log.addHandler(handler)
    capsys.readouterr()
    try:
        status, text = sse_call(app_url, "generate", {"data": ["a" * 5000, 0, "", 1.0, {}, 1]})
        assert status == 200 and "event: error" in text
        message = text.split("data:", 1)[1]
        assert "(5002 characters)" in message and len(message) < guard.MESSAGE_LIMIT + 60, message
        status, text = sse_call(app_url, "generate", {"data": [MODEL, int("9" * 401), "", 1.0, {}, 1]})
        assert "Seed must be in" in text
    finally:
        guard.log.removeHandler(handler)
    refused = [r for r in records if r.getMessage().startswith("refused generate")]
    assert len(refused) == 2 and all(r.exc_info is None and "\n" not in r.getMessage() for r in refused), records
    assert "Traceback" not in capsys.readouterr().err  # Gradio printed none either


def test_page_events_are_reachable_by_index_so_they_validate_like_the_api(app_url):
    """api_visibility="private" hides an event from the docs, not from HTTP clients: the browser's own
    /queue/join route reaches it by fn_index, so the page's events refuse bad values with a message."""
    message = join_and_wait(app_url, _fn_index(app_url, "explore_seed"), [MODEL, int("9" * 401), None, 1.0, "1"],
                            uuid.uuid4().hex)
    error = str(message["output"]["error"])
    assert not message["success"] and "(401 characters)" in error and len(error) <= guard.MESSAGE_LIMIT, message


def test_abandoned_api_submissions_do_not_hold_a_page_user(app_url):
    """Interpolations submitted over /call whose streams are never read, until one is refused: at most
    API_QUEUE_PLACES of them are queued (the rest answered 503), and a page user's model pick is served while they
    still wait. (Submitting until refused, not a fixed count: on a busy machine the workers may keep pace with
    sixty slow submissions.)"""
    from app import demo

    codes: list[int] = []
    with httpx.Client(timeout=60) as http:
        for i in range(400):
            codes.append(http.post(f"{app_url}gradio_api/call/interpolate_gif",
                                   json={"data": [MODEL, i, i + 1, "", "", 64, "slerp"]}).status_code)
            if codes[-1] != 200:
                break
        queued = len(demo._queue.event_queue_per_concurrency_id["api"].queue)
        assert set(codes) <= {200, 503} and 503 in codes and queued <= guard.API_QUEUE_PLACES, (codes, queued)
        picked = join_and_wait(app_url, _fn_index(app_url, "explore_model"), [MODEL, 0, 1.0, "1"], uuid.uuid4().hex)
        waiting = len(demo._queue.event_queue_per_concurrency_id["api"].queue)
    assert picked["success"], picked
    assert waiting > 0, "the abandoned submissions had all run before the page user was served"
    wait_for(lambda: len(demo._queue) == 0, 600, "the abandoned submissions to drain from the queue", poll=0.2)


def test_unit_render_views_takes_any_columns():
    assert explore_views.render_views() == ([], [], [])


@pytest.fixture(autouse=True)
def _no_gate_left(monkeypatch):
    yield
