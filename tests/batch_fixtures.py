"""Source folders for the batch tests: good, corrupt, empty, huge-dimension, animated."""
from __future__ import annotations

from pathlib import Path

from PIL import Image


def make_sources(root: Path) -> Path:
    """A folder of the kinds of images a bucket holds, including the broken ones."""
    src = root / "src"
    (src / "nested").mkdir(parents=True)
    # Good: a photo-like JPEG and a PNG with alpha in a sub-folder (recursive walk).
    im = Image.radial_gradient("L").resize((800, 600)).convert("RGB")
    im.save(src / "good.jpg", quality=92)
    Image.new("RGBA", (400, 200), (0, 100, 200, 128)).save(src / "nested" / "alpha.png")
    # Corrupt: a JPEG signature followed by garbage.
    (src / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"not a jpeg" * 20)
    # Empty object.
    (src / "empty.png").write_bytes(b"")
    # Huge dimension: 40000 x 1, beyond OSS's 30,000 px per side (header-only check).
    Image.new("L", (40_000, 1)).save(src / "huge.png")
    # Animated GIF, 3 frames.
    frames = [Image.new("RGB", (200, 100), (i * 80, 50, 200 - i * 60)) for i in range(3)]
    frames[0].save(src / "anim.gif", save_all=True, append_images=frames[1:], duration=80,
                   loop=0)
    return src
