"""Helpers every sub-command shares: the --styles file and atomic output writes."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import OssError


def load_styles(path: str | None) -> dict[str, str]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise OssError("InvalidArgument", f"Cannot read styles file {path}: {e}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise OssError("InvalidArgument",
                       f"Styles file {path} must be a JSON object of name -> process string.")
    return data


def write_atomic(path: Path, data: bytes) -> None:
    from ..storage import atomic_write

    try:
        atomic_write(path, data)
    except OSError as e:
        raise OssError("InternalError", f"Cannot write {path}: {e.strerror or e}") from None
