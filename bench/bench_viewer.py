"""Viewer preview latency: prints a table; run by hand, record results in docs/PERFORMANCE.md.

    python bench/bench_viewer.py [--edits 15] [--load N]

Runs the real main window offscreen (``QT_QPA_PLATFORM=offscreen`` unless set) and, for
each case, makes N document edits one after the other, each time measuring:

- latency: from the edit (``Document.replace_op``, what a spin box does) to the window's
  ``outputShown`` for that cascade, i.e. the preview, status bar and steps list updated
  (includes the renderer's 40 ms debounce);
- engine + display decode: the worker's own wall time (``RenderOutput.seconds``);
- the longest GUI-thread stall: the largest gap between ticks of a 2 ms heartbeat
  ``QTimer``, minus the interval, from the edit until 150 ms after the result showed
  (so painting and the info panel's follow-up work count).

Cases: example.jpg with the starter cascade changing resize ``w`` (PNG out); a 4000x2670
photo-like JPEG with ``resize,w_600…/sharpen,100`` changing ``w`` (widths that let the
decoder use a 1/2 DCT-scaled draft); the same changing only the last step (the prefix
cache keeps decode and resize); the same with widths from 1200 (too large for a draft:
the full 11 MP decode every time). Then a burst: ten edits 10 ms apart on the large JPEG,
timed from the first edit to the last one's result.

``--load N`` runs N busy-looping processes meanwhile (a machine doing other work).

``--quality`` measures the quality explorer's sweep instead (viewer/model/quality.py, headless:
the same function the panel runs on its worker thread): q/Q 10..100 in steps of 5, each
point encoded, decoded and scored with SSIM against the output at 100, on example.jpg
(400x267) and on a deterministic 12 MP JPEG (4000x3000, bench_core.photo_like), with a
fresh engine per run, so decode and cascade are included once.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench_core import EXAMPLE, photo_like  # noqa: E402  (same folder, run as a script)
HEARTBEAT_MS = 2
SETTLE_MS = 150


def _burn() -> None:
    while True:
        pass


class Bench:
    def __init__(self) -> None:
        from PySide6.QtCore import QCoreApplication, QSettings, QThreadPool, QTimer, Qt
        from PySide6.QtWidgets import QApplication

        self.tmp = tempfile.mkdtemp(prefix="bench-viewer-")
        os.environ["XDG_CONFIG_HOME"] = self.tmp   # the style library, not the user's
        QCoreApplication.setOrganizationName("bench-viewer")
        QCoreApplication.setApplicationName("bench-viewer")
        self.app = QApplication.instance() or QApplication(sys.argv[:1])
        from viewer.mainwindow import MainWindow

        settings = QSettings(os.path.join(self.tmp, "viewer.ini"), QSettings.Format.IniFormat)
        self.win = MainWindow(settings, restore=False)
        self.win.resize(1400, 880)
        self.win.show()
        self.pool = QThreadPool.globalInstance()
        self._last_tick = 0.0
        self._max_gap = 0.0
        self.heartbeat = QTimer(interval=HEARTBEAT_MS, timerType=Qt.TimerType.PreciseTimer)
        self.heartbeat.timeout.connect(self._tick)
        self.heartbeat.start()
        self._QTimer = QTimer

    # -- waiting without sleeping: the GUI thread keeps running its event loop ----------
    def _tick(self) -> None:
        now = time.perf_counter()
        self._max_gap = max(self._max_gap, now - self._last_tick)
        self._last_tick = now

    def run_for(self, ms: float) -> None:
        from PySide6.QtCore import QEventLoop

        loop = QEventLoop()
        self._QTimer.singleShot(int(ms), loop.quit)
        loop.exec()

    def wait_shown(self, process: str, timeout_s: float = 30.0):
        """Run the event loop until the window shows ``process``; the output and the time."""
        from PySide6.QtCore import QEventLoop

        got = []
        loop = QEventLoop()

        def on_shown(out) -> None:
            if out.process == process:
                got.append((time.perf_counter(), out))
                loop.quit()

        self.win.outputShown.connect(on_shown)
        self._QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        if not self._shown(process, got):
            loop.exec()
        self.win.outputShown.disconnect(on_shown)
        if not got:
            raise SystemExit(f"timed out waiting for {process}: {self.win.last_error}")
        return got[0]

    def _shown(self, process: str, got: list) -> bool:
        out = self.win.last_output
        if out is not None and out.process == process and not self.win.renderer.task.busy:
            got.append((time.perf_counter(), out))
            return True
        return False

    def quiesce(self) -> None:
        """Let every background job (info panel, renders) finish before the next edit."""
        for _ in range(200):
            self.run_for(20)
            if (not self.win.renderer.task.busy and self.pool.activeThreadCount() == 0
                    and self.win.renderer.pool.activeThreadCount() == 0):
                return

    # -- cases ------------------------------------------------------------------------
    def setup(self, path: str, process: str) -> None:
        assert self.win.open_path(path), path
        self.win.process_field.set_text(process)
        doc = self.win.doc
        doc.select(len(doc.steps) - 1)          # the preview shows the whole cascade
        self.wait_shown(doc.process_string())
        self.quiesce()

    def edits(self, n: int, index: int, key: str, values) -> dict:
        doc = self.win.doc
        latencies, engine, stalls = [], [], []
        for value in list(values)[:n]:
            op = doc.steps[index].op.replace(**{key: value})
            self._last_tick = t0 = time.perf_counter()
            self._max_gap = 0.0
            doc.replace_op(index, op)
            t1, out = self.wait_shown(doc.process_string())
            self.run_for(SETTLE_MS)
            latencies.append((t1 - t0) * 1000)
            engine.append(out.seconds * 1000)
            stalls.append(max(0.0, self._max_gap * 1000 - HEARTBEAT_MS))
            self.quiesce()
        return {"median": statistics.median(latencies), "max": max(latencies),
                "engine": statistics.median(engine), "stall": max(stalls)}

    def burst(self, count: int, spacing_ms: int, index: int, key: str, values) -> tuple:
        doc = self.win.doc
        task = self.win.renderer.task
        rendered = []
        self.win.renderer.rendered.connect(rendered.append)
        stale0 = task.stale
        values = list(values)[:count]
        t0 = time.perf_counter()
        for i, value in enumerate(values):
            target = t0 + i * spacing_ms / 1000
            while time.perf_counter() < target:
                self.run_for(1)
            doc.replace_op(index, doc.steps[index].op.replace(**{key: value}))
        t1, _ = self.wait_shown(doc.process_string())
        self.win.renderer.rendered.disconnect(rendered.append)
        self.quiesce()
        return (t1 - t0) * 1000, len(rendered), task.stale - stale0

    def panel_sweep(self, path: str, process: str, index: int, key: str, values) -> dict:
        """The quality explorer in the window: the sweep's wall time, and preview edits
        made while it runs (latency, longest GUI stall over the whole sweep)."""
        self.setup(path, process)
        panel = self.win.extra_panels["qualityDock"]
        dock = self.win.extra_docks["qualityDock"]
        done = []
        dock.raise_()                  # shown (first paint of the plot) before timing
        self.run_for(300)
        panel.cancel()
        self.quiesce()
        panel.sweepFinished.connect(done.append)
        self._last_tick = t0 = time.perf_counter()
        self._max_gap = 0.0
        panel.start(force=True)
        while not panel.points:
            self.run_for(5)
        first = time.perf_counter() - t0
        doc = self.win.doc
        latencies = []
        for value in values:
            if done:
                break
            t1 = time.perf_counter()
            doc.replace_op(index, doc.steps[index].op.replace(**{key: value}))
            t2, _ = self.wait_shown(doc.process_string())
            latencies.append((t2 - t1) * 1000)
        while not done:
            self.run_for(20)
        total = time.perf_counter() - t0
        stall = max(0.0, self._max_gap * 1000 - HEARTBEAT_MS)
        panel.sweepFinished.disconnect(done.append)
        self.quiesce()
        return {"total": total, "first": first, "edits": latencies, "stall": stall}

    def close(self) -> None:
        self.heartbeat.stop()
        self.win.close()


def quality_sweeps() -> None:
    from core.cascade import parse
    from core.engine import Engine, Source
    from viewer.model import quality

    big = Source.of(photo_like(4000, 3000))
    small = Source.of(EXAMPLE)
    cases = [("example.jpg 400×267", small, p) for p in (
        "image/resize,w_400", "image/format,webp", "image/format,avif", "image/format,heic")]
    cases += [("12 MP JPEG 4000×3000", big, p) for p in (
        "image/resize,w_4000", "image/format,webp", "image/resize,w_2000/format,avif")]
    print(f"{len(quality.SWEEP_VALUES)} qualities per sweep, {os.cpu_count()} CPUs\n")
    print("| source | cascade | format, key | sweep | per point | distinct encodings |")
    print("|---|---|---|---|---|---|")
    for name, source, process in cases:
        t0 = time.perf_counter()
        s = quality.sweep(Engine(), source, parse(process))
        total = time.perf_counter() - t0
        distinct = len({p.quality for p in s.points})
        print(f"| {name} | `{process}` | {s.format}, {s.key} | {total:.2f} s | "
              f"{total / len(s.points) * 1000:.0f} ms | {distinct} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edits", type=int, default=15)
    ap.add_argument("--load", type=int, default=0, help="busy-looping processes meanwhile")
    ap.add_argument("--quality", action="store_true", help="time the quality sweep instead")
    args = ap.parse_args()
    if args.quality:
        quality_sweeps()
        bench = Bench()
        big = os.path.join(bench.tmp, "photo-4000x3000.jpg")
        Path(big).write_bytes(photo_like(4000, 3000))
        bench.setup(str(EXAMPLE), "image/quality,q_90")
        bench._last_tick, bench._max_gap = time.perf_counter(), 0.0
        bench.run_for(5000)
        idle = max(0.0, bench._max_gap * 1000 - HEARTBEAT_MS)
        print(f"\nLongest GUI stall over 5 s with nothing running (the machine's own "
              f"noise): {idle:.0f} ms")
        print("\n| source | in the window | first point | whole sweep | preview edits "
              "during the sweep (median, max) | longest GUI stall |")
        print("|---|---|---|---|---|---|")
        for name, path in (("example.jpg 400×267", str(EXAMPLE)), ("12 MP JPEG", big)):
            r = bench.panel_sweep(path, "image/quality,q_90", 0, "q", ())
            print(f"| {name} | `image/quality,q_90`, sweep q alone | {r['first']:.2f} s | "
                  f"{r['total']:.1f} s | — | {r['stall']:.0f} ms |", flush=True)
            r = bench.panel_sweep(path, "image/quality,q_90", 0, "q", range(80, 86))
            edits = (f"{statistics.median(r['edits']):.0f} ms, {max(r['edits']):.0f} ms "
                     f"({len(r['edits'])} edits)") if r["edits"] else "—"
            print(f"| {name} | `image/quality,q_90`, sweep q | {r['first']:.2f} s | "
                  f"{r['total']:.1f} s | {edits} | {r['stall']:.0f} ms |", flush=True)
        bench.close()
        return
    n = args.edits
    burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(args.load)]
    for p in burners:
        p.start()
    try:
        bench = Bench()
        big = os.path.join(bench.tmp, "photo-4000x2670.jpg")
        Path(big).write_bytes(photo_like(4000, 2670))
        from viewer.window_settings import STARTER_CASCADES

        rows = []
        bench.setup(str(EXAMPLE), STARTER_CASCADES[0])
        rows.append(("example.jpg 400×267", "starter cascade, change resize w (PNG out)",
                     bench.edits(n, 0, "w", range(300, 300 + n))))
        bench.setup(big, "image/resize,w_600/sharpen,100")
        rows.append(("4000×2670 JPEG", "`resize,w_600…/sharpen,100`, change w",
                     bench.edits(n, 0, "w", range(601, 601 + n))))
        rows.append(("4000×2670 JPEG", "change only the last step (prefix cache)",
                     bench.edits(n, 1, "value", range(101, 101 + n))))
        rows.append(("4000×2670 JPEG", "`resize,w_1200…`, change w (full decode)",
                     bench.edits(n, 0, "w", range(1201, 1201 + n))))
        burst = bench.burst(10, 10, 0, "w", range(620, 630))
        bench.close()
    finally:
        for p in burners:
            p.terminate()

    print(f"{n} edits each, {os.cpu_count()} CPUs, load {args.load}, "
          f"heartbeat {HEARTBEAT_MS} ms\n")
    print("| source | edit | median | max | engine + display decode | longest GUI stall |")
    print("|---|---|---|---|---|---|")
    for source, edit, r in rows:
        print(f"| {source} | {edit} | {r['median']:.0f} ms | {r['max']:.0f} ms | "
              f"{r['engine']:.0f} ms | {r['stall']:.0f} ms |")
    ms, renders, dropped = burst
    print(f"\nBurst: 10 edits 10 ms apart on the large JPEG -> {renders} render(s) shown, "
          f"{dropped} dropped as stale; the last result showed {ms:.0f} ms after the "
          "first edit.")


if __name__ == "__main__":
    main()
