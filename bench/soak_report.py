"""The viewer soak's figures (bench/soak_viewer.py): the live objects it counts, one line
per report interval, the memory growth fitted to them with its 95% interval, and the
summary at the end, read back from the child process the soak runs in."""
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

LIVE_TYPES = ("RenderRequest", "_SetSteps", "Source", "RenderOutput", "StepForm",
              "FreeTypeFont")   # open Pillow font faces: each maps its font file


def live_counts() -> tuple[int, dict[str, int]]:
    """(objects tracked by the collector, live objects of LIVE_TYPES) after a collection.

    ``dead_wrappers`` counts Python wrappers whose C++ object is gone but which something
    still holds: the signature of the two leaks issue 17 found (a merged undo command, a
    finished QRunnable, both kept by their Qt "parent" after Qt had deleted them).
    """
    import shiboken6

    from PIL import Image
    from PySide6.QtGui import QImage

    gc.collect()
    objs = gc.get_objects()
    counts = dict.fromkeys(LIVE_TYPES, 0)
    counts["dead_wrappers"] = 0
    pixels = 0
    for o in objs:
        name = type(o).__name__
        if name in counts:
            counts[name] += 1
        if isinstance(o, shiboken6.Shiboken.Object) and not shiboken6.isValid(o):
            counts["dead_wrappers"] += 1
        elif isinstance(o, QImage):
            pixels += o.sizeInBytes()
        elif isinstance(o, Image.Image) and (o.__dict__.get("_im") or
                                             o.__dict__.get("im")) is not None:
            # (the core image: Pillow 11+ keeps it in ``_im`` behind an ``im`` property
            # that asserts when there is none, e.g. a file not loaded yet)
            pixels += o.width * o.height * (4 if len(o.getbands()) > 1 else 1)
    # Pictures alive at rest (the engines' caches, what the window shows): bounded, but
    # which ones a random walk leaves alive swings RSS by tens of MB from sample to sample.
    counts["images_mb"] = round(pixels / 2**20, 1)
    return len(objs), counts


def fmt_row(r: dict) -> str:
    heap = (f"(anon {r.get('anon_mb', 0):.0f} file {r.get('file_mb', 0):.0f}; C heap used "
            f"{r['heap_used_mb']:.0f} free {r['heap_free_mb']:.0f} mmap {r['mmap_mb']:.0f}) "
            if "heap_used_mb" in r else "")
    return (f"t={r['t']:7.1f}s edits={r['edits']:6d} rss={r['rss_mb']:7.1f} MB {heap}"
            f"objects={r['objects']:7d} RenderRequest={r['RenderRequest']:3d} "
            f"undo-commands={r['_SetSteps']:4d} (stack {r['undo']:4d}) "
            f"dead-wrappers={r['dead_wrappers']:3d} Source={r['Source']:3d} "
            f"cache={r['cache_mb']:6.1f} MB images={r.get('images_mb', 0):5.1f} MB "
            f"font pages={r.get('font_pages_mb', 0):4.1f} MB faces={r['FreeTypeFont']} trims={r['trims']} "
            f"stall-max={r['stall_ms']:6.1f} ms "
            f"({r.get('stall_during') or '-'}) "
            f"unexpected={r['unexpected']}")


def slope_fit(rows: list[dict], after_s: float, value=lambda r: r["rss_mb"]
              ) -> tuple[float, float] | None:
    """Least-squares growth (MB/min) of ``value`` over the samples taken after ``after_s``,
    with the half-width of its 95% confidence interval (t distribution; nan below 3
    samples). A sample at rest still holds whatever pictures the walk left alive, so
    samples scatter by +-10 MB: more samples (``--report-every``) narrow the interval."""
    pts = [(r["t"] / 60, value(r)) for r in rows if r["t"] >= after_s]
    n = len(pts)
    if n < 2:
        return None
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    den = sum((x - mx) ** 2 for x, _ in pts)
    if not den:
        return None
    slope = sum((x - mx) * (y - my) for x, y in pts) / den
    if n < 3:
        return slope, float("nan")
    resid = sum((y - my - slope * (x - mx)) ** 2 for x, y in pts) / (n - 2)
    from statistics import NormalDist

    # t quantile for n-2 degrees of freedom (Cornish-Fisher from the normal's; exact
    # enough from 5 samples on, and scipy stays out of the bench's imports)
    z = NormalDist().inv_cdf(0.975)
    dof = n - 2
    t = z + (z ** 3 + z) / (4 * dof) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * dof ** 2)
    return slope, t * (resid / den) ** 0.5


def print_summary(summary: dict) -> None:
    """The end of a soak, for people: gestures, crashes, growth with its interval, stalls,
    the OSS errors shown and every unexpected exception."""
    slope = summary["rss_growth_mb_per_min_after_1st_min"]
    rows = summary["rows"]
    print(f"\nseed {summary['seed']}: {summary['edits']} gestures in {summary['seconds']} s; "
          f"crashes 0; unexpected exceptions {len(summary['unexpected'])}; "
          f"expected OSS errors shown {summary['expected_oss_errors']}")
    print(f"RSS {rows[0]['rss_mb']} MB at start, {rows[-1]['rss_mb']} MB at the end; growth "
          f"after the first minute: "
          + (f"{slope:.2f} MB/min" if slope is not None else "n/a (shorter run)"))
    for label, key in (("RSS", "rss_growth_fit_after_1st_min"),
                       ("RSS less the pictures alive at rest",
                        "rss_less_images_growth_fit_after_1st_min")):
        fit = summary.get(key)
        if fit:
            print(f"  {label}: {fit[0]:+.2f} MB/min, 95% interval +-{fit[1]:.2f} "
                  f"({sum(r['t'] >= 60 for r in rows)} samples after the first minute)")
    print(f"longest event-loop stall: {summary['max_stall_ms']} ms")
    print("OSS errors the preview reported (bad input is part of the soak):")
    for kind, n in list(summary["oss_error_kinds"].items())[:20]:
        print(f"  {n:5d}  {kind}")
    for u in summary["unexpected"]:
        print(f"- {u['kind']} at gesture {u['edit']} ({u['action']}), source {u['source']}, "
              f"process {u['process']}:\n{u['text']}")


def run_in_child(script: Path, args, argv: list[str]) -> int:
    """Run the soak in a child process so a crash is reported, not just suffered."""
    out_json = args.json or os.path.join(tempfile.mkdtemp(prefix="soak-"), "summary.json")
    cmd = [sys.executable, str(script), "--child", "--json", out_json,
           *[a for a in argv if a != "--child"]]
    stderr_path = out_json + ".stderr"
    with open(stderr_path, "w") as err:
        proc = subprocess.run(cmd, stderr=err)
    stderr = Path(stderr_path).read_text(errors="replace")
    if proc.returncode != 0 or not os.path.exists(out_json):
        rc = proc.returncode
        what = f"signal {-rc}" if rc < 0 else f"exit status {rc}"
        print(f"CRASH: the soak process died ({what}). Its last output:\n{stderr[-6000:]}")
        summary = {"crash": what, "stderr": stderr[-6000:]}
        Path(out_json).write_text(json.dumps(summary, indent=1))
        return 2
    summary = json.loads(Path(out_json).read_text())
    print_summary(summary)
    return 1 if summary["unexpected"] else 0
