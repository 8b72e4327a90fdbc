"""Abuse through the public API: a table of hostile inputs, each of which must get a clear error (the
message is asserted), leak no traceback or server internals to the client, and leave the server answering
the next normal request. Hostile model *files* (pickles, lying safetensors headers, absurd configs) reach
the app through a Hub id, so they are served from a hand-made offline HF cache; the same files also go
through the registry's folder loader directly. Also proves the queue/launch settings app.py relies on."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import torch
from gradio_client.exceptions import AppError

from gan_models import registry
from gan_models.conditional import ConditionalGenerator
from gan_models.dcgan import DCGANConfig
from gan_models.registry import ModelLoadError, load_from_folder
from tests.conftest import wait_for
from tests.test_render import shipped_or_tiny

LEAK_MARKERS = ("Traceback", 'File "', '.py", line', "site-packages", "/work/")
COMMIT = "fedcba9876543210fedcba9876543210fedcba98"


@pytest.fixture(scope="module")
def ids() -> Iterator[tuple[str, str]]:
    with pytest.MonkeyPatch.context() as mp:
        yield shipped_or_tiny(mp)


def tiny_folder(path: Path) -> Path:
    """A valid tiny conditional checkpoint folder (config.json + model.safetensors) to make hostile."""
    torch.manual_seed(0)
    config = DCGANConfig(latent_dim=8, base_channels=4, d_base_channels=4, num_classes=3,
                         class_names=["c0", "c1", "c2"], embed_dim=4)
    ConditionalGenerator(config).save_pretrained(path)
    return path


def assert_no_leak(text: str) -> None:
    for marker in LEAK_MARKERS:
        assert marker not in text, f"server internals leaked to the client: {text[:300]!r}"


def assert_still_serving(base: str, model: str) -> None:
    """The next normal request after an abusive one is answered correctly. Over the browser's raw
    HTTP+SSE route: gradio_client would add its polling and an image download to every case."""
    status, text = sse_call(base, "generate", {"data": [model, 3, "", 1.0, {}, 1]})
    assert status == 200 and "event: complete" in text, text[:300]
    info = json.loads(text.split("data:", 1)[1])[1]
    assert info["seeds"] == [3] and len(info["d_prob"]) == 1


# ---------------------------------------------------------------------------------------------
# The table: (api_name, args, expected message). "U"/"C" stand for the unconditional/conditional model.
# ---------------------------------------------------------------------------------------------

G = "/generate"
I = "/interpolate_gif"  # noqa: E741 - short on purpose: the table stays one line per case
T = "/train_sine"
PATH = "paths are not accepted"
BAD_ID = "Invalid model id"


def gen(model: object = "U", seed: object = 0, label: object = "", trunc: object = 1.0, edits: object = None,
        n: object = 1) -> tuple:
    return (model, seed, label, trunc, {} if edits is None else edits, n)


def interp(model: object = "U", sa: object = 1, sb: object = 2, la: object = "", lb: object = "",
           frames: object = 4, method: object = "slerp") -> tuple:
    return (model, sa, sb, la, lb, frames, method)


def train(target: object = "sine", n_ideas: object = 2, steps: object = 20, batch: object = 8, lr_g: object = 1e-3,
          lr_d: object = 1e-3, seed: object = 0, device: object = "cpu") -> tuple:
    return (target, n_ideas, steps, batch, lr_g, lr_d, seed, device)


CASES: list[tuple[str, str, tuple, str]] = [
    # model ids: paths, URLs, unicode, control characters, absurd lengths
    ("id-traversal", G, gen("../../etc/passwd"), PATH),
    ("id-absolute", G, gen("/etc/passwd"), PATH),
    ("id-backslash", G, gen("..\\..\\windows\\win.ini"), PATH),
    ("id-home", G, gen("~/.ssh/id_rsa"), PATH),
    ("id-drive", G, gen("C:\\x"), PATH),
    ("id-rev-traversal", G, gen("org/name@../../x"), PATH),
    ("id-file-url", G, gen("file:///etc/passwd"), PATH),
    ("id-ssrf-url", G, gen("http://169.254.169.254/latest/meta-data"), PATH),
    ("id-empty", G, gen(""), "Choose a model"),
    ("id-blank", G, gen("   "), "Choose a model"),
    ("id-unicode", G, gen("ünïcødé-mödel"), BAD_ID),
    ("id-emoji", G, gen("😀/💀"), BAD_ID),
    ("id-nul", G, gen("dcgan\x00animals"), BAD_ID),
    ("id-newline", G, gen("dcgan-animals\nrm -rf /"), BAD_ID),
    ("id-huge", G, gen("a" * 5000), BAD_ID),
    ("id-three-parts", G, gen("a/b/c"), BAD_ID),
    ("id-not-a-model", G, gen("classifiers"), "Unknown model"),
    ("id-unknown", G, gen("no-such-model"), "Unknown model"),
    ("id-hub-uncached", G, gen("org/not-cached-anywhere"), "no network connection"),
    # seeds: NaN/inf arrive as strings (JSON has neither), negatives, huge, fractional, wrong types
    ("seed-nan", G, gen(seed="nan"), "Seed must be"),
    ("seed-inf", G, gen(seed="inf"), "Seed must be"),
    ("seed-minus-inf", G, gen(seed="-inf"), "Seed must be"),
    ("seed-negative", G, gen(seed=-1), "Seed must be in"),
    ("seed-2^32", G, gen(seed=2**32), "Seed must be in"),
    ("seed-1e308", G, gen(seed=1e308), "Seed must be in"),
    ("seed-fraction", G, gen(seed=1.5), "whole number"),
    ("seed-text", G, gen(seed="abc"), "Seed must be"),
    # truncation
    ("trunc-nan", G, gen(trunc="nan"), "Truncation"),
    ("trunc-inf", G, gen(trunc="inf"), "Truncation"),
    ("trunc-negative", G, gen(trunc=-1), "Truncation"),
    ("trunc-huge", G, gen(trunc=1e9), "Truncation"),
    ("trunc-list", G, gen(trunc=[1, 2]), "Truncation"),
    # edits
    ("edits-nan-json", G, gen(edits='{"0": NaN}'), "finite"),
    ("edits-inf-string", G, gen(edits={"0": "Infinity"}), "finite"),
    ("edits-overflow-json", G, gen(edits='{"0": 1e400}'), "finite"),
    ("edits-dim-huge", G, gen(edits={"999999": 1}), "out of range"),
    ("edits-dim-negative", G, gen(edits={"-1": 1}), "out of range"),
    ("edits-unknown-direction", G, gen(edits={"pc99": 1}), "Unknown edit"),
    ("edits-dunder", G, gen(edits={"__class__": 1}), "Unknown edit"),
    ("edits-json-list", G, gen(edits="[1, 2, 3]"), "JSON object"),
    ("edits-not-json", G, gen(edits="{not json"), "JSON object"),
    ("edits-text-value", G, gen(edits={"0": "abc"}), "must be a number"),
    ("edits-10k-keys", G, gen(edits={str(i): 0.0 for i in range(10_000)}), "Too many edits"),
    # numbers no float holds (401 digits), or floats the float32 latent cannot hold: formerly {"error": null}
    ("seed-401-digits", G, gen(seed=int("9" * 401)), "Seed must be in"),
    ("trunc-401-digits", G, gen(trunc=int("9" * 401)), "Truncation"),
    ("n-401-digits", G, gen(n=int("9" * 401)), "n must be"),
    ("edits-401-digits", G, gen(edits={"0": int("9" * 401)}), "too large"),
    ("edits-1e308", G, gen(edits={"0": 1e308}), "-100..100"),
    ("edits-direction-1e308", G, gen(edits={"pc0": -1e308}), "-100..100"),
    ("frames-401-digits", I, interp(frames=int("9" * 401)), "Frames"),
    ("seed-a-401-digits", I, interp(sa=int("9" * 401)), "Seed"),
    # n (images per request)
    ("n-huge", G, gen(n=1000), "n must be"),
    ("n-10^20", G, gen(n=10**20), "n must be"),
    ("n-negative", G, gen(n=-4), "n must be"),
    ("n-zero", G, gen(n=0), "n must be"),
    ("n-nan", G, gen(n="nan"), "n must be"),
    ("n-inf", G, gen(n="inf"), "n must be"),
    ("n-fraction", G, gen(n=2.5), "n must be"),
    # labels
    ("label-unknown", G, gen("C", label="unicorn"), "not one of"),
    ("label-index-high", G, gen("C", label="99"), "not one of"),
    ("label-index-negative", G, gen("C", label="-1"), "not one of"),
    ("label-path", G, gen("C", label="../../etc/passwd"), "not one of"),
    ("label-on-unconditional", G, gen("U", label="cat"), "unconditional"),
    # interpolation
    ("frames-huge", I, interp(frames=10**6), "Frames"),
    ("frames-one", I, interp(frames=1), "Frames"),
    ("frames-negative", I, interp(frames=-5), "Frames"),
    ("frames-nan", I, interp(frames="nan"), "Frames"),
    ("method-unknown", I, interp(method="cubic"), "Method"),
    ("method-code", I, interp(method="__import__('os').system('id')"), "Method"),
    ("seed-a-inf", I, interp(sa="inf"), "Seed"),
    ("seed-b-negative", I, interp(sb=-1), "Seed"),
    ("interp-id-traversal", I, interp("../checkpoints/../../etc"), PATH),
    # training: every cap holds before a run slot is taken
    ("train-steps-huge", T, train(steps=10**9), "steps"),
    ("train-steps-negative", T, train(steps=-3), "steps"),
    ("train-batch-huge", T, train(batch=10**7), "batch"),
    ("train-ideas-negative", T, train(n_ideas=-1), "n_ideas"),
    ("train-lr-nan", T, train(lr_g="nan"), "learning rate"),
    ("train-lr-text", T, train(lr_d="fast"), "Learning rates must be numbers"),
    ("train-device", T, train(device="cuda:99"), "Unknown device"),
    ("train-target-path", T, train(target="../../etc/passwd"), "Unknown target"),
    ("train-seed-inf", T, train(seed="inf"), "whole number"),
    ("train-steps-401-digits", T, train(steps=int("9" * 401)), "steps"),
    ("train-batch-inf", T, train(batch="inf"), "batch"),
    ("train-lr-401-digits", T, train(lr_g=int("9" * 401)), "learning rate|Learning rate"),
    ("train-lr-inf", T, train(lr_d="inf"), "learning rate|Learning rate"),
]


@pytest.mark.parametrize(("api", "args", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error_and_the_server_keeps_serving(client, ids, api, args, message):
    uncond, cond = ids
    args = tuple({"U": uncond, "C": cond}.get(a, a) if isinstance(a, str) else a for a in args)
    with pytest.raises(AppError, match=message) as caught:
        client.predict(*args, api_name=api)
    assert_no_leak(str(caught.value))
    assert_still_serving(client.src, uncond)


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 40 and len({c[0] for c in CASES}) == len(CASES)


# ---------------------------------------------------------------------------------------------
# Below gradio_client: malformed requests on the raw HTTP routes
# ---------------------------------------------------------------------------------------------


def sse_call(base: str, api: str, body: object, raw: bytes | None = None) -> tuple[int, str]:
    """POST /gradio_api/call/<api> then read its SSE stream; -> (status of the POST, full text seen)."""
    with httpx.Client(timeout=60) as http:
        url = f"{base}gradio_api/call/{api}"
        if raw is not None:
            post = http.post(url, content=raw, headers={"content-type": "application/json"})
        else:
            post = http.post(url, json=body)
        if post.status_code != 200:
            return post.status_code, post.text
        event_id = post.json()["event_id"]
        return 200, http.get(f"{url}/{event_id}").text


@pytest.mark.parametrize(
    ("body", "raw"),
    [
        ({"data": [1, 2]}, None),  # too few inputs
        ({"data": ["x"] * 50}, None),  # too many inputs
        ({"data": "not a list"}, None),
        ({"nodata": True}, None),
        (None, b"{this is not json"),
        (None, b"[" * 5000 + b"]" * 5000),  # deeply nested JSON
    ],
    ids=["too-few", "too-many", "data-not-list", "no-data", "not-json", "deep-nesting"],
)
def test_malformed_requests_are_refused_without_leaks(app_url, client, ids, body, raw):
    status, text = sse_call(app_url, "generate", body, raw)
    assert status in (200, 400, 422) and ("event: error" in text or status != 200), text[:300]
    assert_no_leak(text)
    assert_still_serving(client.src, ids[0])


# ---------------------------------------------------------------------------------------------
# Hostile model files: built in a folder, served as a Hub repo from an offline cache
# ---------------------------------------------------------------------------------------------


class _Payload:
    """A pickle that creates a file when unpickled: proof of code execution if any loader runs it."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self):
        return (open, (str(self.sentinel), "w"))


