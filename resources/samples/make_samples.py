"""Regenerate the derived samples from ``example.jpg`` (MIT, see README.md here).

Every derived sample is made from the one photograph so the whole set carries the same
licence. Run from anywhere: ``python3 resources/samples/make_samples.py``. The output is
deterministic for a given Pillow version (no randomness, fixed encoder settings).
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
PHOTO = HERE / "example.jpg"
ORIENTATION = 0x0112


def transparent_png(photo: Image.Image) -> Image.Image:
    """The photo inside a soft-edged rounded shape whose alpha also fades left to right,
    so both fully transparent, fully opaque and partial alpha are present."""
    W, H = photo.size
    k = 4  # supersample the mask for smooth edges
    shape = Image.new("L", (W * k, H * k), 0)
    ImageDraw.Draw(shape).rounded_rectangle((24 * k, 16 * k, (W - 24) * k, (H - 16) * k),
                                            radius=60 * k, fill=255)
    shape = shape.reduce(k).filter(ImageFilter.GaussianBlur(1.2))
    fade = Image.linear_gradient("L").rotate(90, expand=True).resize((W, H))
    fade = fade.transpose(Image.Transpose.FLIP_LEFT_RIGHT).point(lambda v: 90 + v * 165 // 255)
    alpha = ImageChops.multiply(shape, fade)
    out = photo.convert("RGBA")
    out.putalpha(alpha)
    return out


def logo_png() -> Image.Image:
    """A small badge for watermark experiments (object key ``logo.png``)."""
    k, size = 4, 96
    im = Image.new("RGBA", (size * k, size * k), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.ellipse((4 * k, 4 * k, (size - 4) * k, (size - 4) * k), fill=(255, 106, 0, 230))
    d.ellipse((22 * k, 22 * k, (size - 22) * k, (size - 22) * k), fill=(255, 255, 255, 255))
    d.ellipse((34 * k, 34 * k, (size - 34) * k, (size - 34) * k), fill=(255, 106, 0, 255))
    return im.reduce(k)


def animated_gif(photo: Image.Image) -> tuple[list[Image.Image], list[int]]:
    """A slow pan across the photo: 12 frames of 200x150."""
    W, H = photo.size
    fw, fh = 200, 150
    frames = []
    n = 12
    for i in range(n):
        # There and back again so the loop has no jump.
        t = i / (n // 2) if i <= n // 2 else (n - i) / (n // 2)
        left = round(t * (W - fw * 1.2))
        box = (left, (H - round(fh * 1.2)) // 2, left + round(fw * 1.2),
               (H - round(fh * 1.2)) // 2 + round(fh * 1.2))
        frames.append(photo.crop(box).resize((fw, fh), Image.Resampling.LANCZOS)
                      .quantize(128, dither=Image.Dither.NONE))
    return frames, [120] * n


def exif_rotated(photo: Image.Image) -> tuple[Image.Image, bytes]:
    """Pixels stored turned a quarter counter-clockwise with EXIF Orientation 6 ("rotate
    90 CW to display"), as a phone camera writes them; upright only when oriented."""
    stored = photo.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "oss-style-viewer sample"  # Make
    exif[0x0110] = "make_samples.py"          # Model
    return stored, exif.tobytes()


def main() -> None:
    photo = Image.open(PHOTO)
    photo.load()
    photo = photo.convert("RGB")
    transparent_png(photo).save(HERE / "transparent.png", optimize=True)
    logo_png().save(HERE / "logo.png", optimize=True)
    frames, durations = animated_gif(photo)
    frames[0].save(HERE / "animated.gif", save_all=True, append_images=frames[1:],
                   duration=durations, loop=0, disposal=1)
    stored, exif = exif_rotated(photo)
    stored.save(HERE / "exif-rotated.jpg", quality=90, exif=exif)
    for name in ("transparent.png", "logo.png", "animated.gif", "exif-rotated.jpg"):
        path = HERE / name
        print(f"{name}: {Image.open(path).size} {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
