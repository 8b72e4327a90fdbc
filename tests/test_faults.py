"""Faults the app must survive: a client vanishing mid-training, a cancelled interpolation, corrupted or
truncated weights on disk, a Hub download failing midway, and SIGTERM to `python app.py` during a run.
Conditions are awaited with conftest's `wait_for` (a bound on how long a hang may last, not a speed test)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import torch
from gradio_client.exceptions import AppError
from safetensors.torch import load_file, save_file

from gan_models import registry
from gan_models.registry import ModelLoadError, load_from_folder
from tests.conftest import wait_for
from training.limits import RUNS

ROOT = Path(__file__).resolve().parents[1]
LONG_RUN = {"data": ["sine", 5, 100_000, 64, 1e-4, 1e-4, 0, "cpu"]}  # far longer than any test waits


def first_training_record(http: httpx.Client, base: str) -> httpx.Response:
    """Start a long sine run over the HTTP+SSE route; return the open stream after its first record."""
    event_id = http.post(f"{base}gradio_api/call/train_sine", json=LONG_RUN).json()["event_id"]
    request = http.build_request("GET", f"{base}gradio_api/call/train_sine/{event_id}")
    stream = http.send(request, stream=True)
    for line in stream.iter_lines():
        if line.startswith("data:") and '"step"' in line:
            return stream
        assert not line.startswith("event: error"), line
    raise AssertionError("the run ended before its first record")


# ---------------------------------------------------------------------------------------------
# Client faults against the in-process app
# ---------------------------------------------------------------------------------------------


def test_client_disconnect_mid_training_stops_the_run_and_frees_its_slot(app_url, client):
    wait_for(lambda: RUNS.active() == 0, 60, "no run from an earlier test")
    with httpx.Client(timeout=60) as http:
        stream = first_training_record(http, app_url)
        assert RUNS.active() == 1
        stream.close()  # the client vanishes: no cancel request, just a dropped connection
    wait_for(lambda: RUNS.active() == 0, 60, "the slot to be freed after the disconnect")
    # The slot really is free: a new run starts and finishes.
    assert client.predict("sine", 2, 20, 8, 1e-3, 1e-3, 0, "cpu", api_name="/train_sine")["done"]


def test_cancel_during_interpolation_leaves_the_server_serving(client):
    from gradio_client import Client

    model = registry.list_models()[0]["id"]
    other = Client(client.src, verbose=False)
    jobs = [other.submit(model, s, s + 1, "", "", 64, "slerp", api_name="/interpolate") for s in range(3)]
    wait_for(lambda: any(j.status().code.name in ("PROCESSING", "ITERATING") for j in jobs) or jobs[0].done(),
             60, "an interpolation to start")
    for job in jobs:
        job.cancel()
    wait_for(lambda: all(j.done() for j in jobs), 60, "cancelled jobs to finish")
    # Whatever the cancelled jobs were doing, the next interpolation is whole and correct.
    gif, strip = client.predict(model, 1, 2, "", "", 4, "lerp", api_name="/interpolate_gif")
    assert Path(gif).read_bytes()[:3] == b"GIF" and Path(strip).stat().st_size > 0


# ---------------------------------------------------------------------------------------------
# Broken files and downloads
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def checkpoint_copy(tmp_path) -> Path:
    """A copy of a shipped checkpoint folder (the real files, not a stand-in), safe to damage."""
    shipped = [m["id"] for m in registry.list_models()]
    assert shipped, (f"no loadable checkpoint under {registry.CHECKPOINTS_DIR}: the shipped checkpoints are "
                     "committed to git, so the checkout is incomplete or a config.json is broken")
    return Path(shutil.copytree(registry.CHECKPOINTS_DIR / shipped[0], tmp_path / shipped[0]))


def _corrupt(kind: str, folder: Path) -> None:
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    if kind == "truncated-half":
        del data[len(data) // 2 :]
    elif kind == "truncated-to-header":
        del data[8 + int.from_bytes(data[:8], "little") :]
    elif kind == "empty":
        data = bytearray()
    elif kind == "header-bytes-flipped":
        for i in range(8, 40):
            data[i] ^= 0xFF
    elif kind == "non-finite-weights":
        state = load_file(str(weights))
        first = sorted(state)[0]
        state[first] = torch.full_like(state[first], float("nan"))
        save_file(state, str(weights))
        return
    weights.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("kind", "message"),
    [("truncated-half", "not a readable safetensors"), ("truncated-to-header", "not a readable safetensors"),
     ("empty", "not a readable safetensors"), ("header-bytes-flipped", "not a readable safetensors"),
     ("non-finite-weights", "NaN or infinite")],
)
def test_corrupted_weights_on_disk_are_refused(checkpoint_copy, kind, message):
    assert load_from_folder(checkpoint_copy).generator is not None  # intact copy loads
    _corrupt(kind, checkpoint_copy)
    with pytest.raises(ModelLoadError, match=message):
        load_from_folder(checkpoint_copy)


@pytest.fixture
def flaky_hub(checkpoint_copy, monkeypatch) -> dict:
    """hf_hub_download served from a local checkpoint folder; set "fail" to a filename to break it."""
    import huggingface_hub

    state: dict = {"fail": None, "error": None, "calls": []}

    def fake_download(repo_id: str, filename: str, revision: str | None = None, **_: object) -> str:
        state["calls"].append(filename)
        if filename == state["fail"]:
            raise state["error"]
        path = checkpoint_copy / filename
        if not path.is_file():
            from huggingface_hub.errors import EntryNotFoundError

            raise EntryNotFoundError(f"{filename} not found")
        return str(path)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    registry.clear_cache()
    yield state
    registry.clear_cache()


@pytest.mark.parametrize(
    "error",
    [OSError("Connection reset by peer"), httpx.RemoteProtocolError("peer closed connection mid-body"),
     httpx.ReadTimeout("read timed out")],
    ids=["os-error", "protocol-error", "read-timeout"],
)
def test_hub_download_failing_midway_is_a_clear_error_then_recovers(client, flaky_hub, error):
    flaky_hub.update(fail="model.safetensors", error=error)
    with pytest.raises(AppError, match=r"model\.safetensors|Could not load model") as caught:
        client.predict("org/flaky-gan", 0, "", 1.0, {}, 1, api_name="/generate")
    assert "Traceback" not in str(caught.value)
    assert flaky_hub["calls"][:2] == ["config.json", "model.safetensors"]  # config checked before weights
    # The failure is not cached: once the network is back the same id loads and renders.
    flaky_hub.update(fail=None)
    _, info = client.predict("org/flaky-gan", 0, "", 1.0, {}, 1, api_name="/generate")
    assert info["model"] == "org/flaky-gan" and info["seeds"] == [0]


# ---------------------------------------------------------------------------------------------
# SIGTERM to the real entry point
# ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served_app(tmp_path_factory) -> Iterator[tuple[subprocess.Popen, str]]:
    """`python app.py` as a deployment runs it (PORT from the environment), with its own launch options."""
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1",
           "GRADIO_TEMP_DIR": str(tmp_path_factory.mktemp("gradio"))}
    log = tmp_path_factory.mktemp("log") / "app.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"

    def up() -> bool:
        assert proc.poll() is None, log.read_text()
        try:
            return httpx.get(f"{base}gradio_api/info", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, 300, "app.py to serve")  # imports take minutes on a loaded box
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.log = log.read_text()  # type: ignore[attr-defined]


def test_served_app_refuses_big_uploads_and_monitoring(served_app):
    _, base = served_app
    with httpx.Client(timeout=60) as http:
        big = http.post(f"{base}gradio_api/upload", files={"files": ("x.json", b"0" * (6 * 2**20))})
        assert big.status_code == 413  # max_file_size=5mb
        assert http.get(f"{base}monitoring").status_code in (403, 404)
        assert http.post(f"{base}gradio_api/run/models", json={"data": []}).status_code in (403, 404, 405)


def test_sigterm_during_a_training_run_exits_cleanly(served_app):
    proc, base = served_app
    with httpx.Client(timeout=60) as http:
        stream = first_training_record(http, base)  # a run is streaming when the signal arrives
        workers = child_pids(proc.pid)  # the run trains in a worker process (training/worker.py)
        assert workers, "the training run should be in a worker process"
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)  # a bound on a hang, not a speed figure
        except subprocess.TimeoutExpired:
            pytest.fail("app.py did not exit within 30 s of SIGTERM")
        stream.close()
    assert code in (0, -signal.SIGTERM, 128 + signal.SIGTERM), code
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{base}gradio_api/info", timeout=5)  # the port is closed: nothing left listening
    # The workers see their pipe close and exit: no orphan keeps training.
    wait_for(lambda: not any(map(running, workers)), 30, f"the training workers {workers} to exit", poll=0.1)


def child_pids(pid: int) -> list[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()]


def running(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def test_config_json_is_validated_before_weights(checkpoint_copy):
    cfg = json.loads((checkpoint_copy / "config.json").read_text())
    (checkpoint_copy / "config.json").write_text(json.dumps({**cfg, "latent_dim": 10**9}))
    (checkpoint_copy / "model.safetensors").write_bytes(b"")  # would fail differently if read first
    with pytest.raises(ModelLoadError, match="Invalid model config"):
        load_from_folder(checkpoint_copy)
