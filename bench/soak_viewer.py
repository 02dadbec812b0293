"""Viewer soak: the real main window, offscreen, driven by seeded random gestures.

    python bench/soak_viewer.py [--minutes 10 | --edits N] [--seed 17] [--json out.json]

Runs the main window (``QT_QPA_PLATFORM=offscreen`` unless set) in a child process and
drives it with what users do: form edits and typing in spin boxes, add / remove / move /
duplicate / toggle / select steps, valid and invalid process strings set or typed (ended
by Enter, by the parse pause, or by clicking / focusing the step form -- issue 17's crash
gesture), source switches (JPEG, EXIF-rotated JPEG, transparent PNG, animated GIF, logo),
compare mode and zoom changes, undo / redo bursts, clearing. Between gestures it runs the
event loop; now and then it waits (on conditions, never sleeps) until every render is
done, so both superseded and delivered renders happen.

Prints, per report interval (15 s with ``--minutes``): RSS, the pictures alive, the number of Python
objects the collector tracks, live ``RenderRequest`` / undo-command / ``_Runnable`` /
``Source`` objects, the undo stack's size, the engine cache and the longest event-loop
stall (the largest gap between ticks of a 5 ms heartbeat timer, minus the interval: what
a user would feel as a frozen window). At the end: the summary, every unexpected exception
with its traceback and the input that raised it, and a crash (the child's exit signal and
its faulthandler stack) if there was one. Exit status 0 only without crash and without
unexpected exceptions.

Unexpected exceptions are: an exception escaping a slot (``sys.excepthook``) or a thread,
an error logged by the viewer (``viewer.*`` loggers: a render that raised something other
than an OSS error, or an OSS ``InternalError``), and a render failing with
``InternalError``. Expected OSS errors (invalid strings, impossible parameters) are
counted, not reported.

The test suite runs a short, seeded version (``tests/test_viewer_soak.py``); figures from
the 10-minute run are in docs/PERFORMANCE.md.
"""
from __future__ import annotations

import argparse
import faulthandler
import json
import logging
import os
import random
import re
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.soak_memory import malloc_stats, rss_bytes, rss_parts  # noqa: E402
from bench import soak_memory  # noqa: E402
from bench.soak_inputs import Inputs, type_text  # noqa: E402
from bench.soak_report import fmt_row, live_counts, run_in_child, slope_fit  # noqa: E402

HEARTBEAT_MS = 5
IDLE_TIMEOUT_S = 60.0
SAMPLE_FILES = ("example.jpg", "exif-rotated.jpg", "transparent.png", "animated.gif",
                "logo.png")


from viewer import memory  # noqa: E402  (no Qt objects made: safe before QApplication)


# -- the soak --------------------------------------------------------------------------------

