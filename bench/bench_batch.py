"""Batch throughput: images per second for ``oss-img batch`` over 200 photos.

    python bench/bench_batch.py [--count 200] [--cache DIR] [--dask-workers 2]

200 distinct 12 MP (4000x3000) photo-like JPEGs are made deterministically from the
SDK's example.jpg (each a different offset of the same scene, JPEG quality 80-95; kept
in ``--cache`` so later runs skip it), then the style ``thumb`` -- resize,m_lfit,w_320,
h_320/quality,q_80/format,webp -- runs over them with 1 local worker, 2 local workers, and
a ``distributed.LocalCluster`` (processes, 1 thread each). Every run writes into a fresh
OUT_DIR; the figures are wall time from listing to the final manifest. Record the results
in docs/PERFORMANCE.md; run by hand only.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.batch import runner  # noqa: E402
from core.batch.sources import discover  # noqa: E402
from core.batch.work import Job  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "resources" / "samples" / "example.jpg"
STYLE = {"thumb": "image/resize,m_lfit,w_320,h_320/quality,q_80/format,webp"}


def make_photos(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    base = None
    paths = []
    for i in range(count):
        path = folder / f"photo_{i:03d}.jpg"
        paths.append(path)
        if path.exists():
            continue
        if base is None:
            base = Image.open(EXAMPLE).convert("RGB").resize((4000, 3000),
                                                             Image.Resampling.BICUBIC)
            base = base.filter(ImageFilter.DETAIL)
        im = ImageChops.offset(base, (i * 197) % 4000, (i * 131) % 3000)
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=80 + (i % 16))
        path.write_bytes(buf.getvalue())
    return paths


def timed_run(src: Path, job_out: Path, **kw) -> tuple[float, dict]:
    if job_out.exists():
        shutil.rmtree(job_out)
    t0 = time.perf_counter()
    outcome = runner.run(discover(str(src)), Job("style/thumb", str(job_out), STYLE), **kw)
    seconds = time.perf_counter() - t0
    assert outcome.failed == 0, [r["error"] for r in outcome.records if r["error"]]
    digest = hashlib.sha256("".join(r["output_sha256"] for r in outcome.records)
                            .encode()).hexdigest()
    return seconds, {"count": len(outcome.records), "outputs_digest": digest}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(),
                                                    "oss-bench-batch-photos"))
    ap.add_argument("--dask-workers", type=int, default=2)
    args = ap.parse_args()
    src = Path(args.cache) / f"{args.count}"
    t0 = time.perf_counter()
    paths = make_photos(src, args.count)
    size = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} photos 4000x3000, {size / len(paths) / 1e6:.2f} MB average "
          f"(ready in {time.perf_counter() - t0:.1f} s)")
    print(f"cpus: {os.cpu_count()}, affinity: {runner.default_workers()}, load average "
          f"{os.getloadavg()[0]:.1f} (the machine is shared: compare runs taken together)")
    out = Path(tempfile.mkdtemp(prefix="oss-bench-batch-out-"))
    results = {}
    try:
        for label, kw in (("1 worker", {"workers": 1}), ("2 workers", {"workers": 2})):
            secs, info = timed_run(src, out / label.replace(" ", ""), **kw)
            results[label] = (secs, info)
            print(f"{label:<28} {secs:7.1f} s  {len(paths) / secs:6.2f} images/s  "
                  f"(load average {os.getloadavg()[0]:.1f})")
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            print("LocalCluster: skipped (pip install 'oss-style-viewer[cluster]')")
        else:
            with LocalCluster(n_workers=args.dask_workers, threads_per_worker=1,
                              processes=True, dashboard_address=None) as cluster, \
                    Client(cluster) as client:
                label = f"LocalCluster {args.dask_workers}x1 thread"
                secs, info = timed_run(src, out / "dask", dask=client)
                results[label] = (secs, info)
                print(f"{label:<28} {secs:7.1f} s  {len(paths) / secs:6.2f} images/s  "
                      f"(load average {os.getloadavg()[0]:.1f})")
        digests = {info["outputs_digest"] for _, info in results.values()}
        print("same output bytes in every run:", len(digests) == 1)
        print(json.dumps({k: round(len(paths) / v[0], 2) for k, v in results.items()}))
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
