"""Tone and detail actions: blur, bright, contrast, sharpen.

OSS publishes no formulas for these; the mappings below are our choices (documented in
docs/COMPATIBILITY.md). They keep the image size and alpha channel; on an animation they
return the first frame only, as OSS does for these actions.
"""
from __future__ import annotations

from PIL import Image, ImageFilter

from ..params import Kind, Operation, operation, param
from ..picture import Context, Picture


def _per_color_channel(frame: Image.Image, fn) -> Image.Image:
    """Apply ``fn`` to the colour bands, leaving alpha untouched.

    Holds one colour copy and the alpha band besides the frame (not four split bands
    plus their merge): at the decode budget this is the difference between ~1.4 and
    ~1.9 GB peak for a blur. Frames arrive as RGB or RGBA: core.codec normalises every
    decoded mode (and watermark layers are RGBA)."""
    if frame.mode == "RGBA":
        alpha = frame.getchannel("A")
        out = fn(frame.convert("RGB"))
        out.putalpha(alpha)
        return out
    return fn(frame)


def _working(pic: Picture, copies: float) -> int:
    """Working bytes of a step that runs a filter holding ``copies`` pictures on the
    colour bands: with alpha, the RGB copy and the alpha band come on top (bench_big)."""
    extra = 1.25 if pic.image.mode == "RGBA" else 0.0
    return int(pic.image.width * pic.image.height * 4 * (copies + extra))


def _lut(frame: Image.Image, table: list[int]) -> Image.Image:
    return _per_color_channel(frame, lambda im: im.point(table * len(im.getbands())))


@operation("blur", "Blur", "Gaussian blur with radius r and standard deviation s.")
class Blur(Operation):
    r: int | None = param(Kind.INT, "Radius", "Blur radius (kernel half-size).", min=1,
                          max=50, required=True, ec="0040-00000241",
                          ec_missing="0040-00000241", unit="px")
    s: int | None = param(Kind.INT, "Sigma", "Standard deviation of the Gaussian.", min=1,
                          max=50, required=True, ec="0040-00000242",
                          ec_missing="0040-00000242")

    def makes_static(self) -> bool:
        return True

    def working_bytes(self, pic: Picture) -> int:
        return _working(pic, 2)  # the output and the filter's intermediate pass

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        # A kernel of radius r truncates the Gaussian, so the effective sigma is at most r.
        sigma = min(self.s, self.r)
        return pic.first_frame(lambda f: _per_color_channel(
            f, lambda im: im.filter(ImageFilter.GaussianBlur(sigma))))


def bright_table(value: int) -> list[int]:
    offset = round(value * 2.55)
    return [min(255, max(0, i + offset)) for i in range(256)]


def contrast_table(value: int) -> list[int]:
    # The classic contrast-correction curve around mid-grey: c in [-255, 255].
    c = value * 2.55
    factor = (259 * (c + 255)) / (255 * (259 - c))
    return [min(255, max(0, round(factor * (i - 128) + 128))) for i in range(256)]


@operation("bright", "Brightness", "Brightness: negative darker, positive brighter.",
           single_value=True)
class Bright(Operation):
    value: int | None = param(Kind.INT, "Brightness", "-100 to 100; 0 leaves the image as is.",
                              min=-100, max=100, default=0, ec="0040-00000246",
                              ec_missing="0040-00000246")

    def makes_static(self) -> bool:
        return self.value != 0

    def working_bytes(self, pic: Picture) -> int:
        return _working(pic, 1) if self.value else 0

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        if self.value == 0:
            return pic
        table = bright_table(self.value)
        return pic.first_frame(lambda f: _lut(f, table))


@operation("contrast", "Contrast", "Contrast: negative flatter, positive stronger.",
           single_value=True)
class Contrast(Operation):
    value: int | None = param(Kind.INT, "Contrast", "-100 to 100; 0 leaves the image as is.",
                              min=-100, max=100, default=0)

    def makes_static(self) -> bool:
        return self.value != 0

    def working_bytes(self, pic: Picture) -> int:
        return _working(pic, 1) if self.value else 0

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        if self.value == 0:
            return pic
        table = contrast_table(self.value)
        return pic.first_frame(lambda f: _lut(f, table))


@operation("sharpen", "Sharpen", "Sharpen: 50 to 399, higher is sharper; 100 is a good "
           "default.", single_value=True)
class Sharpen(Operation):
    value: int | None = param(Kind.INT, "Amount", "50-399; 100 recommended.", min=50, max=399,
                              default=100, ec="0040-00000280", ec_missing="0040-00000280")

    def makes_static(self) -> bool:
        return True

    def working_bytes(self, pic: Picture) -> int:
        return _working(pic, 2)  # the output and the blurred copy the mask is made from

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        unsharp = ImageFilter.UnsharpMask(radius=1.0, percent=self.value, threshold=0)
        return pic.first_frame(lambda f: _per_color_channel(f, lambda im: im.filter(unsharp)))
