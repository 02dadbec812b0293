"""The style panel's bucket section: ListStyle / PutStyle / DeleteStyle off the GUI thread.

:class:`BucketSection` is a mix-in of :class:`viewer.panels.style_panel.StyleLibraryPanel`: it
builds the "Bucket" group (endpoint, bucket, region, credentials, the bucket's styles) and
talks to OSS through a :class:`BucketStyles` client on the panel's one-thread pool. Each
request carries a generation number and stale answers are dropped; errors are shown in the
section, never as dialogs. The panel provides ``library``, ``session``, ``client_factory``,
``pool``, ``_relay``, the library's selection and the signals ``bucketFinished`` and
``bucketStylesChanged``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

from PySide6.QtCore import QObject, QRunnable, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGridLayout, QGroupBox,
                               QLabel, QLineEdit, QPushButton, QTreeWidgetItem, QVBoxLayout)

from core.errors import OssError
from core.oss.credentials import Credentials
from core.style_library import LIMIT, ConflictPolicy, validate_content

from .credentials_form import CredentialFields, shrinkable_combo
from .inline_message import narrow_wrapping
from ..model.url_model import ENDPOINTS


def message_of(error: BaseException) -> str:
    if isinstance(error, OssError):
        return error.message
    if isinstance(error, OSError):
        return f"{error.strerror or error}" + (f": {error.filename}" if error.filename else "")
    return str(error) or type(error).__name__


@dataclass(frozen=True)
class BucketTarget:
    """Which bucket, reached how, as whom. ``credentials`` holds the secret: never log it."""

    endpoint: str
    bucket: str
    credentials: Credentials
    region: str | None = None
    https: bool = True


class BucketStyles(Protocol):
    """What the panel needs from an OSS client (``core.oss.client`` provides it)."""

    def list_styles(self) -> list[tuple[str, str]]: ...
    def put_style(self, name: str, content: str) -> None: ...
    def delete_style(self, name: str) -> None: ...


ClientFactory = Callable[[BucketTarget], BucketStyles]


def core_client(target: BucketTarget) -> BucketStyles:
    """The default factory: :mod:`core.oss.client` (imported lazily; it pulls in requests)."""
    return CoreClientStyles(target)


class CoreClientStyles:
    """:class:`BucketStyles` over :class:`core.oss.client.OssClient` (header-signed V4)."""

    def __init__(self, target: BucketTarget) -> None:
        from core.oss.client import OssClient
        from core.oss.urls import BucketAddress

        address = BucketAddress.from_endpoint(target.endpoint, target.bucket,
                                              https=target.https)
        self._client = OssClient(address, target.credentials, region=target.region)

    def list_styles(self) -> list[tuple[str, str]]:
        return [(s.name, s.content) for s in self._client.list_styles()]

    def put_style(self, name: str, content: str) -> None:
        self._client.put_style(name, content)

    def delete_style(self, name: str) -> None:
        self._client.delete_style(name)

    def close(self) -> None:
        self._client.close()


class BucketRelay(QObject):
    """Carries a worker's result back to the GUI thread (queued connection)."""

    finished = Signal(int, str, object, object)  # generation, op, result, error


class BucketTask(QRunnable):
    def __init__(self, relay: BucketRelay, generation: int, op: str, fn: Callable[[], object]):
        super().__init__()
        self.relay, self.generation, self.op, self.fn = relay, generation, op, fn

    def run(self) -> None:
        result, error = None, None
        try:
            result = self.fn()
        except Exception as e:  # noqa: BLE001 -- every failure is shown, none crashes
            error = e
        try:
            self.relay.finished.emit(self.generation, self.op, result, error)
        except RuntimeError:
            pass  # the panel is gone; nobody is waiting


