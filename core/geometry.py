"""Pure pixel geometry, testable without images: resize plans and crop boxes."""
from __future__ import annotations

import math
from dataclasses import dataclass

MAX_OUTPUT_SIDE = 16384
MAX_OUTPUT_PIXELS = 16_777_216


def round_div(n: int, d: int) -> int:
    """``n / d`` rounded half-up, exactly (no float error), for n, d >= 0."""
    return (2 * n + d) // (2 * d)


def scale_side(side: int, num: int, den: int) -> int:
    """``side * num / den`` rounded half-up, at least 1 px."""
    return max(1, round_div(side * num, den))


@dataclass(frozen=True)
class ResizePlan:
    """``scaled`` is the size the image is resampled to; ``canvas`` the final size.

    For ``fill`` the canvas is smaller than ``scaled`` (centre crop); for ``pad`` it is
    larger (centred on a coloured background); otherwise they are equal.
    """

    scaled: tuple[int, int]
    canvas: tuple[int, int]
    mode: str
    limited: bool = False   # limit_1 blocked an enlargement: the source is kept as is
    requested: tuple[int, int] | None = None  # the canvas asked for, before limit

    @property
    def requested_canvas(self) -> tuple[int, int]:
        return self.requested or self.canvas

    @property
    def crop_box(self) -> tuple[int, int, int, int]:
        sw, sh = self.scaled
        cw, ch = self.canvas
        left, top = (sw - cw) // 2, (sh - ch) // 2
        return (left, top, left + cw, top + ch)

    @property
    def pad_offset(self) -> tuple[int, int]:
        return ((self.canvas[0] - self.scaled[0]) // 2, (self.canvas[1] - self.scaled[1]) // 2)


def _fit(W: int, H: int, w: int, h: int, cover: bool) -> tuple[int, int]:
    """Proportional size inside (cover=False) or covering (cover=True) a w x h box."""
    # Compare w/W with h/H exactly: w*H vs h*W.
    width_ratio_smaller = w * H <= h * W
    if width_ratio_smaller != cover:
        return (w, scale_side(H, w, W))
    return (scale_side(W, h, H), h)


def resize_plan(W: int, H: int, *, m: str = "lfit", w: int | None = None, h: int | None = None,
                l: int | None = None, s: int | None = None, p: int | None = None,
                limit: int = 1) -> ResizePlan:
    """Target geometry of ``resize`` on a W x H source (spec section 2)."""
    if w is None and h is None and p is not None:
        # Percentage scaling ignores limit: the docs describe p>100 as enlarging.
        size = (scale_side(W, p, 100), scale_side(H, p, 100))
        return ResizePlan(size, size, "p")
    if w is None and h is None:
        if l is not None and s is not None:
            w, h = (l, s) if W >= H else (s, l)
        elif l is not None:
            w, h = (l, None) if W >= H else (None, l)
        elif s is not None:
            w, h = (s, None) if W <= H else (None, s)
    if w is None and h is None:
        raise ValueError("resize needs w, h, l, s or p")
    if m in ("lfit", "mfit"):
        if w is not None and h is not None:
            size = _fit(W, H, w, h, cover=(m == "mfit"))
        elif w is not None:
            size = (w, scale_side(H, w, W))
        else:
            size = (scale_side(W, h, H), h)
        plan = ResizePlan(size, size, m)
    else:
        # Fixed-size modes: a single given side means a square.
        bw, bh = (w if w is not None else h), (h if h is not None else w)
        if m == "fixed":
            plan = ResizePlan((bw, bh), (bw, bh), m)
        elif m == "fill":
            plan = ResizePlan(_fit(W, H, bw, bh, cover=True), (bw, bh), m)
        else:  # pad
            plan = ResizePlan(_fit(W, H, bw, bh, cover=False), (bw, bh), m)
    if limit and (plan.scaled[0] > W or plan.scaled[1] > H):
        return ResizePlan((W, H), (W, H), plan.mode, limited=True, requested=plan.canvas)
    return plan


def check_output_size(width: int, height: int) -> str | None:
    """Reason why OSS would refuse to produce a width x height image, or None."""
    if width > MAX_OUTPUT_SIDE or height > MAX_OUTPUT_SIDE:
        return f"The width and height of the target image must not exceed {MAX_OUTPUT_SIDE}."
    if width * height > MAX_OUTPUT_PIXELS:
        return f"The target image must not exceed {MAX_OUTPUT_PIXELS} pixels."
    return None


ANCHOR_FACTORS = {
    # g: (column, row) with 0 = left/top, 1 = centre, 2 = right/bottom
    "nw": (0, 0), "north": (1, 0), "ne": (2, 0),
    "west": (0, 1), "center": (1, 1), "east": (2, 1),
    "sw": (0, 2), "south": (1, 2), "se": (2, 2),
}


def _anchor(size: int, box: int, pos: int) -> int:
    if pos == 0:
        return 0
    if pos == 1:
        return size // 2 - box // 2
    return size - box


def crop_box(W: int, H: int, *, w: int | None, h: int | None, x: int, y: int,
             g: str) -> tuple[int, int, int, int] | None:
    """Box of ``crop`` (spec section 3), clamped to the image; None if it starts outside.

    ``w``/``h`` of None or 0 mean "to the edge". The anchor origin follows the current
    documentation's formula table; offsets move right/down from it.
    """
    cw = min(w, W) if w else W
    ch = min(h, H) if h else H
    col, row = ANCHOR_FACTORS[g]
    x0 = _anchor(W, cw, col) + x
    y0 = _anchor(H, ch, row) + y
    if x0 >= W or y0 >= H:
        return None
    return (x0, y0, min(x0 + cw, W), min(y0 + ch, H))


def index_slice(W: int, H: int, *, x: int | None, y: int | None, i: int
                ) -> tuple[int, int, int, int] | None:
    """Box of ``indexcrop`` slice ``i``; None when ``i`` is past the last slice
    (OSS then returns the source unchanged). ``y`` wins when both are given."""
    if y is not None:
        if i * y >= H:
            return None
        return (0, i * y, W, min((i + 1) * y, H))
    if i * x >= W:
        return None
    return (i * x, 0, min((i + 1) * x, W), H)


def rotated_size(W: int, H: int, degrees: float) -> tuple[int, int]:
    """Bounding box of a W x H image rotated by ``degrees`` (sides rounded up)."""
    rad = math.radians(degrees % 360)
    c, s = abs(math.cos(rad)), abs(math.sin(rad))
    eps = 1e-9
    return (max(1, math.ceil(W * c + H * s - eps)), max(1, math.ceil(W * s + H * c - eps)))


def circle_radius(W: int, H: int, r: int) -> int:
    """Effective ``circle`` radius: the output is a (2r+1) square inside the image."""
    shorter = min(W, H)
    if 2 * r + 1 > shorter:
        r = (shorter - 1) // 2
    return max(r, 0)
