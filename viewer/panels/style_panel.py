"""The style library panel: named cascades kept on this computer, and a bucket's styles.

A thin view over :class:`core.style_library.StyleLibrary` (the local file) and the
document: *Apply* calls ``doc.set_process_string`` (undoable on the document's stack),
*Save current as* reads ``doc.process_string()``. Library edits (save, rename, delete,
import, copy from bucket) are undoable on the panel's own :attr:`undo_stack`: they change a
file shared by every document, not the document, so they must not interleave with cascade
edits on the document's stack. The main window puts both stacks in a ``QUndoGroup``
whose active stack follows focus, so Ctrl+Z in this panel undoes library edits.

The bucket section (:mod:`viewer.panels.style_bucket`) talks to OSS (ListStyle / PutStyle /
DeleteStyle) through :mod:`core.oss.client` on a ``QThreadPool``; each request carries a
generation number and stale answers are dropped. Errors are shown in the section, never as dialogs. It signs with the
shared :class:`viewer.model.session.Session`: credentials typed in the URLs panel work here too.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Mapping

import shiboken6
from PySide6.QtCore import QSettings, QSignalBlocker, QStandardPaths, Qt, QThreadPool, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QFileDialog, QGridLayout,
                               QGroupBox, QHeaderView, QLabel, QLineEdit, QPushButton, QStyle,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from core.cascade import validate_style_name
from core.errors import OssError
from core.style_library import LIMIT, ConflictPolicy, StyleLibrary

from ..model.document import UNDO_LIMIT, Document
from .inline_message import InlineMessage, narrow_wrapping
from ..model.session import Session
from ..model.settings import to_bool
from .style_bucket import BucketSection, ClientFactory, message_of, BucketRelay, core_client

LIBRARY_FILE = "styles.json"
SETTINGS_GROUP = "styles"


def default_library_path() -> Path:
    """``<AppConfigLocation>/styles.json`` (e.g. ``~/.config/<org>/<app>/styles.json``)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppConfigLocation)
    return Path(base) / LIBRARY_FILE


# -- undo --------------------------------------------------------------------------------

class _LibraryEdit(QUndoCommand):
    """A library edit as before/after snapshots. The edit itself was already written when
    the command is pushed, so the first redo does nothing."""

    def __init__(self, panel: "StyleLibraryPanel", before: dict[str, str],
                 after: dict[str, str], text: str) -> None:
        super().__init__(text)
        self.panel, self.before, self.after = panel, before, after
        self._first = True

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self.panel._restore_snapshot(self.after, self.text())

    def undo(self) -> None:
        self.panel._restore_snapshot(self.before, self.text())


# -- the panel ---------------------------------------------------------------------------

