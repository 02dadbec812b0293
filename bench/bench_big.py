"""Peak memory of the largest sources OSS accepts, through representative cascades; by hand.

    python bench/bench_big.py [--only SUBSTRING] [--budget MB|none] [--core PATH]

OSS accepts a source of at most 20 MB, 30,000 px a side and 250 million pixels
(shared/spec/oss-img.md). The sources here sit at those limits and compress well enough to
stay under 20 MB: a 15800x15800 JPEG (249.6 MP, RGB), a 25000x10000 RGB PNG and a
25000x10000 RGBA PNG (250 MP each; RGBA decodes to 1 GB). Each case runs once in a fresh
child process with an engine as the CLI makes it (``Engine(cache_entries=0)``, the default
decode budget unless --budget says otherwise) and reports the outcome, the seconds and the
child's peak RSS: VmHWM from /proc/self/status, interpreter included (not
``getrusage().ru_maxrss``, which Linux carries over from the parent through fork and exec).
Sources are built once, each in a child of its own, and cached under $BENCH_CACHE (default
/tmp/oss-img-bench); building the JPEG holds ~750 MB for a few seconds. rotate is refused by
OSS above 4096 px a side, so its row shows that refusal. Record the table in
docs/PERFORMANCE.md.
"""
from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CACHE = Path(os.environ.get("BENCH_CACHE", "/tmp/oss-img-bench"))
TEXT = base64.urlsafe_b64encode("Hello 图片服务!".encode()).decode().rstrip("=")


def _cached(name: str) -> Path:
    path = CACHE / name
    if not path.exists():  # built in a child: this process stays small for the next ones
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, __file__, "--build", name], check=True)
    return path


def _build(name: str) -> None:
    build = next(b for n, b in SOURCES.values() if n == name)
    path = CACHE / name
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(build())
    tmp.replace(path)


def _jpeg() -> bytes:
    import io

    from PIL import Image

    g = Image.linear_gradient("L").resize((15800, 15800))
    im = Image.merge("RGB", (g, g.transpose(Image.Transpose.ROTATE_90), g.point(lambda v: 255 - v)))
    del g
    out = io.BytesIO()
    im.save(out, "JPEG", quality=80)
    return out.getvalue()


def _png(color_type: int, width: int = 25000, height: int = 10000) -> bytes:
    from tests import hostile_files as hf

    channels = {2: 3, 6: 4}[color_type]
    row = bytes((x * 7 + (x // 97) * 31) % 256 for x in range(width * channels))
    return hf.png(width, height, color_type=color_type, row=row)


SOURCES = {
    "JPEG 15800x15800": ("big-rgb.jpg", _jpeg),
    "PNG RGB 25000x10000": ("big-rgb.png", lambda: _png(2)),
    "PNG RGBA 25000x10000": ("big-rgba.png", lambda: _png(6)),
    # The largest the budget admits for the two-copy and three-copy steps.
    "PNG RGB 15000x12000": ("rgb-180mp.png", lambda: _png(2, 15000, 12000)),
    "PNG RGB 10000x11500": ("rgb-115mp.png", lambda: _png(2, 10000, 11500)),
    "PNG RGB 12500x12000": ("rgb-150mp.png", lambda: _png(2, 12500, 12000)),
}
# Per source, the cascades it runs (default: all of CASCADES).
ONLY = {"PNG RGB 15000x12000": ("watermark", "format,png"),
        "PNG RGB 10000x11500": ("blur", "sharpen"),
        "PNG RGB 12500x12000": ("rounded-corners",)}
CASCADES = [
    "resize,w_1000",
    "crop,w_2000,h_2000,g_center",
    "rotate,90",
    "format,png",
    f"watermark,text_{TEXT},size_200",
    "blur,r_10,s_10",
    "sharpen,100",
    "rounded-corners,r_100",
]

CHILD = r"""
import sys, time
sys.path.insert(0, {core!r})
from core.engine import Engine
from core.errors import OssError
kw = {{}} if {budget!r} == "default" else {{"decode_budget": {budget!r}}}
t0 = time.perf_counter()
try:
    r = Engine(cache_entries=0, **kw).process({src!r}, {process!r})
    out = f"ok {{r.format}} {{r.width}}x{{r.height}}"
except OssError as e:
    out = e.code
except MemoryError:
    out = "CRASH MemoryError"
peak = [int(l.split()[1]) // 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
print(f"RESULT\t{{out}}\t{{time.perf_counter() - t0:.1f}}\t{{peak}}")
"""


def run_case(core: str, src: str, process: str, budget) -> tuple[str, str, str]:
    code = CHILD.format(core=core, src=src, process=process, budget=budget)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT\t"):
            return tuple(line.split("\t")[1:])
    last = (proc.stderr.strip().splitlines() or ["?"])[-1]
    return f"died: {last[:60]}", "", ""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="", help="run the cases whose name contains this")
    ap.add_argument("--budget", default="default",
                    help="decode budget in MB, or 'none' (default: the engine's own)")
    ap.add_argument("--core", default=str(ROOT), help="folder holding the core package")
    ap.add_argument("--build", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.build:
        return _build(args.build)
    budget = "default" if args.budget == "default" else \
        None if args.budget == "none" else int(args.budget) << 20
    print(f"core from {args.core}; budget {args.budget}; load average "
          f"{os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs")
    print("| source | cascade | outcome | seconds | peak RSS MB |")
    print("|---|---|---|---:|---:|")
    for label, (name, build) in SOURCES.items():
        for cascade in CASCADES:
            case = f"{label} {cascade}"
            if args.only and args.only not in case:
                continue
            if label in ONLY and not cascade.startswith(ONLY[label]):
                continue
            src = str(_cached(name))
            out, secs, mb = run_case(args.core, src, f"image/{cascade}", budget)
            shown = cascade if len(cascade) < 40 else cascade[:cascade.index(",") + 1] + "text...,size_200"
            print(f"| {label} | `{shown}` | {out} | {secs} | {mb} |", flush=True)


if __name__ == "__main__":
    main()
