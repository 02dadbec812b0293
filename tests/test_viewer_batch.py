"""The Batch view: runs the document's cascade over a folder (or a bucket prefix through
the session) in the background, fills the table and histograms, sorts, cancels, resumes,
and opens a clicked source in the main window."""
from __future__ import annotations

import json
import shutil

import pytest

from core.oss.credentials import Credentials
from core.serve.runner import serve
from viewer.panels.batch_view import BatchView
from viewer.model.document import Document
from viewer.model.session import Session

from .batch_fixtures import make_sources
from .viewer_windows import track

WAIT = 30_000
PROCESS = "image/resize,w_100"


@pytest.fixture
def view(qtbot, settings, tmp_path):
    doc = Document()
    doc.set_process_string(PROCESS)
    v = track(qtbot, BatchView(doc, settings=settings, session=Session(environ={})))
    v.workers.setValue(1)
    v.out_dir.setText(str(tmp_path / "out"))
    v.show()
    return v


def column(view, col):
    return [view.table.item(r, col).text() for r in range(view.table.rowCount())]


def run(qtbot, view):
    with qtbot.waitSignal(view.runFinished, timeout=WAIT) as blocker:
        assert view.run()
    return blocker.args[0]


def test_runs_a_folder_and_shows_every_result(qtbot, view, tmp_path):
    src = make_sources(tmp_path)
    view.sources.setText(str(src))
    assert view.process_label.text() == PROCESS
    outcome = run(qtbot, view)
    assert outcome.failed == 3
    assert view.table.rowCount() == 6
    # Default order: least saved first (failures after the successes).
    names = column(view, 0)
    assert set(names) == {"anim.gif", "corrupt.jpg", "empty.png", "good.jpg", "huge.png",
                          "nested/alpha.png"}
    rows = {view.table.item(r, 0).text(): r for r in range(view.table.rowCount())}
    good = rows["good.jpg"]
    assert view.table.item(good, 1).text() == "100×75 jpg"
    assert view.table.item(good, 5).text() == ""
    assert view.table.item(rows["huge.png"], 5).text().startswith("ImageTooLarge: ")
    assert view.table.item(rows["empty.png"], 5).text() == \
        "BadRequest: The object is empty (0 bytes)."
    # Thumbnails of the outputs are shown.
    assert not view.table.item(good, 0).icon().isNull()
    assert view.table.item(rows["corrupt.jpg"], 0).icon().isNull()
    # Savings as the manifest says.
    recs = {r["source"]: r for r in map(json.loads, (tmp_path / "out" / "manifest.jsonl")
                                        .read_text().splitlines())}
    g = recs["good.jpg"]
    assert view.table.item(good, 4).text() == \
        f"{100 * (1 - g['output_bytes'] / g['source_bytes']):.1f}%"
    saved = [r["output_bytes"] for r in recs.values() if not r["error"]]
    # The histograms hold every success.
    assert sum(view.hist_bytes.hist.counts) == 3
    assert sum(view.hist_savings.hist.counts) == 3
    assert view.hist_bytes.bars is not None
    assert view.hist_bytes.hist.edges[-1] == pytest.approx(max(saved) / 1024)
    assert "6 of 6 sources · 3 succeeded · 3 failed (BadRequest 2, ImageTooLarge 1)" in \
        view.summary.text()
    assert view.run_button.isEnabled() and not view.cancel_button.isEnabled()

    # Sort by error: the three failures first, by code.
    view.sort.setCurrentIndex(1)
    assert column(view, 0)[:3] == ["corrupt.jpg", "empty.png", "huge.png"]
    assert all(column(view, 5)[i] for i in range(3)) and not any(column(view, 5)[3:])
    # Sort by savings: successes from the least saved to the most.
    view.sort.setCurrentIndex(0)
    ordered = [n for n in column(view, 0) if not recs[n]["error"]]
    savings = [1 - recs[n]["output_bytes"] / recs[n]["source_bytes"] for n in ordered]
    assert savings == sorted(savings) and column(view, 0)[:3] == ordered


