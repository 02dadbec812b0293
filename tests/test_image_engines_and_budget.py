"""Which engine answers an image request, and what it may hold in memory.

The service keeps two engines, in process (``workers=0``) and in each worker process: a
cached one, and an uncached one for cascades that read other objects (a watermark image
is an object of the bucket and may be overwritten between two requests, while the
source and the process string stay the same). Both are sized by ``worker_memory_mb``
(``codec.budget_for_address_space``: a quarter of a 64 MB cap is 16 MiB of pixels), so
a source over it is refused before its decode as OSS refuses an oversized source: 400
ImageTooLarge, EC 0040-00000012 (shared/spec/oss-img.md, "Selected EC codes"). A worker
whose decode runs out of its address space anyway answers the same.

The watermark image is named in the URL-safe base64 of its key (OSS's ``image_``
parameter of ``watermark``).
"""
from __future__ import annotations

import base64
import concurrent.futures
import resource
import signal
import threading
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from core.cascade import parse
from core.serve import imaging
from core.serve.config import ServiceConfig
from core.serve.messages import Request
from core.serve.service import OssService
from tests.helpers import decode, encode, solid

MIB = 1024 * 1024
B = "engbkt"
GREY, BLUE, GREEN = (128, 128, 128), (0, 0, 255), (0, 255, 0)


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


WATERMARK = f"image/watermark,image_{b64('logo.png')},g_nw,x_0,y_0"


def get(service: OssService, key: str, process: str):
    return service.handle(Request("GET", B, key, {"x-oss-process": process}))


def error_of(resp) -> tuple[int, str, str | None]:
    return resp.status, ET.fromstring(resp.body).findtext("Code"), resp.headers.get("x-oss-ec")


@pytest.fixture
def bucket(tmp_path):
    (tmp_path / B).mkdir()
    (tmp_path / B / "src.png").write_bytes(solid(40, 30, GREY))
    (tmp_path / B / "logo.png").write_bytes(solid(8, 6, BLUE))
    return tmp_path


def service_for(root, **kw) -> OssService:
    return OssService(ServiceConfig(root, acl="public-read-write", **kw))


# ------------------------------------------------------------------ in process (workers=0)

def test_a_changed_watermark_object_is_used_at_once_in_process(bucket):
    service = service_for(bucket, workers=0)
    try:
        first = get(service, "src.png", WATERMARK)
        assert first.status == 200
        assert decode(first.body).convert("RGB").getpixel((2, 2)) == BLUE
        (bucket / B / "logo.png").write_bytes(solid(8, 6, GREEN))
        second = get(service, "src.png", WATERMARK)
        assert decode(second.body).convert("RGB").getpixel((2, 2)) == GREEN
    finally:
        service.close()


def test_in_process_object_cascades_are_never_cached(bucket):
    # a cascade that reads objects gets a new resolver per request, so a cached result
    # could never be found again: the uncached engine keeps no picture, not even the decode
    service = service_for(bucket, workers=0)
    try:
        src = (bucket / B / "src.png").read_bytes()
        for process, uses_objects in (("image/resize,w_20", False), (WATERMARK, True)):
            first = service.process(B, src, process)
            second = service.process(B, src, process)
            assert first.timings[0].label == "decode" and not first.timings[0].cached
            assert second.timings[0].cached is (not uses_objects)
    finally:
        service.close()


def test_in_process_work_waits_for_a_slot_no_longer_than_the_time_limit(bucket):
    # two images are processed at a time in process; a third request waits for one of
    # them at most process_timeout, then answers OSS's timeout (400 RequestTimeout)
    service = service_for(bucket, workers=0, process_timeout=0.2)
    running = service.images._running
    assert running.acquire(blocking=False) and running.acquire(blocking=False)
    answers, held = [], 2
    waiting = threading.Thread(target=lambda: answers.append(
        get(service, "src.png", "image/resize,w_20")), daemon=True)
    try:
        waiting.start()
        waiting.join(10)
        assert answers and error_of(answers[0])[:2] == (400, "RequestTimeout")
        while held:
            running.release()
            held -= 1
        assert get(service, "src.png", "image/resize,w_20").status == 200  # slots free
    finally:
        for _ in range(held):
            running.release()
        waiting.join(10)
        service.close()


@pytest.mark.parametrize("process", ["image/resize,w_100", WATERMARK],
                         ids=["cached-engine", "uncached-engine"])
def test_in_process_both_engines_have_the_worker_memory_budget(bucket, process):
    # 2500 x 2500 RGB is 18.75 MB of pixels: over 16 MiB, far under the default budget
    (bucket / B / "big.png").write_bytes(
        encode(Image.new("RGB", (2500, 2500), GREY), "PNG", compress_level=1))
    small = service_for(bucket, workers=0, worker_memory_mb=64)
    try:
        assert error_of(get(small, "big.png", process)) == (400, "ImageTooLarge",
                                                           "0040-00000012")
        assert get(small, "src.png", process).status == 200
    finally:
        small.close()


