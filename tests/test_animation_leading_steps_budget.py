"""docs/COMPATIBILITY.md, "Animations": when a result stays animated, the cascade's leading
resize (not ``p``), crop and indexcrop steps run on each frame as it is decoded, and the
memory budget counts one source frame plus every transformed frame -- so an animation of
any length (two frames included) whose frames are cropped or shrunk first passes a budget
that all its frames at full size would not fit."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from core import codec
from core.engine import Engine

W = H = 200
BUDGET = 300_000
# All frames held at full size (4 bytes a pixel, plus the frame objects) exceed the budget;
# one source frame (RGBA + its palette copy) plus the small frames fit it.
FULL_TWO_FRAMES = 2 * (W * H * 4 + codec.FRAME_OVERHEAD)
ONE_FRAME_PLUS_SMALL = W * H * 4 + W * H + 2 * (50 * 200 * 4 + codec.FRAME_OVERHEAD)


def _gif(frames: int) -> bytes:
    ims = [Image.new("RGB", (W, H), (70 * i % 256, 120, 40)) for i in range(frames)]
    out = io.BytesIO()
    ims[0].save(out, "GIF", save_all=True, append_images=ims[1:], duration=60, loop=0)
    return out.getvalue()


def test_the_budget_lies_between_the_two_ways_of_holding_the_frames():
    assert ONE_FRAME_PLUS_SMALL < BUDGET < FULL_TWO_FRAMES


@pytest.mark.parametrize("frames, process, size", [
    (2, "image/crop,w_50,h_50", (50, 50)),
    (3, "image/crop,w_50,h_50", (50, 50)),
    (2, "image/resize,w_50", (50, 50)),
    (3, "image/resize,w_50", (50, 50)),
    (2, "image/indexcrop,x_50,i_0", (50, 200)),
])
def test_leading_per_frame_steps_keep_an_animation_inside_the_budget(frames, process, size):
    result = Engine(cache_entries=0, decode_budget=BUDGET).process(_gif(frames), process)
    with Image.open(io.BytesIO(result.data)) as im:
        assert (im.format, im.size, im.n_frames) == ("GIF", size, frames)


@pytest.mark.parametrize("upto, size", [(1, (50, 50)), (2, (50, 25)), (3, (50, 25))])
def test_a_preview_up_to_a_step_stops_there_for_an_animation(upto, size):
    """The viewer's per-step preview (``upto``) of an animation: the leading per-frame
    steps run inside the decoder, but only those up to the step asked for -- the result
    after ``resize,w_50`` alone is 50x50, not already cropped by the next step."""
    process = "image/resize,w_50/crop,h_25/rotate,0"
    result = Engine(cache_entries=0).process(_gif(2), process, upto=upto)
    with Image.open(io.BytesIO(result.data)) as im:
        assert (im.format, im.size, im.n_frames) == ("GIF", size, 2)
