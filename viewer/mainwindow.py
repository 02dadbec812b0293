"""The main window: wires one Document to its views, the renderer and the sources.

Views never talk to each other: the steps panel, the process field and the colleague's
panels all edit the Document; this window listens to the Document and asks the renderer
for a new preview. The panels that sign requests share one Session (the credentials),
owned here. Everything that can fail (a file, a URL, a step) reports inline in the
part of the window it concerns.
"""
from __future__ import annotations

import importlib
import inspect
import os
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QIcon, QUndoGroup, QUndoStack
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QLabel, QMainWindow,
                               QMessageBox, QScrollArea, QSizePolicy, QVBoxLayout, QWidget)

from core.errors import OssError
from core.resources import resource_path
from core.storage import atomic_write

from .canvas.ab import CompareController
from .canvas.canvas_edit import CanvasEditor
from .panels.bucket_browser import BucketBrowser
from .model.connection import Connection
from .panels.connection_bar import ConnectionBar
from .model.document import Document
from .panels.elide import ElidedLabel
from .model.texts import error_text, human_bytes, ratio_text
from .panels.info_panel import InfoPanel
from .menus import APP_NAME, build_actions, build_menus, make_action
from .canvas.preview import PreviewPanel
from .panels.process_field import ProcessField
from .model.render import RenderOutput, RenderRequest, Renderer
from .model.session import Session
from .panels.source_bar import SourceBar
from .model.sources import SAMPLES, ObjectsResolver, UrlFetcher
from .panels.panel_binding import bind_panels
from .panels.steps_panel import StepsPanel
from .panels.url_bar import UrlBar
from .model.url_open import UrlPlan
from .widget_tree import within
from .window_settings import WindowSettings
from .window_sources import WindowSources

ICON_PATH = resource_path("icons", "app.svg")

# Integration points for the colleague's dock panels (issue 5, "URLs" and "Style library").
# Each is (module, class, dock title, object name); titles are short because the docks
# share one tab bar. A module that is not there yet is skipped; any other import error is
# shown in the status bar, never raised.
OPTIONAL_DOCKS = (
    ("viewer.panels.url_panel", "UrlPanel", "URLs", "urlDock"),
    ("viewer.panels.style_panel", "StyleLibraryPanel", "Styles", "styleDock"),
    ("viewer.panels.remote_panel", "RemotePanel", "Remote", "remoteDock"),
    ("viewer.panels.quality_panel", "QualityPanel", "Quality", "qualityDock"),
)