def _lying_header(folder: Path, header: dict, data: bytes = b"\0" * 16, length: int | None = None) -> None:
    blob = json.dumps(header).encode()
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(blob) if length is None else length) + blob + data)


def _patch_config(folder: Path, **patch: object) -> None:
    cfg = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**cfg, **patch}))


def make_hostile(kind: str, folder: Path, sentinel: Path) -> None:
    """Turn a valid tiny checkpoint folder into one hostile variant."""
    weights = folder / "model.safetensors"
    if kind == "pickle-only":
        weights.unlink()
        torch.save({"w": _Payload(sentinel)}, folder / "pytorch_model.bin")
    elif kind == "pickle-named-safetensors":
        torch.save({"w": _Payload(sentinel)}, weights)
    elif kind == "header-huge-shape":
        _lying_header(folder, {"net.0.weight": {"dtype": "F32", "shape": [100_000, 100_000], "data_offsets": [0, 16]}})
    elif kind == "header-offsets-past-end":
        _lying_header(folder, {"net.0.weight": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 64]}})
    elif kind == "header-length-2^60":
        _lying_header(folder, {}, length=2**60)
    elif kind == "truncated":
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    elif kind == "config-latent-1e9":
        _patch_config(folder, latent_dim=10**9)
    elif kind == "config-image-size-1e6":
        _patch_config(folder, image_size=10**6)
    elif kind == "config-classes-1e9":
        _patch_config(folder, num_classes=10**9)
    elif kind == "config-1mb":
        _patch_config(folder, dataset="x" * 2**20)
    elif kind == "config-not-object":
        (folder / "config.json").write_text("[1, 2, 3]")
    else:  # pragma: no cover - the table below names every kind
        raise AssertionError(kind)


