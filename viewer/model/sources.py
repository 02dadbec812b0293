"""Where source images come from: bundled samples, files, URLs, the clipboard.

Nothing here touches widgets. Local files are small (OSS caps sources at 20 MB) and read
synchronously; URLs are fetched with ``requests`` on a worker through :class:`LatestTask`
so a slow server never freezes the window and a second fetch supersedes the first.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, QObject, QSettings, Signal
from PySide6.QtGui import QImage

from core import codec
from core.engine import Source
from core.errors import OssError
from core.resolver import FolderResolver, no_such_key
from core.resources import resource_path

from .render import LatestTask

SAMPLES_DIR = resource_path("samples")
FETCH_TIMEOUT = (5, 20)            # connect, read (seconds)
MAX_RECENT = 10
USER_AGENT = "oss-style-viewer"


@dataclass(frozen=True)
class Sample:
    file: str
    title: str
    note: str


SAMPLES = (
    Sample("example.jpg", "Photograph (JPEG)", "OSS SDK test photo, MIT"),
    Sample("transparent.png", "Transparent PNG", "alpha fade, derived from the photo, MIT"),
    Sample("animated.gif", "Animated GIF", "12 frames, derived from the photo, MIT"),
    Sample("exif-rotated.jpg", "EXIF-rotated JPEG", "Orientation 6, derived from the photo, MIT"),
    Sample("logo.png", "Logo (watermark image)", "object key logo.png, MIT"),
)
DEFAULT_SAMPLE = SAMPLES[0]


def sample_path(sample: Sample | str) -> Path:
    return SAMPLES_DIR / (sample.file if isinstance(sample, Sample) else sample)


def load_file(path: str | os.PathLike) -> Source:
    """Read and sanity-check a local image; raises OssError (missing, too large, not an
    image) so the caller can show it inline and keep the current source."""
    source = Source.of(Path(path))
    codec.read_header(source.data)  # header only: rejects non-images without decoding
    return source


def load_bytes(data: bytes, name: str) -> Source:
    source = Source.of(data)
    codec.read_header(source.data)
    return Source(source.data, source.digest, name)


def object_name_from_url(url: str) -> str:
    """The last path segment of a URL, as the object would be called in a bucket."""
    path = unquote(urlsplit(url).path)
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name or "image"


def fetch_url(url: str, cancelled=lambda: False) -> Source:
    """GET ``url`` (worker thread). Errors become OssError with a plain explanation."""
    import requests

    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise OssError("InvalidArgument", "Only http:// and https:// URLs can be opened.")
    try:
        with requests.get(url, timeout=FETCH_TIMEOUT, stream=True,
                          headers={"User-Agent": USER_AGENT}) as resp:
            if resp.status_code != 200:
                # OSS answers errors as XML with a <Code>: use it (NoSuchKey, AccessDenied).
                code = _oss_code_from_xml(resp.text[:4096]) if resp.content else None
                raise OssError(code or "BadRequest",
                               f"The server answered HTTP {resp.status_code}.",
                               status=resp.status_code)
            chunks, size = [], 0
            for chunk in resp.iter_content(64 * 1024):
                if cancelled():
                    raise OssError("Cancelled", "The download was cancelled.")
                size += len(chunk)
                if size > codec.MAX_SOURCE_BYTES:
                    raise OssError("ImageTooLarge", "The source image is larger than 20 MB.",
                                   ec="0040-00000009")
                chunks.append(chunk)
    except requests.Timeout:
        raise OssError("RequestTimeout", f"The server did not answer within "
                       f"{FETCH_TIMEOUT[1]} seconds.") from None
    except requests.ConnectionError as e:
        raise OssError("NetworkError", f"Could not connect: {_short(e)}") from None
    except requests.RequestException as e:
        raise OssError("NetworkError", f"The download failed: {_short(e)}") from None
    return load_bytes(b"".join(chunks), object_name_from_url(url))


def _oss_code_from_xml(text: str) -> str | None:
    m = re.search(r"<Code>([^<]{1,64})</Code>", text)
    return m.group(1) if m else None


def _short(exc: BaseException) -> str:
    text = str(exc)
    # requests nests urllib3 reprs; the innermost reason is the useful part.
    m = re.search(r"\] ([^'\"]+)['\"]?\)+$", text) or re.search(r"(\[Errno[^\]]*\][^'\"]*)", text)
    return (m.group(1) if m else text)[:200]


class UrlFetcher(QObject):
    """Fetches one URL at a time in the background; a new fetch supersedes the old."""

    fetched = Signal(object, str)      # Source, url
    failed = Signal(object, str)       # OssError, url
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.task = LatestTask(self)
        self.task.finished.connect(lambda pair: self.fetched.emit(*pair))
        self.task.failed.connect(lambda err: self.failed.emit(err, self._url))
        self.task.busyChanged.connect(self.busyChanged)
        self._url = ""

    def fetch(self, url: str) -> None:
        url = url.strip()
        self._url = url
        self.task.submit(lambda cancelled: (fetch_url(url, cancelled), url), immediate=True)

    def cancel(self) -> None:
        self.task.cancel()


# -- clipboard / drag and drop -----------------------------------------------------------

def qimage_png_bytes(image: QImage) -> bytes:
    """Lossless PNG bytes of a clipboard image (keeps alpha)."""
    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return bytes(ba.data())


@dataclass(frozen=True)
class Dropped:
    """What a drop or a paste offers, in order of preference."""

    path: str | None = None        # a local file
    url: str | None = None         # an http(s) URL to fetch
    image: bytes | None = None     # raw image bytes (PNG of a copied bitmap)
    text: str | None = None        # plain text (maybe a process string)


def read_mime(mime: QMimeData) -> Dropped:
    if mime.hasUrls():
        for u in mime.urls():
            if u.isLocalFile():
                return Dropped(path=u.toLocalFile())
            if u.scheme() in ("http", "https"):
                return Dropped(url=u.toString())
    if mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            return Dropped(image=qimage_png_bytes(image))
    if mime.hasText():
        text = mime.text().strip()
        if re.match(r"https?://", text) and "\n" not in text:
            # A processed URL too: the window opens the stored object and loads the
            # cascade (viewer/model/url_open.py), the same as "URL…".
            return Dropped(url=text)
        if text.startswith("file://"):
            return Dropped(path=unquote(urlsplit(text).path))
        return Dropped(text=text)
    return Dropped()


PROCESS_PARAM_RE = re.compile(r"[?&]x-oss-process=([^&#]*)", re.IGNORECASE)


def process_from_text(text: str) -> str:
    """Accept a bare process string, ``x-oss-process=...`` or a whole OSS URL."""
    text = text.strip()
    m = PROCESS_PARAM_RE.search(text if "?" in text or "&" in text else "?" + text)
    if m:
        # OSS reads '+' in a query literally (core.oss.urls), so only %-escapes are decoded.
        return unquote(m.group(1))
    return text


# -- recent files and watermark objects -----------------------------------------------------

def recent_files(settings: QSettings) -> list[str]:
    value = settings.value("sources/recent", [])
    if isinstance(value, str):  # QSettings collapses a one-element list on some backends
        value = [value]
    return [p for p in (value or []) if isinstance(p, str)]


def remember_file(settings: QSettings, path: str) -> list[str]:
    path = os.path.abspath(path)
    items = [p for p in recent_files(settings) if p != path]
    items.insert(0, path)
    del items[MAX_RECENT:]
    settings.setValue("sources/recent", items)
    return items


class ObjectsResolver:
    """Watermark objects for the preview: the source's own folder first (a local "bucket"),
    then the bundled samples (so ``logo.png`` always works)."""

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self.folders = tuple(FolderResolver(f) for f in (folder, SAMPLES_DIR) if f)

    def __call__(self, key: str) -> bytes:
        for folder in self.folders:
            try:
                return folder(key)
            except OssError as e:
                if e.code != "NoSuchKey":
                    raise
        raise no_such_key(key)

    def keys(self) -> list[str]:
        """Image files offered as watermark object keys."""
        out: list[str] = []
        for folder in self.folders:
            try:
                names = sorted(os.listdir(folder.root))
            except OSError:
                continue
            for n in names:
                if n.lower().endswith((".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif",
                                       ".tif", ".tiff")) and n not in out:
                    out.append(n)
        return out

