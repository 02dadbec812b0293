"""Make the URLs, Styles and Remote panels follow the one :class:`Connection`.

Each panel still works on its own (its tests build it alone, with its own fields); inside
the main window its endpoint, bucket, key, HTTPS, path-style, domain, access and
credential rows are hidden and set from the connection whenever it changes, and a line at
the top of the panel says where they come from. Editing happens in the connection editor
only, so a bucket chosen once reaches every panel.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QFormLayout, QLayout, QToolButton, QHBoxLayout, QWidget

from ..model.connection import Connection
from .elide import ElidedLabel
from .style_bucket import CoreClientStyles


def _contains(layout: QLayout, widget: QWidget) -> bool:
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item.widget() is widget:
            return True
        if item.layout() is not None and _contains(item.layout(), widget):
            return True
    return False


def hide_rows(root: QWidget, widgets) -> int:
    """Hide the form rows (label and field) holding any of ``widgets``; returns how many."""
    hidden = 0
    targets = [w for w in widgets if w is not None]
    for form in root.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            for role in (QFormLayout.ItemRole.FieldRole, QFormLayout.ItemRole.SpanningRole):
                item = form.itemAt(row, role)
                if item is None:
                    continue
                if any(item.widget() is w or (item.layout() is not None
                                               and _contains(item.layout(), w))
                       for w in targets):
                    form.setRowVisible(row, False)
                    hidden += 1
                    break
    return hidden


class ConnectionNote(QWidget):
    """"Connection: <where> [Change…]" at the top of a panel that follows the connection."""

    def __init__(self, connection: Connection, edit, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("connectionNote")
        self.label = ElidedLabel(self)
        self.button = QToolButton(self)
        self.button.setText("Change…")
        self.button.setToolTip("Edit the connection shared by every panel")
        self.button.clicked.connect(edit)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.button)
        connection.changed.connect(self._pull)
        self.connection = connection
        self._pull()

    def _pull(self) -> None:
        self.label.setText(f"{self.connection.name}: {self.connection.describe()}")


def _note(panel: QWidget, connection: Connection, edit) -> ConnectionNote:
    note = ConnectionNote(connection, edit, panel)
    panel.layout().insertWidget(0, note)
    return note


def bind_url_panel(panel, connection: Connection, edit) -> None:
    hide_rows(panel, (panel.endpoint, panel.bucket, panel.key, panel.domain, panel.https,
                      panel.style_name, panel.access, panel.version, panel.region,
                      panel.expiry, panel.key_id, panel.secret, panel.token,
                      panel.cred_source, panel.env_info, panel.remember))
    panel.connection_note = _note(panel, connection, edit)

    def pull() -> None:
        panel.set_form(connection.url_form(sign_style=panel.form().sign_style))
    connection.changed.connect(pull)
    pull()


def bind_remote_panel(panel, connection: Connection, edit) -> None:
    from ..model.remote_fetch import RemoteForm

    hide_rows(panel, (panel.endpoint, panel.bucket, panel.key, panel.https, panel.signing,
                      panel.region, panel.credentials_info))
    panel.connection_note = _note(panel, connection, edit)

    def pull() -> None:
        p = connection.profile
        panel.set_form(RemoteForm(endpoint=p.endpoint, bucket=p.bucket, key=p.key,
                                  https=p.https, path_style=p.path_style,
                                  region=connection.signing_region() or "",
                                  signing=p.version if p.private else ""))
    connection.changed.connect(pull)
    pull()


class _ConnectionStyles(CoreClientStyles):
    """The style APIs through the connection's client: path-style, custom domain and the
    signature version come from the connection too (the panel's own target has no such
    fields). The client signs even for a public connection: the style APIs need it. Only
    the client differs; the calls are the panel's own."""

    def __init__(self, connection: Connection) -> None:
        from core.oss.client import OssClient

        p = connection.profile
        creds = connection.session.credentials()
        if creds is None:
            from core.errors import OssError
            raise OssError("MissingArgument", connection.session.problem() or
                           "No credentials.")
        region = connection.signing_region() if p.version == "v4" else None
        self._client = OssClient(connection.address(), creds, version=p.version,
                                 region=region)


def bind_style_panel(panel, connection: Connection, edit) -> None:
    factory = getattr(panel, "client_factory", None)
    if getattr(factory, "__name__", "") == "core_client":   # not a test's fake
        panel.client_factory = lambda _target: _ConnectionStyles(connection)
    hide_rows(panel, (panel.endpoint, panel.bucket_edit, panel.https, panel.region,
                      panel.key_id, panel.secret, panel.token, panel.cred_source,
                      panel.env_info))
    panel.connection_note = _note(panel, connection, edit)

    def pull() -> None:
        p = connection.profile
        blockers = [QSignalBlocker(w) for w in (panel.endpoint, panel.bucket_edit,
                                                panel.https, panel.region)]
        panel.endpoint.setCurrentText(p.endpoint)
        panel.bucket_edit.setText(p.bucket)
        panel.https.setChecked(p.https)
        panel.region.setText(connection.signing_region() or "")
        del blockers
        panel._save_settings()
        panel._update_buttons()
    connection.changed.connect(pull)
    pull()


BINDERS = {"urlDock": bind_url_panel, "remoteDock": bind_remote_panel,
           "styleDock": bind_style_panel}


def bind_panels(panels: dict, connection: Connection, edit) -> list[str]:
    """Bind every known panel in ``panels`` (dock object name -> panel); returns the names
    bound. A panel whose fields changed shape is left as is rather than break the app."""
    bound = []
    for name, panel in panels.items():
        binder = BINDERS.get(name)
        if binder is None:
            continue
        try:
            binder(panel, connection, edit)
        except AttributeError:
            continue
        bound.append(name)
    return bound
