"""The engine's own bookkeeping around the steps: the memory guard that refuses a step whose
working copy would not fit the engine's budget (a rotation by a whole turn is no work at all,
OSS documents ``rotate`` values 0-360 and 0 and 360 leave the picture as it is), the decode
cache at its smallest size, and the seconds each step reports (read from ``perf_counter``,
replaced here by a clock the test drives, so nothing depends on the wall clock)."""
from __future__ import annotations

import io
import itertools
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

import core.engine as engine_module
from core.engine import Engine
from core.errors import OssError
from tests.helpers import EXAMPLE


def _png(size=(120, 80)) -> bytes:
    im = Image.new("RGB", size)
    im.putdata([((x * 7) % 256, (y * 11) % 256, (x * y) % 256)
                for y in range(size[1]) for x in range(size[0])])
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def _smallest_budget(data: bytes) -> int:
    """The smallest decode budget (in 500-byte steps) under which the source decodes."""
    for budget in range(500, 400_000, 500):
        try:
            Engine(cache_entries=0, decode_budget=budget).process(data, "image/format,png")
        except OssError:
            continue
        return budget
    raise AssertionError("the source never decoded")


@pytest.fixture(scope="module")
def tight():
    data = _png()
    return data, _smallest_budget(data)


@pytest.mark.parametrize("degrees", [0, 360])
def test_a_whole_turn_needs_no_room_beyond_the_picture(tight, degrees):
    data, budget = tight
    result = Engine(cache_entries=0, decode_budget=budget).process(
        data, f"image/rotate,{degrees}/format,png")
    assert (result.width, result.height) == (120, 80)
    assert Image.open(io.BytesIO(result.data)).convert("RGB").tobytes() == \
        Image.open(io.BytesIO(data)).convert("RGB").tobytes()


@pytest.mark.parametrize("degrees", [90, 180, 270, 45, 359])
def test_a_real_rotation_under_the_same_budget_is_image_too_large(tight, degrees):
    data, budget = tight
    with pytest.raises(OssError) as err:
        Engine(cache_entries=0, decode_budget=budget).process(
            data, f"image/rotate,{degrees}/format,png")
    e = err.value
    assert (e.code, e.status, e.step, e.action) == ("ImageTooLarge", 400, 0, "rotate")
    # spec oss-img.md: 0040-00000012 is the EC of a source too large to process
    root = ET.fromstring(e.to_xml())
    assert (root.findtext("Code"), root.findtext("EC")) == ("ImageTooLarge", "0040-00000012")
    assert isinstance(e.message, str) and root.findtext("Message") == e.message != ""
    # without the budget, the same rotation runs (the refusal is the guard, not the step)
    turned = Engine(cache_entries=0, decode_budget=None).process(
        data, f"image/rotate,{degrees}/format,png")
    assert turned.width >= 80 and turned.height >= 80


def test_an_engine_with_one_cache_entry_keeps_the_last_decode():
    """The viewer shows the source with ``upto=0``: an engine with room for one entry
    decodes it once; with no room it decodes every time."""
    one = Engine(cache_entries=1)
    first = one.process(EXAMPLE, "image/rotate,90", upto=0)
    again = one.process(EXAMPLE, "image/rotate,90", upto=0)
    assert [(t.label, t.cached) for t in first.timings] == [("decode", False),
                                                             ("encode", False)]
    assert [(t.label, t.cached, t.seconds) for t in again.timings][0] == ("decode", True, 0.0)
    assert (again.width, again.height) == (first.width, first.height) == (400, 267)
    assert one.cache_bytes > 0
    none = Engine(cache_entries=0)
    none.process(EXAMPLE, "image/rotate,90", upto=0)
    assert none.process(EXAMPLE, "image/rotate,90", upto=0).timings[0].cached is False
    assert none.cache_bytes == 0


def drive_engine_clock(monkeypatch, start: float, step: float) -> list[float]:
    """Make the engine's perf_counter a clock that moves ``step`` per reading; returns the
    readings as they are taken."""
    readings: list[float] = []
    ticks = itertools.count()

    def clock() -> float:
        readings.append(start + step * next(ticks))
        return readings[-1]

    monkeypatch.setattr(engine_module.time, "perf_counter", clock)
    return readings


