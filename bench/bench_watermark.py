"""Watermark benchmark: prints figures; run by hand, record results in docs/PERFORMANCE.md.

    python bench/bench_watermark.py [--repeat N]

Measures (median of N runs, after one warm-up run unless the case is about cold caches):
- SDK vector 7 end to end on example.jpg (decode, text watermark, encode) with an engine
  that caches nothing, against the same decode and encode with no watermark
  (``image/format,jpg``);
- ``render_text`` with fonts cached: "Hello 图片服务!" at 40 px, 21 CJK characters at
  200 px; and what is paid once: opening each bundled font file at a size, and reading its
  ``cmap`` for glyph coverage;
- the watermark step alone (the engine's own step timing, decode and encode excluded) on a
  4000x3000 photo-like JPEG: text at ``se``, and ``fill_1`` tiling with rotated text.
"""
from __future__ import annotations

import argparse
import base64
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import EXAMPLE, photo_like  # noqa: E402

from core import fonts  # noqa: E402
from core.engine import Engine, Source  # noqa: E402
from core.ops.watermark import render_text  # noqa: E402

VECTOR_7 = "image/watermark,text_SGVsbG8g5Zu-54mH5pyN5YqhIQ"   # "Hello 图片服务!"
CJK_21 = "图片服务水印文字测试阿里云对象存储处理样式查看器中"[:21]


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def median_ms(fn, repeat: int, warm: bool = True) -> float:
    if warm:
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def step_ms(src: Source, process: str, repeat: int) -> float:
    """The watermark step's own time, from the engine's timings (no cache)."""
    def one() -> float:
        result = Engine(cache_entries=0).process(src, process)
        return next(t.seconds for t in result.timings if t.label.startswith("watermark"))
    one()
    return statistics.median(one() for _ in range(repeat)) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    n = args.repeat
    example = Source.of(EXAMPLE)
    assert len(CJK_21) == 21

    # Cold first: nothing has opened a font yet in this process. Several OSS names share
    # a file (a substitute), and the caches are per file, so each file is paid once.
    cold: dict[str, tuple[float, float, list[str]]] = {}
    for info in fonts.available_fonts():
        path = str(info.path)
        if path in cold:
            cold[path][2].append(info.name)
            continue
        t0 = time.perf_counter()
        fonts._truetype(path, 40, info.index)
        t1 = time.perf_counter()
        fonts._coverage(path, info.index)
        cold[path] = ((t1 - t0) * 1000, (time.perf_counter() - t1) * 1000, [info.name])

    rows = [
        ("SDK vector 7 end to end on example.jpg (no cache)",
         median_ms(lambda: Engine(cache_entries=0).process(example, VECTOR_7), n)),
        ("  the same decode + encode, no watermark (format,jpg)",
         median_ms(lambda: Engine(cache_entries=0).process(example, "image/format,jpg"), n)),
        ('render_text("Hello 图片服务!") at 40 px, fonts cached',
         median_ms(lambda: render_text("Hello 图片服务!"), n)),
        ("render_text(21 CJK characters) at 200 px, fonts cached",
         median_ms(lambda: render_text(CJK_21, size=200), n)),
    ]
    big = Source.of(photo_like(4000, 3000))
    text = b64("Hello 图片服务!")
    rows += [
        ("4000×3000: watermark step, text at se (size 40)",
         step_ms(big, f"image/watermark,text_{text},g_se", n)),
        ("4000×3000: watermark step, fill_1 with text rotated 30°",
         step_ms(big, f"image/watermark,text_{text},fill_1,rotate_30", n)),
    ]

    print(f"{'case':58s} {'median ms':>10s}")
    for label, ms in rows:
        print(f"{label:58s} {ms:10.1f}")
    print("\nOnce per font file (cold): open it at 40 px / read its cmap for coverage")
    for path, (open_ms, cmap_ms, names) in cold.items():
        print(f"  {Path(path).name:24s} {open_ms:5.1f} ms / {cmap_ms:5.1f} ms"
              f"   ({', '.join(names)})")


if __name__ == "__main__":
    main()
