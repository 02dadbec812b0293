"""Geometry actions: resize, crop, indexcrop, circle, rounded-corners, rotate, auto-orient."""
from __future__ import annotations

from PIL import Image, ImageDraw

from .. import geometry as geo
from ..errors import OssError
from ..params import GRAVITIES, Kind, Operation, operation, param
from ..picture import Context, Picture, to_rgba

MAX_ROTATE_SOURCE_SIDE = 4096
_SUPERSAMPLE = 4  # anti-aliasing factor for circle / rounded-corner masks


REDUCING_GAP = 3.0
_PREMULTIPLIED = {"RGBA": "RGBa", "LA": "La"}
_STRIP_BYTES = 1 << 22


def _resample(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.size == size:
        return image
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    W, H = image.size
    fx = int(W / size[0] / REDUCING_GAP) or 1
    fy = int(H / size[1] / REDUCING_GAP) or 1
    if image.mode in _PREMULTIPLIED and (fx > 1 or fy > 1):
        return _reduce_then_resample(image, size, fx, fy)
    # reducing_gap makes large shrinks fast (a box pre-reduction) at no visible cost.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)


def _reduce_then_resample(image: Image.Image, size: tuple[int, int], fx: int, fy: int
                          ) -> Image.Image:
    """What ``image.resize(size, LANCZOS, reducing_gap=...)`` does for an image with
    alpha, byte for byte, without its full-size premultiplied copy: the premultiply and
    the box reduction run strip by strip (strips a multiple of ``fy`` rows high, so the
    boxes are the same), then Lanczos finishes on the reduced image."""
    W, H = image.size
    premul = _PREMULTIPLIED[image.mode]
    rows = fy * max(1, _STRIP_BYTES // max(1, W * len(image.getbands()) * fy))
    reduced = Image.new(premul, (-(-W // fx), -(-H // fy)))
    for top in range(0, H, rows):
        strip = image.crop((0, top, W, min(H, top + rows))).convert(premul)
        reduced.paste(strip.reduce((fx, fy)), (0, top // fy))
    out = reduced.resize(size, Image.Resampling.LANCZOS, box=(0, 0, W / fx, H / fy))
    return out.convert(image.mode)


@operation("resize", "Resize",
           "Scale the image: fit inside (lfit), cover (mfit), cover and crop (fill), "
           "fit and pad (pad) or stretch (fixed).")
class Resize(Operation):
    m: str | None = param(Kind.ENUM, "Mode",
                          "lfit: largest image inside w x h; mfit: smallest image covering "
                          "w x h; fill: mfit then centre-crop; pad: lfit then pad with color; "
                          "fixed: stretch to exactly w x h.",
                          choices=("lfit", "mfit", "fill", "pad", "fixed"), default="lfit",
                          ec="0040-00000311")
    w: int | None = param(Kind.INT, "Width", "Target width in pixels.", min=1, max=16384,
                          ec="0040-00000312", unit="px")
    h: int | None = param(Kind.INT, "Height", "Target height in pixels.", min=1, max=16384,
                          ec="0040-00000313", unit="px")
    l: int | None = param(Kind.INT, "Long side", "Target length of the long side "
                          "(ignored when w or h is given).", min=1, max=16384, unit="px")
    s: int | None = param(Kind.INT, "Short side", "Target length of the short side "
                          "(ignored when w or h is given).", min=1, max=16384,
                          ec="0040-00000315", unit="px")
    limit: int | None = param(Kind.FLAG, "Do not enlarge",
                              "1: when the result would be larger than the source, keep the "
                              "source size; 0: enlarge as asked.", default=1)
    color: str | None = param(Kind.COLOR, "Pad colour", "Background colour for m_pad (RRGGBB).",
                              default="FFFFFF")
    p: int | None = param(Kind.INT, "Percent", "Scale both sides by this percentage "
                          "(ignored when w or h is given).", min=1, max=1000,
                          ec="0040-00000317", unit="%")

    @classmethod
    def precheck(cls, raw: dict[str, str]) -> None:
        if raw.get("w") == "0" and raw.get("h") == "0":
            raise OssError("InvalidArgument",
                           "The value: 0 of parameter: w and h is invalid.",
                           ec="0040-00000321", key="w")

    def check(self) -> None:
        if self.w is None and self.h is None and self.l is None and self.s is None \
                and self.p is None:
            raise OssError("MissingArgument",
                           "Missing argument: resize needs w, h, l, s or p.", key="w")

    def makes_static(self) -> bool:
        return self.p is not None and self.w is None and self.h is None  # mode p

    def plan(self, W: int, H: int) -> geo.ResizePlan:
        return geo.resize_plan(W, H, m=self.get("m"), w=self.w, h=self.h, l=self.l,
                               s=self.s, p=self.p, limit=self.get("limit"))

    def working_bytes(self, pic: Picture) -> int:
        # The output at the planned canvas, and once more for the resampler's passes
        # (a reduce, then a horizontal pass at the output width): never the input's size.
        W, H = pic.size
        plan = self.plan(W, H)
        if plan.limited:
            return 0
        cw, ch = plan.canvas
        per_px = pic.nbytes // max(1, W * H)
        return 2 * cw * ch * per_px

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        W, H = pic.size
        plan = self.plan(W, H)
        # OSS refuses an over-large request even when limit_1 would keep the source size.
        reason = geo.check_output_size(*plan.requested_canvas)
        if reason:
            raise OssError("InvalidArgument", reason, ec="0040-00000007", key="w")
        if plan.limited:
            return pic
        if pic.animated:
            if plan.mode == "p":
                return pic.first_frame(lambda f: self._one(f, plan))  # p makes GIFs static
            if plan.scaled[0] > W or plan.scaled[1] > H:
                return pic  # OSS cannot enlarge a GIF
        return pic.map_frames(lambda f: self._one(f, plan))

    def _one(self, frame: Image.Image, plan: geo.ResizePlan) -> Image.Image:
        out = _resample(frame, plan.scaled)
        if plan.mode == "fill":
            return out.crop(plan.crop_box)
        if plan.mode == "pad":
            color = "#" + self.get("color")
            mode = "RGBA" if out.mode in ("RGBA", "LA") else "RGB"
            canvas = Image.new(mode, plan.canvas, color)
            canvas.paste(out.convert(mode), plan.pad_offset)
            return canvas
        return out


@operation("crop", "Crop", "Cut a w x h region whose origin is the anchor g moved by (x, y).")
class Crop(Operation):
    w: int | None = param(Kind.INT, "Width", "Crop width; omitted or 0 = to the edge.",
                          min=0, max=30000, ec="0040-00000225", unit="px")
    h: int | None = param(Kind.INT, "Height", "Crop height; omitted or 0 = to the edge.",
                          min=0, max=30000, ec="0040-00000226", unit="px")
    x: int | None = param(Kind.INT, "X offset", "Offset to the right of the anchor.",
                          min=0, max=30000, default=0, unit="px")
    y: int | None = param(Kind.INT, "Y offset", "Offset down from the anchor.",
                          min=0, max=30000, default=0, unit="px")
    g: str | None = param(Kind.ENUM, "Anchor", "Which of the 9 grid positions the crop "
                          "origin is measured from.", choices=GRAVITIES, default="nw")

    def working_bytes(self, pic: Picture) -> int:
        W, H = pic.size
        box = geo.crop_box(W, H, w=self.w, h=self.h, x=self.get("x"), y=self.get("y"),
                           g=self.get("g")) or (0, 0, 0, 0)
        return (box[2] - box[0]) * (box[3] - box[1]) * (pic.nbytes // max(1, W * H))

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        W, H = pic.size
        box = geo.crop_box(W, H, w=self.w, h=self.h, x=self.get("x"), y=self.get("y"),
                           g=self.get("g"))
        if box is None:
            raise OssError("BadRequest", "Advance cut's position is out of image.", key="x")
        if box == (0, 0, W, H):
            return pic
        return pic.map_frames(lambda f: f.crop(box))


@operation("indexcrop", "Indexed slice",
           "Cut the image into slices of x pixels wide (or y pixels high) and keep slice i.")
class IndexCrop(Operation):
    x: int | None = param(Kind.INT, "Slice width", "Cut along the horizontal axis into "
                          "slices this wide.", min=1, max=30000, ec="0040-00000230", unit="px")
    y: int | None = param(Kind.INT, "Slice height", "Cut along the vertical axis into slices "
                          "this high (wins over x).", min=1, max=30000, ec="0040-00000230",
                          unit="px")
    i: int | None = param(Kind.INT, "Index", "Zero-based slice index; past the last slice the "
                          "original image is returned.", min=0, max=30000, default=0,
                          ec="0040-00000229")

    def check(self) -> None:
        if self.x is None and self.y is None:
            raise OssError("MissingArgument", "Missing argument: indexcrop needs x or y.",
                           ec="0040-00000230", key="x")

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        W, H = pic.size
        box = geo.index_slice(W, H, x=self.x, y=self.y, i=self.get("i"))
        if box is None or box == (0, 0, W, H):
            return pic
        return pic.map_frames(lambda f: f.crop(box))


def _mask(size: tuple[int, int], draw_shape) -> Image.Image:
    """An anti-aliased L mask: draw at _SUPERSAMPLE x and reduce."""
    big = Image.new("L", (size[0] * _SUPERSAMPLE, size[1] * _SUPERSAMPLE), 0)
    draw_shape(ImageDraw.Draw(big), _SUPERSAMPLE)
    return big.reduce(_SUPERSAMPLE)


# Bytes a pixel of a masked result takes at the peak: the mask drawn at _SUPERSAMPLE^2,
# its reduction, the RGBA conversion and its copy (and the alpha product for RGBA).
_MASK_BYTES_PER_PIXEL = _SUPERSAMPLE * _SUPERSAMPLE + 1 + 4 + 4 + 1


def _apply_mask(frame: Image.Image, mask: Image.Image) -> Image.Image:
    out = to_rgba(frame)
    if frame.mode == "RGBA":
        from PIL import ImageChops
        mask = ImageChops.multiply(out.getchannel("A"), mask)
    if out is frame:  # never write into the step's input (caches may hold it)
        out = out.copy()
    out.putalpha(mask)
    return out


def _rounded_mask(W: int, H: int, r: int) -> Image.Image:
    """The anti-aliased mask of a W x H rounded rectangle of radius r, as ``_mask`` would
    draw it whole, but supersampled only in the four r x r corner squares (everything
    else is inside the rectangle: 255). The full rectangle is drawn translated into each
    corner's canvas, so each corner's pixels are exactly those of the whole drawing;
    the peak is 1 byte a pixel plus 4 (r*k)^2 instead of k^2 bytes a pixel."""
    mask = Image.new("L", (W, H), 255)
    if r <= 0:
        return mask
    for left, top in ((0, 0), (W - r, 0), (0, H - r), (W - r, H - r)):
        corner = _mask((r, r), lambda d, k: d.rounded_rectangle(
            (-left * k, -top * k, (W - left) * k - 1, (H - top) * k - 1), radius=r * k,
            fill=255))
        mask.paste(corner, (left, top))
    return mask


@operation("circle", "Circle", "Keep the circle of radius r at the centre; outside it is "
           "transparent (white in JPG). The result is the circle's square.")
class Circle(Operation):
    r: int | None = param(Kind.INT, "Radius", "Circle radius; capped so the circle fits the "
                          "image.", min=1, max=4096, required=True, ec="0040-00000233",
                          ec_missing="0040-00000233", unit="px")

    def makes_static(self) -> bool:
        return True

    def working_bytes(self, pic: Picture) -> int:
        side = 2 * geo.circle_radius(*pic.size, self.r) + 1
        return side * side * _MASK_BYTES_PER_PIXEL

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        W, H = pic.size
        r = geo.circle_radius(W, H, self.r)
        side = 2 * r + 1
        left, top = W // 2 - r, H // 2 - r
        box = (left, top, left + side, top + side)
        mask = _mask((side, side), lambda d, k: d.ellipse((0, 0, side * k - 1, side * k - 1),
                                                          fill=255))
        return pic.first_frame(lambda f: _apply_mask(f.crop(box), mask))


@operation("rounded-corners", "Rounded corners",
           "Cut the four corners with quarter circles of radius r (transparent, or white in JPG).")
class RoundedCorners(Operation):
    r: int | None = param(Kind.INT, "Radius", "Corner radius; capped to half the shorter "
                          "side.", min=1, max=4096, required=True, ec="0040-00000237",
                          ec_missing="0040-00000237", unit="px")

    def makes_static(self) -> bool:
        return True

    def working_bytes(self, pic: Picture) -> int:
        # The mask (1 byte a pixel), the RGBA result (4; an RGB source's conversion is
        # the result, an RGBA source gets a copy and the alpha product: 1 more), and one
        # supersampled corner at a time.
        r = min(self.r or 0, min(pic.size) // 2)
        per_pixel = 1 + 4 + (1 if pic.image.mode == "RGBA" else 0)
        return pic.width * pic.height * per_pixel + (r * _SUPERSAMPLE) ** 2 + r * r

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        W, H = pic.size
        r = min(self.r, min(W, H) // 2)
        mask = _rounded_mask(W, H, r)
        return pic.first_frame(lambda f: _apply_mask(f, mask))


def _rotate(frame: Image.Image, degrees: int) -> Image.Image:
    d = degrees % 360
    exact = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
             270: Image.Transpose.ROTATE_90}
    if d == 0:
        return frame
    if d in exact:  # Pillow's ROTATE_n is counter-clockwise; OSS rotates clockwise
        return frame.transpose(exact[d])
    rgba = to_rgba(frame)
    out = rgba.rotate(-d, resample=Image.Resampling.BICUBIC, expand=True,
                      fillcolor=(255, 255, 255, 0))
    # Pillow's expanded canvas can be a pixel larger than the rotated bounding box.
    tw, th = geo.rotated_size(frame.width, frame.height, d)
    if out.size != (tw, th):
        left, top = (out.width - tw) // 2, (out.height - th) // 2
        out = out.crop((left, top, left + tw, top + th))
    return out


@operation("rotate", "Rotate", "Rotate clockwise by this many degrees; other angles than "
           "multiples of 90 grow the canvas.", single_value=True)
class Rotate(Operation):
    value: int | None = param(Kind.INT, "Degrees", "Clockwise rotation, 0-360.", min=0,
                              max=360, default=0, ec="0040-00000217",
                              ec_missing="0040-00000216", unit="°")

    def makes_static(self) -> bool:
        return self.value % 360 != 0

    def working_bytes(self, pic: Picture) -> int:
        W, H = pic.size
        if W > MAX_ROTATE_SOURCE_SIDE or H > MAX_ROTATE_SOURCE_SIDE or self.value % 360 == 0:
            return 0  # refused by OSS's own limit (BadRequest), or nothing to do
        tw, th = geo.rotated_size(W, H, self.value % 360)
        return tw * th * 4  # the (possibly larger) canvas, RGBA for other angles

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        W, H = pic.size
        if W > MAX_ROTATE_SOURCE_SIDE or H > MAX_ROTATE_SOURCE_SIDE:
            raise OssError("BadRequest",
                           "Picture exceed the maximum allowable rotation range.",
                           key="value")
        if self.value % 360 == 0:
            return pic
        return pic.first_frame(lambda f: _rotate(f, self.value))


@operation("auto-orient", "Auto-orient",
           "1: turn the image upright according to its EXIF Orientation before any other "
           "action; 0: keep the stored orientation.", single_value=True)
class AutoOrient(Operation):
    value: int | None = param(Kind.FLAG, "Orient", "1 = apply EXIF Orientation, 0 = ignore it.",
                              default=1, ec="0040-00000215", ec_missing="0040-00000214")

    def apply(self, pic: Picture, ctx: Context) -> Picture:
        # Acts at decode time (see core.engine): OSS orients before the other actions,
        # wherever auto-orient is written.
        return pic