def test_each_step_reports_a_share_of_the_calls_own_time(monkeypatch):
    """Every timing is read from the clock around its own work: none is negative and all
    together never exceed the span of the whole call on that clock."""
    readings = drive_engine_clock(monkeypatch, 5000.0, 0.25)
    result = Engine(cache_entries=0).process(EXAMPLE, "image/resize,w_100/rotate,90/blur,r_1,s_1")
    labels = [t.label for t in result.timings]
    assert labels == ["decode", "resize,w_100", "rotate,90", "blur,r_1,s_1", "encode"]
    span = readings[-1] - readings[0]
    assert all(0.0 < t.seconds <= span for t in result.timings)
    assert sum(t.seconds for t in result.timings) <= span


@pytest.mark.parametrize("process,labels", [
    ("image/info", ["info"]),
    ("image/average-hue", ["decode", "average-hue"]),
    ("image/resize,w_50", ["decode", "resize,w_50", "encode"]),
])
def test_the_json_answers_time_their_own_work_and_report_the_source_size(monkeypatch, process,
                                                                          labels):
    readings = drive_engine_clock(monkeypatch, 7000.0, 0.5)
    result = Engine(cache_entries=0).process(EXAMPLE, process)
    assert [t.label for t in result.timings] == labels
    span = readings[-1] - readings[0]
    assert all(0.0 < t.seconds <= span and t.cached is False for t in result.timings)
    assert sum(t.seconds for t in result.timings) <= span
    if result.is_json:     # image/info and average-hue describe the source: 400x267
        assert (result.width, result.height, result.format) == (400, 267, "json")
        assert result.content_type == "application/json"


def _gif(frames: int, size=(40, 30)) -> bytes:
    images = [Image.new("RGB", size, ((60 * i) % 256, 200 - 40 * i, 90)) for i in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, "GIF", save_all=True, append_images=images[1:], duration=120, loop=0)
    return buf.getvalue()


@pytest.mark.parametrize("frames", [2, 3])
@pytest.mark.parametrize("process", ["image/resize,w_80,limit_0", "image/resize,h_60,limit_0",
                                     "image/resize,m_fixed,w_80,h_60,limit_0"])
def test_an_animation_is_never_enlarged_and_stays_animated(frames, process):
    """OSS docs (resize, GIF): a GIF can be shrunk by w/h with its animation kept, but
    cannot be enlarged -- also a two-frame one, whose frames are resized one by one."""
    result = Engine(cache_entries=0).process(_gif(frames), process)
    out = Image.open(io.BytesIO(result.data))
    assert (result.format, result.width, result.height) == ("gif", 40, 30)
    assert (out.size, out.n_frames) == ((40, 30), frames)
    shrunk = Engine(cache_entries=0).process(_gif(frames), "image/resize,w_20")
    assert (shrunk.width, shrunk.height, Image.open(io.BytesIO(shrunk.data)).n_frames) == \
        (20, 15, frames)


def test_average_hue_decodes_within_the_engines_budget(tight):
    data, budget = tight
    assert Engine(decode_budget=budget).process(data, "image/average-hue").is_json
    with pytest.raises(OssError) as err:
        Engine(decode_budget=budget // 4).process(data, "image/average-hue")
    assert (err.value.code, err.value.status) == ("ImageTooLarge", 400)


def test_the_module_level_process_can_be_cancelled():
    from core.engine import process
    from core.errors import Cancelled
    with pytest.raises(Cancelled):
        process(EXAMPLE, "image/resize,w_10", cancelled=lambda: True)
    assert process(EXAMPLE, "image/resize,w_10", cancelled=lambda: False).width == 10


def test_average_hue_of_an_animation_decodes_only_its_first_frame():
    """average-hue describes the first frame of a GIF: a budget that holds one frame but
    not all of them is enough."""
    data = _gif(12, size=(60, 60))
    one_frame = _smallest_budget(_gif(1, size=(60, 60)))
    assert Engine(decode_budget=None).process(data, "image/average-hue").is_json
    first = Engine(decode_budget=one_frame * 3).process(data, "image/average-hue")
    alone = Engine(decode_budget=None).process(_gif(1, size=(60, 60)), "image/average-hue")
    assert first.data == alone.data
    with pytest.raises(OssError) as err:   # the whole animation does not fit that budget
        Engine(decode_budget=one_frame * 3).process(data, "image/format,gif")
    assert err.value.code == "ImageTooLarge"