class MainWindow(WindowSettings, WindowSources, QMainWindow):
    outputShown = Signal(object)       # RenderOutput, after the preview updated (tests)
    renderFailed = Signal(object)      # OssError

    def __init__(self, settings: QSettings | None = None, *, restore: bool = True,
                 renderer: Renderer | None = None, session: Session | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        if ICON_PATH.exists():
            self.setWindowIcon(QIcon(str(ICON_PATH)))
        self.settings = settings or QSettings()
        self.doc = Document(self)
        # Credentials for the whole window, typed once (never persisted).
        self.session = session if session is not None else Session(self)
        # Endpoint, bucket, key and access for every panel (issue 9), profiles in settings.
        self.connection = Connection(self.settings, self.session, self)
        self._url_plan: UrlPlan | None = None
        self.renderer = renderer or Renderer(self)
        self.fetcher = UrlFetcher(self)
        self.source_path: str | None = None
        self._resolver = ObjectsResolver()
        self.last_output: RenderOutput | None = None
        self.last_error: OssError | None = None
        self.extra_docks: dict[str, QDockWidget] = {}
        self.extra_panels: dict[str, QWidget] = {}
        self.dock_errors: list[str] = []

        # Central: source bar, process string, preview ---------------------------------------
        self.source_bar = SourceBar(self)
        self.connection_bar = ConnectionBar(self.connection, self)
        self.process_field = ProcessField(self.doc, self)
        self.preview = PreviewPanel(self)
        self.url_bar = UrlBar(self.doc, self.connection, self)
        central = QWidget(self)
        cl = QVBoxLayout(central)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(0)
        cl.addWidget(self.source_bar)
        cl.addWidget(self.connection_bar)
        pf = QWidget(central)
        pl = QVBoxLayout(pf)
        pl.setContentsMargins(8, 4, 8, 6)
        pl.addWidget(self.process_field)
        cl.addWidget(pf)
        cl.addWidget(self.preview, 1)
        cl.addWidget(self.url_bar)
        self.setCentralWidget(central)

        # Docks -------------------------------------------------------------------------------
        self.steps_panel = StepsPanel(self.doc, self)
        self.steps_dock = self._dock("Steps", "stepsDock", self.steps_panel,
                                     Qt.DockWidgetArea.LeftDockWidgetArea)
        self.info_panel = InfoPanel(parent=self)
        self.info_dock = self._dock("Info", "infoDock", self.info_panel,
                                    Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_optional_docks()
        self.bucket_browser = BucketBrowser(self.connection, self)
        self.bucket_browser.openRequested.connect(self._open_object)
        self.bucket_dock = self._dock("Bucket", "bucketDock", self.bucket_browser,
                                      Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.info_dock, self.bucket_dock)
        self.info_dock.raise_()
        bind_panels(self.extra_panels, self.connection, self.connection_bar.open_editor)

        # Status bar ----------------------------------------------------------------------------
        self.status_output = QLabel(self)
        self.status_output.setObjectName("statusOutput")
        self.status_timings = ElidedLabel(self, mode=Qt.TextElideMode.ElideLeft)
        self.status_timings.setObjectName("statusTimings")
        self.status_timings.setMinimumWidth(160)
        self.status_timings.setSizePolicy(QSizePolicy.Policy.Preferred,
                                          QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.status_output)
        self.statusBar().addPermanentWidget(self.status_timings)

        self._build_undo_group()
        self._build_actions()
        self._build_menus()
        # A/B cascades and what the preview pairs (viewer/canvas/ab.py).
        self.compare = CompareController(self)
        self.canvas_editor = CanvasEditor(self)       # drag crops, watermarks, radii
        self._wire()
        self.setAcceptDrops(True)
        self._fit_first_size(1400, 880)
        self._layout_restored = False
        self._restore(restore)

    # -- construction ---------------------------------------------------------------------------

    def _fit_first_size(self, width: int, height: int) -> None:
        """The first-run size, never larger than the screen's free area (a 1280x720 laptop
        got a 1400x880 window whose edges were off screen); remembered geometry wins later."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is not None:
            free = screen.availableGeometry()
            width, height = min(width, free.width()), min(height, free.height())
        self.resize(max(width, self.minimumSizeHint().width()),
                    max(height, self.minimumSizeHint().height()))
    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _add_optional_docks(self) -> None:
        # Each panel is a thin view over the same Document; those that sign share the
        # Session, and the Remote panel renders with the preview's watermark resolver.
        # Only the keywords a panel declares are passed, so any panel(doc, parent) fits.
        offered = {"settings": self.settings, "session": self.session,
                   "resolver": self._resolver, "engine": self.renderer.engine}
        for module, cls_name, title, name in OPTIONAL_DOCKS:
            try:
                mod = importlib.import_module(module)
                cls = getattr(mod, cls_name)
                params = inspect.signature(cls).parameters
                kwargs = {k: v for k, v in offered.items() if k in params}
                panel = cls(self.doc, self, **kwargs)
            except ModuleNotFoundError as e:
                if e.name == module:
                    continue  # not written yet
                self.dock_errors.append(f"{title} panel unavailable: {e}")
                continue
            except Exception as e:  # noqa: BLE001 - a broken panel must not stop the app
                self.dock_errors.append(f"{title} panel unavailable: {type(e).__name__}: {e}")
                continue
            # In a scroll area: these panels are taller than the window may be. They fit
            # the dock's width (~330 px); the horizontal bar only shows if the user
            # drags the dock narrower than that.
            scroll = QScrollArea(self)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(panel)
            # Never narrower than the panel: a dock squeezed below it showed a horizontal
            # scroll bar and clipped fields (issue 9).
            scroll.setMinimumWidth(panel.minimumSizeHint().width()
                                   + scroll.verticalScrollBar().sizeHint().width())
            dock = self._dock(title, name, scroll, Qt.DockWidgetArea.RightDockWidgetArea)
            self.tabifyDockWidget(self.info_dock, dock)
            self.extra_docks[name] = dock
            self.extra_panels[name] = panel
        self.info_dock.raise_()
        if self.dock_errors:
            self.statusBar().showMessage("; ".join(self.dock_errors), 20000)

    def _build_undo_group(self) -> None:
        # Library edits live on the style panel's own stack (undoing a cascade edit must
        # not delete a saved style), so Edit > Undo and Ctrl+Z act on the stack of the
        # panel that has focus: a panel with an ``undo_stack`` while focus is inside it,
        # the document everywhere else.
        self.undo_group = QUndoGroup(self)
        self.undo_group.addStack(self.doc.undo_stack)
        self._panel_stacks: list[tuple[QWidget, QUndoStack]] = []
        for panel in self.extra_panels.values():
            stack = getattr(panel, "undo_stack", None)
            if isinstance(stack, QUndoStack):
                self.undo_group.addStack(stack)
                self._panel_stacks.append((panel, stack))
        self.undo_group.setActiveStack(self.doc.undo_stack)
        QApplication.instance().focusChanged.connect(self._on_focus_changed)

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        # Focus leaving for a dialog, a popup or another window keeps the stack: a menu's
        # Undo must act on the panel the user was in.
        if new is None or not within(new, self):
            return
        for panel, stack in self._panel_stacks:
            if within(new, panel):
                self.undo_group.setActiveStack(stack)
                return
        self.undo_group.setActiveStack(self.doc.undo_stack)

    def _act(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        return make_action(self, text, slot, shortcut, tip)

    def _build_actions(self) -> None:
        build_actions(self)

    def _build_menus(self) -> None:
        build_menus(self)

    def _wire(self) -> None:
        d = self.doc
        d.stepsChanged.connect(self.schedule_render)
        d.sourceChanged.connect(self._on_source_changed)
        d.selectionChanged.connect(self._on_selection_changed)
        self.preview.followSelectionChanged.connect(lambda _on: self.schedule_render())
        self.renderer.rendered.connect(self._on_rendered)
        self.renderer.failed.connect(self._on_render_failed)
        self.renderer.busyChanged.connect(self.preview.set_busy)
        self.fetcher.fetched.connect(self._on_fetched)
        self.fetcher.failed.connect(self._on_fetch_failed)
        self.fetcher.busyChanged.connect(self._on_fetch_busy)
        sb = self.source_bar
        sb.url_edit.returnPressed.connect(lambda: self.open_url(sb.url_edit.text()))
        sb.url_go.clicked.connect(lambda: self.open_url(sb.url_edit.text()))
        sb.url_cancel.clicked.connect(self._cancel_url)
        self.process_field.errorChanged.connect(self._on_process_error)

    # -- rendering ------------------------------------------------------------------------------
    def preview_upto(self) -> int | None:
        """Steps to preview: up to the selected one when following the selection."""
        sel = self.doc.selected
        if self.preview.act_follow.isChecked() and 0 <= sel < len(self.doc.steps) - 1:
            return sel + 1
        return None

    def _enabled_indices(self, upto: int | None = None) -> list[int]:
        steps = self.doc.steps if upto is None else self.doc.steps[:upto]
        return [i for i, s in enumerate(steps) if s.enabled]

    def schedule_render(self, *_args, immediate: bool = False) -> None:
        if self.doc.source is None:
            return
        upto = self.preview_upto()
        req = RenderRequest(self.doc.source, self.doc.cascade(upto), resolver=self._resolver)
        self._update_caption(upto)
        self.renderer.request(req, immediate=immediate)

    def _on_selection_changed(self, _index: int) -> None:
        if self.preview.act_follow.isChecked():
            self.schedule_render()

    def _update_caption(self, upto: int | None) -> None:
        n = len(self.doc.steps)
        if n == 0:
            text = "No steps: the source as OSS serves it unprocessed."
        elif upto is None:
            k = len(self._enabled_indices())
            text = f"Result of the whole cascade ({k} of {n} steps enabled)." if k != n else \
                f"Result of the whole cascade ({n} step{'s' if n != 1 else ''})."
        else:
            step = self.doc.steps[upto - 1]
            text = (f"After step {upto} of {n}: <b>{step.op.NAME}</b>"
                    + ("" if step.enabled else " (disabled, so skipped)")
                    + ". Select the last step to see the whole cascade.")
        self.preview.set_caption(text)

    @Slot(object)
    def _on_rendered(self, out: RenderOutput) -> None:
        self.last_output = out
        self.last_error = None
        res = out.result
        if res.is_json:
            self.preview.show_json(res.data.decode("utf-8", "replace"))
        self.compare.present(out)
        self.preview.show_error(None)
        self.preview.set_notes(res.notes)
        self.steps_panel.set_step_error(None, None)
        if out.before is not None:
            self._update_source_title((out.before.width, out.before.height))
        self.info_panel.set_image("output", None if res.is_json else res.data)
        self._update_status(out)
        self.outputShown.emit(out)

    def _update_status(self, out: RenderOutput) -> None:
        res = out.result
        if res.is_json:
            self.status_output.setText(f"JSON answer · {human_bytes(len(res.data))}")
        else:
            frames = f" · {out.after.total} frames" if out.after and out.after.total > 1 else ""
            self.status_output.setText(
                f"Output {res.width}×{res.height} · {res.format} · {human_bytes(len(res.data))} "
                f"({ratio_text(len(res.data), out.source_bytes)}){frames}")
        parts, tip = [], []
        for t in res.timings:
            ms = t.seconds * 1000
            label = t.label.split(",", 1)[0]
            parts.append(f"{label} {'cached' if t.cached else f'{ms:.0f} ms'}")
            tip.append(f"{t.label}: {'cached' if t.cached else f'{ms:.1f} ms'}")
        tip.append(f"preview total (with decoding for display): {out.seconds * 1000:.1f} ms")
        self.status_timings.setText(" · ".join(parts) + f"  —  {out.seconds * 1000:.0f} ms")
        self.status_timings.setToolTip(self.status_timings.text() + "\n\n" + "\n".join(tip))

    @Slot(object)
    def _on_render_failed(self, err: OssError) -> None:
        if err.code == "Cancelled":
            return
        self.last_error = err
        doc_index = None
        if err.step is not None:
            enabled = self._enabled_indices(self.preview_upto())
            if 0 <= err.step < len(enabled):
                doc_index = enabled[err.step]
        self.steps_panel.set_step_error(doc_index, err)
        if doc_index is not None:
            step = self.doc.steps[doc_index]
            where = f"Step {doc_index + 1} ({step.op.NAME})" + (f", key {err.key}" if err.key
                                                                  else "")
        elif err.step is None and err.code in ("BadRequest", "ImageTooLarge"):
            where = f"Source {self.doc.source_name}"
        else:
            where = err.where() or "Cascade"
        last = self.last_output
        if last is not None and self.doc.source is not None \
                and last.request.source.digest == self.doc.source.digest:
            tail = "The preview shows the last good result."
        else:
            # The last good image is of another source: showing it would mislead.
            self.preview.show_images(None, None)
            tail = "Nothing to show for this image yet."
        self.preview.show_error(f"<b>{where}</b>: {error_text(err)}<br>{tail}")
        self.status_output.setText("No output: see the message above the preview.")
        self.status_timings.clear()
        self.renderFailed.emit(err)

    def _on_process_error(self, err: OssError | None) -> None:
        # The field explains its own errors; the status bar just points at it.
        if err is not None:
            self.statusBar().showMessage("The process string has an error; the cascade is "
                                         "unchanged.", 4000)

    def _show_palette(self) -> None:
        b = self.steps_panel.add_button
        self.steps_panel.palette_menu.popup(b.mapToGlobal(b.rect().bottomLeft()))

    def save_output(self) -> None:
        out = self.last_output
        if out is None:
            return
        res = out.result
        ext = "json" if res.is_json else res.format
        stem = Path(self.doc.source_name or "image").stem
        start = os.path.join(os.path.dirname(self.source_path or "") or str(Path.home()),
                             f"{stem}-processed.{ext}")
        path, _ = QFileDialog.getSaveFileName(self, "Save output", start)
        if not path:
            return
        try:
            atomic_write(path, res.data)  # 0666 & ~umask; a replaced file keeps its mode
        except OSError as e:
            self.statusBar().showMessage(f"Could not save {path}: {e.strerror}", 8000)
            return
        self.statusBar().showMessage(f"Saved {path} ({human_bytes(len(res.data))})", 5000)

    def showEvent(self, e) -> None:  # noqa: N802
        super().showEvent(e)
        if not self._layout_restored:
            # First run: give the preview the room; docks start at a comfortable width
            # (resizeDocks only takes effect once the window has its real size).
            self._layout_restored = True
            QTimer.singleShot(0, lambda: self.resizeDocks(
                [self.steps_dock, self.info_dock], [340, 330], Qt.Orientation.Horizontal))

    def closeEvent(self, e) -> None:  # noqa: N802
        self.save_settings()
        self.fetcher.cancel()
        self.info_panel.task.cancel()
        self.renderer.shutdown()
        self.compare.renderer.shutdown()
        self.canvas_editor.shutdown()
        for panel in self.extra_panels.values():
            if hasattr(panel, "shutdown"):
                panel.shutdown()
        if getattr(self, "batch_view", None) is not None:
            self.batch_view.shutdown()
        # Cancelled jobs stop at their next check; let them finish before widgets go away.
        QThreadPool.globalInstance().waitForDone(3000)
        super().closeEvent(e)

    # -- help -----------------------------------------------------------------------------------
    def _about_samples(self) -> None:
        rows = "".join(f"<tr><td><code>{s.file}</code></td><td>{s.title}</td><td>{s.note}</td></tr>"
                       for s in SAMPLES)
        QMessageBox.information(
            self, "Sample images",
            "<p>All samples are the OSS SDK's MIT-licensed test photograph or derived from it "
            "(resources/samples/README.md, make_samples.py).</p>"
            f"<table cellspacing=6>{rows}</table>")

    def _about(self) -> None:
        QMessageBox.about(
            self, APP_NAME,
            f"<h3>{APP_NAME}</h3><p>Author and preview Alibaba Cloud OSS image-processing "
            "cascades (<code>x-oss-process</code>) locally: no network, no credentials.</p>")

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(1400, 880)
