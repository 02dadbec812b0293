"""What the engine reports about its own work, which the viewer's steps list shows: the
time each step took, and which steps came from the prefix cache (taking no time)."""
from __future__ import annotations

from core.engine import Engine
from tests.helpers import EXAMPLE


def source() -> bytes:
    return EXAMPLE.read_bytes()


def test_a_decode_reports_the_seconds_it_took():
    result = Engine(cache_entries=0).process(source(), "image/resize,w_100")
    decode = result.timings[0]
    assert decode.label == "decode" and decode.cached is False
    assert isinstance(decode.seconds, float) and decode.seconds > 0.0


def test_steps_served_from_the_prefix_cache_take_no_time():
    engine = Engine()
    engine.process(source(), "image/resize,w_200/rotate,90")
    again = engine.process(source(), "image/resize,w_200/rotate,90/blur,r_1,s_1")
    by_label = {t.label: t for t in again.timings}
    for label in ("resize,w_200", "rotate,90"):
        assert by_label[label].cached is True and by_label[label].seconds == 0.0
    assert by_label["blur,r_1,s_1"].cached is False