def test_an_oversized_watermark_object_is_refused_before_reading(bucket):
    # a watermark image is a source too: at most OSS's 20 MB (codec.MAX_SOURCE_BYTES)
    with open(bucket / B / "huge.png", "wb") as f:
        f.truncate(21 * MIB)            # sparse: only its size may be looked at
    service = service_for(bucket, workers=0)
    try:
        process = f"image/watermark,image_{b64('huge.png')}"
        assert error_of(get(service, "src.png", process))[:2] == (400, "ImageTooLarge")
    finally:
        service.close()


# ------------------------------------------------------------------ the worker's side

@pytest.fixture
def worker(bucket, monkeypatch):
    """The worker's globals, set up by its own initializer in this process (its rlimit and
    signal calls recorded, not made)."""
    monkeypatch.setattr(resource, "setrlimit", lambda which, lim: None)
    monkeypatch.setattr(signal, "signal", lambda sig, handler: None)
    monkeypatch.setattr(imaging, "_worker", {})
    imaging._worker_init(str(bucket), 512 * MIB, 4, 1 << 20)
    return bucket


def test_a_changed_watermark_object_is_used_at_once_in_a_worker(worker):
    src = solid(40, 30, GREY)
    status, result = imaging._worker_run(B, src, parse(WATERMARK), True, None)
    assert status == "ok" and decode(result.data).convert("RGB").getpixel((2, 2)) == BLUE
    (worker / B / "logo.png").write_bytes(solid(8, 6, GREEN))
    status, result = imaging._worker_run(B, src, parse(WATERMARK), True, None)
    assert status == "ok" and decode(result.data).convert("RGB").getpixel((2, 2)) == GREEN


def test_object_cascades_are_never_cached_in_a_worker(worker):
    src = solid(40, 30, GREY)
    for process, uses_objects in (("image/resize,w_20", False), (WATERMARK, True)):
        _, first = imaging._worker_run(B, src, parse(process), uses_objects, None)
        _, second = imaging._worker_run(B, src, parse(process), uses_objects, None)
        assert first.timings[0].label == "decode" and not first.timings[0].cached
        assert second.timings[0].cached is (not uses_objects)


class _InlinePool:
    """pebble's ProcessPool as the service uses it, running the task at once in this
    process (its worker globals set up by the ``worker`` fixture)."""

    def schedule(self, fn, args=(), timeout=None):
        future = concurrent.futures.Future()
        future.set_result(fn(*args))
        return future

    def stop(self):
        pass

    def join(self, timeout=None):
        pass


def test_the_pool_is_told_which_cascades_read_objects(worker):
    service = service_for(worker, workers=1)
    service.images._pool = _InlinePool()
    try:
        src = (worker / B / "src.png").read_bytes()
        for process, uses_objects in (("image/resize,w_20", False), (WATERMARK, True)):
            service.process(B, src, process)
            again = service.process(B, src, process)
            assert again.timings[0].cached is (not uses_objects)
    finally:
        service.close()


def test_a_worker_out_of_memory_answers_image_too_large(worker, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError           # what a decode past RLIMIT_AS raises in the worker

    service = service_for(worker, workers=1)
    service.images._pool = _InlinePool()
    try:
        ok = get(service, "src.png", "image/resize,w_20")
        assert ok.status == 200 and decode(ok.body).size == (20, 15)
        monkeypatch.setattr(imaging._worker["engine"], "process", exhausted)
        assert error_of(get(service, "src.png", "image/resize,w_20")) == (
            400, "ImageTooLarge", "0040-00000012")
    finally:
        service.close()


@pytest.mark.parametrize("uses_objects", [False, True], ids=["cached-engine", "uncached-engine"])
def test_in_a_worker_both_engines_have_its_memory_budget(bucket, monkeypatch, uses_objects):
    # the worker's initializer sizes both of its engines by the address space it caps
    # (64 MB: 16 MiB of pixels); 2500 x 2500 RGB (18.75 MB) is refused before its decode
    monkeypatch.setattr(resource, "setrlimit", lambda which, lim: None)
    monkeypatch.setattr(signal, "signal", lambda sig, handler: None)
    monkeypatch.setattr(imaging, "_worker", {})
    imaging._worker_init(str(bucket), 64 * MIB, 4, 1 << 20)
    big = encode(Image.new("RGB", (2500, 2500), GREY), "PNG", compress_level=1)
    status, fields = imaging._worker_run(B, big, parse("image/resize,w_100"), uses_objects,
                                         None)
    assert (status, fields["code"], fields["status"]) == ("error", "ImageTooLarge", 400)
    status, result = imaging._worker_run(B, solid(40, 30, GREY), parse("image/resize,w_20"),
                                         uses_objects, None)
    assert status == "ok" and decode(result.data).size == (20, 15)