class StyleLibraryPanel(BucketSection, QWidget):
    """Local style library plus the bucket's styles. Works standalone given a Document.

    ``library_path``: the JSON file (default :func:`default_library_path`).
    ``client_factory``: builds the OSS client (tests inject a fake or a loopback one).
    ``session``: the credentials shared with the other panels (default: a new one of its
    own, reading the OSS_* variables from ``environ``, default ``os.environ``).
    ``settings``: where the bucket fields (endpoint, bucket, region, https) and the import
    option are remembered -- never the credentials (default: the application's QSettings).
    """

    libraryChanged = Signal()
    bucketFinished = Signal(str, bool)   # op ("list", "put", "delete"), success
    bucketStylesChanged = Signal()

    def __init__(self, doc: Document, parent: QWidget | None = None,
                 library_path: str | os.PathLike | None = None, *,
                 client_factory: ClientFactory = core_client,
                 environ: Mapping[str, str] | None = None,
                 settings: QSettings | None = None,
                 session: Session | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.library = StyleLibrary(library_path or default_library_path())
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)  # bounded like the document's
        self.client_factory = client_factory
        self.session = session if session is not None else Session(self, environ=environ)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one request at a time, in order
        self._relay = BucketRelay(self)
        self._relay.finished.connect(self._on_bucket_finished)
        self._generation = 0
        self._pending: dict[int, str] = {}
        self.bucket_styles: dict[str, str] | None = None  # None: not listed yet
        self.last_import = None  # the ImportReport of the last import, for the curious
        self._settings = settings if settings is not None else QSettings()
        self._build()
        self._restore_settings()
        self.undo_stack.indexChanged.connect(self._on_stack_changed)
        self._refresh_list()
        if self.library.load_error:
            self._show_error(self.library.load_error)

    # -- construction ------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        local = QGroupBox("Library", self)
        lay = QVBoxLayout(local)
        self.tree = self._make_tree(local)
        self.tree.itemSelectionChanged.connect(self._on_selection)
        self.tree.itemDoubleClicked.connect(lambda *_: self.apply_selected())
        lay.addWidget(self.tree, 1)

        # Buttons in grids, not rows: the dock is ~330 px wide, and a row of six buttons
        # needed 550 px (a horizontal scroll bar at the dock's natural width). Three equal
        # columns fit Fusion's 80 px minimum button width with room to spare.
        grid = QGridLayout()
        for col in range(3):
            grid.setColumnStretch(col, 1)
        self.name_edit = QLineEdit(local)
        self.name_edit.setPlaceholderText("style name (letters, digits, _ - .)")
        self.name_edit.setMaxLength(63)
        self.name_edit.textChanged.connect(lambda _t: self._update_buttons())
        self.name_edit.returnPressed.connect(self.save_current_from_field)
        self.save_button = QPushButton("Save current as", local)
        self.save_button.clicked.connect(self.save_current_from_field)
        self.rename_button = QPushButton("Rename to", local)
        self.rename_button.clicked.connect(self.rename_selected_from_field)

        self.apply_button = QPushButton("Apply", local)
        self.apply_button.setToolTip("Replace the cascade by the selected style (undoable).")
        self.apply_button.clicked.connect(self.apply_selected)
        self.delete_button = QPushButton("Delete", local)
        self.delete_button.clicked.connect(self.delete_selected)
        self.import_button = QPushButton("Import…", local)
        self.import_button.clicked.connect(self._import_dialog)
        self.export_button = QPushButton("Export…", local)
        self.export_button.clicked.connect(self._export_dialog)
        self.undo_button = QPushButton("Undo", local)
        self.undo_button.clicked.connect(self.undo_stack.undo)
        self.redo_button = QPushButton("Redo", local)
        self.redo_button.clicked.connect(self.undo_stack.redo)
        grid.addWidget(self.name_edit, 0, 0, 1, 3)
        grid.addWidget(self.save_button, 1, 0, 1, 2)   # "Replace with current" needs two
        grid.addWidget(self.rename_button, 1, 2)
        for row, buttons in enumerate(((self.apply_button, self.delete_button,
                                        self.import_button),
                                       (self.undo_button, self.redo_button,
                                        self.export_button)), start=2):
            for col, b in enumerate(buttons):
                grid.addWidget(b, row, col)
        lay.addLayout(grid)
        self.replace_on_import = QCheckBox("Import replaces same-name styles", local)
        self.replace_on_import.setToolTip("Import replaces library styles that have the same "
                                          "name (otherwise they are kept)")
        lay.addWidget(self.replace_on_import)

        # Delete, scoped to the list. No Ctrl+Z here: the main window's Ctrl+Z acts on
        # this stack while focus is in the panel (a QUndoGroup), and a second action on
        # the same key would make both ambiguous, so neither would fire.
        action = QAction(self)
        action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(self.delete_selected)
        self.tree.addAction(action)

        self.limit_label = self._warning_label(local)
        lay.addWidget(self.limit_label)
        self.error_label = self._warning_label(local)
        lay.addWidget(self.error_label)
        self.status = QLabel(local)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        narrow_wrapping(self.status)
        lay.addWidget(self.status)
        outer.addWidget(local, 1)

        self._build_bucket(outer)

    def _make_tree(self, parent: QWidget) -> QTreeWidget:
        tree = QTreeWidget(parent)
        tree.setColumnCount(2)
        tree.setHeaderLabels(["Name", "Content"])
        tree.setRootIsDecorated(False)
        tree.setUniformRowHeights(True)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        tree.header().setStretchLastSection(True)
        # Room for eight rows before scrolling (issue 9: the library showed about three).
        rows = 8
        tree.setMinimumHeight(rows * (tree.fontMetrics().height() + 6)
                              + tree.header().sizeHint().height() + 2 * tree.frameWidth())
        return tree

    def _warning_label(self, parent: QWidget) -> "InlineMessage":
        return InlineMessage(parent)

    def _warning_icon(self):
        return self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)

    # -- settings (never secrets) -----------------------------------------------------
    _SETTINGS = ("endpoint", "bucket", "region", "https", "replace_on_import")

    def _restore_settings(self) -> None:
        s = self._settings
        endpoint = s.value(f"{SETTINGS_GROUP}/endpoint")
        if endpoint:
            self.endpoint.setCurrentText(str(endpoint))
        # A narrow field shows the start of the host ("oss-cn-…"), not its tail.
        self.endpoint.lineEdit().setCursorPosition(0)
        self.bucket_edit.setText(str(s.value(f"{SETTINGS_GROUP}/bucket", "") or ""))
        self.region.setText(str(s.value(f"{SETTINGS_GROUP}/region", "") or ""))
        self.https.setChecked(to_bool(s.value(f"{SETTINGS_GROUP}/https", True)))
        self.replace_on_import.setChecked(
            to_bool(s.value(f"{SETTINGS_GROUP}/replace_on_import", False)))
        self.endpoint.currentTextChanged.connect(self._save_settings)
        for w in (self.bucket_edit, self.region):
            w.textChanged.connect(self._save_settings)
        for c in (self.https, self.replace_on_import):
            c.toggled.connect(self._save_settings)

    def _save_settings(self, *_args) -> None:
        values = {"endpoint": self.endpoint.currentText().strip(),
                  "bucket": self.bucket_edit.text().strip(),
                  "region": self.region.text().strip(),
                  "https": self.https.isChecked(),
                  "replace_on_import": self.replace_on_import.isChecked()}
        for name, value in values.items():
            self._settings.setValue(f"{SETTINGS_GROUP}/{name}", value)

    # -- local library: reading --------------------------------------------------------
    def selected_name(self) -> str | None:
        items = self.tree.selectedItems()
        return items[0].data(0, Qt.ItemDataRole.UserRole) if items else None

    def select(self, name: str | None) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == name:
                self.tree.setCurrentItem(item)
                return
        self.tree.clearSelection()

    def names(self) -> list[str]:
        return [self.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole)
                for i in range(self.tree.topLevelItemCount())]

    def _refresh_list(self) -> None:
        keep = self.selected_name()
        problems = {p.name: p.error for p in self.library.problems}
        with QSignalBlocker(self.tree):
            self.tree.clear()
            for name in self.library.names():
                content = self.library.get(name)
                item = QTreeWidgetItem([name, content])
                item.setData(0, Qt.ItemDataRole.UserRole, name)
                item.setToolTip(1, content)
                if name in problems:
                    item.setIcon(0, self._warning_icon())
                    item.setToolTip(0, problems[name])
                self.tree.addTopLevelItem(item)
        self.select(keep)
        n = len(self.library)
        self.limit_label.setText(
            "" if not self.library.at_limit else
            f"{n} styles: a bucket holds at most {LIMIT}; "
            + ("this library will not fit in one bucket." if self.library.over_limit
               else "this is the limit."))
        self._update_buttons()
        self.libraryChanged.emit()

    def _on_selection(self) -> None:
        name = self.selected_name()
        if name is not None:
            with QSignalBlocker(self.name_edit):
                self.name_edit.setText(name)
        self._update_buttons()

    def _on_stack_changed(self, _index: int) -> None:
        # The stack is our child: Qt destroys it (emitting) while tearing the panel down.
        if shiboken6.isValid(self.undo_stack) and shiboken6.isValid(self.undo_button):
            self._update_buttons()

    def _update_buttons(self) -> None:
        name = self.selected_name()
        typed = self.name_edit.text().strip()
        valid = _valid_name(typed)
        self.save_button.setEnabled(valid)
        self.save_button.setText("Replace with current" if valid and typed in self.library
                                 else "Save current as")
        self.rename_button.setEnabled(name is not None and valid and typed != name
                                      and typed not in self.library)
        busy = bool(self._pending)
        for b in (self.apply_button, self.delete_button):
            b.setEnabled(name is not None)
        self.put_button.setEnabled(name is not None and not busy)
        self.list_button.setEnabled(not busy)
        self.export_button.setEnabled(len(self.library) > 0)
        self.undo_button.setEnabled(self.undo_stack.canUndo())
        self.redo_button.setEnabled(self.undo_stack.canRedo())
        self.undo_button.setToolTip(self.undo_stack.undoText())
        self.redo_button.setToolTip(self.undo_stack.redoText())
        self.name_edit.setToolTip("" if valid or not typed else
                                  f"The value: {typed} of parameter: stylename is invalid.")
        remote = bool(self.remote_tree.selectedItems())
        self.remote_delete_button.setEnabled(remote and not busy)
        self.fetch_button.setEnabled(remote)

    # -- local library: intents (all undoable) -----------------------------------------
    def _edit(self, text: str, action: Callable[[], object]) -> object | None:
        """Run a library edit; push it for undo if it changed anything; errors inline."""
        before = self.library.as_dict()
        try:
            result = action()
        except (OssError, OSError) as e:
            self._show_error(message_of(e))
            return None
        after = self.library.as_dict()
        self._clear_error()
        if after != before:
            self.undo_stack.push(_LibraryEdit(self, before, after, text))
        self._refresh_list()
        return result if result is not None else True

    def save_current(self, name: str) -> bool:
        content = self.doc.process_string()
        if not content:
            self._show_error("The cascade is empty: add a step before saving it as a style.")
            return False
        ok = self._edit(f"Save style {name}", lambda: self.library.save(name, content))
        if ok:
            self.select(name)
            self.status.setText(f"Saved {name}.")
        return bool(ok)

    def save_current_from_field(self) -> bool:
        return self.save_current(self.name_edit.text().strip())

    def rename(self, old: str, new: str) -> bool:
        ok = self._edit(f"Rename style {old} to {new}", lambda: self.library.rename(old, new))
        if ok:
            self.select(new)
            self.status.setText(f"Renamed {old} to {new}.")
        return bool(ok)

    def rename_selected_from_field(self) -> bool:
        old = self.selected_name()
        return old is not None and self.rename(old, self.name_edit.text().strip())

    def delete(self, name: str) -> bool:
        ok = self._edit(f"Delete style {name}", lambda: self.library.delete(name))
        if ok:
            self.status.setText(f"Deleted {name} (Undo brings it back).")
        return bool(ok)

    def delete_selected(self) -> bool:
        name = self.selected_name()
        return name is not None and self.delete(name)

    def apply(self, name: str) -> bool:
        try:
            content = self.library.get(name)
            self.doc.set_process_string(content)
        except (OssError, ValueError) as e:
            self._show_error(f"Cannot apply {name}: {message_of(e)}")
            return False
        self._clear_error()
        self.status.setText(f"Applied {name}.")
        return True

    def apply_selected(self) -> bool:
        name = self.selected_name()
        return name is not None and self.apply(name)

    def import_file(self, path: str | os.PathLike, replace: bool | None = None) -> bool:
        if replace is None:
            replace = self.replace_on_import.isChecked()
        policy = ConflictPolicy.REPLACE if replace else ConflictPolicy.SKIP
        report = self._edit(f"Import {Path(path).name}",
                            lambda: self.library.import_file(path, policy))
        if not report:
            return False
        self.last_import = report
        if report.invalid or report.conflicts:
            self._show_error(f"Not imported from {Path(path).name}: "
                             + "; ".join([f"{c.name} (already in the library with "
                                          "different content)" for c in report.conflicts]
                                         + [f"{e.name} ({e.error})" for e in report.invalid]))
        self.status.setText(f"Imported {Path(path).name}: {report.summary()}")
        return True

    def export_file(self, path: str | os.PathLike, names: list[str] | None = None) -> bool:
        try:
            self.library.export_file(path, names)
        except (OssError, OSError) as e:
            self._show_error(f"Export failed: {message_of(e)}")
            return False
        self._clear_error()
        self.status.setText(f"Exported {len(names) if names is not None else len(self.library)}"
                            f" styles to {Path(path).name}.")
        return True

    def _import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import styles", "",
                                              "Style files (*.json);;All files (*)")
        if path:
            self.import_file(path)

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export styles", LIBRARY_FILE,
                                              "Style files (*.json)")
        if path:
            self.export_file(path)

    def _restore_snapshot(self, styles: dict[str, str], text: str) -> None:
        try:
            self.library.replace_all(styles)
        except (OssError, OSError) as e:
            # The stack moved but the file did not: say so; the next undo/redo retries.
            self._show_error(f"Could not write the library for “{text}”: {message_of(e)}")
        else:
            self._clear_error()
        self._refresh_list()

    # -- inline messages ---------------------------------------------------------------
    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.status.clear()

    def _clear_error(self) -> None:
        self.error_label.clear()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.pool.clear()
        super().closeEvent(event)


def _valid_name(name: str) -> bool:
    try:
        validate_style_name(name)
    except OssError:
        return False
    return True
