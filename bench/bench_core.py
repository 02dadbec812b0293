"""Core engine benchmark: prints figures; run by hand, record results in docs/PERFORMANCE.md.

    python bench/bench_core.py [--repeat N]

Measures, on a synthetic 4000x3000 photo-like JPEG and on the SDK's example.jpg:
- cold cascades (no cache) per action family,
- the JPEG draft-mode shortcut (resize-first cascades) against a full decode,
- the prefix cache: editing the last step of a 4-step cascade vs running it cold.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.engine import Engine, Source  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "resources" / "samples" / "example.jpg"


def photo_like(w: int, h: int) -> bytes:
    base = Image.open(EXAMPLE).convert("RGB").resize((w, h), Image.Resampling.BICUBIC)
    base = base.filter(ImageFilter.DETAIL)
    out = io.BytesIO()
    base.save(out, "JPEG", quality=90)
    return out.getvalue()


def timeit(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), min(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    big = Source.of(photo_like(4000, 3000))
    small = Source.of(EXAMPLE)
    cases = [
        ("12MP  resize,w_400 (draft decode)", big, "image/resize,w_400"),
        ("12MP  resize,w_400/format,png", big, "image/resize,w_400/format,png"),
        ("12MP  crop,w_1000,h_1000,g_center", big, "image/crop,w_1000,h_1000,g_center"),
        ("12MP  rotate,90", big, "image/rotate,90"),
        ("12MP  resize,w_1200/rotate,33/format,webp", big, "image/resize,w_1200/rotate,33/format,webp"),
        ("12MP  blur,r_10,s_10", big, "image/blur,r_10,s_10"),
        ("12MP  sharpen,150", big, "image/sharpen,150"),
        ("12MP  info", big, "image/info"),
        ("12MP  average-hue", big, "image/average-hue"),
        ("400x267 resize,m_fixed,w_100,h_100", small, "image/resize,m_fixed,w_100,h_100"),
        ("400x267 circle,r_100/format,png", small, "image/circle,r_100/format,png"),
        ("400x267 format,avif", small, "image/format,avif"),
    ]
    print(f"{'case':48s} {'median ms':>10s} {'min ms':>8s}")
    for label, src, proc in cases:
        med, low = timeit(lambda: Engine(cache_entries=0).process(src, proc), args.repeat)
        print(f"{label:48s} {med:10.1f} {low:8.1f}")

    # Draft shortcut: same cascade with the shortcut disabled.
    class NoDraft(Engine):
        def _draft_size(self, *a, **k):
            return None

    med_full, _ = timeit(lambda: NoDraft(cache_entries=0).process(big, "image/resize,w_400"),
                         args.repeat)
    med_draft, _ = timeit(lambda: Engine(cache_entries=0).process(big, "image/resize,w_400"),
                          args.repeat)
    print(f"\n12MP resize,w_400: full decode {med_full:.1f} ms, draft decode {med_draft:.1f} ms "
          f"({med_full / med_draft:.1f}x)")

    # Prefix cache: the viewer edits the last step; earlier steps come from the cache.
    cascade = "image/resize,w_1600/rotate,90/sharpen,120/blur,r_{r},s_2"
    cold, _ = timeit(lambda: Engine(cache_entries=0).process(big, cascade.format(r=3)),
                     args.repeat)
    warm_engine = Engine()
    warm_engine.process(big, cascade.format(r=3))
    counter = iter(range(4, 10_000))
    warm, _ = timeit(lambda: warm_engine.process(big, cascade.format(r=next(counter) % 50 + 1)),
                     args.repeat)
    print(f"4-step cascade, last step edited: cold {cold:.1f} ms, with prefix cache {warm:.1f} ms")


if __name__ == "__main__":
    main()
