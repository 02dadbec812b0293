"""The session: one set of OSS credentials for as long as the app runs.

The URLs panel (signed URLs), the style panel's Bucket section (ListStyle, PutStyle) and
the Remote panel (signed fetches) all sign with the same :class:`Session`, so the user types
credentials once, in whichever panel, and the others use them at once. The main window owns
the session and hands it to each panel; a panel made on its own makes its own.

Credentials come from the environment (read once, when the session is made) or are typed
for the session. Either way they live in this object only: it is never persisted, and it
gives out the secret only inside a :class:`core.oss.credentials.Credentials` (whose repr hides
it). Views show the key id masked and the secret as password bullets.
"""
from __future__ import annotations

import os
from typing import Mapping

from PySide6.QtCore import QObject, Signal

from core.oss.credentials import (ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, Credentials, mask)
from core.errors import OssError

ENV = "env"        # credentials from OSS_ACCESS_KEY_ID / _SECRET / OSS_SESSION_TOKEN
TYPED = "typed"    # typed for this session


def credentials_from_env(environ: Mapping[str, str]) -> Credentials | None:
    try:
        return Credentials.from_env(environ)
    except OssError:
        return None


class Session(QObject):
    """Where the credentials come from and what was typed; ``changed`` after any change.

    ``environ``: where the OSS_* variables are read (default ``os.environ``).
    """

    changed = Signal()

    def __init__(self, parent: QObject | None = None, *,
                 environ: Mapping[str, str] | None = None) -> None:
        super().__init__(parent)
        self.env_credentials = credentials_from_env(os.environ if environ is None
                                                    else environ)
        self._source = ENV if self.env_credentials is not None else TYPED
        # The raw text typed so far, incomplete or not: every view of the session shows
        # the same fields, and a half-typed pair must survive a switch to the environment
        # and back.
        self._typed: tuple[str, str, str] = ("", "", "")

    # -- reading -----------------------------------------------------------------------
    @property
    def source(self) -> str:
        return self._source

    @property
    def typed(self) -> tuple[str, str, str]:
        """(access key id, secret, STS token) as typed; for the views' fields only."""
        return self._typed

    def credentials(self) -> Credentials | None:
        """The credentials to sign with, or None (:meth:`problem` says why)."""
        return self._resolve()[0]

    def problem(self) -> str | None:
        """Why there are no credentials, in words for an inline message; None if there are."""
        return self._resolve()[1]

    def describe(self) -> str:
        """One line for a label: where the credentials come from, the key id masked."""
        creds, why = self._resolve()
        if creds is None:
            return f"none. {why}"
        where = "environment" if self._source == ENV else "typed for this session"
        return (f"key id {mask(creds.access_key_id)} ({where})"
                + (", STS token set" if creds.is_sts else ""))

    # -- intents -----------------------------------------------------------------------
    def set_source(self, source: str) -> None:
        if source not in (ENV, TYPED):
            raise ValueError(f"unknown credentials source: {source!r}")
        if source != self._source:
            self._source = source
            self.changed.emit()

    def set_typed(self, access_key_id: str, secret: str, token: str = "") -> None:
        """Credentials typed for this session (switches to them)."""
        typed = (access_key_id or "", secret or "", token or "")
        if typed == self._typed and self._source == TYPED:
            return
        self._typed = typed
        self._source = TYPED
        self.changed.emit()

    def set_credentials(self, credentials: Credentials | None) -> None:
        """Use these credentials for the session (None: forget the typed ones)."""
        if credentials is None:
            self.set_typed("", "", "")
        else:
            self.set_typed(credentials.access_key_id, credentials.access_key_secret,
                           credentials.security_token or "")

    # -- internal ----------------------------------------------------------------------
    def _resolve(self) -> tuple[Credentials | None, str | None]:
        if self._source == ENV:
            if self.env_credentials is None:
                return None, (f"Set {ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET} in the "
                              "environment, or type credentials for this session.")
            return self.env_credentials, None
        key_id, secret, token = self._typed
        if not key_id.strip() or not secret.strip():
            return None, "Type an access key id and secret (kept in memory only)."
        try:
            return Credentials(key_id, secret, token or None), None
        except OssError as e:   # the messages name the key id masked, never the secret
            return None, e.message


__all__ = ["Session", "ENV", "TYPED", "credentials_from_env"]
