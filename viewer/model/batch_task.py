"""The Batch view's background run: list the sources, run the cascade over them with
:func:`core.batch.runner.run`, report each record -- all off the GUI thread.

One :class:`BatchTask` per run. Its signals are emitted from a worker thread and reach
the view queued, on the GUI thread. ``cancel()`` stops it between sources; what finished
stays in the manifest, so running again over the same output folder resumes.
"""
from __future__ import annotations

import io
import threading
from dataclasses import dataclass

from PIL import Image
from PySide6.QtCore import QObject, Signal

from core import codec
from core.batch import runner
from core.batch.sources import OssSpec, discover, use_client
from core.batch.work import Job
from core.errors import Cancelled, OssError

THUMB_SIDE = 48


@dataclass(frozen=True)
class BatchRequest:
    sources: str               # folder or oss://bucket/prefix
    process: str
    out_dir: str
    workers: int = 1
    oss: OssSpec | None = None
    credentials: object | None = None   # core.oss.credentials.Credentials, memory only


def thumbnail_png(path: str, side: int = THUMB_SIDE) -> bytes | None:
    """A small PNG of the first frame at ``path`` (made in the worker, shown by the view)."""
    try:
        with open(path, "rb") as f:
            im = codec.open_image(f.read())
        im.seek(0)
        im.thumbnail((side, side))
        # Centred on a square, so every row's text starts at the same place.
        square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
        square.paste(im.convert("RGBA"), ((side - im.width) // 2, (side - im.height) // 2))
        buf = io.BytesIO()
        square.save(buf, "PNG")
        return buf.getvalue()
    except (OSError, OssError, ValueError, EOFError, SyntaxError):
        return None


class BatchTask(QObject):
    started = Signal(int)               # number of sources
    record = Signal(object, object)     # manifest record, thumbnail PNG bytes or None
    finished = Signal(object)           # core.batch.runner.Outcome
    failed = Signal(object)             # OssError (Cancelled when cancelled)

    def __init__(self, request: BatchRequest, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="batch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        r = self.request
        try:
            workers = r.workers
            if r.oss is not None:
                # Objects are read with the session's credentials, which exist only in
                # this process: list and fetch here (threads), never in child processes.
                from core.oss.client import OssClient
                from core.oss.urls import BucketAddress

                address = BucketAddress.from_endpoint(
                    r.oss.endpoint, r.oss.bucket, https=r.oss.https, cname=r.oss.cname,
                    path_style=r.oss.path_style)
                use_client(r.oss, OssClient(address, r.credentials, version=r.oss.version,
                                            region=r.oss.region,
                                            timeout=(r.oss.timeout, r.oss.timeout)))
                workers = 1
            items = discover(r.sources, r.oss, exclude=r.out_dir)
            if self._cancel.is_set():
                raise Cancelled()
            self.started.emit(len(items))
            job = Job(r.process, r.out_dir, oss=r.oss)

            def progress(record: dict, _reused: bool) -> None:
                thumb = None
                if record.get("output") and record.get("output_format") != "json":
                    thumb = thumbnail_png(f"{r.out_dir}/{record['output']}")
                self.record.emit(record, thumb)

            outcome = runner.run(items, job, workers=workers, progress=progress,
                                 cancelled=self._cancel.is_set)
        except OssError as e:
            self.failed.emit(e)
            return
        except Exception as e:  # noqa: BLE001 - report, never crash the GUI
            self.failed.emit(OssError("InternalError", f"{type(e).__name__}: {e}"))
            return
        self.finished.emit(outcome)