class Soak:
    def __init__(self, seed: int, without: tuple[str, ...] = ()) -> None:
        from PySide6.QtCore import QCoreApplication, QSettings, Qt, QTimer
        from PySide6.QtWidgets import QApplication

        self.rng = random.Random(seed)
        unknown = set(without) - {g for g, _ in self.GESTURES}
        if unknown:
            raise SystemExit(f"no such gesture: {', '.join(sorted(unknown))}")
        self.gestures = [(g, w) for g, w in self.GESTURES if g not in without]
        self.inputs = Inputs(self.rng)
        self.tmp = tempfile.mkdtemp(prefix="soak-viewer-")
        os.environ["XDG_CONFIG_HOME"] = os.path.join(self.tmp, "config")  # not the user's
        os.environ["XDG_DATA_HOME"] = os.path.join(self.tmp, "data")
        os.environ["XDG_STATE_HOME"] = os.path.join(self.tmp, "state")
        memory.tune()   # as viewer/app.py does, before Qt allocates
        QCoreApplication.setOrganizationName("soak-viewer")
        QCoreApplication.setApplicationName("soak-viewer")
        self.app = QApplication.instance() or QApplication(sys.argv[:1])
        memory.limit_caches()   # as viewer/app.py does
        from viewer.mainwindow import MainWindow
        from viewer.model.sources import sample_path

        self.samples = [str(sample_path(f)) for f in SAMPLE_FILES]
        settings = QSettings(os.path.join(self.tmp, "viewer.ini"), QSettings.Format.IniFormat)
        self.win = MainWindow(settings, restore=False)
        self.win.resize(1400, 880)
        self.win.show()

        self.unexpected: list[dict] = []
        self.expected_errors = 0
        self.error_kinds: dict[str, int] = {}
        self.edits = 0
        self.last_action = "start"
        self._install_capture()
        self.win.renderFailed.connect(self._on_render_failed)

        self._QTimer = QTimer
        self._loop = self._loop_timer = None   # run_for's, made on first use
        self._last_tick = time.perf_counter()
        self.max_stall_ms = 0.0
        self.interval_stall_ms = 0.0
        self.stall_action = ""
        self.heartbeat = QTimer(interval=HEARTBEAT_MS, timerType=Qt.TimerType.PreciseTimer)
        self.heartbeat.timeout.connect(self._tick)
        self.heartbeat.start()
        self.wait_idle()

    # -- capture ----------------------------------------------------------------------
    def _record(self, kind: str, text: str) -> None:
        doc = self.win.doc
        entry = {"kind": kind, "text": text, "edit": self.edits, "action": self.last_action,
                 "process": doc.process_string(), "source": doc.source_name}
        self.unexpected.append(entry)
        print(f"UNEXPECTED {kind} at edit {self.edits} ({self.last_action}) "
              f"source={doc.source_name} process={doc.process_string()}\n{text}", flush=True)

    def _install_capture(self) -> None:
        soak = self

        def excepthook(kind, value, tb) -> None:
            soak._record("exception", "".join(traceback.format_exception(kind, value, tb)))

        def thread_hook(args) -> None:
            soak._record("thread", "".join(traceback.format_exception(
                args.exc_type, args.exc_value, args.exc_traceback)))

        class Capture(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                text = record.getMessage()
                if record.exc_info:
                    text += "\n" + "".join(traceback.format_exception(*record.exc_info))
                # Logged from a worker thread: hand it to the GUI thread's list safely.
                soak._record("logged", text)

        sys.excepthook = excepthook
        threading.excepthook = thread_hook
        logger = logging.getLogger("viewer")
        logger.setLevel(logging.WARNING)
        self._capture = Capture(level=logging.ERROR)
        logger.addHandler(self._capture)

    def _on_render_failed(self, err) -> None:
        if err.code == "InternalError":
            self._record("render", f"{err.code}: {err.message} ({err.where()})")
        else:
            self.expected_errors += 1
            # What the user was told, numbers folded: read the list for misleading ones.
            kind = re.sub(r"\d+", "N", f"{err.code}: {err.message}")[:110]
            self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1

    # -- event loop ----------------------------------------------------------------------
    def _tick(self) -> None:
        now = time.perf_counter()
        gap = (now - self._last_tick) * 1000 - HEARTBEAT_MS
        self._last_tick = now
        if gap > self.interval_stall_ms:
            self.interval_stall_ms = gap
            self.stall_action = self.last_action   # the gesture in (or just after) the gap

    def run_for(self, ms: int) -> None:
        """Run the event loop for ``ms`` milliseconds. One loop and one timer, reused:
        ``QTimer.singleShot(ms, callable)`` with ms > 0 keeps one Python object per call
        alive (PySide6 6.11; 1.0 block and ~40 bytes of RSS per call, measured), and the
        soak calls this about 2.5 times a gesture -- the bench's own growth, ~0.1 MB per
        1,000 gestures, counted as the viewer's before (docs/PERFORMANCE.md, fourth pass)."""
        from PySide6.QtCore import QEventLoop

        if self._loop is None:
            self._loop = QEventLoop()
            self._loop_timer = self._QTimer(singleShot=True)
            self._loop_timer.timeout.connect(self._loop.quit)
        if self._loop.isRunning():   # re-entered from a slot: a loop of its own
            loop = QEventLoop()
            self._QTimer.singleShot(ms, loop.quit)
            loop.exec()
            return
        self._loop_timer.start(ms)
        self._loop.exec()

    def busy(self) -> bool:
        from PySide6.QtCore import QThreadPool

        w = self.win
        return (w.renderer.task.busy or w.renderer.pool.activeThreadCount() > 0
                or QThreadPool.globalInstance().activeThreadCount() > 0
                or w.process_field._timer.isActive())

    def wait_idle(self) -> None:
        deadline = time.perf_counter() + IDLE_TIMEOUT_S
        self.run_for(1)
        while self.busy():
            if time.perf_counter() > deadline:
                self._record("hang", f"still busy after {IDLE_TIMEOUT_S:.0f} s")
                return
            self.run_for(5)
        self.run_for(1)

    # -- gestures ----------------------------------------------------------------------
    def _select_some(self) -> bool:
        doc = self.win.doc
        if not doc.steps:
            return False
        if doc.selected < 0 or self.rng.random() < 0.3:
            doc.select(self.rng.randrange(len(doc.steps)))
        return self.win.steps_panel.form is not None

    def g_form_edit(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        from viewer.panels import param_editors as editors

        if not self._select_some():
            return
        form = self.win.steps_panel.form
        if not form._rows:   # info, average-hue: nothing to edit
            return
        key = self.rng.choice(list(form._rows))
        spec = form._rows[key].spec
        ed = form.editor(key)
        rng = self.rng
        if rng.random() < 0.1 and form.reset_button(key) is not None \
                and form.reset_button(key).isEnabled():
            form.reset_button(key).click()
        elif isinstance(ed, editors.IntEditor):
            if rng.random() < 0.3:   # type digits, as a user does (edits merge)
                ed.spin.setFocus()
                ed.spin.selectAll()
                QTest.keyClicks(ed.spin, str(self.inputs.int_value(spec)))
            else:
                ed.spin.setValue(self.inputs.int_value(spec))
        elif isinstance(ed, editors.FlagEditor):
            ed.box.toggle()
        elif isinstance(ed, (editors.EnumEditor, editors.FontEditor)):
            ed.combo.setCurrentIndex(rng.randrange(ed.combo.count()))
        elif isinstance(ed, editors.ColorEditor):
            ed.edit.setFocus()
            ed.edit.selectAll()
            QTest.keyClicks(ed.edit, self.inputs.value(spec, valid=rng.random() < 0.9)[:6])
        elif isinstance(ed, editors.TextEditor):
            ed.edit.setFocus()
            ed.edit.selectAll()
            QTest.keyClick(ed.edit, Qt.Key.Key_Backspace)
            type_text(ed.edit, str(self.inputs.value(spec)))

    def g_add(self) -> None:
        self.win.steps_panel.add(self.rng.choice(self.inputs.names))

    def g_remove(self) -> None:
        if self._select_some():
            self.win.steps_panel.remove_selected()

    def g_move(self) -> None:
        if self._select_some():
            self.win.steps_panel.move_selected(self.rng.choice([-1, 1]))

    def g_duplicate(self) -> None:
        if self._select_some() and len(self.win.doc.steps) < 8:
            self.win.steps_panel.duplicate_selected()

    def g_toggle(self) -> None:
        if self._select_some():
            self.win.steps_panel.toggle_selected()

    def g_select(self) -> None:
        doc = self.win.doc
        doc.select(self.rng.randrange(-1, len(doc.steps)) if doc.steps else -1)

    def g_set_string(self) -> None:
        text = self.inputs.process()
        if self.rng.random() < 0.4:
            text = self.inputs.invalid_process(text)
        self.win.process_field.set_text(text)

    def g_type_string(self) -> None:
        from PySide6.QtCore import QPoint, Qt
        from PySide6.QtTest import QTest

        text = self.inputs.process()
        if self.rng.random() < 0.3:
            text = self.inputs.invalid_process(text)
        pf = self.win.process_field
        pf.focus()
        QTest.keyClicks(pf.edit, text)
        how = self.rng.randrange(4)
        form = self.win.steps_panel.form
        if how == 0:
            QTest.keyClick(pf.edit, Qt.Key.Key_Return)
        elif how == 1:   # the parse pause (waits on the field's timer, not the clock)
            while pf._timer.isActive():
                self.run_for(5)
        elif form is not None and form._rows:
            # Issue 17's crash gesture: from the field straight into the step form.
            ed = form.editor(self.rng.choice(list(form._rows)))
            target = next((w for w in (getattr(ed, "spin", None), getattr(ed, "combo", None),
                                       getattr(ed, "edit", None), getattr(ed, "box", None))
                           if w is not None), ed)
            if how == 2 and target.isVisible():
                QTest.mouseClick(target, Qt.MouseButton.LeftButton,
                                 Qt.KeyboardModifier.NoModifier, QPoint(5, 5))
            else:
                target.setFocus()
        else:
            self.win.steps_panel.list.setFocus()

    def g_source(self) -> None:
        self.win.open_path(self.rng.choice(self.samples))

    def g_view(self) -> None:
        from viewer.canvas.canvas import CompareMode

        pv = self.win.preview
        choice = self.rng.randrange(6)
        if choice == 0:
            pv.set_mode(self.rng.choice(list(CompareMode)))
        elif choice == 1:
            pv.act_zoom_in.trigger()
        elif choice == 2:
            pv.act_zoom_out.trigger()
        elif choice == 3:
            pv.act_fit.trigger()
        elif choice == 4:
            pv.act_actual.trigger()
        else:
            pv.act_follow.trigger()

    def g_undo_redo(self) -> None:
        stack = self.win.doc.undo_stack
        for _ in range(self.rng.randint(1, 15)):
            (stack.undo if self.rng.random() < 0.6 else stack.redo)()

    def g_clear(self) -> None:
        self.win.act_clear.trigger()

    GESTURES = (("form_edit", 22), ("add", 8), ("remove", 5), ("move", 5), ("duplicate", 3),
                ("toggle", 4), ("select", 8), ("set_string", 8), ("type_string", 7),
                ("source", 3), ("view", 6), ("undo_redo", 5), ("clear", 1))

    def step(self) -> None:
        names = [g for g, _ in self.gestures]
        weights = [w for _, w in self.gestures]
        name = self.rng.choices(names, weights)[0]
        self.last_action = name
        getattr(self, "g_" + name)()
        self.edits += 1
        r = self.rng.random()
        if r < 0.25:
            self.wait_idle()          # let this one render to the end
        elif r < 0.7:
            self.run_for(self.rng.choice([1, 5, 20, 60]))
        else:
            self.app.processEvents()  # next gesture right away: supersedes the render

    # -- reporting ----------------------------------------------------------------------
    def sample(self, elapsed: float) -> dict:
        from PySide6.QtGui import QPixmapCache

        self.wait_idle()
        # Measured at rest, as a user who stops would see it: the renderer hands free heap
        # back once the preview has been idle for a moment (viewer/memory.py IdleTrim).
        trim = self.win.renderer.idle_trim._timer
        while trim.isActive():
            self.run_for(5)
        objects, counts = live_counts()
        row = {"t": round(elapsed, 1), "edits": self.edits,
               "rss_mb": round(rss_bytes() / 2**20, 1), **rss_parts(), **malloc_stats(),
               "font_pages_mb": round(sum(m["rss"] for m in soak_memory.smaps() if m["path"]
                                          .lower().endswith(memory.FONT_SUFFIXES)) / 2**20, 1),
               "objects": objects, **counts,
               "undo": self.win.doc.undo_stack.count(),
               "trims": self.win.renderer.idle_trim.trims,
               "malloc_tuned": memory.tune(),
               "pixmap_cache_kb": QPixmapCache.cacheLimit(),
               "cache_mb": round(self.win.renderer.engine.cache_bytes / 2**20, 1),
               "stall_ms": round(self.interval_stall_ms, 1), "stall_during": self.stall_action,
               "unexpected": len(self.unexpected)}
        self.max_stall_ms = max(self.max_stall_ms, self.interval_stall_ms)
        self._last_tick = time.perf_counter()   # the collection above is not a UI stall
        self.interval_stall_ms = 0.0
        return row

    def close(self) -> None:
        self.wait_idle()
        self.heartbeat.stop()
        self.win.close()


def run_child(args) -> int:
    faulthandler.enable()
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(args.tracemalloc)
    soak = Soak(args.seed, tuple(args.without))
    smaps = []
    traced: dict = {}   # tracemalloc snapshots: "base" (after a minute) and "last"

    def sample(t: float) -> dict:
        row = soak.sample(t)
        if args.trim_probe:   # what an explicit malloc_trim(0) would give back now
            before = soak_memory.snapshot()
            memory.trim()
            row["rss_trimmed_mb"] = round(rss_bytes() / 2**20, 1)
            after = soak_memory.snapshot()
            row["trim_gain"] = {k: round(v - after["breakdown"].get(k, 0), 1)
                                for k, v in before["breakdown"].items()
                                if v - after["breakdown"].get(k, 0) >= 0.5}
            print(f"   trim would give back: {row['trim_gain']}", flush=True)
        if args.tracemalloc:
            row["py_traced_mb"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 1)
            traced["last" if "base" in traced or t < 60 else "base"] = \
                tracemalloc.take_snapshot()
        if args.smaps:
            smaps.append({"t": row["t"], **soak_memory.snapshot()})
            if "base" in traced and "last" in traced:
                stats = traced["last"].compare_to(traced["base"], "lineno")[:25]
                smaps[-1]["py_growth"] = [f"{st.size_diff / 1024:+.0f} KiB {st.count_diff:+d} "
                                          f"{st.traceback}" for st in stats]
            Path(args.smaps).write_text(json.dumps(smaps, indent=1))
        return row

    rows = [sample(0.0)]
    print(fmt_row(rows[0]), flush=True)
    t0 = time.perf_counter()
    next_report = args.report_every
    while True:
        elapsed = time.perf_counter() - t0
        if args.edits is not None and soak.edits >= args.edits:
            break
        if args.edits is None and elapsed >= args.minutes * 60:
            break
        soak.step()
        progress = soak.edits if args.report_edits else time.perf_counter() - t0
        if progress >= next_report:
            next_report += args.report_every
            rows.append(sample(time.perf_counter() - t0))
            print(fmt_row(rows[-1]), flush=True)
    final = sample(time.perf_counter() - t0)
    if rows[-1]["edits"] != final["edits"]:
        rows.append(final)
        print(fmt_row(final), flush=True)
    rss_fit = slope_fit(rows, 60.0)
    summary = {"seed": args.seed, "edits": soak.edits, "seconds": round(final["t"], 1),
               "rows": rows, "max_stall_ms": round(soak.max_stall_ms, 1),
               "expected_oss_errors": soak.expected_errors, "unexpected": soak.unexpected,
               "oss_error_kinds": dict(sorted(soak.error_kinds.items(), key=lambda kv: -kv[1])),
               "rss_growth_mb_per_min_after_1st_min": rss_fit[0] if rss_fit else None,
               "rss_growth_fit_after_1st_min": rss_fit,
               "rss_less_images_growth_fit_after_1st_min": slope_fit(
                   rows, 60.0, lambda r: r["rss_mb"] - r["images_mb"]),
               "crash": None}
    soak.close()
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--edits", type=int, default=None,
                    help="stop after this many gestures instead of after --minutes")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--report-every", type=float, default=None,
                    help="seconds between reports (default 15: the growth is fitted to "
                    "them), or gestures with --edits")
    ap.add_argument("--json", default=None, help="write the summary here")
    ap.add_argument("--without", default=[], type=lambda v: [g for g in v.split(",") if g],
                    help="gesture kinds left out, comma-separated (to bisect a growth): "
                    + ", ".join(g for g, _ in Soak.GESTURES))
    ap.add_argument("--trim-probe", action="store_true",
                    help="at each report, also call malloc_trim(0) and show what it gave back")
    ap.add_argument("--tracemalloc", type=int, default=0, metavar="FRAMES",
                    help="trace Python allocations (slow); with --smaps, the lines whose "
                    "memory grew since the first minute")
    ap.add_argument("--smaps", default=None,
                    help="write where resident memory is (bench/soak_memory.py) at every "
                    "report to this JSON file; compare with soak_memory.py A B")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.report_edits = args.edits is not None
    if args.report_every is None:
        args.report_every = max(1, args.edits // 5) if args.report_edits else 15.0
    return run_child(args) if args.child else run_in_child(Path(__file__).resolve(), args, argv)


if __name__ == "__main__":
    raise SystemExit(main())
