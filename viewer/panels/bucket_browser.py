"""The bucket browser: a bucket's objects by prefix, with thumbnails; open one as source.

Reads the :class:`viewer.model.connection.Connection` (endpoint, bucket, access, credentials), so
it works against OSS and against ``oss-img serve`` alike. Listing is ListObjects (V1),
one page of :data:`PAGE` keys at a time ("More" asks for the next page with its marker);
each listed image gets a thumbnail fetched in the background through
``x-oss-process=image/resize`` (OSS does the shrinking, not us). Opening downloads the
stored object -- no processing -- and hands it to the window as the new source.

Every request runs on its own pool; answers of an older listing (a new prefix, another
connection) are dropped by generation number.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QHBoxLayout, QLineEdit, QListView, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from core.errors import OssError
from core.oss.listing import ObjectListing

from ..model.connection import Connection
from .elide import ElidedLabel
from ..model.texts import human_bytes
from ..model.render import as_oss_error, start_in_pool

PAGE = 60
THUMB = 72
THUMB_PROCESS = f"image/resize,m_lfit,w_{THUMB},h_{THUMB}/format,png"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff",
                  ".heic", ".heif", ".avif")
KEY_ROLE = Qt.ItemDataRole.UserRole
THUMB_ROLE = Qt.ItemDataRole.UserRole + 1


def looks_like_image(key: str) -> bool:
    return key.lower().endswith(IMAGE_SUFFIXES)


class _Relay(QObject):
    listed = Signal(int, object, bool)       # generation, ObjectListing, append
    thumb = Signal(int, str, bytes)          # generation, key, PNG bytes
    opened = Signal(int, str, bytes)         # generation, key, object bytes
    failed = Signal(int, str, object)        # generation, what, OssError


class BucketBrowser(QWidget):
    """``openRequested(key, data)`` when the user opens an object as the source."""

    openRequested = Signal(str, bytes)
    listed = Signal(int)                     # how many objects are shown (tests)
    thumbnailsDone = Signal()

    def __init__(self, connection: Connection, parent: QWidget | None = None, *,
                 pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bucketBrowser")
        self.connection = connection
        self.pool = pool or QThreadPool(self)
        if pool is None:
            self.pool.setMaxThreadCount(4)
        self._relay = _Relay(self)
        self._relay.listed.connect(self._on_listed)
        self._relay.thumb.connect(self._on_thumb)
        self._relay.opened.connect(self._on_opened)
        self._relay.failed.connect(self._on_failed)
        self._generation = 0
        self._where = self._location()
        self._next_marker = ""
        self._pending_thumbs = 0

        self.prefix = QLineEdit(self)
        self.prefix.setPlaceholderText("prefix, e.g. photos/")
        self.prefix.setToolTip("List the keys that start with this; empty: the whole bucket")
        self.prefix.returnPressed.connect(self.list)
        self.list_button = QPushButton("List", self)
        self.list_button.clicked.connect(self.list)
        self.items = QListWidget(self)
        self.items.setViewMode(QListView.ViewMode.IconMode)
        self.items.setIconSize(QSize(THUMB, THUMB))
        self.items.setGridSize(QSize(THUMB + 40, THUMB + 36))
        self.items.setResizeMode(QListView.ResizeMode.Adjust)
        self.items.setMovement(QListView.Movement.Static)
        self.items.setWordWrap(True)
        # Every item reserves the thumbnail's room from the start (thumbnails arrive later;
        # an item laid out without one was a thin strip).
        blank = QPixmap(THUMB, THUMB)
        blank.fill(Qt.GlobalColor.transparent)
        self._blank = QIcon(blank)
        self.items.itemActivated.connect(lambda item: self.open(item.data(KEY_ROLE)))
        self.more_button = QPushButton("More", self)
        self.more_button.setToolTip(f"The next {PAGE} objects")
        self.more_button.clicked.connect(lambda: self.list(more=True))
        self.open_button = QPushButton("Open as source", self)
        self.open_button.clicked.connect(self._open_selected)
        self.items.itemSelectionChanged.connect(self._update_buttons)
        self.status = ElidedLabel(self)
        self.status.setObjectName("bucketStatus")

        row = QHBoxLayout()
        row.addWidget(self.prefix, 1)
        row.addWidget(self.list_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.more_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.items, 1)
        lay.addLayout(buttons)
        lay.addWidget(self.status)
        connection.changed.connect(self._on_connection)
        self._update_buttons()
        self.status.setText("List the connection's bucket to browse it.")

    # -- intents ---------------------------------------------------------------------------
    def list(self, more: bool = False) -> int | None:
        """Start listing (a new prefix, or the next page); returns the generation."""
        try:
            client = self.connection.client()
        except OssError as e:
            self.status.setText(f"{e.code}: {e.message}")
            return None
        if not more:
            self._generation += 1
            self._next_marker = ""
            self._pending_thumbs = 0
            self.items.clear()
        gen, marker, prefix = self._generation, self._next_marker, self.prefix.text()
        self.status.setText("Listing…")
        relay = self._relay

        def work() -> None:
            try:
                with client:
                    page = client.list_page(prefix, marker=marker, max_keys=PAGE)
                relay.listed.emit(gen, page, more)
            except Exception as e:  # noqa: BLE001 - reported inline
                relay.failed.emit(gen, "list", as_oss_error(e))
        start_in_pool(self.pool, work)
        return gen

    def open(self, key: str) -> None:
        try:
            client = self.connection.client()
        except OssError as e:
            self.status.setText(f"{e.code}: {e.message}")
            return
        gen, relay = self._generation, self._relay
        self.status.setText(f"Opening {key}…")

        def work() -> None:
            try:
                with client:
                    data = client.get_object(key).data
                relay.opened.emit(gen, key, data)
            except Exception as e:  # noqa: BLE001
                relay.failed.emit(gen, f"open {key}", as_oss_error(e))
        start_in_pool(self.pool, work)

    def wait(self, msecs: int = 10000) -> bool:
        return self.pool.waitForDone(msecs)

    # -- answers -----------------------------------------------------------------------------
    def _on_listed(self, gen: int, page: ObjectListing, _more: bool) -> None:
        if gen != self._generation:
            return
        self._next_marker = page.next_marker if page.truncated else ""
        for obj in page.objects:
            name = obj.key[len(self.prefix.text()):] or obj.key
            item = QListWidgetItem(name, self.items)
            item.setData(KEY_ROLE, obj.key)
            item.setIcon(self._blank)
            item.setSizeHint(QSize(THUMB + 36, THUMB + 34))
            item.setToolTip(f"{obj.key}\n{human_bytes(obj.size)}  {obj.last_modified}")
            if looks_like_image(obj.key):
                self._fetch_thumb(gen, obj.key)
        n = self.items.count()
        self.status.setText(f"{n} object{'s' if n != 1 else ''}"
                            + (" (more: press More)" if self._next_marker else "."))
        self._update_buttons()
        self.listed.emit(n)
        if self._pending_thumbs == 0:
            self.thumbnailsDone.emit()

    def _fetch_thumb(self, gen: int, key: str) -> None:
        try:
            client = self.connection.client()
        except OssError:
            return
        relay = self._relay
        self._pending_thumbs += 1

        def work() -> None:
            try:
                with client:
                    data = client.get_object(key, process=THUMB_PROCESS).data
                relay.thumb.emit(gen, key, data)
            except Exception as e:  # noqa: BLE001 - a missing thumbnail is not fatal
                relay.failed.emit(gen, f"thumbnail {key}", as_oss_error(e))
        start_in_pool(self.pool, work)

    def _thumb_finished(self) -> None:
        self._pending_thumbs = max(0, self._pending_thumbs - 1)
        if self._pending_thumbs == 0:
            self.thumbnailsDone.emit()

    def _on_thumb(self, gen: int, key: str, data: bytes) -> None:
        if gen != self._generation:
            return
        image = QImage.fromData(data)
        for i in range(self.items.count()):
            item = self.items.item(i)
            if item.data(KEY_ROLE) == key and not image.isNull():
                item.setIcon(QIcon(QPixmap.fromImage(image)))
                item.setData(THUMB_ROLE, True)
        self._thumb_finished()

    def _on_opened(self, gen: int, key: str, data: bytes) -> None:
        self.status.setText(f"Opened {key} ({human_bytes(len(data))}).")
        self.openRequested.emit(key, data)

    def _on_failed(self, gen: int, what: str, error: OssError) -> None:
        if gen != self._generation:
            return
        if what.startswith("thumbnail"):
            self._thumb_finished()
            return
        self.status.setText(f"Could not {what}: {error.code}: {error.message}")

    # -- state -------------------------------------------------------------------------------
    def _location(self) -> tuple:
        """What the listing depends on: not the key (opening an object sets it)."""
        p = self.connection.profile
        creds = self.connection.credentials()
        return (p.endpoint, p.bucket, p.https, p.path_style, p.domain, p.private,
                p.version, p.region, creds.access_key_id if creds else None)

    def _on_connection(self) -> None:
        where = self._location()
        if where == self._where:
            return
        # Another bucket (or other access): the list shown belongs to the old one.
        self._where = where
        self._generation += 1
        self._next_marker = ""
        self.items.clear()
        self._update_buttons()

    def _open_selected(self) -> None:
        items = self.items.selectedItems()
        if items:
            self.open(items[0].data(KEY_ROLE))

    def _update_buttons(self) -> None:
        self.more_button.setEnabled(bool(self._next_marker))
        self.open_button.setEnabled(bool(self.items.selectedItems()))

    def keys(self) -> list[str]:
        return [self.items.item(i).data(KEY_ROLE) for i in range(self.items.count())]

    def has_thumbnail(self, key: str) -> bool:
        for i in range(self.items.count()):
            item = self.items.item(i)
            if item.data(KEY_ROLE) == key:
                return item.data(THUMB_ROLE) is True
        return False
