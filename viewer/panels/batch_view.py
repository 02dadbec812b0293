"""The Batch view: the current cascade over a folder or a bucket prefix, in the background.

A window of its own (File > Batch…): where the sources are (a folder, or
``oss://bucket/prefix`` read through the session's credentials), where the outputs go,
Run / Cancel, then a table of every source -- thumbnail, bytes in and out, savings, the
OSS error -- sortable by savings or by error, and the histograms of output bytes and of
savings that the HTML report draws (pyqtgraph). Clicking a row opens that source in the
main window. The run itself is :class:`viewer.model.batch_task.BatchTask` (never on the GUI
thread); the figures come from :mod:`core.batch.stats`, like the report's.
"""
from __future__ import annotations

import os
import tempfile

import threading

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QProgressBar,
                               QPushButton, QSpinBox, QSplitter, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from core.batch import stats
from core.batch.report import batch_report
from core.batch.runner import default_workers
from core.batch.sources import OSS, Item, OssSpec, parse_oss, read_bytes
from core.errors import OssError
from core.storage import atomic_write

from ..model.batch_task import THUMB_SIDE, BatchRequest, BatchTask
from .forms import message_label
from .histogram import Histogram

COLUMNS = ("Source", "Output", "Bytes in", "Bytes out", "Saved", "Error")
SORTS = ("Least saved first", "Errors first", "Name")
SETTINGS_GROUP = "batch"


class _Item(QTableWidgetItem):
    """A cell that sorts by a key (numbers as numbers, blanks last)."""

    def __init__(self, text: str, key) -> None:
        super().__init__(text)
        self.key = key
        self.setFlags(self.flags() & ~Qt.ItemFlag.ItemIsEditable)

    def __lt__(self, other: QTableWidgetItem) -> bool:  # noqa: D105
        return self.key < getattr(other, "key", self.key)


def _sort_key(record: dict, column: int):
    err = record.get("error")
    s = stats.savings(record)
    if column == 0:
        return record["source"]
    if column == 2:
        return record.get("source_bytes") or 0
    if column == 3:
        return (err is not None, record.get("output_bytes") or 0)
    if column == 4:                      # least saved first, failures after
        return (s is None, s if s is not None else 0.0, record["source"])
    if column == 5:                      # failures first, by code
        return (err is None, err["code"] if err else "", record["source"])
    return (record.get("output") or "")


