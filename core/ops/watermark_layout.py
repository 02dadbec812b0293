"""Where a watermark goes and how big it is (spec section 15): pure helpers, one rule each.

Each rule the spec leaves open is one function here, tested alone and described in
``docs/COMPATIBILITY.md``: :func:`anchor_origin` (the nine anchors, ``voffset``),
:func:`tile_grid` (``fill_1``), :func:`layout_block` (image + text), :func:`percent_size`
(``resize,P_``), :func:`shadow_offset`; :func:`clip_box` and :func:`check_layer_size` keep
drawing inside the canvas and the engine's memory.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image

from ..errors import OssError
from ..geometry import ANCHOR_FACTORS

# Positive voffset moves the watermark up (towards the top edge). Unverified; see the notes.
VOFFSET_UP = True
# A local safety limit, not an OSS one: size_1000 + rotate_45 on 64 bytes of text, or P on
# a 1 px wide strip, would otherwise ask for gigabytes. 64 MP is 256 MB as RGBA.
MAX_LAYER_PIXELS = 64_000_000


def anchor_origin(W: int, H: int, w: int, h: int, g: str, x: int, y: int,
                  voffset: int) -> tuple[int, int]:
    """Top-left corner of a ``w`` x ``h`` watermark on a ``W`` x ``H`` image.

    ``x`` is the margin to the left or right edge (ignored for the centre column), ``y`` the
    margin to the top or bottom edge (ignored for the middle row), ``voffset`` moves the
    middle row off the horizontal centre line. The result may be negative or past the edge
    when the watermark is larger than the image; drawing clips it.
    """
    col, row = ANCHOR_FACTORS[g]
    left = (x, (W - w) // 2, W - w - x)[col]
    shift = -voffset if VOFFSET_UP else voffset
    top = (y, (H - h) // 2 + shift, H - h - y)[row]
    return left, top


def tile_grid(W: int, H: int, w: int, h: int, x0: int, y0: int, padx: int,
              pady: int) -> tuple[range, range]:
    """Tile origins for ``fill_1``: the tile at (x0, y0) repeated every ``w + padx`` /
    ``h + pady`` pixels in both directions, keeping every tile that touches the image."""
    sx, sy = w + padx, h + pady

    def axis(start: int, step: int, size: int, extent: int) -> range:
        # The leftmost (topmost) tile of the lattice that still reaches into the image.
        first = start - step * ((start + size - 1) // step)
        return range(first, extent, step)

    return axis(x0, sx, w, W), axis(y0, sy, h, H)


@dataclass(frozen=True)
class Block:
    """Layout of an image + text watermark: the block size and where each part goes."""

    size: tuple[int, int]
    image_at: tuple[int, int]
    text_at: tuple[int, int]


def layout_block(image_size: tuple[int, int], text_size: tuple[int, int], order: int,
                 align: int, interval: int) -> Block:
    """Side by side: ``order`` 0 puts the image left of the text, 1 the text first;
    ``interval`` px between them; ``align`` 0/1/2 aligns the tops, the middles or the
    bottoms of the two parts."""
    (iw, ih), (tw, th) = image_size, text_size
    H = max(ih, th)

    def top(h: int) -> int:
        return (0, (H - h) // 2, H - h)[align]

    if order == 0:
        ix, tx = 0, iw + interval
    else:
        tx, ix = 0, tw + interval
    return Block((iw + tw + interval, H), (ix, top(ih)), (tx, top(th)))


def percent_size(main_width: int, w: int, h: int, P: int) -> tuple[int, int]:
    """Size of a ``w`` x ``h`` watermark scaled by ``resize,P_`` so that its width is P% of
    the main image's width, keeping its aspect ratio (at least 1 x 1)."""
    nw = max(1, math.floor(main_width * P / 100 + 0.5))
    nh = max(1, math.floor(h * nw / w + 0.5))
    return nw, nh


def shadow_offset(size: int) -> int:
    """Shadow displacement (right and down) for text of ``size`` px: 5%, at least 1 px."""
    return max(1, math.floor(size / 20 + 0.5))


def check_layer_size(w: int, h: int, key: str) -> None:
    if w * h > MAX_LAYER_PIXELS:
        raise OssError("ImageTooLarge",
                       f"The watermark would be {w}x{h} pixels, more than this engine draws "
                       f"({MAX_LAYER_PIXELS} pixels).", key=key)


def clip_box(W: int, H: int, w: int, h: int, x: int, y: int
             ) -> tuple[tuple[int, int], tuple[int, int, int, int]] | None:
    """Where a ``w`` x ``h`` layer at (x, y) lands on a ``W`` x ``H`` canvas: (destination,
    source box inside the layer), or None when nothing of it is visible."""
    left, top = max(x, 0), max(y, 0)
    right, bottom = min(x + w, W), min(y + h, H)
    if right <= left or bottom <= top:
        return None
    return (left, top), (left - x, top - y, right - x, bottom - y)


def resize_layer(layer: Image.Image, size: tuple[int, int]) -> Image.Image:
    if layer.size == size:
        return layer
    return layer.convert("RGBa").resize(size, Image.Resampling.LANCZOS).convert("RGBA")
