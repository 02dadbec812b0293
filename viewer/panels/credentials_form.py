"""The credential rows of a form: one more thin view of the shared :class:`Session`.

The URLs panel and the style panel's Bucket section both show these rows. Edits go to the
session; the session's ``changed`` comes back to every view of it, so what is typed in one
panel appears (as password bullets) in the other and every signer uses it.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QSignalBlocker, Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QWidget

from core.oss.credentials import ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, mask

from ..model.session import ENV, TYPED, Session


def shrinkable_combo(combo: QComboBox, chars: int = 12) -> None:
    """Let a combo box be narrower than its longest item (it elides instead): by default
    it asks for the width of "Environment variables (LTAI****1234)" or the longest OSS
    endpoint, which is what made side panels wider than their dock."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)


class CredentialFields(QObject):
    """Adds "Credentials" (environment / typed), the masked environment key and the typed
    key id, secret and STS token rows to ``form``; only the rows of the chosen source show.
    A QObject child of ``parent`` so its session connection ends with the panel."""

    def __init__(self, session: Session, form: QFormLayout, parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self._form = form
        env = session.env_credentials
        self.source = QComboBox(parent)
        self.source.addItem("Environment variables"
                            + (f" ({mask(env.access_key_id)})" if env else " (not set)"), ENV)
        self.source.addItem("Typed for this session", TYPED)
        self.source.setToolTip("Shared by the URLs, Styles and Remote panels; never saved.")
        shrinkable_combo(self.source)
        self.env_info = QLabel(parent)
        self.env_info.setWordWrap(True)
        self.env_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if env is None:
            self.env_info.setText(f"{ENV_ACCESS_KEY_ID} / {ENV_ACCESS_KEY_SECRET} not set.")
        else:
            self.env_info.setText(f"Key id {mask(env.access_key_id)}, secret ••••••••"
                                  + (", STS token set" if env.is_sts else ""))
        self.key_id = QLineEdit(parent)
        self.key_id.setPlaceholderText("access key id")
        self.secret = QLineEdit(parent)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("access key secret (kept in memory only)")
        self.token = QLineEdit(parent)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("STS security token (optional)")
        for w in (self.secret, self.token):
            # Password fields already refuse copy; also keep them out of input-method
            # history and predictive text.
            w.setInputMethodHints(Qt.InputMethodHint.ImhSensitiveData
                                  | Qt.InputMethodHint.ImhNoPredictiveText)
        form.addRow("Credentials", self.source)
        form.addRow("", self.env_info)
        form.addRow("Access key id", self.key_id)
        form.addRow("Secret", self.secret)
        form.addRow("STS token", self.token)

        self.source.currentIndexChanged.connect(self._push_source)
        for w in (self.key_id, self.secret, self.token):
            w.textChanged.connect(self._push_typed)
        session.changed.connect(self._pull)
        self._pull()

    def setEnabled(self, on: bool) -> None:  # noqa: N802 (QWidget-like)
        for w in (self.source, self.key_id, self.secret, self.token):
            w.setEnabled(on)

    def _push_source(self, _index: int) -> None:
        self.session.set_source(self.source.currentData())

    def _push_typed(self, _text: str) -> None:
        self.session.set_typed(self.key_id.text(), self.secret.text(), self.token.text())

    def _pull(self) -> None:
        s = self.session
        blockers = [QSignalBlocker(w) for w in (self.source, self.key_id, self.secret,
                                                self.token)]
        self.source.setCurrentIndex(self.source.findData(s.source))
        for line, text in zip((self.key_id, self.secret, self.token), s.typed):
            if line.text() != text:   # the view being typed in keeps its cursor
                line.setText(text)
        del blockers
        typed = s.source == TYPED
        for w in (self.key_id, self.secret, self.token):
            self._form.setRowVisible(w, typed)
        self._form.setRowVisible(self.env_info, not typed)