def test_rerun_resumes_and_report_is_written(qtbot, view, tmp_path):
    src = make_sources(tmp_path)
    view.sources.setText(str(src))
    run(qtbot, view)
    outcome = run(qtbot, view)
    assert outcome.reused == 6
    assert "6 reused from the previous run" in view.summary.text()
    report = tmp_path / "r.html"
    view.save_report(str(report))
    text = report.read_text()
    assert "Batch report" in text and "ImageTooLarge" in text


def test_bad_fields_are_reported_inline(qtbot, view, tmp_path):
    view.sources.setText(str(tmp_path / "missing"))
    assert not view.run()
    assert view.message.text() == f"InvalidArgument: {tmp_path / 'missing'} is not a folder."
    view.sources.setText("oss://bkt/photos/")
    view.endpoint.setText("")
    assert not view.run()
    assert "needs an endpoint" in view.message.text()
    view.doc.set_process_string("")
    view.sources.setText(str(tmp_path))
    assert not view.run()
    assert "cascade is empty" in view.message.text()


def test_cancel_stops_between_sources(qtbot, view, tmp_path, monkeypatch):
    import core.batch.runner as runner

    src = make_sources(tmp_path)
    view.sources.setText(str(src))
    real = runner.run_item

    def first_then_cancel(*args):   # runs on the worker thread: deterministic
        result = real(*args)
        view.task.cancel()
        return result
    monkeypatch.setattr(runner, "run_item", first_then_cancel)
    with qtbot.waitSignal(view.runFailed, timeout=WAIT) as blocker:
        assert view.run()
        assert not view.run_button.isEnabled() and view.cancel_button.isEnabled()
    assert blocker.args[0].code == "Cancelled"
    assert view.table.rowCount() == 1
    assert view.message.text() == ("Cancelled after 1 source; run again with the same "
                                   "output folder to resume.")
    assert view.run_button.isEnabled()
    # Running again resumes: the finished source is reused.
    monkeypatch.setattr(runner, "run_item", real)
    assert run(qtbot, view).reused == 1


def test_bucket_prefix_through_the_session(qtbot, settings, tmp_path):
    creds = Credentials("LTAI5tBatchViewKey0001", "BatchView+Secret/For=Tests")
    root = tmp_path / "root"
    src = make_sources(tmp_path)
    (root / "bkt").mkdir(parents=True)
    shutil.copytree(src, root / "bkt" / "photos")
    server = serve(root, "127.0.0.1", 0, "private", (creds,))
    server.start()
    try:
        session = Session(environ={})
        session.set_credentials(creds)
        doc = Document()
        doc.set_process_string(PROCESS)
        settings.setValue("remote/region", "cn-hangzhou")
        v = track(qtbot, BatchView(doc, settings=settings, session=session))
        v.out_dir.setText(str(tmp_path / "out"))
        v.sources.setText("oss://bkt/photos/")
        v.endpoint.setText(f"127.0.0.1:{server.port}")
        with qtbot.waitSignal(v.runFinished, timeout=WAIT) as blocker:
            assert v.run()
        assert blocker.args[0].failed == 3 and v.table.rowCount() == 6
        rows = {v.table.item(r, 0).text(): r for r in range(v.table.rowCount())}
        # Clicking a bucket object reads it (signed) and offers its bytes to the window.
        with qtbot.waitSignal(v.openBytes, timeout=WAIT) as opened:
            v.table.cellClicked.emit(rows["good.jpg"], 0)
        assert opened.args[0] == (src / "good.jpg").read_bytes()
        assert opened.args[1] == "good.jpg"
    finally:
        server.stop()


def test_main_window_opens_a_clicked_source(main_window, qtbot, tmp_path):
    w = main_window()
    src = make_sources(tmp_path)
    w.act_batch.trigger()
    v = w.batch_view
    assert v.isVisible() and v.process_label.text() == w.doc.process_string()
    v.workers.setValue(1)
    v.out_dir.setText(str(tmp_path / "out"))
    v.sources.setText(str(src))
    with qtbot.waitSignal(v.runFinished, timeout=WAIT):
        v.run()
    rows = {v.table.item(r, 0).text(): r for r in range(v.table.rowCount())}
    v.table.cellClicked.emit(rows["good.jpg"], 2)
    assert w.doc.source_name == "good.jpg"
    assert w.source_path == str(src / "good.jpg")
    w.close()
