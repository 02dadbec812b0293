"""Styles per bucket, persisted in ``ROOT/.oss-styles/<bucket>.json`` (written atomically)."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from ..oss.urls import validate_bucket
from ..storage import atomic_write
from .config import MAX_STYLES, STYLE_DIR, error, http_date, log

STYLE_FILE_FORMAT = "oss-img-styles/1"


@dataclass(frozen=True)
class StyleEntry:
    name: str
    content: str
    category: str
    create_time: str
    last_modify_time: str


class StyleStore:
    """Styles per bucket in ``ROOT/.oss-styles/<bucket>.json`` (written atomically).

    The file is ``{"format": "oss-img-styles/1", "styles": {name: {"Content",
    "Category", "CreateTime", "LastModifyTime"}}}``. A plain ``{name: "image/..."}``
    mapping (the CLI's ``--styles`` file, an exported viewer library) is read too, so
    such a file can be dropped in by hand; it is rewritten in the full shape on the next
    change. A file that cannot be read is never overwritten.
    """

    def __init__(self, root: Path) -> None:
        self.folder = root / STYLE_DIR
        self._lock = threading.RLock()
        self._cache: dict[str, tuple[tuple, dict[str, StyleEntry]]] = {}

    def _path(self, bucket: str) -> Path:
        return self.folder / f"{validate_bucket(bucket)}.json"

    def _load(self, bucket: str) -> dict[str, StyleEntry]:
        path = self._path(bucket)
        with self._lock:
            try:
                st = path.stat()
            except FileNotFoundError:
                self._cache.pop(bucket, None)
                return {}
            ident = (st.st_ino, st.st_mtime_ns, st.st_size)
            hit = self._cache.get(bucket)
            if hit is not None and hit[0] == ident:
                return hit[1]
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                styles = self._decode(data, http_date(st.st_mtime))
            except (OSError, ValueError, TypeError, AttributeError, KeyError) as e:
                log.error("style file %s is unreadable: %s", path, e)
                raise error("InternalError", f"The style file of bucket {bucket} is "
                             "unreadable; fix or remove it.", 500) from None
            self._cache[bucket] = (ident, styles)
            return styles

    @staticmethod
    def _decode(data: object, fallback_time: str) -> dict[str, StyleEntry]:
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("format") == STYLE_FILE_FORMAT:
            raw = data.get("styles", {})
            if not isinstance(raw, dict):
                raise ValueError("styles is not an object")
            return {name: StyleEntry(name, str(v["Content"]), str(v.get("Category", "image")),
                                     str(v.get("CreateTime", fallback_time)),
                                     str(v.get("LastModifyTime", fallback_time)))
                    for name, v in raw.items()}
        return {name: StyleEntry(name, str(content), "image", fallback_time, fallback_time)
                for name, content in data.items() if isinstance(content, str)}

    def _save(self, bucket: str, styles: dict[str, StyleEntry]) -> None:
        doc = {"format": STYLE_FILE_FORMAT, "styles": {
            s.name: {"Content": s.content, "Category": s.category,
                     "CreateTime": s.create_time, "LastModifyTime": s.last_modify_time}
            for s in sorted(styles.values(), key=lambda s: s.name)}}
        atomic_write(self._path(bucket), json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        self._cache.pop(bucket, None)

    def get(self, bucket: str, name: str) -> StyleEntry | None:
        return self._load(bucket).get(name)

    def content(self, bucket: str, name: str) -> str | None:
        entry = self.get(bucket, name)
        return entry.content if entry else None

    def names(self, bucket: str) -> frozenset[str]:
        return frozenset(self._load(bucket))

    def list(self, bucket: str) -> list[StyleEntry]:
        return [v for _, v in sorted(self._load(bucket).items())]

    def put(self, bucket: str, name: str, content: str, category: str, now: float) -> None:
        with self._lock:
            styles = dict(self._load(bucket))
            old = styles.get(name)
            if old is None and len(styles) >= MAX_STYLES:
                raise error("InvalidArgument", f"A bucket holds at most {MAX_STYLES} "
                             "styles.", 400)
            stamp = http_date(now)
            styles[name] = StyleEntry(name, content, category,
                                      old.create_time if old else stamp, stamp)
            self._save(bucket, styles)

    def delete(self, bucket: str, name: str) -> bool:
        with self._lock:
            styles = dict(self._load(bucket))
            if styles.pop(name, None) is None:
                return False
            self._save(bucket, styles)
            return True

    def drop_bucket(self, bucket: str) -> None:
        with self._lock:
            try:
                self._path(bucket).unlink()
            except FileNotFoundError:
                pass
            self._cache.pop(bucket, None)
