"""``OUT_DIR/manifest.jsonl``: one JSON object per source, the record of a batch run.

A record (all keys always present, ``null`` where not known)::

    source          relative name of the source (its output has the same path)
    ref             where it was read: file path, URL or object key
    source_sha256, source_bytes, source_width, source_height, source_format
    process         the PROCESS argument as given (image/... or style/<name>)
    cascade         the cascade that ran (a style resolved), canonical
    output          output path relative to OUT_DIR
    output_width, output_height, output_format, output_bytes, output_sha256
    seconds         wall time for this source: read, process, write
    error           null, or {"code", "message", "ec", "step", "action", "key"} in OSS terms

During a run each finished record is appended (and flushed), so an interrupted run loses
nothing; at the end the file is rewritten atomically in source order, one record per
source, so runs with different worker counts give identical manifests except ``seconds``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Iterable

from ..errors import OssError
from ..storage import atomic_write
from .sources import MANIFEST

FIELDS = ("source", "ref", "source_sha256", "source_bytes", "source_width",
          "source_height", "source_format", "process", "cascade", "output", "output_width",
          "output_height", "output_format", "output_bytes", "output_sha256", "seconds",
          "error")


def blank(source: str, ref: str, process: str, cascade: str) -> dict:
    record = dict.fromkeys(FIELDS)
    record.update(source=source, ref=ref, process=process, cascade=cascade)
    return record


def error_fields(e: OssError) -> dict:
    return {"code": e.code, "message": e.message, "ec": e.ec, "step": e.step,
            "action": e.action, "key": e.key}


def load(out_dir: str | os.PathLike) -> dict[str, dict]:
    """The records of ``out_dir``'s manifest by source (the last line for a source wins;
    a line cut short by a crash is ignored). Empty when there is no manifest yet."""
    path = Path(out_dir) / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as e:
        raise OssError("InvalidArgument", f"Cannot read {path}: {e}") from None
    records: dict[str, dict] = {}
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("source"), str):
            records[record["source"]] = record
    return records


def dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n"


class Writer:
    """Appends records as they finish; :meth:`finish` rewrites the file in order."""

    def __init__(self, out_dir: str | os.PathLike) -> None:
        self.path = Path(out_dir) / MANIFEST
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = self.path.open("a", encoding="utf-8")

    def append(self, record: dict) -> None:
        assert self._file is not None
        self._file.write(dumps(record))
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def finish(self, records: Iterable[dict]) -> None:
        self.close()
        ordered = sorted(records, key=lambda r: r["source"])
        atomic_write(self.path, "".join(dumps(r) for r in ordered))
