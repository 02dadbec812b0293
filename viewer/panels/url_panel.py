"""The URLs panel: where the current cascade lives on OSS, as plain, style and signed URLs.

A thin view over :class:`viewer.model.document.Document` (the cascade and the source name) and
:func:`viewer.model.url_model.build_urls` (over the pure builders in :mod:`core.oss.urls` and
:mod:`core.oss.signing`); nothing here computes a URL or a signature itself.

Secrets. The access key secret and the STS token live only in the shared
:class:`viewer.model.session.Session` (typed into password fields here or in another panel, or
read from the environment). They are not part of :class:`UrlForm`, which is the only thing
persisted (QSettings), and they never reach a label, a tooltip, a log line or a generated
snippet: snippets read the environment variables at run time.
"""
from __future__ import annotations

import time
from dataclasses import asdict, fields, replace
from typing import Callable, Mapping

from PySide6.QtCore import QEvent, QSettings, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QPushButton, QSizePolicy, QSpinBox,
                               QStyle, QVBoxLayout, QWidget)

from core.errors import OssError
from core.oss.credentials import Credentials, mask
from core.oss.signing import V4_MAX_EXPIRES
from core.oss.urls import SEPARATORS, encode_query_component, resolve_region

from .credentials_form import CredentialFields, shrinkable_combo
from ..model.document import Document
from ..model.session import Session
from ..model.settings import to_bool
from .url_copy import copy_output
from ..model.url_model import ENDPOINTS, OUTPUTS, V1_MAX_EXPIRES, UrlForm, UrlResults, build_urls

SETTINGS_GROUP = "urls"