class BucketSection:
    """The bucket half of the style panel (a mix-in; see the module's docstring)."""

    def _build_bucket(self, outer: QVBoxLayout) -> None:
        bucket = QGroupBox("Bucket", self)
        blay = QVBoxLayout(bucket)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.endpoint = QComboBox(bucket)
        self.endpoint.setEditable(True)
        self.endpoint.addItems(ENDPOINTS)
        shrinkable_combo(self.endpoint)
        self.endpoint.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.bucket_edit = QLineEdit(bucket)
        self.bucket_edit.setPlaceholderText("required: bucket name")
        self.https = QCheckBox("HTTPS", bucket)
        self.https.setChecked(True)
        self.region = QLineEdit(bucket)
        self.region.setPlaceholderText("optional; derived from the endpoint")
        form.addRow("Endpoint", self.endpoint)
        form.addRow("Bucket", self.bucket_edit)
        form.addRow("", self.https)
        form.addRow("Region", self.region)
        self.credential_fields = CredentialFields(self.session, form, bucket)
        cf = self.credential_fields
        self.cred_source, self.env_info = cf.source, cf.env_info
        self.key_id, self.secret, self.token = cf.key_id, cf.secret, cf.token
        blay.addLayout(form)
        self.remote_tree = self._make_tree(bucket)
        self.remote_tree.itemSelectionChanged.connect(self._update_buttons)
        blay.addWidget(self.remote_tree, 1)
        rb = QGridLayout()
        rb.setColumnStretch(0, 1)
        rb.setColumnStretch(1, 1)
        self.list_button = QPushButton("List", bucket)
        self.list_button.clicked.connect(self.list_bucket)
        self.put_button = QPushButton("Upload selected", bucket)
        self.put_button.setToolTip("PutStyle: the selected library style, to the bucket.")
        self.put_button.clicked.connect(self.put_selected)
        self.remote_delete_button = QPushButton("Delete from bucket", bucket)
        self.remote_delete_button.clicked.connect(self.delete_remote_selected)
        self.fetch_button = QPushButton("Copy to library", bucket)
        self.fetch_button.clicked.connect(self.copy_remote_selected)
        rb.addWidget(self.list_button, 0, 0)
        rb.addWidget(self.fetch_button, 0, 1)
        rb.addWidget(self.put_button, 1, 0)
        rb.addWidget(self.remote_delete_button, 1, 1)
        blay.addLayout(rb)
        self.bucket_error = self._warning_label(bucket)
        blay.addWidget(self.bucket_error)
        self.bucket_status = QLabel(bucket)
        self.bucket_status.setWordWrap(True)
        narrow_wrapping(self.bucket_status)
        blay.addWidget(self.bucket_status)
        outer.addWidget(bucket)

    def set_typed_credentials(self, access_key_id: str, secret: str, token: str = "") -> None:
        """Type credentials for this session; every panel sharing the session uses them."""
        self.session.set_typed(access_key_id, secret, token)

    def target(self) -> BucketTarget:
        """The bucket to talk to; raises OssError naming what is missing."""
        bucket = self.bucket_edit.text().strip()
        endpoint = self.endpoint.currentText().strip()
        if not endpoint or not bucket:
            raise OssError("MissingArgument", "Enter the endpoint and the bucket.")
        creds = self.session.credentials()
        if creds is None:
            raise OssError("MissingArgument", self.session.problem() or "No credentials.")
        return BucketTarget(endpoint, bucket, creds, self.region.text().strip() or None,
                            self.https.isChecked())

    def _submit(self, op: str, work: Callable[[BucketStyles], object]) -> bool:
        try:
            target = self.target()
            client = self.client_factory(target)
        except (OssError, ImportError) as e:
            self._bucket_failed(op, message_of(e))
            return False
        self._generation += 1
        self._pending[self._generation] = op
        self.bucket_status.setText({"list": "Listing…", "put": "Uploading…",
                                    "delete": "Deleting…"}.get(op, "Working…"))
        self._set_bucket_busy(True)

        def job() -> object:
            try:
                return work(client)
            finally:
                close = getattr(client, "close", None)
                if close is not None:
                    close()
        # A callable, not the QRunnable itself: PySide would keep a job that finished
        # before start() returned for good (issue 17; see viewer.model.render.start_in_pool).
        self.pool.start(BucketTask(self._relay, self._generation, op, job).run)
        return True

    def list_bucket(self) -> bool:
        return self._submit("list", lambda c: c.list_styles())

    def put(self, name: str) -> bool:
        try:
            content = validate_content(self.library.get(name))
        except OssError as e:
            self._bucket_failed("put", f"{name}: {message_of(e)}")
            return False
        known = self.bucket_styles
        if known is not None and name not in known and len(known) >= LIMIT:
            self._bucket_failed("put", f"The bucket already has {LIMIT} styles, the most "
                                "OSS allows; delete one first.")
            return False

        def work(c: BucketStyles):
            c.put_style(name, content)
            return c.list_styles()
        return self._submit("put", work)

    def put_selected(self) -> bool:
        name = self.selected_name()
        return name is not None and self.put(name)

    def delete_remote(self, name: str) -> bool:
        def work(c: BucketStyles):
            c.delete_style(name)
            return c.list_styles()
        return self._submit("delete", work)

    def remote_selected_name(self) -> str | None:
        items = self.remote_tree.selectedItems()
        return items[0].data(0, Qt.ItemDataRole.UserRole) if items else None

    def delete_remote_selected(self) -> bool:
        name = self.remote_selected_name()
        return name is not None and self.delete_remote(name)

    def copy_remote(self, name: str) -> bool:
        """Bring a bucket style into the library (undoable; conflicts follow the import
        checkbox, as for files)."""
        if not self.bucket_styles or name not in self.bucket_styles:
            return False
        policy = (ConflictPolicy.REPLACE if self.replace_on_import.isChecked()
                  else ConflictPolicy.SKIP)
        report = self._edit(f"Copy {name} from bucket",
                            lambda: self.library.merge({name: self.bucket_styles[name]},
                                                       policy))
        if report and (report.conflicts or report.invalid):
            self._show_error(report.summary())
        elif report:
            self.status.setText(f"Copied {name} from the bucket.")
        return bool(report)

    def copy_remote_selected(self) -> bool:
        name = self.remote_selected_name()
        return name is not None and self.copy_remote(name)

    def _on_bucket_finished(self, generation: int, op: str, result: object,
                            error: object) -> None:
        self._pending.pop(generation, None)
        if not self._pending:
            self._set_bucket_busy(False)
        if generation != self._generation:
            return  # a newer request was made; this answer is stale
        if error is not None:
            self._bucket_failed(op, message_of(error))  # type: ignore[arg-type]
            return
        self.bucket_error.clear()
        styles = dict(result or [])  # type: ignore[arg-type]
        self.bucket_styles = styles
        self._fill_remote(styles)
        done = {"list": "Listed", "put": "Uploaded; listed", "delete": "Deleted; listed"}[op]
        note = f"{done} {len(styles)} style{'s' if len(styles) != 1 else ''} in the bucket."
        if len(styles) >= LIMIT:
            note += f" That is OSS's limit of {LIMIT}: uploading a new name will fail."
        self.bucket_status.setText(note)
        self.bucketStylesChanged.emit()
        self.bucketFinished.emit(op, True)

    def _bucket_failed(self, op: str, message: str) -> None:
        self.bucket_error.setText(message)
        self.bucket_status.setText("")
        self.bucketFinished.emit(op, False)

    def _fill_remote(self, styles: dict[str, str]) -> None:
        keep = self.remote_selected_name()
        with QSignalBlocker(self.remote_tree):
            self.remote_tree.clear()
            for name in sorted(styles, key=lambda n: (n.lower(), n)):
                item = QTreeWidgetItem([name, styles[name]])
                item.setData(0, Qt.ItemDataRole.UserRole, name)
                item.setToolTip(1, styles[name])
                local = self.library.as_dict().get(name)
                if local is not None and local != styles[name]:
                    item.setIcon(0, self._warning_icon())
                    item.setToolTip(0, "Differs from the library's style of the same name.")
                self.remote_tree.addTopLevelItem(item)
                if name == keep:
                    item.setSelected(True)
        self._update_buttons()

    def _set_bucket_busy(self, busy: bool) -> None:
        self._update_buttons()  # reads self._pending