class BatchView(QWidget):
    """``openPath(path)`` / ``openBytes(data, name)``: the user clicked a source.
    ``runFinished(outcome)`` / ``runFailed(error)`` after a run (tests wait on them)."""

    openPath = Signal(str)
    openBytes = Signal(bytes, str)
    runFinished = Signal(object)
    runFailed = Signal(object)
    _fetched = Signal(bytes, str)      # a bucket object read for openBytes (worker -> GUI)
    _fetchFailed = Signal(str)

    def __init__(self, doc, parent: QWidget | None = None, *, session=None,
                 settings: QSettings | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("batchView")
        self.setWindowTitle("Batch — the current cascade over many images")
        self.doc = doc
        self.session = session
        self.settings = settings or QSettings()
        self.task: BatchTask | None = None
        self.records: dict[str, dict] = {}
        self.thumbs: dict[str, QPixmap] = {}
        self.total = 0
        self._request: BatchRequest | None = None
        self._build()
        self._restore()
        self._plot_timer = QTimer(self, singleShot=True, interval=300)
        self._plot_timer.timeout.connect(self._update_figures)
        self._fetched.connect(self.openBytes)
        self._fetchFailed.connect(self._show_message)
        self.resize(1100, 760)

    # -- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        self.sources = QLineEdit(self)
        self.sources.setObjectName("batchSources")
        self.sources.setPlaceholderText("a folder, or oss://bucket/prefix")
        self.choose = QPushButton("Folder…", self)
        self.choose.clicked.connect(self._choose_folder)
        self.endpoint = QLineEdit(self)
        self.endpoint.setPlaceholderText("endpoint for oss://, e.g. oss-cn-hangzhou."
                                         "aliyuncs.com or 127.0.0.1:9000")
        self.out_dir = QLineEdit(self)
        self.out_dir.setPlaceholderText("empty: a new temporary folder")
        self.choose_out = QPushButton("Folder…", self)
        self.choose_out.clicked.connect(self._choose_out)
        self.workers = QSpinBox(self)
        self.workers.setRange(1, 64)
        self.workers.setValue(default_workers())
        self.workers.setToolTip("Local worker processes (bucket prefixes are read in this "
                                "process, with the session's credentials)")
        self.process_label = QLabel(self)
        self.process_label.setObjectName("batchProcess")
        self.process_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.process_label.setWordWrap(True)

        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.sources, 1)
        row.addWidget(self.choose)
        form.addRow("Sources", row)
        form.addRow("Endpoint", self.endpoint)
        row = QHBoxLayout()
        row.addWidget(self.out_dir, 1)
        row.addWidget(self.choose_out)
        row.addWidget(QLabel("Workers", self))
        row.addWidget(self.workers)
        form.addRow("Outputs", row)
        form.addRow("Cascade", self.process_label)

        self.run_button = QPushButton("Run", self)
        self.run_button.setObjectName("batchRun")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.report_button = QPushButton("Save report…", self)
        self.report_button.setEnabled(False)
        self.report_button.clicked.connect(self._save_report_dialog)
        self.progress = QProgressBar(self)
        self.progress.setFormat("%v / %m")
        self.sort = QComboBox(self)
        self.sort.addItems(SORTS)
        self.sort.currentIndexChanged.connect(self._apply_sort)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(QLabel("Sort", self))
        buttons.addWidget(self.sort)
        buttons.addWidget(self.report_button)

        self.message = message_label("batchMessage", self)
        self.summary = QLabel(self)
        self.summary.setObjectName("batchSummary")
        self.summary.setWordWrap(True)

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setIconSize(QSize(THUMB_SIDE, THUMB_SIDE))
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(THUMB_SIDE + 4)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 300)
        for c in (1, 2, 3, 4):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.cellClicked.connect(self._on_clicked)

        self.hist_bytes = Histogram("Output bytes", "KB", self)
        self.hist_savings = Histogram("Savings", "%", self)
        plots = QWidget(self)
        pl = QHBoxLayout(plots)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.addWidget(self.hist_bytes)
        pl.addWidget(self.hist_savings)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(plots)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)

        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.message)
        lay.addWidget(self.summary)
        lay.addWidget(split, 1)
        self.doc.stepsChanged.connect(self._show_process)
        self._show_process()

    def _restore(self) -> None:
        s = self.settings
        self.sources.setText(str(s.value(f"{SETTINGS_GROUP}/sources", "") or ""))
        self.endpoint.setText(str(s.value(f"{SETTINGS_GROUP}/endpoint", "")
                                  or s.value("remote/endpoint", "") or ""))
        self.out_dir.setText(str(s.value(f"{SETTINGS_GROUP}/out_dir", "") or ""))

    def _persist(self) -> None:
        s = self.settings
        s.setValue(f"{SETTINGS_GROUP}/sources", self.sources.text().strip())
        s.setValue(f"{SETTINGS_GROUP}/endpoint", self.endpoint.text().strip())
        s.setValue(f"{SETTINGS_GROUP}/out_dir", self.out_dir.text().strip())

    # -- intents --------------------------------------------------------------------------
    def process(self) -> str:
        return self.doc.process_string()

    def _show_process(self) -> None:
        self.process_label.setText(self.process() or "(no steps: add steps in the main "
                                   "window)")

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Source folder", self.sources.text())
        if path:
            self.sources.setText(path)

    def _choose_out(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Output folder", self.out_dir.text())
        if path:
            self.out_dir.setText(path)

    def _show_message(self, text: str | None, error: bool = True) -> None:
        self.message.setProperty("error", error)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text or "")
        self.message.setVisible(bool(text))

    def _request_from_fields(self) -> BatchRequest:
        sources = self.sources.text().strip()
        process = self.process()
        if not sources:
            raise OssError("MissingArgument", "Choose a folder or type oss://bucket/prefix.")
        if not process:
            raise OssError("MissingArgument", "The cascade is empty: add steps first.")
        oss = credentials = None
        if sources.startswith("oss://"):
            endpoint = self.endpoint.text().strip()
            if not endpoint:
                raise OssError("MissingArgument", "An oss:// source needs an endpoint.")
            bucket, _ = parse_oss(sources)
            region = str(self.settings.value("remote/region", "") or "") or None
            oss = OssSpec(endpoint, bucket, path_style=_is_local(endpoint), region=region)
            credentials = self.session.credentials() if self.session is not None else None
        elif not os.path.isdir(sources):
            raise OssError("InvalidArgument", f"{sources} is not a folder.")
        out = self.out_dir.text().strip()
        if not out:
            out = tempfile.mkdtemp(prefix="oss-batch-")
            self.out_dir.setText(out)
        return BatchRequest(sources, process, os.path.abspath(out), self.workers.value(),
                            oss, credentials)

    def run(self) -> bool:
        """Start a run (False, with the reason shown, if the fields don't allow one)."""
        if self.task is not None:
            return False
        try:
            request = self._request_from_fields()
        except OssError as e:
            self._show_message(f"{e.code}: {e.message}")
            return False
        self._persist()
        self._request = request
        self._show_message(None)
        self.records.clear()
        self.thumbs.clear()
        self.table.setRowCount(0)
        self.progress.setRange(0, 0)             # busy until the listing is done
        self.summary.setText(f"Listing {request.sources}…")
        self.task = BatchTask(request, self)
        self.task.started.connect(self._on_started)
        self.task.record.connect(self._on_record)
        self.task.finished.connect(self._on_finished)
        self.task.failed.connect(self._on_failed)
        self._set_running(True)
        self.task.start()
        return True

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.summary.setText("Cancelling after the sources in progress…")

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for w in (self.sources, self.endpoint, self.out_dir, self.choose, self.choose_out,
                  self.workers):
            w.setEnabled(not running)
        self.report_button.setEnabled(not running and bool(self.records))

    # -- results --------------------------------------------------------------------------
    def _on_started(self, total: int) -> None:
        self.total = total
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(0)
        self.summary.setText(f"{total} sources")

    def _on_record(self, record: dict, thumb: bytes | None) -> None:
        name = record["source"]
        self.records[name] = record
        if thumb:
            image = QImage.fromData(thumb)
            if not image.isNull():
                self.thumbs[name] = QPixmap.fromImage(image)
        self._add_row(record)
        self.progress.setValue(len(self.records))
        if not self._plot_timer.isActive():
            self._plot_timer.start()

    def _add_row(self, record: dict) -> None:
        sorting = self.table.isSortingEnabled()
        self.table.setSortingEnabled(False)
        row = self.table.rowCount()
        self.table.insertRow(row)
        err = record.get("error")
        s = stats.savings(record)
        out = "" if err else (f"{record['output_width']}×{record['output_height']} "
                              f"{record['output_format']}")
        cells = (record["source"], out, stats.human_bytes(record.get("source_bytes")),
                 "" if err else stats.human_bytes(record.get("output_bytes")),
                 "" if s is None else f"{100 * s:.1f}%",
                 f"{err['code']}: {err['message']}" if err else "")
        for col, text in enumerate(cells):
            item = _Item(text, _sort_key(record, col))
            item.setData(Qt.ItemDataRole.UserRole, record["source"])
            if col in (2, 3, 4):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if err:
                item.setForeground(QColor("#c62828"))
            elif col == 4 and s is not None and s < 0:
                item.setForeground(QColor("#c62828"))
            if col == 5 and err:
                item.setToolTip(item.text())
            self.table.setItem(row, col, item)
        pixmap = self.thumbs.get(record["source"])
        if pixmap is not None:
            self.table.item(row, 0).setIcon(QIcon(pixmap))
        self.table.setSortingEnabled(sorting)

    def _apply_sort(self, *_args) -> None:
        column = {0: 4, 1: 5, 2: 0}[self.sort.currentIndex()]
        self.table.sortItems(column, Qt.SortOrder.AscendingOrder)

    def _update_figures(self) -> None:
        records = list(self.records.values())
        ok = [r for r in records if not r.get("error")]
        self.hist_bytes.set_values([r["output_bytes"] / 1024 for r in ok])
        self.hist_savings.set_values([100 * stats.savings(r) for r in ok
                                      if stats.savings(r) is not None])
        s = stats.summarize(records)
        codes = ", ".join(f"{c} {n}" for c, n in s.failures_by_code.items())
        p = s.seconds
        self.summary.setText(
            f"{s.count} of {self.total} sources · {s.ok} succeeded · {s.failed} failed"
            + (f" ({codes})" if codes else "")
            + f" · {stats.human_bytes(s.bytes_in)} → {stats.human_bytes(s.bytes_out)}"
            + (f", saved {100 * s.saved:.1f}%" if s.saved is not None else "")
            + (f" · p50 {1000 * p['p50']:.0f} ms, p90 {1000 * p['p90']:.0f} ms"
               if p["p50"] is not None else ""))

    def _forget_task(self) -> None:
        if self.task is not None:
            self.task.deleteLater()     # its thread has emitted its last signal
            self.task = None

    def _on_finished(self, outcome) -> None:
        self._forget_task()
        self._set_running(False)
        self._plot_timer.stop()
        self._update_figures()
        self._apply_sort()
        if outcome.reused:
            self.summary.setText(self.summary.text() + f" · {outcome.reused} reused from "
                                 "the previous run")
        self.runFinished.emit(outcome)

    def _on_failed(self, error: OssError) -> None:
        self._forget_task()
        self._set_running(False)
        self._plot_timer.stop()
        if self.records:
            self._update_figures()
        if error.code == "Cancelled":
            n = len(self.records)
            self._show_message(f"Cancelled after {n} source{'' if n == 1 else 's'}; run "
                               "again with the same output folder to resume.", error=False)
        else:
            self._show_message(f"{error.code}: {error.message}")
        self.progress.setRange(0, max(self.total, 1))
        self.runFailed.emit(error)

    def _on_clicked(self, row: int, _col: int) -> None:
        item = self.table.item(row, 0)
        if item is None:
            return
        record = self.records.get(item.data(Qt.ItemDataRole.UserRole))
        if record is None:
            return
        if self._request is not None and self._request.oss is None:
            self.openPath.emit(record["ref"])
            return
        # A bucket object: the run kept no copy, so read it again (through the run's
        # client, signed with the session's credentials) on a worker thread.
        oss = self._request.oss if self._request else None

        def fetch() -> None:
            try:
                data = read_bytes(Item(record["source"], OSS, record["ref"]), oss)
            except OssError as e:
                self._fetchFailed.emit(f"Cannot open {record['source']}: {e.code}: "
                                       f"{e.message}")
                return
            self._fetched.emit(data, os.path.basename(record["ref"]))

        threading.Thread(target=fetch, name="batch-open", daemon=True).start()

    def save_report(self, path: str) -> None:
        html = batch_report(sorted(self.records.values(), key=lambda r: r["source"]),
                            self._request.out_dir if self._request else ".",
                            process=self._request.process if self._request else "",
                            sources=self._request.sources if self._request else "")
        atomic_write(path, html)

    def _save_report_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save report", "report.html",
                                              "HTML (*.html)")
        if path:
            try:
                self.save_report(path)
            except OSError as e:
                self._show_message(f"Cannot write {path}: {e.strerror or e}")

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel a run and wait for it (the app is closing)."""
        if self.task is not None:
            self.task.cancel()
            self.task.wait(timeout)

    def closeEvent(self, e) -> None:  # noqa: N802
        if self.task is not None:
            self.task.cancel()
        super().closeEvent(e)


def _is_local(endpoint: str) -> bool:
    from core.oss.urls import is_ip_or_localhost

    return is_ip_or_localhost(endpoint.split("/")[0].split("://")[-1])


__all__ = ["BatchView"]
