"""The engine's promises around a request rather than a pixel, continued: a cancel that
arrives while an animation is being encoded stops it between frames (the viewer drops
stale previews; core/engine.py ``process`` hands the request's check to the encoder), a
bug's step note is written once, by the innermost cascade that saw it (``mark_step``), and
two sources are the same source only when both their bytes and their names are."""
from __future__ import annotations

import io

import pytest
from PIL import Image

import core.codec as codec
from core.engine import Engine, Source, mark_step
from core.errors import Cancelled


def _gif(frames: int) -> bytes:
    ims = [Image.new("RGB", (16, 12), (50 * i % 256, 120, 40)) for i in range(frames)]
    out = io.BytesIO()
    ims[0].save(out, "GIF", save_all=True, append_images=ims[1:], duration=60, loop=0)
    return out.getvalue()


def test_a_cancel_during_the_encoding_of_an_animation_stops_it(monkeypatch):
    encoding = {"started": False}
    real_encode = codec.encode

    def spying_encode(pic, check=None):
        encoding["started"] = True     # from here on, the request is cancelled
        return real_encode(pic, check=check)

    monkeypatch.setattr(codec, "encode", spying_encode)
    with pytest.raises(Cancelled):
        Engine(cache_entries=0).process(_gif(4), "image/resize,w_8",
                                        cancelled=lambda: encoding["started"])
    assert encoding["started"]


def test_an_uncancelled_animation_encodes_every_frame(monkeypatch):
    result = Engine(cache_entries=0).process(_gif(4), "image/resize,w_8",
                                             cancelled=lambda: False)
    with Image.open(io.BytesIO(result.data)) as im:
        assert (im.format, im.size, im.n_frames) == ("GIF", (8, 6), 4)


def test_a_bug_note_is_written_once_by_the_innermost_cascade():
    exc = RuntimeError("boom")
    mark_step(exc, 2, "resize")          # the inner cascade (a watermark image's) says where
    mark_step(exc, 0, "watermark")       # the outer one must not overwrite it
    assert (exc.oss_step, exc.oss_action) == (2, "resize")
    assert len(exc.__notes__) == 1     # one note, not one per cascade


def test_a_bug_note_on_a_fresh_exception_names_its_step():
    exc = ValueError("boom")
    mark_step(exc, 0, "crop")
    assert (exc.oss_step, exc.oss_action) == (0, "crop")


@pytest.mark.parametrize("a, b, same", [
    (Source(b"abc", name="x.png"), Source(b"abc", name="x.png"), True),
    (Source(b"abc", name="x.png"), Source(b"abc", name="y.png"), False),
    (Source(b"abc", name="x.png"), Source(b"abd", name="x.png"), False),
    (Source(b"abc"), b"abc", False),
])
def test_two_sources_are_equal_only_with_the_same_bytes_and_name(a, b, same):
    assert (a == b) is same
    if same:
        assert hash(a) == hash(b)


def test_a_cancel_during_the_decoding_of_an_animation_stops_it(monkeypatch):
    """The decoder gets the request's check (it runs it between frames): a cancel that
    arrives while the frames are being decoded stops the decode itself."""
    seen = []
    real_decode = codec.decode

    def spying_decode(data, *args, check=None, **kwargs):
        seen.append(check)
        if check is not None:
            with pytest.raises(Cancelled):
                check()               # the request is cancelled from the decode on
        return real_decode(data, *args, check=check, **kwargs)

    monkeypatch.setattr(codec, "decode", spying_decode)
    with pytest.raises(Cancelled):
        Engine(cache_entries=0).process(_gif(4), "image/resize,w_8",
                                        cancelled=lambda: bool(seen))
    assert seen and seen[0] is not None
