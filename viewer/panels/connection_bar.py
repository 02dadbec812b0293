"""The connection bar (one row above the canvas) and the profile editor it opens.

The bar shows the profile and where URLs point, elided with the whole text in a tooltip.
The editor is the one place the endpoint, bucket, key, HTTPS, path-style, custom domain,
access mode, style and credentials are typed; every field writes to the
:class:`viewer.model.connection.Connection` at once.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QHBoxLayout, QInputDialog, QLabel, QLineEdit, QPushButton,
                               QSizePolicy, QSpinBox, QToolButton, QVBoxLayout, QWidget)

from core.oss.signing import V4_MAX_EXPIRES
from core.oss.urls import SEPARATORS

from ..model.connection import Connection
from .credentials_form import CredentialFields, shrinkable_combo
from .elide import ElidedLabel
from ..model.url_model import ENDPOINTS


class ConnectionEditor(QDialog):
    """Every field of the connection, live (no OK needed), and the profiles."""

    def __init__(self, connection: Connection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connection")
        self.setObjectName("connectionEditor")
        self.connection = connection
        c = connection

        self.profiles = QComboBox(self)
        self.save_as = QPushButton("Save as…", self)
        self.delete = QPushButton("Delete", self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Profile", self))
        top.addWidget(self.profiles, 1)
        top.addWidget(self.save_as)
        top.addWidget(self.delete)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.endpoint = QComboBox(self)
        self.endpoint.setEditable(True)
        self.endpoint.addItems(("127.0.0.1:9000",) + ENDPOINTS)
        self.endpoint.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.endpoint.setToolTip("The bucket's OSS endpoint, or host:port of `oss-img serve`.")
        shrinkable_combo(self.endpoint, 24)
        self.bucket = QLineEdit(self)
        self.bucket.setPlaceholderText("required: the bucket's name")
        self.key = QLineEdit(self)
        self.key.setPlaceholderText("empty: the open image's name")
        self.domain = QLineEdit(self)
        self.domain.setPlaceholderText("optional custom domain (CNAME)")
        self.https = QCheckBox("HTTPS", self)
        self.path_style = QCheckBox("Path-style (endpoint/bucket/key)", self)
        flags = QHBoxLayout()
        flags.addWidget(self.https)
        flags.addWidget(self.path_style)
        flags.addStretch(1)
        self.access = QComboBox(self)
        self.access.addItem("Public: unsigned URLs", False)
        self.access.addItem("Private: signed URLs and requests", True)
        self.version = QComboBox(self)
        self.version.addItem("V4 (OSS4-HMAC-SHA256)", "v4")
        self.version.addItem("V1 (HMAC-SHA1)", "v1")
        self.region = QLineEdit(self)
        self.region.setPlaceholderText("empty: from the endpoint")
        self.expiry = QSpinBox(self)
        self.expiry.setRange(1, V4_MAX_EXPIRES)
        self.expiry.setSuffix(" s")
        self.style_name = QLineEdit(self)
        self.style_name.setPlaceholderText("optional: a style of the bucket")
        self.separator = QComboBox(self)
        self.separator.addItem("?x-oss-process=style/", "")
        for sep in SEPARATORS:
            self.separator.addItem(f"{sep}  (custom separator)", sep)
        shrinkable_combo(self.separator, 8)
        form.addRow("Endpoint", self.endpoint)
        form.addRow("Bucket", self.bucket)
        form.addRow("Object key", self.key)
        form.addRow("Custom domain", self.domain)
        form.addRow("", flags)
        form.addRow("Access", self.access)
        form.addRow("Signature", self.version)
        form.addRow("Region", self.region)
        form.addRow("URLs expire in", self.expiry)
        form.addRow("Style", self.style_name)
        form.addRow("Style URL form", self.separator)
        self.credential_fields = CredentialFields(c.session, form, self)
        self.keychain = QCheckBox("Remember the secret in the system keychain", self)
        self.remember = QPushButton("Remember now", self)
        krow = QHBoxLayout()
        krow.addWidget(self.keychain, 1)
        krow.addWidget(self.remember)
        form.addRow("", krow)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setObjectName("connectionNote")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(form)
        lay.addWidget(self.note)
        lay.addWidget(buttons)

        self._pull()
        self._fill_profiles()
        for w, name in ((self.bucket, "bucket"), (self.key, "key"), (self.domain, "domain"),
                        (self.region, "region"), (self.style_name, "style")):
            w.textChanged.connect(lambda text, n=name: c.update(**{n: text.strip()
                                                                  if n != "key" else text}))
        self.endpoint.currentTextChanged.connect(lambda t: c.update(endpoint=t.strip()))
        self.https.toggled.connect(lambda on: c.update(https=on))
        self.path_style.toggled.connect(lambda on: c.update(path_style=on))
        self.access.currentIndexChanged.connect(
            lambda _i: c.update(private=bool(self.access.currentData())))
        self.version.currentIndexChanged.connect(
            lambda _i: c.update(version=self.version.currentData()))
        self.separator.currentIndexChanged.connect(
            lambda _i: c.update(separator=self.separator.currentData() or ""))
        self.expiry.valueChanged.connect(lambda v: c.update(expiry=v))
        self.keychain.toggled.connect(lambda on: c.update(keychain=on))
        self.remember.clicked.connect(c.store_secret)
        self.profiles.activated.connect(lambda _i: c.load(self.profiles.currentText()))
        self.save_as.clicked.connect(self._save_as)
        self.delete.clicked.connect(lambda: c.delete(c.name))
        c.changed.connect(self._pull)
        c.profilesChanged.connect(self._fill_profiles)
        c.message.connect(self._say)
        ok, why = c.keychain.status()
        self._say("" if ok else why)
        self.resize(max(self.sizeHint().width(), 480), self.sizeHint().height())

    def showEvent(self, e) -> None:  # noqa: N802 - Qt override
        super().showEvent(e)
        self._say(self.note.text())

    def _say(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))
        # A longer message takes more lines: the dialog grows rather than cut it.
        self.note.setMinimumHeight(self.note.heightForWidth(max(1, self.note.width())))

    def _fill_profiles(self) -> None:
        with QSignalBlocker(self.profiles):
            self.profiles.clear()
            self.profiles.addItems(self.connection.profile_names())
            self.profiles.setCurrentText(self.connection.name)

    def _save_as(self) -> None:
        name, ok = QInputDialog.getText(self, "Save profile", "Profile name:",
                                        text=self.connection.name)
        if ok and name.strip():
            self.connection.save_as(name)

    def _pull(self) -> None:
        p = self.connection.profile
        widgets = (self.endpoint, self.bucket, self.key, self.domain, self.https,
                   self.path_style, self.access, self.version, self.region, self.expiry,
                   self.style_name, self.separator, self.keychain, self.profiles)
        blockers = [QSignalBlocker(w) for w in widgets]
        if self.endpoint.currentText() != p.endpoint:
            self.endpoint.setCurrentText(p.endpoint)
        for line, value in ((self.bucket, p.bucket), (self.key, p.key),
                            (self.domain, p.domain), (self.region, p.region),
                            (self.style_name, p.style)):
            if line.text().strip() != value.strip():
                line.setText(value)
        self.https.setChecked(p.https)
        self.path_style.setChecked(p.path_style)
        self.access.setCurrentIndex(self.access.findData(p.private))
        self.version.setCurrentIndex(max(0, self.version.findData(p.version)))
        self.expiry.setValue(p.expiry)
        self.separator.setCurrentIndex(max(0, self.separator.findData(p.separator)))
        self.keychain.setChecked(p.keychain)
        self.profiles.setCurrentText(self.connection.name)
        del blockers
        for w in (self.version, self.region, self.expiry, self.keychain, self.remember):
            w.setEnabled(p.private)
        self.credential_fields.setEnabled(p.private)
        self.remember.setEnabled(p.private and p.keychain)


class ConnectionBar(QWidget):
    """``Connection [profile] https://bucket.endpoint/key · public [Edit…]``."""

    def __init__(self, connection: Connection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionBar")
        self.connection = connection
        self.profiles = QComboBox(self)
        self.profiles.setToolTip("Connection profile: endpoint, bucket and access, shared "
                                 "by the URL bar and the URLs, Styles, Remote and Bucket "
                                 "panels")
        shrinkable_combo(self.profiles, 8)
        self.summary = ElidedLabel(self)
        self.summary.setObjectName("connectionSummary")
        self.edit_button = QToolButton(self)
        self.edit_button.setText("Edit…")
        self.edit_button.setToolTip("Endpoint, bucket, key, access and credentials")
        self.edit_button.clicked.connect(self.open_editor)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 0, 8, 0)
        row.addWidget(QLabel("<b>Connection</b>", self))
        row.addWidget(self.profiles)
        row.addWidget(self.summary, 1)
        row.addWidget(self.edit_button)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.editor: ConnectionEditor | None = None
        self.profiles.activated.connect(lambda _i: connection.load(self.profiles.currentText()))
        connection.changed.connect(self._pull)
        connection.profilesChanged.connect(self._pull)
        self._pull()

    def open_editor(self) -> ConnectionEditor:
        if self.editor is None:
            self.editor = ConnectionEditor(self.connection, self.window())
        self.editor.show()
        self.editor.raise_()
        self.editor.activateWindow()
        return self.editor

    def _pull(self) -> None:
        with QSignalBlocker(self.profiles):
            names = self.connection.profile_names()
            if [self.profiles.itemText(i) for i in range(self.profiles.count())] != names:
                self.profiles.clear()
                self.profiles.addItems(names)
            self.profiles.setCurrentText(self.connection.name)
        self.summary.setText(self.connection.describe())
