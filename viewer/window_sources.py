"""The main window's sources: open a file, bytes, a pasted or dropped image, a URL (fetched
off the GUI thread) or an object of the bucket browser; the recent-files menu; the source's
title. A mix-in of :class:`viewer.mainwindow.MainWindow`, which owns the document, the
preview, the source bar and the fetcher these methods use.
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog

from core.engine import Source
from core.errors import OssError

from .model.texts import error_text, human_bytes
from .menus import APP_NAME
from .model.sources import (ObjectsResolver, load_bytes, load_file, process_from_text, read_mime,
                      recent_files, remember_file, sample_path)
from .model.url_open import plan_url

IMAGE_FILTER = ("Images (*.jpg *.jpeg *.png *.webp *.gif *.bmp *.tif *.tiff *.heic *.heif "
                "*.avif);;All files (*)")


class WindowSources:
    """Where the main window's picture comes from (a mix-in; see the module's docstring)."""

    def show_batch(self) -> None:
        """The Batch view (viewer/panels/batch_view.py), made on first use; a clicked result
        opens here as the source."""
        if getattr(self, "batch_view", None) is None:
            from .panels.batch_view import BatchView

            self.batch_view = BatchView(self.doc, self, session=self.session,
                                        settings=self.settings)
            self.batch_view.openPath.connect(self.open_path)
            self.batch_view.openBytes.connect(self.open_bytes)
        self.batch_view.show()
        self.batch_view.raise_()

    def open_dialog(self) -> None:
        start = os.path.dirname(self.source_path) if self.source_path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open image", start, IMAGE_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        try:
            source = load_file(path)
        except OssError as e:
            self.source_bar.show_message(f"Cannot open {os.path.basename(path)}: "
                                         f"{error_text(e)}. The current image stays.")
            return False
        self.source_path = os.path.abspath(path)
        if not self._is_sample(path):
            remember_file(self.settings, path)
        folder = os.path.dirname(self.source_path)
        if [f.root for f in self._resolver.folders][:1] != [Path(folder)]:
            self._use_resolver(ObjectsResolver(folder))
        self.source_bar.show_message(None)
        self.doc.set_source(source, os.path.basename(path))
        return True

    def open_bytes(self, data: bytes, name: str) -> bool:
        try:
            source = load_bytes(data, name)
        except OssError as e:
            self.source_bar.show_message(f"Cannot use {name}: {error_text(e)}. "
                                         "The current image stays.")
            return False
        self.source_path = None
        self._use_resolver(ObjectsResolver())
        self.source_bar.show_message(None)
        self.doc.set_source(source, name)
        return True

    def _use_resolver(self, resolver: ObjectsResolver) -> None:
        # Called before doc.set_source, so a panel that snapshots the document's source
        # always finds the matching watermark objects.
        self._resolver = resolver
        for panel in self.extra_panels.values():
            if hasattr(panel, "set_resolver"):
                panel.set_resolver(resolver)

    @property
    def resolver(self) -> ObjectsResolver:
        """Where the preview (and the Remote panel's local side) finds watermark objects:
        the open file's folder, then the bundled samples."""
        return self._resolver

    def show_url_row(self) -> None:
        self.source_bar.url_row.setVisible(True)
        self.source_bar.url_edit.setFocus()
        self.source_bar.url_edit.selectAll()

    def open_url(self, url: str) -> None:
        """Fetch ``url`` as the source. An OSS URL with processing opens the stored
        object and loads its cascade (viewer/model/url_open.py), opened or pasted alike."""
        url = url.strip()
        if not url:
            return
        self._url_plan = plan = plan_url(url)
        self.source_bar.url_row.setVisible(True)
        self.source_bar.url_edit.setText(url)
        self.source_bar.show_message(f"Fetching {plan.fetch_url} …", error=False)
        self.fetcher.fetch(plan.fetch_url)

    def _open_object(self, key: str, data: bytes) -> None:
        """An object opened from the bucket browser: the connection's key follows it."""
        if self.open_bytes(data, key.rsplit("/", 1)[-1]):
            self.connection.update(key=key)

    def _cancel_url(self) -> None:
        self.fetcher.cancel()
        self.source_bar.show_message(None)
        self.source_bar.url_row.setVisible(False)

    @Slot(object, str)
    def _on_fetched(self, source: Source, url: str) -> None:
        self.source_path = None
        self._use_resolver(ObjectsResolver())
        self.source_bar.show_message(None)
        self.source_bar.url_row.setVisible(False)
        self.doc.set_source(source, source.name)
        plan, self._url_plan = self._url_plan, None
        if plan is not None and plan.notice:
            if plan.process:
                self.process_field.set_text(plan.process)
            self.source_bar.show_message(plan.notice, error=False)

    @Slot(object, str)
    def _on_fetch_failed(self, err: OssError, url: str) -> None:
        self.source_bar.show_message(f"Could not open {url}: {error_text(err)}")

    def _on_fetch_busy(self, busy: bool) -> None:
        self.source_bar.url_go.setEnabled(not busy)

    def paste(self) -> None:
        self.accept_mime(QGuiApplication.clipboard().mimeData(), "clipboard")

    def accept_mime(self, mime, origin: str) -> bool:
        """A drop or a paste: an image, a file, a URL to fetch, or a process string."""
        if mime is None:
            return False
        got = read_mime(mime)
        if got.path:
            return self.open_path(got.path)
        if got.url:
            self.open_url(got.url)
            return True
        if got.image:
            return self.open_bytes(got.image, f"{origin}.png")
        if got.text:
            text = process_from_text(got.text)
            if text.startswith(("image/", "style/")) or text == "":
                self.process_field.set_text(text)
                return True
            self.source_bar.show_message(f"The {origin} holds text that is neither an image, "
                                         "a URL nor a process string.")
        return False

    def dragEnterEvent(self, e) -> None:  # noqa: N802
        got = read_mime(e.mimeData())
        if got.path or got.url or got.image:
            e.acceptProposedAction()

    def dropEvent(self, e) -> None:  # noqa: N802
        if self.accept_mime(e.mimeData(), "drop"):
            e.acceptProposedAction()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        items = recent_files(self.settings)
        for path in items:
            act = self.recent_menu.addAction(os.path.basename(path))
            act.setToolTip(path)
            act.setStatusTip(path)
            act.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not items:
            self.recent_menu.addAction("No recent files").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", lambda: self.settings.remove("sources/recent"))

    @staticmethod
    def _is_sample(path: str) -> bool:
        return Path(path).resolve().parent == sample_path("").resolve()

    def _on_source_changed(self) -> None:
        src = self.doc.source
        self.info_panel.set_image("source", src.data if src else None)
        self._update_source_title()
        self.setWindowTitle(f"{self.doc.source_name} — {APP_NAME}")
        self.preview.fit()
        self.schedule_render(immediate=True)

    def _update_source_title(self, size: tuple[int, int] | None = None) -> None:
        src = self.doc.source
        if src is None:
            self.source_bar.title.setText("—")
            return
        dims = f"{size[0]}×{size[1]}, " if size else ""
        where = self.source_path or self.doc.source_name
        self.source_bar.title.setText(f"{self.doc.source_name}  ·  "
                                      f"{dims}{human_bytes(len(src.data))}")
        self.source_bar.title.setToolTip(f"{self.source_bar.title.text()}\n{where}")
