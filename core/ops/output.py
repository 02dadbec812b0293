"""Encoder settings: format, quality, interlace. They take effect at encode time."""
from __future__ import annotations

from ..errors import OssError
from ..params import Kind, Operation, operation, param
from ..picture import Context, Picture

OUTPUT_FORMATS = ("jpg", "jpeg", "png", "webp", "bmp", "gif", "tiff", "heic", "avif")


@operation("format", "Format", "Output format. gif only applies to GIF sources; "
           "transparency becomes white in jpg.", single_value=True)
class Format(Operation):
    WORKING_COPIES = 0.0  # settings only: no pixel is touched
    value: str | None = param(Kind.ENUM, "Format", "Output image format.",
                              choices=OUTPUT_FORMATS, default="jpg", ec="0040-00000206",
                              ec_missing="0040-00000207")

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        fmt = "jpg" if self.value == "jpeg" else self.value
        if fmt == "gif" and pic.source_format != "gif":
            return pic  # OSS: format,gif only takes effect on GIF sources
        return pic.replace(format=fmt)


@operation("quality", "Quality", "JPEG/WebP quality: q is relative to the source's own "
           "quality, Q absolute (never above the source's).")
class Quality(Operation):
    WORKING_COPIES = 0.0
    EC_UNKNOWN_VALUE = "0040-00000310"
    q: int | None = param(Kind.INT, "Relative quality", "Target = source quality x q%. JPG only "
                          "(acts like Q for WebP).", min=1, max=100, ec="0040-00000309",
                          unit="%")
    Q: int | None = param(Kind.INT, "Absolute quality", "Target quality, capped at the source "
                          "quality. Wins over q.", min=1, max=100, ec="0040-00000308")

    def check(self) -> None:
        if self.q is None and self.Q is None:
            raise OssError("MissingArgument", "Missing argument: quality needs q or Q.",
                           ec="0040-00000307", key="q")

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        return pic.replace(q=self.q, Q=self.Q)


@operation("interlace", "Interlace", "1: progressive JPEG (loads blurry-to-sharp); 0: "
           "baseline.", single_value=True)
class Interlace(Operation):
    WORKING_COPIES = 0.0
    value: int | None = param(Kind.FLAG, "Progressive", "1 = progressive, 0 = baseline.",
                              default=0, ec="0040-00000282", ec_missing="0040-00000281")

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        return pic.replace(interlace=self.value)