HOSTILE = {
    "pickle-only": r"model\.safetensors",
    "pickle-named-safetensors": "not a readable safetensors",
    "header-huge-shape": "not a readable safetensors",
    "header-offsets-past-end": "not a readable safetensors",
    "header-length-2^60": "not a readable safetensors",
    "truncated": "not a readable safetensors",
    "config-latent-1e9": "Invalid model config",
    "config-image-size-1e6": "Invalid model config",
    "config-classes-1e9": "Invalid model config",
    "config-1mb": "larger than",
    "config-not-object": "Invalid model config",
}


@pytest.mark.parametrize(("kind", "message"), sorted(HOSTILE.items()))
def test_hostile_folder_is_refused_by_the_loader(tmp_path, kind, message):
    folder = tiny_folder(tmp_path / "m")
    sentinel = tmp_path / "pwned"
    make_hostile(kind, folder, sentinel)
    with pytest.raises(ModelLoadError, match=message):
        load_from_folder(folder)
    assert not sentinel.exists(), "a pickle in the model folder was executed"


@pytest.fixture
def hostile_hub(tmp_path, monkeypatch) -> Path:
    """An offline HF cache (read by the in-process server) with one repo per hostile kind:
    models--evil--<kind>/snapshots/<commit>/..."""
    import huggingface_hub.constants as hf_constants

    cache = tmp_path / "hub"
    for kind in HOSTILE:
        repo = cache / f"models--evil--{kind.replace('^', '')}"
        snapshot = tiny_folder(repo / "snapshots" / COMMIT)
        make_hostile(kind, snapshot, tmp_path / "pwned")
        (repo / "refs").mkdir(parents=True)
        (repo / "refs" / "main").write_text(COMMIT)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    registry.clear_cache()
    yield tmp_path
    registry.clear_cache()


