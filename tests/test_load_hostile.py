"""benchmarks/load.py's hostile client sends what it claims (issue 12): each poisoned slider entry is refused with
its own message, before queueing (wrong lengths, a file reference) or inside a batch beside a good entry that is
still drawn, and its bomb is a 12000x12000 px PNG small enough to pass the upload limit."""

from __future__ import annotations

import struct

from benchmarks import load
from gan_models import dimensions, inputs
from tests.test_slider_batch import batch
from ui import explore_views, guard

MODEL = "dcgan-animals"


def test_every_poisoned_entry_of_the_hostile_client_is_refused_with_a_message():
    dims = dimensions.default_dims(MODEL, inputs.N_DIM_SLIDERS)
    good = [MODEL, 5, None, 1.0, "1", dims, *[0.0] * explore_views.N_SLIDER_VALUES]
    entries = load.poisoned_entries((MODEL, 5, None, dims), inputs.N_DIM_SLIDERS)
    before_queue = [e for e in entries if len(e) != len(good) or guard._file_problem(e) is not None]
    queued = [e for e in entries if not any(e is b for b in before_queue)]
    assert len(before_queue) == 4 and len(queued) == len(entries) - 4
    _, readouts, _ = batch(good, *queued)
    assert not readouts[0].startswith("⚠️"), readouts[0]
    for entry, readout in zip(queued, readouts[1:], strict=True):
        assert readout.startswith("⚠️") and "Internal error" not in readout, (entry[:6], readout)


def test_the_hostile_client_sends_as_many_direction_values_as_the_page_has_sliders():
    assert inputs.N_DIM_SLIDERS + load.N_AMOUNTS == explore_views.N_SLIDER_VALUES


def test_the_bomb_is_144_mpx_in_a_small_png():
    bomb = load.bomb_png()
    assert len(bomb) < 1 * 2**20
    # Read from the IHDR header (Pillow would refuse to open it once ui.uploads has set its pixel budget).
    assert bomb[:8] == b"\x89PNG\r\n\x1a\n" and bomb[12:16] == b"IHDR"
    assert struct.unpack(">II", bomb[16:24]) == (12000, 12000)
