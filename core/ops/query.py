"""Query actions: info and average-hue. They must be the only action of a cascade and
answer JSON instead of an image; the engine handles them before decoding pixels."""
from __future__ import annotations

from ..params import Operation, operation
from ..picture import Context, Picture


@operation("info", "Info", "Return the image's size, format and EXIF as JSON.",
           terminal=True)
class Info(Operation):
    WORKING_COPIES = 0.0
    def apply(self, pic: Picture, ctx: Context) -> Picture:
        return pic


@operation("average-hue", "Average hue", "Return the image's dominant colour as JSON "
           "{\"RGB\": \"0xRRGGBB\"}.", terminal=True)
class AverageHue(Operation):
    WORKING_COPIES = 0.0
    def apply(self, pic: Picture, ctx: Context) -> Picture:
        return pic
