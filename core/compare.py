"""How far apart two renderings of the same cascade are (ours vs OSS, or vs a local server).

Pure Pillow, no Qt: the viewer's remote panel shows :meth:`Comparison.summary`, and a
script can use :func:`compare` to check our engine against saved OSS outputs.

The images are compared premultiplied by alpha (Pillow's ``RGBa`` mode), so the colour
hidden under a fully transparent pixel -- which encoders are free to change -- never counts
as a difference, while a change in opacity does.
"""
from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageChops, ImageStat

DEFAULT_THRESHOLD = 8   # a channel must differ by more than this for a pixel to "differ"
CHANNELS = ("R", "G", "B", "A")


@dataclass(frozen=True)
class Comparison:
    """Sizes of both images and, when they match, how much the pixels differ.

    ``mean_abs``: mean absolute difference per channel (R, G, B, A; premultiplied colour),
    0-255. ``max_abs``: the largest single-channel difference. ``differing``: fraction of
    pixels (0-1) where some channel differs by more than ``threshold``. All three are None
    when the sizes differ.
    """

    size_a: tuple[int, int]
    size_b: tuple[int, int]
    threshold: int = DEFAULT_THRESHOLD
    mean_abs: tuple[float, float, float, float] | None = None
    max_abs: int | None = None
    differing: float | None = None

    @property
    def same_size(self) -> bool:
        return self.size_a == self.size_b

    @property
    def identical(self) -> bool:
        return self.same_size and self.max_abs == 0

    def summary(self) -> str:
        """One line for a status label, e.g. ``mean |Δ| R 0.4 G 0.3 B 0.5 A 0.0; 0.12% of
        pixels differ by > 8``."""
        if not self.same_size:
            (aw, ah), (bw, bh) = self.size_a, self.size_b
            return f"Sizes differ: {aw}×{ah} vs {bw}×{bh}."
        if self.identical:
            return "Pixel-identical."
        means = " ".join(f"{c} {v:.1f}" for c, v in zip(CHANNELS, self.mean_abs or ()))
        return (f"mean |Δ| {means}; {100 * (self.differing or 0):.2f}% of pixels differ by "
                f"> {self.threshold} (max {self.max_abs}).")


def _premultiplied(image: Image.Image) -> Image.Image:
    if image.mode != "RGBA":
        image = image.convert("RGBA")
    return image.convert("RGBa")


def compare(a: Image.Image, b: Image.Image, threshold: int = DEFAULT_THRESHOLD) -> Comparison:
    """Compare the first frames of ``a`` and ``b`` (any modes)."""
    if not 0 <= threshold <= 255:
        raise ValueError(f"threshold {threshold} must be 0-255")
    if a.size != b.size:
        return Comparison(a.size, b.size, threshold)
    if a.width == 0 or a.height == 0:
        return Comparison(a.size, b.size, threshold, (0.0, 0.0, 0.0, 0.0), 0, 0.0)
    diff = ImageChops.difference(_premultiplied(a), _premultiplied(b))
    bands = diff.split()
    means = tuple(float(m) for m in ImageStat.Stat(diff).mean)
    worst = bands[0]
    for band in bands[1:]:
        worst = ImageChops.lighter(worst, band)
    max_abs = worst.getextrema()[1]
    over = worst.point(lambda v: 255 if v > threshold else 0)
    count = over.histogram()[255]
    return Comparison(a.size, b.size, threshold, means, int(max_abs),
                      count / (a.width * a.height))
