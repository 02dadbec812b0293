"""The image worker's own functions, run in this process (the pool runs them in a
child, where no coverage reaches): ``_worker_init`` caps the address space and ignores
Ctrl+C, and gives the worker a store on ROOT, a cached engine and an uncached one (for
cascades that read other objects: a watermark image may change between requests), and
the source size limit; ``_worker_run`` answers ("ok", result without its picture),
("timeout",) past the deadline, or ("error", fields of the OssError).

The watermark image is an object of the same bucket, named in the URL-safe base64 of its
key (OSS's ``watermark,image_`` parameter).
"""
from __future__ import annotations

import base64
import logging
import resource
import signal

import pytest

from core.cascade import parse
from core.serve import imaging
from tests.helpers import decode, solid

MIB = 1024 * 1024
B = "wbkt"


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.fixture
def worker(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(resource, "setrlimit", lambda which, lim: calls.append((which, lim)))
    monkeypatch.setattr(signal, "signal", lambda sig, handler: calls.append((sig, handler)))
    monkeypatch.setattr(imaging, "_worker", {})
    (tmp_path / B).mkdir()
    (tmp_path / B / "logo.png").write_bytes(solid(8, 6, (0, 0, 255)))
    (tmp_path / B / "big-logo.png").write_bytes(solid(200, 200, (0, 255, 0), fmt="BMP"))
    imaging._worker_init(str(tmp_path), 512 * MIB, 4, 50_000)
    return calls, tmp_path


def test_init_caps_memory_and_ignores_ctrl_c(worker):
    calls, _ = worker
    assert (resource.RLIMIT_AS, (512 * MIB, 512 * MIB)) in calls
    assert (signal.SIGINT, signal.SIG_IGN) in calls


@pytest.mark.parametrize("uses_objects", [True, False])
def test_run_processes_with_the_bucket_objects(worker, uses_objects):
    src = solid(40, 30, (255, 0, 0))
    cascade = parse(f"image/watermark,image_{b64('logo.png')},g_nw,x_0,y_0")
    status, result = imaging._worker_run(B, src, cascade, uses_objects, None)
    assert status == "ok" and result.picture is None
    im = decode(result.data).convert("RGB")
    assert im.size == (40, 30)
    assert im.getpixel((2, 2)) == (0, 0, 255)        # the logo, top-left
    assert im.getpixel((30, 20))[0] > 200            # the source elsewhere
    status, result = imaging._worker_run(B, src, parse("image/resize,w_20"), uses_objects, 30)
    assert status == "ok" and decode(result.data).size == (20, 15)


def test_run_reports_errors_and_the_source_limit(worker):
    src = solid(40, 30)
    status, fields = imaging._worker_run(
        B, src, parse(f"image/watermark,image_{b64('missing.png')}"), True, None)
    assert status == "error" and fields["code"]
    # the watermark object is larger than the worker's source limit (50,000 bytes)
    status, fields = imaging._worker_run(
        B, src, parse(f"image/watermark,image_{b64('big-logo.png')}"), True, None)
    assert status == "error" and fields["code"] == "ImageTooLarge"


def test_run_past_its_deadline_is_a_timeout(worker):
    # the worker's own check is a backstop 5 s after the pool's limit
    status = imaging._worker_run(B, solid(40, 30), parse("image/resize,w_20"), False, -6.0)
    assert status == ("timeout",)
    status, _ = imaging._worker_run(B, solid(40, 30), parse("image/resize,w_20"), False, -4.0)
    assert status == "ok"


def test_a_worker_that_cannot_cap_its_memory_warns_with_the_cap(tmp_path, monkeypatch, caplog):
    def refused(which, lim):
        raise ValueError("not allowed to raise maximum limit")   # a lower hard limit

    monkeypatch.setattr(resource, "setrlimit", refused)
    monkeypatch.setattr(signal, "signal", lambda sig, handler: None)
    monkeypatch.setattr(imaging, "_worker", {})
    (tmp_path / B).mkdir()
    with caplog.at_level(logging.WARNING):
        imaging._worker_init(str(tmp_path), 640 * MIB, 4, 50_000)
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    text = record.getMessage()
    assert "640" in text and "not allowed to raise maximum limit" in text
    # the worker still starts: it processes with its store and engines
    status, result = imaging._worker_run(B, solid(40, 30), parse("image/resize,w_20"), False,
                                         None)
    assert status == "ok" and decode(result.data).size == (20, 15)