def test_hostile_hub_repos_are_refused_through_the_public_api(client, ids, hostile_hub):
    for kind, message in sorted(HOSTILE.items()):
        with pytest.raises(AppError) as caught:
            client.predict(f"evil/{kind.replace('^', '')}", 0, "", 1.0, {}, 1, api_name="/generate")
        text = str(caught.value)
        # The file-level message is the registry's; offline, a missing weights file reads "Cannot download".
        assert any(word in text for word in (message.replace("\\", ""), "Cannot download")), (kind, text)
        assert "Traceback" not in text and 'File "' not in text
    assert not (hostile_hub / "pwned").exists(), "a pickle from a Hub repo was executed"
    assert_still_serving(client.src, ids[0])


# ---------------------------------------------------------------------------------------------
# The queue and launch settings app.py relies on
# ---------------------------------------------------------------------------------------------


def test_queue_settings_hold():
    from app import demo, launch_kwargs

    assert demo.api_open is False  # /gradio_api/run/* would bypass the queue and every limit
    assert demo._queue.max_size and demo._queue.max_size <= 256
    assert demo.delete_cache and demo.delete_cache[1] <= 3600  # rendered images leave the cache within the hour
    kwargs = launch_kwargs()
    assert kwargs["enable_monitoring"] is False and kwargs["max_file_size"]
    assert kwargs["state_session_capacity"] <= 1000  # 1-2.5 MB of RSS per session: memory stays bounded
    # The queue's analytics keep 100 events, not 10,000, and no per-event pandas summary is rebuilt.
    assert demo._queue.ANALYTICS_MAX_EVENTS <= 100 and demo._queue.ANAYLTICS_CACHE_FREQUENCY >= 10**6
    groups: dict[str, set[str]] = {}
    for fn in demo.fns.values():
        if fn.api_name:
            groups.setdefault(str(fn.concurrency_id), set()).add(fn.api_name)
    render = next(g for g in groups.values() if "generate" in g)
    assert "train_sine" not in render and "interpolate" in render  # renders never wait behind training


