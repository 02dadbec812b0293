"""Issue 17, the InternalError of the soak: ``format,tiff`` on a JPEG failed with
"Encoding failed: quality setting only supported for 'jpeg' compression".

Found by the viewer soak (bench/soak_viewer.py, seed 3: ``image/format,avif`` then
``image/format,tiff`` on example.jpg while renders overlapped). Pillow's ``Image.save``
keeps its options on the image object while it runs; the frames the engine encodes are
shared (its cache hands the same decoded picture to every cascade starting from it, and
``format`` passes frames through unchanged), so a TIFF save of a frame that another
thread was saving as AVIF/JPEG read that save's ``quality``. The last save to finish could
also leave those options on the cached frame, and every later TIFF of that source failed.
"""
from __future__ import annotations

import threading

from core.engine import Engine, Source
from tests.helpers import EXAMPLE, decode


def cached_frame(engine: Engine, source: Source):
    """The decoded frame the engine's cache now shares between cascades."""
    ((pic, _size),) = [v for k, v in engine._cache.items() if k[1] == "decode"]
    return pic.image


def test_encoding_ignores_options_another_save_left_on_a_shared_frame():
    engine = Engine()
    source = Source.of(EXAMPLE)
    assert engine.process(source, "image/format,jpg").format == "jpg"
    frame = cached_frame(engine, source)
    # What a JPEG/AVIF save running in another thread has on the frame meanwhile (and
    # what the unlucky ordering of two saves left there for good).
    frame.encoderinfo = {"quality": 80, "progressive": True}
    result = engine.process(source, "image/format,tiff")
    assert result.format == "tiff"
    assert decode(result.data).size == (400, 267)
    assert frame.encoderinfo == {"quality": 80, "progressive": True}  # not ours to touch


def test_parallel_encodes_of_one_cached_frame_in_different_formats():
    engine = Engine()
    source = Source.of(EXAMPLE)
    # Both cascades start with the same resize: its output is cached and shared, and
    # large enough that each save spends time in the encoder, which releases the GIL.
    engine.process(source, "image/resize,w_1000,limit_0/format,png")
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def encode(process: str, fmt: str) -> None:
        start.wait()
        try:
            for _ in range(8):
                assert engine.process(source, process).format == fmt
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=encode, args=(
                   "image/resize,w_1000,limit_0/quality,q_80/format,jpg", "jpg")),
               threading.Thread(target=encode, args=(
                   "image/resize,w_1000,limit_0/format,tiff", "tiff"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
