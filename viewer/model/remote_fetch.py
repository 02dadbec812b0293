"""The remote panel's work, off the GUI thread: the URL to fetch (:func:`target_url`, built
as the URLs panel builds it), the download (:func:`fetch_remote`, OSS's error from the
answer's XML or ``x-oss-err``), the local rendering (:func:`render_local`), each as a
:class:`Side` ready to show and compare.
"""
from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Callable

import requests
from PIL import Image
from PySide6.QtGui import QImage

from core import codec
from core.compare import Comparison
from core.engine import Engine, Source
from core.errors import OssError
from core.oss.credentials import Credentials
from core.oss.urls import is_ip_or_localhost
from core.picture import ObjectResolver

from .render import as_oss_error, qimage_from_pil
from .url_model import UrlForm, build_urls

LOCAL_ENDPOINT = "127.0.0.1:9000"   # oss-img serve's default
LOCAL_REGION = "cn-hangzhou"        # ... and the region it verifies V4 against
MAX_DOWNLOAD = 50 * 1024 * 1024


@dataclass(frozen=True)
class RemoteForm:
    """Everything the fields hold (no credentials: safe to persist)."""

    endpoint: str = LOCAL_ENDPOINT
    bucket: str = ""
    key: str = ""          # empty: the document's source name
    https: bool = False
    path_style: bool = False
    region: str = ""       # empty: from the endpoint, or cn-hangzhou for a local server
    signing: str = ""      # "", "v4" or "v1"


def target_url(form: RemoteForm, default_key: str, process: str,
               credentials: Credentials | None, now: float,
               why_no_credentials: str | None = None) -> str:
    """The URL to fetch for ``process``, or OssError saying why there is none."""
    region = form.region
    if not region and form.signing == "v4" and is_ip_or_localhost(form.endpoint.split("/")[0]):
        region = LOCAL_REGION
    url_form = UrlForm(endpoint=form.endpoint, bucket=form.bucket, key=form.key,
                       https=form.https, path_style=form.path_style, region=region,
                       private=bool(form.signing), version=form.signing or "v4")
    why = None if credentials else (
        "No credentials. "
        + (why_no_credentials or "Set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET.")
        + " Or choose Unsigned.")
    results = build_urls(url_form, default_key, process, credentials, why, now)
    kind = "signed" if form.signing else "plain"
    if kind in results.texts:
        return results.texts[kind]
    raise OssError("InvalidArgument", results.errors.get(kind, "Cannot build the URL."))


@dataclass(frozen=True)
class Side:
    """One rendering: decoded for display and for comparison (or the error instead)."""

    image: QImage | None = None
    pil: Image.Image | None = None
    width: int = 0
    height: int = 0
    format: str = ""
    nbytes: int = 0
    seconds: float = 0.0
    text: str = ""                 # JSON answers (info, average-hue)
    error: OssError | None = None

    def caption(self, label: str) -> str:
        if self.error is not None:
            return f"{label}: {self.error.code}"
        # No-break spaces: the caption wraps between facts, never inside "13.9 KB".
        size = f"{self.nbytes / 1024:.1f}\u00a0KB" if self.nbytes >= 1024 \
            else f"{self.nbytes}\u00a0B"
        what = f"{self.width}×{self.height} {self.format}" if self.pil is not None else "JSON"
        return f"{label}: {what}, {size}, {self.seconds * 1000:.0f}\u00a0ms"


@dataclass(frozen=True)
class RemoteOutcome:
    url: str                       # for display: any security token masked
    process: str
    local: Side
    remote: Side
    comparison: Comparison | None


def _decode(data: bytes) -> tuple[Image.Image, str]:
    im = Image.open(io.BytesIO(data))
    fmt = (im.format or "").lower().replace("jpeg", "jpg")
    im.load()
    return im, fmt


def _image_side(data: bytes, seconds: float, is_json: bool) -> Side:
    if is_json:
        return Side(nbytes=len(data), seconds=seconds, text=data.decode("utf-8", "replace"),
                    format="json")
    im, fmt = _decode(data)
    return Side(qimage_from_pil(im), im, im.width, im.height, fmt, len(data), seconds)


def oss_error_from_response(resp: requests.Response, body: bytes) -> OssError:
    """The OSS error a response carries (body XML, or x-oss-err for body-less answers)."""
    import base64

    xml = body
    if not xml.strip() and resp.headers.get("x-oss-err"):
        try:
            xml = base64.b64decode(resp.headers["x-oss-err"])
        except ValueError:
            xml = b""
    fields: dict[str, str] = {}
    try:
        root = ET.fromstring(xml)
        fields = {child.tag: child.text or "" for child in root}
    except ET.ParseError:
        pass
    code = fields.get("Code") or f"HTTP{resp.status_code}"
    message = fields.get("Message") or resp.reason or "The server refused the request."
    details = {k: v for k, v in fields.items() if k in ("StringToSign", "RequestId")}
    return OssError(code, message, ec=fields.get("EC") or resp.headers.get("x-oss-ec"),
                    status=resp.status_code, details=details)


def fetch_remote(url: str, timeout: float = 60.0) -> Side:
    """Download ``url`` (at most MAX_DOWNLOAD bytes) and decode it; errors in the Side."""
    t0 = time.perf_counter()
    try:
        with requests.get(url, timeout=(10, timeout), stream=True) as resp:
            body = resp.raw.read(MAX_DOWNLOAD + 1, decode_content=True)
            if resp.status_code != 200:
                return Side(error=oss_error_from_response(resp, body))
            if len(body) > MAX_DOWNLOAD:
                return Side(error=OssError("EntityTooLarge", "The remote answer is larger "
                                           f"than {MAX_DOWNLOAD // (1024 * 1024)} MB."))
            is_json = resp.headers.get("Content-Type", "").startswith("application/json")
        return _image_side(body, time.perf_counter() - t0, is_json)
    except requests.RequestException as e:
        return Side(error=OssError("ConnectionError", f"Cannot reach the server: {e}"))
    except Exception as e:  # noqa: BLE001 - undecodable answers are shown, not raised
        return Side(error=as_oss_error(e))


def render_local(engine: Engine, source: Source, process: str,
                 resolver: ObjectResolver | None, cancelled: Callable[[], bool]) -> Side:
    t0 = time.perf_counter()
    try:
        if not process:
            # No x-oss-process: OSS serves the stored object byte for byte (as the preview).
            codec.read_header(source.data)   # OSS's errors for what is not an image
            return _image_side(source.data, time.perf_counter() - t0, False)
        result = engine.process(source, process, resolver=resolver, cancelled=cancelled)
        return _image_side(result.data, time.perf_counter() - t0, result.is_json)
    except Exception as e:  # noqa: BLE001
        return Side(error=as_oss_error(e))
