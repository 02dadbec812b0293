"""Side by side with libvips: the issue-14 cases, interleaved, medians; run by hand.

    python bench/bench_vs_vips.py [--repeat N] [--no-rss] [--only SUBSTRING]
    BENCH_CORE=/tmp/old python bench/bench_vs_vips.py   # another tree's core package

pyvips is a bench-only dependency (never a runtime one): when it is missing the script
installs ``pyvips[binary]`` into the running interpreter with pip (PyPI wheels bundle
libvips). Sources are deterministic (built from the SDK's example.jpg): a 24 MP JPEG
(quality 90), a 12 MP RGBA PNG and the 400x267 example itself. For each case both sides
must produce the same format and dimensions (checked). Times are wall-clock medians of
interleaved runs (ours, vips, ours, vips...) in this process; peak RSS is measured per
case in a fresh child process (its VmHWM), baseline interpreter included.
Record the table in docs/PERFORMANCE.md with the machine's load (os.getloadavg()).
Our large RGB/RGBA PNGs decode with libspng when the optional extra ``fast`` is installed
(``pip install -e .[fast]``; the header line says whether it is on).
"""
from __future__ import annotations

import argparse
import base64
import io
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# BENCH_CORE=/path/to/an/exported/tree measures another version of core (before/after).
CORE = os.environ.get("BENCH_CORE")
if CORE:
    sys.path.insert(0, CORE)
EXAMPLE = ROOT / "resources" / "samples" / "example.jpg"
CACHE = Path(os.environ.get("BENCH_CACHE", "/tmp/oss-img-bench"))
TEXT = "Hello 图片服务!"
TEXT_B64 = base64.urlsafe_b64encode(TEXT.encode()).decode().rstrip("=")


def ensure_pyvips():
    try:
        import pyvips
    except (ImportError, OSError):
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "pyvips[binary]"])
        import pyvips
    return pyvips


# -- deterministic sources ----------------------------------------------------------------

def photo_like(w: int, h: int) -> Image.Image:
    base = Image.open(EXAMPLE).convert("RGB").resize((w, h), Image.Resampling.BICUBIC)
    return base.filter(ImageFilter.DETAIL)


