"""The background pipeline: latest request wins, stale results are dropped, superseded
renders stop early, failures become inline errors. Ordering is forced with locks and
events, never with sleeps."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThreadPool

from core.cascade import parse
from core.engine import Engine, Source
from core.errors import OssError
from tests.helpers import EXAMPLE, solid
from viewer.model.render import LatestTask, Renderer, RenderRequest, decode_for_display

WAIT = 10_000  # ms; generous for slow CI, never actually waited on success


@pytest.fixture
def pool():
    p = QThreadPool()
    p.setMaxThreadCount(4)
    yield p
    p.waitForDone(WAIT)


def test_latest_task_drops_a_stale_result(qtbot, pool):
    task = LatestTask(pool=pool)
    first_started = threading.Event()
    release_first = threading.Lock()
    release_first.acquire()
    delivered = []
    task.finished.connect(delivered.append)

    def slow(cancelled):
        first_started.set()
        with release_first:  # blocks until the test lets it finish
            return "first"

    task.submit(slow)
    assert first_started.wait(WAIT / 1000)
    with qtbot.waitSignal(task.finished, timeout=WAIT) as second:
        task.submit(lambda cancelled: "second")
    assert second.args == ["second"]
    # Now let the first one complete: its result must be dropped, not shown.
    release_first.release()
    qtbot.waitUntil(lambda: task.stale == 1, timeout=WAIT)
    assert delivered == ["second"]
    assert not task.busy


def test_superseded_job_sees_cancelled(qtbot, pool):
    task = LatestTask(pool=pool)
    started, go_on = threading.Event(), threading.Event()
    seen = {}

    def watcher(cancelled):
        started.set()
        go_on.wait(WAIT / 1000)
        seen["cancelled"] = cancelled()
        return "old"

    task.submit(watcher)
    assert started.wait(WAIT / 1000)
    with qtbot.waitSignal(task.finished, timeout=WAIT):
        task.submit(lambda cancelled: "new")
    go_on.set()
    qtbot.waitUntil(lambda: task.stale == 1, timeout=WAIT)
    assert seen["cancelled"] is True


def test_failures_arrive_as_oss_errors(qtbot, pool):
    task = LatestTask(pool=pool)

    def boom(cancelled):
        raise ZeroDivisionError("division by zero")

    with qtbot.waitSignal(task.failed, timeout=WAIT) as blocker:
        task.submit(boom)
    err = blocker.args[0]
    assert isinstance(err, OssError) and err.code == "InternalError"
    assert "ZeroDivisionError" in err.message


def test_debounce_collapses_rapid_requests(qtbot, pool):
    task = LatestTask(pool=pool, debounce_ms=30)
    calls = []

    def job(n):
        def run(cancelled):
            calls.append(n)
            return n
        return run

    with qtbot.waitSignal(task.finished, timeout=WAIT) as blocker:
        for n in range(5):
            task.submit(job(n))
    assert blocker.args == [4]
    assert calls == [4]  # the first four never started


def test_cancelled_engine_run_stops_between_steps():
    """The engine polls ``cancelled``: a superseded render does no more work."""
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(OssError) as e:
        Engine(cache_entries=0).process(EXAMPLE, "image/resize,w_200/rotate,90/blur,r_3,s_2",
                                        cancelled=cancelled)
    assert e.value.code == "Cancelled"


def _request(process: str, data: bytes | None = None) -> RenderRequest:
    src = Source.of(data if data is not None else EXAMPLE.read_bytes())
    cascade = parse(process)
    return RenderRequest(src, cascade)


def test_renderer_renders_in_background(qtbot):
    r = Renderer(debounce_ms=0)
    with qtbot.waitSignal(r.rendered, timeout=WAIT) as blocker:
        r.request(_request("image/resize,w_200/format,png"))
    out = blocker.args[0]
    assert (out.result.width, out.result.height) == (200, 134)
    assert (out.after.width, out.after.height) == (200, 134)
    assert (out.before.width, out.before.height) == (400, 267)
    assert out.result.format == "png" and out.after.has_alpha is False
    assert [t.label for t in out.result.timings][0] == "decode"
    assert out.result.timings[-1].label == "encode"
    r.shutdown()


def test_no_steps_serves_the_stored_object(qtbot):
    r = Renderer(debounce_ms=0)
    data = (EXAMPLE.parent / "exif-rotated.jpg").read_bytes()
    with qtbot.waitSignal(r.rendered, timeout=WAIT) as blocker:
        r.request(_request("", data))
    out = blocker.args[0]
    assert out.result.data == data and out.result.format == "jpg"
    assert (out.result.width, out.result.height) == (267, 400)   # stored size, like info
    assert (out.after.width, out.after.height) == (400, 267)     # shown upright, as a browser does
    r.shutdown()


def test_renderer_reuses_the_before_image(qtbot):
    r = Renderer(debounce_ms=0)
    with qtbot.waitSignal(r.rendered, timeout=WAIT) as first:
        r.request(_request("image/resize,w_100"))
    with qtbot.waitSignal(r.rendered, timeout=WAIT) as second:
        r.request(_request("image/resize,w_120"))
    assert first.args[0].before is second.args[0].before  # decoded once per source
    r.shutdown()


def test_renderer_reports_the_failing_step(qtbot):
    r = Renderer(debounce_ms=0)
    req = _request("image/resize,w_100/watermark,image_bm9wZS5wbmc")
    with qtbot.waitSignal(r.failed, timeout=WAIT) as blocker:
        r.request(req)  # no resolver: the watermark object cannot be found
    err = blocker.args[0]
    assert err.step == 1 and err.action == "watermark"
    r.shutdown()


def test_renderer_reports_a_bad_source(qtbot):
    r = Renderer(debounce_ms=0)
    with qtbot.waitSignal(r.failed, timeout=WAIT) as blocker:
        r.request(_request("image/resize,w_100", b"not an image at all"))
    assert blocker.args[0].code == "BadRequest"
    r.shutdown()


def test_display_decoding_keeps_alpha_and_frames():
    from PIL import Image
    from tests.helpers import encode

    rgba = solid(8, 6, (10, 20, 30, 0), mode="RGBA")
    frames = decode_for_display(rgba)
    assert frames.has_alpha and (frames.width, frames.height) == (8, 6)
    assert frames.images[0].pixelColor(0, 0).alpha() == 0

    ims = [Image.new("RGB", (5, 4), (i * 100, 50, 200 - i * 60)) for i in range(3)]
    gif = encode(ims[0], "GIF", save_all=True, append_images=ims[1:], duration=[50, 60, 70])
    anim = decode_for_display(gif)
    assert len(anim.images) == 3 and anim.total == 3
    assert anim.durations == (50, 60, 70)



def test_leaking_pyside_gets_immortal_singletons():
    """PySide6 6.12 on Python 3.11 drops a reference to None on every void call and to
    True on every emit; importing viewer must have made them practically immortal."""
    import sys

    import viewer  # noqa: F401  (applies the guard on import)
    from viewer import refcounts

    if sys.version_info >= (3, 12) or not refcounts.leaks_singleton_refs():
        pytest.skip("this PySide6/Python pair does not leak singleton references")
    for obj in (None, True, False):
        assert sys.getrefcount(obj) > 1 << 39