class UrlPanel(QWidget):
    """Fields for where the image lives; the URLs of the current cascade; copy buttons.

    ``settings``: where non-secret fields are remembered (default: the application's
    QSettings). ``clock``: Unix seconds, for signing (tests freeze it). ``session``: the
    credentials shared with the other panels (default: a new one of its own, reading the
    OSS_* variables from ``environ``, default ``os.environ``).
    """

    copied = Signal(str)  # the kind of output copied: one of OUTPUTS

    LABELS = {"plain": "URL", "style": "Style URL", "signed": "Signed URL",
              "python": "Python (oss2)", "curl": "curl"}

    def __init__(self, doc: Document, parent: QWidget | None = None, *,
                 settings: QSettings | None = None,
                 clock: Callable[[], float] = time.time,
                 environ: Mapping[str, str] | None = None,
                 session: Session | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.clock = clock
        self._settings = settings if settings is not None else QSettings()
        self.session = session if session is not None else Session(self, environ=environ)
        self.results = UrlResults()
        self._build()
        self._restore()
        doc.stepsChanged.connect(self.refresh)
        doc.sourceChanged.connect(self._on_source)
        self.session.changed.connect(self.refresh)
        self._on_source()

    # -- construction ------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)

        where = QGroupBox("Object", self)
        form = QFormLayout(where)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.endpoint = QComboBox(where)
        self.endpoint.setEditable(True)
        self.endpoint.addItems(ENDPOINTS)
        self.endpoint.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.endpoint.setToolTip("OSS endpoint of the bucket's region; type any other "
                                 "(internal, accelerate, host:port of a local server).")
        self.bucket = QLineEdit(where)
        self.bucket.setPlaceholderText("required: bucket name")
        self.key = QLineEdit(where)
        self.domain = QLineEdit(where)
        self.domain.setPlaceholderText("optional CNAME domain")
        self.https = QCheckBox("HTTPS", where)
        self.path_style = QCheckBox("Path-style", where)
        self.path_style.setToolTip("https://endpoint/bucket/key instead of "
                                   "https://bucket.endpoint/key")
        flags = QHBoxLayout()
        flags.addWidget(self.https)
        flags.addWidget(self.path_style)
        flags.addStretch(1)
        form.addRow("Endpoint", self.endpoint)
        form.addRow("Bucket", self.bucket)
        form.addRow("Object key", self.key)
        form.addRow("Custom domain", self.domain)
        form.addRow("", flags)
        self.style_name = QLineEdit(where)
        self.style_name.setPlaceholderText("style name")
        self.separator = QComboBox(where)
        self.separator.addItem("?x-oss-process=style/", "")
        for sep in SEPARATORS:
            self.separator.addItem(f"{sep}  (bucket's custom separator)", sep)
        self.separator.setToolTip("The custom separator must be enabled on the bucket "
                                  "(console: IMG > Access Settings).")
        style_row = QHBoxLayout()
        style_row.addWidget(self.style_name, 2)
        style_row.addWidget(self.separator, 1)
        form.addRow("Style", style_row)
        outer.addWidget(where)

        access = QGroupBox("Access", self)
        aform = QFormLayout(access)
        aform.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        aform.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.access = QComboBox(access)
        self.access.addItem("Public (unsigned)", False)
        self.access.addItem("Private (signed URL)", True)
        self.version = QComboBox(access)
        self.version.addItem("V4 (OSS4-HMAC-SHA256)", "v4")
        self.version.addItem("V1 (HMAC-SHA1)", "v1")
        self.region = QLineEdit(access)
        self.expiry = QSpinBox(access)
        self.expiry.setRange(1, V4_MAX_EXPIRES)
        self.expiry.setSuffix(" s")
        self.expiry.setToolTip("Validity of a signed URL in seconds (V4: at most 7 days).")
        self.sign_style = QComboBox(access)
        self.sign_style.addItem("the cascade (image/...)", False)
        self.sign_style.addItem("the style (style/<name>)", True)
        aform.addRow("Access", self.access)
        aform.addRow("Signature", self.version)
        aform.addRow("Region", self.region)
        aform.addRow("Expires in", self.expiry)
        self.sign_style.setToolTip("What the signed URL and the snippets process: the "
                                   "cascade, or style/<name> (the style must exist in "
                                   "the bucket).")
        aform.addRow("Signed URL uses", self.sign_style)

        self.credential_fields = CredentialFields(self.session, aform, access)
        cf = self.credential_fields
        self.cred_source, self.env_info = cf.source, cf.env_info
        self.key_id, self.secret, self.token = cf.key_id, cf.secret, cf.token
        self.remember = QCheckBox("Remember non-secret fields", access)
        self.remember.setToolTip("Endpoint, bucket, key, domain, style and signing options "
                                 "are saved in the settings. The secret and the STS token "
                                 "never are.")
        aform.addRow("", self.remember)
        outer.addWidget(access)

        out = QGroupBox("URLs", self)
        oform = QFormLayout(out)
        oform.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # Labels above the fields: each URL gets the dock's whole width (issue 9: beside
        # their labels they were ~125 px and showed only "https://mybucket.oss").
        oform.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.fields: dict[str, QLineEdit] = {}
        self.copy_buttons: dict[str, QPushButton] = {}
        for kind in OUTPUTS:
            row = QHBoxLayout()
            if kind in ("plain", "style", "signed"):
                line = QLineEdit(out)
                line.setReadOnly(True)
                line.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
                self.fields[kind] = line
                row.addWidget(line, 1)
                button = QPushButton("Copy", out)
            else:
                row.addStretch(1)
                button = QPushButton(f"Copy {self.LABELS[kind]} snippet", out)
            button.clicked.connect(lambda _=False, k=kind: self.copy(k))
            self.copy_buttons[kind] = button
            row.addWidget(button)
            oform.addRow(self.LABELS[kind] if kind in self.fields else "", row)
        self.error_icon = QLabel(out)
        self._update_icon()
        self.error_label = QLabel(out)
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        err_row = QHBoxLayout()
        err_row.addWidget(self.error_icon, 0, Qt.AlignmentFlag.AlignTop)
        err_row.addWidget(self.error_label, 1)
        oform.addRow(err_row)
        self.status = QLabel(out)
        self.status.setWordWrap(True)
        oform.addRow(self.status)
        outer.addWidget(out)
        outer.addStretch(1)

        for w in (self.bucket, self.key, self.domain, self.style_name, self.region):
            w.textChanged.connect(self._on_edit)
        self.endpoint.currentTextChanged.connect(self._on_edit)
        for c in (self.https, self.path_style):
            c.toggled.connect(self._on_edit)
        for combo in (self.separator, self.access, self.version, self.sign_style):
            combo.currentIndexChanged.connect(self._on_edit)
        self.expiry.valueChanged.connect(self._on_edit)
        self.remember.toggled.connect(self._on_remember)
        for combo in (self.endpoint, self.access, self.version, self.sign_style):
            shrinkable_combo(combo)
        shrinkable_combo(self.separator, 5)   # an advanced choice: the name comes first

    def _update_icon(self) -> None:
        # Rendered for the current device pixel ratio, again when it changes (high DPI).
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.error_icon.setPixmap(icon.pixmap(QSize(size, size), self.devicePixelRatioF()))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.DevicePixelRatioChange, QEvent.Type.StyleChange):
            self._update_icon()
        super().changeEvent(event)

    # -- the form ----------------------------------------------------------------------
    def form(self) -> UrlForm:
        return UrlForm(
            endpoint=self.endpoint.currentText().strip(),
            bucket=self.bucket.text().strip(),
            key=self.key.text(),
            domain=self.domain.text().strip(),
            https=self.https.isChecked(),
            path_style=self.path_style.isChecked(),
            region=self.region.text().strip(),
            style=self.style_name.text().strip(),
            separator=self.separator.currentData() or "",
            private=bool(self.access.currentData()),
            version=self.version.currentData(),
            expiry=self.expiry.value(),
            sign_style=bool(self.sign_style.currentData()),
        )

    def set_form(self, form: UrlForm) -> None:
        """Show ``form`` in the fields (one refresh at the end, no echo)."""
        blockers = [QSignalBlocker(w) for w in (
            self.endpoint, self.bucket, self.key, self.domain, self.https, self.path_style,
            self.region, self.style_name, self.separator, self.access, self.version,
            self.expiry, self.sign_style)]
        self.endpoint.setCurrentText(form.endpoint)
        self.endpoint.lineEdit().setCursorPosition(0)   # a narrow field shows "oss-cn-…"
        self.bucket.setText(form.bucket)
        self.key.setText(form.key)
        self.domain.setText(form.domain)
        self.https.setChecked(form.https)
        self.path_style.setChecked(form.path_style)
        self.region.setText(form.region)
        self.style_name.setText(form.style)
        _select_data(self.separator, form.separator if form.separator in SEPARATORS else "")
        _select_data(self.access, form.private)
        _select_data(self.version, form.version if form.version in ("v1", "v4") else "v4")
        self._update_expiry_range()
        self.expiry.setValue(form.expiry)
        _select_data(self.sign_style, form.sign_style)
        del blockers
        self._on_edit()

    def set_typed_credentials(self, access_key_id: str, secret: str, token: str = "") -> None:
        """Type credentials for this session (also what a test or a login dialog calls);
        every panel sharing the session uses them."""
        self.session.set_typed(access_key_id, secret, token)

    def credentials(self) -> tuple[Credentials | None, str | None]:
        """The credentials in use, or None and why not. Never includes the secret in text."""
        return self.session.credentials(), self.session.problem()

    # -- reactions ---------------------------------------------------------------------
    def _on_source(self) -> None:
        self.key.setPlaceholderText(self.doc.source_name or "object key, e.g. photos/cat.jpg")
        self.refresh()

    def _on_edit(self, *_args) -> None:
        self._update_expiry_range()
        private = bool(self.access.currentData())
        for w in (self.version, self.region, self.expiry, self.credential_fields):
            w.setEnabled(private)
        self.region.setPlaceholderText(self._region_hint())
        self._persist()
        self.refresh()

    def _region_hint(self) -> str:
        try:
            return "from endpoint: " + resolve_region(self.endpoint.currentText())
        except OssError:
            return "region id, e.g. cn-hangzhou (needed for V4)"

    def _update_expiry_range(self) -> None:
        high = V4_MAX_EXPIRES if self.version.currentData() == "v4" else V1_MAX_EXPIRES
        if self.expiry.maximum() != high:
            with QSignalBlocker(self.expiry):
                self.expiry.setMaximum(high)

    def refresh(self) -> None:
        creds, why = self.credentials()
        self.results = build_urls(self.form(), self.doc.source_name,
                                  self.doc.process_string(), creds, why, self.clock())
        token = creds.security_token if creds is not None else None
        for kind, line in self.fields.items():
            # A signed URL carries the STS token by design; copy it whole, show it masked.
            shown = _hide(self.results.texts.get(kind, ""), token)
            line.setText(shown)
            line.setCursorPosition(0)
            line.setToolTip(self.results.errors.get(kind, shown))
        for kind, button in self.copy_buttons.items():
            button.setEnabled(kind in self.results.texts)
            button.setToolTip(self.results.errors.get(kind, f"Copy the {self.LABELS[kind]}"))
        messages = []
        for kind in OUTPUTS:
            msg = self.results.errors.get(kind)
            if msg and msg not in messages:
                messages.append(msg)
        self.error_label.setText("\n".join(messages))
        self.error_label.setVisible(bool(messages))
        self.error_icon.setVisible(bool(messages))

    def copy(self, kind: str) -> bool:
        """Put one output on the clipboard; a signed URL is signed afresh, now."""
        self.refresh()
        if not copy_output(self.results, kind, self.LABELS[kind], self.status):
            return False
        self.copied.emit(kind)
        return True

    # -- settings ----------------------------------------------------------------------
    def _on_remember(self, on: bool) -> None:
        self._settings.setValue(f"{SETTINGS_GROUP}/remember", on)
        if not on:
            for f in fields(UrlForm):
                self._settings.remove(f"{SETTINGS_GROUP}/{f.name}")
        self._persist()

    def _persist(self) -> None:
        if not getattr(self, "_restored", False) or not self.remember.isChecked():
            return
        for name, value in asdict(self.form()).items():
            self._settings.setValue(f"{SETTINGS_GROUP}/{name}", value)

    def _restore(self) -> None:
        s = self._settings
        remember = to_bool(s.value(f"{SETTINGS_GROUP}/remember", True))
        with QSignalBlocker(self.remember):
            self.remember.setChecked(remember)
        form = UrlForm()
        if remember:
            values = {}
            for f in fields(UrlForm):
                raw = s.value(f"{SETTINGS_GROUP}/{f.name}")
                if raw is None:
                    continue
                default = getattr(form, f.name)
                try:
                    values[f.name] = (to_bool(raw) if isinstance(default, bool)
                                      else int(raw) if isinstance(default, int)
                                      else str(raw))
                except (TypeError, ValueError):
                    continue
            form = replace(form, **values)
        self.set_form(form)
        self._restored = True


def _hide(text: str, token: str | None) -> str:
    if not token or not text:
        return text
    return text.replace(encode_query_component(token), mask(token)).replace(token, mask(token))


def _select_data(combo: QComboBox, data: object) -> None:
    index = combo.findData(data)
    if index >= 0:
        combo.setCurrentIndex(index)

