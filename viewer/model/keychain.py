"""Opt-in: a connection profile's secret in the operating system's keychain.

Uses ``keyring`` (the well-kept library that speaks to the macOS Keychain, Windows
Credential Locker and the Secret Service / KWallet on Linux) rather than anything of our
own: it is the only safe place for a secret outside this process. When the package is
missing or finds no backend (a headless Linux box has none), :meth:`Keychain.status` says
so and the viewer keeps the secret for the session only; nothing is ever written to disk
in plain text by this module.

One entry per profile: service ``oss-style-viewer``, user ``profile:<name>``, the password
a JSON object with the access key id and secret (an STS token expires within hours and is
never stored).
"""
from __future__ import annotations

import json

SERVICE = "oss-style-viewer"
INSTALL_HINT = "pip install 'oss-style-viewer[keychain]'"


class KeychainError(Exception):
    """The keychain refused or failed; the message is safe to show (no secret in it)."""


class Keychain:
    """``backend``: a ``keyring.backend.KeyringBackend`` to use instead of the system's
    (tests pass an in-memory one)."""

    def __init__(self, backend=None) -> None:
        self._backend = backend

    def _keyring(self):
        if self._backend is not None:
            return self._backend
        import keyring   # optional dependency: ImportError is reported by status()

        return keyring.get_keyring()

    def status(self) -> tuple[bool, str]:
        """(usable, a sentence for the UI)."""
        try:
            backend = self._keyring()
        except ImportError:
            return False, (f"The keyring package is not installed ({INSTALL_HINT}): the "
                           "secret is kept for this session only.")
        priority = getattr(backend, "priority", 1)
        name = getattr(backend, "name", type(backend).__name__)
        if type(backend).__module__.startswith("keyring.backends.fail") or priority <= 0:
            return False, ("No keychain is available on this system (keyring found no "
                           "backend): the secret is kept for this session only.")
        return True, f"Stored in the system keychain ({name})."

    @staticmethod
    def _user(profile: str) -> str:
        return f"profile:{profile}"

    def save(self, profile: str, access_key_id: str, secret: str) -> None:
        try:
            self._keyring().set_password(SERVICE, self._user(profile),
                                         json.dumps({"id": access_key_id, "secret": secret}))
        except Exception as e:  # noqa: BLE001 - every backend raises its own kind
            raise KeychainError(f"The keychain refused to store the secret: "
                                f"{type(e).__name__}.") from None

    def load(self, profile: str) -> tuple[str, str] | None:
        try:
            raw = self._keyring().get_password(SERVICE, self._user(profile))
        except Exception as e:  # noqa: BLE001
            raise KeychainError(f"The keychain could not be read: {type(e).__name__}.") \
                from None
        if not raw:
            return None
        try:
            value = json.loads(raw)
            return str(value["id"]), str(value["secret"])
        except (ValueError, KeyError, TypeError):
            return None

    def delete(self, profile: str) -> None:
        try:
            self._keyring().delete_password(SERVICE, self._user(profile))
        except Exception:  # noqa: BLE001 - nothing stored is fine
            pass


__all__ = ["Keychain", "KeychainError", "SERVICE"]