def sources() -> dict[str, Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    out = {"24mp.jpg": CACHE / "24mp.jpg", "12mp.png": CACHE / "12mp-rgba.png",
           "small.jpg": EXAMPLE}
    if not out["24mp.jpg"].exists():
        photo_like(6000, 4000).save(out["24mp.jpg"], "JPEG", quality=90)
    if not out["12mp.png"].exists():
        im = photo_like(4000, 3000).convert("RGBA")
        im.putalpha(Image.linear_gradient("L").resize((4000, 3000)).point(lambda v: 96 + v // 2))
        im.save(out["12mp.png"], "PNG")
    return out


# -- the cases: (label, source, our x-oss-process, vips function) --------------------------

def vips_cases(pyvips):
    V = pyvips.Image

    def text_layer(size: int):
        # Black text, like OSS's default colour, at `size` px.
        mask = V.text(TEXT, font=f"sans {size}px", dpi=72)
        return mask.new_from_image([0, 0, 0]).bandjoin(mask).copy(interpretation="srgb")

    def stamp(img, layer, margin=10):
        x = img.width - layer.width - margin
        y = img.height - layer.height - margin
        if img.bands == 3:
            img = img.bandjoin(255)
        return img.composite2(layer, "over", x=x, y=y)

    def j1(data):   # resize,w_400/quality,q_80  (source quality 90 -> 72)
        return V.thumbnail_buffer(data, 400).jpegsave_buffer(Q=72, optimize_coding=True)

    def j2(data):
        return V.thumbnail_buffer(data, 1200, height=630, crop="centre").webpsave_buffer(Q=90)

    def j3(data):
        im = V.new_from_buffer(data, "")
        left, top = (im.width - 2000) // 2, (im.height - 2000) // 2
        return im.crop(left, top, 2000, 2000).rot90().sharpen().jpegsave_buffer(
            Q=90, optimize_coding=True)

    def j4(data):
        im = V.thumbnail_buffer(data, 1600)
        return stamp(im, text_layer(40)).flatten().jpegsave_buffer(Q=90, optimize_coding=True)

    def j5(data):
        return V.new_from_buffer(data, "").pngsave_buffer(compression=6)

    def p1(data):
        return V.thumbnail_buffer(data, 400).pngsave_buffer(compression=6)

    def p2(data):
        im = V.new_from_buffer(data, "")
        return stamp(im, text_layer(40)).pngsave_buffer(compression=6)

    def p3(data):
        return V.new_from_buffer(data, "").pngsave_buffer(compression=6)

    wm = f"watermark,text_{TEXT_B64},size_40"
    return [
        ("24MP jpg resize,w_400/quality,q_80", "24mp.jpg", "image/resize,w_400/quality,q_80", j1),
        ("24MP jpg resize,m_fill,w_1200,h_630/format,webp", "24mp.jpg",
         "image/resize,m_fill,w_1200,h_630/format,webp", j2),
        ("24MP jpg crop 2000 g_center/rotate,90/sharpen,100", "24mp.jpg",
         "image/crop,w_2000,h_2000,g_center/rotate,90/sharpen,100", j3),
        ("24MP jpg resize,w_1600/watermark text size_40", "24mp.jpg",
         f"image/resize,w_1600/{wm}", j4),
        ("24MP jpg format,png", "24mp.jpg", "image/format,png", j5),
        ("12MP rgba png resize,w_400", "12mp.png", "image/resize,w_400", p1),
        ("12MP rgba png watermark text size_40", "12mp.png", f"image/{wm}", p2),
        ("12MP rgba png format,png", "12mp.png", "image/format,png", p3),
        ("400x267 jpg format,png", "small.jpg", "image/format,png", j5),
    ]


def ours(data: bytes, process: str) -> bytes:
    from core.engine import Engine

    return Engine(cache_entries=0).process(data, process).data


def shape(data: bytes) -> tuple[str, tuple[int, int]]:
    im = Image.open(io.BytesIO(data))
    return im.format, im.size


# -- peak RSS in a child --------------------------------------------------------------------

CHILD = r"""
import os, sys, atexit
def _hwm():  # this process's own peak (VmHWM), not the forking parent's (ru_maxrss)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("HWM " + line.split()[1] + "\n")
atexit.register(_hwm)
sys.path.insert(0, {root!r})
if os.environ.get("BENCH_CORE"):
    sys.path.insert(0, os.environ["BENCH_CORE"])
sys.argv = ["x"]
import bench.bench_vs_vips as b
data = open({src!r}, "rb").read()
if {side!r} == "ours":
    b.ours(data, {process!r})
else:
    pyvips = b.ensure_pyvips()
    dict((c[0], c[3]) for c in b.vips_cases(pyvips))[{label!r}](data)
"""


def peak_rss_mb(side: str, label: str, src: Path, process: str) -> float:
    code = CHILD.format(root=str(ROOT), src=str(src), side=side, label=label, process=process)
    proc = subprocess.run([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("HWM ")]
    if proc.returncode != 0 or not lines:
        return float("nan")
    return int(lines[-1].split()[1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--no-rss", action="store_true")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    pyvips = ensure_pyvips()
    srcs = sources()
    cases = [c for c in vips_cases(pyvips) if args.only in c[0]]
    blobs = {k: p.read_bytes() for k, p in srcs.items()}
    for label, src, process, fn in cases:  # same format and size on both sides
        a, b = shape(ours(blobs[src], process)), shape(fn(blobs[src]))
        if a != b:
            print(f"MISMATCH {label}: ours {a}, vips {b}")
    times: dict[str, tuple[list[float], list[float]]] = {c[0]: ([], []) for c in cases}
    for _ in range(args.repeat):
        for label, src, process, fn in cases:
            for side, run in ((0, lambda: ours(blobs[src], process)), (1, lambda: fn(blobs[src]))):
                t0 = time.perf_counter()
                run()
                times[label][side].append((time.perf_counter() - t0) * 1000)
    from core import png_fast

    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs, "
          f"pyvips {pyvips.__version__} / libvips {pyvips.version(0)}.{pyvips.version(1)}, "
          f"{args.repeat} interleaved repetitions, libspng PNG decode (extra 'fast'): "
          f"{'on' if png_fast.available() else 'off'}")
    print("| case | ours ms | vips ms | ratio | ours RSS MB | vips RSS MB | RSS ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, src, process, fn in cases:
        o, v = (statistics.median(x) for x in times[label])
        if args.no_rss:
            rss = ""
        else:
            ro = peak_rss_mb("ours", label, srcs[src], process)
            rv = peak_rss_mb("vips", label, srcs[src], process)
            rss = f" {ro:.0f} | {rv:.0f} | {ro / rv:.2f} |"
        print(f"| {label} | {o:.0f} | {v:.0f} | {o / v:.2f} |{rss}")


if __name__ == "__main__":
    main()
