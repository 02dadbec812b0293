"""Local vs remote: the current cascade rendered by our engine and by a server, side by side.

The server is real OSS or ``oss-img serve`` (any endpoint the URLs panel accepts, e.g.
``127.0.0.1:9000``). Fetch builds the URL exactly as the URLs panel does
(:func:`viewer.model.remote_fetch.target_url` over :func:`viewer.model.url_model.build_urls`, signed
when asked and credentials exist), downloads it with ``requests`` and renders the same
cascade locally with :class:`core.engine.Engine`, both in a worker (:class:`viewer.model.render.LatestTask`: the latest
fetch wins). The GUI thread then shows both images with their dimensions and the pixel
difference from :func:`core.compare.compare`.

Endpoint, bucket, key and signing options start from what the URLs panel remembered
(QSettings ``urls/*``) and are remembered under ``remote/*``. Credentials are the shared
:class:`viewer.model.session.Session`'s (the environment, or typed in the URLs or Styles panel, or
:meth:`RemotePanel.set_credentials`); they are never persisted or shown.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, Mapping

from PySide6.QtCore import QSettings, QSignalBlocker, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGridLayout, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy,
                               QVBoxLayout, QWidget)

from core.compare import compare
from core.oss.credentials import Credentials, mask
from core.engine import Engine
from core.errors import OssError
from core.picture import ObjectResolver
from core.oss.urls import encode_query_component

from ..model.document import Document
from .credentials_form import shrinkable_combo
from ..model.remote_fetch import (LOCAL_ENDPOINT, LOCAL_REGION, RemoteForm, RemoteOutcome, Side,
                           fetch_remote, render_local, target_url)
from ..model.render import LatestTask
from ..model.session import Session
from ..model.settings import to_bool
from ..model.url_model import ENDPOINTS

SETTINGS_GROUP = "remote"
URLS_GROUP = "urls"                 # the URLs panel's remembered fields (read as defaults)
SIGNING = (("Unsigned", ""), ("Signed V4", "v4"), ("Signed V1", "v1"))
PREVIEW_SIDE = 320


class _ImageView(QLabel):
    """A label showing a pixmap scaled to fit, aspect kept (converted on the GUI thread)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(QSize(96, 96))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._pixmap: QPixmap | None = None

    def set_image(self, image: QImage | None, text: str = "") -> None:
        """Show ``image``, or ``text`` (an error, a JSON answer) when there is none."""
        self._pixmap = QPixmap.fromImage(image) if image is not None else None
        if self._pixmap is None:
            self.clear()
            self.setText(text)
        self._rescale()

    def _rescale(self) -> None:
        if self._pixmap is None:
            return
        side = max(1, min(self.width(), self.height()))
        target = self._pixmap.size()
        if target.width() > side or target.height() > side:
            target.scale(QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio)
        self.setPixmap(self._pixmap.scaled(target, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._rescale()


class RemotePanel(QWidget):
    """Endpoint / bucket / key fields, a Fetch button, local and remote side by side.

    ``fetched(RemoteOutcome)`` fires on the GUI thread once a fetch is shown. ``resolver``
    resolves watermark objects for the local rendering (the main window passes the one
    its preview uses; :meth:`set_resolver` follows it when another image opens).
    ``session``: the credentials shared with the other panels (default: a new one of its
    own, reading the OSS_* variables from ``environ``, default ``os.environ``).
    """

    fetched = Signal(object)

    def __init__(self, doc: Document, parent: QWidget | None = None, *,
                 settings: QSettings | None = None, clock: Callable[[], float] = time.time,
                 environ: Mapping[str, str] | None = None,
                 resolver: ObjectResolver | None = None, engine: Engine | None = None,
                 pool: QThreadPool | None = None,
                 session: Session | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.clock = clock
        self.resolver = resolver
        self.engine = engine or Engine(cache_entries=8)
        self._settings = settings if settings is not None else QSettings()
        self.session = session if session is not None else Session(self, environ=environ)
        self.outcome: RemoteOutcome | None = None
        self._task = LatestTask(self, pool=pool)
        self._task.finished.connect(self._show)
        self._task.failed.connect(self._show_failure)
        self._task.busyChanged.connect(self._on_busy)
        self._build()
        self._restore()
        doc.stepsChanged.connect(self._mark_stale)
        doc.sourceChanged.connect(self._on_source)
        self.session.changed.connect(self._on_edit)
        self._on_source()

    # -- construction ------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        box = QGroupBox("Remote", self)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.endpoint = QComboBox(box)
        self.endpoint.setEditable(True)
        self.endpoint.addItem(LOCAL_ENDPOINT)
        self.endpoint.addItems(ENDPOINTS)
        self.endpoint.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.endpoint.setToolTip(f"{LOCAL_ENDPOINT} is `oss-img serve` on this machine; or "
                                 "an OSS endpoint such as oss-cn-hangzhou.aliyuncs.com.")
        self.bucket = QLineEdit(box)
        self.bucket.setPlaceholderText("bucket")
        self.key = QLineEdit(box)
        self.https = QCheckBox("HTTPS", box)
        self.path_style = QCheckBox("Path-style", box)
        flags = QHBoxLayout()
        flags.addWidget(self.https)
        flags.addWidget(self.path_style)
        flags.addStretch(1)
        self.signing = QComboBox(box)
        for label, value in SIGNING:
            self.signing.addItem(label, value)
        self.region = QLineEdit(box)
        self.region.setPlaceholderText(f"from the endpoint ({LOCAL_REGION} for a local "
                                       "server)")
        self.credentials_info = QLabel(box)
        self.credentials_info.setWordWrap(True)
        self.credentials_info.setToolTip("The session's credentials: from the environment, "
                                         "or typed in the URLs or Styles panel.")
        form.addRow("Endpoint", self.endpoint)
        form.addRow("Bucket", self.bucket)
        form.addRow("Object key", self.key)
        form.addRow("", flags)
        form.addRow("Access", self.signing)
        form.addRow("Region", self.region)
        form.addRow("Credentials", self.credentials_info)
        buttons = QHBoxLayout()
        self.fetch_button = QPushButton("Fetch", box)
        self.fetch_button.setToolTip("Fetch the current cascade from the server and render "
                                     "it locally, side by side.")
        self.fetch_button.clicked.connect(self.fetch)
        buttons.addWidget(self.fetch_button)
        buttons.addStretch(1)
        form.addRow(buttons)
        # Messages right under the button that caused them (issue 9: "Enter a bucket
        # name." showed 500 px below it, under the images).
        self.status = QLabel(box)
        self.status.setObjectName("remoteStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.status)
        self.url = QLineEdit(box)
        self.url.setReadOnly(True)
        form.addRow("URL", self.url)
        outer.addWidget(box)

        grid = QGridLayout()
        self.local_caption = QLabel("Local", self)
        self.remote_caption = QLabel("Remote", self)
        self.local_view = _ImageView(self)
        self.remote_view = _ImageView(self)
        # One above the other: side by side in a ~300 px dock each was ~100 px wide.
        for row, (caption, view) in enumerate(((self.local_caption, self.local_view),
                                               (self.remote_caption, self.remote_view))):
            caption.setWordWrap(True)
            caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(caption, 2 * row, 0)
            grid.addWidget(view, 2 * row + 1, 0)
            view.setMinimumSize(QSize(160, 160))
        outer.addLayout(grid, 1)
        self.difference = QLabel(self)
        self.difference.setWordWrap(True)
        self.difference.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.difference)

        for w in (self.bucket, self.key, self.region):
            w.textChanged.connect(self._on_edit)
        self.endpoint.currentTextChanged.connect(self._on_edit)
        for c in (self.https, self.path_style):
            c.toggled.connect(self._on_edit)
        self.signing.currentIndexChanged.connect(self._on_edit)
        shrinkable_combo(self.endpoint)

    # -- the form ----------------------------------------------------------------------
    def form(self) -> RemoteForm:
        return RemoteForm(endpoint=self.endpoint.currentText().strip(),
                          bucket=self.bucket.text().strip(), key=self.key.text(),
                          https=self.https.isChecked(), path_style=self.path_style.isChecked(),
                          region=self.region.text().strip(),
                          signing=self.signing.currentData() or "")

    def set_form(self, form: RemoteForm) -> None:
        blockers = [QSignalBlocker(w) for w in (self.endpoint, self.bucket, self.key,
                                                self.https, self.path_style, self.region,
                                                self.signing)]
        self.endpoint.setCurrentText(form.endpoint)
        self.endpoint.lineEdit().setCursorPosition(0)   # a narrow field shows "oss-cn-…"
        self.bucket.setText(form.bucket)
        self.key.setText(form.key)
        self.https.setChecked(form.https)
        self.path_style.setChecked(form.path_style)
        self.region.setText(form.region)
        index = self.signing.findData(form.signing)
        self.signing.setCurrentIndex(max(0, index))
        del blockers
        self._on_edit()

    def set_resolver(self, resolver: ObjectResolver | None) -> None:
        """Where the local rendering finds watermark objects from now on (a fetch already
        running keeps the one it started with, as it keeps its source)."""
        self.resolver = resolver

    def set_credentials(self, credentials: Credentials | None) -> None:
        """Use these credentials for signing, in every panel sharing the session."""
        self.session.set_credentials(credentials)

    # -- fetching ----------------------------------------------------------------------
    def fetch(self) -> int | None:
        """Start a fetch of the current cascade; returns its generation (None: nothing to
        do, the reason is in the status line)."""
        source = self.doc.source
        process = self.doc.process_string()
        credentials = self.session.credentials()
        try:
            url = target_url(self.form(), self.doc.source_name, process, credentials,
                             self.clock(), self.session.problem())
        except OssError as e:
            self.status.setText(e.message)
            return None
        token = credentials.security_token if credentials else None
        shown = _mask_token(url, token)
        self.url.setText(shown)
        self.url.setCursorPosition(0)
        self.status.setText("Fetching…")
        engine, resolver = self.engine, self.resolver

        def job(cancelled: Callable[[], bool]) -> RemoteOutcome:
            remote = fetch_remote(url)
            local = (render_local(engine, source, process, resolver, cancelled)
                     if source is not None else
                     Side(error=OssError("MissingArgument", "No local image is open.")))
            comparison = (compare(local.pil, remote.pil)
                          if local.pil is not None and remote.pil is not None else None)
            return RemoteOutcome(shown, process, local, remote, comparison)

        return self._task.submit(job, immediate=True)

    def wait(self, msecs: int = -1) -> bool:
        return self._task.wait(msecs)

    def _show(self, outcome: RemoteOutcome) -> None:
        self.outcome = outcome
        for side, caption, view, label in (
                (outcome.local, self.local_caption, self.local_view, "Local"),
                (outcome.remote, self.remote_caption, self.remote_view, "Remote")):
            caption.setText(side.caption(label))
            if side.error is not None:
                err = side.error
                detail = f"{err.code}: {err.message}"
                if err.ec:
                    detail += f" (EC {err.ec})"
                sts = err.details.get("StringToSign")
                if sts:
                    detail += "\nServer's StringToSign:\n" + sts
                view.set_image(None, detail)
                caption.setToolTip(detail)
            else:
                view.set_image(side.image, side.text)
                caption.setToolTip("")
        if outcome.comparison is not None:
            self.difference.setText(outcome.comparison.summary())
        elif outcome.local.text and outcome.remote.text:
            same = outcome.local.text.strip() == outcome.remote.text.strip()
            self.difference.setText("Same JSON." if same else "The JSON answers differ.")
        else:
            self.difference.setText("")
        self.status.setText("")
        self.fetched.emit(outcome)

    def _show_failure(self, error: OssError) -> None:
        self.status.setText(f"{error.code}: {error.message}")

    def _on_busy(self, busy: bool) -> None:
        self.fetch_button.setText("Fetching…" if busy else "Fetch")

    def _mark_stale(self) -> None:
        if self.outcome is not None and self.outcome.process != self.doc.process_string():
            self.status.setText("The cascade changed since this fetch: Fetch again to "
                                "compare.")

    def _on_source(self) -> None:
        self.key.setPlaceholderText(self.doc.source_name or "object key, e.g. photos/cat.jpg")
        if self.outcome is not None:
            self.status.setText("A different image is open: Fetch again to compare.")

    # -- reactions and settings --------------------------------------------------------
    def _on_edit(self, *_args) -> None:
        signing = bool(self.signing.currentData())
        self.region.setEnabled(self.signing.currentData() == "v4")
        creds = self.session.credentials()
        self.credentials_info.setText("not needed" if creds is None and not signing
                                      else self.session.describe())
        self._persist()

    def _persist(self) -> None:
        if not getattr(self, "_restored", False):
            return
        for name, value in self.form().__dict__.items():
            self._settings.setValue(f"{SETTINGS_GROUP}/{name}", value)

    def _restore(self) -> None:
        s = self._settings
        form = RemoteForm()
        values: dict[str, object] = {}
        urls_private = s.value(f"{URLS_GROUP}/private")
        for name in form.__dict__:
            raw = s.value(f"{SETTINGS_GROUP}/{name}")
            if raw is None and name != "signing":
                raw = s.value(f"{URLS_GROUP}/{name}")   # what the URLs panel remembered
            if raw is None and name == "signing" and urls_private is not None:
                raw = (str(s.value(f"{URLS_GROUP}/version", "v4"))
                       if to_bool(urls_private) else "")
            if raw is None:
                continue
            default = getattr(form, name)
            values[name] = to_bool(raw) if isinstance(default, bool) else str(raw)
        if values.get("signing") not in (None, "", "v1", "v4"):
            values.pop("signing")
        self.set_form(replace(form, **values))
        self._restored = True


def _mask_token(url: str, token: str | None) -> str:
    if not token:
        return url
    return url.replace(encode_query_component(token), mask(token)).replace(token, mask(token))


__all__ = ["RemotePanel"]
