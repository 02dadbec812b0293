"""The viewer's log file: every unexpected exception with its traceback, and nothing secret.

An exception that is not an OSS error (or is an OSS ``InternalError``) is a bug: the user
sees it inline as an ``InternalError``, and its traceback goes to a rotating log file so a
bug report can carry it. The file lives in the platform's folder for application state,
from ``QStandardPaths`` (``StateLocation``, Qt 6.7+; ``AppLocalDataLocation`` before), in
``logs/viewer.log``: on Linux ``~/.local/state/oss-style-viewer/oss-style-viewer/logs/``
(``$XDG_STATE_HOME`` when set); on macOS and Windows wherever Qt puts application state
for the user (``log_path()`` says).

It rotates at 1 MB and keeps 3 old files (``viewer.log.1`` ...). Every line goes through
:class:`RedactingFormatter`: AccessKey secrets and STS tokens the session knows, the values
of secret-looking environment variables, and signatures, tokens and credentials inside
URLs or headers are replaced by ``***`` before anything is written.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
import threading
import traceback
from pathlib import Path
from typing import Callable, Iterable

LOGGER = "viewer"
FILE_NAME = "viewer.log"
MAX_BYTES = 1024 * 1024
BACKUPS = 3
MASK = "***"

log = logging.getLogger(LOGGER)

# name=value in query strings and headers, "name": "value" in JSON, name='value' in reprs.
_SECRET_NAMES = (r"Signature|x-oss-signature|security-token|x-oss-security-token"
                 r"|OSSAccessKeyId|x-oss-credential|AccessKeySecret|access_key_secret"
                 r"|SecurityToken|security_token|secret|password|token")
_PAIR = re.compile(rf"(?i)\b({_SECRET_NAMES})(\s*[=:]\s*['\"]?)([^&\s'\",;)]+)")
_AUTH = re.compile(r"(?i)\b(Authorization\s*[:=]\s*['\"]?)(OSS4?-HMAC-SHA256\s+)?([^\r\n'\"]+)")
_ENV_SECRET = re.compile(r"(?i)SECRET|TOKEN|PASSWORD")
_MIN_SECRET = 4   # shorter strings would mask ordinary words

_providers: list[Callable[[], Iterable[str | None]]] = []
_lock = threading.Lock()


def add_secret_source(provider: Callable[[], Iterable[str | None]]) -> None:
    """``provider()`` returns the secrets to mask now (read at every log line)."""
    with _lock:
        _providers.append(provider)


def clear_secret_sources() -> None:
    with _lock:
        _providers.clear()


def _known_secrets() -> list[str]:
    found: set[str] = set()
    with _lock:
        providers = list(_providers)
    for provider in providers:
        try:
            found.update(s for s in provider() if s)
        except Exception:  # noqa: BLE001 - a closed window must not break logging
            continue
    found.update(v for k, v in os.environ.items() if _ENV_SECRET.search(k) and v)
    # Longest first, so a secret containing another is masked whole.
    return sorted((s for s in found if len(s) >= _MIN_SECRET), key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with every secret we know of, and every secret-looking value, masked."""
    for secret in _known_secrets():
        text = text.replace(secret, MASK)
    text = _AUTH.sub(lambda m: m.group(1) + (m.group(2) or "") + MASK, text)
    return _PAIR.sub(lambda m: m.group(1) + m.group(2) + MASK, text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def log_dir() -> Path:
    from PySide6.QtCore import QStandardPaths

    loc = getattr(QStandardPaths.StandardLocation, "StateLocation", None) \
        or QStandardPaths.StandardLocation.AppLocalDataLocation
    base = QStandardPaths.writableLocation(loc)
    if not base:   # no writable location on this platform: next to the settings
        base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.TempLocation)
    return Path(base) / "logs"


def log_path() -> Path:
    return log_dir() / FILE_NAME


_handler: logging.Handler | None = None


def install() -> Path | None:
    """Send the ``viewer`` loggers to the rotating log file (once). Returns its path, or
    None if the folder cannot be written (the app then logs to stderr only)."""
    global _handler
    if _handler is not None:
        return Path(_handler.baseFilename)
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES,
                                                       backupCount=BACKUPS, encoding="utf-8",
                                                       delay=True)
    except OSError as e:
        print(f"oss-style-viewer: cannot write the log file {path}: {e}", file=sys.stderr)
        return None
    handler.setFormatter(RedactingFormatter(
        "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    handler.setLevel(logging.INFO)
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    _handler = handler
    return path


def uninstall() -> None:
    global _handler
    if _handler is not None:
        log.removeHandler(_handler)
        _handler.close()
        _handler = None


def log_unexpected(exc: BaseException, what: str) -> None:
    """An exception that is a bug: its traceback (with causes) to the log."""
    log.error("Unexpected %s in %s: %s", type(exc).__name__, what, exc,
              exc_info=(type(exc), exc, exc.__traceback__))


def is_unexpected(exc: BaseException) -> bool:
    """Not an OSS error, or an OSS InternalError: a bug, not bad input."""
    from core.errors import OssError

    return not isinstance(exc, OssError) or exc.code == "InternalError"


def install_thread_hook() -> None:
    """Exceptions escaping Python threads go to the log, not just stderr."""
    previous = threading.excepthook

    def hook(args) -> None:
        if args.exc_value is not None:
            log.error("Unexpected %s in thread %s", args.exc_type.__name__,
                      getattr(args.thread, "name", "?"),
                      exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
        previous(args)

    threading.excepthook = hook


def format_exception(kind, value, tb) -> str:
    return redact("".join(traceback.format_exception(kind, value, tb)))


def session_secrets(session) -> Callable[[], list[str]]:
    """A secret source for :func:`add_secret_source`: what ``session`` holds right now."""
    import weakref

    ref = weakref.ref(session)

    def secrets() -> list[str]:
        s = ref()
        if s is None:
            return []
        out = list(s.typed[1:])
        for creds in (getattr(s, "env_credentials", None), s.credentials()):
            if creds is not None:
                out += [creds.access_key_secret, creds.security_token or ""]
        return out

    return secrets
