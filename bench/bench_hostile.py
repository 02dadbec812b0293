"""Peak memory and time of the hostile cases of issue 14; run by hand.

    python bench/bench_hostile.py [--core PATH] [--only NAME] [--timeout S]

Each case runs in a fresh child process (address space capped at 6 GB, wall time at
--wall seconds) against the ``core`` package found under --core (default: this checkout;
point it at an exported older tree, e.g. ``git archive <rev> core | tar -x -C /tmp/old``,
to measure "before"). Reported: the outcome (result or OSS error code), wall seconds and
peak RSS (the child's VmHWM, interpreter included). Crafted files come from
tests/hostile_files.py and are cached under $BENCH_CACHE (default /tmp/oss-img-bench).
Record the table in docs/PERFORMANCE.md with the machine's load.
"""
from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CACHE = Path(os.environ.get("BENCH_CACHE", "/tmp/oss-img-bench"))
EXAMPLE = ROOT / "resources" / "samples" / "example.jpg"


def _cached(name: str, build) -> Path:
    path = CACHE / name
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(build())
        tmp.replace(path)
    return path


def _rgba_png() -> bytes:
    import io

    from PIL import Image

    g = Image.linear_gradient("L").resize((5000, 5000))
    im = Image.merge("RGBA", (g, g.rotate(90), g.transpose(Image.Transpose.FLIP_TOP_BOTTOM), g))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


TEXT = base64.urlsafe_b64encode("Hello 图片服务!".encode()).decode().rstrip("=")


def _budget_png() -> bytes:
    from tests import hostile_files as hf

    row = bytes((x * 7) % 256 for x in range(8150 * 4))
    return hf.png(8150, 8150, color_type=6, row=row)


def _photo(side: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.open(EXAMPLE).convert("RGB").resize((side, side * 2 // 3)).save(out, "JPEG",
                                                                          quality=90)
    return out.getvalue()


def cases() -> list[tuple[str, str, str, dict]]:
    """(name, source path, process, extra) -- extra: bucket_dir."""
    from tests import hostile_files as hf

    big_wm = CACHE / "bucket" / "logo.png"
    if not big_wm.exists():
        big_wm.parent.mkdir(parents=True, exist_ok=True)
        with open(big_wm, "wb") as f:
            f.truncate(3 * 1024 ** 3)   # sparse: 3 GB by its size, no disk blocks
    fifo = CACHE / "f.jpg"
    if not fifo.exists():
        os.mkfifo(fifo)
    key = base64.urlsafe_b64encode(b"logo.png").decode().rstrip("=")
    photo = _cached("photo-2000.jpg", lambda: _photo(2000))
    return [
        ("GIF delays > 655 s (85 B)", str(_cached("long-delay.gif", lambda: hf.LONG_DELAY_GIF)),
         "image/resize,w_100", {}),
        ("GIF 200,000 frames (4.6 MB)", str(_cached("many.gif", hf.many_frames_gif)),
         "image/resize,w_100", {}),
        ("lossless WebP 16383x15000", str(_cached("huge.webp", hf.lossless_webp)),
         "image/resize,w_100", {}),
        ("16-bit grey PNG 15000x15000", str(_cached("grey16.png", hf.grey16_png)),
         "image/resize,w_100", {}),
        ("GIF screen 30000x8000 (43 B)", str(_cached("screen.gif", hf.huge_screen_gif)),
         "image/resize,w_100", {}),
        ("info on RGBA PNG 5000x5000", str(_cached("rgba5000.png", _rgba_png)),
         "image/info", {}),
        ("rotate,1 x450 (example.jpg)", str(EXAMPLE), "image/" + "/".join(["rotate,1"] * 450),
         {}),
        ("sharpen,399 x150 (2000x1333)", str(photo),
         "image/" + "/".join(["sharpen,399"] * 150), {}),
        ("resize 4096x4096/format,heic", str(EXAMPLE),
         "image/resize,m_fixed,w_4096,h_4096,limit_0/format,heic", {}),
        ("/dev/zero image/info", "/dev/zero", "image/info", {}),
        ("FIFO named f.jpg", str(fifo), "image/info", {}),
        ("3 GB watermark in bucket dir", str(EXAMPLE), f"image/watermark,image_{key}",
         {"bucket_dir": str(big_wm.parent)}),
    ] + [
        # The largest RGBA picture the former 256 MB default admitted (8150 x 8150, 266 MB
        # decoded) through the heaviest actions; bench_big.py measures the current default.
        (f"budget: RGBA 8150^2 {p}", str(_cached("rgba8150.png", _budget_png)), f"image/{p}",
         {}) for p in ("blur,r_10,s_10", "sharpen,100", "format,jpg", "contrast,50",
                       f"watermark,text_{TEXT},size_200,fill_1", "resize,w_4000/format,webp")
    ]


CHILD = r"""
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
sys.path.insert(0, {core!r})
from core.engine import Engine
from core.errors import OssError
from core.resolver import FolderResolver
kw = {{"resolver": FolderResolver({bucket!r})}} if {bucket!r} else {{}}
if {timeout!r} is not None:
    kw["timeout"] = {timeout!r}
t0 = time.perf_counter()
try:
    r = Engine(cache_entries=0).process({src!r}, {process!r}, **kw)
    out = f"ok {{r.format}} {{r.width}}x{{r.height}}"
except OssError as e:
    out = e.code
except BaseException as e:
    out = "CRASH " + type(e).__name__
hwm = [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
print(f"RESULT\t{{out}}\t{{time.perf_counter() - t0:.2f}}\t{{int(hwm) // 1024}}")
"""


def run_case(core: str, src: str, process: str, extra: dict, timeout, wall: float):
    code = CHILD.format(core=core, src=src, process=process, bucket=extra.get("bucket_dir"),
                        timeout=timeout)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=wall)
    except subprocess.TimeoutExpired:
        return f"no answer in {wall:g} s (killed)", wall, float("nan")
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT\t"):
            _, out, secs, mb = line.split("\t")
            return out, float(secs), float(mb)
    last = (proc.stderr.strip().splitlines() or ["?"])[-1]
    return f"died: {last[:60]}", time.perf_counter() - t0, float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--core", default=str(ROOT), help="folder holding the core package")
    ap.add_argument("--only", default="")
    ap.add_argument("--timeout", type=float, default=None,
                    help="pass process(timeout=...) (only for trees that have it)")
    ap.add_argument("--wall", type=float, default=150.0, help="kill a case after this long")
    args = ap.parse_args()
    print(f"core from {args.core}; load average {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} CPUs; timeout {args.timeout}")
    print("| case | outcome | seconds | peak RSS MB |")
    print("|---|---|---:|---:|")
    for name, src, process, extra in cases():
        if args.only and args.only not in name:
            continue
        out, secs, mb = run_case(args.core, src, process, extra, args.timeout, args.wall)
        print(f"| {name} | {out} | {secs:.2f} | {mb:.0f} |", flush=True)


if __name__ == "__main__":
    main()
