"""One source, start to finish: read, hash, process, write the output, make its record.

:func:`run_item` is what a local process or a Dask worker executes; it never raises for a
bad image (the record carries the OSS error), so one failing source never stops a run.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import codec
from ..cascade import parse, resolve
from ..engine import Engine, Source
from ..errors import OssError
from ..resolver import FolderResolver
from ..storage import atomic_write
from . import manifest
from .sources import Item, OssSpec, output_name, read_bytes


@dataclass(frozen=True)
class Job:
    """Everything a worker needs besides the item (picklable, no secrets)."""

    process: str                          # as given: image/... or style/<name>
    out_dir: str
    styles: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    bucket_dir: str | None = None
    oss: OssSpec | None = None

    @property
    def cascade(self) -> str:
        """The cascade that runs, canonical (raises OssError for a bad one)."""
        return resolve(parse(self.process), self.styles).to_string()


# One engine per process, without the intermediate cache: a batch never revisits a source.
_engine = Engine(cache_entries=0)


def reusable(previous: dict | None, sha: str, cascade: str, out_dir: Path) -> bool:
    """A previous record that stands for this run: same source bytes and cascade, and
    its output (when it had one) still there with the recorded size."""
    if not previous or previous.get("source_sha256") != sha or \
            previous.get("cascade") != cascade:
        return False
    if previous.get("error"):
        return True
    out = previous.get("output")
    try:
        return bool(out) and (out_dir / out).stat().st_size == previous.get("output_bytes")
    except OSError:
        return False


def run_item(item: Item, job: Job, previous: dict | None = None) -> tuple[dict, bool]:
    """(record, reused): the record of ``item``; reused when ``previous`` still holds."""
    t0 = time.perf_counter()
    cascade = job.cascade
    record = manifest.blank(item.name, item.ref, job.process, cascade)
    out_dir = Path(job.out_dir)
    try:
        data = read_bytes(item, job.oss)
        sha = hashlib.sha256(data).hexdigest()
        if reusable(previous, sha, cascade, out_dir):
            return previous, True
        record.update(source_sha256=sha, source_bytes=len(data))
        header = codec.read_header(data)
        record.update(source_width=header.width, source_height=header.height,
                      source_format=header.format)
        resolver = FolderResolver(job.bucket_dir) if job.bucket_dir else None
        result = _engine.process(Source(data, sha, item.name), cascade, resolver=resolver)
        out = output_name(item, result.format)
        try:
            atomic_write(out_dir / out, result.data)
        except OSError as e:
            raise OssError("InternalError", f"Cannot write {out}: {e.strerror or e}") from None
        record.update(output=out, output_width=result.width, output_height=result.height,
                      output_format=result.format, output_bytes=len(result.data),
                      output_sha256=hashlib.sha256(result.data).hexdigest())
    except OssError as e:
        record["error"] = manifest.error_fields(e)
    except MemoryError:
        record["error"] = manifest.error_fields(
            OssError("ImageTooLarge", "Not enough memory to process the image."))
    except Exception as e:  # noqa: BLE001 - a bug on one image must not stop the run
        record["error"] = manifest.error_fields(
            OssError("InternalError", f"{type(e).__name__}: {e}"))
    record["seconds"] = round(time.perf_counter() - t0, 6)
    return record, False
