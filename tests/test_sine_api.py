"""The sine toy through the public API (gradio_client against the app launched in-process)."""

from __future__ import annotations

import time

import pytest
from gradio_client.exceptions import AppError

from gan_models.sine import N_POINTS
from tests.conftest import wait_for
from training.limits import RUNS


def test_train_sine_streams_records_to_the_end(client):
    job = client.submit("parabola", 3, 300, 32, 1e-3, 1e-3, 7, "cpu", api_name="/train_sine")
    records = list(job)
    assert [r["step"] for r in records] == list(range(10, 301, 10))
    assert records[-1]["done"] and not any(r["done"] for r in records[:-1])
    last = records[-1]
    assert len(last["curves"]) == 8 and all(len(c) == N_POINTS for c in last["curves"])
    assert last["d_score"] == pytest.approx(-last["d_loss"])
    for key in ("d_real", "d_fake"):
        assert 0.0 < last[key] < 1.0


def test_same_seed_gives_the_same_records_through_the_api(client):
    args = ("sine", 2, 40, 16, 1e-3, 1e-3, 11, "cpu")
    first = client.predict(*args, api_name="/train_sine")  # predict returns the final record
    second = client.predict(*args, api_name="/train_sine")
    assert first["step"] == second["step"] == 40
    assert first["curves"] == second["curves"] and first["g_loss"] == second["g_loss"]


def test_cancelling_a_run_stops_it(client):
    job = client.submit("sine", 5, 100_000, 64, 1e-4, 1e-4, 0, "cpu", api_name="/train_sine")
    wait_for(job.outputs, 30, "the run's first record")
    job.cancel()
    time.sleep(1.0)
    seen = len(job.outputs())
    time.sleep(1.0)
    assert len(job.outputs()) == seen  # nothing more streams after the cancel
    assert job.outputs()[-1]["step"] < 100_000
    assert RUNS.active() == 0  # the run's slot (and its models) were released
    # The slot was freed: a new run in a fresh session starts and finishes.
    assert client.predict("sine", 5, 20, 8, 1e-4, 1e-4, 0, "cpu", api_name="/train_sine")["done"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sine", 0, 100, 64, 1e-4, 1e-4, 0, "cpu"), "n_ideas"),
        (("sine", 10_000, 100, 64, 1e-4, 1e-4, 0, "cpu"), "n_ideas"),
        (("sine", 5, -3, 64, 1e-4, 1e-4, 0, "cpu"), "steps"),
        (("sine", 5, 10**9, 64, 1e-4, 1e-4, 0, "cpu"), "steps"),
        (("sine", 5, 100, 64, "nan", 1e-4, 0, "cpu"), "learning rate"),  # JSON has no NaN: sent as text
        (("sine", 5, 100, 64, 1e-4, "inf", 0, "cpu"), "learning rate"),
        (("sine", 5, 100, 64, "fast", 1e-4, 0, "cpu"), "Learning rates must be numbers"),
        (("sine", 5, 100, 64, 1e-4, -1.0, 0, "cpu"), "learning rate"),
        (("circle", 5, 100, 64, 1e-4, 1e-4, 0, "cpu"), "Unknown target"),
        (("sine", 5, 100, 64, 1e-4, 1e-4, 0, "tpu"), "Unknown device"),
        (("sine", 5, 2.5, 64, 1e-4, 1e-4, 0, "cpu"), "whole number"),
    ],
)
def test_bad_input_gets_a_clear_error_and_the_server_keeps_serving(client, args, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name="/train_sine")
    assert client.predict("sine", 2, 10, 8, 1e-4, 1e-4, 0, "cpu", api_name="/train_sine")["done"]


def test_sweep_sine_streams_one_entry_per_size(client):
    records = list(client.submit([1, 2, 5, 16], "parabola", 200, 32, 1e-3, 1e-3, 0, "cpu", api_name="/sweep_sine"))
    assert records[-1]["done"] and records[-1]["step"] == 200
    assert records[-1]["sizes"] == [1, 2, 5, 16]
    assert all(len(r["fit_error"]) == 4 and len(r["curves"]) == 4 for r in records)
    with pytest.raises(AppError, match="different input sizes"):
        client.predict([], "parabola", 200, 32, 1e-3, 1e-3, 0, "cpu", api_name="/sweep_sine")
