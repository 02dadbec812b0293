"""The engine's last timing is the encode, a duration (seconds from its start to its end):
the fresh seed-2911 mutation sample found it unpinned."""
from __future__ import annotations

from core.engine import Engine
from tests.helpers import EXAMPLE


def test_the_encode_timing_is_a_short_non_negative_duration():
    result = Engine().process(EXAMPLE.read_bytes(), "image/resize,w_40/format,png")
    last = result.timings[-1]
    assert last.label == "encode" and not last.cached
    assert 0 <= last.seconds < 60