def test_a_full_queue_answers_503_and_the_server_keeps_serving(app_url, ids):
    """More simultaneous events than the queue holds: the extra ones get HTTP 503 "Queue is full" at once (the
    correct answer: bounded memory, the client may retry), the accepted ones all finish, and then the server
    answers a normal request."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from app import demo

    async def flood(count: int) -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=app_url, timeout=120, limits=limits) as http:
            body = {"data": [ids[1], 0, 1, "", "", 64, "slerp"]}  # 64-frame interpolations: slow enough to pile up
            return await asyncio.gather(*[http.post("gradio_api/call/interpolate_gif", json=body)
                                          for _ in range(count)])

    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        responses = pool.submit(asyncio.run, flood(3 * demo._queue.max_size)).result()
    codes = [r.status_code for r in responses]
    assert set(codes) == {200, 503}, codes
    assert all("Queue is full" in r.text for r in responses if r.status_code == 503)
    # Nothing was lost: every accepted event finishes (its result waits on the /call stream).
    with httpx.Client(base_url=app_url, timeout=120) as http:
        for response in [r for r in responses if r.status_code == 200][:5]:
            text = http.get(f"gradio_api/call/interpolate_gif/{response.json()['event_id']}").text
            assert "event: complete" in text, text[:300]
    wait_for(lambda: len(demo._queue) == 0, 120, "the flooded queue to drain")
    assert_still_serving(app_url, ids[0])


def test_malloc_arenas_are_capped_on_glibc(monkeypatch):
    import platform
    import sys

    from app import limit_malloc_arenas

    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    glibc = sys.platform == "linux" and platform.libc_ver()[0] == "glibc"
    assert limit_malloc_arenas() is glibc
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")  # an operator's own setting wins
    assert limit_malloc_arenas() is False


def test_run_route_is_closed(app_url):
    """With api_open=False the queue-bypassing route is gone; the queued one still answers."""
    with httpx.Client(timeout=30) as http:
        run = http.post(f"{app_url}gradio_api/run/generate", json={"data": ["x", 0, "", 1.0, {}, 1]})
        assert run.status_code in (403, 404, 405)
        assert http.get(f"{app_url}monitoring").status_code in (403, 404)


def test_a_render_is_not_held_behind_full_training_slots(client, ids):
    """Both training slots busy (two sessions); a render still completes while they run."""
    from gradio_client import Client

    from training.limits import RUNS

    runs = []
    for _ in range(RUNS.max_concurrent):
        other = Client(client.src, verbose=False)  # a session per run: one run per session
        runs.append(other.submit("sine", 5, 100_000, 64, 1e-4, 1e-4, 0, "cpu", api_name="/train_sine"))
    try:
        for job in runs:  # wait for each run to stream its first record: both slots are held
            for _ in job:
                break
        assert RUNS.active() == RUNS.max_concurrent
        _, info = client.predict(ids[0], 11, "", 1.0, {}, 1, api_name="/generate")
        assert info["seeds"] == [11]
        assert RUNS.active() == RUNS.max_concurrent and not any(job.done() for job in runs)
    finally:
        for job in runs:
            job.cancel()
    wait_for(lambda: RUNS.active() == 0, 30, "the cancelled runs to free their training slots")

