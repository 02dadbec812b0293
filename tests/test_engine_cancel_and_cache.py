"""The engine's promises around a request rather than a pixel: an average-hue of an
animation can be cancelled between frames like any other decode (the viewer cancels stale
previews), and an engine without a cache never hashes its sources (core/engine.py,
``Source``: the digest is only the cache key)."""
from __future__ import annotations

import io

import pytest
from PIL import Image

import core.engine as engine_module
from core.engine import Engine, Source
from core.errors import Cancelled, OssError


def _gif(frames: int) -> bytes:
    ims = [Image.new("RGB", (16, 12), (50 * i % 256, 120, 40)) for i in range(frames)]
    out = io.BytesIO()
    ims[0].save(out, "GIF", save_all=True, append_images=ims[1:], duration=60, loop=0)
    return out.getvalue()


def test_cancelling_an_average_hue_of_an_animation_stops_it():
    with pytest.raises(Cancelled) as info:
        Engine().process(_gif(3), "image/average-hue", cancelled=lambda: True)
    assert info.value.code == "Cancelled"


def test_an_average_hue_past_its_deadline_is_a_request_timeout():
    with pytest.raises(OssError) as info:
        Engine().process(_gif(3), "image/average-hue", timeout=-1.0)
    assert info.value.code == "RequestTimeout"


def test_an_uncancelled_average_hue_of_an_animation_answers():
    result = Engine().process(_gif(3), "image/average-hue", cancelled=lambda: False)
    assert result.is_json and result.content_type == "application/json"


class _NoHashing:
    def __init__(self, *args, **kwargs):
        raise AssertionError("an engine without a cache hashed a source")


@pytest.mark.parametrize("process", ["image/resize,w_8/format,png", "image/rotate,90",
                                     "image/resize,w_8/crop,w_4,h_4"])
def test_an_engine_without_a_cache_never_hashes_its_sources(monkeypatch, process):
    monkeypatch.setattr(engine_module.hashlib, "blake2b", _NoHashing)
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (1, 2, 3)).save(out, "PNG")
    source = Source(out.getvalue())
    result = Engine(cache_entries=0).process(source, process)
    assert result.width > 0
    # the same engine with a cache does hash (the digest is its key)
    with pytest.raises(AssertionError):
        Engine().process(Source(out.getvalue()), process)


def test_an_animation_through_an_engine_without_a_cache_is_not_hashed_either(monkeypatch):
    monkeypatch.setattr(engine_module.hashlib, "blake2b", _NoHashing)
    result = Engine(cache_entries=0).process(Source(_gif(3)), "image/resize,w_8")
    assert (result.format, result.width) == ("gif", 8)


def test_the_module_level_process_resolves_styles():
    """Spec 18: `style/<name>` is the style's content; core.engine.process passes the
    caller's styles to its shared engine."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(out, "PNG")
    result = engine_module.process(out.getvalue(), "style/thumb",
                                   styles={"thumb": "image/resize,w_10/format,png"})
    assert (result.format, result.width, result.height) == ("png", 10, 8)
